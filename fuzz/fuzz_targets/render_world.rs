//! The world of the `render` fuzz target: files of random text (some of it very long lines or very
//! many lines), random findings over them (spans anywhere, also past the end; random messages,
//! labels, help, related labels in several files) and every report format over them.
//!
//! Shared by fuzz/fuzz_targets/render.rs, where libFuzzer drives it, and by tests/render_fuzz.rs,
//! which runs it under `cargo test` over pseudo-random inputs from a fixed seed.

use arbitrary::Arbitrary;
use meshctl::lint::{Diagnostic, ResourceRef, RuleMeta, Severity, rules};
use meshctl::report::{Format, Report, Style, Summary, render};
use meshctl::source::{FileId, Sources, Span};
use serde_json::Value;

const FORMATS: [Format; 6] = [Format::Human, Format::Plain, Format::Json, Format::Sarif, Format::Github, Format::Junit];

#[derive(Debug, Arbitrary)]
pub struct World {
    files: Vec<File>,
    findings: Vec<Finding>,
    width: u32,
    color: bool,
}

#[derive(Debug, Arbitrary)]
struct File {
    name: String,
    text: Text,
}

#[derive(Debug, Arbitrary)]
enum Text {
    Bytes(Vec<u8>),
    /// `unit` `times` times, then `tail`: a long line or very many lines from a short input.
    Repeated {
        unit: Vec<u8>,
        times: u32,
        tail: Vec<u8>,
    },
}

impl Text {
    /// The bytes, at most `room` of them; `room` shrinks by as many.
    fn bytes(self, room: &mut usize) -> Vec<u8> {
        let mut bytes = match self {
            Text::Bytes(bytes) => bytes,
            Text::Repeated { unit, times, tail } => {
                let times = if unit.is_empty() { 0 } else { (times as usize).min(*room / unit.len()) };
                let mut bytes = unit.repeat(times);
                bytes.extend(tail);
                bytes
            }
        };
        bytes.truncate(*room);
        *room -= bytes.len();
        bytes
    }
}

#[derive(Debug, Arbitrary)]
struct Place {
    file: u8,
    start: Offset,
    len: u16,
}

#[derive(Debug, Arbitrary)]
enum Offset {
    /// Somewhere in the file: modulo its length plus one.
    Inside(u32),
    /// This many bytes before the end of the file.
    FromEnd(u16),
    /// As it is: mostly past the end.
    Raw(u32),
}

impl Place {
    fn span(&self, sources: &Sources) -> Span {
        let file = FileId(u32::from(self.file) % sources.files.len() as u32);
        let len = sources.file(file).text.len();
        let start = match self.start {
            Offset::Inside(o) => o as usize % (len + 1),
            Offset::FromEnd(o) => len.saturating_sub(o.into()),
            // Spans are u32 offsets: keep the end representable.
            Offset::Raw(o) => (o as usize).min(u32::MAX as usize - usize::from(u16::MAX)),
        };
        Span::new(file, start, start + usize::from(self.len))
    }
}

#[derive(Debug, Arbitrary)]
struct Finding {
    rule: u8,
    severity: u8,
    at: Place,
    message: String,
    label: String,
    pointer: Option<String>,
    help: Option<String>,
    related: Vec<(Place, String)>,
    resource: Option<(String, String, Option<String>, String)>,
}

impl Finding {
    fn diagnostic(self, sources: &Sources, rules: &[&'static RuleMeta]) -> Diagnostic {
        let rule = rules[usize::from(self.rule) % rules.len()];
        let mut d = Diagnostic::new(rule, self.at.span(sources), self.message).label(self.label);
        d.severity = [Severity::Error, Severity::Warning, Severity::Info][usize::from(self.severity) % 3];
        if let Some(pointer) = self.pointer {
            d = d.pointer(pointer);
        }
        if let Some(help) = self.help {
            d = d.help(help);
        }
        for (place, message) in self.related {
            d = d.related(place.span(sources), None, message);
        }
        d.resource(self.resource.map(|(api_version, kind, namespace, name)| ResourceRef {
            api_version,
            kind,
            namespace,
            name,
        }))
    }
}

/// Renders `world` (its files cut to `max_text` bytes in all) in every format: no panic, and
/// every output valid where validity means something.
pub fn check(world: World, max_text: usize) {
    let mut room = max_text;
    let mut sources = Sources::default();
    for (i, file) in world.files.into_iter().enumerate() {
        // The index keeps names apart, and keeps the plain format's lines from starting with a space.
        let bytes = file.text.bytes(&mut room);
        sources.add_bytes(format!("{i}{}", file.name), bytes);
    }
    if sources.files.is_empty() {
        sources.add("0".into(), String::new());
    }
    let all = rules::all();
    let diagnostics: Vec<Diagnostic> = world.findings.into_iter().map(|f| f.diagnostic(&sources, &all)).collect();
    // SARIF's rule list: the rules of the findings (all of them, with their docs, are one fixed
    // text, and would take most of the time).
    let rules: Vec<&RuleMeta> = all.into_iter().filter(|r| diagnostics.iter().any(|d| d.code == r.code)).collect();
    let report = Report {
        diagnostics: &diagnostics,
        sources: &sources,
        rules: &rules,
        summary: Summary { files: sources.files.len(), resources: diagnostics.len() },
    };
    let style = Style { color: world.color, width: world.width as usize };
    let n = diagnostics.len();
    for format in FORMATS {
        let mut out = Vec::new();
        render(format, &report, &style, &mut out).expect("rendering to memory cannot fail");
        let out = String::from_utf8(out).expect("every format writes UTF-8");
        match format {
            Format::Human => {
                // Every finding was written: the summary closes the report.
                let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
                let last = out.lines().last().unwrap_or_default();
                assert!(last.trim_start_matches("\u{1b}[1m").starts_with(&format!("{errors} error")), "{out:?}");
                if !world.color {
                    assert!(
                        !out.contains(|c: char| c.is_control() && !matches!(c, '\n' | '\t')),
                        "a control character: {out:?}"
                    );
                }
            }
            Format::Plain => {
                let heads = out.lines().filter(|l| !l.starts_with(' ')).count();
                assert_eq!(heads, n + 1, "not one line per finding: {out:?}");
            }
            Format::Json => {
                let v: Value = serde_json::from_str(&out).expect("JSON parses");
                let found = v["diagnostics"].as_array().expect("diagnostics");
                assert_eq!(found.len(), n);
                for (f, d) in found.iter().zip(&diagnostics) {
                    let at = sources.location(d.primary.span);
                    assert_eq!(f["message"], d.message.as_str());
                    assert_eq!(f["location"]["line"], at.line);
                    assert_eq!(f["location"]["column"], at.column);
                }
            }
            Format::Sarif => {
                let v: Value = serde_json::from_str(&out).expect("SARIF parses as JSON");
                assert_eq!(v["version"], "2.1.0");
                let results = v["runs"][0]["results"].as_array().expect("results");
                assert_eq!(results.len(), n);
                for (r, d) in results.iter().zip(&diagnostics) {
                    let at = sources.location(d.primary.span);
                    let region = &r["locations"][0]["physicalLocation"]["region"];
                    assert_eq!((&region["startLine"], &region["startColumn"]), (&at.line.into(), &at.column.into()));
                }
            }
            Format::Github => {
                assert!(!out.contains('\r'), "a raw CR: {out:?}");
                assert_eq!(out.lines().count(), n + 1, "not one command per finding: {out:?}");
            }
            Format::Junit => {
                let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("JUnit is not XML: {e}: {out:?}"));
                assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), n);
            }
        }
    }
}
