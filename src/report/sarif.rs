//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: one run, every rule in
//! `tool.driver.rules`, one result per finding with its related locations. URIs are the file
//! names as shown to the user (relative to where meshctl ran), percent-encoded; columns count
//! Unicode code points, as `columnKind` says.

use super::Report;
use crate::lint::{Label, Severity};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `repository` of Cargo.toml; empty when it names none.
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// Each rule's `helpUri`: the README's Rules section in `repository`, which points to
/// `meshctl explain CODE` (the rule's whole text is its `help`). SARIF wants an absolute URI there,
/// and meshctl has no website: without a repository URL there is no honest one, and none is given.
fn help_uri(repository: &str) -> Option<String> {
    let repository = repository.trim_end_matches('/');
    (!repository.is_empty()).then(|| format!("{repository}/blob/HEAD/README.md#rules"))
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif(report))?;
    writeln!(out)
}

fn sarif(report: &Report) -> Sarif {
    let help_uri = help_uri(INFORMATION_URI);
    let rules: Vec<ReportingDescriptor> = report
        .rules
        .iter()
        .map(|r| {
            let explain = r.explain();
            let mut rule = ReportingDescriptor::builder()
                .id(r.code)
                .name(r.name)
                .short_description(MultiformatMessageString::builder().text(r.summary).build())
                .full_description(MultiformatMessageString::builder().text(r.docs).markdown(r.docs).build())
                .help(MultiformatMessageString::builder().text(explain.as_str()).markdown(explain.as_str()).build())
                .default_configuration(ReportingConfiguration::builder().level(json!(level(r.severity))).build())
                .build();
            rule.help_uri.clone_from(&help_uri);
            rule
        })
        .collect();
    let results: Vec<SarifResult> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let related: Vec<Location> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    Location::builder()
                        .id(i as i64)
                        .physical_location(physical_location(report, r))
                        .message(Message::from(r.message.as_str()))
                        .build()
                })
                .collect();
            let result = SarifResult::builder()
                .rule_id(d.code)
                .level(level(d.severity))
                .message(Message::from(text.as_str()))
                .locations(vec![Location::builder().physical_location(physical_location(report, &d.primary)).build()]);
            let mut result =
                if related.is_empty() { result.build() } else { result.related_locations(related).build() };
            result.rule_index = report.rules.iter().position(|r| r.code == d.code).map(|i| i as i64);
            result
        })
        .collect();
    let mut driver = ToolComponent::builder().name("meshctl").version(env!("CARGO_PKG_VERSION")).rules(rules).build();
    if !INFORMATION_URI.is_empty() {
        driver.information_uri = Some(INFORMATION_URI.to_owned());
    }
    let run = Run::builder().tool(Tool::from(driver)).results(results).column_kind(json!("unicodeCodePoints")).build();
    Sarif::builder().schema(SCHEMA).version(json!("2.1.0")).runs(vec![run]).build()
}

fn physical_location(report: &Report, label: &Label) -> PhysicalLocation {
    let l = report.location(label);
    PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(uri(&l.file)).build())
        .region(
            Region::builder()
                .start_line(i64::from(l.line))
                .start_column(i64::from(l.column))
                .end_line(i64::from(l.end_line))
                .end_column(i64::from(l.end_column))
                .build(),
        )
        .build()
}

/// A file name as a URI reference: relative names stay relative (`./` dropped, `\` → `/`),
/// absolute ones become `file://` URIs; everything outside RFC 3986's unreserved set and `/` is
/// percent-encoded.
fn uri(name: &str) -> String {
    let path = name.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let (mut out, rest) = if path.starts_with('/') {
        (String::from("file://"), path)
    } else if path.len() > 2 && path.as_bytes()[0].is_ascii_alphabetic() && path[1..].starts_with(":/") {
        // A Windows drive: `C:/x` → `file:///C:/x`.
        (format!("file:///{}", &path[..2]), &path[2..])
    } else {
        (String::new(), path)
    };
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::uri;

    fn rendered() -> String {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot() {
        let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
        insta::with_settings!({ filters => vec![(regex_escape(&version).as_str(), "\"version\": \"[VERSION]\"")] }, {
            insta::assert_snapshot!(rendered());
        });
    }

    fn regex_escape(s: &str) -> String {
        s.chars().fold(String::new(), |mut acc, c| {
            if c.is_ascii_punctuation() {
                acc.push('\\');
            }
            acc.push(c);
            acc
        })
    }

    #[test]
    fn parses_as_sarif() {
        let text = rendered();
        let sarif: serde_sarif::sarif::Sarif = serde_json::from_str(&text).unwrap();
        assert_eq!(sarif.version, "2.1.0");
        let run = &sarif.runs[0];
        assert_eq!(run.tool.driver.name, "meshctl");
        assert_eq!(run.tool.driver.rules.as_ref().unwrap().len(), 4);
        let results = run.results.as_ref().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[1].rule_id.as_deref(), Some("MESH0202"));
        assert_eq!(results[1].rule_index, Some(1));
        assert_eq!(results[1].related_locations.as_ref().unwrap().len(), 2);
        let levels: Vec<_> = results.iter().map(|r| r.level.unwrap().to_string()).collect();
        assert_eq!(levels, ["note", "error", "warning"]);
    }

    #[test]
    fn each_rule_has_its_explain_text_as_help() {
        let sarif: serde_sarif::sarif::Sarif = serde_json::from_str(&rendered()).unwrap();
        let rules = sarif.runs[0].tool.driver.rules.as_ref().unwrap();
        for (rule, meta) in rules.iter().zip(fixture::RULES) {
            let help = rule.help.as_ref().unwrap();
            assert_eq!(help.text, meta.explain());
            assert_eq!(help.markdown.as_deref(), Some(meta.explain().as_str()));
            assert_eq!(rule.help_uri, super::help_uri(super::INFORMATION_URI));
        }
    }

    #[test]
    fn the_help_uri_is_the_readme_in_the_repository_when_there_is_one() {
        assert_eq!(
            super::help_uri("https://example.invalid/meshctl/").as_deref(),
            Some("https://example.invalid/meshctl/blob/HEAD/README.md#rules")
        );
        assert_eq!(super::help_uri(""), None);
    }

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("manifests/reviews.yaml"), "manifests/reviews.yaml");
        assert_eq!(uri("./a b/é.yaml"), "a%20b/%C3%A9.yaml");
        assert_eq!(uri("dir\\x:y.yaml"), "dir/x%3Ay.yaml");
        assert_eq!(uri("/abs/x.yaml"), "file:///abs/x.yaml");
        assert_eq!(uri("C:\\m\\x.yaml"), "file:///C:/m/x.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }
}
