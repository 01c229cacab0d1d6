//! YAML/JSON parsing (`meshctl::source`) on arbitrary bytes: never panics, and every node of every
//! document has a span inside the file that maps to a line and column.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshctl::source::{Document, Sources, Span, escape_segment, parse_file};
use serde_json::Value;

fn check_span(sources: &Sources, span: Span) {
    let text = &sources.file(span.file).text;
    assert!(span.start <= span.end && span.end as usize <= text.len(), "{span:?} outside {} bytes", text.len());
    let loc = sources.location(span);
    assert!(loc.line >= 1 && loc.column >= 1);
    assert!((loc.line, loc.column) <= (loc.end_line, loc.end_column), "{loc:?}");
    sources.first_line(span);
}

/// Nodes checked per document: a lookup walks from the root, so checking all of an alias bomb's
/// 100,000 nodes would time the harness out, not meshctl.
const MAX_NODES: usize = 5_000;

/// Every node under `pointer` has a span (the first `budget` of them).
fn walk(sources: &Sources, doc: &Document, value: &Value, pointer: &mut String, budget: &mut usize) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    let node = doc.node(pointer).unwrap_or_else(|| panic!("no span for {pointer:?}"));
    check_span(sources, node.value);
    if let Some(k) = node.key {
        check_span(sources, k);
    }
    check_span(sources, doc.span_of(pointer));
    let len = pointer.len();
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                pointer.push('/');
                pointer.push_str(&escape_segment(k));
                walk(sources, doc, v, pointer, budget);
                pointer.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(sources, doc, v, pointer, budget);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut sources = Sources::default();
    let id = sources.add_bytes("fuzz.yaml".into(), data.to_vec());
    let docs = parse_file(sources.file(id));
    for doc in &docs {
        check_span(&sources, doc.range);
        check_span(&sources, doc.head());
        for p in &doc.problems {
            check_span(&sources, p.span);
        }
        for d in &doc.duplicates {
            check_span(&sources, d.span);
            check_span(&sources, d.first);
        }
        for a in &doc.ambiguous {
            check_span(&sources, a.span);
        }
        if let Some(v) = &doc.value {
            let mut budget = MAX_NODES;
            walk(&sources, doc, v, &mut String::new(), &mut budget);
        }
    }
});
