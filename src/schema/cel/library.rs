//! The functions: cel-go's standard library and the extensions Kubernetes enables, resolved by
//! name, call style and arity at compile time ([`lookup`]) and dispatched on the runtime types
//! of their arguments (receiver first).

use std::cmp::Ordering;
use std::sync::Arc;

use regex::Regex;

use super::EvalError;
use super::format;
use super::net;
use super::quantity::Quantity;
use super::time::{self, Timestamp};
use super::value::{Key, Map, Value, compare, equals};

/// A function's implementation: its arguments, the receiver first for a member call.
pub(crate) type Imp = fn(&[Value]) -> Result<Value, EvalError>;

type R = Result<Value, EvalError>;

/// Every function: name, whether it is called as a member (`x.f()`), arity without the
/// receiver, implementation.
const FUNCTIONS: &[(&str, bool, usize, Imp)] = &[
    // Operators.
    ("_+_", false, 2, add),
    ("_-_", false, 2, sub),
    ("_*_", false, 2, mul),
    ("_/_", false, 2, div),
    ("_%_", false, 2, rem),
    ("-_", false, 1, neg),
    ("!_", false, 1, not),
    ("_==_", false, 2, eq),
    ("_!=_", false, 2, ne),
    ("_<_", false, 2, lt),
    ("_<=_", false, 2, le),
    ("_>_", false, 2, gt),
    ("_>=_", false, 2, ge),
    ("@in", false, 2, in_),
    // Standard functions.
    ("size", false, 1, size),
    ("size", true, 0, size),
    ("contains", true, 1, contains),
    ("startsWith", true, 1, starts_with),
    ("endsWith", true, 1, ends_with),
    ("matches", true, 1, matches),
    ("matches", false, 2, matches),
    ("int", false, 1, to_int),
    ("uint", false, 1, to_uint),
    ("double", false, 1, to_double),
    ("string", false, 1, to_string),
    ("bytes", false, 1, to_bytes),
    ("bool", false, 1, to_bool),
    ("duration", false, 1, to_duration),
    ("timestamp", false, 1, to_timestamp),
    ("dyn", false, 1, dyn_),
    ("type", false, 1, type_),
    ("getHours", true, 0, time::get_hours),
    ("getHours", true, 1, time::get_hours),
    ("getMinutes", true, 0, time::get_minutes),
    ("getMinutes", true, 1, time::get_minutes),
    ("getSeconds", true, 0, time::get_seconds),
    ("getSeconds", true, 1, time::get_seconds),
    ("getMilliseconds", true, 0, time::get_milliseconds),
    ("getMilliseconds", true, 1, time::get_milliseconds),
    ("getFullYear", true, 0, time::get_full_year),
    ("getFullYear", true, 1, time::get_full_year),
    ("getMonth", true, 0, time::get_month),
    ("getMonth", true, 1, time::get_month),
    ("getDate", true, 0, time::get_date),
    ("getDate", true, 1, time::get_date),
    ("getDayOfMonth", true, 0, time::get_day_of_month),
    ("getDayOfMonth", true, 1, time::get_day_of_month),
    ("getDayOfWeek", true, 0, time::get_day_of_week),
    ("getDayOfWeek", true, 1, time::get_day_of_week),
    ("getDayOfYear", true, 0, time::get_day_of_year),
    ("getDayOfYear", true, 1, time::get_day_of_year),
    // cel-go's strings extension, version 2 (Kubernetes 1.29+).
    ("charAt", true, 1, char_at),
    ("indexOf", true, 1, index_of),
    ("indexOf", true, 2, index_of),
    ("lastIndexOf", true, 1, last_index_of),
    ("lastIndexOf", true, 2, last_index_of),
    ("lowerAscii", true, 0, lower_ascii),
    ("upperAscii", true, 0, upper_ascii),
    ("replace", true, 2, replace),
    ("replace", true, 3, replace),
    ("split", true, 1, split),
    ("split", true, 2, split),
    ("substring", true, 1, substring),
    ("substring", true, 2, substring),
    ("trim", true, 0, trim),
    ("join", true, 0, join),
    ("join", true, 1, join),
    ("format", true, 1, format::string_format),
    ("strings.quote", false, 1, quote),
    // Kubernetes' regex library.
    ("find", true, 1, find),
    ("findAll", true, 1, find_all),
    ("findAll", true, 2, find_all),
    // Kubernetes' lists library.
    ("isSorted", true, 0, is_sorted),
    ("sum", true, 0, sum),
    ("min", true, 0, min),
    ("max", true, 0, max),
    // cel-go's sets extension.
    ("sets.contains", false, 2, sets_contains),
    ("sets.equivalent", false, 2, sets_equivalent),
    ("sets.intersects", false, 2, sets_intersects),
    // cel-go's optional types.
    ("optional.of", false, 1, optional_of),
    ("optional.ofNonZeroValue", false, 1, optional_of_non_zero),
    ("optional.none", false, 0, optional_none),
    ("hasValue", true, 0, has_value),
    ("value", true, 0, value),
    ("orValue", true, 1, or_value),
    ("or", true, 1, or),
    // Kubernetes' URL library.
    ("url", false, 1, net::url),
    ("isURL", false, 1, net::is_url),
    ("getScheme", true, 0, net::get_scheme),
    ("getHost", true, 0, net::get_host),
    ("getHostname", true, 0, net::get_hostname),
    ("getPort", true, 0, net::get_port),
    ("getEscapedPath", true, 0, net::get_escaped_path),
    ("getQuery", true, 0, net::get_query),
    // Kubernetes' IP and CIDR libraries.
    ("ip", false, 1, net::ip),
    ("isIP", false, 1, net::is_ip),
    ("ip.isCanonical", false, 1, net::ip_is_canonical),
    ("family", true, 0, net::family),
    ("isUnspecified", true, 0, net::is_unspecified),
    ("isLoopback", true, 0, net::is_loopback),
    ("isLinkLocalMulticast", true, 0, net::is_link_local_multicast),
    ("isLinkLocalUnicast", true, 0, net::is_link_local_unicast),
    ("isGlobalUnicast", true, 0, net::is_global_unicast),
    ("cidr", false, 1, net::cidr),
    ("isCIDR", false, 1, net::is_cidr),
    ("containsIP", true, 1, net::contains_ip),
    ("containsCIDR", true, 1, net::contains_cidr),
    ("ip", true, 0, net::cidr_ip),
    ("masked", true, 0, net::masked),
    ("prefixLength", true, 0, net::prefix_length),
    // Kubernetes' quantity library.
    ("quantity", false, 1, quantity),
    ("isQuantity", false, 1, is_quantity),
    ("sign", true, 0, quantity_sign),
    ("isInteger", true, 0, quantity_is_integer),
    ("asInteger", true, 0, quantity_as_integer),
    ("asApproximateFloat", true, 0, quantity_as_float),
    ("add", true, 1, quantity_add),
    ("sub", true, 1, quantity_sub),
    ("isGreaterThan", true, 1, quantity_greater),
    ("isLessThan", true, 1, quantity_less),
    ("compareTo", true, 1, quantity_compare),
    // Kubernetes' format library.
    ("format.named", false, 1, format::named),
    ("format.dns1123Label", false, 0, format::named_dns1123_label),
    ("format.dns1123Subdomain", false, 0, format::named_dns1123_subdomain),
    ("format.dns1035Label", false, 0, format::named_dns1035_label),
    ("format.qualifiedName", false, 0, format::named_qualified_name),
    ("format.dns1123LabelPrefix", false, 0, format::named_dns1123_label_prefix),
    ("format.dns1123SubdomainPrefix", false, 0, format::named_dns1123_subdomain_prefix),
    ("format.dns1035LabelPrefix", false, 0, format::named_dns1035_label_prefix),
    ("format.labelValue", false, 0, format::named_label_value),
    ("format.uri", false, 0, format::named_uri),
    ("format.uuid", false, 0, format::named_uuid),
    ("format.byte", false, 0, format::named_byte),
    ("format.date", false, 0, format::named_date),
    ("format.datetime", false, 0, format::named_datetime),
    ("validate", true, 1, format::validate),
];

