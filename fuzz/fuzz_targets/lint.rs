//! The whole lint pipeline on arbitrary bytes: parse, objects, typed model, schema, mesh, every
//! rule, suppression, then every report format. Never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshctl::lint::{LintOptions, lint_sources, rules};
use meshctl::report::{Format, Report, Style, Summary, render};
use meshctl::source::Sources;

const FORMATS: [Format; 6] = [Format::Human, Format::Plain, Format::Json, Format::Sarif, Format::Github, Format::Junit];

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::default();
    sources.add_bytes("fuzz.yaml".into(), data.to_vec());
    let outcome = lint_sources(sources, &LintOptions::default());
    let all = rules::all();
    let report = Report {
        diagnostics: &outcome.diagnostics,
        sources: &outcome.sources,
        rules: &all,
        summary: Summary { files: 1, resources: outcome.resources },
    };
    let style = Style { color: true, width: 80 };
    for format in FORMATS {
        let mut out = Vec::new();
        render(format, &report, &style, &mut out).expect("rendering to memory cannot fail");
    }
});
