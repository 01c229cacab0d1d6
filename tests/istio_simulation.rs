//! Istio's own simulation tests (`pilot/pkg/networking/core/*_simulation_test.go` at Istio
//! 1.30.3), ported as data in `tests/istio-simulation/cases/` (see its NOTES.md), run through
//! meshctl's routing engine.
//!
//! Every call of every group runs as a [`Request`] through one [`Simulator`] per group; every
//! route-table check compiles the sidecar's route configuration. Each result is compared as
//! Istio's `Result.Matches` compares it: the fields the case sets, and always the error. A case
//! that fails must be listed, with its reason, in `tests/istio-simulation/differences.yaml`; a
//! listed case that passes fails the test too, so that the list stays true.
//!
//! `cargo test --test istio_simulation -- --nocapture` prints the count per Istio function.

use meshctl::lint::{Inputs, LintOptions};
use meshctl::mesh::MeshConfig;
use meshctl::routing::compile::{Proxy, ProxyKind, compile_sidecar};
use meshctl::routing::{Action, Outcome, OutcomeKind, Request, Simulator};
use meshctl::source::{Sources, parse_file};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

const DIR: &str = "tests/istio-simulation";

fn yaml(name: &str, text: &str) -> Vec<Value> {
    let mut s = Sources::default();
    let id = s.add(name.to_string(), text.to_string());
    parse_file(s.file(id)).into_iter().filter_map(|d| d.value).collect()
}

/// Istio's short destination hosts (`a.default`: its fixture has no domain suffix) name the
/// Kubernetes service `a.default.svc.cluster.local` that meshctl reports.
fn same_cluster(want: &str, got: &str) -> bool {
    if want == got {
        return true;
    }
    let Some((head, host)) = want.rsplit_once('|') else { return false };
    host.matches('.').count() == 1 && format!("{head}|{host}.svc.cluster.local") == got
}

/// The error Istio's simulator reports for an outcome (`pilot/pkg/simulation/traffic.go`).
fn error_of(o: &Outcome) -> Option<&'static str> {
    match o.outcome {
        OutcomeKind::NoListener => Some("no listener"),
        OutcomeKind::NoFilterChain => Some("no filter chain"),
        OutcomeKind::ListenerRejected => Some("multiple filter chains"),
        OutcomeKind::TlsRedirect => Some("tls redirect"),
        OutcomeKind::NotFound if o.virtual_host.is_none() => Some("no virtual host"),
        OutcomeKind::NotFound => Some("no route"),
        _ => None,
    }
}

fn cluster_of(o: &Outcome) -> Option<String> {
    o.cluster.clone().or_else(|| match o.destinations.as_slice() {
        [d] => Some(d.cluster.clone()),
        _ => None,
    })
}

/// The request of a `simulation.Call`, with `Call.FillDefaults` applied.
fn request(group: &Value, call: &Value) -> Result<Request, String> {
    let proxy = &group["proxy"];
    let str_of = |v: &Value| v.as_str().map(str::to_string);
    let tls = call["tls_mode"].as_str() == Some("tls");
    let protocol = match call["protocol"].as_str() {
        Some("http") => "http",
        Some("http2") => "http2",
        // Istio's empty protocol: bytes no inspector recognises, which only a TCP proxy carries.
        Some("tcp") | None => "tcp",
        Some(p) => return Err(format!("protocol {p} is not simulated")),
    };
    // Istio's simulator matches a call's SNI whatever its TLS mode; Envoy reads an SNI only from
    // TLS, so a call that gives one is TLS.
    let tls = tls || call["sni"].is_string();
    let protocol = if tls && protocol == "tcp" { "tls" } else { protocol };
    if call["tls_mode"].as_str() == Some("mtls") {
        return Err("mTLS calls are inbound".into());
    }
    let mut r = json!({
        "protocol": protocol,
        "host": call["host"].as_str().unwrap_or_default(),
        "port": call["port"],
        "path": call["path"].as_str().unwrap_or("/"),
        "destination_address": call["address"].as_str().unwrap_or("1.3.3.7"),
    });
    if tls && protocol != "tls" {
        r["scheme"] = "https".into();
    }
    if let Some(sni) = str_of(&call["sni"]) {
        r["sni"] = sni.into();
    }
    let workload = json!({
        "namespace": proxy["namespace"].as_str().unwrap_or("default"),
        "labels": proxy["labels"].clone(),
        "ip": proxy["ip"].as_str().unwrap_or("1.1.1.1"),
    });
    match proxy["type"].as_str() {
        Some("router") => {
            r["from"] = "gateway".into();
            r["gateway_workload"] = workload;
        }
        _ => {
            r["from"] = "mesh".into();
            r["source"] = workload;
        }
    }
    serde_json::from_value(r).map_err(|e| e.to_string())
}

