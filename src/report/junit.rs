//! JUnit XML for CI test reports: one suite, `meshctl lint`; one failing test case per finding
//! (class = file, name = `CODE name at line:col`, failure type = severity, body = the plain
//! rendering), then one passing test case per input file without findings, so that the suite is
//! never empty.

use super::{Report, plain};
use std::io::{self, Write};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut has_finding = vec![false; report.sources.files.len()];
    for d in report.diagnostics {
        if let Some(seen) = has_finding.get_mut(d.primary.span.file.0 as usize) {
            *seen = true;
        }
    }
    let clean: Vec<&str> =
        report.sources.files.iter().filter(|f| !has_finding[f.id.0 as usize]).map(|f| f.name.as_str()).collect();
    let failures = report.diagnostics.len();
    let tests = failures + clean.len();
    let counts = format!(r#"tests="{tests}" failures="{failures}" errors="0" skipped="0""#);

    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="meshctl" {counts}>"#)?;
    writeln!(out, r#"  <testsuite name="meshctl lint" {counts}>"#)?;
    for d in report.diagnostics {
        let at = report.location(&d.primary);
        let mut body = Vec::new();
        plain::write_finding(report, d, &mut body)?;
        writeln!(
            out,
            r#"    <testcase classname="{}" name="{} {} at {}:{}">"#,
            attr(&at.file),
            d.code,
            d.name,
            at.line,
            at.column
        )?;
        writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            attr(&d.message),
            d.severity,
            text(String::from_utf8_lossy(&body).trim_end())
        )?;
        writeln!(out, "    </testcase>")?;
    }
    for name in clean {
        let name = attr(name);
        writeln!(out, r#"    <testcase classname="{name}" name="{name}"/>"#)?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// An XML attribute value: markup characters as entities, line breaks and tabs as character
/// references (which attribute-value normalisation keeps), characters XML 1.0 cannot carry as U+FFFD.
fn attr(s: &str) -> String {
    escape(s, true)
}

/// XML character data: like [`attr`], but line breaks and tabs stay as they are.
fn text(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' if !attribute => out.push(c),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::{attr, text};

    #[test]
    fn snapshot() {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(attr("a<b> & \"c\" 'd'\n\t\u{1b}"), "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#10;&#9;\u{fffd}");
        assert_eq!(text("a<b>\n\tc\r\u{0}"), "a&lt;b&gt;\n\tc&#13;\u{fffd}");
    }

    #[test]
    fn a_clean_run_still_has_a_test_case_per_file() {
        let sources = fixture::sources();
        let mut out = Vec::new();
        super::render(&fixture::report(&[], &sources), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#"<testsuite name="meshctl lint" tests="2" failures="0""#));
        assert!(text.contains(r#"<testcase classname="manifests/reviews.yaml" name="manifests/reviews.yaml"/>"#));
    }
}
