//! Containment of Envoy route matches: does every request that matches `b` also match `a`?
//!
//! Decided exactly for exact and prefix strings, and on automata for regular expressions: a
//! prefix covers a regex when the regex's DFA can leave the prefix's path only into the dead
//! state; a regex covers a prefix when, after the prefix, every state the DFA can reach accepts.
//! What cannot be decided cheaply (regex inside regex, a DFA over its size limit) is answered
//! "not covered", so that a finding is never a guess.

use super::matcher::{HeaderMatcher, RouteMatch, StrMatch};
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::{Anchored, Input};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

type Dfa = Arc<dense::DFA<Vec<u32>>>;

/// RE2 expressions compiled to anchored DFAs (full-match semantics), built once per expression.
#[derive(Default)]
pub struct Automata {
    dfas: Mutex<HashMap<String, Option<Dfa>>>,
}

/// The most states a universality walk visits before it gives up (and answers "not covered").
const WALK_LIMIT: usize = 4096;

impl Automata {
    fn dfa(&self, re: &str) -> Option<Dfa> {
        let mut cache = self.dfas.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(re.to_string())
            .or_insert_with(|| {
                dense::Builder::new()
                    .configure(
                        dense::Config::new()
                            .start_kind(StartKind::Anchored)
                            .dfa_size_limit(Some(1 << 20))
                            .determinize_size_limit(Some(1 << 20)),
                    )
                    .build(&format!(r"(?:{re})\z"))
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }

    /// Does every string that `re` fully matches start with `prefix`?
    pub fn only_with_prefix(&self, re: &str, prefix: &str) -> bool {
        let Some(dfa) = self.dfa(re) else { return false };
        let Ok(mut s) = dfa.start_state_forward(&Input::new("").anchored(Anchored::Yes)) else { return false };
        for &want in prefix.as_bytes() {
            if dfa.is_match_state(dfa.next_eoi_state(s)) {
                return false;
            }
            if (0..=255u8).any(|b| b != want && !dfa.is_dead_state(dfa.next_state(s, b))) {
                return false;
            }
            s = dfa.next_state(s, want);
            if dfa.is_dead_state(s) {
                return true;
            }
        }
        true
    }

    /// Does `re` fully match every string that starts with `prefix` (over the printable ASCII
    /// that HTTP paths and header values are made of)?
    pub fn all_with_prefix(&self, re: &str, prefix: &str) -> bool {
        let Some(dfa) = self.dfa(re) else { return false };
        let Ok(mut s) = dfa.start_state_forward(&Input::new("").anchored(Anchored::Yes)) else { return false };
        for &b in prefix.as_bytes() {
            s = dfa.next_state(s, b);
            if dfa.is_dead_state(s) {
                return false;
            }
        }
        let mut seen: HashSet<StateID> = HashSet::from([s]);
        let mut todo = vec![s];
        while let Some(t) = todo.pop() {
            if dfa.is_dead_state(t) || !dfa.is_match_state(dfa.next_eoi_state(t)) || seen.len() > WALK_LIMIT {
                return false;
            }
            for b in 0x20..=0x7eu8 {
                let n = dfa.next_state(t, b);
                if seen.insert(n) {
                    todo.push(n);
                }
            }
        }
        true
    }

    /// Does every value `b` matches also match `a`? Case-insensitive matchers (`ignoreUriCase`)
    /// compare ASCII-lower-cased; a regex is always case-sensitive.
    pub fn str_covers(&self, a: &StrMatch, a_sensitive: bool, b: &StrMatch, b_sensitive: bool) -> bool {
        let regex = |m: &StrMatch| matches!(m, StrMatch::Regex(_));
        let (a_ci, b_ci) = (!a_sensitive && !regex(a), !b_sensitive && !regex(b));
        if b_ci && !a_ci {
            return false;
        }
        let fold = |s: &str| if a_ci { s.to_ascii_lowercase() } else { s.to_string() };
        match (a, b) {
            (StrMatch::Exact(x), StrMatch::Exact(y)) => fold(x) == fold(y),
            (StrMatch::Prefix(p), StrMatch::Exact(e) | StrMatch::Prefix(e)) => fold(e).starts_with(&fold(p)),
            (StrMatch::Prefix(p), StrMatch::Regex(r)) => !a_ci && self.only_with_prefix(r, p),
            (StrMatch::Regex(r), StrMatch::Exact(e)) => !b_ci && r.is_match(e),
            (StrMatch::Regex(r), StrMatch::Prefix(p)) => !b_ci && self.all_with_prefix(r, p),
            (StrMatch::Regex(x), StrMatch::Regex(y)) => x.source == y.source,
            (StrMatch::Segments(p), StrMatch::Exact(e) | StrMatch::Segments(e)) => {
                let (p, e) = (fold(p), fold(e));
                e == p || e.starts_with(&format!("{p}/"))
            }
            (StrMatch::Segments(p), StrMatch::Prefix(e)) => fold(e).starts_with(&format!("{}/", fold(p))),
            (StrMatch::Prefix(p), StrMatch::Segments(e)) => fold(e).starts_with(&fold(p)),
            (StrMatch::Regex(r), StrMatch::Segments(p)) => {
                !b_ci && r.is_match(p) && self.all_with_prefix(r, &format!("{p}/"))
            }
            (StrMatch::Segments(_), StrMatch::Regex(_)) | (StrMatch::Exact(_), _) => false,
        }
    }

    fn value_covers(&self, a: Option<&StrMatch>, b: Option<&StrMatch>) -> bool {
        match (a, b) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => self.str_covers(a, true, b, true),
        }
    }

    fn header_covers(&self, a: &HeaderMatcher, b: &HeaderMatcher) -> bool {
        a.name == b.name
            && a.invert == b.invert
            && if a.invert {
                // not(va) ⊇ not(vb) ⟺ vb ⊇ va.
                self.value_covers(b.value.as_ref(), a.value.as_ref())
            } else {
                self.value_covers(a.value.as_ref(), b.value.as_ref())
            }
    }

    /// Does every request that matches `b` also match `a`?
    pub fn covers(&self, a: &RouteMatch, b: &RouteMatch) -> bool {
        self.str_covers(&a.path.kind, a.path.case_sensitive, &b.path.kind, b.path.case_sensitive)
            && a.headers.iter().all(|ha| b.headers.iter().any(|hb| self.header_covers(ha, hb)))
            && a.query.iter().all(|qa| {
                b.query.iter().any(|qb| qa.name == qb.name && self.value_covers(qa.value.as_ref(), qb.value.as_ref()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::networking::HTTPMatchRequest;

    fn m(yaml: &str) -> RouteMatch {
        RouteMatch::from_istio(&serde_json::from_str::<HTTPMatchRequest>(yaml).unwrap())
    }

    #[test]
    fn strings() {
        let a = Automata::default();
        let cov = |x: &str, y: &str| a.covers(&m(x), &m(y));
        assert!(cov(r#"{"uri":{"prefix":"/api"}}"#, r#"{"uri":{"exact":"/api/v1"}}"#));
        assert!(cov(r#"{"uri":{"prefix":"/api"}}"#, r#"{"uri":{"prefix":"/apix"}}"#));
        assert!(!cov(r#"{"uri":{"prefix":"/api/"}}"#, r#"{"uri":{"prefix":"/api"}}"#));
        assert!(!cov(r#"{"uri":{"exact":"/api"}}"#, r#"{"uri":{"prefix":"/api"}}"#));
        assert!(cov(r#"{"uri":{"prefix":"/API"},"ignoreUriCase":true}"#, r#"{"uri":{"exact":"/api/x"}}"#));
        assert!(!cov(r#"{"uri":{"prefix":"/api"}}"#, r#"{"uri":{"prefix":"/api"},"ignoreUriCase":true}"#));
    }

    #[test]
    fn regexes_on_automata() {
        let a = Automata::default();
        let cov = |x: &str, y: &str| a.covers(&m(x), &m(y));
        // A regex that covers a prefix, and one that does not.
        assert!(cov(r#"{"uri":{"regex":"/api/.*"}}"#, r#"{"uri":{"prefix":"/api/v1"}}"#));
        assert!(cov(r#"{"uri":{"regex":"/(api|web)/.*"}}"#, r#"{"uri":{"prefix":"/web/"}}"#));
        assert!(!cov(r#"{"uri":{"regex":"/api/[a-z]*"}}"#, r#"{"uri":{"prefix":"/api/"}}"#));
        assert!(!cov(r#"{"uri":{"regex":"/api/.*"}}"#, r#"{"uri":{"prefix":"/api"}}"#));
        // A prefix that covers a regex.
        assert!(cov(r#"{"uri":{"prefix":"/api/"}}"#, r#"{"uri":{"regex":"/api/v[0-9]+"}}"#));
        assert!(!cov(r#"{"uri":{"prefix":"/api/"}}"#, r#"{"uri":{"regex":"/(api|web)/v1"}}"#));
        // A regex that covers an exact path.
        assert!(cov(r#"{"uri":{"regex":"/v[0-9]+"}}"#, r#"{"uri":{"exact":"/v2"}}"#));
        assert!(!cov(r#"{"uri":{"regex":"/v[0-9]+"}}"#, r#"{"uri":{"exact":"/v2/x"}}"#));
    }

    #[test]
    fn headers_query_and_method() {
        let a = Automata::default();
        let cov = |x: &str, y: &str| a.covers(&m(x), &m(y));
        // Fewer conditions cover more requests.
        assert!(cov(r#"{"uri":{"prefix":"/"}}"#, r#"{"uri":{"prefix":"/a"},"method":{"exact":"GET"}}"#));
        assert!(!cov(r#"{"method":{"exact":"GET"}}"#, r#"{"uri":{"prefix":"/a"}}"#));
        assert!(cov(r#"{"headers":{"x-user":{}}}"#, r#"{"headers":{"x-user":{"exact":"jason"}}}"#));
        assert!(cov(r#"{"headers":{"x-user":{"prefix":"ja"}}}"#, r#"{"headers":{"x-user":{"exact":"jason"}}}"#));
        assert!(!cov(r#"{"headers":{"x-user":{"exact":"jason"}}}"#, r#"{"headers":{"x-user":{}}}"#));
        assert!(cov(r#"{"queryParams":{"v":{"regex":"[0-9]+"}}}"#, r#"{"queryParams":{"v":{"exact":"2"}}}"#));
        assert!(cov(
            r#"{"withoutHeaders":{"x-beta":{"exact":"1"}}}"#,
            r#"{"withoutHeaders":{"x-beta":{"prefix":""}}}"#
        ));
        assert!(!cov(
            r#"{"withoutHeaders":{"x-beta":{"prefix":""}}}"#,
            r#"{"withoutHeaders":{"x-beta":{"exact":"1"}}}"#
        ));
    }
}
