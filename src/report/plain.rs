//! One line per finding, for grep and editors' error parsers:
//!
//! ```text
//! manifests/reviews.yaml:14:17: error[MESH0202 unknown-subset]: subset "v3" of host "reviews" is not defined
//!     related: manifests/destination-rules.yaml:7:3: DestinationRule reviews defines only: v1
//!     istio: IST0101
//! ```
//!
//! Never coloured. Continuation lines of a multi-line text are indented under it.

use super::Report;
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
    let head = format!("{}:{}:{}: {}[{} {}]: ", at.file, at.line, at.column, d.severity, d.code, d.name);
    write_indented(out, &head, &d.message, "    ")?;
    if let Some(help) = &d.help {
        write_indented(out, "    help: ", help, "          ")?;
    }
    for r in &d.related {
        let at = report.location(r);
        if r.message.is_empty() {
            writeln!(out, "    related: {}:{}:{}", at.file, at.line, at.column)?;
        } else {
            let head = format!("    related: {}:{}:{}: ", at.file, at.line, at.column);
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
    let mut lines = text.lines();
    writeln!(out, "{head}{}", lines.next().unwrap_or(""))?;
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
}
