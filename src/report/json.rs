//! The JSON contract of `meshctl lint --format json` (see ARCHITECTURE.md, "Output contracts").
//! Version 1; fields appear in the contract's order, absent values are `null`.

use super::Report;
use crate::lint::{Label, ResourceRef, Severity};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// The version of this contract; bump it on any incompatible change.
const VERSION: u32 = 1;

/// The output of `meshctl lint --format json`.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "meshctl lint output")]
pub(crate) struct Output<'a> {
    /// The version of this format; it changes on any incompatible change.
    #[schemars(extend("const" = VERSION))]
    version: u32,
    /// The findings, by file, position and code.
    diagnostics: Vec<Finding<'a>>,
    summary: SummaryOut,
}

/// One finding.
#[derive(Serialize, JsonSchema)]
struct Finding<'a> {
    /// The rule's code (`MESH0201`).
    code: &'a str,
    /// The rule's name.
    name: &'a str,
    #[schemars(with = "Severity")]
    severity: &'a str,
    message: &'a str,
    /// How to fix it, when the rule knows.
    help: Option<&'a str>,
    /// The Istio analyzer code of the same check (`IST0101`), if there is one.
    istio_code: Option<&'a str>,
    /// The resource the finding is about; `null` when it is about no one resource.
    resource: Option<&'a ResourceRef>,
    location: LocationOut<'a>,
    /// Other places that explain the finding, possibly in other files.
    related: Vec<Related<'a>>,
}

/// A place in the input, from (`line`, `column`) to (`end_line`, `end_column`); columns count
/// characters.
#[derive(Serialize, JsonSchema)]
struct LocationOut<'a> {
    /// The file as meshctl shows it (relative to the working directory when it can); `<stdin>` for `-`.
    file: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    /// The JSON pointer of the node in its document (`/spec/http/0`), when known.
    pointer: Option<&'a str>,
}

/// A place that explains a finding.
#[derive(Serialize, JsonSchema)]
struct Related<'a> {
    /// What this place has to do with the finding.
    message: &'a str,
    location: LocationOut<'a>,
}

/// What was read and what was found.
#[derive(Serialize, JsonSchema)]
struct SummaryOut {
    /// Files read.
    files: usize,
    /// Resources read.
    resources: usize,
    /// Findings at severity `error`.
    error: usize,
    /// Findings at severity `warning`.
    warning: usize,
    /// Findings at severity `info`.
    info: usize,
}

fn location<'a>(report: &Report, label: &'a Label) -> LocationOut<'a> {
    let l = report.location(label);
    LocationOut {
        file: l.file,
        line: l.line,
        column: l.column,
        end_line: l.end_line,
        end_column: l.end_column,
        pointer: label.pointer.as_deref(),
    }
}

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let diagnostics = report
        .diagnostics
        .iter()
        .map(|d| Finding {
            code: d.code,
            name: d.name,
            severity: d.severity.as_str(),
            message: &d.message,
            help: d.help.as_deref(),
            istio_code: d.istio_code,
            resource: d.resource.as_ref(),
            location: location(report, &d.primary),
            related: d.related.iter().map(|r| Related { message: &r.message, location: location(report, r) }).collect(),
        })
        .collect();
    let counts = report.counts();
    let output = Output {
        version: VERSION,
        diagnostics,
        summary: SummaryOut {
            files: report.summary.files,
            resources: report.summary.resources,
            error: counts.error,
            warning: counts.warning,
            info: counts.info,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use serde_json::Value;

    fn rendered() -> String {
        let sources = fixture::sources();
        let diagnostics = fixture::diagnostics();
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(rendered());
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().expect("an object").keys().map(String::as_str).collect()
    }

    #[test]
    fn has_the_contract_fields_in_order() {
        let v: Value = serde_json::from_str(&rendered()).unwrap();
        assert_eq!(keys(&v), ["version", "diagnostics", "summary"]);
        assert_eq!(v["version"], 1);
        let d = &v["diagnostics"];
        assert_eq!(d.as_array().unwrap().len(), 3);
        let fields = ["code", "name", "severity", "message", "help", "istio_code", "resource", "location", "related"];
        for f in d.as_array().unwrap() {
            assert_eq!(keys(f), fields);
            assert_eq!(keys(&f["location"]), ["file", "line", "column", "end_line", "end_column", "pointer"]);
            for r in f["related"].as_array().unwrap() {
                assert_eq!(keys(r), ["message", "location"]);
            }
        }
        assert_eq!(keys(&d[1]["resource"]), ["apiVersion", "kind", "namespace", "name"]);
        assert_eq!(keys(&v["summary"]), ["files", "resources", "error", "warning", "info"]);

        // The info: no resource, no help, an Istio code; a column counted in characters.
        assert_eq!(d[0]["resource"], Value::Null);
        assert_eq!(d[0]["help"], Value::Null);
        assert_eq!(d[0]["istio_code"], "IST0128");
        assert_eq!(d[0]["location"]["column"], 20);
        // The error: its related label in the other file.
        assert_eq!(d[1]["related"][1]["location"]["file"], "manifests/destination-rules.yaml");
        assert_eq!(d[1]["related"][1]["location"]["pointer"], "/spec/subsets");
        assert_eq!(d[1]["location"]["pointer"], "/spec/http/0/route/0/destination/subset");
        // The warning: no Istio code.
        assert_eq!(d[2]["istio_code"], Value::Null);
        assert_eq!(v["summary"]["error"], 1);
        assert_eq!(v["summary"]["files"], 2);
    }

    #[test]
    fn namespace_is_null_when_not_written() {
        let sources = fixture::sources();
        let mut diagnostics = fixture::diagnostics();
        diagnostics[1].resource.as_mut().unwrap().namespace = None;
        let mut out = Vec::new();
        super::render(&fixture::report(&diagnostics, &sources), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["diagnostics"][1]["resource"]["namespace"], Value::Null);
    }
}