/// The implementation of `name` called in this style with `arity` arguments.
pub(crate) fn lookup(name: &str, member: bool, arity: usize) -> Option<Imp> {
    FUNCTIONS.iter().find(|(n, m, a, _)| *n == name && *m == member && *a == arity).map(|(_, _, _, imp)| *imp)
}

/// Whether any overload of `name` exists (to tell an arity error from an unknown name).
pub(crate) fn is_known(name: &str) -> bool {
    FUNCTIONS.iter().any(|(n, ..)| *n == name)
}

fn no_overload(name: &str, args: &[Value]) -> EvalError {
    EvalError::no_overload(name, &args.iter().collect::<Vec<_>>())
}

fn overflow() -> EvalError {
    EvalError::new("integer overflow")
}

fn uint_overflow() -> EvalError {
    EvalError::new("unsigned integer overflow")
}

/// A value as `string()` or an error message prints it.
pub(crate) fn display(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => format_double(*d),
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::List(l) => format!("[{}]", l.iter().map(display).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{}: {}", display(&k.to_value()), display(v))).collect::<Vec<_>>().join(", ")
        ),
        Value::Duration(d) => time::format_duration(*d),
        Value::Timestamp(t) => t.to_rfc3339(),
        Value::Optional(None) => "optional.none()".into(),
        Value::Optional(Some(v)) => format!("optional.of({})", display(v)),
        Value::Type(t) => (*t).into(),
        Value::Url(u) => u.to_string(),
        Value::Ip(ip) => ip.to_string(),
        Value::Cidr(c) => c.to_string(),
        Value::Quantity(q) => q.to_string(),
        Value::Format(f) => (*f).into(),
    }
}

