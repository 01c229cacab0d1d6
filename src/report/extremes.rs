//! Every format over the inputs that break renderers: columns past 65,535 and 1,000,000 on one
//! line, a line past 1,000,000, control characters, NUL, ANSI escapes, invalid UTF-8, XML markup,
//! workflow-command syntax, emoji and right-to-left text in both the messages and the source, an
//! empty file, spans at and past the end of a file. Each output is checked where validity means
//! something: JSON and SARIF parse with the right positions, JUnit is well-formed XML 1.0, GitHub
//! commands are one line per finding, plain findings one line each, and the human report shows
//! every finding at its own file:line:col.

use super::{Format, Report, Style, Summary, fixture, printable, render};
use crate::lint::Diagnostic;
use crate::source::{FileId, Location, Sources, Span};
use serde_json::Value;

const ODD_NAME: &str = "odd <&\"'>,:%.yaml";
const BROKEN_NAME: &str = "line\nbreak\r.yaml";
/// Said in a message, a label and a help, and written in the source.
const NASTY: &str = concat!(
    "NUL\0 esc\u{1b}[2J\u{1b}[31m c1\u{9b}1m <&\"'> ]]> ::error file=x::y %0A 100% a,b:c \r\n",
    "2nd line 🦀 שלום مرحبا \u{202e}txet\u{202c} \u{fffe}"
);

struct World {
    sources: Sources,
    diagnostics: Vec<Diagnostic>,
}

/// Byte offset of `needle` in file `file`.
fn find(sources: &Sources, file: u32, needle: &str) -> usize {
    sources.file(FileId(file)).text.find(needle).expect("needle in the file")
}

