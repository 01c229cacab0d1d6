use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::{Document, FileId};
use serde_json::{Map, Value};
use std::collections::HashSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0004",
    name: "missing-type-meta",
    severity: Severity::Error,
    istio_code: None,
    summary: "An object has no `apiVersion` or no `kind` (or they are not strings)",
    docs: r#"## What it finds
An object without `apiVersion` or `kind`, or with one of them not a string.

Files in which no document has an `apiVersion` or a `kind` are not Kubernetes manifests (Helm
values, docker-compose or CI files) and are not reported.

## Why it matters
Nothing can tell what the object is: `kubectl apply` refuses it, and meshctl cannot check it
against any schema or rule.

## Example
```yaml
metadata:
  name: reviews
spec:
  hosts: [reviews]
```

## Fix
Add `apiVersion: networking.istio.io/v1` and `kind: VirtualService` (or whatever it is).
"#,
};

pub struct Check;

fn check_object(d: &Document, base: &str, m: &Map<String, Value>, out: &mut Vec<Diagnostic>) {
    for field in ["apiVersion", "kind"] {
        let p = format!("{base}/{field}");
        match m.get(field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => out.push(
                Diagnostic::new(&META, d.span_of(&p), format!("`{field}` must be a non-empty string"))
                    .pointer(p)
                    .label("not a string"),
            ),
            None => out.push(
                Diagnostic::new(&META, d.span_of(base), format!("the object has no `{field}`"))
                    .pointer(base.to_string())
                    .label(format!("no {field}"))
                    .help(if field == "kind" {
                        "add the kind, e.g. `kind: VirtualService`"
                    } else {
                        "add the API version, e.g. `apiVersion: networking.istio.io/v1`"
                    }),
            ),
        }
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        // Files in which no document says what it is are not manifests (Helm values,
        // docker-compose files, CI configuration): they are not reported.
        let typed_files: HashSet<FileId> = cx
            .docs
            .iter()
            .filter(|d| d.value.as_ref().is_some_and(|v| v.get("kind").is_some() || v.get("apiVersion").is_some()))
            .map(|d| d.file)
            .collect();
        for d in cx.docs {
            let Some(Value::Object(m)) = &d.value else { continue };
            if !typed_files.contains(&d.file) {
                continue;
            }
            check_object(d, "", m, out);
            let is_list = m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"));
            if let (true, Some(Value::Array(items))) = (is_list, m.get("items")) {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(im) = item {
                        check_object(d, &format!("/items/{i}"), im, out);
                    }
                }
            }
        }
    }
}
