use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::ProblemKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0006",
    name: "input-limit",
    severity: Severity::Error,
    istio_code: None,
    summary: "A document nests too deeply or its aliases expand beyond the budget (alias bomb)",
    docs: r#"## What it finds
A document whose aliases would expand to far more nodes than the document holds (a "billion
laughs" alias bomb), or whose nesting is deeper than any Kubernetes resource needs.

## Why it matters
Such input exhausts the memory or the stack of tools that read it, the API server included.
meshctl stops expanding at the budget and does not lint the rest of that document.

## Example
```yaml
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
# … nine levels expand to hundreds of millions of nodes
```

## Fix
Write the structure out, or use fewer, shallower aliases.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for d in cx.docs {
            for p in &d.problems {
                if matches!(p.kind, ProblemKind::AliasBudget | ProblemKind::TooDeep) {
                    let mut diag = Diagnostic::new(&META, p.span, p.message.clone()).label("limit reached here");
                    if let Some(h) = &p.help {
                        diag = diag.help(h.clone());
                    }
                    out.push(diag);
                }
            }
        }
    }
}
