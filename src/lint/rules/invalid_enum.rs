use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0105",
    name: "invalid-enum-value",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A value outside the allowed set (e.g. location: MESH_INTERNET), with the nearest valid ones",
    docs: r#"## What it finds
A value that is not one of the values the field allows, such as `location: MESH_INTERNET` or
`mode: STRICT` in a DestinationRule TLS setting. The message names the closest allowed values.

## Why it matters
The API server refuses the object.

## Example
```yaml
spec:
  location: MESH_INTERNET
```

## Fix
Use one of the allowed values (`MESH_EXTERNAL` for a service outside the mesh, `MESH_INTERNAL`
for one inside).
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
            |_, e| matches!(e.kind, SchemaErrorKind::Enum { .. }),
            |_| "not an allowed value".into(),
            out,
        );
    }
}
