//! [`StringMap`]: labels, annotations and selectors, as a sorted vector of pairs.
//!
//! Every object's maps live for the whole run, and most hold one to four entries: a `BTreeMap`
//! allocates a node for eleven (about 540 bytes), this holds exactly its pairs.

use std::borrow::Borrow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string-to-string map such as labels, annotations or a selector, ordered by key as a
/// `BTreeMap` is; a key written twice keeps its last value, as Kubernetes reads it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    pub fn new() -> Self {
        StringMap(Vec::new())
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        String: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&String>
    where
        String: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &String)> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.0.iter().map(|(_, v)| v)
    }

    /// From pairs in any order; of equal keys the last one counts.
    fn from_pairs(mut pairs: Vec<(String, String)>) -> Self {
        // A stable sort keeps equal keys in input order; reversing each run's order first would
        // cost more than keeping the last of each run.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        out.shrink_to_fit();
        StringMap(out)
    }
}

impl<Q: Ord + ?Sized> std::ops::Index<&Q> for StringMap
where
    String: Borrow<Q>,
{
    type Output = String;

    /// Panics when `key` is absent, as a `BTreeMap` does.
    fn index(&self, key: &Q) -> &String {
        self.get(key).expect("no entry found for key")
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        StringMap::from_pairs(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for StringMap {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Extend<(String, String)> for StringMap {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = StringMap;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(StringMap::from_pairs(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn sorted_last_value_wins_and_lookups() {
        let m: StringMap = serde_json::from_str(r#"{"b": "1", "a": "2", "b": "3"}"#).unwrap();
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&"a".to_string(), &"2".to_string()), (&"b".into(), &"3".into())]);
        assert_eq!(m.get("b").map(String::as_str), Some("3"));
        assert!(m.contains_key("a") && !m.contains_key("c"));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":"2","b":"3"}"#);
    }

    #[test]
    fn insert_keeps_order_and_replaces() {
        let mut m = StringMap::new();
        assert_eq!(m.insert("z".into(), "1".into()), None);
        assert_eq!(m.insert("a".into(), "2".into()), None);
        assert_eq!(m.insert("z".into(), "3".into()), Some("1".into()));
        assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "z"]);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn non_string_values_are_refused_as_a_btreemap_refuses_them() {
        let err = serde_json::from_str::<StringMap>(r#"{"a": 1}"#).unwrap_err().to_string();
        let want = serde_json::from_str::<BTreeMap<String, String>>(r#"{"a": 1}"#).unwrap_err().to_string();
        assert_eq!(err, want);
    }
}
