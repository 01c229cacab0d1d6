use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use serde_json::Value;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0003",
    name: "not-an-object",
    severity: Severity::Error,
    istio_code: None,
    summary: "A document (or List item) is a scalar or a list, not a Kubernetes object",
    docs: r#"## What it finds
A YAML document whose top level is a plain value or a sequence instead of a mapping with
`apiVersion`, `kind` and `metadata`, and likewise an item of a `kind: List`.

## Why it matters
`kubectl apply` refuses the file. Usually a stray line, a missing `---`, or a Helm template
that was not rendered.

## Example
```yaml
---
- name: reviews
  host: reviews
```

## Fix
Make the document a Kubernetes object, or remove it.
"#,
};

pub struct Check;

fn what(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Object(_) => "a mapping",
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for d in cx.docs {
            let Some(v) = &d.value else { continue };
            match v {
                Value::Object(m) => {
                    // List items: only inside a List.
                    let is_list = m.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"));
                    if let (true, Some(Value::Array(items))) = (is_list, m.get("items")) {
                        for (i, item) in items.iter().enumerate() {
                            if !item.is_object() {
                                let p = format!("/items/{i}");
                                out.push(
                                    Diagnostic::new(
                                        &META,
                                        d.span_of(&p),
                                        format!("List item {i} is {}, not an object", what(item)),
                                    )
                                    .pointer(p)
                                    .label("not an object"),
                                );
                            }
                        }
                    }
                }
                other => out.push(
                    Diagnostic::new(
                        &META,
                        d.span_of(""),
                        format!("this document is {}, not a Kubernetes object", what(other)),
                    )
                    .pointer("")
                    .label("not an object")
                    .help("a manifest document is a mapping with apiVersion, kind and metadata"),
                ),
            }
        }
    }
}
