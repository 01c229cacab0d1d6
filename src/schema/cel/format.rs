//! Kubernetes' format library (`k8s.io/apiserver/pkg/cel/library/format.go`) — named string
//! validations whose messages are apimachinery's (`k8s.io/apimachinery/pkg/util/validation`) —
//! and the strings extension's `format()`.

use std::sync::OnceLock;

use regex::Regex;

use super::EvalError;
use super::library::{display, format_double};
use super::net::is_request_uri;
use super::time::Timestamp;
use super::value::Value;
use crate::schema::apimachinery::{dns1035_label, dns1123_label, dns1123_subdomain, label_value, qualified_name};

type R = Result<Value, EvalError>;

/// kube-openapi's strfmt `UUIDPattern`, compiled once.
fn uuid() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new("(?i)(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)|(^[0-9a-f]{32}$)")
            .expect("a valid built-in regex")
    })
}

/// apimachinery's `maskTrailingDash`, for the `…Prefix` formats (a name prefix may end in `-`).
fn mask_trailing_dash(s: &str) -> String {
    match s.strip_suffix('-') {
        Some(rest) if s.len() > 1 => format!("{rest}a"),
        _ => s.to_string(),
    }
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    pad <= 2 && b[..b.len() - pad].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z")).is_ok()
}

/// kube-openapi's `ParseDateTime` accepts RFC 3339 with or without the offset's colon.
fn is_datetime(s: &str) -> bool {
    if Timestamp::parse_rfc3339(s).is_ok() {
        return true;
    }
    let n = s.len();
    n > 5
        && s.is_char_boundary(n - 5)
        && matches!(s.as_bytes()[n - 5], b'+' | b'-')
        && Timestamp::parse_rfc3339(&format!("{}:{}", &s[..n - 2], &s[n - 2..])).is_ok()
}

/// Runs the named format's validation of `s`.
fn run(name: &str, s: &str) -> Vec<String> {
    let one = |ok: bool, msg: &str| if ok { Vec::new() } else { vec![msg.to_string()] };
    match name {
        "dns1123Label" => dns1123_label(s),
        "dns1123Subdomain" => dns1123_subdomain(s),
        "dns1035Label" => dns1035_label(s),
        "qualifiedName" => qualified_name(s),
        "dns1123LabelPrefix" => dns1123_label(&mask_trailing_dash(s)),
        "dns1123SubdomainPrefix" => dns1123_subdomain(&mask_trailing_dash(s)),
        "dns1035LabelPrefix" => dns1035_label(&mask_trailing_dash(s)),
        "labelValue" => label_value(s),
        "uri" => match is_request_uri(s) {
            Ok(()) => Vec::new(),
            Err(e) => vec![format!("parse \"{s}\": {e}")],
        },
        "uuid" => one(uuid().is_match(s), "does not match the UUID format"),
        "byte" => one(is_base64(s), "invalid base64"),
        "date" => one(is_date(s), "invalid date"),
        _ => one(is_datetime(s), "invalid datetime"),
    }
}

/// The named formats, in `format.named`'s spelling.
const NAMES: &[&str] = &[
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// `format.named(name)`: the format, or none for an unknown name.
pub(crate) fn named(a: &[Value]) -> R {
    match &a[0] {
        Value::String(s) => Ok(Value::Optional(NAMES.iter().find(|n| **n == &**s).map(|n| Box::new(Value::Format(n))))),
        other => Err(EvalError::no_overload("format.named", &[other])),
    }
}

macro_rules! constant_formats {
    ($($fn:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("`format.", $name, "()`.")]
            pub(crate) fn $fn(_: &[Value]) -> R {
                Ok(Value::Format($name))
            }
        )*
    };
}

constant_formats! {
    named_dns1123_label => "dns1123Label",
    named_dns1123_subdomain => "dns1123Subdomain",
    named_dns1035_label => "dns1035Label",
    named_qualified_name => "qualifiedName",
    named_dns1123_label_prefix => "dns1123LabelPrefix",
    named_dns1123_subdomain_prefix => "dns1123SubdomainPrefix",
    named_dns1035_label_prefix => "dns1035LabelPrefix",
    named_label_value => "labelValue",
    named_uri => "uri",
    named_uuid => "uuid",
    named_byte => "byte",
    named_date => "date",
    named_datetime => "datetime",
}

