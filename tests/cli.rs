//! The CLI as users run it: findings, formats and exit codes.

use assert_cmd::Command;
use serde_json::Value;

fn meshctl() -> Command {
    let mut c = Command::cargo_bin("meshctl").expect("binary built");
    c.env_remove("NO_COLOR").env("COLUMNS", "100");
    c
}

fn lint_json(args: &[&str]) -> (i32, Value) {
    let out = meshctl().arg("lint").arg("--no-config").args(["--format", "json"]).args(args).output().unwrap();
    let code = out.status.code().unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (code, v)
}

/// (code, line, column) of every finding.
fn found(v: &Value) -> Vec<(String, u64, u64)> {
    v["diagnostics"]
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
        .collect()
}

fn has(v: &Value, code: &str, line: u64) -> bool {
    found(v).iter().any(|(c, l, _)| c == code && *l == line)
}

#[test]
fn seed_as_written() {
    let (code, v) = lint_json(&["testdata/seed/manifests.yaml"]);
    assert_eq!(code, 1);
    let f = found(&v);
    assert!(f.contains(&("MESH0102".into(), 121, 7)), "{f:?}");
    assert!(f.contains(&("MESH0102".into(), 128, 7)), "{f:?}");
    assert!(has(&v, "MESH0008", 89), "{f:?}");
    assert!(has(&v, "MESH0105", 145), "{f:?}");
    let d = v["diagnostics"].as_array().unwrap();
    let mis = d.iter().find(|d| d["code"] == "MESH0102").unwrap();
    assert!(mis["help"].as_str().unwrap().contains("column 5"), "{mis}");
    assert_eq!(mis["related"][0]["location"]["line"], 117);
    let enum_err = d.iter().find(|d| d["code"] == "MESH0105").unwrap();
    let msg = enum_err["message"].as_str().unwrap();
    assert!(msg.contains("MESH_EXTERNAL") && msg.contains("MESH_INTERNAL"), "{msg}");
    let kind = d.iter().find(|d| d["code"] == "MESH0008").unwrap();
    assert!(kind["message"].as_str().unwrap().contains("`Gateway`"));
}

#[test]
fn seed_with_indentation_fixed() {
    let (code, v) = lint_json(&["testdata/seed-fixed/manifests.yaml"]);
    assert_eq!(code, 1);
    let f = found(&v);
    assert!(!f.iter().any(|(c, _, _)| c == "MESH0102"), "{f:?}");
    assert!(has(&v, "MESH0008", 89), "{f:?}");
    assert!(has(&v, "MESH0105", 145), "{f:?}");
    assert!(has(&v, "MESH0401", 156), "{f:?}");
    let dup = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "MESH0401").unwrap();
    assert_eq!(dup["related"][0]["location"]["line"], 107);
    assert_eq!(dup["resource"]["name"], "my-service");
    assert_eq!(dup["resource"]["namespace"], "default");
}

#[test]
fn bookinfo_is_clean() {
    let out = meshctl().args(["lint", "--no-config", "--format", "plain", "testdata/bookinfo"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 errors, 0 warnings, 0 infos"), "{stdout}");
}

#[test]
fn every_format_reports_the_same_place() {
    let path = "testdata/seed-fixed/manifests.yaml";
    let plain = meshctl().args(["lint", "--no-config", "-f", "plain", path]).output().unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(plain.contains("testdata/seed-fixed/manifests.yaml:145:13: error[MESH0105 invalid-enum-value]"), "{plain}");
    let gh = meshctl().args(["lint", "--no-config", "-f", "github", path]).output().unwrap();
    let gh = String::from_utf8(gh.stdout).unwrap();
    assert!(gh.contains("::error file=testdata/seed-fixed/manifests.yaml,line=145,col=13"), "{gh}");
    let sarif = meshctl().args(["lint", "--no-config", "-f", "sarif", path]).output().unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "MESH0105").unwrap();
    assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], 145);
    assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startColumn"], 13);
    let junit = meshctl().args(["lint", "--no-config", "-f", "junit", path]).output().unwrap();
    let junit = String::from_utf8(junit.stdout).unwrap();
    assert!(junit.contains("MESH0105 invalid-enum-value at 145:13"), "{junit}");
    let human = meshctl().args(["lint", "--no-config", "-f", "human", "--color", "never", path]).output().unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.contains("testdata/seed-fixed/manifests.yaml:145:13"), "{human}");
    assert!(!human.contains('\u{1b}'), "no colour when not asked");
}

