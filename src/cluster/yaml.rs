//! A block-style YAML writer for JSON values: what `render`, `diff` and `lint --kube` show and
//! parse back. Strings stay plain only when Kubernetes' YAML reader would read them back as the
//! same string; everything else is double-quoted (JSON escapes are valid YAML).

use crate::source::resolve_plain;
use serde_json::Value;

/// One YAML document for `value`, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => seq(&mut out, a, 0),
        v => {
            scalar(&mut out, v);
            out.push('\n');
        }
    }
    out
}

fn map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in m {
        out.extend(std::iter::repeat_n(' ', indent));
        string(out, k);
        out.push(':');
        nested(out, v, indent + 2);
    }
}

fn seq(out: &mut String, a: &[Value], indent: usize) {
    for v in a {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                let mut first = true;
                for (k, v) in m {
                    if !first {
                        out.extend(std::iter::repeat_n(' ', indent + 2));
                    }
                    first = false;
                    string(out, k);
                    out.push(':');
                    nested(out, v, indent + 4);
                }
            }
            v => nested(out, v, indent + 2),
        }
    }
}

/// The value after `key:` or `-`: inline when it is a scalar or empty, else on the next lines.
fn nested(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(out, m, indent);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            seq(out, a, indent);
        }
        v => {
            out.push(' ');
            scalar(out, v);
            out.push('\n');
        }
    }
}

fn scalar(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => string(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        v => out.push_str(&v.to_string()),
    }
}

fn string(out: &mut String, s: &str) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else {
        out.push_str(&Value::String(s.to_string()).to_string());
    }
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if "-?:,[]{}#&*!|>'\"%@`~ ".contains(first) || s.ends_with([' ', ':']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    matches!(resolve_plain(s), (Value::String(r), None) if r == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Sources, parse_file};
    use serde_json::json;

    fn round_trip(v: Value) {
        let text = to_yaml(&v);
        let mut sources = Sources::default();
        let id = sources.add("t.yaml".into(), text.clone());
        let docs = parse_file(sources.file(id));
        assert_eq!(docs.len(), 1, "{text}");
        assert_eq!(docs[0].value.as_ref(), Some(&v), "{text}");
    }

    #[test]
    fn values_read_back_unchanged() {
        round_trip(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "x", "on": "yes"}, "annotations": {}},
            "spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}], "selector": {"v": "1.10"},
                      "empty": [], "nested": [[1, 2], [], {"a": null}], "flag": true, "ratio": 0.5},
            "data": {"k": "line1\nline2", "q": "'quoted'", "c": "a: b", "h": "x #y", "n": "null", "d": "-1",
                     "t": "~", "s": " lead", "u": "ünï", "e": ""}
        }));
    }

    #[test]
    fn plain_strings_stay_plain() {
        assert_eq!(
            to_yaml(&json!({"kind": "VirtualService", "port": "80", "n": 1})),
            "kind: VirtualService\nport: \"80\"\n\"n\": 1\n"
        );
        assert_eq!(to_yaml(&json!({"a": [{"b": 1, "c": [2]}]})), "a:\n  - b: 1\n    c:\n      - 2\n");
    }
}
