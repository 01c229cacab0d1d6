//! GitHub Actions workflow commands, which the runner turns into annotations on the pull request:
//!
//! ```text
//! ::error file=manifests/reviews.yaml,line=14,col=17,endLine=14,endColumn=19,title=MESH0202 unknown-subset::subset "v3" …
//! ```
//!
//! Help, related locations and the Istio code follow the message on their own lines. The summary
//! line ends the output as ordinary log text.

use super::Report;
use crate::lint::Severity;
use std::io::{self, Write};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in report.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let at = report.location(&d.primary);
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        for r in &d.related {
            let l = report.location(r);
            message.push_str(&format!("\nrelated: {}:{}:{}", l.file, l.line, l.column));
            if !r.message.is_empty() {
                message.push_str(": ");
                message.push_str(&r.message);
            }
        }
        if let Some(istio) = d.istio_code {
            message.push_str("\nistio: ");
            message.push_str(istio);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&at.file),
            at.line,
            at.column,
            at.end_line,
            at.end_column,
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&message),
        )?;
    }
    writeln!(out, "{}", report.summary_line())
}

/// A command's message: `%`, CR and LF are escaped (as `@actions/core` does).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A command's property value: also `:` and `,`, which separate properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::{escape_data, escape_property};

    #[test]
    fn snapshot() {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(escape_property("C:\\a,b%\n"), "C%3A\\a%2Cb%25%0A");
    }
}
