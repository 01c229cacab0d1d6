use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::ProblemKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0001",
    name: "yaml-syntax",
    severity: Severity::Error,
    istio_code: None,
    summary: "The YAML does not parse: mis-indented keys, unclosed brackets or quotes, tabs in indentation",
    docs: r#"## What it finds
A document that is not valid YAML: a key that is not aligned with the mapping it belongs to, an
unclosed `[`, `{` or quote, a tab in the indentation, a mapping used as a key.

## Why it matters
`kubectl apply` refuses the whole file. meshctl reports the broken document and still lints the
other documents of the same file.

## Example
```yaml
spec:
  http:
  - match:
    - uri:
        prefix: /v1
   route:            # indented 3: lines up with no mapping above
    - destination:
        host: reviews
```

## Fix
Indent the key to the column of the mapping it belongs to (here `route:` beside `match:`). The
help line names the nearest keys and their columns.
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
                if matches!(p.kind, ProblemKind::Syntax | ProblemKind::Tab | ProblemKind::ComplexKey) {
                    let mut diag = Diagnostic::new(&META, p.span, p.message.clone()).label(match p.kind {
                        ProblemKind::Tab => "tab",
                        _ => "here",
                    });
                    if let Some(h) = &p.help {
                        diag = diag.help(h.clone());
                    }
                    out.push(diag);
                }
            }
        }
    }
}
