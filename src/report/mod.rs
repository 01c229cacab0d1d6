//! Renderers: the same [`Diagnostic`]s as a graphical report for people (miette), grep-friendly
//! lines, the versioned JSON contract, SARIF 2.1.0, GitHub workflow commands and JUnit XML.
//!
//! Every renderer is a pure function of the [`Report`]: the caller sorts the findings and decides
//! about colour; the renderers add no timestamps or other data that changes from run to run.

mod excerpt;
#[cfg(test)]
mod extremes;
mod github;
pub mod graph;
mod human;
pub(crate) mod json;
mod junit;
mod plain;
mod sarif;

use crate::lint::{Diagnostic, Label, RuleMeta, Severity};
use crate::source::{Location, Sources};
use std::borrow::Cow;
use std::io;

/// An output format of `meshctl lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Format {
    /// Source snippets with underlined spans, for people at a terminal.
    Human,
    /// One line per finding, `file:line:col: severity[CODE name]: message`, for grep and editors.
    Plain,
    /// The versioned JSON contract (`"version": 1`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…`), shown as annotations on a PR.
    Github,
    /// JUnit XML, for CI systems that show test reports.
    Junit,
}

/// What was linted, for the summary line and the JSON/JUnit counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
}

/// Everything a renderer needs.
#[derive(Debug)]
pub struct Report<'a> {
    /// The findings, already sorted by the caller.
    pub diagnostics: &'a [Diagnostic],
    pub sources: &'a Sources,
    /// Every rule meshctl knows, for SARIF's `tool.driver.rules`.
    pub rules: &'a [&'static RuleMeta],
    pub summary: Summary,
}

/// Presentation choices for the human format; the other formats ignore them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours. The caller turns them on only on a terminal with `NO_COLOR` unset.
    pub color: bool,
    /// Terminal width in columns, for wrapping.
    pub width: usize,
}

/// Write `report` to `out` in `format`.
pub fn render(format: Format, report: &Report, style: &Style, out: &mut dyn io::Write) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, style, out),
        Format::Plain => plain::render(report, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Junit => junit::render(report, out),
    }
}

/// How many findings of each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    error: usize,
    warning: usize,
    info: usize,
}

impl Report<'_> {
    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for d in self.diagnostics {
            match d.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }

    fn location(&self, label: &Label) -> Location {
        self.sources.location(label.span)
    }

    /// `1 error, 2 warnings, 0 infos in 3 files (12 resources)`.
    fn summary_line(&self) -> String {
        let c = self.counts();
        format!(
            "{}, {}, {} in {} ({})",
            plural(c.error, "error"),
            plural(c.warning, "warning"),
            plural(c.info, "info"),
            plural(self.summary.files, "file"),
            plural(self.summary.resources, "resource"),
        )
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// `c` as the formats for people show it: a C0 control character (but tab) or DEL as its Unicode
/// control picture (U+2400…), a C1 control or a bidirectional formatting character as U+FFFD.
/// Text from the input then cannot break a line, move the cursor, colour the terminal or reorder
/// what is read, and every character still takes one character's place.
fn printable_char(c: char) -> char {
    match c {
        '\t' => c,
        '\0'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => '\u{fffd}',
        c => c,
    }
}

/// `s` with every character as [`printable_char`] shows it.
fn printable(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| printable_char(c) == c) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(printable_char).collect())
    }
}

/// A text of several lines made [`printable`] line by line: its line breaks (`\n`, `\r\n`) stay
/// `\n`.
fn printable_lines(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') && s.split('\n').all(|l| matches!(printable(l), Cow::Borrowed(_))) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<str>> = s.split('\n').map(|l| printable(l.strip_suffix('\r').unwrap_or(l))).collect();
    Cow::Owned(lines.join("\n"))
}

/// The small fixed world every renderer's snapshot test renders: two files, three findings.
#[cfg(test)]
mod fixture {
    use super::{Report, Summary};
    use crate::lint::{Diagnostic, ResourceRef, RuleMeta, Severity};
    use crate::source::{FileId, Sources, Span};

    pub const REVIEWS: &str = "\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
  labels: {équipe: a}
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v3
      weight: 80
";

    pub const DESTINATION_RULES: &str = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
";

    static YAML_SYNTAX: RuleMeta = RuleMeta {
        code: "MESH0001",
        name: "yaml-syntax",
        severity: Severity::Error,
        istio_code: None,
        summary: "The file is not valid YAML.",
        docs: "## What it finds\n\nA YAML syntax error.\n",
    };

    static UNKNOWN_SUBSET: RuleMeta = RuleMeta {
        code: "MESH0202",
        name: "unknown-subset",
        severity: Severity::Error,
        istio_code: Some("IST0101"),
        summary: "A route names a subset that no DestinationRule defines.",
        docs: "## What it finds\n\nA `subset` with no matching `DestinationRule` subset.\n\n## Why it matters\n\nEnvoy answers 503 <NC>.\n",
    };

