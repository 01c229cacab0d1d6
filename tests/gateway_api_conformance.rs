//! The Gateway API conformance suite (kubernetes-sigs/gateway-api v1.7.0, `conformance/tests/`),
//! ported as data in `tests/gateway-api-conformance/cases/` (see its NOTES.md), run through
//! meshctl's routing engine as Istio would answer: every request enters the Gateway the case names
//! through the pods Istio deploys for it, and the answer is compared with what the conformance test
//! expects of the echo backend (which backend, status, redirect, the path, Host and headers the
//! backend receives, the response headers); every status expectation is compared with the
//! conditions meshctl computes offline.
//!
//! Tests whose features Istio 1.30.3 does not claim are skipped, with the feature named. A request
//! or status check that differs must be listed, with its reason, in
//! `tests/gateway-api-conformance/differences.yaml`; a listed one that passes fails the test.
//!
//! `cargo test --test gateway_api_conformance -- --nocapture` prints the count per test.

use meshctl::lint::{Inputs, LintOptions};
use meshctl::routing::{Outcome, OutcomeKind, Request, Simulator};
use meshctl::source::{Sources, parse_file};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DIR: &str = "tests/gateway-api-conformance";

/// Features the v1.7.0 tests need that Istio 1.30.3 does not claim (NOTES.md, "Istio's supported
/// features": it builds against gateway-api v1.5.1 and skips five extended features).
/// Tests that skip themselves when the implementation claims a feature Istio claims
/// (`suite.SupportedFeatures.Has(features.SupportTLSRouteModeTerminate)` in their Go bodies).
const SKIPPED_BY_CLAIMS: &[&str] =
    &["TLSRouteListenerTerminateNotSupported", "TLSRouteListenerMixedTerminationNotSupported"];

const UNCLAIMED: &[&str] = &[
    "UDPRoute",
    "GatewayRouteHostnameIntersectionPrecedence",
    "GatewayInfrastructure",
    "GRPCRouteRequestHeaderModifier",
    "HTTPRouteBackendURLRewrite",
    "HTTPRouteRetryCodes",
    "HTTPRouteRetryConnectionError",
    "GatewayBackendClientCertificate",
    "GatewayFrontendClientCertificateValidation",
    "GatewayFrontendClientCertificateValidationInsecureFallback",
    "GatewayHTTPSListenerDetectMisdirectedRequests",
    "ListenerSet",
    "MeshClusterIPMatching",
];

/// Expectations the routing engine does not answer: the backend's own behaviour or the network.
const NOT_MODELLED: &[&str] = &["connection_rejected", "failure", "backend_tls", "mirrored_to"];

fn yaml(name: &str, text: &str) -> Vec<Value> {
    let mut s = Sources::default();
    let id = s.add(name.to_string(), text.to_string());
    parse_file(s.file(id)).into_iter().filter_map(|d| d.value).collect()
}

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