/// How an outcome differs from a case's `expect`, if it does.
fn differs(expect: &Value, o: &Outcome) -> Option<String> {
    let mut why = Vec::new();
    let want_error = expect["error"].as_str();
    let got_error = error_of(o);
    if want_error != got_error {
        why.push(format!("error {want_error:?}, got {got_error:?}"));
    }
    let strict = expect["strict"].as_bool() == Some(true);
    let got_cluster = cluster_of(o);
    match (expect["cluster"].as_str(), &got_cluster) {
        (Some(w), Some(g)) if same_cluster(w, g) => {}
        (None, None) => {}
        (None, Some(_)) if !strict => {}
        (w, g) => why.push(format!("cluster {w:?}, got {g:?}")),
    }
    let fields: [(&str, Option<&str>); 3] = [
        ("listener", o.listener.as_ref().map(|l| l.name.as_str())),
        ("route_config", o.route_config.as_deref()),
        ("virtual_host", o.virtual_host.as_deref()),
    ];
    for (k, got) in fields {
        match (expect[k].as_str(), got) {
            (Some(w), Some(g)) if w == g => {}
            (None, None) => {}
            (None, Some(_)) if !strict || k == "listener" => {}
            (w, g) => why.push(format!("{k} {w:?}, got {g:?}")),
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// A `checks` entry of TestSidecarRoutes: the clusters of the virtual host holding each domain.
fn check_routes(inputs: &Inputs, options: &LintOptions, group: &Value, check: &Value) -> Option<String> {
    let cx = inputs.context(options);
    let proxy = &group["proxy"];
    let p = Proxy {
        kind: ProxyKind::Sidecar,
        namespace: proxy["config_namespace"].as_str().unwrap_or("default").to_string(),
        labels: Default::default(),
        ip: None,
    };
    let port: u32 = check["route_config"].as_str().and_then(|s| s.parse().ok())?;
    let cfg = compile_sidecar(&cx, &p, port, None);
    let mut why = Vec::new();
    for (domain, want) in check["virtual_hosts"].as_object().into_iter().flatten() {
        let vh = cfg.virtual_hosts.iter().find(|v| v.domains.iter().any(|d| d == domain));
        let mut got: Option<Vec<String>> = vh.map(|v| {
            v.routes
                .iter()
                .filter_map(|r| match &r.action {
                    Action::Forward(d) if d.len() == 1 => Some(d[0].cluster.clone()),
                    _ => None,
                })
                .collect()
        });
        if let Some(g) = &mut got {
            g.sort();
            if g.is_empty() {
                got = None;
            }
        }
        let want: Option<Vec<String>> =
            want.as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect());
        let same = match (&want, &got) {
            (Some(w), Some(g)) => w.len() == g.len() && w.iter().zip(g).all(|(w, g)| same_cluster(w, g)),
            (None, None) => true,
            _ => false,
        };
        if !same {
            why.push(format!("{domain}: {want:?}, got {got:?}"));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

#[derive(Default)]
struct Tally {
    passed: usize,
    differs: usize,
    skipped: usize,
}

#[test]
fn istio_simulation_tests() {
    let list = std::fs::read_to_string(Path::new(DIR).join("differences.yaml")).unwrap();
    let list = yaml("differences.yaml", &list);
    let entries = list.first().and_then(Value::as_array).expect("differences.yaml is a list");
    let known: BTreeMap<String, String> = entries
        .iter()
        .map(|d| match (d["case"].as_str(), d["reason"].as_str()) {
            (Some(c), Some(r)) if !r.trim().is_empty() => (c.to_string(), r.to_string()),
            _ => panic!("differences.yaml: every entry has a case and a reason: {d}"),
        })
        .collect();
    let mut files: Vec<_> =
        std::fs::read_dir(Path::new(DIR).join("cases")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    let mut seen = Vec::new();
    for f in files {
        let function = f.file_stem().unwrap().to_string_lossy().to_string();
        let t = tally.entry(function.clone()).or_default();
        let text = std::fs::read_to_string(&f).unwrap();
        let groups = yaml(&f.display().to_string(), &text).into_iter().next().unwrap_or_default();
        for group in groups.as_array().into_iter().flatten() {
            let source = group["source"].as_str().unwrap_or_default();
            let calls = group["calls"].as_array().cloned().unwrap_or_default();
            let checks = group["checks"].as_array().cloned().unwrap_or_default();
            if group.get("skip").is_some_and(|s| !s.is_null()) {
                t.skipped += calls.len() + checks.len();
                continue;
            }
            let mut sources = Sources::default();
            sources.add(format!("{source}.yaml"), group["manifests"].as_str().unwrap_or_default().to_string());
            let inputs = Inputs::parse(sources);
            let mut options = LintOptions::default();
            if let Some(m) = group.get("mesh_config").filter(|m| !m.is_null()) {
                let dir = tempfile::tempdir().unwrap();
                let p = dir.path().join("mesh.json");
                std::fs::write(&p, m.to_string()).unwrap();
                options.mesh = MeshConfig::load(&p).unwrap();
            }
            let mut results: Vec<(String, Option<String>)> = Vec::new();
            {
                let cx = inputs.context(&options);
                let sim = Simulator::new(&cx);
                for (k, call) in calls.iter().enumerate() {
                    let name = call["name"].as_str().map_or_else(|| format!("call {k}"), str::to_string);
                    let verdict = match request(group, &call["request"]) {
                        Ok(req) => differs(&call["expect"], &sim.run(&req)),
                        Err(e) => Some(format!("not simulated: {e}")),
                    };
                    results.push((format!("{source} :: {name}"), verdict));
                }
            }
            for (k, check) in checks.iter().enumerate() {
                let name =
                    format!("{source} :: check {k} (route config {})", check["route_config"].as_str().unwrap_or("?"));
                results.push((name, check_routes(&inputs, &options, group, check)));
            }
            for (name, verdict) in results {
                seen.push(name.clone());
                match (verdict, known.get(&name)) {
                    (None, None) => t.passed += 1,
                    (None, Some(_)) => {
                        t.passed += 1;
                        stale.push(name);
                    }
                    (Some(_), Some(_)) => t.differs += 1,
                    (Some(why), None) => {
                        t.differs += 1;
                        unexpected.push(format!("{name}: {why}"));
                    }
                }
            }
        }
    }
    println!("{:<66} {:>6} {:>7} {:>7}", "Istio test function", "passed", "differs", "skipped");
    for (f, t) in &tally {
        println!("{f:<66} {:>6} {:>7} {:>7}", t.passed, t.differs, t.skipped);
    }
    let unknown: Vec<&String> = known.keys().filter(|k| !seen.contains(k)).collect();
    assert!(unknown.is_empty(), "differences.yaml lists cases that do not exist: {unknown:#?}");
    assert!(stale.is_empty(), "these cases pass now; take them out of differences.yaml: {stale:#?}");
    assert!(
        unexpected.is_empty(),
        "{} cases differ from Istio and are not listed:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