/// A double as Go's `%g` prints it (cel-go's `string(double)`): the shortest digits that
/// round-trip, in exponent form below 1e-4 and from 1e6 on.
pub(crate) fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e3".
    let e = format!("{:e}", d.abs());
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if d < 0.0 { "-" } else { "" };
    // Go's strconv with the shortest precision: %e when exp < -4 || exp >= 6.
    let dp = exp + 1;
    if !(-4..6).contains(&exp) {
        let frac = &digits[1..];
        let m = if frac.is_empty() { digits[..1].to_string() } else { format!("{}.{frac}", &digits[..1]) };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    if dp <= 0 {
        return format!("{sign}0.{}{digits}", "0".repeat((-dp) as usize));
    }
    let dp = dp as usize;
    if digits.len() <= dp {
        format!("{sign}{digits}{}", "0".repeat(dp - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..dp], &digits[dp..])
    }
}

fn add(a: &[Value]) -> R {
    Ok(match (&a[0], &a[1]) {
        (Value::Int(x), Value::Int(y)) => Value::Int(x.checked_add(*y).ok_or_else(overflow)?),
        (Value::Uint(x), Value::Uint(y)) => Value::Uint(x.checked_add(*y).ok_or_else(uint_overflow)?),
        (Value::Double(x), Value::Double(y)) => Value::Double(x + y),
        (Value::String(x), Value::String(y)) => Value::String(format!("{x}{y}").into()),
        (Value::Bytes(x), Value::Bytes(y)) => Value::Bytes([&x[..], &y[..]].concat().into()),
        (Value::List(x), Value::List(y)) => Value::list(x.iter().chain(y.iter()).cloned().collect()),
        (Value::Duration(x), Value::Duration(y)) => Value::Duration(x.checked_add(*y).ok_or_else(overflow)?),
        (Value::Timestamp(t), Value::Duration(d)) | (Value::Duration(d), Value::Timestamp(t)) => {
            Value::Timestamp(t.add_nanos(*d)?)
        }
        _ => return Err(no_overload("_+_", a)),
    })
}

fn sub(a: &[Value]) -> R {
    Ok(match (&a[0], &a[1]) {
        (Value::Int(x), Value::Int(y)) => Value::Int(x.checked_sub(*y).ok_or_else(overflow)?),
        (Value::Uint(x), Value::Uint(y)) => Value::Uint(x.checked_sub(*y).ok_or_else(uint_overflow)?),
        (Value::Double(x), Value::Double(y)) => Value::Double(x - y),
        (Value::Duration(x), Value::Duration(y)) => Value::Duration(x.checked_sub(*y).ok_or_else(overflow)?),
        (Value::Timestamp(t), Value::Duration(d)) => {
            Value::Timestamp(t.add_nanos(d.checked_neg().ok_or_else(overflow)?)?)
        }
        (Value::Timestamp(x), Value::Timestamp(y)) => Value::Duration(x.diff(y)?),
        _ => return Err(no_overload("_-_", a)),
    })
}

fn mul(a: &[Value]) -> R {
    Ok(match (&a[0], &a[1]) {
        (Value::Int(x), Value::Int(y)) => Value::Int(x.checked_mul(*y).ok_or_else(overflow)?),
        (Value::Uint(x), Value::Uint(y)) => Value::Uint(x.checked_mul(*y).ok_or_else(uint_overflow)?),
        (Value::Double(x), Value::Double(y)) => Value::Double(x * y),
        _ => return Err(no_overload("_*_", a)),
    })
}

fn div(a: &[Value]) -> R {
    Ok(match (&a[0], &a[1]) {
        (Value::Int(_) | Value::Uint(_), Value::Int(0) | Value::Uint(0)) => {
            return Err(EvalError::new("division by zero"));
        }
        (Value::Int(x), Value::Int(y)) => Value::Int(x.checked_div(*y).ok_or_else(overflow)?),
        (Value::Uint(x), Value::Uint(y)) => Value::Uint(x / y),
        (Value::Double(x), Value::Double(y)) => Value::Double(x / y),
        _ => return Err(no_overload("_/_", a)),
    })
}

fn rem(a: &[Value]) -> R {
    Ok(match (&a[0], &a[1]) {
        (Value::Int(_) | Value::Uint(_), Value::Int(0) | Value::Uint(0)) => {
            return Err(EvalError::new("modulus by zero"));
        }
        (Value::Int(x), Value::Int(y)) => Value::Int(x.checked_rem(*y).ok_or_else(overflow)?),
        (Value::Uint(x), Value::Uint(y)) => Value::Uint(x % y),
        _ => return Err(no_overload("_%_", a)),
    })
}

fn neg(a: &[Value]) -> R {
    Ok(match &a[0] {
        Value::Int(x) => Value::Int(x.checked_neg().ok_or_else(overflow)?),
        Value::Double(x) => Value::Double(-x),
        Value::Duration(x) => Value::Duration(x.checked_neg().ok_or_else(overflow)?),
        _ => return Err(no_overload("-_", a)),
    })
}

fn not(a: &[Value]) -> R {
    match &a[0] {
        Value::Bool(b) => Ok(Value::Bool(!b)),
        _ => Err(no_overload("!_", a)),
    }
}