/// The request a conformance client sends, as a simulate request entering `gateway` (`ns/name`),
/// or, for a mesh test, sent from the sidecar of its client pod (`mesh.client`: namespace and
/// labels) to the Service it names (the Host, `echo` by default).
fn request_of(gateway: &str, mesh: Option<&Value>, r: &Value) -> Request {
    let (ns, name) = gateway.split_once('/').unwrap_or(("default", gateway));
    let protocol = s(r, "protocol").unwrap_or("http");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    // gRPC metadata travels as HTTP/2 headers.
    for (k, v) in ["headers", "metadata"].iter().filter_map(|f| r.get(*f)?.as_object()).flatten() {
        headers.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let (method, path, proto, scheme) = match protocol {
        "grpc" => {
            headers.insert("content-type".into(), "application/grpc".into());
            let path = format!("/{}/{}", s(r, "service").unwrap_or_default(), s(r, "method").unwrap_or_default());
            ("POST".to_string(), path, "http2", "http")
        }
        "https" => {
            (s(r, "method").unwrap_or("GET").to_string(), s(r, "path").unwrap_or("/").to_string(), "http", "https")
        }
        "tcp" => (String::new(), String::new(), "tcp", "http"),
        _ => (s(r, "method").unwrap_or("GET").to_string(), s(r, "path").unwrap_or("/").to_string(), "http", "http"),
    };
    // Without a Host, the client addresses the Gateway's IP.
    let host = s(r, "host").or_else(|| s(r, "authority")).unwrap_or("192.0.2.10").to_string();
    let mut v = json!({
        "from": "gateway",
        "gateway_workload": {"namespace": ns, "labels": {"gateway.networking.k8s.io/gateway-name": name}},
        "protocol": proto,
        "scheme": scheme,
        "host": host,
        "method": method,
        "path": path,
        "headers": headers,
        "port": r.get("port").and_then(Value::as_u64).unwrap_or(80),
    });
    if let Some(sni) = s(r, "sni") {
        v["sni"] = json!(sni);
    }
    // The client pod: the request's own (tests with several clients), else the case's.
    let client = r.get("client").or_else(|| mesh.and_then(|m| m.get("client")).filter(|c| c.is_object()));
    if let Some(client) = client {
        v["from"] = json!("mesh");
        v.as_object_mut().expect("an object").remove("gateway_workload");
        v["source"] = json!({"namespace": client.get("namespace"), "labels": client.get("labels")});
        // The echo client dials `host[:port]` and sends that as the Host (`utils/echo/pod.go`).
        let host = s(r, "host").unwrap_or("echo");
        let port = r.get("port").and_then(Value::as_u64).unwrap_or(80);
        v["host"] = json!(if port == 80 { host.to_string() } else { format!("{host}:{port}") });
    }
    serde_json::from_value(v).expect("a valid request")
}

/// Header operations applied as Envoy applies them: `set` replaces, `add` appends (`a,b`), `remove`
/// drops; names lower-cased.
fn apply(mut h: BTreeMap<String, String>, ops: &meshctl::routing::HeaderOps) -> BTreeMap<String, String> {
    for (k, v) in &ops.set {
        h.insert(k.clone(), v.clone());
    }
    for (k, v) in &ops.add {
        let e = h.entry(k.clone()).or_default();
        if e.is_empty() {
            e.clone_from(v);
        } else {
            e.push(',');
            e.push_str(v);
        }
    }
    for k in &ops.remove {
        h.remove(k);
    }
    h
}

fn lower(m: Option<&serde_json::Map<String, Value>>) -> BTreeMap<String, String> {
    m.into_iter().flatten().map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or_default().to_string())).collect()
}

/// The headers the backend receives: the request's, with the route's and backend's operations.
fn received(req: &Request, o: &Outcome) -> BTreeMap<String, String> {
    let h: BTreeMap<String, String> = req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
    match o.destinations.first() {
        Some(d) => apply(h, &d.request_headers),
        None => h,
    }
}

