use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0005",
    name: "duplicate-key",
    severity: Severity::Error,
    istio_code: None,
    summary: "The same key appears twice in one mapping; the first value is silently lost",
    docs: r#"## What it finds
A mapping with the same key twice.

## Why it matters
Kubernetes keeps the last value and drops the first without a word (or, with strict field
validation, refuses the object). Either way the manifest does not say what it seems to.

## Example
```yaml
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}}]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
```

## Fix
Keep one of them, or merge the two.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for d in cx.docs {
            for dup in &d.duplicates {
                out.push(
                    Diagnostic::new(
                        &META,
                        dup.span,
                        format!("duplicate key `{}`: the earlier value is dropped", dup.key),
                    )
                    .pointer(dup.pointer.clone())
                    .label("this value wins")
                    .related(dup.first, None, "first defined here; this value is lost")
                    .help("remove one of the two keys, or merge their values"),
                );
            }
        }
    }
}
