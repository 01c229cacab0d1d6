use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Object;
use serde_json::Value;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0110",
    name: "invalid-name",
    severity: Severity::Error,
    istio_code: None,
    summary: "`metadata.name` or `metadata.namespace` is missing or not a valid DNS name",
    docs: r#"## What it finds
An object without `metadata.name` (and without `generateName`), or a name or namespace that the
API server refuses: names must be DNS-1123 subdomains (lower-case letters, digits, `-` and `.`,
starting and ending with a letter or digit, at most 253 characters); namespaces and Services
DNS labels (no dots, at most 63). Kubernetes 1.36 accepts a Service name that starts with a digit
(`RelaxedServiceNameValidation`, on by default); releases before it want a letter first.

## Why it matters
The API server refuses the object, and references to it by name cannot work.

## Example
```yaml
metadata:
  name: Reviews_V2
```

## Fix
Use a lower-case name such as `reviews-v2`.
"#,
};

pub struct Check;

fn label_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Kubernetes' `IsDNS1123Subdomain`: at most 253 characters of dot-separated parts, each of
/// lower-case letters, digits and `-` that starts and ends with a letter or digit. Unlike a label,
/// a part may be longer than 63 characters.
fn subdomain_ok(s: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    s.len() <= 253 && s.split('.').all(part_ok)
}

fn kind_rules(obj: &Object) -> (&'static str, fn(&str) -> bool) {
    match (obj.group(), obj.kind.as_str()) {
        // Kubernetes 1.36, which meshctl validates for, names Services by DNS-1123 label
        // (pkg/apis/core/validation `ValidateServiceCreate`: KEP-5311's RelaxedServiceNameValidation,
        // beta and on by default since 1.36); before, by DNS-1035 label.
        ("", "Namespace" | "Service") => ("a DNS-1123 label", label_ok),
        _ => ("a DNS-1123 subdomain", subdomain_ok),
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for obj in cx.objects {
            let v = cx.value(obj);
            let meta = v.get("metadata");
            match meta.and_then(|m| m.get("name")) {
                Some(Value::String(name)) => {
                    let (what, ok) = kind_rules(obj);
                    if !ok(name) {
                        out.push(
                            cx.at(
                                &META,
                                obj,
                                "/metadata/name",
                                format!("`{name}` is not a valid {} name: it must be {what}", obj.kind),
                            )
                            .label("invalid name")
                            .help(format!("try `{}`", suggest(name))),
                        );
                    }
                }
                Some(_) => out.push(
                    cx.at(&META, obj, "/metadata/name", "`metadata.name` must be a string").label("not a string"),
                ),
                None if meta.and_then(|m| m.get("generateName")).is_some() => {}
                None => out.push(
                    cx.at(&META, obj, "/metadata", format!("the {} has no `metadata.name`", obj.kind))
                        .label("no name")
                        .help("every object needs a name; add `metadata.name`"),
                ),
            }
            if let Some(ns) = meta.and_then(|m| m.get("namespace")) {
                match ns.as_str() {
                    Some(n) if label_ok(n) => {}
                    _ => out.push(
                        cx.at(
                            &META,
                            obj,
                            "/metadata/namespace",
                            format!("{ns} is not a valid namespace: it must be a DNS-1123 label"),
                        )
                        .label("invalid namespace"),
                    ),
                }
            }
        }
    }
}

fn suggest(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    s.trim_matches(['-', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(subdomain_ok("reviews.v2-a"));
        assert!(!subdomain_ok("Reviews"));
        assert!(!subdomain_ok("a_b"));
        assert!(!subdomain_ok("-a"));
        assert!(!label_ok("a.b"));
        assert!(!label_ok(&"a".repeat(64)));
        // A 67-character DestinationRule name from a public repository: a subdomain, not a label.
        assert!(subdomain_ok("productpage-destination-rule-for-the-bookinfo-application-in-prod-v1"));
        assert!(subdomain_ok(&format!("{}.b", "a".repeat(251))));
        assert!(!subdomain_ok(&"a".repeat(254)));
        assert!(!subdomain_ok("a..b"));
        assert_eq!(suggest("Reviews_V2"), "reviews-v2");
    }
}