/// Why the answer differs from what the conformance test expects, if it does.
fn check(req: &Request, backend_set: Option<&Value>, o: &Outcome, want: &Value) -> Result<(), String> {
    let status = want.get("status").and_then(Value::as_u64).map(|s| s as u32);
    let grpc = s(want, "grpc_code");
    let not_found =
        |o: &Outcome| o.status == Some(404) && matches!(o.outcome, OutcomeKind::NotFound | OutcomeKind::DirectResponse);
    match (status, grpc) {
        (Some(404), _) | (_, Some("Unimplemented")) => {
            return if not_found(o) { Ok(()) } else { Err(format!("want 404, got {:?} {:?}", o.outcome, o.status)) };
        }
        (Some(500), _) => {
            return if o.status == Some(500) {
                Ok(())
            } else {
                Err(format!("want 500, got {:?} {:?}", o.outcome, o.status))
            };
        }
        (Some(code), _) if (300..400).contains(&code) => {
            if o.outcome != OutcomeKind::Redirect || o.status != Some(code) {
                return Err(format!("want redirect {code}, got {:?} {:?}", o.outcome, o.status));
            }
            let location = o.location.clone().unwrap_or_default();
            let Some(r) = want.get("redirect") else { return Ok(()) };
            let (scheme, rest) = location.split_once("://").unwrap_or(("", &location));
            let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
            let path = path.split('?').next().unwrap_or(path);
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u64>().ok()),
                None => (authority, None),
            };
            let want_scheme = s(r, "scheme").unwrap_or(req.scheme());
            if scheme != want_scheme {
                return Err(format!("redirect scheme {scheme:?}, want {want_scheme:?} ({location})"));
            }
            if let Some(h) = s(r, "host")
                && h != host
            {
                return Err(format!("redirect host {host:?}, want {h:?} ({location})"));
            }
            let want_path = s(r, "path").unwrap_or(req.path.split('?').next().unwrap_or("/"));
            if path != want_path {
                return Err(format!("redirect path {path:?}, want {want_path:?} ({location})"));
            }
            let default_port = |sc: &str| if sc == "https" { 443 } else { 80 };
            // The Go literals write the port as a string.
            let want_port = r
                .get("port")
                .and_then(|p| p.as_u64().or_else(|| p.as_str()?.parse().ok()))
                .filter(|p| *p != default_port(want_scheme));
            if port.filter(|p| *p != default_port(scheme)) != want_port {
                return Err(format!("redirect port {port:?}, want {want_port:?} ({location})"));
            }
            return Ok(());
        }
        _ => {}
    }
    // A list of acceptable codes, as the CORS tests give them.
    let statuses: Vec<u32> = match want.get("status") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_u64).map(|c| c as u32).collect(),
        _ => status.into_iter().collect(),
    };
    let Some(backend) = s(want, "backend") else {
        let answered_here = want.get("request").and_then(Value::as_object).is_some_and(|r| r.is_empty());
        if answered_here {
            // No backend saw the request: the gateway answered it (a CORS preflight).
            if o.outcome != OutcomeKind::DirectResponse || !o.status.is_some_and(|c| statuses.contains(&c)) {
                return Err(format!("want the gateway's own answer {statuses:?}, got {:?} {:?}", o.outcome, o.status));
            }
            return check_response(want.get("response"), &o.response_headers.set);
        }
        let Some(ns) = s(want, "namespace") else { return Ok(()) };
        // Some backend of the namespace answers.
        let suffix = format!(".{ns}.svc.cluster.local");
        if o.outcome != OutcomeKind::Route
            || o.status.is_some()
            || !o.destinations.iter().all(|d| d.host.ends_with(&suffix))
        {
            return Err(format!("want a route into {ns}, got {:?} {:?}", o.outcome, o.status));
        }
        let seen = apply(lower(backend_set.and_then(Value::as_object)), &o.response_headers);
        return check_response(want.get("response"), &seen);
    };
    let ns = s(want, "namespace").unwrap_or("gateway-conformance-infra");
    let host = format!("{backend}.{ns}.svc.cluster.local");
    // TLS passthrough is forwarded as TCP.
    if !matches!(o.outcome, OutcomeKind::Route | OutcomeKind::TcpForward) || o.status.is_some() {
        return Err(format!("want a route to {host}, got {:?} {:?}", o.outcome, o.status));
    }
    let hosts: Vec<&str> = o.destinations.iter().map(|d| d.host.as_str()).collect();
    if hosts != [host.as_str()] {
        return Err(format!("want {host}, got {hosts:?}"));
    }
    let Some(r) = want.get("request") else { return Ok(()) };
    let path = o.rewrite.as_ref().and_then(|w| w.path.clone()).unwrap_or_else(|| req.path.clone());
    if let Some(p) = s(r, "path")
        && p != path.split('?').next().unwrap_or(&path)
    {
        return Err(format!("backend path {path:?}, want {p:?}"));
    }
    let got_host = o.rewrite.as_ref().and_then(|w| w.host.clone()).unwrap_or_else(|| req.host.clone());
    if let Some(h) = s(r, "host")
        && h != got_host
    {
        return Err(format!("backend Host {got_host:?}, want {h:?}"));
    }
    let headers = received(req, o);
    for (k, v) in r.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let got = headers.get(&k.to_ascii_lowercase());
        if got.map(String::as_str) != v.as_str() {
            return Err(format!("backend header {k}: {got:?}, want {v}"));
        }
    }
    for k in r.get("absent_headers").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if headers.contains_key(&k.to_ascii_lowercase()) {
            return Err(format!("backend header {k} should be absent"));
        }
    }
    // What the client sees: the headers the echo backend was asked to set, after the route's
    // response operations.
    let seen = apply(lower(backend_set.and_then(Value::as_object)), &o.response_headers);
    check_response(want.get("response"), &seen)
}

