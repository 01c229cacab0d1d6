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

/// `kubectl get -o json | jq -c`: a 200 KB List on one line, its one finding near the end. The
/// human format used to panic there (exit 101) inside miette, on a column past 65,535.
#[test]
fn one_line_json_far_past_column_65535_in_every_format() {
    let service = |i| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Service","metadata":{{"name":"s{i}","namespace":"default"}},"spec":{{"ports":[{{"port":80,"name":"http"}}],"selector":{{"app":"a{i}"}}}}}}"#
        )
    };
    let entry = r#"{"apiVersion":"networking.istio.io/v1","kind":"ServiceEntry","metadata":{"name":"payments","namespace":"default"},"spec":{"hosts":["api.example.com"],"location":"MESH_INTERNET","resolution":"DNS","ports":[{"number":443,"name":"https","protocol":"TLS"}]}}"#;
    let items: Vec<String> = (0..1500).map(service).chain([entry.to_string()]).collect();
    let list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#, items.join(","));
    assert!(list.len() > 200_000 && !list.contains('\n'));
    let column = list.find(r#""MESH_INTERNET""#).unwrap() + 1;
    assert!(column > 65_535);
    let lint = |format: &str| {
        let out =
            meshctl().args(["lint", "--no-config", "-f", format, "-"]).write_stdin(list.clone()).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        stdout
    };

    let human = lint("human");
    assert!(human.contains(&format!("[<stdin>:1:{column}]")), "{human}");
    assert!(human.contains("\"MESH_INTERNET\" is not a valid location"), "{human}");
    assert!(human.lines().all(|l| l.chars().count() <= 100), "{human}");
    let plain = lint("plain");
    assert!(plain.starts_with(&format!("<stdin>:1:{column}: error[MESH0105 invalid-enum-value]")), "{plain}");
    let json: Value = serde_json::from_str(&lint("json")).unwrap();
    assert_eq!(found(&json), [("MESH0105".to_string(), 1, column as u64)]);
    let sarif: Value = serde_json::from_str(&lint("sarif")).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!((&region["startLine"], region["startColumn"].as_u64()), (&Value::from(1), Some(column as u64)));
    let github = lint("github");
    assert_eq!(github.lines().count(), 2, "{github}");
    assert!(github.starts_with(&format!("::error file=<stdin>,line=1,col={column},")), "{github}");
    let junit = lint("junit");
    roxmltree::Document::parse(&junit).unwrap();
    assert!(junit.contains(&format!("MESH0105 invalid-enum-value at 1:{column}")), "{junit}");
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

/// SARIF gives each rule `RuleMeta::explain` as its help: the very text `meshctl explain` prints.
#[test]
fn sarif_rule_help_is_the_explain_text() {
    for code in ["MESH0102", "MESH0202"] {
        let out = meshctl().args(["explain", code]).output().unwrap();
        let explain = meshctl::lint::rules::by_code(code).unwrap().explain();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), explain);
    }
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

