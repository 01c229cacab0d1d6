use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0101",
    name: "unknown-field",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A field that the kind's schema does not have (a typo, or a field of another version)",
    docs: r#"## What it finds
A field that the Istio kind does not define, such as `hostz` in a destination or `retry` for
`retries`. The message suggests the nearest field that exists.

## Why it matters
The API server drops unknown fields of custom resources without a word (or refuses the object
under strict field validation), so the setting you wrote never takes effect.

## Example
```yaml
route:
- destination:
    hostz: reviews
```

## Fix
Spell the field as the schema does (`meshctl schema VirtualService` prints it).
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
            |i, e| matches!(e.kind, SchemaErrorKind::UnknownField { .. }) && !schema_pass::is_misindented(cx, i, e),
            |_| "unknown field".into(),
            out,
        );
    }
}