/// The response headers the client sees against `response`: `headers` exactly,
/// `valid_header_values` one of the listed (spaces dropped with `ignore_whitespace`, as
/// `conformance/utils/http/http.go` compares them), `absent_headers` not at all. Names are
/// compared case-insensitively.
fn check_response(resp: Option<&Value>, seen: &BTreeMap<String, String>) -> Result<(), String> {
    let Some(resp) = resp else { return Ok(()) };
    let squeeze = resp.get("ignore_whitespace").and_then(Value::as_bool) == Some(true);
    let norm = |v: &str| if squeeze { v.chars().filter(|c| !c.is_whitespace()).collect() } else { v.to_string() };
    let got = |k: &str| seen.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    for (k, v) in resp.get("headers").and_then(Value::as_object).into_iter().flatten() {
        if got(k).map(norm) != v.as_str().map(norm) {
            return Err(format!("response header {k}: {:?}, want {v}", got(k)));
        }
    }
    for (k, list) in resp.get("valid_header_values").and_then(Value::as_object).into_iter().flatten() {
        let valid: Vec<String> = list.as_array().into_iter().flatten().filter_map(Value::as_str).map(norm).collect();
        if !got(k).map(norm).is_some_and(|g| valid.contains(&g)) {
            return Err(format!("response header {k}: {:?}, want one of {valid:?}", got(k)));
        }
    }
    for k in resp.get("absent_headers").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if got(k).is_some() {
            return Err(format!("response header {k} should be absent, got {:?}", got(k)));
        }
    }
    Ok(())
}

/// `GatewayStatusMustHaveListeners`: each listed listener's attached routes and conditions (its
/// `supportedKinds` are not compared), and with `exact` no other listener.
fn check_listeners(
    t: &meshctl::mesh::gateway_api::Translation,
    gateway: &str,
    want: &[Value],
    exact: bool,
) -> Result<(), String> {
    let have: Vec<_> = t.listeners.iter().filter(|l| format!("{}/{}", l.namespace, l.name) == gateway).collect();
    if exact {
        let mut got: Vec<&str> = have.iter().map(|l| l.listener.as_str()).collect();
        let mut names: Vec<&str> = want.iter().filter_map(|l| s(l, "name")).collect();
        got.sort_unstable();
        names.sort_unstable();
        if got != names {
            return Err(format!("listeners {got:?}, want {names:?}"));
        }
    }
    for w in want {
        let name = s(w, "name").unwrap_or_default();
        let Some(l) = have.iter().find(|l| l.listener == name) else { return Err(format!("no listener {name}")) };
        if let Some(n) = w.get("attached_routes").and_then(Value::as_u64)
            && l.attached_routes as u64 != n
        {
            return Err(format!("listener {name}: {} attached routes, want {n}", l.attached_routes));
        }
        for c in w.get("conditions").and_then(Value::as_array).into_iter().flatten() {
            let (ty, status, reason) =
                (s(c, "type").unwrap_or_default(), s(c, "status").unwrap_or_default(), s(c, "reason"));
            let ok = l
                .conditions
                .iter()
                .any(|x| x.type_ == ty && x.status == status && reason.is_none_or(|r| r == x.reason));
            if !ok {
                return Err(format!("listener {name}: want {ty}={status} ({reason:?}), have {:?}", l.conditions));
            }
        }
    }
    Ok(())
}

