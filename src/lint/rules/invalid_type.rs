use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0103",
    name: "invalid-type",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A value of the wrong type: a string where a number is required, a list where a mapping is",
    docs: r#"## What it finds
A value whose JSON type is not what the schema requires, as Kubernetes reads it: a quoted
`"20"` for an integer weight, a single string where a list of hosts is required, a mapping for a
string.

## Why it matters
The API server refuses the object. A quoted number fits many lenient parsers, so it is easy to
miss locally.

## Example
```yaml
route:
- destination: {host: reviews}
  weight: "20"
```

## Fix
Write the value with the type the message names (`weight: 20`, `hosts: [reviews]`).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        schema_pass::report(
            cx,
            &META,
            |_, e| matches!(e.kind, SchemaErrorKind::WrongType { .. }),
            |_| "wrong type".into(),
            out,
        );
    }
}
