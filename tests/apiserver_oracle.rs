//! The API server as the oracle of meshctl's schema checks: every case of tests/apiserver-oracle/
//! (one file per kind meshctl has a schema for, documents separated by `---`) is created with
//! `?dryRun=All&fieldValidation=Strict` on the test cluster (tests/testenv/) and linted alone by
//! `meshctl lint`, and the two verdicts must agree: both accept, or both refuse, on a related field.
//!
//! - A case is a document whose first line is `# <name>: <what it covers and where it comes from>`;
//!   `<name>` starts with `ok-` for a document the server accepts and `bad-` for one it refuses,
//!   and a case whose server verdict is not the one its name says is an error in the case.
//! - meshctl refuses when it reports an error of a schema rule ([`SCHEMA_CODES`]); its other
//!   findings (dangling references, style) do not count.
//! - The server's fields are those of `Status.details.causes[].field` and, for unknown fields
//!   (which `fieldValidation=Strict` reports before validating, in the message only), the paths
//!   its message names. `spec.http[0].timeout` is the pointer `/spec/http/0/timeout`.
//! - Both refusing agree when a field of the server's is one of meshctl's pointers, or an ancestor
//!   or a descendant of one: a CEL rule without `fieldPath` names the object it is written on, and
//!   meshctl names a missing field's object where the server names the field. When the server
//!   names no field, the verdict alone is compared.
//! - tests/apiserver-oracle/allowlist.txt lists the disagreements known and why, one case a line
//!   (`<file>/<case> <reason>`). A disagreement not listed fails the test, and so does a listed
//!   case that agrees now (delete its line) or that does not exist.

use kube::api::{DynamicObject, PostParams};
use kube::core::{GroupVersionKind, Resource, Status};
use meshctl::source::{Sources, parse_file};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

mod testenv;

/// The rules that report schema errors: unknown field, mis-indented key, invalid type, missing
/// required field, invalid enum value, conflicting fields, invalid value, CEL validation rule,
/// invalid name.
const SCHEMA_CODES: &[&str] =
    &["MESH0101", "MESH0102", "MESH0103", "MESH0104", "MESH0105", "MESH0106", "MESH0107", "MESH0108", "MESH0110"];

/// The namespace namespaced cases are created in (dry run: nothing is written).
const NAMESPACE: &str = "default";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apiserver-oracle")
}

struct Case {
    /// `<file stem>/<name>`, the allowlist's key.
    key: String,
    /// The file stem: the kind, for the table.
    file: String,
    expect_refused: bool,
    text: String,
    api_version: String,
    kind: String,
}

/// The cases of one file.
fn read_cases(path: &Path) -> Vec<Case> {
    let file = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let mut chunks = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            chunks.push(String::new());
        } else {
            let last = chunks.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    let mut cases = Vec::new();
    for chunk in chunks.into_iter().filter(|c| c.lines().any(|l| !l.trim().is_empty() && !l.starts_with('#'))) {
        let first = chunk.lines().next().unwrap_or_default();
        let name = first
            .strip_prefix("# ")
            .and_then(|l| l.split_once(": "))
            .map(|(name, _)| name)
            .filter(|n| n.starts_with("ok-") || n.starts_with("bad-"))
            .unwrap_or_else(|| panic!("{file}: a case must start with `# ok-…: …` or `# bad-…: …`, not {first:?}"));
        let mut sources = Sources::default();
        let id = sources.add(format!("{file}/{name}"), chunk.clone());
        let docs = parse_file(sources.file(id));
        let value = match docs.as_slice() {
            [doc] => doc.value.clone().unwrap_or_else(|| panic!("{file}/{name}: not YAML meshctl reads")),
            _ => panic!("{file}/{name}: {} documents, not one", docs.len()),
        };
        let field = |f: &str| value[f].as_str().unwrap_or_else(|| panic!("{file}/{name}: no {f}")).to_string();
        cases.push(Case {
            key: format!("{file}/{name}"),
            file: file.clone(),
            expect_refused: name.starts_with("bad-"),
            api_version: field("apiVersion"),
            kind: field("kind"),
            text: chunk,
        });
    }
    cases
}

/// What one side makes of a case: `None` when it accepts it, else the pointers it names.
type Verdict = Option<Vec<String>>;

