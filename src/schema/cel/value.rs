//! CEL values: what expressions evaluate to, how JSON becomes them, equality and ordering.

use std::cmp::Ordering;
use std::sync::Arc;

use super::EvalError;
use super::net::{Cidr, IpAddr, Url};
use super::quantity::Quantity;
use super::time::Timestamp;

/// A CEL value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit signed).
    Int(i64),
    /// `uint` (64-bit unsigned).
    Uint(u64),
    /// `double`.
    Double(f64),
    /// `string`.
    String(Arc<str>),
    /// `bytes`.
    Bytes(Arc<[u8]>),
    /// `list`.
    List(Arc<Vec<Value>>),
    /// `map`.
    Map(Arc<Map>),
    /// `google.protobuf.Duration`, in nanoseconds (Go's `time.Duration` range, as cel-go).
    Duration(i64),
    /// `google.protobuf.Timestamp`.
    Timestamp(Timestamp),
    /// `optional_type`: `optional.of(v)` or `optional.none()`.
    Optional(Option<Box<Value>>),
    /// `type`: the value of `type(x)` or of a type name such as `int`.
    Type(&'static str),
    /// Kubernetes' `URL`, from `url(string)`.
    Url(Arc<Url>),
    /// Kubernetes' `net.IP`, from `ip(string)`.
    Ip(IpAddr),
    /// Kubernetes' `net.CIDR`, from `cidr(string)`.
    Cidr(Cidr),
    /// Kubernetes' `Quantity`, from `quantity(string)`.
    Quantity(Quantity),
    /// Kubernetes' `format.<name>()` value, whose `validate(string)` checks a string.
    Format(&'static str),
}

/// A map key: CEL allows `bool`, `int`, `uint` and `string` keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A `bool` key.
    Bool(bool),
    /// An `int` key.
    Int(i64),
    /// A `uint` key.
    Uint(u64),
    /// A `string` key.
    String(Arc<str>),
}

impl Key {
    /// The key as a value.
    pub fn to_value(&self) -> Value {
        match self {
            Key::Bool(b) => Value::Bool(*b),
            Key::Int(i) => Value::Int(*i),
            Key::Uint(u) => Value::Uint(*u),
            Key::String(s) => Value::String(s.clone()),
        }
    }

    /// The value as a key, if it is of a key type.
    pub(crate) fn from_value(v: &Value) -> Result<Key, EvalError> {
        Ok(match v {
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(*i),
            Value::Uint(u) => Key::Uint(*u),
            Value::String(s) => Key::String(s.clone()),
            other => {
                return Err(EvalError::new(format!("unsupported key type: {}", other.type_name())));
            }
        })
    }

    /// Whether this key equals `v` under CEL's heterogeneous equality (`1 == 1u == 1.0`).
    fn matches(&self, v: &Value) -> bool {
        match (self, v) {
            (Key::String(a), Value::String(b)) => a == b,
            (Key::Bool(a), Value::Bool(b)) => a == b,
            (Key::Int(_) | Key::Uint(_), Value::Int(_) | Value::Uint(_) | Value::Double(_)) => {
                num_cmp(&self.to_value(), v) == Some(Ordering::Equal)
            }
            _ => false,
        }
    }
}

/// A CEL map: entries in insertion order (a JSON object keeps its order).
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<(Key, Value)>,
}

impl Map {
    /// A map of these entries; the caller guarantees the keys are distinct.
    pub(crate) fn from_entries(entries: Vec<(Key, Value)>) -> Map {
        Map { entries }
    }