fn eq(a: &[Value]) -> R {
    Ok(Value::Bool(equals(&a[0], &a[1])))
}

fn ne(a: &[Value]) -> R {
    Ok(Value::Bool(!equals(&a[0], &a[1])))
}

fn ordered(a: &[Value], test: fn(Ordering) -> bool) -> R {
    Ok(Value::Bool(compare(&a[0], &a[1])?.is_some_and(test)))
}

fn lt(a: &[Value]) -> R {
    ordered(a, Ordering::is_lt)
}

fn le(a: &[Value]) -> R {
    ordered(a, Ordering::is_le)
}

fn gt(a: &[Value]) -> R {
    ordered(a, Ordering::is_gt)
}

fn ge(a: &[Value]) -> R {
    ordered(a, Ordering::is_ge)
}

fn in_(a: &[Value]) -> R {
    match &a[1] {
        Value::List(l) => Ok(Value::Bool(l.iter().any(|x| equals(x, &a[0])))),
        Value::Map(m) => Ok(Value::Bool(m.get(&a[0]).is_some())),
        _ => Err(no_overload("@in", a)),
    }
}

fn size(a: &[Value]) -> R {
    Ok(Value::Int(match &a[0] {
        Value::String(s) => s.chars().count() as i64,
        Value::Bytes(b) => b.len() as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.len() as i64,
        _ => return Err(no_overload("size", a)),
    }))
}

/// Two string arguments, or no such overload.
fn strs<'a>(name: &str, a: &'a [Value]) -> Result<(&'a str, &'a str), EvalError> {
    match (&a[0], &a[1]) {
        (Value::String(x), Value::String(y)) => Ok((x, y)),
        _ => Err(no_overload(name, a)),
    }
}

fn contains(a: &[Value]) -> R {
    let (s, sub) = strs("contains", a)?;
    Ok(Value::Bool(s.contains(sub)))
}

fn starts_with(a: &[Value]) -> R {
    let (s, p) = strs("startsWith", a)?;
    Ok(Value::Bool(s.starts_with(p)))
}

fn ends_with(a: &[Value]) -> R {
    let (s, p) = strs("endsWith", a)?;
    Ok(Value::Bool(s.ends_with(p)))
}

/// Compiles an RE2 pattern with the `regex` crate. RE2's Perl classes (`\d`, `\w`, `\s`,
/// `\b`) are ASCII-only where the crate's are Unicode, so they are rewritten to ASCII forms.
pub(crate) fn compile_regex(pattern: &str) -> Result<Arc<Regex>, EvalError> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push(c);
            break;
        };
        match e {
            'd' => out.push_str("[0-9]"),
            'D' => out.push_str("[^0-9]"),
            'w' => out.push_str("[0-9A-Za-z_]"),
            'W' => out.push_str("[^0-9A-Za-z_]"),
            's' => out.push_str("[\\t\\n\\x0C\\r ]"),
            'S' => out.push_str("[^\\t\\n\\x0C\\r ]"),
            'b' => out.push_str("(?-u:\\b)"),
            'B' => out.push_str("(?-u:\\B)"),
            _ => {
                out.push(c);
                out.push(e);
            }
        }
    }
    Regex::new(&out).map(Arc::new).map_err(|e| EvalError::new(format!("error parsing regexp: {e}")))
}

/// What a regex function computes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RegexOp {
    Matches,
    Find,
    FindAll,
}

/// `s.matches(re)`, `s.find(re)`, `s.findAll(re[, n])` with `re` compiled.
pub(crate) fn regex_op(op: RegexOp, re: &Regex, a: &[Value]) -> R {
    let Value::String(s) = &a[0] else {
        return Err(no_overload("matches", a));
    };
    match op {
        RegexOp::Matches => Ok(Value::Bool(re.is_match(s))),
        RegexOp::Find => Ok(Value::str(re.find(s).map_or("", |m| m.as_str()))),
        RegexOp::FindAll => {
            let limit = match a.get(1) {
                None => None,
                Some(Value::Int(n)) if *n < 0 => None,
                Some(Value::Int(n)) => Some(usize::try_from(*n).unwrap_or(usize::MAX)),
                Some(_) => return Err(no_overload("findAll", a)),
            };
            let all = re.find_iter(s).map(|m| Value::str(m.as_str()));
            Ok(Value::list(match limit {
                Some(n) => all.take(n).collect(),
                None => all.collect(),
            }))
        }
    }
}

fn pattern_call(op: RegexOp, name: &str, a: &[Value]) -> R {
    let (subject, pattern) = (&a[0], &a[1]);
    let Value::String(p) = pattern else {
        return Err(no_overload(name, a));
    };
    let re = compile_regex(p)?;
    let mut args = vec![subject.clone()];
    args.extend(a[2..].iter().cloned());
    regex_op(op, &re, &args)
}

fn matches(a: &[Value]) -> R {
    pattern_call(RegexOp::Matches, "matches", a)
}

fn find(a: &[Value]) -> R {
    pattern_call(RegexOp::Find, "find", a)
}