fn world() -> World {
    let mut sources = Sources::default();
    // 0: one line of 1.1 MB, as `kubectl get -o json | jq -c` writes a List.
    let mut json = String::from(r#"{"apiVersion":"v1","kind":"List","items":["#);
    let item = r#"{"kind":"Service","metadata":{"name":"s"}},"#;
    for (mark, at) in [("AT70K", 70_000), ("AT1M", 1_050_000)] {
        let before = at - r#"{"kind":""#.len();
        while json.len() + item.len() <= before {
            json.push_str(item);
        }
        json.push_str(&" ".repeat(before - json.len()));
        json.push_str(&format!(r#"{{"kind":"{mark}"}},"#));
    }
    json.push_str("{}]}");
    sources.add("list.json".into(), json);
    // 1: a million and a few lines.
    let mut many = "x: y\n".repeat(1_000_000);
    many.push_str("deep: here\nx: y\nnear: here\nx: y\n");
    sources.add("many.yaml".into(), many);
    // 2: the nasty text in the source, invalid UTF-8, CRLF and a lone CR.
    let mut odd = format!("k: \"{NASTY}\"\r\nbad: ").into_bytes();
    odd.extend_from_slice(b"\xff\xfe\xc3 end\rlone CR\nlast: line");
    sources.add_bytes(ODD_NAME.into(), odd);
    // 3: empty.
    sources.add("empty.yaml".into(), String::new());
    // 4: a name with line breaks.
    sources.add(BROKEN_NAME.into(), "a: b\n".into());

    let rule = |i: usize| fixture::RULES[i % fixture::RULES.len()];
    let span = |file: u32, start: usize, len: usize| Span::new(FileId(file), start, start + len);
    let at70k = find(&sources, 0, "AT70K");
    let at1m = find(&sources, 0, "AT1M");
    let deep = find(&sources, 1, "deep:");
    let near = find(&sources, 1, "near:");
    let esc = find(&sources, 2, "esc");
    let bad = find(&sources, 2, "bad:");
    let odd_len = sources.file(FileId(2)).text.len();
    let diagnostics = vec![
        Diagnostic::new(rule(0), span(0, at70k, 5), format!("column 70,001: {NASTY}"))
            .label(format!("label {NASTY}"))
            .help(format!("help {NASTY}"))
            .related(span(2, esc, 3), Some("/k".into()), NASTY),
        Diagnostic::new(rule(1), span(0, at1m, 4), "column 1,050,001").label("far right").related(
            span(0, at70k, 5),
            None,
            "same line, far left",
        ),
        Diagnostic::new(rule(2), span(1, deep, 4), "line 1,000,001")
            .label("deep")
            .related(span(1, near, 4), None, "two lines below")
            .related(span(1, 0, 1), None, "a million lines above"),
        Diagnostic::new(rule(3), span(2, esc, 9), NASTY).label(NASTY).related(span(2, bad, 9), None, "invalid UTF-8"),
        Diagnostic::new(rule(0), span(3, 0, 0), "in an empty file").label("nothing here"),
        Diagnostic::new(rule(1), span(2, odd_len, 0), "at the end of the file").label("EOF"),
        Diagnostic::new(rule(2), span(2, odd_len + 100, 100), "past the end of the file").label("beyond"),
        Diagnostic::new(rule(3), span(4, 0, 1), "in a file whose name breaks lines").help("100%\r\n::"),
    ];
    World { sources, diagnostics }
}

fn rendered(world: &World, format: Format, color: bool) -> String {
    let report = Report {
        diagnostics: &world.diagnostics,
        sources: &world.sources,
        rules: &fixture::RULES,
        summary: Summary { files: world.sources.files.len(), resources: 0 },
    };
    let mut out = Vec::new();
    render(format, &report, &Style { color, width: 100 }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn locations(world: &World) -> Vec<Location> {
    world.diagnostics.iter().map(|d| world.sources.location(d.primary.span)).collect()
}

#[test]
fn the_positions_are_the_extreme_ones() {
    let w = world();
    let at: Vec<(u32, u32)> = locations(&w).iter().map(|l| (l.line, l.column)).collect();
    assert_eq!(at[..3], [(1, 70_001), (1, 1_050_001), (1_000_001, 1)]);
    assert_eq!(at[4], (1, 1));
    assert_eq!(at[5], at[6], "a span past the end is at the end");
}

#[test]
fn human_shows_every_finding_at_its_place_with_bounded_lines() {
    let w = world();
    for color in [false, true] {
        let out = rendered(&w, Format::Human, color);
        for l in locations(&w) {
            // In colour, the escape codes of the link style stand inside the brackets.
            let header = format!("{}:{}:{}", printable(&l.file), l.line, l.column);
            let header = if color { header } else { format!("[{header}]") };
            assert!(out.contains(&header), "no {header} in\n{out}");
        }
        assert!(!out.contains(['\u{0}', '\u{9b}', '\r', '\u{202e}']) && !out.contains("\u{1b}[2J"), "{out:?}");
        if !color {
            assert!(!out.contains(|c: char| c.is_control() && c != '\n'), "{out:?}");
        }
        // Source lines (`  12 │ text`, perhaps nested) fit the terminal.
        for line in out.lines().map(without_ansi) {
            let text = line.trim_start_matches([' ', '│']);
            if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(" │ ") {
                assert!(line.chars().count() <= 100, "a source line wider than the terminal: {line}");
            }
        }
        assert!(!out.contains("x: y\nx: y"), "a million lines between two labels were drawn");
    }
}

/// `s` without the escape sequences of colours and styles.
fn without_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        rest = after.find('m').map_or("", |m| &after[m + 1..]);
    }
    out.push_str(rest);
    out
}

#[test]
fn plain_writes_one_line_per_finding() {
    let w = world();
    let out = rendered(&w, Format::Plain, false);
    assert!(!out.contains(|c: char| c.is_control() && c != '\n'), "{out:?}");
    let heads: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(heads.len(), w.diagnostics.len() + 1, "{out}");
    for (head, l) in heads.iter().zip(locations(&w)) {
        let at = format!("{}:{}:{}: ", printable(&l.file), l.line, l.column);
        assert!(head.starts_with(&at), "{head:?} does not start with {at:?}");
    }
}

#[test]
fn json_parses_with_the_exact_texts_and_positions() {
    let w = world();
    let v: Value = serde_json::from_str(&rendered(&w, Format::Json, false)).unwrap();
    let found = v["diagnostics"].as_array().unwrap();
    assert_eq!(found.len(), w.diagnostics.len());
    for ((f, d), l) in found.iter().zip(&w.diagnostics).zip(locations(&w)) {
        assert_eq!(f["message"], d.message.as_str());
        assert_eq!(f["help"].as_str(), d.help.as_deref());
        let at = &f["location"];
        assert_eq!(at["file"], l.file.as_str());
        assert_eq!(
            [&at["line"], &at["column"], &at["end_line"], &at["end_column"]].map(|n| n.as_u64().unwrap()),
            [l.line, l.column, l.end_line, l.end_column].map(u64::from)
        );
        for (r, label) in f["related"].as_array().unwrap().iter().zip(&d.related) {
            assert_eq!(r["message"], label.message.as_str());
        }
    }
}

#[test]
fn sarif_parses_with_the_positions() {
    let w = world();
    let sarif: serde_sarif::sarif::Sarif = serde_json::from_str(&rendered(&w, Format::Sarif, false)).unwrap();
    let results = sarif.runs[0].results.as_ref().unwrap();
    assert_eq!(results.len(), w.diagnostics.len());
    for ((r, d), l) in results.iter().zip(&w.diagnostics).zip(locations(&w)) {
        assert!(r.message.text.as_ref().unwrap().starts_with(&d.message));
        let region = r.locations.as_ref().unwrap()[0].physical_location.as_ref().unwrap().region.as_ref().unwrap();
        assert_eq!(region.start_line, Some(i64::from(l.line)));
        assert_eq!(region.start_column, Some(i64::from(l.column)));
        assert_eq!(region.end_column, Some(i64::from(l.end_column)));
        assert_eq!(r.related_locations.as_ref().map_or(0, Vec::len), d.related.len());
    }
}

/// A workflow command's escapes undone.
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
}

#[test]
fn github_writes_one_command_per_finding() {
    let w = world();
    let out = rendered(&w, Format::Github, false);
    assert!(!out.contains('\r'), "{out:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), w.diagnostics.len() + 1, "{out}");
    for ((line, d), l) in lines.iter().zip(&w.diagnostics).zip(locations(&w)) {
        let (command, rest) = line.split_once(' ').unwrap();
        assert!(["::error", "::warning", "::notice"].contains(&command), "{line}");
        let (properties, message) = rest.split_once("::").unwrap();
        let properties: Vec<(&str, String)> = properties
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k, unescape(v))
            })
            .collect();
        let keys: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["file", "line", "col", "endLine", "endColumn", "title"], "{line}");
        assert_eq!(properties[0].1, l.file);
        assert_eq!(properties[1].1, l.line.to_string());
        assert_eq!(properties[2].1, l.column.to_string());
        assert_eq!(properties[5].1, format!("{} {}", d.code, d.name));
        assert!(unescape(message).starts_with(&d.message), "{line}");
    }
}

#[test]
fn junit_is_well_formed_xml() {
    let w = world();
    let out = rendered(&w, Format::Junit, false);
    let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let failures: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("failure")).collect();
    assert_eq!(failures.len(), w.diagnostics.len());
    for ((f, d), l) in failures.iter().zip(&w.diagnostics).zip(locations(&w)) {
        // XML 1.0 cannot carry C0 controls but tab, line feed and carriage return, nor U+FFFE.
        let carried: String = d
            .message
            .chars()
            .map(|c| {
                if matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}') {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(f.attribute("message"), Some(carried.as_str()));
        assert_eq!(f.parent().unwrap().attribute("classname"), Some(l.file.as_str()));
        assert!(f.text().unwrap().contains(&format!(":{}:{}: ", l.line, l.column)));
    }
}