/// meshctl's own schemas, as `meshctl schema` prints them and `schemas/meshctl/` holds them, and
/// the JSON output of a lint of every test input is valid against its schema.
#[test]
fn own_schemas_describe_the_files_and_the_output() {
    let listed = stdout(&meshctl().arg("schema").output().unwrap());
    for name in ["meshctl-config", "meshctl-test-cases", "meshctl-lint-output"] {
        assert!(listed.lines().any(|l| l == format!("meshctl/{name}")), "{listed}");
        let out = meshctl().args(["schema", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let committed = std::fs::read_to_string(format!("schemas/meshctl/{name}.json")).unwrap();
        assert_eq!(stdout(&out), committed, "{name}");
    }
    let out = meshctl().args(["schema", "meshctl-lint-output"]).output().unwrap();
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (code, v) = lint_json(&["testdata", "tests"]);
    assert_eq!(code, 1);
    let d = v["diagnostics"].as_array().unwrap();
    // What the output can hold: findings with and without a resource, a namespace, related places
    // and a pointer.
    assert!(d.iter().any(|f| f["resource"].is_null()) && d.iter().any(|f| f["resource"]["namespace"].is_null()));
    assert!(d.iter().any(|f| f["resource"]["namespace"].is_string()));
    assert!(d.iter().any(|f| !f["related"].as_array().unwrap().is_empty()));
    assert!(
        d.iter().any(|f| f["location"]["pointer"].is_null()) && d.iter().any(|f| f["location"]["pointer"].is_string())
    );
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let (_, clean) = lint_json(&["testdata/bookinfo"]);
    assert!(validator.is_valid(&clean));
    // The schema is the contract, not any JSON: a severity meshctl has not is refused.
    let mut wrong = v.clone();
    wrong["diagnostics"][0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&wrong));
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

/// `meshctl test` asserts on a Gateway API answer's listener, route, rule, backends, header
/// operations, rewrite, mirrors and redirect, through the ingress Gateway and a mesh route.
#[test]
fn gateway_api_expectations() {
    let cases = "testdata/routing/gateway-api.cases.yaml";
    let out = meshctl().args(["test", "testdata/gateway-api", "--cases", cases]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.ends_with("11 passed, 0 failed\n"), "{s}");
}

/// A VirtualService and an HTTPRoute for one host on the same gateway pods: both apply, in one
/// virtual host, with catch-all routes last; the lint is clean because nothing is shadowed.
#[test]
fn virtual_service_and_http_route_on_one_ingress() {
    let cases = "testdata/routing/gateway-api-ingress.cases.yaml";
    let out = meshctl().args(["test", "testdata/gateway-api-ingress", "--cases", cases]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.ends_with("2 passed, 0 failed\n"), "{s}");
    let (code, v) = lint_json(&["testdata/gateway-api-ingress"]);
    assert_eq!((code, found(&v)), (0, vec![]), "{v}");
}

#[test]
fn listener_sets_join_their_parent_gateway() {
    let cases = "testdata/routing/gateway-api-listenerset.cases.yaml";
    let out = meshctl().args(["test", "testdata/gateway-api-listenerset", "--cases", cases]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.ends_with("3 passed, 0 failed\n"), "{s}");
    // The ListenerSet whose namespace the Gateway's allowedListeners does not select, at its parentRef.
    let (code, v) = lint_json(&["testdata/gateway-api-listenerset"]);
    assert_eq!(code, 1);
    assert_eq!(found(&v), [("MESH0229".to_string(), 52, 3)], "{v}");
}

#[test]
fn tcp_routes_with_and_without_the_alpha_gateway_api_setting() {
    let flag = ["--istiod-env", "PILOT_ENABLE_ALPHA_GATEWAY_API=true"];
    let cases = "testdata/routing/gateway-api-tcp.cases.yaml";
    let out = meshctl().args(["test", "testdata/gateway-api-tcp", "--cases", cases]).args(flag).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.ends_with("3 passed, 0 failed\n"), "{s}");
    // Without the setting istiod serves neither the TCP listeners nor the TCPRoutes.
    let (code, v) = lint_json(&["testdata/gateway-api-tcp"]);
    assert_eq!(code, 1);
    let codes: Vec<(String, u64)> = found(&v).into_iter().map(|(c, l, _)| (c, l)).collect();
    assert_eq!(
        codes,
        [("MESH0224", 14), ("MESH0224", 20), ("MESH0228", 50), ("MESH0228", 65), ("MESH0228", 82)]
            .map(|(c, l)| (c.to_string(), l)),
        "{v}"
    );
    // With it, only the route its listener refuses is reported.
    let mut args = vec!["testdata/gateway-api-tcp"];
    args.extend(flag);
    let (code, v) = lint_json(&args);
    assert_eq!(code, 1);
    let codes: Vec<(String, u64)> = found(&v).into_iter().map(|(c, l, _)| (c, l)).collect();
    assert_eq!(codes, [("MESH0221".to_string(), 88)], "{v}");
    let out = meshctl().args(["lint", "testdata/gateway-api-tcp", "--istiod-env", "PILOT_TRACE=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("meshctl knows only PILOT_ENABLE_ALPHA_GATEWAY_API"));
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

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A repeatable option takes one value per occurrence: paths after it stay paths.
#[test]
fn repeatable_options_leave_the_paths_alone() {
    let cases = "testdata/routing/bookinfo.cases.yaml";
    let out = meshctl().args(["test", "--cases", cases, "testdata/bookinfo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).ends_with("4 passed, 0 failed\n"), "{}", stdout(&out));
    let validator = "testdata/routing/bookinfo.validator.yaml";
    let out = meshctl().args(["test", "--cases", cases, "--cases", validator, "testdata/bookinfo"]).output().unwrap();
    assert!(stdout(&out).ends_with("16 passed, 0 failed\n"), "{}{}", stdout(&out), stderr(&out));
    let seed = "testdata/seed-fixed/manifests.yaml";
    let (code, v) = lint_json(&["--select", "MESH0105", seed, "--ignore", "MESH0401", "testdata/bookinfo"]);
    assert_eq!((code, found(&v)), (1, vec![("MESH0105".to_string(), 145, 13)]), "{v}");
}

/// `-o/--output` chooses the format of every command that has one; `-f/--format` still does where
/// it did.
#[test]
fn output_is_the_format_flag_everywhere() {
    let json = |args: &[&str]| {
        let out = meshctl().args(args).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stderr(&out)))
    };
    let seed = "testdata/seed/manifests.yaml";
    for flag in ["-o", "--output", "-f", "--format"] {
        assert_eq!(json(&["lint", "--no-config", flag, "json", seed])["version"], 1, "{flag}");
        assert!(json(&["graph", flag, "json", "testdata/bookinfo"])["nodes"].is_array(), "{flag}");
        assert!(json(&["rules", flag, "json"]).is_array(), "{flag}");
        let v = json(&["simulate", "testdata/bookinfo", "http://reviews:9080/", flag, "json"]);
        assert_eq!(v["outcome"], "route", "{flag}");
        let cases = "testdata/routing/bookinfo.cases.yaml";
        let out = meshctl().args(["test", "testdata/bookinfo", "--cases", cases, flag, "junit"]).output().unwrap();
        assert!(stdout(&out).starts_with("<?xml"), "{flag}: {}", stdout(&out));
    }
    let out = meshctl().args(["render", "-o", "json", "testdata/bookinfo/gateway.yaml"]).output().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["kind"], "List");
}

/// render, diff and apply take manifests as kubectl does, `-f PATH` (repeatable), as well as
/// arguments; directories are always recursive, and there is no `-R`.
#[test]
fn render_takes_filenames_as_kubectl_does() {
    let kinds = |args: &[&str]| {
        let out = meshctl().arg("render").args(args).args(["-o", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let items = v["items"].as_array().unwrap().iter();
        items.map(|i| format!("{}/{}", i["kind"].as_str().unwrap(), i["metadata"]["name"].as_str().unwrap())).collect()
    };
    let all: Vec<String> = kinds(&["testdata/bookinfo"]);
    let (gw, se) = ("testdata/bookinfo/gateway.yaml", "testdata/bookinfo/egress.yaml");
    let by_f: Vec<String> = kinds(&["-f", gw, "--filename", se]);
    assert!(by_f.contains(&"Gateway/bookinfo-gateway".to_string()), "{by_f:?}");
    assert!(by_f.iter().all(|k| all.contains(k)) && by_f.len() < all.len(), "{by_f:?}");
    assert_eq!(kinds(&[gw, "-f", se]), by_f);
    assert_eq!(kinds(&["-f", "testdata/bookinfo"]), all);
    meshctl().args(["render", "-R", "-f", "testdata/bookinfo"]).assert().code(2);
}

/// Rule codes in any case, and Istio codes for the rules that report them, wherever rules are named.
#[test]
fn rule_codes_in_any_case_and_by_istio_code() {
    let seed = "testdata/seed-fixed/manifests.yaml";
    let codes = |args: &[&str]| {
        let (_, v) = lint_json(&[args, &[seed]].concat());
        let mut c: Vec<String> = found(&v).into_iter().map(|f| f.0).collect();
        c.dedup();
        c
    };
    assert_eq!(codes(&["--select", "mesh0105"]), ["MESH0105"]);
    assert_eq!(codes(&["--select", "Invalid-Enum-Value"]), ["MESH0105"]);
    // IST0106 (schema validation) is what MESH0105 and the other schema rules report.
    assert!(codes(&["--select", "ist0106"]).contains(&"MESH0105".to_string()));
    assert!(!codes(&["--ignore", "IST0106"]).contains(&"MESH0105".to_string()));
    assert!(codes(&["--select", "ALL"]).contains(&"MESH0105".to_string()));

    let out = meshctl().args(["explain", "mesh0401"]).output().unwrap();
    assert!(stdout(&out).starts_with("# MESH0401 duplicate-resource"), "{}", stdout(&out));
    let out = meshctl().args(["explain", "ist0101"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = stdout(&out);
    assert!(
        s.starts_with("8 meshctl rules report Istio's IST0101:") && s.contains("MESH0201  unknown-destination-host"),
        "{s}"
    );
    let out = meshctl().args(["explain", "IST0173"]).output().unwrap();
    assert!(stdout(&out).starts_with("# MESH"), "one rule: its documentation: {}", stdout(&out));
    meshctl().args(["explain", "IST9999"]).assert().code(2);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  labels: {canary: yes}\n  annotations:\n    meshctl.io/ignore: \"mesh0007 ist0106 known\"\nspec: {ports: [{name: http, port: 80}]}\n",
    )
    .unwrap();
    let out = meshctl().current_dir(dir.path()).args(["lint", "-o", "json", "m.yaml"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found(&v), vec![], "mesh0007 and (for MESH0103) ist0106 suppress: {v}");
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: a, labels: {canary: yes}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".meshctl.yaml"),
        "select: [mesh01]\nseverity: {ist0106: info, mesh0103: warning}\n",
    )
    .unwrap();
    let out = meshctl().current_dir(dir.path()).args(["lint", "-o", "json", "m.yaml"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "MESH0103", "{v}");
    assert_eq!(v["diagnostics"][0]["severity"], "warning", "the code is more specific than the Istio code: {v}");
}

/// An unknown code in `.meshctl.yaml` is named where it is written.
#[test]
fn an_unknown_code_in_the_configuration_is_named_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n").unwrap();
    for (text, place, code) in [
        ("select: [MESH01, MESH9999]\n", ":1:18:", "MESH9999"),
        ("ignore:\n  - yaml11-scalar\n  - yaml-scalar\n", ":3:5:", "yaml-scalar"),
        ("severity:\n  MESH0204: error\n  IST0000: info\n", ":3:3:", "IST0000"),
    ] {
        std::fs::write(dir.path().join(".meshctl.yaml"), text).unwrap();
        let out = meshctl().current_dir(dir.path()).args(["lint", "m.yaml"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let want = format!(".meshctl.yaml{place} `{code}` matches no rule (see `meshctl rules`)");
        assert!(stderr(&out).contains(&want), "{text}: {}", stderr(&out));
    }
}

/// `--gateway` is `NS/label=value[,…]` or `NS/NAME` of a Gateway API Gateway, `--from` the same or `NS` alone; anything else is a usage
/// error that says what was expected, not a request from a workload that does not exist.
#[test]
fn simulate_workloads_have_a_grammar() {
    let fails = |args: &[&str], says: &str| {
        let out = meshctl().args(["simulate", "testdata/bookinfo"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    };
    let url = "http://bookinfo.example.com/productpage";
    fails(
        &["--gateway", "istio=ingressgateway", url],
        "--gateway `istio=ingressgateway`: labels without a namespace; expected NS/label=value[,label=value…]",
    );
    fails(&["--gateway", "istio-system", url], "no labels: a gateway workload is chosen by its labels");
    fails(&["--gateway", "istio-system/Istio", url], "`Istio` is not label=value, nor the name of a Gateway");
    // `NS/NAME` is a Gateway API Gateway: the pods Istio deploys for it carry its name.
    let out = meshctl()
        .args(["simulate", "testdata/bookinfo", "--gateway", "istio-system/edge", "-o", "json", url])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["request"]["gateway_workload"]["labels"],
        serde_json::json!({"gateway.networking.k8s.io/gateway-name": "edge"})
    );
    fails(&["--from", "app=productpage", url], "--from `app=productpage`: labels without a namespace");
    fails(&["--from", "default/app=a,app=b", url], "label `app` is given twice");
    fails(&["--from", "Default", url], "`Default` is not a namespace name");
    let out = meshctl().args(["simulate", "testdata/bookinfo", "--from", "istio-system", "-o", "json", url]).output();
    let v: Value = serde_json::from_slice(&out.unwrap().stdout).unwrap();
    assert_eq!(v["request"]["source"], serde_json::json!({"namespace": "istio-system", "labels": {}}));
}

/// Only what the routing engine models is simulated: HTTP(S) requests, TCP and TLS connections.
#[test]
fn simulate_refuses_what_it_does_not_model() {
    let run = |args: &[&str]| meshctl().args(["simulate", "testdata/bookinfo"]).args(args).output().unwrap();
    let out = run(&["ftp://reviews:9080/"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("simulates http://, https://, tcp:// and tls:// URLs, not ftp://"),
        "{}",
        stderr(&out)
    );
    let out = run(&["ws://reviews:9080/"]);
    assert!(stderr(&out).contains("a gRPC, HTTP/2 or WebSocket request is an HTTP request"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("req.yaml");
    std::fs::write(&req, "host: reviews\nport: 9080\nprotocol: udp\n").unwrap();
    let out = run(&["--request", req.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("protocol `udp` is not simulated"), "{}", stderr(&out));
    let cases = dir.path().join("cases.yaml");
    std::fs::write(&cases, "tests:\n- name: ftp\n  request: {url: \"ftp://reviews:9080/\"}\n  expect: {}\n").unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&cases).output().unwrap();
    assert!(stdout(&out).contains("FAIL ftp") && stdout(&out).contains("not ftp://"), "{}", stdout(&out));
}

/// A URL or a flag that would change what the `--request` file sets is refused, naming both.
#[test]
fn simulate_refuses_a_url_that_contradicts_the_request_file() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("req.yaml");
    std::fs::write(&req, "host: reviews\nport: 9080\nmethod: GET\nheaders: {end-user: jason}\n").unwrap();
    let req = req.to_str().unwrap();
    let run = |args: &[&str]| {
        meshctl().args(["simulate", "testdata/bookinfo", "--request", req]).args(args).output().unwrap()
    };
    let out = run(&["http://ratings:9080/"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let want = format!(
        "{req} sets `host: \"reviews\"` and the URL `http://ratings:9080/` would make it \"ratings:9080\": give it in one place"
    );
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));
    let out = run(&["-X", "POST"]);
    assert!(stderr(&out).contains("sets `method: \"GET\"` and -X would make it \"POST\""), "{}", stderr(&out));
    let out = run(&["-H", "End-User: bob"]);
    assert!(stderr(&out).contains("sets header `end-user: jason` and -H would make it `bob`"), "{}", stderr(&out));
    // What the file does not set, the flags add.
    let out = run(&["-H", "x-extra: 1", "-H", "end-user: jason", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["request"]["headers"], serde_json::json!({"end-user": "jason", "x-extra": "1"}));
    assert_eq!(v["destinations"][0]["subset"], "v2");
    let cases = dir.path().join("cases.yaml");
    std::fs::write(
        &cases,
        "tests:\n- name: two hosts\n  request: {host: a, url: \"http://reviews:9080/\"}\n  expect: {}\n",
    )
    .unwrap();
    let out = meshctl().args(["test", "testdata/bookinfo", "--cases"]).arg(&cases).output().unwrap();
    assert!(stdout(&out).contains("`host: \"a\"` and `url: http://reviews:9080/`"), "{}", stdout(&out));
}

/// Simulate's human output is sentences, with the section of the rule and the port it connects to.
#[test]
fn simulate_output_says_what_happened_in_words() {
    let human = |args: &[&str]| {
        let out = meshctl().arg("simulate").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let s = stdout(&out);
        for leak in ["Some(", "None", "-:", "absent", "[\""] {
            assert!(!s.contains(leak), "{leak} in {s}");
        }
        s
    };
    let ratings = ["testdata/bookinfo", "--from", "default/app=productpage", "http://ratings:9080/"];
    let s = human(&[&ratings[..], &["-H", "end-user: jason"]].concat());
    assert!(s.contains("\nfault     delay 7s on 100% of requests\n"), "{s}");
    let s = human(&["testdata/bookinfo", "http://reviews:9080/"]);
    assert!(s.contains("\n  note        virtual host reviews.default.svc.cluster.local:9080 (domain"), "{s}");
    assert!(s.contains("requires header end-user exact \"jason\"; the request has no end-user header"), "{s}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("m.yaml"),
        "apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {ports: [{name: tcp-pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db]
  tcp:
  - match: [{destinationSubnets: [10.0.0.0/8, 10.1.0.0/16]}]
    route: [{destination: {host: db}}]
  - route: [{destination: {host: db}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - rewrite: {uri: /v2/}
    route: [{destination: {host: web}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 0.5}}}
",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let s = human(&[d, "tcp://db:5432"]);
    assert!(s.starts_with("connection tcp://db:5432 via sidecar default/\n"), "{s}");
    assert!(s.contains("default/db tcp[0] match[0]: destinationSubnets \"10.0.0.0/8\", \"10.1.0.0/16\" need"), "{s}");
    assert!(s.contains("\nwinner    default/db tcp[1]\n"), "{s}");
    let out = meshctl().args(["simulate", d, "tcp://db:5432", "-o", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["rule_kind"].as_str(), v["rule_index"].as_u64()), (Some("tcp"), Some(1)), "{v}");
    let trace = v["trace"].as_array().unwrap();
    let first_rule = trace.iter().position(|t| !t["rule_kind"].is_null()).unwrap();
    assert_eq!(trace[first_rule]["rule_kind"], "tcp", "{v}");
    assert_eq!(trace[0]["rule_kind"], Value::Null, "a note has no rule: {v}");
    assert_eq!(v["listener"]["name"], "<VIP of db.default.svc.cluster.local>_5432", "{v}");

    let req = dir.path().join("req.yaml");
    std::fs::write(&req, "host: web\nport: 8080\npath: /api\n").unwrap();
    let s = human(&[d, "--request", req.to_str().unwrap()]);
    assert!(s.starts_with("request   GET http://web:8080/api via sidecar default/\n"), "{s}");
    assert!(s.contains("\nrewrite   path to /v2/api\n"), "{s}");
    assert!(s.contains("\nfault     abort with 503 on 0.5% of requests\n"), "{s}");
    assert!(s.contains("\nwinner    default/web http[0]\n"), "{s}");
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

/// `istioVersion` in `.meshctl.yaml` picks the release as the flag does; the flag wins.
#[test]
fn istio_version_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dr.yaml");
    std::fs::copy("tests/schema/http2-keepalive.yaml", &file).unwrap();
    std::fs::write(dir.path().join(".meshctl.yaml"), "istioVersion: \"1.30\"\n").unwrap();
    let lint = |extra: &[&str]| {
        let out =
            meshctl().current_dir(dir.path()).args(["lint", "-f", "json"]).args(extra).arg("dr.yaml").output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), found(&v))
    };
    assert_eq!(lint(&[]), (1, vec![("MESH0101".to_string(), 10, 9)]));
    assert_eq!(lint(&["--istio-version", "1.31"]), (0, vec![]));
}

/// A connection by address (issue #13): the listener, how its protocol was decided and the
/// filter chain come before the route steps; a request file may give an address and no host.
#[test]
fn simulate_a_connection_by_address() {
    let out = meshctl()
        .args(["simulate", "testdata/listeners", "tcp://10.0.0.12:5432", "--from", "shop/app=api"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("simulate_tcp_by_address", String::from_utf8(out.stdout).unwrap());
    let json = |args: &[&str]| {
        let out = meshctl().arg("simulate").arg("testdata/listeners").args(args).args(["-o", "json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let v = json(&["tcp://10.0.0.99:5432"]);
    assert_eq!((v["outcome"].as_str(), v["cluster"].as_str()), (Some("blackhole"), Some("BlackHoleCluster")), "{v}");
    assert_eq!(v["listener"]["name"], "virtualOutbound", "{v}");
    let v = json(&["tls://partner.example.com:443", "--address", "203.0.113.9"]);
    assert_eq!(v["listener"]["chain_match"], "destination in 203.0.113.0/24, SNI partner.example.com", "{v}");
    assert_eq!(v["destinations"][0]["cluster"], "outbound|443||partner.example.com", "{v}");
    let v = json(&["tls://other.example.com:443", "--address", "203.0.113.9"]);
    assert_eq!(v["listener"]["filter_chain"], "PassthroughFilterChain", "{v}");
    let v = json(&["http://api.shop:9090/metrics"]);
    assert_eq!(v["listener"]["protocol"], "auto (sniffed)", "{v}");
    assert_eq!(v["route_config"], "api.shop.svc.cluster.local:9090", "{v}");

    // A Sidecar egress listener with a port and captureMode NONE: a socket on 127.0.0.1 is the
    // port's only listener, so the service address is not captured on that port.
    let legacy = ["--from", "shop/app=legacy"];
    let v = json(&["tcp://127.0.0.1:5432", legacy[0], legacy[1]]);
    assert_eq!(v["listener"]["name"], "127.0.0.1_5432", "{v}");
    assert_eq!(v["listener"]["bound"], "sidecar bind", "{v}");
    assert_eq!(v["destinations"][0]["cluster"], "outbound|5432||postgres.data.svc.cluster.local", "{v}");
    let v = json(&["tcp://10.0.0.12:5432", legacy[0], legacy[1]]);
    assert_eq!(
        (v["listener"]["name"].as_str(), v["outcome"].as_str()),
        (Some("virtualOutbound"), Some("passthrough")),
        "{v}"
    );

    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("req.yaml");
    std::fs::write(&req, "protocol: tcp\ndestination_address: 10.4.0.7\nport: 9092\n").unwrap();
    let v = json(&["--request", req.to_str().unwrap()]);
    assert_eq!(v["listener"]["name"], "10.4.0.7_9092", "a headless Service's endpoint: {v}");
    std::fs::write(&req, "protocol: tcp\ndestination_address: 10.4.0.7\n").unwrap();
    let out = meshctl().args(["simulate", "testdata/listeners", "--request"]).arg(&req).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a port"));
    let out = meshctl().args(["simulate", "testdata/listeners", "http://a/", "--address", "db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`db` is not an IP address"));
}

/// A request through a Gateway API Gateway: the pods Istio deploys for `infra/edge`, the listener,
/// the HTTPRoute rule and match, the weighted backends with the header filter, the rewrite; and
/// lint's findings on the broken routes of the same file, each at its field.
#[test]
fn gateway_api_through_the_one_engine() {
    let out = meshctl()
        .args(["simulate", "testdata/gateway-api", "--gateway", "infra/edge", "http://shop.example.com/cart/items"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("simulate_gateway_api", String::from_utf8(out.stdout).unwrap());
    let json = |url: &str| {
        let out = meshctl()
            .args(["simulate", "testdata/gateway-api", "--gateway", "infra/edge", "-o", "json", url])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let v = json("http://shop.example.com/cart/items");
    assert_eq!(v["route"], "HTTPRoute/shop/shop", "{v}");
    assert_eq!((v["gateway"].as_str(), v["gateway_listener"].as_str()), (Some("infra/edge"), Some("http")), "{v}");
    let status: Vec<&str> = v["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["result"] == "status")
        .filter_map(|t| t["detail"].as_str())
        .collect();
    assert!(status[0].starts_with("Gateway infra/edge: Accepted (Accepted), Programmed"), "{status:?}");
    assert!(status[1].starts_with("listener http: Accepted (Accepted)"), "{status:?}");
    assert!(status[2].contains("parentRefs[0] infra/edge: Accepted"), "{status:?}");
    assert_eq!(
        (v["rule_kind"].as_str(), v["rule_index"].as_u64(), v["match_index"].as_u64()),
        (Some("rules"), Some(0), Some(0))
    );
    assert_eq!(v["destinations"][1]["weight"], 10.0, "{v}");
    assert_eq!(v["destinations"][0]["request_headers"]["set"], serde_json::json!({"x-shop": "cart"}), "{v}");
    assert_eq!(v["rewrite"]["path"], "/v2/cart/items", "{v}");
    // PathPrefix matches whole segments: /cartoon is not /cart.
    assert_eq!(json("http://shop.example.com/cartoon")["route"], "HTTPRoute/shop/shop");
    assert_eq!(json("http://shop.example.com/cartoon")["rule_index"], 2);
    // An unset redirect status is the CRD default, 302; ReplacePrefixMatch keeps the rest.
    let v = json("http://shop.example.com/old/x?q=1");
    assert_eq!((v["status"].as_u64(), v["location"].as_str()), (Some(302), Some("http://shop.example.com/new/x?q=1")));
    // The route from a namespace the listener does not admit routes nothing.
    assert_eq!(json("http://lab.example.com/")["outcome"], "not_found");

    let out = meshctl().args(["lint", "--no-config", "-f", "json", "testdata/gateway-api"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["location"]["line"].as_u64().unwrap()))
        .collect();
    let want = [("MESH0221", 131), ("MESH0223", 137), ("MESH0221", 149), ("MESH0223", 152)];
    assert_eq!(found, want.map(|(c, l)| (c.to_string(), l)), "{v}");
}

/// Istio's security tasks (istio.io `docs/tasks/security/`: authz-http, authz-tcp, authz-jwt,
/// authz-deny, authz-dry-run, authz-ingress, authn-policy, mtls-migration, jwt-route), each state
/// a cases file whose `# Run:` line names its manifests: every 200, 403, 401 and refused
/// connection the tasks state, through `meshctl test`.
#[test]
fn istio_security_tasks() {
    let mut files: Vec<_> = std::fs::read_dir("testdata/routing")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("security-"))
        .collect();
    files.sort();
    let mut total = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let run = text.lines().find_map(|l| l.strip_prefix("# Run: meshctl ")).expect("a # Run: line");
        let out = meshctl().args(run.split_whitespace()).output().unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{}: {s}", f.display());
        let last = s.lines().last().unwrap_or_default();
        let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(last, format!("{passed} passed, 0 failed"), "{}", f.display());
        total += passed;
    }
    assert_eq!((files.len(), total), (41, 121));
}

/// `graph` marks each service port's hop into a workload with the mTLS mode it accepts and, where
/// the workload refuses every request on that port, why (authz-tcp step 2: the only ALLOW rule
/// uses `methods`, which istiod drops on TCP, so both ports are closed).
#[test]
fn graph_marks_denied_hops_and_mtls() {
    let out = meshctl()
        .args([
            "graph",
            "-o",
            "json",
            "testdata/security/authz-tcp/base",
            "testdata/security/authz-tcp/2-allow-get-on-9000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hops: Vec<(String, String)> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"].as_str().unwrap().contains("tcp-echo") && e["security"].is_object())
        .map(|e| {
            (
                e["security"]["mtls"].as_str().unwrap().to_string(),
                e["security"]["denied"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(hops.len(), 2, "{hops:?}");
    for (mtls, denied) in &hops {
        assert_eq!(mtls, "PERMISSIVE");
        assert!(denied.starts_with("implicit deny: no rule of the ALLOW policies foo/tcp-policy"), "{denied}");
    }
    let out = meshctl()
        .args([
            "graph",
            "-o",
            "dot",
            "testdata/security/authz-tcp/base",
            "testdata/security/authz-tcp/1-allow-9000-9001",
        ])
        .output()
        .unwrap();
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.contains("label=\"mTLS PERMISSIVE\"") && !dot.contains("implicit deny"), "{dot}");
}

/// `--jwt-claims` and `--source-ip` reach the engine (authz-jwt step 6 and 7), a malformed token is
/// 401, and flags that are not what they say are exit 2 with the reason.
#[test]
fn simulate_security_flags() {
    let base =
        ["simulate", "testdata/security/authz-jwt/base", "testdata/security/authz-jwt/2-require-jwt", "-o", "json"];
    let run = |extra: &[&str]| {
        let out = meshctl()
            .args(base)
            .args(["--from", "foo/app=sleep", "http://httpbin.foo:8000/headers"])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let claims = r#"{"iss": "testing@secure.istio.io", "sub": "testing@secure.istio.io"}"#;
    let (code, out, _) = run(&["--jwt-claims", claims, "--source-ip", "10.1.2.3"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(0));
    assert_eq!((v["authz"]["decision"].as_str(), v["status"].as_u64()), (Some("allow"), None), "{v}");
    let (_, out, _) = run(&[]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["authz"]["decision"].as_str(), v["status"].as_u64()), (Some("deny"), Some(403)), "{v}");
    let (_, out, _) = run(&["--jwt-claims", "malformed"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["status"].as_u64(), v["body"].as_str()), (Some(401), Some("Jwt verification fails")), "{v}");
    let (code, _, err) = run(&["--jwt-claims", "[1]"]);
    assert!(code == Some(2) && err.contains("--jwt-claims: give the claims as a JSON object"), "{err}");
    let (code, _, err) = run(&["--source-ip", "10.1.2"]);
    assert!(code == Some(2) && err.contains("source_ip `10.1.2` is not an IP address"), "{err}");
}