fn find_all(a: &[Value]) -> R {
    pattern_call(RegexOp::FindAll, "findAll", a)
}

fn to_int(a: &[Value]) -> R {
    Ok(Value::Int(match &a[0] {
        Value::Int(i) => *i,
        Value::Uint(u) => i64::try_from(*u).map_err(|_| overflow())?,
        Value::Double(d) => {
            // cel-go's doubleToInt64Checked: finite and strictly inside the int64 range.
            if !(d.is_finite() && *d > i64::MIN as f64 && *d < i64::MAX as f64) {
                return Err(overflow());
            }
            *d as i64
        }
        Value::String(s) => s.parse().map_err(|_| EvalError::new(format!("cannot convert string '{s}' to int")))?,
        Value::Timestamp(t) => t.unix_seconds(),
        Value::Duration(d) => *d,
        _ => return Err(no_overload("int", a)),
    }))
}

fn to_uint(a: &[Value]) -> R {
    Ok(Value::Uint(match &a[0] {
        Value::Uint(u) => *u,
        Value::Int(i) => u64::try_from(*i).map_err(|_| uint_overflow())?,
        Value::Double(d) => {
            // cel-go's doubleToUint64Checked.
            if !(d.is_finite() && *d >= 0.0 && *d < u64::MAX as f64) {
                return Err(uint_overflow());
            }
            *d as u64
        }
        // Go's ParseUint takes no sign.
        Value::String(s) if !s.starts_with('+') => {
            s.parse().map_err(|_| EvalError::new(format!("cannot convert string '{s}' to uint")))?
        }
        Value::String(s) => {
            return Err(EvalError::new(format!("cannot convert string '{s}' to uint")));
        }
        _ => return Err(no_overload("uint", a)),
    }))
}

fn to_double(a: &[Value]) -> R {
    Ok(Value::Double(match &a[0] {
        Value::Double(d) => *d,
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::String(s) => s.parse().map_err(|_| EvalError::new(format!("cannot convert string '{s}' to double")))?,
        _ => return Err(no_overload("double", a)),
    }))
}

fn to_string(a: &[Value]) -> R {
    match &a[0] {
        Value::String(_) => Ok(a[0].clone()),
        Value::Bytes(b) => std::str::from_utf8(b)
            .map(Value::str)
            .map_err(|_| EvalError::new("invalid UTF-8 in bytes, cannot convert to string")),
        v @ (Value::Bool(_)
        | Value::Int(_)
        | Value::Uint(_)
        | Value::Double(_)
        | Value::Duration(_)
        | Value::Timestamp(_)
        | Value::Ip(_)
        | Value::Cidr(_)) => Ok(Value::str(&display(v))),
        _ => Err(no_overload("string", a)),
    }
}

fn to_bytes(a: &[Value]) -> R {
    match &a[0] {
        Value::Bytes(_) => Ok(a[0].clone()),
        Value::String(s) => Ok(Value::Bytes(s.as_bytes().into())),
        _ => Err(no_overload("bytes", a)),
    }
}

fn to_bool(a: &[Value]) -> R {
    match &a[0] {
        Value::Bool(_) => Ok(a[0].clone()),
        // Go's strconv.ParseBool.
        Value::String(s) => match &**s {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Value::Bool(true)),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Value::Bool(false)),
            _ => Err(EvalError::new(format!("cannot convert string '{s}' to bool"))),
        },
        _ => Err(no_overload("bool", a)),
    }
}

/// `duration(string)`: Go's `time.ParseDuration` syntax, as cel-go parses it.
pub(crate) fn to_duration(a: &[Value]) -> R {
    match &a[0] {
        Value::Duration(_) => Ok(a[0].clone()),
        Value::String(s) => time::parse_duration(s)
            .map(Value::Duration)
            .map_err(|e| EvalError::new(format!("invalid duration '{s}': {e}"))),
        _ => Err(no_overload("duration", a)),
    }
}

/// `timestamp(string)` (RFC 3339) or `timestamp(int)` (Unix seconds).
pub(crate) fn to_timestamp(a: &[Value]) -> R {
    match &a[0] {
        Value::Timestamp(_) => Ok(a[0].clone()),
        Value::String(s) => Timestamp::parse_rfc3339(s)
            .map(Value::Timestamp)
            .map_err(|e| EvalError::new(format!("invalid timestamp '{s}': {e}"))),
        Value::Int(i) => Timestamp::from_unix(*i, 0).map(Value::Timestamp),
        _ => Err(no_overload("timestamp", a)),
    }
}

fn dyn_(a: &[Value]) -> R {
    Ok(a[0].clone())
}

fn type_(a: &[Value]) -> R {
    Ok(Value::Type(a[0].type_name()))
}

fn int_arg(name: &str, a: &[Value], i: usize) -> Result<Option<i64>, EvalError> {
    match a.get(i) {
        None => Ok(None),
        Some(Value::Int(n)) => Ok(Some(*n)),
        Some(_) => Err(no_overload(name, a)),
    }
}