/// The status expectation as a lint test: a condition the controller writes False (or a route
/// no parent accepts) is a finding of the rule for it on that object; an object whose every
/// expected condition is True has no such finding. `None` when the expectation says nothing a
/// rule reports (a Gateway's attached-route counts, Unknown conditions).
fn check_lint(findings: &[(String, String, String)], st: &Value, all: &[Value]) -> Option<Result<(), String>> {
    let object = s(st, "object").unwrap_or_default();
    let (kind, name) = object.split_once(' ').unwrap_or(("", object));
    let codes: &[&str] = match (kind, st.get("listener").is_some() || st.get("listeners").is_some()) {
        ("Gateway", true) => &["MESH0224"],
        ("Gateway", false) => &["MESH0229"],
        _ => &["MESH0221", "MESH0222", "MESH0223"],
    };
    if st.get("zero_routes").is_some() {
        return None;
    }
    let bad = |v: &Value| {
        v.get("conditions").and_then(Value::as_array).into_iter().flatten().any(|c| {
            let t = s(c, "type").unwrap_or_default();
            let status = s(c, "status").unwrap_or_default();
            if t == "Conflicted" { status == "True" } else { status == "False" }
        }) || v.get("no_accepted_parents").is_some()
            || v.get("listeners").and_then(Value::as_array).into_iter().flatten().any(|l| {
                l.get("conditions").and_then(Value::as_array).into_iter().flatten().any(|c| {
                    let t = s(c, "type").unwrap_or_default();
                    let status = s(c, "status").unwrap_or_default();
                    if t == "Conflicted" { status == "True" } else { status == "False" }
                })
            })
    };
    let reported = findings.iter().any(|(c, k, n)| codes.contains(&c.as_str()) && k == kind && n == name);
    if bad(st) {
        return Some(if reported { Ok(()) } else { Err(format!("lint reports no {} on {object}", codes.join("/"))) });
    }
    // Clean only when no expectation of the test says anything is wrong with the object.
    let same_object = |v: &&Value| {
        s(v, "object") == Some(object)
            && (kind != "Gateway"
                || (v.get("listener").is_some() || v.get("listeners").is_some()) == (codes == ["MESH0224"]))
    };
    if all.iter().filter(same_object).any(bad) {
        return None;
    }
    Some(if reported {
        Err(format!("lint reports {} on {object}, whose status is all True", codes.join("/")))
    } else {
        Ok(())
    })
}