    static WEIGHTS: RuleMeta = RuleMeta {
        code: "MESH0305",
        name: "route-weights-not-100",
        severity: Severity::Warning,
        istio_code: None,
        summary: "The weights of a route's destinations do not add up to 100.",
        docs: "## What it finds\n\nWeights that add up to less or more than 100 & so on.\n",
    };

    static NON_ASCII_LABEL: RuleMeta = RuleMeta {
        code: "MESH0605",
        name: "non-ascii-label",
        severity: Severity::Info,
        istio_code: Some("IST0128"),
        summary: "A label key or value has characters outside ASCII.",
        docs: "## What it finds\n\nLabels like `équipe`.\n",
    };

    pub static RULES: [&RuleMeta; 4] = [&YAML_SYNTAX, &UNKNOWN_SUBSET, &WEIGHTS, &NON_ASCII_LABEL];

    /// The span of the first `needle` in `text` after `after`.
    fn span(file: FileId, text: &str, after: &str, needle: &str) -> Span {
        let from = text.find(after).expect("anchor in fixture");
        let start = from + text[from..].find(needle).expect("needle in fixture");
        Span::new(file, start, start + needle.len())
    }

    pub fn sources() -> Sources {
        let mut sources = Sources::default();
        sources.add("manifests/reviews.yaml".into(), REVIEWS.into());
        sources.add("manifests/destination-rules.yaml".into(), DESTINATION_RULES.into());
        sources
    }

    pub fn diagnostics() -> Vec<Diagnostic> {
        let (a, b) = (FileId(0), FileId(1));
        let vs = Some(ResourceRef {
            api_version: "networking.istio.io/v1".into(),
            kind: "VirtualService".into(),
            namespace: Some("default".into()),
            name: "reviews".into(),
        });
        vec![
            Diagnostic::new(
                &NON_ASCII_LABEL,
                span(a, REVIEWS, "équipe: ", "a"),
                "label `équipe` has a key outside ASCII",
            )
            .pointer("/metadata/labels/équipe")
            .label("this label"),
            Diagnostic::new(
                &UNKNOWN_SUBSET,
                span(a, REVIEWS, "subset:", "v3"),
                "subset \"v3\" of host \"reviews\" is not defined",
            )
            .pointer("/spec/http/0/route/0/destination/subset")
            .label("no such subset")
            .related(
                span(a, REVIEWS, "host: reviews", "reviews"),
                Some("/spec/http/0/route/0/destination/host".into()),
                "for this host",
            )
            .related(
                span(b, DESTINATION_RULES, "subsets", "subsets"),
                Some("/spec/subsets".into()),
                "DestinationRule reviews defines only: v1",
            )
            .resource(vs.clone()),
            Diagnostic::new(
                &WEIGHTS,
                span(a, REVIEWS, "weight:", "80"),
                "the route's weights add up to 80, not 100",
            )
            .pointer("/spec/http/0/route/0/weight")
            .label("total 80")
            .help("make the weights add up to 100, e.g. `weight: 100`;\nsend 100% of \"traffic\" & <all> of it somewhere")
            .resource(vs),
        ]
    }

    pub fn report<'a>(diagnostics: &'a [Diagnostic], sources: &'a Sources) -> Report<'a> {
        Report { diagnostics, sources, rules: &RULES, summary: Summary { files: 2, resources: 2 } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_pluralises() {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let report = fixture::report(&diagnostics, &sources);
        assert_eq!(report.summary_line(), "1 error, 1 warning, 1 info in 2 files (2 resources)");
        let empty = Report { diagnostics: &[], summary: Summary { files: 1, resources: 0 }, ..report };
        assert_eq!(empty.summary_line(), "0 errors, 0 warnings, 0 infos in 1 file (0 resources)");
    }

    #[test]
    fn printable_shows_control_characters() {
        assert_eq!(printable("a\tb\nc"), "a\tb\u{240a}c");
        assert_eq!(printable_lines("a\r\nb\rc\n\u{1b}\n"), "a\nb\u{240d}c\n\u{241b}\n");
        assert!(matches!(printable_lines("a\n\tb\n"), Cow::Borrowed(_)));
        assert!(matches!(printable("plain é ✓ 🦀 שלום"), Cow::Borrowed(_)));
        assert_eq!(printable("\0\x1b[31m\r\x7f"), "\u{2400}\u{241b}[31m\u{240d}\u{2421}");
        assert_eq!(printable("\u{9b}1m \u{202e}abc\u{2066}"), "\u{fffd}1m \u{fffd}abc\u{fffd}");
    }

    #[test]
    fn format_names_are_kebab_case() {
        use clap::ValueEnum;
        let names: Vec<_> =
            Format::value_variants().iter().map(|f| f.to_possible_value().unwrap().get_name().to_owned()).collect();
        assert_eq!(names, ["human", "plain", "json", "sarif", "github", "junit"]);
    }
}
