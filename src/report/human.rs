//! The report for people: miette's graphical handler draws each finding with its source snippet.
//!
//! miette is only the renderer. [`Adapted`] presents one of our [`Diagnostic`]s as a
//! `miette::Diagnostic`: the primary label shares its snippet with the related labels in the same
//! file that are near it (within [`NEAR_LINES`] lines of it or of another label in the snippet);
//! every other related label, far away or in another file, becomes a nested related diagnostic
//! with a snippet of its own. Each snippet's text is an [`Excerpt`] of the file: only the lines to show,
//! long lines cut to fit the terminal, and the `file:line:col` of its header our own (columns in
//! characters), as in every other format. When miette still cannot draw a finding, the finding is
//! written as the plain format writes it, without a snippet: a finding is never lost.

use super::excerpt::Excerpt;
use super::{Report, Style, plain, printable_lines};
use crate::lint::{Diagnostic, Label, Severity};
use crate::source::{Sources, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A related label at most this many lines from the snippet of the primary label joins it.
const NEAR_LINES: u32 = 4;
/// The narrowest terminal drawn for: miette subtracts its indentation from the width.
const MIN_WIDTH: usize = 40;
/// The widest terminal drawn for: snippet lines are cut to the width, and miette's column
/// arithmetic must stay below 65,536 however wide `COLUMNS` says the terminal is.
const MAX_WIDTH: usize = 1000;
/// Columns of a snippet line that are not source text: nesting, line number, gutter.
const GUTTER: usize = 20;

pub(super) fn render(report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let width = style.width.clamp(MIN_WIDTH, MAX_WIDTH);
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_show_related_as_nested(true);
    let budget = width - GUTTER;
    for d in report.diagnostics {
        let drawn = draw(|text| handler.render_report(text, &Adapted::new(d, report.sources, budget)));
        match drawn {
            Some(text) => writeln!(out, "{text}")?,
            None => {
                plain::write_finding(report, d, out)?;
                writeln!(out)?;
            }
        }
    }
    let summary = report.summary_line();
    if style.color { writeln!(out, "\x1b[1m{summary}\x1b[0m") } else { writeln!(out, "{summary}") }
}

/// What `render` writes into a string, or `None` if it fails or panics (the panic is reported on
/// stderr as usual).
fn draw(render: impl FnOnce(&mut String) -> fmt::Result) -> Option<String> {
    let mut text = String::new();
    match catch_unwind(AssertUnwindSafe(|| render(&mut text))) {
        Ok(Ok(())) => Some(text),
        Ok(Err(_)) | Err(_) => None,
    }
}

/// One of our findings (or one of its related labels with a snippet of its own) as a
/// `miette::Diagnostic`.
#[derive(Debug)]
struct Adapted<'a> {
    message: Cow<'a, str>,
    /// `MESH0202(unknown-subset) · error · istio: IST0101`; `None` for a related location.
    code: Option<String>,
    severity: miette::Severity,
    help: Option<Cow<'a, str>>,
    source: Excerpt<'a>,
    labels: Vec<LabeledSpan>,
    related: Vec<Adapted<'a>>,
}

impl<'a> Adapted<'a> {
    /// `d` with snippets whose lines have at most `budget` characters.
    fn new(d: &'a Diagnostic, sources: &'a Sources, budget: usize) -> Adapted<'a> {
        let file = sources.file(d.primary.span.file);
        let near = near_primary(sources, d);
        let shared: Vec<&Label> = std::iter::once(&d.primary)
            .chain(d.related.iter().zip(&near).filter(|(_, n)| **n).map(|(r, _)| r))
            .collect();
        let spans: Vec<Span> = shared.iter().map(|l| l.span).collect();
        let (source, at) = Excerpt::new(file, &spans, budget);
        let labels = shared
            .iter()
            .zip(at)
            .enumerate()
            .map(|(i, (l, at))| {
                let text = (!l.message.is_empty()).then(|| printable_lines(&l.message).into_owned());
                if i == 0 { LabeledSpan::new_primary_with_span(text, at) } else { LabeledSpan::new_with_span(text, at) }
            })
            .collect();
        let related = d
            .related
            .iter()
            .zip(&near)
            .filter(|(_, n)| !**n)
            .map(|(r, _)| Adapted::related(r, sources, budget))
            .collect();
        let mut code = format!("{}({}) · {}", d.code, d.name, d.severity);
        if let Some(istio) = d.istio_code {
            code.push_str(" · istio: ");
            code.push_str(istio);
        }
        Adapted {
            message: printable_lines(&d.message),
            code: Some(code),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: d.help.as_deref().map(printable_lines),
            source,
            labels,
            related,
        }
    }

    /// A related label with its own snippet, its message as the nested diagnostic's.
    fn related(r: &'a Label, sources: &'a Sources, budget: usize) -> Adapted<'a> {
        let (source, at) = Excerpt::new(sources.file(r.span.file), &[r.span], budget);
        Adapted {
            message: if r.message.is_empty() { Cow::Borrowed("related location") } else { printable_lines(&r.message) },
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source,
            labels: at.into_iter().map(|at| LabeledSpan::new_primary_with_span(None, at)).collect(),
            related: Vec::new(),
        }
    }
}

