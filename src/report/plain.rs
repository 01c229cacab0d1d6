//! One line per finding, for grep and editors' error parsers:
//!
//! ```text
//! manifests/reviews.yaml:14:17: error[MESH0202 unknown-subset]: subset "v3" of host "reviews" is not defined
//!     related: manifests/destination-rules.yaml:7:3: DestinationRule reviews defines only: v1
//!     istio: IST0101
//! ```
//!
//! Never coloured, and control characters from the input are shown as `printable` shows them, so
//! each finding starts one line. Continuation lines of a multi-line text are indented under it.

use super::{Report, printable};
use crate::lint::Diagnostic;
use std::io::{self, Write};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in report.diagnostics {
        write_finding(report, d, out)?;
    }
    writeln!(out, "{}", report.summary_line())
}

/// One finding: its line, then its help, related locations and Istio code, indented.
pub(super) fn write_finding(report: &Report, d: &Diagnostic, out: &mut dyn Write) -> io::Result<()> {
    let at = report.location(&d.primary);
    let head = format!("{}:{}:{}: {}[{} {}]: ", printable(&at.file), at.line, at.column, d.severity, d.code, d.name);
    write_indented(out, &head, &d.message, "    ")?;
    if let Some(help) = &d.help {
        write_indented(out, "    help: ", help, "          ")?;
    }
    for r in &d.related {
        let at = report.location(r);
        let file = printable(&at.file);
        if r.message.is_empty() {
            writeln!(out, "    related: {file}:{}:{}", at.line, at.column)?;
        } else {
            let head = format!("    related: {file}:{}:{}: ", at.line, at.column);
            write_indented(out, &head, &r.message, "        ")?;
        }
    }
    if let Some(istio) = d.istio_code {
        writeln!(out, "    istio: {istio}")?;
    }
    Ok(())
}

/// `head` then `text`, its later lines each prefixed with `indent`.
fn write_indented(out: &mut dyn Write, head: &str, text: &str, indent: &str) -> io::Result<()> {
    let mut lines = text.lines().map(printable);
    writeln!(out, "{head}{}", lines.next().unwrap_or_default())?;
    for line in lines {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixture;

    #[test]
    fn snapshot() {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn one_line_per_finding_whatever_the_text() {
        use crate::lint::Diagnostic;
        use crate::source::{FileId, Sources, Span};
        let mut sources = Sources::default();
        sources.add("odd\nname\u{1b}[2J.yaml".into(), "a: b\n".into());
        let rule = fixture::RULES[0];
        let diagnostics =
            [Diagnostic::new(rule, Span::new(FileId(0), 0, 1), "lone\rreturn \u{1b}[31mred\u{0}\r\nsecond")
                .help("h\u{9b}elp")
                .related(Span::new(FileId(0), 3, 4), None, "x\ry")];
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains(['\r', '\u{1b}', '\0', '\u{9b}']), "{text:?}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..5],
            [
                concat!(
                    "odd\u{240a}name\u{241b}[2J.yaml:1:1: error[MESH0001 yaml-syntax]: ",
                    "lone\u{240d}return \u{241b}[31mred\u{2400}"
                ),
                "    second",
                "    help: h\u{fffd}elp",
                "    related: odd\u{240a}name\u{241b}[2J.yaml:1:4: x\u{240d}y",
                "1 error, 0 warnings, 0 infos in 2 files (2 resources)",
            ]
        );
    }
}