/// Why the offline status differs from the expected conditions, if it does.
fn check_status(inputs: &Inputs, options: &LintOptions, st: &Value) -> Result<(), String> {
    let cx = inputs.context(options);
    let t = cx.gateway_api();
    let object = s(st, "object").unwrap_or_default();
    let (kind, name) = object.split_once(' ').unwrap_or(("", object));
    let want: Vec<&Value> =
        st.get("conditions").and_then(Value::as_array).map(|c| c.iter().collect()).unwrap_or_default();
    if st.get("no_accepted_parents").is_some() {
        let accepted = t.parents.iter().any(|p| {
            p.kind == kind
                && format!("{}/{}", p.namespace, p.name) == name
                && p.conditions.iter().any(|c| c.type_ == "Accepted" && c.status == "True")
        });
        return if accepted { Err("a parent accepts the route".into()) } else { Ok(()) };
    }
    if st.get("zero_routes").is_some() {
        let attached: usize = t
            .listeners
            .iter()
            .filter(|l| format!("{}/{}", l.namespace, l.name) == name)
            .map(|l| l.attached_routes)
            .sum();
        return if attached == 0 { Ok(()) } else { Err(format!("{attached} routes attached")) };
    }
    let conditions: Vec<(String, String, String)> = if kind == "Gateway" {
        if let Some(listeners) = st.get("listeners").and_then(Value::as_array) {
            return check_listeners(t, name, listeners, st.get("listeners_exact").is_some());
        }
        let Some(listener) = s(st, "listener") else {
            // The Gateway's own conditions, as far as the input shows them.
            let own: Vec<(String, String, String)> = t
                .gateway_status
                .iter()
                .filter(|g| g.kind == "Gateway" && format!("{}/{}", g.namespace, g.name) == name)
                .flat_map(|g| {
                    g.conditions.iter().map(|c| (c.type_.to_string(), c.status.to_string(), c.reason.to_string()))
                })
                .collect();
            if own.is_empty() {
                return Err("no status for the Gateway".into());
            }
            for w in &want {
                let (ty, status, reason) =
                    (s(w, "type").unwrap_or_default(), s(w, "status").unwrap_or_default(), s(w, "reason"));
                if !own.iter().any(|(t, st, r)| t == ty && st == status && reason.is_none_or(|x| x == r)) {
                    return Err(format!("want {ty}={status} ({reason:?}), have {own:?}"));
                }
            }
            return Ok(());
        };
        t.listeners
            .iter()
            .filter(|l| format!("{}/{}", l.namespace, l.name) == name && (listener == "*" || l.listener == listener))
            .flat_map(|l| {
                l.conditions.iter().map(|c| (c.type_.to_string(), c.status.to_string(), c.reason.to_string()))
            })
            .collect()
    } else {
        let parent = s(st, "parent").unwrap_or_default();
        let wanted = match s(st, "section") {
            Some(section) => format!("{parent}/{section}"),
            None => parent.to_string(),
        };
        let of_route: Vec<_> =
            t.parents.iter().filter(|p| p.kind == kind && format!("{}/{}", p.namespace, p.name) == name).collect();
        let mut found: Vec<_> = of_route
            .iter()
            .filter(|p| {
                p.parent == wanted || (s(st, "section").is_none() && p.parent.starts_with(&format!("{parent}/")))
            })
            .collect();
        // The Go helpers name the listener they expect (`NewGatewayRef(gw, "listener-1")`) also
        // for a route whose parentRef selects it by port only; its status entry, which echoes the
        // parentRef, has no section.
        if found.is_empty() {
            found = of_route.iter().filter(|p| p.parent == parent).collect();
        }
        if found.is_empty() {
            return Err(format!("no status for parent {parent}"));
        }
        found
            .iter()
            .flat_map(|p| {
                p.conditions.iter().map(|c| (c.type_.to_string(), c.status.to_string(), c.reason.to_string()))
            })
            .collect()
    };
    if conditions.is_empty() {
        return Err("no such object".into());
    }
    for w in want {
        let (ty, status, reason) =
            (s(w, "type").unwrap_or_default(), s(w, "status").unwrap_or_default(), s(w, "reason"));
        let ok = conditions.iter().any(|(t, st, r)| t == ty && st == status && reason.is_none_or(|x| x == r));
        if !ok {
            return Err(format!("want {ty}={status} ({reason:?}), have {conditions:?}"));
        }
    }
    Ok(())
}

