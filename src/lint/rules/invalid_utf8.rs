use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0002",
    name: "invalid-utf8",
    severity: Severity::Error,
    istio_code: None,
    summary: "The file is not valid UTF-8",
    docs: r#"## What it finds
Bytes that are not UTF-8: a file saved in Latin-1 or UTF-16, or binary data.

## Why it matters
Kubernetes reads manifests as UTF-8 and refuses the file. meshctl replaces the bad bytes with
U+FFFD so that it can still lint the rest, and reports the first bad byte.

## Example
A label value `café` saved as Latin-1: the byte `0xE9` is not UTF-8.

## Fix
Re-encode the file as UTF-8 (`iconv -f latin1 -t utf-8`).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for f in &cx.sources.files {
            if let Some(at) = f.invalid_utf8 {
                let end = f.text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                out.push(
                    Diagnostic::new(&META, Span::new(f.id, at, end), "the file is not valid UTF-8")
                        .label("first invalid byte")
                        .help("save the file as UTF-8; meshctl read the invalid bytes as U+FFFD"),
                );
            }
        }
    }
}
