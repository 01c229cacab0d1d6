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

type R = Result<Value, EvalError>;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn dns1123_subdomain_fmt() -> String {
    format!("{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*")
}

/// The regexes, anchored, compiled once.
struct Regexes {
    label: Regex,
    subdomain: Regex,
    dns1035: Regex,
    qualified: Regex,
    label_value: Regex,
    uuid: Regex,
}

fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| {
        let anchored = |p: &str| Regex::new(&format!("^(?:{p})$")).expect("a valid built-in regex");
        Regexes {
            label: anchored(DNS1123_LABEL_FMT),
            subdomain: anchored(&dns1123_subdomain_fmt()),
            dns1035: anchored(DNS1035_LABEL_FMT),
            qualified: anchored(QUALIFIED_NAME_FMT),
            label_value: anchored(&format!("({QUALIFIED_NAME_FMT})?")),
            // kube-openapi's strfmt UUIDPattern.
            uuid: Regex::new("(?i)(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)|(^[0-9a-f]{32}$)")
                .expect("a valid built-in regex"),
        }
    })
}

/// apimachinery's `RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().label.is_match(s) {
        errs.push(regex_error(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
    }
    errs
}

fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !regexes().subdomain.is_match(s) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_MSG, &dns1123_subdomain_fmt(), &["example.com"]));
    }
    errs
}

fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().dns1035.is_match(s) {
        errs.push(regex_error(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    errs
}

/// apimachinery's `IsQualifiedName`: `[prefix/]name`, the prefix a DNS subdomain.
fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts[..] {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !regexes().qualified.is_match(name) {
        errs.push(format!(
            "name part {}",
            regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errs
}

fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().label_value.is_match(s) {
        errs.push(regex_error(LABEL_VALUE_MSG, &format!("({QUALIFIED_NAME_FMT})?"), &["MyValue", "my_value", "12345"]));
    }
    errs
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
        "uuid" => one(regexes().uuid.is_match(s), "does not match the UUID format"),
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