fn str_arg<'a>(name: &str, a: &'a [Value], i: usize) -> Result<&'a str, EvalError> {
    match a.get(i) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(no_overload(name, a)),
    }
}

fn range_err(i: i64) -> EvalError {
    EvalError::new(format!("index out of range: {i}"))
}

fn char_at(a: &[Value]) -> R {
    let s = str_arg("charAt", a, 0)?;
    let i = int_arg("charAt", a, 1)?.unwrap_or(0);
    let chars: Vec<char> = s.chars().collect();
    match usize::try_from(i) {
        Ok(n) if n < chars.len() => Ok(Value::str(&chars[n].to_string())),
        Ok(n) if n == chars.len() => Ok(Value::str("")),
        _ => Err(range_err(i)),
    }
}

/// `indexOf` on a string (cel-go's `indexOfOffset`, in code points) or, from Kubernetes'
/// lists library, on a list.
fn index_of(a: &[Value]) -> R {
    if let Value::List(l) = &a[0] {
        if a.len() != 2 {
            return Err(no_overload("indexOf", a));
        }
        return Ok(Value::Int(l.iter().position(|x| equals(x, &a[1])).map_or(-1, |i| i as i64)));
    }
    let s = str_arg("indexOf", a, 0)?;
    let sub = str_arg("indexOf", a, 1)?;
    let off = int_arg("indexOf", a, 2)?.unwrap_or(0);
    if off < 0 {
        return Err(range_err(off));
    }
    let runes: Vec<char> = s.chars().collect();
    let subr: Vec<char> = sub.chars().collect();
    let off = usize::try_from(off).unwrap_or(usize::MAX);
    if subr.is_empty() {
        return Ok(Value::Int(off.min(runes.len()) as i64));
    }
    if off >= runes.len() || subr.len() > runes.len() {
        return Ok(Value::Int(-1));
    }
    Ok(Value::Int(
        (off..=runes.len() - subr.len()).find(|&i| runes[i..i + subr.len()] == subr[..]).map_or(-1, |i| i as i64),
    ))
}

fn last_index_of(a: &[Value]) -> R {
    if let Value::List(l) = &a[0] {
        if a.len() != 2 {
            return Err(no_overload("lastIndexOf", a));
        }
        return Ok(Value::Int(l.iter().rposition(|x| equals(x, &a[1])).map_or(-1, |i| i as i64)));
    }
    let s = str_arg("lastIndexOf", a, 0)?;
    let sub = str_arg("lastIndexOf", a, 1)?;
    let runes: Vec<char> = s.chars().collect();
    let subr: Vec<char> = sub.chars().collect();
    let off = int_arg("lastIndexOf", a, 2)?.unwrap_or(runes.len() as i64);
    if off < 0 {
        return Err(range_err(off));
    }
    let off = usize::try_from(off).unwrap_or(usize::MAX);
    if subr.is_empty() {
        return Ok(Value::Int(off.min(runes.len()) as i64));
    }
    // Without an offset, the search starts at the end; with one past the end, nothing is found.
    if (a.len() == 3 && off >= runes.len()) || subr.len() > runes.len() {
        return Ok(Value::Int(-1));
    }
    let start = off.min(runes.len() - subr.len());
    Ok(Value::Int((0..=start).rev().find(|&i| runes[i..i + subr.len()] == subr[..]).map_or(-1, |i| i as i64)))
}

fn lower_ascii(a: &[Value]) -> R {
    Ok(Value::str(&str_arg("lowerAscii", a, 0)?.to_ascii_lowercase()))
}

fn upper_ascii(a: &[Value]) -> R {
    Ok(Value::str(&str_arg("upperAscii", a, 0)?.to_ascii_uppercase()))
}

/// `replace(old, new[, n])`: Go's `strings.Replace`, all occurrences for a negative `n`.
fn replace(a: &[Value]) -> R {
    let s = str_arg("replace", a, 0)?;
    let old = str_arg("replace", a, 1)?;
    let new = str_arg("replace", a, 2)?;
    let n = int_arg("replace", a, 3)?.unwrap_or(-1);
    if n < 0 {
        return Ok(Value::str(&go_replace(s, old, new, usize::MAX)));
    }
    Ok(Value::str(&go_replace(s, old, new, usize::try_from(n).unwrap_or(usize::MAX))))
}

/// Go's `strings.Replace`: an empty `old` matches before each code point and at the end.
fn go_replace(s: &str, old: &str, new: &str, n: usize) -> String {
    if !old.is_empty() {
        return s.replacen(old, new, n);
    }
    let mut out = String::new();
    let mut count = 0;
    for c in s.chars() {
        if count < n {
            out.push_str(new);
            count += 1;
        }
        out.push(c);
    }
    if count < n {
        out.push_str(new);
    }
    out
}

