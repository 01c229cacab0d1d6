//! `meshctl graph`: DOT and Mermaid snapshots, Graphviz accepts the DOT, JSON shape, --focus, exit codes.

use assert_cmd::Command;
use serde_json::Value;

fn graph(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("meshctl").expect("binary built").arg("graph").args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

fn ok(args: &[&str]) -> String {
    let (code, out) = graph(args);
    assert_eq!(code, 0, "meshctl graph {args:?}");
    out
}

fn json(args: &[&str]) -> Value {
    let mut a = vec!["-f", "json"];
    a.extend_from_slice(args);
    serde_json::from_str(&ok(&a)).unwrap()
}

fn ids(v: &Value) -> Vec<&str> {
    v["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect()
}

#[test]
fn bookinfo_dot() {
    insta::assert_snapshot!(ok(&["testdata/bookinfo"]));
}

#[test]
fn bookinfo_mermaid() {
    insta::assert_snapshot!(ok(&["-f", "mermaid", "testdata/bookinfo"]));
}

#[test]
fn dangling_dot() {
    insta::assert_snapshot!(ok(&["testdata/graph/dangling.yaml"]));
}

#[test]
fn dangling_mermaid() {
    insta::assert_snapshot!(ok(&["-f", "mermaid", "testdata/graph/dangling.yaml"]));
}

#[test]
fn output_is_deterministic() {
    assert_eq!(ok(&["testdata/bookinfo"]), ok(&["testdata/bookinfo"]));
}

#[test]
fn graphviz_renders_the_dot() {
    if std::process::Command::new("dot").arg("-V").output().is_err() {
        println!("note: `dot` (graphviz) is not on PATH; skipping the rendering check");
        return;
    }
    for input in ["testdata/bookinfo", "testdata/graph/dangling.yaml"] {
        let dot = ok(&[input]);
        let out = Command::new("dot").arg("-Tsvg").write_stdin(dot).output().unwrap();
        assert!(out.status.success(), "dot -Tsvg on {input}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}

#[test]
fn json_shape() {
    let v = json(&["testdata/graph/dangling.yaml"]);
    assert_eq!(v["version"], 1);
    for n in v["nodes"].as_array().unwrap() {
        for key in ["id", "kind", "label", "namespace", "dangling", "conflict", "resource", "location"] {
            assert!(n.get(key).is_some(), "node without {key}: {n}");
        }
    }
    let node = |id: &str| v["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).unwrap().clone();
    let rule = node("rule:shop/shop/http/1");
    assert_eq!(rule["kind"], "rule");
    assert_eq!(rule["resource"]["kind"], "VirtualService");
    assert_eq!(rule["resource"]["name"], "shop");
    assert_eq!(rule["location"]["file"], "testdata/graph/dangling.yaml");
    assert_eq!(rule["location"]["line"], 30);
    let dangling = node("service:shop/legacy-frontend.shop.svc.cluster.local");
    assert_eq!(dangling["dangling"], true);
    assert!(dangling["resource"].is_null() && dangling["location"].is_null());
    assert_eq!(node("subset:shop/cart.shop.svc.cluster.local/v2")["dangling"], true);
    assert_eq!(node("rule:shop/cart/http/0")["conflict"], true);
    assert_eq!(node("rule:shop/shop/http/0")["conflict"], false);
    let edges = v["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["from"] == "rule:shop/shop/http/1"
        && e["to"] == "service:shop/legacy-frontend.shop.svc.cluster.local"
        && e["kind"] == "routes-to"
        && e["weight"] == 20));
    assert!(edges.iter().any(|e| e["from"] == "server:shop/shop/0"
        && e["to"] == "rule:shop/shop/http/0"
        && e["kind"] == "binds"
        && e["weight"].is_null()));
    assert!(edges.iter().any(|e| e["kind"] == "selects"));
}

#[test]
fn focus_on_a_host_keeps_what_leads_to_it_and_from_it() {
    let v = json(&["--focus", "reviews", "testdata/bookinfo"]);
    let ids = ids(&v);
    assert!(ids.contains(&"rule:default/reviews/http/1"));
    assert!(ids.contains(&"subset:default/reviews.default.svc.cluster.local/v3"));
    assert!(ids.contains(&"workload:default/Deployment/reviews-v3"));
    assert!(ids.contains(&"service:default/reviews.default.svc.cluster.local:9080"));
    assert!(!ids.iter().any(|i| i.contains("ratings") || i.contains("bookinfo")), "{ids:?}");
}

#[test]
fn focus_on_a_gateway() {
    let v = json(&["--focus", "default/bookinfo-gateway", "testdata/bookinfo"]);
    let mut ids = ids(&v);
    ids.sort();
    assert_eq!(
        ids,
        [
            "rule:default/bookinfo/http/0",
            "server:default/bookinfo-gateway/0",
            "service:default/productpage.default.svc.cluster.local:9080",
            "workload:default/Deployment/productpage-v1",
            "workload:istio-system/Deployment/istio-ingressgateway",
        ]
    );
    assert_eq!(json(&["--focus", "bookinfo-gateway", "testdata/bookinfo"]), v);
}

#[test]
fn exit_codes() {
    assert_eq!(graph(&["testdata/does-not-exist"]).0, 2);
    assert_eq!(graph(&["--format", "png", "testdata/bookinfo"]).0, 2);
    assert_eq!(graph(&["--focus", "nothing-here", "testdata/bookinfo"]).0, 2);
    // Findings do not fail the graph.
    assert_eq!(graph(&["testdata/graph/dangling.yaml"]).0, 0);
}
