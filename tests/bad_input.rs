//! Broken and hostile input: every file of `testdata/bad/` (each says its mistake in its first
//! comment) and inputs generated here (a 50 MB file, binary data, a 1 MB string). meshctl reports
//! each mistake at its line and column, keeps linting what it can, and never panics: the exit code
//! is 0 (clean) or 1 (findings), never 101.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a hostile input may take before the test calls it a hang. Speed is measured in
/// benchmarks (BENCHMARKS.md), not here: this bound only catches hangs and exponential blow-ups,
/// with room for a debug build on a loaded 2-core machine.
const HANG_GUARD: Duration = Duration::from_secs(300);

/// (code, line, column) of a finding.
type Found = (String, u64, u64);

struct Run {
    code: i32,
    found: Vec<Found>,
    json: Value,
}

impl Run {
    fn lines_of(&self, code: &str) -> Vec<u64> {
        self.found.iter().filter(|(c, _, _)| c == code).map(|(_, l, _)| *l).collect()
    }

    fn codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.found.iter().map(|(c, _, _)| c.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn resources(&self) -> u64 {
        self.json["summary"]["resources"].as_u64().unwrap()
    }
}

fn lint(path: &Path) -> Run {
    let out = Command::cargo_bin("meshctl")
        .expect("binary built")
        .args(["lint", "--no-config", "-f", "json"])
        .arg(path)
        .output()
        .unwrap();
    let code = out.status.code().expect("exited, not killed");
    assert!(
        code == 0 || code == 1,
        "{}: exit code {code}, stderr:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {}", path.display(), String::from_utf8_lossy(&out.stdout)));
    let found = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["location"]["line"].as_u64().unwrap(),
                d["location"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    Run { code, found, json }
}

fn bad(name: &str) -> Run {
    lint(&Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad").join(name))
}

fn has(r: &Run, code: &str, line: u64, column: u64) -> bool {
    r.found.contains(&(code.to_string(), line, column))
}

fn rule_exists(code: &str) -> bool {
    meshctl::lint::rules::by_code(code).is_some()
}

#[test]
fn tabs() {
    let r = bad("tabs.yaml");
    assert_eq!(r.code, 1);
    // One tab, one finding (not also the parser's own complaint about the same tab).
    assert_eq!(r.found, [("MESH0001".to_string(), 8, 1)]);
}

#[test]
fn invalid_utf8() {
    let r = bad("invalid-utf8.yaml");
    assert_eq!(r.code, 1);
    // At the first invalid byte, `caf\xe9` on line 5.
    assert!(has(&r, "MESH0002", 5, 12), "{:?}", r.found);
    assert_eq!(r.lines_of("MESH0002").len(), 1, "{:?}", r.found);
    // The rest of the file is still linted: the name, read as `caf\u{fffd}`, is not a DNS label.
    assert!(has(&r, "MESH0110", 5, 9), "{:?}", r.found);
}

#[test]
fn scalar_and_list_documents() {
    let r = bad("scalar-document.yaml");
    assert_eq!((r.code, r.found.clone()), (1, vec![("MESH0003".into(), 3, 1)]));
    let r = bad("list-document.yaml");
    assert_eq!((r.code, r.found.clone()), (1, vec![("MESH0003".into(), 2, 1)]));
    let msg = r.json["diagnostics"][0]["message"].as_str().unwrap();
    assert!(msg.contains("list"), "{msg}");
}

#[test]
fn missing_kind_and_api_version() {
    for (file, field) in [("missing-kind.yaml", "`kind`"), ("missing-apiversion.yaml", "`apiVersion`")] {
        let r = bad(file);
        assert_eq!((r.code, r.found.clone()), (1, vec![("MESH0004".into(), 2, 1)]), "{file}");
        let msg = r.json["diagnostics"][0]["message"].as_str().unwrap();
        assert!(msg.contains(field), "{file}: {msg}");
    }
}

#[test]
fn duplicate_keys() {
    let r = bad("duplicate-keys.yaml");
    assert_eq!(r.code, 1);
    assert_eq!(r.found, [("MESH0005".to_string(), 6, 3), ("MESH0005".to_string(), 14, 5)]);
    let d = &r.json["diagnostics"][0];
    assert_eq!(d["related"][0]["location"]["line"], 5, "{d}");
}

#[test]
fn alias_bomb_and_deep_nesting() {
    let start = Instant::now();
    let r = bad("alias-bomb.yaml");
    assert_eq!(r.code, 1);
    assert_eq!(r.codes(), ["MESH0006"], "{:?}", r.found);
    assert!(r.lines_of("MESH0006").iter().all(|l| (2..=10).contains(l)), "{:?}", r.found);

    let r = bad("deep-nesting.yaml");
    assert_eq!(r.code, 1);
    assert_eq!(r.codes(), ["MESH0006"], "{:?}", r.found);
    assert_eq!(r.lines_of("MESH0006"), [8]);
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
}

#[test]
fn yaml11_scalars() {
    let r = bad("yaml11-scalars.yaml");
    assert_eq!(r.code, 1);
    // on / yes / no: read as booleans (a warning) where a label value must be a string (an error).
    assert_eq!(r.lines_of("MESH0007"), [10, 11, 12]);
    // 0755 is the number 493 where an annotation must be a string.
    assert_eq!(r.lines_of("MESH0103"), [10, 11, 12, 14]);
    assert!(has(&r, "MESH0103", 14, 25), "{:?}", r.found);
    assert_eq!(r.found.len(), 7, "{:?}", r.found);
}

#[test]
fn syntax_error_in_the_middle_document() {
    let r = bad("syntax-error-middle.yaml");
    assert_eq!(r.code, 1);
    // The middle document (lines 16-20) is broken: one finding, inside it.
    let syntax = r.lines_of("MESH0001");
    assert_eq!(syntax.len(), 1, "{:?}", r.found);
    assert!((16..=20).contains(&syntax[0]), "{:?}", r.found);
    // The documents before and after it are still linted.
    assert_eq!(r.resources(), 2);
    assert!(has(&r, "MESH0105", 32, 15), "{:?}", r.found);
    if rule_exists("MESH0601") {
        assert_eq!(r.lines_of("MESH0601"), [13], "{:?}", r.found);
    }
}

#[test]
fn bom_and_crlf() {
    let r = bad("bom.yaml");
    assert_eq!((r.code, r.found.len(), r.resources()), (0, 0, 1), "{:?}", r.found);

    let r = bad("crlf.yaml");
    assert_eq!(r.code, 1);
    // The column is not shifted by the `\r`s.
    assert_eq!(r.found, [("MESH0101".to_string(), 14, 5)]);

    // A BOM takes no column: a finding on line 1 is at the column a reader sees.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bom-first-line.yaml");
    std::fs::write(&p, "\u{feff}kind: Servise\r\napiVersion: v1\r\nmetadata:\r\n  name: web\r\n").unwrap();
    let r = lint(&p);
    assert_eq!(r.found, [("MESH0008".to_string(), 1, 7)]);
}

#[test]
fn empty_documents_are_clean() {
    let r = bad("empty-docs.yaml");
    assert_eq!((r.code, r.found.len(), r.resources()), (0, 0, 1), "{:?}", r.found);
}

#[test]
fn kind_list_items_are_located_in_the_item() {
    let r = bad("kind-list.yaml");
    assert_eq!(r.code, 1);
    assert_eq!(r.resources(), 2);
    assert_eq!(r.found, [("MESH0105".to_string(), 31, 15)]);
    let d = r.json["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "MESH0105").unwrap();
    assert_eq!(d["location"]["pointer"], "/items/1/spec/trafficPolicy/tls/mode");
}

#[test]
fn json_manifest() {
    let r = bad("manifest.json");
    // The destination host `web` is in a namespace the input says nothing else about: not reported.
    assert_eq!((r.code, r.found.len(), r.resources()), (0, 0, 1), "{:?}", r.found);
    // A mistake in a JSON manifest is found at its key.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("vs.json");
    let text = std::fs::read_to_string("testdata/bad/manifest.json")
        .unwrap()
        .replace("\"host\": \"web\", \"port\"", "\"hostz\": \"web\", \"port\"");
    std::fs::write(&p, text).unwrap();
    let r = lint(&p);
    assert!(r.found.contains(&("MESH0101".to_string(), 13, 38)), "{:?}", r.found);
}

/// A file of `target` bytes of small valid documents, with a duplicate key in one document near the
/// middle and one at the end; returns the lines of the duplicates and the number of documents.
fn big_file(path: &Path, target: usize) -> (Vec<u64>, usize) {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(target + 4096);
    let mut line = 1u64;
    let mut docs = 0;
    let mut dups = Vec::new();
    while text.len() < target {
        let dup = docs == 5000 || text.len() + 300 >= target;
        if docs > 0 {
            text.push_str("---\n");
            line += 1;
        }
        let _ = write!(
            text,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{docs}\n  namespace: ns-{}\n",
            docs % 7
        );
        line += 5;
        if dup {
            text.push_str("  namespace: again\n");
            dups.push(line);
            line += 1;
        }
        docs += 1;
    }
    std::fs::write(path, text).unwrap();
    (dups, docs)
}

/// 50 MB of documents in one file (about 35 s in a debug build on a quiet 2-core machine: a large
/// file's documents are parsed in parallel).
#[test]
fn big_file_completes() {
    let mb = 50;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.yaml");
    let (dups, docs) = big_file(&p, mb << 20);
    let start = Instant::now();
    let r = lint(&p);
    let took = start.elapsed();
    println!("{mb} MB, {docs} documents: {took:?}");
    assert_eq!(r.code, 1);
    assert_eq!(r.resources(), docs as u64);
    assert_eq!(r.found, dups.iter().map(|l| ("MESH0005".to_string(), *l, 3)).collect::<Vec<_>>());
    assert!(took < HANG_GUARD, "{mb} MB took {took:?}");
}

#[test]
fn binary_data_and_nul_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Pseudo-random bytes, all 256 values, no structure.
    let mut x: u32 = 0x1234_5678;
    let noise: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let p = dir.path().join("noise.bin.yaml");
    std::fs::write(&p, &noise).unwrap();
    let r = lint(&p);
    assert_eq!(r.code, 1, "binary data is not a clean manifest");
    assert!(!r.found.is_empty());

    // A NUL byte inside an otherwise valid resource.
    let p = dir.path().join("nul.yaml");
    std::fs::write(&p, b"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\x00x\n  namespace: default\n")
        .unwrap();
    let r = lint(&p);
    assert_eq!(r.code, 1);
    assert!(r.found.iter().any(|(_, l, _)| *l == 4), "the NUL is on line 4: {:?}", r.found);

    // Only NULs.
    let p = dir.path().join("nuls.yaml");
    std::fs::write(&p, vec![0u8; 4096]).unwrap();
    lint(&p);
}

#[test]
fn megabyte_header_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge-string.yaml");
    let value = "x".repeat(1 << 20);
    let text = format!(
        "apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: default
spec:
  hosts:
  - web
  http:
  - match:
    - headers:
        x-token:
          exact: {value}
    route:
    - destination:
        host: web
        subsetx: v1
"
    );
    std::fs::write(&p, text).unwrap();
    let start = Instant::now();
    let r = lint(&p);
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
    // The string is fine; the misspelt field after it is found at its name.
    assert_eq!(r.found, [("MESH0101".to_string(), 29, 9)]);
}

/// One document of 100 MB: a VirtualService whose `metadata.annotations` has about a million
/// entries, with a misspelt field after them. Parsed and validated in one piece: about 45 s of CPU
/// in a debug build, 5.5 s in a release build, peak RSS about 1 GB (10× the input).
#[test]
fn hundred_megabyte_document() {
    use std::fmt::Write as _;
    let target = 100 << 20;
    let mut text = String::with_capacity(target + 4096);
    text.push_str(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: web\n  namespace: default\n  annotations:\n",
    );
    let mut lines = 6u64;
    let mut i = 0;
    while text.len() < target {
        let _ = writeln!(text, "    example.com/key-{i:08}: \"{}\"", "v".repeat(72));
        lines += 1;
        i += 1;
    }
    text.push_str("spec:\n  hosts: [web]\n  htp: []\n");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge-document.yaml");
    std::fs::write(&p, text).unwrap();
    let r = lint(&p);
    assert_eq!(r.code, 1);
    assert_eq!(r.resources(), 1);
    // The annotations are far over the API server's 256 KiB bound (`ValidateAnnotations`), and
    // the misspelt field after them is found at its name.
    assert_eq!(r.found, [("MESH0107".to_string(), 6, 3), ("MESH0101".to_string(), lines + 3, 3)]);
}

/// A million tiny documents in one file (14 MB). A duplicate key in the middle one and a broken
/// last one are found at their lines; the rest is not a manifest and not reported. About 28 s of
/// CPU in a debug build, 7 s in a release build, peak RSS about 1.1 GB (78× the input).
#[test]
fn a_million_tiny_documents() {
    use std::fmt::Write as _;
    let n = 1_000_000;
    let mut text = String::with_capacity(16 * n);
    for i in 0..n {
        match i {
            500_000 => text.push_str("---\na: 1\na: 2\n"),
            _ if i == n - 1 => text.push_str("---\na: [1\n"),
            _ => {
                let _ = write!(text, "---\na: {i}\n");
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("million.yaml");
    std::fs::write(&p, text).unwrap();
    let r = lint(&p);
    assert_eq!(r.code, 1);
    assert_eq!(r.resources(), 0);
    assert_eq!(r.codes(), ["MESH0001", "MESH0005"], "{:?}", r.found);
    assert_eq!(r.lines_of("MESH0005"), [1_000_003]);
    assert_eq!(r.lines_of("MESH0001"), [2_000_001 + 1]);
}

/// A mesh whose VirtualService matches with regexes that take exponential time in a backtracking
/// engine (nested and overlapping repetition). Envoy and meshctl use RE2-style engines, linear in
/// the input: nothing is wrong with the manifest.
const CATASTROPHIC_REGEX_MESH: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: default
spec:
  hosts:
  - web
  http:
  - name: evil
    match:
    - uri:
        regex: "/(a+)+$"
    - headers:
        x-id:
          regex: "(a|aa)*b"
    - queryParams:
        q:
          regex: "(x+x+)+y"
    route:
    - destination:
        host: web
  - name: rest
    route:
    - destination:
        host: web
"#;

fn simulate(dir: &Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("meshctl")
        .expect("binary built")
        .args(["simulate", "-f", "json"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn regex_catastrophic_for_backtracking() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mesh.yaml"), CATASTROPHIC_REGEX_MESH).unwrap();
    let r = lint(dir.path());
    assert_eq!((r.code, r.found.clone()), (0, vec![]));

    // Inputs that almost match: a backtracking engine tries 2^n ways before it gives up.
    let a = "a".repeat(50_000);
    let x = "x".repeat(50_000);
    let url = format!("http://web/{a}!?q={x}");
    let header = format!("x-id: {a}");
    let start = Instant::now();
    let v = simulate(dir.path(), &[&url, "-H", &header]);
    assert!(start.elapsed() < HANG_GUARD, "took {:?}", start.elapsed());
    assert_eq!(v["outcome"], "route");
    assert_eq!(v["rule_index"], 1, "{v}");
    let misses: Vec<&str> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["result"] == "no_match")
        .map(|t| t["detail"].as_str().unwrap())
        .collect();
    assert_eq!(misses.len(), 3, "{misses:?}");

    // And the regexes still match what they should.
    let v = simulate(dir.path(), &[&format!("http://web/{a}")]);
    assert_eq!((v["rule_index"].clone(), v["match_index"].clone()), (0.into(), 0.into()), "{v}");

    // What only a backtracking engine offers (a backreference) is an error Envoy would reject,
    // and simulate says why the match never applies.
    std::fs::write(dir.path().join("mesh.yaml"), CATASTROPHIC_REGEX_MESH.replace("/(a+)+$", "/(a+)\\\\1$")).unwrap();
    let r = lint(dir.path());
    assert_eq!((r.code, r.found.clone()), (1, vec![("MESH0107".to_string(), 25, 16)]));
    let msg = r.json["diagnostics"][0]["message"].as_str().unwrap();
    assert!(msg.contains("backreferences are not supported"), "{msg}");
    let v = simulate(dir.path(), &["http://web/aa"]);
    let first = v["trace"].as_array().unwrap().iter().find(|t| t["result"] == "no_match").unwrap();
    assert!(first["detail"].as_str().unwrap().contains("not valid RE2"), "{first}");
}

/// A request header of 1 MB (through `--request`: one command-line argument is at most 128 KB on
/// Linux) matched exactly against a 1 MB value in the VirtualService.
#[test]
fn megabyte_request_header() {
    let dir = tempfile::tempdir().unwrap();
    let value = "t".repeat(1 << 20);
    let mesh = CATASTROPHIC_REGEX_MESH.replace(
        "  - name: rest\n",
        &format!("  - name: token\n    match:\n    - headers:\n        x-token:\n          exact: {value}\n    route:\n    - destination:\n        host: web\n  - name: rest\n"),
    );
    std::fs::write(dir.path().join("mesh.yaml"), mesh).unwrap();
    let request = dir.path().join("request.json");
    let send = |token: &str| {
        let body = serde_json::json!({"host": "web", "path": "/", "headers": {"x-token": token}});
        std::fs::write(&request, body.to_string()).unwrap();
        simulate(&dir.path().join("mesh.yaml"), &["--request", request.to_str().unwrap()])
    };
    let v = send(&value);
    assert_eq!((v["outcome"].clone(), v["rule_index"].clone()), ("route".into(), 1.into()), "{}", v["trace"]);

    // One byte off: the next rule; the trace does not repeat a megabyte per line.
    let v = send(&format!("{value}!"));
    assert_eq!(v["rule_index"], 2);
    let detail = v["trace"].to_string();
    assert!(detail.len() < 10_000, "the trace is {} bytes", detail.len());
}
