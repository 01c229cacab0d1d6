//! istio-config-validator's own examples (`testdata/istio-config-validator/examples`, vendored from
//! getyourguide/istio-config-validator at 8b87d9d) through `meshctl test`, run as upstream runs them:
//! in the pairs of its Go tests (`internal/pkg/unit/unit_test.go` `TestRun`, `TestRunDelegate`) and
//! all together as its CI does (`make run`). Every case passes in the validator; the cases that fail
//! here, and why, are listed in `testdata/istio-config-validator/README.md` and in [`FAILING`].

use assert_cmd::Command;
use std::collections::BTreeMap;

const DIR: &str = "testdata/istio-config-validator/examples";

/// The validator cases meshctl fails, by description, with a text its failure shows for each
/// request: istiod drops the rules they test (`pilot/pkg/model/virtualservice_controller.go`, a
/// missing delegate removes the root rule; `pilot/pkg/model/virtualservice.go`
/// `stringMatchConflict`, a root regex merges with no delegate uri match).
const FAILING: &[(&str, usize, &[&str])] = &[
    (
        "Delegate to merchants",
        4,
        &[
            "route: expected 1 destination(s), got passthrough",
            "dropped by istiod: example/merchants http[0]: its match[0] fits none of the root rule's matches",
        ],
    ),
    (
        "Delegate to seller",
        4,
        &[
            "delegate: expected {\"name\":\"seller-delegate\"}, got \"\"",
            "dropped by istiod: example/merchants http[1]: its delegate VirtualService example/seller-delegate does not exist",
        ],
    ),
    (
        "Delegate to product",
        6,
        &[
            "headers: expected {\"request\":{\"set\":{\"x-custom-header\":\"ok\"}}}, got passthrough",
            "dropped by istiod: example/merchants http[2]: its match[0] fits none of the root rule's matches",
        ],
    ),
];

/// One run of `meshctl test`: (passed, failed, failing cases by description with their
/// failures' text, stderr).
type Run = (usize, usize, BTreeMap<String, Vec<String>>, String);

fn run(manifests: &[&str], cases: &[&str]) -> Run {
    let mut c = Command::cargo_bin("meshctl").expect("binary built");
    c.arg("test");
    for m in manifests {
        c.arg(m);
    }
    for f in cases {
        c.arg("--cases").arg(format!("{DIR}/{f}"));
    }
    let out = c.output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let last = s.lines().last().unwrap_or_default();
    let counts: Vec<usize> = last.split(' ').filter_map(|w| w.parse().ok()).collect();
    let [passed, failed] = counts[..] else { panic!("no summary line: {s}") };
    assert_eq!(out.status.code(), Some(if failed > 0 { 1 } else { 0 }), "{s}");
    let mut failing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in s.lines() {
        if let Some(name) = line.strip_prefix("FAIL ") {
            let desc = name.split(" [").next().unwrap_or(name).to_string();
            failing.entry(desc.clone()).or_default().push(String::new());
            current = Some(desc);
        } else if line.starts_with("ok   ") {
            current = None;
        } else if let Some(d) = &current {
            let text = failing.get_mut(d).unwrap().last_mut().unwrap();
            text.push_str(line.trim());
            text.push('\n');
        }
    }
    (passed, failed, failing, String::from_utf8(out.stderr).unwrap())
}

fn assert_failing(failing: &BTreeMap<String, Vec<String>>, expected: &[(&str, usize, &[&str])]) {
    let names: Vec<(&str, usize)> = failing.iter().map(|(d, f)| (d.as_str(), f.len())).collect();
    let mut want: Vec<(&str, usize)> = expected.iter().map(|(d, n, _)| (*d, *n)).collect();
    want.sort();
    assert_eq!(names, want);
    for (desc, _, texts) in expected {
        for failure in &failing[*desc] {
            for t in *texts {
                assert!(failure.contains(t), "{desc}: `{t}` not in\n{failure}");
            }
        }
    }
}

/// `TestRun`: `virtualservice_test.yml` against `virtualservice.yml`: every case passes, the
/// header operations of `happy path users` included. The input has no Service, so each request is
/// answered by the sidecar's route table 80, and stderr says so.
#[test]
fn test_run_pair() {
    let (passed, failed, failing, err) = run(&[&format!("{DIR}/virtualservice.yml")], &["virtualservice_test.yml"]);
    assert_eq!((passed, failed), (24, 0), "{failing:?}");
    assert!(
        err.contains("24 istio-config-validator request(s) were answered by the sidecar's route table \"80\""),
        "{err}"
    );
}

/// With an HTTP service on port 80 in the input, the sidecar has that route table of its own: the
/// same answers, and nothing assumed.
#[test]
fn test_run_pair_with_a_port_80_service() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("svc.yaml");
    std::fs::write(
        &svc,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {ports: [{name: http, port: 80}]}\n",
    )
    .unwrap();
    let vs = format!("{DIR}/virtualservice.yml");
    let (passed, failed, failing, err) = run(&[&vs, svc.to_str().unwrap()], &["virtualservice_test.yml"]);
    assert_eq!((passed, failed), (24, 0), "{failing:?}");
    assert!(!err.contains("route table"), "{err}");
}

/// `TestRunDelegate`: `virtualservice_delegate_test.yml` against `delegate_virtualservice.yml`:
/// every case fails, because istiod drops each rule the cases test.
#[test]
fn test_run_delegate_pair() {
    let (passed, failed, failing, _) =
        run(&[&format!("{DIR}/delegate_virtualservice.yml")], &["virtualservice_delegate_test.yml"]);
    assert_eq!((passed, failed), (0, 14));
    assert_failing(&failing, FAILING);
}

/// `make run`: every test file against every manifest of the folder (the test files and the
/// DestinationRule included, as upstream passes the folder).
#[test]
fn make_run_all_together() {
    let (passed, failed, failing, _) = run(&[DIR], &["virtualservice_test.yml", "virtualservice_delegate_test.yml"]);
    assert_eq!((passed, failed), (24, 14));
    assert_failing(&failing, FAILING);
}