#[test]
fn exit_codes() {
    let path = "testdata/seed-fixed/manifests.yaml";
    meshctl().args(["lint", "--no-config", "--fail-on", "never", path]).assert().code(0);
    meshctl().args(["lint", "--no-config", "--select", "MESH0007", path]).assert().code(0);
    meshctl().args(["lint", "--no-config", "--select", "MESH0401", path]).assert().code(1);
    meshctl().args(["lint", "--no-config", "does/not/exist.yaml"]).assert().code(2);
    meshctl().args(["lint", "--no-config", "--format", "nope", path]).assert().code(2);
    meshctl().args(["lint", "--no-config", "--select", "MESH9999", path]).assert().code(2);
    meshctl().args(["explain", "MESH0401"]).assert().code(0);
    meshctl().args(["explain", "duplicate-resourse"]).assert().code(2);
}

#[test]
fn stdin_is_read() {
    let text = std::fs::read_to_string("testdata/seed-fixed/manifests.yaml").unwrap();
    let out = meshctl().args(["lint", "--no-config", "-f", "plain", "-"]).write_stdin(text).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("<stdin>:145:13"), "{stdout}");
}

#[test]
fn rules_and_explain() {
    let out = meshctl().args(["rules"]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("MESH0401") && s.contains("duplicate-resource"));
    let out = meshctl().args(["rules", "--format", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().any(|r| r["code"] == "MESH0101" && r["istio_code"] == "IST0106"));
    let out = meshctl().args(["explain", "misindented-key"]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("## Fix") && s.contains("MESH0102"));
}

#[test]
fn schema_command() {
    let out = meshctl().args(["schema", "VirtualService"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["properties"]["spec"].is_object());
    meshctl().args(["schema", "NoSuchKind"]).assert().code(2);
    let out = meshctl().args(["schema"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("networking.istio.io.v1.VirtualService"));
}

#[test]
fn config_file_and_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {canary: yes}\n  annotations:\n    meshctl.io/ignore: \"MESH0007,MESH0103,MESH0401 known\"\nspec: {ports: [{name: http, port: 80}]}\n",
    )
    .unwrap();
    // MESH0007 and MESH0103 (`yes` is a boolean, not a label value) are suppressed; MESH0401
    // suppresses nothing and is reported as info.
    let out = meshctl().current_dir(dir.path()).args(["lint", "-f", "json", "m.yaml"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = found(&v);
    assert_eq!(f, vec![("MESH0009".to_string(), 7, 24)], "{v}");
    assert!(v["diagnostics"][0]["message"].as_str().unwrap().contains("MESH0401"));
    assert_eq!(out.status.code(), Some(0));
    // A configuration file upwards of the working directory changes severities and selection.
    std::fs::write(dir.path().join(".meshctl.yaml"), "severity: {unused-suppression: error}\n").unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    meshctl().current_dir(&sub).args(["lint", "../m.yaml"]).assert().code(1);
    std::fs::write(dir.path().join(".meshctl.yaml"), "ignore: [MESH0009]\nexclude: [\"skip/**\"]\n").unwrap();
    std::fs::create_dir(dir.path().join("skip")).unwrap();
    std::fs::write(dir.path().join("skip/bad.yaml"), "a: [\n").unwrap();
    meshctl().current_dir(dir.path()).args(["lint", "."]).assert().code(0);
    std::fs::write(dir.path().join(".meshctl.yaml"), "selct: [MESH0009]\n").unwrap();
    meshctl().current_dir(dir.path()).args(["lint", "."]).assert().code(2);
}

#[test]
fn istio_suppression_annotation_maps_through_istio_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vs.yaml"),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: a\n  annotations:\n    galley.istio.io/analyze-suppress: IST0106\nspec:\n  hosts: [a]\n  http:\n  - route:\n    - destination: {hostz: a}\n",
    )
    .unwrap();
    let out = meshctl().current_dir(dir.path()).args(["lint", "--no-config", "-f", "json", "."]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!found(&v).iter().any(|(c, _, _)| c.starts_with("MESH01")), "{v}");
}

#[test]
fn duplicates_across_files_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: default}\nspec: {hosts: [r.example.com]}\n";
    std::fs::write(dir.path().join("a.yaml"), vs).unwrap();
    std::fs::write(dir.path().join("b.yaml"), vs).unwrap();
    let out = meshctl().current_dir(dir.path()).args(["lint", "--no-config", "-f", "json", "."]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found(&v), vec![("MESH0409".to_string(), 3, 18)], "{v}");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    assert_eq!(v["diagnostics"][0]["location"]["file"], "b.yaml");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn wrong_api_version_objects_are_not_called_misindented() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vs.yaml"),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: default}\nspec:\n  hosts: [r]\n  http:\n  - route:\n    - destination:\n        name: r\n",
    )
    .unwrap();
    let (_, v) = lint_json(&[dir.path().join("vs.yaml").to_str().unwrap()]);
    let codes: Vec<String> = found(&v).into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"MESH0101".to_string()) && codes.contains(&"MESH0104".to_string()), "{v}");
    assert!(!codes.contains(&"MESH0102".to_string()), "{v}");
}

