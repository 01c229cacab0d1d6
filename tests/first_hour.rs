//! What a new user meets in the first hour (issue #11): nothing skipped in silence, lint knowing
//! what simulate knows, configuration that holds wherever meshctl runs from, and messages that say
//! what they mean. Each test runs the real binary.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn meshctl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("meshctl").expect("binary built");
    c.current_dir(dir).env_remove("NO_COLOR").env("COLUMNS", "100");
    c
}

/// (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = meshctl(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The codes of a `lint -f json` run.
fn codes(stdout: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}

fn messages(stdout: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["diagnostics"].as_array().unwrap().iter().map(|d| d["message"].as_str().unwrap().to_string()).collect()
}

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
";

#[test]
fn an_empty_folder_or_one_without_manifests_is_not_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(dir.path(), &["lint", "--no-config", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to read: no *.yaml, *.yml or *.json file in ."), "{err}");
    write(dir.path(), "README.md", "# not a manifest\n");
    let (code, _, err) = run(dir.path(), &["lint", "--no-config"]);
    assert_eq!(code, 2, "{err}");
    // A folder without manifests beside one with them is said, not fatal.
    write(dir.path(), "m/svc.yaml", SERVICE);
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    let (code, _, err) = run(dir.path(), &["lint", "--no-config", "m", "docs"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("meshctl: note: docs: no *.yaml, *.yml or *.json file in it"), "{err}");
    for cmd in [&["graph"][..], &["simulate", "http://reviews:9080/"], &["test", "--cases", "c.yaml"]] {
        let (code, _, err) = run(dir.path(), &[cmd, &["docs"]].concat());
        assert_eq!(code, 2, "{cmd:?}: {err}");
    }
}

#[test]
fn excluded_files_are_said_and_exclude_holds_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".meshctl.yaml", "exclude: [\"vendor\"]\n");
    write(dir.path(), "app/svc.yaml", SERVICE);
    write(dir.path(), "vendor/broken.yaml", "a: [\n");
    // From the configuration's folder.
    let (code, out, err) = run(dir.path(), &["lint", "-f", "json", "."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 of the 2 files found are excluded by"), "{err}");
    // From a subfolder, naming the parent: the exclude is relative to the configuration, not to
    // the working directory.
    let (code, out, err) = run(&dir.path().join("app"), &["lint", "-f", "json", ".."]);
    assert_eq!(code, 0, "the vendored file is excluded from app/ too: {out}{err}");
    // A file named on the command line is excluded, and said so.
    let (code, _, err) = run(dir.path(), &["lint", "vendor/broken.yaml", "app/svc.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("vendor/broken.yaml: excluded by `vendor` in"), "{err}");
    // Only excluded files: nothing was linted.
    let (code, _, err) = run(dir.path(), &["lint", "vendor"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("every file in vendor is excluded"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_not_followed_and_a_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m/svc.yaml", SERVICE);
    std::os::unix::fs::symlink("..", dir.path().join("m/loop")).unwrap();
    std::os::unix::fs::symlink("svc.yaml", dir.path().join("m/again.yaml")).unwrap();
    let (code, out, err) = run(dir.path(), &["lint", "--no-config", "-f", "json", "m"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["files"], 1, "{out}");
    assert!(err.contains("a symbolic link back to"), "{err}");
    assert!(err.contains("m/svc.yaml: the same file as one already read"), "{err}");
    assert!(!codes(&out).contains(&"MESH0401".to_string()), "{out}");
}

#[test]
fn a_schema_error_leaves_the_rest_of_the_resource_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "vs.yaml",
        &format!(
            "{SERVICE}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: default}}
spec:
  hosts: [reviews]
  http:
  - timeout: 5
    route:
    - destination: {{host: reviews, port: {{number: 9999}}}}
"
        ),
    );
    let (code, out, err) = run(dir.path(), &["lint", "--no-config", "-f", "json", "vs.yaml"]);
    assert_eq!(code, 1, "{err}");
    let found = codes(&out);
    assert!(found.contains(&"MESH0103".to_string()), "the type error: {found:?}");
    assert!(found.contains(&"MESH0207".to_string()), "the wrong port beside it: {found:?}");
}

#[test]
fn simulate_and_test_say_what_they_route_without() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.yaml", SERVICE);
    write(dir.path(), "broken.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec: [\n");
    write(
        dir.path(),
        "odd.yaml",
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\n\
         spec:\n  hosts: [reviews]\n  http:\n  - timeout: 5\n    route: [{destination: {host: reviews}}]\n",
    );
    write(
        dir.path(),
        "cases.yaml",
        "tests:\n- name: to reviews\n  request: {url: \"http://reviews:9080/\"}\n  expect: {outcome: route}\n",
    );
    let (code, out, err) = run(dir.path(), &["simulate", ".", "http://reviews:9080/"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("meshctl: warning: broken.yaml:4:1: this document does not parse"), "{err}");
    assert!(err.contains("odd.yaml:7:14: `/spec/http/0/timeout` of VirtualService `r` is ignored"), "{err}");
    let (code, out, err) = run(dir.path(), &["test", ".", "--cases", "cases.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("this document does not parse"), "{err}");
}

#[test]
fn a_mesh_config_with_a_misspelled_value_or_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.yaml", SERVICE);
    write(dir.path(), "mesh.yaml", "outboundTrafficPolicy:\n  mode: REGISTRY_ONLYY\n");
    write(dir.path(), "typo.yaml", "rootNamespce: istio-config\n");
    for cmd in ["lint", "graph"] {
        let (code, _, err) = run(dir.path(), &[cmd, "--mesh-config", "mesh.yaml", "svc.yaml"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("mesh.yaml:2:9: \"REGISTRY_ONLYY\" is not a valid outboundTrafficPolicy.mode"), "{err}");
    }
    let (code, _, err) = run(dir.path(), &["simulate", "--mesh-config", "typo.yaml", "svc.yaml", "http://reviews/"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "typo.yaml:1:1: `rootNamespce` is not a field of Istio's MeshConfig; did you mean `rootNamespace`?"
        ),
        "{err}"
    );
}

#[test]
fn test_cases_with_an_unknown_key_are_refused_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.yaml", SERVICE);
    // istio-config-validator's own testdata/invalid_test.yml.
    write(
        dir.path(),
        "validator.yaml",
        "testCases:\n  - description: a test\n    unknownField: true # not a valid field\n    wantMatch: true\n    request:\n      authority: [reviews]\n      method: [GET]\n      uri: [/]\n",
    );
    let (code, _, err) = run(dir.path(), &["test", "svc.yaml", "--cases", "validator.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("validator.yaml:3:5: `unknownField` is not a field of an istio-config-validator test case"),
        "{err}"
    );
    write(
        dir.path(),
        "mine.yaml",
        "tests:\n- name: x\n  request: {url: \"http://reviews/\"}\n  expects: {outcome: route}\n",
    );
    let (code, _, err) = run(dir.path(), &["test", "svc.yaml", "--cases", "mine.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mine.yaml:4:3: `expects` is not a field of a test case; did you mean `expect`?"), "{err}");
}

#[test]
fn lint_reports_the_delegates_simulate_drops() {
    let dir = tempfile::tempdir().unwrap();
    let root = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{uri: {prefix: /cart}}]
    delegate: {name: cart-routes}
  - match: [{uri: {prefix: /pay}}]
    delegate: {name: pay}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pay, namespace: shop}
spec:
  http:
  - match: [{uri: {prefix: /checkout}}]
    route: [{destination: {host: pay}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*/shop.example.com']}]
";
    write(dir.path(), "vs.yaml", root);
    let (code, out, err) = run(dir.path(), &["lint", "--no-config", "-f", "json", "vs.yaml"]);
    assert_eq!(code, 1, "{err}");
    let found = codes(&out);
    assert!(found.contains(&"MESH0220".to_string()) && found.contains(&"MESH0305".to_string()), "{found:?}");
    let (_, sim, _) = run(
        dir.path(),
        &["simulate", "vs.yaml", "--gateway", "istio-system/istio=ingressgateway", "http://shop.example.com/cart"],
    );
    assert!(sim.contains("shop/cart-routes does not exist"), "simulate says the same: {sim}");
}

#[test]
fn messages_say_what_they_mean() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
         apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
         apiVersion: security.istio.io/v1\nkind: AuthorisationPolicy\nmetadata: {name: a}\n---\n\
         apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\n\
         spec:\n  hosts: [a.example.com]\n  gateways: [istio-system/public]\n  http:\n\
         \x20 - route: [{destination: {host: a.example.com}}]\n\
         \x20 - route: [{destination: {host: a.example.com}}]\n",
    );
    let (_, out, _) = run(dir.path(), &["lint", "--no-config", "-f", "json", "m.yaml"]);
    let m = messages(&out);
    let has = |s: &str| m.iter().any(|x| x.contains(s));
    assert!(has("Namespace `shop` is defined twice"), "{m:?}");
    assert!(has("did you mean `security.istio.io/v1` `AuthorizationPolicy`?"), "{m:?}");
    assert!(has("gateway `istio-system/public` does not exist"), "{m:?}");
    assert!(!has("(`istio-system/public`)"), "{m:?}");
    assert!(has("VirtualService rule http[1] not used"), "{m:?}");
}

#[test]
fn istios_bookinfo_gateway_on_8080_is_not_a_port_finding() {
    // samples/bookinfo/networking/bookinfo-gateway.yaml as Istio ships it today.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bookinfo-gateway.yaml",
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - \"*\"
",
    );
    let (code, out, err) = run(dir.path(), &["lint", "--no-config", "-f", "json", "."]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!codes(&out).contains(&"MESH0212".to_string()), "{out}");
}

#[test]
fn an_octal_port_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.yaml", &SERVICE.replace("port: 9080", "port: 0755"));
    let (_, out, _) = run(dir.path(), &["lint", "--no-config", "-f", "json", "svc.yaml"]);
    assert!(
        messages(&out).iter().any(|m| m == "the value `0755` is read by Kubernetes as the octal number 493"),
        "{out}"
    );
}

#[test]
fn what_is_out_of_sight_is_said_once_per_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let vs = |name: &str, host: &str| {
        format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}}}\n\
             spec:\n  hosts: [{name}]\n  http:\n  - route: [{{destination: {{host: {host}}}}}]\n---\n"
        )
    };
    write(
        dir.path(),
        "vs.yaml",
        &[
            vs("a", "ratings.prod.svc.cluster.local"),
            vs("b", "reviews.prod.svc.cluster.local"),
            vs("c", "ratings.prod.svc.cluster.local"),
        ]
        .concat(),
    );
    let (code, _, err) = run(dir.path(), &["lint", "--no-config", "vs.yaml"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("out of sight")).collect();
    assert_eq!(
        lines,
        ["meshctl: note: not checked, namespace `prod` is out of sight (the input defines nothing in it): \
          destination host `ratings.prod.svc.cluster.local`, destination host `reviews.prod.svc.cluster.local`"],
        "{err}"
    );
}
