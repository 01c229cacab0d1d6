//! The report for people: miette's graphical handler draws each finding with its source snippet.
//!
//! miette is only the renderer. [`Adapted`] presents one of our [`Diagnostic`]s as a
//! `miette::Diagnostic`: the primary label and the related labels in the same file share one
//! snippet; a related label in another file becomes a nested related diagnostic with that file as
//! its source. [`FileSource`] gives miette our line and column numbers (columns in characters), so
//! the `file:line:col` in each snippet's header matches every other format.

use super::{Report, Style};
use crate::lint::{Diagnostic, Severity};
use crate::source::{SourceFile, Sources, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::fmt;
use std::io::{self, Write};

pub(super) fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_show_related_as_nested(true);
    for d in report.diagnostics {
        let mut text = String::new();
        handler
            .render_report(&mut text, &Adapted::new(d, report.sources))
            .map_err(|_| io::Error::other(format!("cannot render {} as text", d.code)))?;
        writeln!(out, "{text}")?;
    }
    let summary = report.summary_line();
    if style.color { writeln!(out, "\x1b[1m{summary}\x1b[0m") } else { writeln!(out, "{summary}") }
}

/// One of our findings (or one of its related labels in another file) as a `miette::Diagnostic`.
#[derive(Debug)]
struct Adapted<'a> {
    message: &'a str,
    /// `MESH0202(unknown-subset) · error · istio: IST0101`; `None` for a related location.
    code: Option<String>,
    severity: miette::Severity,
    help: Option<&'a str>,
    source: FileSource<'a>,
    labels: Vec<LabeledSpan>,
    related: Vec<Adapted<'a>>,
}

impl<'a> Adapted<'a> {
    fn new(d: &'a Diagnostic, sources: &'a Sources) -> Adapted<'a> {
        let file = sources.file(d.primary.span.file);
        let mut labels =
            vec![LabeledSpan::new_primary_with_span(label_text(&d.primary.message), source_span(file, d.primary.span))];
        let mut related = Vec::new();
        for r in &d.related {
            if r.span.file == file.id {
                labels.push(LabeledSpan::new_with_span(label_text(&r.message), source_span(file, r.span)));
            } else {
                let other = sources.file(r.span.file);
                related.push(Adapted {
                    message: if r.message.is_empty() { "related location" } else { &r.message },
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: FileSource(other),
                    labels: vec![LabeledSpan::new_primary_with_span(None, source_span(other, r.span))],
                    related: Vec::new(),
                });
            }
        }
        let mut code = format!("{}({}) · {}", d.code, d.name, d.severity);
        if let Some(istio) = d.istio_code {
            code.push_str(" · istio: ");
            code.push_str(istio);
        }
        Adapted {
            message: &d.message,
            code: Some(code),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: d.help.as_deref(),
            source: FileSource(file),
            labels,
            related,
        }
    }
}

fn label_text(message: &str) -> Option<String> {
    (!message.is_empty()).then(|| message.to_owned())
}

/// A span clamped to the file's text, so that miette never reads out of bounds.
fn source_span(file: &SourceFile, span: Span) -> SourceSpan {
    let len = file.text.len();
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).clamp(start, len);
    SourceSpan::new(start.into(), end - start)
}

impl fmt::Display for Adapted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for Adapted<'_> {}

impl miette::Diagnostic for Adapted<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code.as_ref().map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

/// A source file for miette, named as the user sees it, with our line and column numbers:
/// miette counts columns in bytes, we count characters.
#[derive(Debug)]
struct FileSource<'a>(&'a SourceFile);

impl SourceCode for FileSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let file = self.0;
        let inner = file.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        let (line, column) = file.lines.line_col(&file.text, inner.span().offset());
        // With context lines miette starts the contents at the beginning of a line (column 0);
        // without, at the span itself, and the header shows that column.
        let column = if context_lines_before == 0 { column as usize - 1 } else { 0 };
        Ok(Box::new(MietteSpanContents::new_named(
            file.name.clone(),
            inner.data(),
            *inner.span(),
            line as usize - 1,
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Style, fixture};

    fn rendered(color: bool) -> String {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &Style { color, width: 100 }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(rendered(false));
    }

    #[test]
    fn headers_use_character_columns() {
        // `a` in `  labels: {équipe: a}` is the 20th character but starts at byte 21.
        assert!(rendered(false).contains("[manifests/reviews.yaml:6:20]"));
    }

    #[test]
    fn odd_spans_still_render() {
        use crate::lint::Diagnostic;
        use crate::source::{FileId, Sources, Span};
        let mut sources = Sources::default();
        sources.add("empty.yaml".into(), String::new());
        sources.add("short.yaml".into(), "a: b\r\nc: d".into());
        let rule = fixture::RULES[0];
        let diagnostics = [
            Diagnostic::new(rule, Span::new(FileId(0), 0, 0), "empty file"),
            Diagnostic::new(rule, Span::new(FileId(1), 50, 60), "past the end").related(
                Span::new(FileId(0), 3, 9),
                None,
                "",
            ),
            Diagnostic::new(rule, Span::new(FileId(1), 11, 11), "at the end"),
        ];
        let mut out = Vec::new();
        let report = fixture::report(&diagnostics, &sources);
        super::render(&report, &Style { color: false, width: 40 }, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("[short.yaml:2:5]"), "{text}");
        assert!(text.contains("related location"), "{text}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!rendered(false).contains('\x1b'));
        assert!(rendered(true).contains('\x1b'));
    }
}