#[test]
fn json_indented_with_tabs_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("svc.json");
    std::fs::write(
        &p,
        "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\",\n\t\"metadata\": {\n\t\t\"name\": \"a\"\n\t}\n}\n",
    )
    .unwrap();
    let (code, v) = lint_json(&[p.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert!(found(&v).is_empty(), "{v}");
}

#[test]
fn a_gateway_written_with_the_wrong_kind_is_named_where_the_reference_fails() {
    let (_, v) = lint_json(&["testdata/seed-fixed/manifests.yaml"]);
    let d = v["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "MESH0203").unwrap();
    assert_eq!(d["location"]["line"], 114);
    assert_eq!(d["related"][0]["location"]["line"], 89);
    assert!(d["help"].as_str().unwrap().contains("IstioGateway"), "{d}");
}

#[test]
fn routing_expectations_pass_fail_and_junit() {
    let cases = "testdata/routing/bookinfo.cases.yaml";
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases", cases]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.ends_with("4 passed, 0 failed\n"), "{s}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.yaml");
    std::fs::write(
        &wrong,
        "tests:\n- name: jason sees v3\n  request: {from: mesh, url: \"http://reviews:9080/\", headers: {end-user: jason}}\n  expect: {destination: {subset: v3}}\n- name: no host\n  request: {from: mesh}\n  expect: {}\n",
    )
    .unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&wrong).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains("FAIL jason sees v3") && s.contains("\"subset\":\"v2\""), "expected vs actual: {s}");
    assert!(s.contains("FAIL no host") && s.ends_with("0 passed, 2 failed\n"), "{s}");

    let out = meshctl().args(["test", "testdata/bookinfo", "-f", "junit", "--cases"]).arg(&wrong).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("<testsuite name=\"meshctl test\" tests=\"2\" failures=\"2\">"), "{s}");

    std::fs::write(&wrong, "tests: [\n").unwrap();
    meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&wrong).assert().code(2);
}

/// Cases run without building the explanation, unless they expect on it.
#[test]
fn routing_expectations_on_the_trace_see_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("trace.yaml");
    let case = |expect: &str| {
        format!(
            "tests:\n- name: reviews\n  request: {{from: mesh, url: \"http://reviews:9080/\"}}\n  expect: {expect}\n"
        )
    };
    std::fs::write(&cases, case("{trace: []}")).unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&cases).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "an empty trace is not this request's: {s}");
    assert!(s.contains("/trace: expected []"), "{s}");

    std::fs::write(&cases, case("{outcome: route, destinations: [{subset: v1}, {subset: v3}]}")).unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&cases).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
}