/// `spec.rules[0].matches[0]` (a Go `field.Path`) as the JSON pointer `/spec/rules/0/matches/0`.
fn pointer(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while !rest.is_empty() {
        let token;
        if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').unwrap_or(inner.len());
            token = &inner[..end];
            rest = inner.get(end + 1..).unwrap_or_default();
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            token = &rest[..end];
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
        out.push('/');
        out.push_str(&token.replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// The fields a refusal names: its causes', and the unknown fields of a strict decoding error.
fn refused_fields(status: &Status) -> Vec<String> {
    let causes = status.details.iter().flat_map(|d| &d.causes);
    let mut fields: Vec<String> =
        causes.map(|c| c.field.as_str()).filter(|f| !f.is_empty() && *f != "<nil>").map(pointer).collect();
    let mut message = status.message.as_str();
    while let Some(at) = message.find("unknown field \"") {
        let rest = &message[at + "unknown field \"".len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        fields.push(pointer(&rest[..end]));
        message = &rest[end..];
    }
    fields
}

/// The server's verdict, and its message when it refuses.
async fn server(
    client: &kube::Client,
    plurals: &mut HashMap<(String, String), (kube::core::ApiResource, bool)>,
    case: &Case,
) -> (Verdict, String) {
    let key = (case.api_version.clone(), case.kind.clone());
    if !plurals.contains_key(&key) {
        let (group, version) = case.api_version.rsplit_once('/').unwrap_or(("", &case.api_version));
        let gvk = GroupVersionKind::gvk(group, version, &case.kind);
        let (ar, caps) = kube::discovery::pinned_kind(client, &gvk).await.unwrap_or_else(|e| {
            panic!("{}: the server does not serve {} {}: {e}", case.key, case.api_version, case.kind)
        });
        plurals.insert(key.clone(), (ar, caps.scope == kube::discovery::Scope::Namespaced));
    }
    let (ar, namespaced) = &plurals[&key];
    let url = DynamicObject::url_path(ar, namespaced.then_some(NAMESPACE));
    let pp = PostParams { dry_run: true, field_manager: None };
    let mut req = kube::core::Request::new(url).create(&pp, case.text.clone().into_bytes()).unwrap();
    *req.uri_mut() = format!("{}&fieldValidation=Strict", req.uri()).parse().unwrap();
    req.headers_mut().insert("content-type", "application/yaml".parse().unwrap());
    match client.request_text(req).await {
        Ok(_) => (None, String::new()),
        Err(kube::Error::Api(status)) if matches!(status.code, 400 | 422) => {
            (Some(refused_fields(&status)), status.message.clone())
        }
        Err(e) => panic!("{}: {e}", case.key),
    }
}

/// meshctl's verdict on the case alone, and the messages of its schema findings.
fn meshctl(dir: &Path, index: usize, case: &Case) -> (Verdict, String) {
    let file = dir.join(format!("{index}.yaml"));
    std::fs::write(&file, &case.text).unwrap();
    let out = assert_cmd::Command::cargo_bin("meshctl")
        .unwrap()
        .args(["lint", "-f", "json", "--no-config", "--fail-on", "never"])
        .arg(&file)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{}: meshctl printed no JSON ({e}): {}", case.key, String::from_utf8_lossy(&out.stderr))
    });
    let schema_errors: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" && SCHEMA_CODES.contains(&d["code"].as_str().unwrap_or_default()))
        .collect();
    if schema_errors.is_empty() {
        return (None, String::new());
    }
    let pointers =
        schema_errors.iter().map(|d| d["location"]["pointer"].as_str().unwrap_or_default().to_string()).collect();
    let messages: Vec<String> = schema_errors
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}",
                d["code"].as_str().unwrap(),
                d["location"]["pointer"].as_str().unwrap_or_default(),
                d["message"].as_str().unwrap()
            )
        })
        .collect();
    (Some(pointers), messages.join("; "))
}

/// Whether `a` and `b` are the same field, or one is inside the other. A Secret's `stringData`
/// is merged into `data` before validation (`pkg/apis/core/v1/conversion.go`), so the server
/// names `data[key]` where meshctl names the key as written, under `stringData`.
fn related(a: &str, b: &str) -> bool {
    let below = |p: &str, q: &str| p.strip_prefix(q).is_some_and(|rest| rest.starts_with('/'));
    let merged = |p: &str| p.strip_prefix("/stringData/").map(|k| format!("/data/{k}"));
    a == b
        || (!b.is_empty() && below(a, b))
        || (!a.is_empty() && below(b, a))
        || merged(b).is_some_and(|b| b == a)
        || merged(a).is_some_and(|a| a == b)
}