/// `split(sep[, n])`: Go's `strings.SplitN` (`n < 0`: all; `n == 0`: none; an empty
/// separator splits code points).
fn split(a: &[Value]) -> R {
    let s = str_arg("split", a, 0)?;
    let sep = str_arg("split", a, 1)?;
    let n = int_arg("split", a, 2)?.unwrap_or(-1);
    if n == 0 {
        return Ok(Value::list(Vec::new()));
    }
    let limit = if n < 0 { usize::MAX } else { usize::try_from(n).unwrap_or(usize::MAX) };
    let parts: Vec<Value> = if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let mut parts: Vec<Value> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if parts.len() + 1 == limit {
                parts.push(Value::str(&chars[i..].iter().collect::<String>()));
                break;
            }
            parts.push(Value::str(&c.to_string()));
        }
        parts
    } else {
        s.splitn(limit, sep).map(Value::str).collect()
    };
    Ok(Value::list(parts))
}

fn substring(a: &[Value]) -> R {
    let s = str_arg("substring", a, 0)?;
    let chars: Vec<char> = s.chars().collect();
    let start = int_arg("substring", a, 1)?.unwrap_or(0);
    let end = int_arg("substring", a, 2)?;
    if let Some(end) = end
        && start > end
    {
        return Err(EvalError::new(format!("invalid substring range. start: {start}, end: {end}")));
    }
    let bound = |i: i64| match usize::try_from(i) {
        Ok(n) if n <= chars.len() => Ok(n),
        _ => Err(range_err(i)),
    };
    let from = bound(start)?;
    let to = match end {
        Some(e) => bound(e)?,
        None => chars.len(),
    };
    Ok(Value::str(&chars[from..to].iter().collect::<String>()))
}

/// `trim()`: Go's `strings.TrimSpace` (Unicode white space).
fn trim(a: &[Value]) -> R {
    Ok(Value::str(str_arg("trim", a, 0)?.trim()))
}

fn join(a: &[Value]) -> R {
    let Value::List(l) = &a[0] else {
        return Err(no_overload("join", a));
    };
    let sep = if a.len() == 2 { str_arg("join", a, 1)? } else { "" };
    let mut parts = Vec::with_capacity(l.len());
    for v in l.iter() {
        match v {
            Value::String(s) => parts.push(&**s),
            other => {
                return Err(EvalError::new(format!("join: invalid input: {}", display(other))));
            }
        }
    }
    Ok(Value::str(&parts.join(sep)))
}

/// `strings.quote(s)`: `s` in double quotes with CEL escapes.
fn quote(a: &[Value]) -> R {
    let s = str_arg("strings.quote", a, 0)?;
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(Value::str(&out))
}

fn list_arg<'a>(name: &str, a: &'a [Value], i: usize) -> Result<&'a Arc<Vec<Value>>, EvalError> {
    match a.get(i) {
        Some(Value::List(l)) => Ok(l),
        _ => Err(no_overload(name, a)),
    }
}

fn cmp_values(x: &Value, y: &Value) -> Result<Ordering, EvalError> {
    Ok(compare(x, y)?.unwrap_or(Ordering::Equal))
}