#[test]
fn istio_config_validator_cases() {
    let cases = "testdata/routing/bookinfo.validator.yaml";
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases", cases]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.contains("ok   jason is routed to reviews v2 [GET reviews:9080 /reviews/1]"), "{s}");
    assert!(s.ends_with("12 passed, 0 failed\n"), "{s}");

    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.yaml");
    std::fs::write(
        &wrong,
        "testCases:\n- description: jason gets v3\n  wantMatch: true\n  request: {authority: [\"reviews:9080\"], method: [GET], uri: [/], headers: {end-user: jason}}\n  route: [{destination: {host: reviews, subset: v3}}]\n- description: the product page is not routed\n  wantMatch: false\n  request: {authority: [bookinfo.example.com], method: [GET], uri: [/productpage]}\n  route: [{destination: {host: productpage}}]\n- description: no method\n  wantMatch: true\n  request: {authority: [a], uri: [/]}\n",
    )
    .unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&wrong).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains("FAIL jason gets v3 [GET reviews:9080 /]") && s.contains("\"subset\":\"v2\""), "{s}");
    assert!(s.contains("FAIL the product page is not routed") && s.contains("wantMatch is false"), "{s}");
    assert!(s.contains("FAIL no method") && s.contains("`request.method` is empty"), "{s}");
    assert!(s.ends_with("0 passed, 3 failed\n"), "{s}");
}

#[test]
fn simulate_http_tcp_and_tls_from_the_command_line() {
    let json = |args: &[&str]| {
        let out = meshctl().arg("simulate").args(args).args(["-f", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let gw = ["--gateway", "istio-system/istio=ingressgateway"];
    let v = json(&["testdata/bookinfo", gw[0], gw[1], "http://bookinfo.example.com/productpage"]);
    assert_eq!(v["outcome"], "route");
    assert_eq!(v["destinations"][0]["host"], "productpage.default.svc.cluster.local");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("l4.yaml"),
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: l4, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: [\"*\"]
  - port: {number: 443, name: tls, protocol: TLS}
    tls: {mode: PASSTHROUGH}
    hosts: [\"*.example.com\"]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  ports: [{name: tcp, port: 9000}, {name: https, port: 8443}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: l4, namespace: default}
spec:
  hosts: [\"*\", \"*.example.com\"]
  gateways: [l4]
  tcp:
  - match: [{port: 31400}]
    route: [{destination: {host: echo, port: {number: 9000}}}]
  tls:
  - match: [{port: 443, sniHosts: [a.example.com]}]
    route: [{destination: {host: echo, port: {number: 8443}}}]
",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let v = json(&[d, gw[0], gw[1], "tcp://anything:31400"]);
    assert_eq!((v["outcome"].as_str(), v["destinations"][0]["port"].as_u64()), (Some("tcp_forward"), Some(9000)));
    let v = json(&[d, gw[0], gw[1], "tls://a.example.com:443"]);
    assert_eq!((v["outcome"].as_str(), v["destinations"][0]["port"].as_u64()), (Some("tcp_forward"), Some(8443)));
    let v = json(&[d, gw[0], gw[1], "tls://b.example.com:443"]);
    assert_eq!(v["outcome"], "no_listener", "no TLS route for that SNI: {v}");
    meshctl()
        .args(["simulate", d, "tcp://anything"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs a port"));
}

/// `--istio-version` picks the CRDs to validate with: http2KeepAlive (Istio 1.31) is valid by
/// default (the newest release) and said to need 1.31 with 1.30; an unknown release is exit 2.
#[test]
fn istio_version_picks_the_release() {
    let file = "tests/schema/http2-keepalive.yaml";
    let (code, v) = lint_json(&[file]);
    assert_eq!((code, found(&v)), (0, vec![]));
    let (code, v) = lint_json(&["--istio-version", "1.30", file]);
    assert_eq!((code, found(&v)), (1, vec![("MESH0101".to_string(), 10, 9)]));
    let message = v["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.ends_with("needs Istio 1.31; validating for 1.30"), "{message}");
    let out = meshctl().args(["lint", "--no-config", "--istio-version", "1.27", file]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("it has 1.30, 1.31, 1.32"));
}
