//! kubectl's YAML reader (scripts/yaml-oracle) against meshctl's, document by document. Shared by
//! tests/yaml_oracle.rs and fuzz/fuzz_targets/yaml_oracle.rs.

use meshctl::source::{Document, ProblemKind, Sources, parse_file};
use serde_json::{Number, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What kubectl makes of one document: one line of the oracle's output.
#[derive(Debug)]
pub enum Kube {
    /// The value's JSON text as Go writes it: keys sorted, no HTML escapes. Kept as text, since a
    /// value nested deeper than serde_json's recursion limit is still a value.
    Value(String),
    Refused(String),
    /// Two keys of one mapping become the same JSON key, and which one wins depends on Go's map
    /// order: no value is Kubernetes' answer, and meshctl must report the duplicate.
    Unstable(String),
}

/// How one document compares.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// kubectl reads it; meshctl refuses it on purpose ([`ProblemKind::TooDeep`],
    /// [`ProblemKind::AliasBudget`]), as documented on those limits.
    Limit,
    Disagree(String),
}

/// The oracle binary: `MESHCTL_YAML_ORACLE`, or where `scripts/yaml-oracle.sh path` (in the
/// checkout at `root`) says the cached build is. `None` when neither exists.
pub fn find(root: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MESHCTL_YAML_ORACLE") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let script = root.join("scripts/yaml-oracle.sh");
    let out = Command::new("bash").arg(script).arg("path").stderr(Stdio::null()).output().ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_file()).then_some(path)
}

/// Run the oracle on `input`.
pub fn kube(oracle: &Path, input: &[u8]) -> Vec<Kube> {
    let mut child = Command::new(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", oracle.display()));
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // Written from a thread: a large input would fill the pipe while the oracle's output fills the other.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("the oracle runs");
    writer.join().expect("writer thread").expect("input written to the oracle");
    assert!(out.status.success(), "the oracle failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("the oracle prints UTF-8")
        .lines()
        .map(|line| {
            if let Some(v) = line.strip_prefix("{\"value\":").and_then(|l| l.strip_suffix('}')) {
                return Kube::Value(v.to_string());
            }
            // An error or an unstable value: keys sort `error` and `unstable` first.
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("oracle line {line:?}: {e}"));
            match (v.get("error").and_then(Value::as_str), v.get("unstable").and_then(Value::as_str)) {
                (Some(err), _) => Kube::Refused(err.to_string()),
                (None, Some(why)) => Kube::Unstable(why.to_string()),
                (None, None) => panic!("oracle line {line:?}: neither a value, an error nor unstable"),
            }
        })
        .collect()
}

/// meshctl's documents for `input`, read as meshctl reads a file.
pub fn meshctl(input: &[u8]) -> Vec<Document> {
    let mut sources = Sources::default();
    let id = sources.add_bytes("input.yaml".into(), input.to_vec());
    parse_file(sources.file(id))
}

/// Compare kubectl's documents with meshctl's, pairwise: one verdict per document of the longer
/// list.
pub fn compare(kube: &[Kube], docs: &[Document]) -> Vec<Verdict> {
    (0..kube.len().max(docs.len()))
        .map(|i| match (kube.get(i), docs.get(i)) {
            (Some(k), Some(d)) => verdict(k, d),
            (Some(k), None) => Verdict::Disagree(format!("meshctl has no document here; kubectl: {}", show(k))),
            (None, Some(d)) => Verdict::Disagree(format!("kubectl has no document here; meshctl: {}", show_doc(d))),
            (None, None) => unreachable!("i is below one of the lengths"),
        })
        .collect()
}

fn verdict(k: &Kube, d: &Document) -> Verdict {
    let refused = !d.problems.is_empty();
    match k {
        Kube::Refused(_) if refused => Verdict::Agree,
        Kube::Refused(why) => Verdict::Disagree(format!("kubectl refuses it ({why}); meshctl reads {}", show_doc(d))),
        _ if refused
            && d.problems.iter().all(|p| matches!(p.kind, ProblemKind::TooDeep | ProblemKind::AliasBudget)) =>
        {
            Verdict::Limit
        }
        _ if refused => Verdict::Disagree(format!("kubectl reads {}; meshctl refuses it: {}", show(k), show_doc(d))),
        Kube::Unstable(_) if !d.duplicates.is_empty() => Verdict::Agree,
        Kube::Unstable(why) => {
            Verdict::Disagree(format!("kubectl's value depends on map order ({why}); meshctl reports no duplicate key"))
        }
        Kube::Value(v) => match &d.value {
            Some(m) if *v == go_json(m) => Verdict::Agree,
            _ => Verdict::Disagree(format!("kubectl reads {}; meshctl reads {}", show(k), show_doc(d))),
        },
    }
}

fn show(k: &Kube) -> String {
    match k {
        Kube::Value(v) => short(v),
        Kube::Refused(why) => format!("an error ({why})"),
        Kube::Unstable(why) => format!("a value that depends on map order ({why})"),
    }
}

fn show_doc(d: &Document) -> String {
    match (&d.value, d.problems.first()) {
        (_, Some(p)) => format!("an error ({:?}: {})", p.kind, p.message),
        (Some(v), None) => short(&go_json(v)),
        (None, None) => "nothing".into(),
    }
}

fn short(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// `v` as Go's encoding/json writes it without HTML escapes: object keys sorted, numbers as
/// Kubernetes prints them (`1.0` and `1` are both `1`, a float64 with no fraction).
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_go(v, &mut out);
    out
}

fn write_go(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => write_go_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, x)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(k, out);
                out.push(':');
                write_go(x, out);
            }
            out.push('}');
        }
    }
}

fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as Go's encoding/json prints it.
pub fn go_number(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => go_float(f),
        _ => n.to_string(),
    }
}

/// encoding/json's float64: the shortest decimal that reads back the same, without an exponent
/// from 1e-6 up to 1e21, and `1e+21`, `1e-7` outside.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').expect("{:e} has an exponent");
    match exp.strip_prefix('-') {
        Some(e) => format!("{mantissa}e-{e}"),
        None => format!("{mantissa}e+{exp:0>2}"),
    }
}
