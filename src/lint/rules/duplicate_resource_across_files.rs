use super::duplicate_resource::{duplicates, report};
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0409",
    name: "duplicate-resource-across-files",
    severity: Severity::Warning,
    istio_code: None,
    summary: "The same resource (group, kind, namespace, name) is defined in two files of the input",
    docs: r#"## What it finds
Two objects with the same API group, kind, namespace and name in different files of the input.

## Why it matters
Applied together (`kubectl apply -f dir/`), the later file silently replaces the earlier one. It is
a warning rather than an error because folders of alternatives (documentation variants, kustomize
bases and overlays) are not applied together; lint the set you apply, or ignore this rule there.

## Example
```text
routing/reviews-v1.yaml   VirtualService default/reviews
routing/reviews-v2.yaml   VirtualService default/reviews   # replaces the one above
```

## Fix
Keep one definition, or lint only the files that are applied together.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (first, later) in duplicates(cx) {
            if cx.objects[first].span.file != cx.objects[later].span.file {
                out.push(report(cx, &META, first, later));
            }
        }
    }
}