/// For each related label of `d`, whether it shares the primary label's snippet: it is in the
/// same file, within [`NEAR_LINES`] lines of the primary label or of another label that does.
fn near_primary(sources: &Sources, d: &Diagnostic) -> Vec<bool> {
    let file = sources.file(d.primary.span.file);
    let lines = |s: Span| (file.lines.line(s.start as usize), file.lines.line(s.end as usize));
    let (mut low, mut high) = lines(d.primary.span);
    let mut near = vec![false; d.related.len()];
    loop {
        let mut grew = false;
        for (r, near) in d.related.iter().zip(near.iter_mut()) {
            if *near || r.span.file != file.id {
                continue;
            }
            let (first, last) = lines(r.span);
            if first <= high.saturating_add(NEAR_LINES) && last.saturating_add(NEAR_LINES) >= low {
                *near = true;
                low = low.min(first);
                high = high.max(last);
                grew = true;
            }
        }
        if !grew {
            return near;
        }
    }
}

impl fmt::Display for Adapted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
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

    fn render_one(sources: &crate::source::Sources, d: crate::lint::Diagnostic) -> String {
        let diagnostics = [d];
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, sources), &Style { color: false, width: 100 }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_column_past_u16_renders_with_its_own_column() {
        use crate::lint::Diagnostic;
        use crate::source::{FileId, Sources, Span};
        // One-line JSON as `kubectl get -o json | jq -c` writes it, the finding near its end.
        let mut text = String::from(r#"{"apiVersion":"v1","kind":"List","items":["#);
        while text.len() < 200_000 {
            text.push_str(r#"{"kind":"Service","metadata":{"name":"s"}},"#);
        }
        let at = text.len();
        text.push_str(r#"{"kind":"Bad"}]}"#);
        let mut sources = Sources::default();
        sources.add("list.json".into(), text);
        let d =
            Diagnostic::new(fixture::RULES[0], Span::new(FileId(0), at + 9, at + 12), "far to the right").label("here");
        let out = render_one(&sources, d);
        assert!(out.contains(&format!("[list.json:1:{}]", at + 10)), "{out}");
        assert!(out.contains("far to the right") && out.contains("here"), "{out}");
        assert!(out.contains(r#""kind":"Bad""#), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 200), "{out}");
    }

    #[test]
    fn wide_characters_and_any_terminal_width_stay_in_miettes_range() {
        use crate::lint::Diagnostic;
        use crate::source::{FileId, Sources, Span};
        let mut sources = Sources::default();
        sources.add("wide.yaml".into(), format!("{}🦀x", "\t字".repeat(35_000)));
        let at = sources.files[0].text.len() - 1;
        let rule = fixture::RULES[0];
        let diagnostics = [Diagnostic::new(rule, Span::new(FileId(0), at, at + 1), "wide").label("x").related(
            Span::new(FileId(0), 3, 6),
            None,
            "far left on the same line",
        )];
        for width in [0, 7, 100, 65_535, usize::MAX] {
            let mut out = Vec::new();
            let report = fixture::report(&diagnostics, &sources);
            super::render(&report, &Style { color: false, width }, &mut out).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.contains("[wide.yaml:1:70002]") && out.contains("╰── x"), "width {width}:\n{out}");
        }
    }

    #[test]
    fn far_apart_labels_get_a_snippet_each() {
        use crate::lint::Diagnostic;
        use crate::source::{FileId, Sources, Span};
        let text: String = (1..=200).map(|i| format!("key{i}: value{i}\n")).collect();
        let span = |line: usize| {
            let start = text.find(&format!("key{line}:")).unwrap();
            Span::new(FileId(0), start, start + format!("key{line}").len())
        };
        let mut sources = Sources::default();
        sources.add("far.yaml".into(), text.clone());
        let d = Diagnostic::new(fixture::RULES[0], span(177), "two places")
            .label("here")
            .related(span(100), None, "and there")
            .related(span(179), None, "and close by");
        let out = render_one(&sources, d);
        assert!(out.contains("[far.yaml:177:1]") && out.contains("[far.yaml:100:1]"), "{out}");
        assert!(!out.contains("key140:"), "{out}");
        // The close label shares the primary's snippet.
        let primary = out.find("[far.yaml:177:1]").unwrap();
        let close = out.find("and close by").unwrap();
        let far = out.find("[far.yaml:100:1]").unwrap();
        assert!(primary < close && close < far, "{out}");
    }

    #[test]
    fn a_finding_miette_cannot_draw_is_still_written() {
        use std::fmt::Write;
        assert_eq!(super::draw(|t| t.write_str("drawn")).as_deref(), Some("drawn"));
        assert_eq!(super::draw(|_| Err(std::fmt::Error)), None);
        assert_eq!(super::draw(|_| panic!("as miette did on a column past 65,535")), None);
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!rendered(false).contains('\x1b'));
        assert!(rendered(true).contains('\x1b'));
    }
}
