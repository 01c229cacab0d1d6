use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0106",
    name: "conflicting-fields",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "Fields that exclude each other are set together (e.g. exact and prefix in one string match)",
    docs: r#"## What it finds
An object that sets fields of which only one may be set: `exact` and `prefix` in one string match,
`route` and `redirect` in one HTTP rule.

## Why it matters
The API server refuses the object; if it did not, only one of them could take effect.

## Example
```yaml
match:
- uri:
    exact: /login
    prefix: /log
```

## Fix
Keep one of them; for two alternatives, write two match entries.
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
            |_, e| matches!(e.kind, SchemaErrorKind::OneOf { .. }),
            |_| "conflicting fields".into(),
            out,
        );
    }
}