    /// The value at a key equal (heterogeneously) to `key`.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k.matches(key)).map(|(_, v)| v)
    }

    /// The value at string key `key`.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| matches!(k, Key::String(s) if &**s == key)).map(|(_, v)| v)
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = &(Key, Value)> {
        self.entries.iter()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Value {
    /// The boolean, if this is a `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, if this is a `string`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A string value.
    pub(crate) fn str(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// A list value.
    pub(crate) fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// The CEL type name of this value, as `type(x)` gives it and errors print it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Duration(_) => "google.protobuf.Duration",
            Value::Timestamp(_) => "google.protobuf.Timestamp",
            Value::Optional(_) => "optional_type",
            Value::Type(_) => "type",
            Value::Url(_) => "kubernetes.URL",
            Value::Ip(_) => "net.IP",
            Value::Cidr(_) => "net.CIDR",
            Value::Quantity(_) => "kubernetes.Quantity",
            Value::Format(_) => "kubernetes.NamedFormat",
        }
    }

    /// The value of a JSON document, as Kubernetes' `UnstructuredToVal` gives it without a
    /// schema: objects are maps with string keys, integers `int` (`uint` past `i64`, else
    /// `double`), other numbers `double`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::Uint(u)
                } else {
                    Value::Double(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(Arc::new(Map::from_entries(
                o.iter().map(|(k, v)| (Key::String(Arc::from(k.as_str())), Value::from_json(v))).collect(),
            ))),
        }
    }
}

/// Compares two numbers of any numeric kinds by their mathematical value (cel-go's
/// cross-type numeric comparison, which Kubernetes enables); `None` if either is NaN or
/// either is not a number.
pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Uint(x), Value::Uint(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Uint(y)) => Some(if *x < 0 { Ordering::Less } else { (*x as u64).cmp(y) }),
        (Value::Uint(_), Value::Int(_)) => num_cmp(b, a).map(Ordering::reverse),
        (Value::Int(x), Value::Double(y)) => int_double_cmp(*x as f64, *y, i64::MIN as f64, i64::MAX as f64),
        (Value::Uint(x), Value::Double(y)) => int_double_cmp(*x as f64, *y, 0.0, u64::MAX as f64),
        (Value::Double(_), Value::Int(_) | Value::Uint(_)) => num_cmp(b, a).map(Ordering::reverse),
        _ => None,
    }
}

/// Compares an integer with a double as cel-go's `compareIntDouble` and `compareUintDouble`
/// do: a double beyond the integer type's range orders outside it, otherwise the integer is
/// converted to a double (so `9223372036854775807 == 9223372036854775808.0`).
fn int_double_cmp(x: f64, y: f64, min: f64, max: f64) -> Option<Ordering> {
    if y.is_nan() {
        None
    } else if y < min {
        Some(Ordering::Greater)
    } else if y > max {
        Some(Ordering::Less)
    } else {
        x.partial_cmp(&y)
    }
}

/// CEL equality (`==`): heterogeneous, as cel-go has it since v0.10 — numbers compare by
/// value across `int`/`uint`/`double`, values of different types are unequal (not an error),
/// lists and maps compare element by element.
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(_) | Value::Uint(_) | Value::Double(_), _) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(&k.to_value()).is_some_and(|other| equals(v, other)))
        }
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        (Value::Optional(x), Value::Optional(y)) => match (x, y) {
            (None, None) => true,
            (Some(p), Some(q)) => equals(p, q),
            _ => false,
        },
        (Value::Type(x), Value::Type(y)) => x == y,
        (Value::Url(x), Value::Url(y)) => x == y,
        (Value::Ip(x), Value::Ip(y)) => x == y,
        (Value::Cidr(x), Value::Cidr(y)) => x == y,
        (Value::Quantity(x), Value::Quantity(y)) => x.cmp(y) == Ordering::Equal,
        (Value::Format(x), Value::Format(y)) => x == y,
        _ => false,
    }
}

/// CEL ordering (`<`, `<=`, `>`, `>=`): numbers across types, and strings, bytes, bools,
/// durations and timestamps each among themselves. `Ok(None)` for NaN; an error for values
/// that have no ordering.
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>, EvalError> {
    Ok(match (a, b) {
        (Value::Int(_) | Value::Uint(_) | Value::Double(_), Value::Int(_) | Value::Uint(_) | Value::Double(_)) => {
            num_cmp(a, b)
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        _ => return Err(EvalError::no_overload("_<_", &[a, b])),
    })
}