#[test]
fn gateway_api_conformance() {
    let differences: BTreeMap<String, String> =
        yaml("differences.yaml", &std::fs::read_to_string(format!("{DIR}/differences.yaml")).unwrap())
            .into_iter()
            .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            .map(|d| (s(&d, "case").unwrap_or_default().to_string(), s(&d, "reason").unwrap_or_default().to_string()))
            .collect();
    let mut files: Vec<_> = std::fs::read_dir(format!("{DIR}/cases")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut failed: Vec<String> = Vec::new();
    let mut listed_passing: Vec<String> = Vec::new();
    let mut table: Vec<String> = Vec::new();
    let (mut total_pass, mut total_diff, mut total_skip) = (0, 0, 0);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let case = yaml(&file.display().to_string(), &text).into_iter().next().unwrap();
        let test = s(&case, "test").unwrap_or_default().to_string();
        let requests = case.get("requests").and_then(Value::as_array).cloned().unwrap_or_default();
        let statuses = case.get("status").and_then(Value::as_array).cloned().unwrap_or_default();
        let unclaimed: Vec<&str> = case
            .get("features")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|f| UNCLAIMED.contains(f))
            .collect();
        let checks = requests.len() + statuses.len();
        if SKIPPED_BY_CLAIMS.contains(&test.as_str()) {
            total_skip += checks;
            table.push(format!("| {test} | 0 | 0 | {checks} (skips itself: Istio claims TLSRouteModeTerminate) |"));
            continue;
        }
        if case.get("skip").is_some() || !unclaimed.is_empty() {
            total_skip += checks;
            let why =
                if unclaimed.is_empty() { "skip".to_string() } else { format!("unclaimed: {}", unclaimed.join(", ")) };
            table.push(format!("| {test} | 0 | 0 | {checks} ({why}) |"));
            continue;
        }
        let manifests = s(&case, "manifests").unwrap_or_default().replace("{GATEWAY_CLASS_NAME}", "istio");
        let mut sources = Sources::default();
        sources.add(format!("{test}.yaml"), manifests.clone());
        let inputs = Inputs::parse(sources);
        // TCPRoute is an alpha kind: istiod serves it with PILOT_ENABLE_ALPHA_GATEWAY_API=true, as
        // Istio's own integration setup runs it (`tests/integration/base.yaml`).
        let mut options = LintOptions::default();
        options.mesh.istiod.alpha_gateway_api =
            case.get("features").and_then(Value::as_array).is_some_and(|f| f.iter().any(|x| x == "TCPRoute"));
        let mut lint_sources = Sources::default();
        lint_sources.add(format!("{test}.yaml"), manifests);
        let findings: Vec<(String, String, String)> = meshctl::lint::lint_sources(lint_sources, &options)
            .diagnostics
            .iter()
            .filter_map(|d| {
                let r = d.resource.as_ref()?;
                let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
                Some((d.code.to_string(), r.kind.clone(), format!("{ns}/{}", r.name)))
            })
            .collect();
        let cx = inputs.context(&options);
        let sim = Simulator::new(&cx);
        let (mut pass, mut diff, mut skip) = (0, 0, 0);
        let default_gateway = s(&case, "gateway").unwrap_or_default().to_string();
        let mut outcome = |id: String, result: Result<(), String>| match (result, differences.contains_key(&id)) {
            (Ok(()), false) => pass += 1,
            (Ok(()), true) => listed_passing.push(id),
            (Err(_), true) => diff += 1,
            (Err(why), false) => {
                diff += 1;
                failed.push(format!("{id}: {why}"));
            }
        };
        for (k, r) in requests.iter().enumerate() {
            let mut want = r.get("expect").cloned().unwrap_or_default();
            // The mesh tests' backends are in the mesh namespace unless they name another.
            if case.get("mesh").is_some()
                && want.get("namespace").is_none()
                && let Some(w) = want.as_object_mut()
            {
                w.insert("namespace".into(), json!("gateway-conformance-mesh"));
            }
            if NOT_MODELLED.iter().any(|f| want.get(*f).is_some())
                || s(r.get("request").unwrap_or(&Value::Null), "protocol") == Some("tls")
            {
                skip += 1;
                continue;
            }
            let mut req_v = r.get("request").cloned().unwrap_or_default();
            if let (Some(client), Some(o)) = (r.get("client"), req_v.as_object_mut()) {
                o.insert("client".into(), client.clone());
            }
            let gateway = s(r, "gateway")
                .or_else(|| s(&req_v, "gateway"))
                .map(str::to_string)
                .unwrap_or_else(|| default_gateway.clone());
            let req = request_of(&gateway, case.get("mesh"), &req_v);
            let o = sim.run(&req);
            let id = format!("{test} :: request {k} ({})", s(r, "name").unwrap_or_default());
            outcome(id, check(&req, req_v.get("backend_set_response_headers"), &o, &want));
        }
        for (k, st) in statuses.iter().enumerate() {
            let id = format!("{test} :: status {k} ({})", s(st, "object").unwrap_or_default());
            outcome(id, check_status(&inputs, &options, st));
            if let Some(result) = check_lint(&findings, st, &statuses) {
                let id = format!("{test} :: lint {k} ({})", s(st, "object").unwrap_or_default());
                outcome(id, result);
            }
        }
        total_pass += pass;
        total_diff += diff;
        total_skip += skip;
        table.push(format!("| {test} | {pass} | {diff} | {skip} |"));
    }
    println!("| conformance test | passed | differs (listed) | skipped |\n|---|---:|---:|---:|");
    for row in &table {
        println!("{row}");
    }
    println!("| **total** | **{total_pass}** | **{total_diff}** | **{total_skip}** |");
    assert!(listed_passing.is_empty(), "these pass now; take them out of differences.yaml: {listed_passing:#?}");
    assert!(
        failed.is_empty(),
        "{} checks differ and are not listed in differences.yaml:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
