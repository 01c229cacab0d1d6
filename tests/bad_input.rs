//! Broken and hostile input: every file of `testdata/bad/` (each says its mistake in its first
//! comment) and inputs generated here (a 50 MB file, binary data, a 1 MB string). meshctl reports
//! each mistake at its line and column, keeps linting what it can, and never panics: the exit code
//! is 0 (clean) or 1 (findings), never 101.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

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
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
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

/// 50 MB of documents in one file (about 35 s in a debug build on 2 cores: a large file's
/// documents are parsed in parallel).
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
    assert!(took < Duration::from_secs(60), "{mb} MB took {took:?}");
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
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
    // The string is fine; the misspelt field after it is found at its name.
    assert_eq!(r.found, [("MESH0101".to_string(), 29, 9)]);
}
