use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0104",
    name: "missing-required-field",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A required field is missing (e.g. a destination without host, a server without port)",
    docs: r#"## What it finds
An object that lacks a field its kind requires: `destination.host`, a Gateway server's `port` or
`hosts`, a ServiceEntry's `hosts`, a DestinationRule's `host`, a subset's `name`.

## Why it matters
The API server refuses the object, or Istio rejects the configuration and keeps serving the old.

## Example
```yaml
route:
- destination:
    subset: v1
```

## Fix
Add the field the message names.
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
            |_, e| matches!(e.kind, SchemaErrorKind::Missing { .. }),
            |_| "missing field".into(),
            out,
        );
    }
}