/// `<format>.validate(s)`: none if `s` is valid, else the list of errors.
pub(crate) fn validate(a: &[Value]) -> R {
    match (&a[0], &a[1]) {
        (Value::Format(name), Value::String(s)) => {
            let errs = run(name, s);
            Ok(Value::Optional(
                (!errs.is_empty()).then(|| Box::new(Value::list(errs.iter().map(|e| Value::str(e)).collect()))),
            ))
        }
        (x, y) => Err(EvalError::no_overload("validate", &[x, y])),
    }
}

fn clause_error(msg: impl std::fmt::Display) -> EvalError {
    EvalError::new(format!("error during formatting: {msg}"))
}

/// One `%` clause of `format()` applied to `arg`: `%s`, `%d`, `%f`/`%e` (with `.N`
/// precision), `%b`, `%o`, `%x`, `%X`.
fn format_clause(verb: char, precision: Option<usize>, arg: &Value) -> Result<String, EvalError> {
    let float = |d: f64, exp: bool| {
        let p = precision.unwrap_or(6);
        if d.is_nan() {
            return "NaN".to_string();
        }
        if d.is_infinite() {
            return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
        }
        if exp {
            let s = format!("{d:.p$e}");
            // Rust prints `1.5e2`; Go prints `1.5e+02`.
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        } else {
            format!("{d:.p$}")
        }
    };
    Ok(match (verb, arg) {
        ('s', Value::String(s)) => s.to_string(),
        ('s', Value::Double(d)) => format_double(*d),
        ('s', v) => display(v),
        ('d', Value::Int(i)) => i.to_string(),
        ('d', Value::Uint(u)) => u.to_string(),
        ('f' | 'e', Value::Double(d)) => float(*d, verb == 'e'),
        ('f' | 'e', Value::Int(i)) => float(*i as f64, verb == 'e'),
        ('f' | 'e', Value::Uint(u)) => float(*u as f64, verb == 'e'),
        ('b', Value::Int(i)) if *i < 0 => format!("-{:b}", i.unsigned_abs()),
        ('b', Value::Int(i)) => format!("{i:b}"),
        ('b', Value::Uint(u)) => format!("{u:b}"),
        ('b', Value::Bool(b)) => b.to_string(),
        ('o', Value::Int(i)) if *i < 0 => format!("-{:o}", i.unsigned_abs()),
        ('o', Value::Int(i)) => format!("{i:o}"),
        ('o', Value::Uint(u)) => format!("{u:o}"),
        ('x' | 'X', v) => {
            let s = match v {
                Value::Int(i) if *i < 0 => format!("-{:x}", i.unsigned_abs()),
                Value::Int(i) => format!("{i:x}"),
                Value::Uint(u) => format!("{u:x}"),
                Value::String(s) => s.bytes().map(|b| format!("{b:02x}")).collect(),
                Value::Bytes(b) => b.iter().map(|b| format!("{b:02x}")).collect(),
                other => {
                    return Err(clause_error(format!(
                        "only integers, byte buffers, and strings can be formatted as hex, was given {}",
                        other.type_name()
                    )));
                }
            };
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        (v, other) => {
            return Err(clause_error(format!("unsupported clause %{v} for {}", other.type_name())));
        }
    })
}

/// `s.format(args)` of the strings extension.
pub(crate) fn string_format(a: &[Value]) -> R {
    let (Value::String(s), Value::List(args)) = (&a[0], &a[1]) else {
        return Err(EvalError::no_overload("format", &a.iter().collect::<Vec<_>>()));
    };
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            precision = Some(digits.parse().map_err(|_| clause_error("invalid precision"))?);
        }
        let Some(verb) = chars.next() else {
            return Err(clause_error("unterminated clause"));
        };
        let arg = args.get(next_arg).ok_or_else(|| clause_error(format!("index {next_arg} out of range")))?;
        next_arg += 1;
        out.push_str(&format_clause(verb, precision, arg)?);
    }
    Ok(Value::str(&out))
}
