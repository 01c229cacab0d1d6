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
    for input in ["testdata/bookinfo", "testdata/graph/dangling.yaml", "testdata/gateway-api"] {
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

#[test]
fn gateway_api_mermaid() {
    insta::assert_snapshot!(ok(&["-f", "mermaid", "testdata/gateway-api"]));
}

/// Gateway API: the listener binds the rules it accepts, refuses the others with the status
/// reason, and every rule's edges to its backends say which references do not resolve; the
/// conditions are on the nodes.
#[test]
fn gateway_api_listeners_routes_and_backends() {
    let v = json(&["--focus", "infra/edge", "testdata/gateway-api"]);
    let edges: Vec<(&str, &str, &str, Option<&str>)> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["from"].as_str().unwrap(), e["to"].as_str().unwrap(), e["kind"].as_str().unwrap(), e["reason"].as_str())
        })
        .collect();
    let has = |from: &str, to: &str, kind: &str, reason: Option<&str>| {
        assert!(edges.contains(&(from, to, kind, reason)), "{from} -> {to} {kind} {reason:?} in {edges:#?}")
    };
    let l = "listener:infra/edge/http";
    has(l, "route:shop/HTTPRoute/shop/rules/0", "binds", None);
    has(l, "route:shop/GRPCRoute/inventory/rules/0", "binds", None);
    has(l, "route:lab/HTTPRoute/lab/rules/0", "refuses", Some("NotAllowedByListeners"));
    has(l, "route:shop/HTTPRoute/blog/rules/0", "refuses", Some("NoMatchingListenerHostname"));
    has(
        "route:shop/HTTPRoute/blog/rules/0",
        "service:shop/blog.shop.svc.cluster.local:80",
        "routes-to",
        Some("BackendNotFound"),
    );
    has(
        "route:lab/HTTPRoute/lab/rules/0",
        "service:shop/storefront.shop.svc.cluster.local:80",
        "routes-to",
        Some("RefNotPermitted"),
    );
    has(
        "route:shop/HTTPRoute/checkout/rules/0",
        "service:payments/pay.payments.svc.cluster.local:8080",
        "routes-to",
        None,
    );
    has(
        "route:shop/HTTPRoute/checkout/rules/0",
        "service:shop/cart-canary.shop.svc.cluster.local:8080",
        "mirrors",
        None,
    );
    has(l, "workload:infra/Gateway/edge", "selects", None);
    assert!(!edges.iter().any(|e| e.0 == l && e.1.contains("HTTPRoute/lab") && e.2 == "binds"), "{edges:#?}");
    let node = |id: &str| v["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).unwrap().clone();
    let blog = node("route:shop/HTTPRoute/blog/rules/0");
    assert_eq!(blog["conditions"][0]["parent"], "infra/edge", "{blog}");
    assert_eq!(
        (blog["conditions"][0]["type"].as_str(), blog["conditions"][0]["status"].as_str()),
        (Some("Accepted"), Some("False"))
    );
    assert_eq!(blog["location"]["line"], 151, "{blog}");
    let listener = node(l);
    assert_eq!(listener["location"]["pointer"], "/spec/listeners/0");
    assert!(
        listener["conditions"].as_array().unwrap().iter().any(|c| c["type"] == "Programmed" && c["status"] == "True")
    );
    assert_eq!(node("service:shop/blog.shop.svc.cluster.local:80")["dangling"], true);
    // The mesh route is bound by its parent Service, not by the Gateway.
    let v = json(&["testdata/gateway-api"]);
    let bound: Vec<&str> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "route:shop/HTTPRoute/cart-canary-header/rules/0" && e["kind"] == "binds")
        .map(|e| e["from"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["service:shop/cart.shop.svc.cluster.local:8080"]);
}

/// A parentRef to a Gateway the input does not hold is a dangling parent node.
#[test]
fn gateway_api_missing_parent() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.yaml");
    std::fs::write(
        &f,
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec:\n  parentRefs: [{name: nowhere}]\n  rules: [{backendRefs: [{name: svc, port: 80}]}]\n",
    )
    .unwrap();
    let v = json(&[f.to_str().unwrap()]);
    let n = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "parent:a/Gateway/nowhere")
        .expect("parent node")
        .clone();
    assert_eq!((n["kind"].as_str(), n["dangling"].as_bool()), (Some("listener"), Some(true)));
    assert!(v["edges"].as_array().unwrap().iter().any(|e| e["from"] == "parent:a/Gateway/nowhere"
        && e["to"] == "route:a/HTTPRoute/r/rules/0"
        && e["reason"] == "NotFound"));
}

/// TCPRoutes (istiod's alpha kinds on): a listener binds the route its section names, refuses the
/// one from a namespace it does not admit, and a mesh TCPRoute hangs off its Service.
#[test]
fn gateway_api_tcp_routes() {
    let v = json(&["testdata/gateway-api-tcp", "--istiod-env", "PILOT_ENABLE_ALPHA_GATEWAY_API=true"]);
    let edges: Vec<(String, String, String, String)> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("from"), s("to"), s("kind"), s("reason"))
        })
        .collect();
    let has = |from: &str, to: &str, kind: &str, reason: &str| {
        edges.iter().any(|e| e.0 == from && e.1 == to && e.2 == kind && e.3 == reason)
    };
    assert!(has("listener:infra/edge/postgres", "route:data/TCPRoute/pg/rules/0", "binds", ""), "{edges:?}");
    assert!(
        has("listener:infra/edge/redis", "route:data/TCPRoute/cache/rules/0", "refuses", "NotAllowedByListeners"),
        "{edges:?}"
    );
    assert!(!edges.iter().any(|e| e.0 == "listener:infra/edge/postgres" && e.1.contains("cache")), "{edges:?}");
    assert!(
        edges.iter().any(|e| e.1 == "route:data/TCPRoute/pg-split/rules/0" && e.0.starts_with("service:")),
        "{edges:?}"
    );
}

/// The pods Istio deploys for a Gateway carry the Gateway's own conditions.
#[test]
fn gateway_api_gateway_conditions() {
    let v = json(&["testdata/gateway-api"]);
    let n = v["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "workload:infra/Gateway/edge").unwrap().clone();
    let conditions: Vec<(&str, &str)> = n["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(conditions, [("Accepted", "True"), ("Programmed", "True")]);
}
