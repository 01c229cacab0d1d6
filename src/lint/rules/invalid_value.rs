use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0107",
    name: "invalid-value",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A value out of range or in the wrong format (a port above 65535, a malformed duration)",
    docs: r#"## What it finds
A value of the right type that the schema still refuses: a port number above 65535, a negative
weight, a duration that is not like `1.5s` or `100ms`, a list that must not be empty.

## Why it matters
The API server refuses the object.

## Example
```yaml
timeout: 10 seconds
```

## Fix
Write the value in the range or format the message names (`timeout: 10s`).
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
            |_, e| matches!(e.kind, SchemaErrorKind::Range | SchemaErrorKind::Format | SchemaErrorKind::Other),
            |_| "invalid value".into(),
            out,
        );
    }
}