fn is_sorted(a: &[Value]) -> R {
    let l = list_arg("isSorted", a, 0)?;
    for w in l.windows(2) {
        if cmp_values(&w[0], &w[1])? == Ordering::Greater {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn sum(a: &[Value]) -> R {
    let l = list_arg("sum", a, 0)?;
    let mut iter = l.iter();
    let Some(first) = iter.next() else {
        return Ok(Value::Int(0));
    };
    let mut acc = first.clone();
    for v in iter {
        acc = add(&[acc, v.clone()])?;
    }
    Ok(acc)
}

fn extreme(name: &str, a: &[Value], want: Ordering) -> R {
    let l = list_arg(name, a, 0)?;
    let mut iter = l.iter();
    let Some(first) = iter.next() else {
        return Err(EvalError::new(format!("{name} called on empty list")));
    };
    let mut best = first;
    for v in iter {
        if cmp_values(v, best)? == want {
            best = v;
        }
    }
    Ok(best.clone())
}

fn min(a: &[Value]) -> R {
    extreme("min", a, Ordering::Less)
}

fn max(a: &[Value]) -> R {
    extreme("max", a, Ordering::Greater)
}

fn sets_contains(a: &[Value]) -> R {
    let (x, y) = (list_arg("sets.contains", a, 0)?, list_arg("sets.contains", a, 1)?);
    Ok(Value::Bool(y.iter().all(|v| x.iter().any(|w| equals(v, w)))))
}

fn sets_equivalent(a: &[Value]) -> R {
    let (x, y) = (list_arg("sets.equivalent", a, 0)?, list_arg("sets.equivalent", a, 1)?);
    Ok(Value::Bool(
        y.iter().all(|v| x.iter().any(|w| equals(v, w))) && x.iter().all(|v| y.iter().any(|w| equals(v, w))),
    ))
}

fn sets_intersects(a: &[Value]) -> R {
    let (x, y) = (list_arg("sets.intersects", a, 0)?, list_arg("sets.intersects", a, 1)?);
    Ok(Value::Bool(y.iter().any(|v| x.iter().any(|w| equals(v, w)))))
}

fn optional_of(a: &[Value]) -> R {
    Ok(Value::Optional(Some(Box::new(a[0].clone()))))
}

/// `optional.ofNonZeroValue(x)`: none for a type's zero value (`0`, `""`, `[]`, `{}`…).
fn optional_of_non_zero(a: &[Value]) -> R {
    let zero = match &a[0] {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Double(d) => *d == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Duration(d) => *d == 0,
        Value::Timestamp(t) => t.unix_seconds() == 0 && t.nanos() == 0,
        _ => false,
    };
    Ok(Value::Optional((!zero).then(|| Box::new(a[0].clone()))))
}

fn optional_none(_: &[Value]) -> R {
    Ok(Value::Optional(None))
}

fn has_value(a: &[Value]) -> R {
    match &a[0] {
        Value::Optional(o) => Ok(Value::Bool(o.is_some())),
        _ => Err(no_overload("hasValue", a)),
    }
}

fn value(a: &[Value]) -> R {
    match &a[0] {
        Value::Optional(Some(v)) => Ok((**v).clone()),
        Value::Optional(None) => Err(EvalError::new("optional.none() dereference")),
        _ => Err(no_overload("value", a)),
    }
}

fn or_value(a: &[Value]) -> R {
    match &a[0] {
        Value::Optional(Some(v)) => Ok((**v).clone()),
        Value::Optional(None) => Ok(a[1].clone()),
        _ => Err(no_overload("orValue", a)),
    }
}

fn or(a: &[Value]) -> R {
    match (&a[0], &a[1]) {
        (Value::Optional(Some(_)), Value::Optional(_)) => Ok(a[0].clone()),
        (Value::Optional(None), Value::Optional(_)) => Ok(a[1].clone()),
        _ => Err(no_overload("or", a)),
    }
}

fn quantity(a: &[Value]) -> R {
    let s = str_arg("quantity", a, 0)?;
    Quantity::parse(s).map(Value::Quantity).map_err(EvalError::new)
}

fn is_quantity(a: &[Value]) -> R {
    Ok(Value::Bool(Quantity::parse(str_arg("isQuantity", a, 0)?).is_ok()))
}

fn quantity_arg<'a>(name: &str, a: &'a [Value], i: usize) -> Result<&'a Quantity, EvalError> {
    match a.get(i) {
        Some(Value::Quantity(q)) => Ok(q),
        _ => Err(no_overload(name, a)),
    }
}

fn quantity_sign(a: &[Value]) -> R {
    Ok(Value::Int(quantity_arg("sign", a, 0)?.sign()))
}

fn quantity_is_integer(a: &[Value]) -> R {
    Ok(Value::Bool(quantity_arg("isInteger", a, 0)?.as_integer().is_some()))
}

fn quantity_as_integer(a: &[Value]) -> R {
    quantity_arg("asInteger", a, 0)?
        .as_integer()
        .map(Value::Int)
        .ok_or_else(|| EvalError::new("cannot convert value to integer"))
}

fn quantity_as_float(a: &[Value]) -> R {
    Ok(Value::Double(quantity_arg("asApproximateFloat", a, 0)?.as_f64()))
}

/// The right operand of a quantity's `add`/`sub`: a quantity or an int.
fn quantity_operand(name: &str, a: &[Value]) -> Result<Quantity, EvalError> {
    match &a[1] {
        Value::Quantity(q) => Ok(q.clone()),
        Value::Int(i) => Ok(Quantity::from_int(*i)),
        _ => Err(no_overload(name, a)),
    }
}

fn quantity_add(a: &[Value]) -> R {
    let q = quantity_arg("add", a, 0)?;
    let r = quantity_operand("add", a)?;
    q.add(&r).map(Value::Quantity).map_err(EvalError::new)
}

fn quantity_sub(a: &[Value]) -> R {
    let q = quantity_arg("sub", a, 0)?;
    let r = quantity_operand("sub", a)?.negated();
    q.add(&r).map(Value::Quantity).map_err(EvalError::new)
}

fn quantity_greater(a: &[Value]) -> R {
    let (q, r) = (quantity_arg("isGreaterThan", a, 0)?, quantity_arg("isGreaterThan", a, 1)?);
    Ok(Value::Bool(q.cmp(r) == Ordering::Greater))
}

fn quantity_less(a: &[Value]) -> R {
    let (q, r) = (quantity_arg("isLessThan", a, 0)?, quantity_arg("isLessThan", a, 1)?);
    Ok(Value::Bool(q.cmp(r) == Ordering::Less))
}

fn quantity_compare(a: &[Value]) -> R {
    let (q, r) = (quantity_arg("compareTo", a, 0)?, quantity_arg("compareTo", a, 1)?);
    Ok(Value::Int(match q.cmp(r) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

/// A map value of string keys, for library functions that build maps.
pub(crate) fn string_map(entries: Vec<(String, Value)>) -> Value {
    Value::Map(Arc::new(Map::from_entries(entries.into_iter().map(|(k, v)| (Key::String(k.into()), v)).collect())))
}
