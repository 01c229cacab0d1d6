//! Precision on real repositories (issue #12): inputs that are not resources are said, not
//! linted, and what the input does not show is not reported.

use assert_cmd::Command;
use serde_json::Value;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn kustomize_and_helm_inputs_are_said_once_and_not_linted() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base/vs.yaml",
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r.example.com]\n  http:\n  - route: [{destination: {host: r.example.com}}]\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: r}\nspec:\n  hosts: [r.example.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports: [{number: 80, name: http, protocol: HTTP}]\n",
    );
    write(
        dir.path(),
        "overlays/prod/kustomization.yaml",
        "resources: [../../base]\npatches:\n- path: vs-timeout.yaml\n",
    );
    // A partial object: linted as a resource it would have no hosts and no routes.
    write(
        dir.path(),
        "overlays/prod/vs-timeout.yaml",
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  http:\n  - timeout: 5s\n",
    );
    write(
        dir.path(),
        "overlays/prod/drop-gw.yaml",
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: old}\n$patch: delete\n",
    );
    write(
        dir.path(),
        "chart/templates/vs.yaml",
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.gateway }}\nspec: {}\n{{- end }}\n",
    );
    let out = Command::cargo_bin("meshctl")
        .unwrap()
        .current_dir(dir.path())
        .args(["lint", "--no-config", "-f", "json", "."])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let found: Vec<(String, String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["location"]["file"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(found.iter().all(|(c, _, _)| c == "MESH0010"), "{found:#?}");
    let files: Vec<&str> = found.iter().map(|(_, f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        [
            "chart/templates/vs.yaml",
            "overlays/prod/drop-gw.yaml",
            "overlays/prod/kustomization.yaml",
            "overlays/prod/vs-timeout.yaml"
        ],
        "{found:#?}"
    );
    assert!(found[0].2.contains("a Helm template"), "{found:?}");
    assert!(found[1].2.contains("strategic-merge patch (`$patch`)"), "{found:?}");
    assert!(found[3].2.contains("a patch that overlays/prod/kustomization.yaml applies"), "{found:?}");
    assert_eq!(v["summary"]["resources"], 2, "only base's two resources are linted");
}