/// `None` when the two verdicts agree, else how they differ.
fn compare(server: &Verdict, meshctl: &Verdict) -> Option<String> {
    match (server, meshctl) {
        (None, None) => None,
        (Some(_), None) => Some("the server refuses it, meshctl accepts it".into()),
        (None, Some(_)) => Some("meshctl refuses it, the server accepts it".into()),
        (Some(s), Some(_)) if s.is_empty() => None,
        (Some(s), Some(m)) if s.iter().any(|s| m.iter().any(|m| related(s, m))) => None,
        (Some(s), Some(m)) => Some(format!("both refuse it, on other fields: the server on {s:?}, meshctl on {m:?}")),
    }
}

/// `<file>/<case>` → reason.
fn allowlist() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(cases_dir().join("allowlist.txt")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(!reason.trim().is_empty(), "allowlist.txt: {key} has no reason");
        assert!(out.insert(key.to_string(), reason.trim().to_string()).is_none(), "allowlist.txt: {key} twice");
    }
    out
}

#[test]
fn the_api_server_and_meshctl_agree_on_every_case() {
    let Some(kubeconfig) = testenv::kubeconfig() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let cases: Vec<Case> = files.iter().flat_map(|f| read_cases(f)).collect();
    let mut keys = std::collections::HashSet::new();
    for c in &cases {
        assert!(keys.insert(&c.key), "{}: two cases of that name", c.key);
    }

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let servers: Vec<(Verdict, String)> = rt.block_on(async {
        let client = testenv::client(&kubeconfig).await;
        let mut plurals = HashMap::new();
        let mut out = Vec::new();
        for c in &cases {
            out.push(server(&client, &mut plurals, c).await);
        }
        out
    });

    // meshctl, a process per case, on a few threads.
    let dir = tempfile::tempdir().unwrap();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let mut meshctls: Vec<Option<(Verdict, String)>> = (0..cases.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let chunk = cases.len().div_ceil(threads).max(1);
        let dir = dir.path();
        let handles: Vec<_> = cases
            .chunks(chunk)
            .enumerate()
            .map(|(t, part)| {
                s.spawn(move || {
                    part.iter().enumerate().map(|(i, c)| meshctl(dir, t * chunk + i, c)).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut i = 0;
        for h in handles {
            for v in h.join().unwrap() {
                meshctls[i] = Some(v);
                i += 1;
            }
        }
    });

    let allowed = allowlist();
    let mut table: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    let mut failures = Vec::new();
    for ((case, (server, server_message)), meshctl) in cases.iter().zip(&servers).zip(meshctls) {
        let (meshctl, meshctl_message) = meshctl.unwrap();
        if server.is_some() != case.expect_refused {
            failures.push(format!(
                "{}: the case's name says the server {}, but it {} {server_message}",
                case.key,
                if case.expect_refused { "refuses it" } else { "accepts it" },
                if case.expect_refused { "accepts it" } else { "refuses it:" },
            ));
        }
        let row = table.entry(&case.file).or_default();
        row[0] += 1;
        match (compare(server, &meshctl), allowed.get(&case.key)) {
            (None, None) => row[1] += 1,
            (None, Some(_)) => {
                row[1] += 1;
                failures.push(format!("{}: agrees now; delete its line from allowlist.txt", case.key));
            }
            (Some(_), Some(_)) => row[3] += 1,
            (Some(how), None) => {
                row[2] += 1;
                failures.push(format!(
                    "{}: {how}\n    server:  {server_message}\n    meshctl: {meshctl_message}",
                    case.key
                ));
            }
        }
    }
    for key in allowed.keys().filter(|k| !keys.contains(k)) {
        failures.push(format!("{key}: in allowlist.txt, but there is no such case"));
    }

    // Written past the test harness's capture, so that the table shows in every run.
    let mut report =
        format!("{:<36} {:>5} {:>5} {:>9} {:>11}\n", "apiserver oracle", "cases", "agree", "disagree", "allowlisted");
    let mut total = [0; 4];
    for (file, row) in &table {
        report += &format!("{file:<36} {:>5} {:>5} {:>9} {:>11}\n", row[0], row[1], row[2], row[3]);
        (0..4).for_each(|i| total[i] += row[i]);
    }
    report += &format!("{:<36} {:>5} {:>5} {:>9} {:>11}\n", "total", total[0], total[1], total[2], total[3]);
    std::io::stderr().write_all(report.as_bytes()).unwrap();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
