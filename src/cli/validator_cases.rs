//! getyourguide/istio-config-validator's test-case files (`testCases:`), read by `meshctl test`.
//!
//! Mapping (documented in the README):
//! - each case's `request` is unfolded as the validator does: every `uri` × `authority` × `method`,
//!   with `headers` on all of them; one meshctl case per combination, named
//!   `description [METHOD authority uri]`;
//! - the request enters where the mesh would take it: through the gateway whose server answers the
//!   authority and to which a VirtualService for it is bound (its port, its workload), otherwise
//!   from a sidecar in the default namespace on port 80 (or the authority's port);
//! - a validator file tests VirtualServices without the Services of the cluster. A sidecar has a
//!   route table `80` only when some HTTP service listens on port 80, and that table is the only
//!   one where istiod gives VirtualService hosts that no service backs a virtual host
//!   (`route.go` `buildSidecarVirtualHostsForVirtualService`, "gross HACK":
//!   `serviceByPort[80] = nil`; `httproute.go` `BuildSidecarOutboundVirtualHosts` keeps the
//!   VirtualServices that match no service only for port 80). When
//!   the input has no such service, the engine answers that the sidecar has no HTTP listener on 80
//!   (passthrough, or no listener under REGISTRY_ONLY); a validator case on port 80 is then
//!   answered by route table `80` as istiod builds it for the input, and `meshctl test` says so
//!   once on stderr ([`Runner`]);
//! - `route` holds when the request is routed to exactly those destinations, in order (`host` as
//!   written or its FQDN, `subset`, `port` and `weight` when given); `redirect` compares `uri`,
//!   `authority` and `redirectCode` with the redirect; `rewrite` `uri` and `authority` with the
//!   rewritten request; `fault` the abort status, fixed delay and their percentages; `delegate`
//!   the delegate that answered; `headers` (and a `route` destination's `headers`) the header
//!   operations of the rule that answered, as istiod merged it with its delegate
//!   ([`answering_rule`]): meshctl's answer does not carry them, the rule it names does;
//! - each given field is judged on its own, as the validator does: `wantMatch: true` passes when
//!   every one holds, `wantMatch: false` when none does.

use crate::lint::Context;
use crate::mesh::hosts;
use crate::model::Typed;
use crate::model::networking::{HTTPRoute, Headers};
use crate::routing::compile::{gateway_key, gateway_namespaces, virtual_services};
use crate::routing::eval::{From, WorkloadRef, run_http};
use crate::routing::{Outcome, RouteConfig, Simulator, compile_sidecar};
use crate::routing::{Request, matcher::strip_port};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// The port whose sidecar route table holds VirtualService hosts that no service backs.
const LEGACY_PORT: u32 = 80;

/// Answers validator cases with the routing engine. The one thing it adds: a request from a
/// sidecar on port 80 for which the input has no HTTP listener is answered by the sidecar's route
/// table `80`, which a cluster with any HTTP service on port 80 has, and which istiod fills with
/// every VirtualService of the sidecar, backed by a service or not (`route.go`
/// `buildSidecarVirtualHostsForVirtualService`, called by `BuildSidecarVirtualHostWrapper`:
/// `if len(serviceByPort) == 0 { if listenPort == 80 { serviceByPort[80] = nil } }`).
pub struct Runner<'s, 'c, 'a> {
    cx: &'c Context<'a>,
    simulator: &'s Simulator<'c, 'a>,
    /// Route table `80` per sidecar (namespace and labels), built once.
    tables: RefCell<HashMap<String, Rc<RouteConfig<'c>>>>,
    /// How many requests were answered by a route table the input has no listener for.
    assumed: Cell<usize>,
}

impl<'s, 'c, 'a> Runner<'s, 'c, 'a> {
    pub fn new(cx: &'c Context<'a>, simulator: &'s Simulator<'c, 'a>) -> Self {
        Runner { cx, simulator, tables: RefCell::default(), assumed: Cell::new(0) }
    }

    /// The answer to one validator request, without the explanation.
    pub fn decide(&self, req: &Request) -> Outcome {
        self.answer(req, false)
    }

    /// The rules istiod left out of the route table that answered, and why (from the explanation),
    /// as lines: what a failing case prints, since "no route" alone does not say why.
    pub fn dropped(&self, req: &Request) -> Vec<String> {
        let o = self.answer(req, true);
        let mut out: Vec<String> = Vec::new();
        for t in o.trace.iter().filter(|t| t.result == "dropped") {
            let mut at = t.virtual_service.clone().unwrap_or_default();
            if let Some(i) = t.rule_index {
                at.push_str(&format!(" http[{i}]"));
            }
            if let Some(j) = t.match_index {
                at.push_str(&format!(" match[{j}]"));
            }
            let line = format!("{at}: {}", t.detail);
            if !out.contains(&line) {
                out.push(line);
            }
        }
        out
    }

    fn answer(&self, req: &Request, explain: bool) -> Outcome {
        let o = if explain { self.simulator.run(req) } else { self.simulator.decide(req) };
        // No listener on the port: the connection stayed on the sidecar's virtualOutbound.
        let no_listener = o.listener.as_ref().is_some_and(|l| l.bound == "virtual");
        if req.from != From::Mesh || req.port() != LEGACY_PORT || !no_listener {
            return o;
        }
        let proxy = req.proxy();
        let key = format!("{}/{:?}", proxy.namespace, proxy.labels);
        let table = self
            .tables
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| Rc::new(compile_sidecar(self.cx, &proxy, LEGACY_PORT, None)))
            .clone();
        if !explain {
            self.assumed.set(self.assumed.get() + 1);
        }
        run_http(&table, req, o.proxy, explain)
    }

    /// What the answers assumed beyond the input, for a note on stderr.
    pub fn note(&self) -> Option<String> {
        let n = self.assumed.get();
        (n > 0).then(|| {
            format!(
                "the input has no HTTP service on port {LEGACY_PORT}, so a sidecar would have no HTTP listener there: \
                 {n} istio-config-validator request(s) were answered by the sidecar's route table \"{LEGACY_PORT}\" \
                 as istiod builds it once the cluster has one (VirtualService hosts that no service backs get \
                 virtual hosts only there)"
            )
        })
    }
}

/// What a validator case expects of the answer.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub want_match: bool,
    pub fields: serde_json::Map<String, Value>,
}

/// One unfolded validator case: (index in `testCases`, name, request or why it cannot run,
/// expectation).
pub type Unfolded = (usize, String, Result<Request, String>, Expectation);

/// The cases of a `testCases:` document.
pub fn unfold(cases: &[Value]) -> Vec<Unfolded> {
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let desc =
            c.get("description").and_then(Value::as_str).map_or_else(|| format!("case {}", i + 1), str::to_string);
        let mut fields = c.as_object().cloned().unwrap_or_default();
        let want_match = fields.remove("wantMatch").and_then(|v| v.as_bool()).unwrap_or(false);
        fields.remove("description");
        let request = fields.remove("request").unwrap_or(Value::Null);
        let expect = Expectation { want_match, fields };
        let list = |k: &str| -> Vec<String> {
            request
                .get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        let (uris, authorities, methods) = (list("uri"), list("authority"), list("method"));
        let empty = [("uri", &uris), ("authority", &authorities), ("method", &methods)]
            .iter()
            .find(|(_, l)| l.is_empty())
            .map(|(k, _)| *k);
        if let Some(k) = empty {
            out.push((i, desc, Err(format!("`request.{k}` is empty: the validator needs at least one")), expect));
            continue;
        }
        let headers: std::collections::BTreeMap<String, String> = request
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        for uri in &uris {
            for authority in &authorities {
                for method in &methods {
                    let port = authority.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
                    let req = Request {
                        host: authority.clone(),
                        port,
                        method: method.clone(),
                        path: uri.clone(),
                        headers: headers.clone(),
                        ..Request::default()
                    };
                    out.push((i, format!("{desc} [{method} {authority} {uri}]"), Ok(req), expect.clone()));
                }
            }
        }
    }
    out
}

/// Send the request through the gateway that serves its authority, when a VirtualService for it is
/// bound to one; otherwise it stays a mesh request.
pub fn choose_entry(cx: &Context, req: &mut Request) {
    let host = strip_port(&req.host).to_ascii_lowercase();
    let mesh = cx.mesh();
    let mut keys: Vec<&(String, String)> = mesh.gateways.keys().collect();
    keys.sort();
    for key in keys {
        let Some(Ok(Typed::Gateway(g))) = cx.typed[mesh.gateways[key]].as_ref() else { continue };
        let Some(sel) = g.spec.selector.as_ref() else { continue };
        let gw = format!("{}/{}", key.0, key.1);
        let bound = virtual_services(cx).iter().any(|e| {
            e.gateways.iter().any(|k| *k == gw || gateway_key(k, &e.namespace) == gw)
                && e.hosts.iter().any(|h| hosts::matches(h, &host))
        });
        if !bound {
            continue;
        }
        let server = g.spec.servers.iter().flatten().find(|s| {
            s.port.protocol.0.eq_ignore_ascii_case("HTTP")
                && s.hosts.iter().any(|h| hosts::matches(hosts::server_host(h, &key.0).1, &host))
        });
        if let Some(s) = server {
            let ns = gateway_namespaces(cx, sel).into_iter().next().unwrap_or_default();
            req.from = From::Gateway;
            req.gateway_workload = Some(WorkloadRef { namespace: ns, labels: sel.clone(), ..Default::default() });
            if req.port.is_none() {
                req.port = Some(s.port.number);
            }
            return;
        }
    }
}

/// Why the answer does not hold what the case expects (or holds it when it should not).
pub fn check(cx: &Context, e: &Expectation, actual: &Value) -> Option<String> {
    // The validator checks each given field on its own: with `wantMatch: true` each must hold,
    // with `wantMatch: false` each must not (`unit.go` `Run`: `reflect.DeepEqual(got, want) !=
    // testCase.WantMatch` fails the case, field by field).
    let rule = answering_rule(cx, actual);
    for (k, want) in &e.fields {
        if !COMPARED.contains(&k.as_str()) {
            return Some(format!("`{k}` is not a field meshctl compares"));
        }
        match (e.want_match, field(k, want, actual, rule)) {
            (true, Err(m)) => return Some(m),
            (false, Ok(())) => {
                return Some(format!(
                    "wantMatch is false, but `{k}` holds: the request is answered as the case describes"
                ));
            }
            _ => {}
        }
    }
    None
}

/// The expectations of a validator case that are compared.
const COMPARED: &[&str] = &["route", "redirect", "rewrite", "fault", "delegate", "headers"];

/// The HTTP rule of a VirtualService that answered, as istiod merged it with its delegate (the
/// delegate rule's policies, those it leaves unset taken from the root rule's: `mergeHTTPRoute`
/// in `pilot/pkg/model/virtualservice.go`). Its `headers` are the header operations Envoy's route
/// gets (`route.go` `TranslateRoute`: `request_headers_to_add`, `response_headers_to_add`, …).
pub fn answering_rule<'c>(cx: &'c Context, a: &Value) -> Option<&'c HTTPRoute> {
    if a.get("rule_kind").and_then(Value::as_str) != Some("http") {
        return None;
    }
    let vs = a.get("virtual_service")?.as_str()?;
    let index = |k: &str| a.get(k).and_then(Value::as_u64).and_then(|i| usize::try_from(i).ok());
    let (rule, delegate_rule) = (index("rule_index")?, index("delegate_rule_index"));
    let e = virtual_services(cx).iter().find(|e| format!("{}/{}", e.namespace, e.name) == vs)?;
    let i = if e.origins.is_empty() {
        rule
    } else {
        e.origins.iter().position(|o| o.root_rule == rule && o.delegate.as_ref().map(|d| d.rule) == delegate_rule)?
    };
    e.vs.spec.http.as_deref()?.get(i)
}

/// Header operations as the validator compares them: absent, null and empty are the same (a
/// protobuf map or list has no "empty but set"); the order of `remove` counts.
fn header_ops(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => {
            let m: serde_json::Map<String, Value> =
                m.iter().filter_map(|(k, v)| Some((k.clone(), header_ops(v)?))).collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        Value::Array(a) if a.is_empty() => None,
        other => Some(other.clone()),
    }
}

/// Whether the header operations `want` are `got`'s, and if not, why.
fn same_headers(what: &str, want: &Value, got: Option<&Headers>) -> Result<(), String> {
    let got = got.map(|h| serde_json::to_value(h).unwrap_or_default()).unwrap_or_default();
    let (w, g) = (header_ops(want), header_ops(&got));
    if w == g {
        return Ok(());
    }
    let shown = |v: Option<Value>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    Err(format!("{what}: expected {}, got {}", shown(w), shown(g)))
}

/// Whether the answer `a` (and the rule that gave it) holds one expectation `k: want`, and if
/// not, why.
fn field(k: &str, want: &Value, a: &Value, rule: Option<&HTTPRoute>) -> Result<(), String> {
    let outcome = a.get("outcome").and_then(Value::as_str).unwrap_or_default();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    match k {
        "route" => {
            let got = a.get("destinations").and_then(Value::as_array).cloned().unwrap_or_default();
            let want = want.as_array().cloned().unwrap_or_default();
            if outcome != "route" || got.len() != want.len() {
                return Err(format!(
                    "route: expected {} destination(s), got {outcome} to {}",
                    want.len(),
                    Value::Array(got)
                ));
            }
            for (w, g) in want.iter().zip(&got) {
                let d = w.get("destination").cloned().unwrap_or(Value::Null);
                let wh = s(d.get("host")).unwrap_or_default();
                let gh = s(g.get("host")).unwrap_or_default();
                let host_ok = gh == wh || gh.starts_with(&format!("{wh}."));
                let subset_ok = s(d.get("subset")).is_none_or(|x| Some(x) == s(g.get("subset")));
                let port_ok =
                    d.pointer("/port/number").is_none_or(|p| p.as_f64() == g.get("port").and_then(Value::as_f64));
                let weight_ok = got.len() < 2
                    || w.get("weight").is_none_or(|x| x.as_f64() == g.get("weight").and_then(Value::as_f64));
                if !(host_ok && subset_ok && port_ok && weight_ok) {
                    return Err(format!("route: expected {w}, got {g}"));
                }
            }
            // A destination's own header operations, on the rule's destinations as the engine
            // keeps them (of several, those of weight 0 are left out).
            if want.iter().any(|w| w.get("headers").is_some()) {
                let all = rule.and_then(|r| r.route.as_deref()).unwrap_or_default();
                let kept: Vec<_> = all.iter().filter(|d| all.len() < 2 || d.weight.unwrap_or(0) > 0).collect();
                for (k, w) in want.iter().enumerate() {
                    if let Some(h) = w.get("headers") {
                        let got = kept.get(k).and_then(|d| d.headers.as_deref());
                        same_headers(&format!("route[{k}].headers"), h, got)?;
                    }
                }
            }
        }
        "headers" => {
            if rule.is_none() {
                return Err(format!("headers: expected {want}, got {outcome} without a VirtualService rule"));
            }
            same_headers("headers", want, rule.and_then(|r| r.headers.as_deref()))?;
        }
        "redirect" => {
            let loc = s(a.get("location")).unwrap_or_default();
            let rest = loc.split_once("://").map_or(loc.as_str(), |x| x.1);
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let path = path.split('?').next().unwrap_or_default();
            let ok = outcome == "redirect"
                && s(want.get("uri")).is_none_or(|u| u == path)
                && s(want.get("authority")).is_none_or(|x| x == strip_port(authority))
                && want.get("redirectCode").is_none_or(|c| c.as_f64() == a.get("status").and_then(Value::as_f64));
            if !ok {
                return Err(format!("redirect: expected {want}, got {outcome} to {loc:?}"));
            }
        }
        "rewrite" => {
            let rw = a.get("rewrite").cloned().unwrap_or(Value::Null);
            let ok = s(want.get("uri")).is_none_or(|u| s(rw.get("path")).is_some_and(|p| p.starts_with(&u)))
                && s(want.get("authority")).is_none_or(|x| Some(x) == s(rw.get("host")));
            if !ok {
                return Err(format!("rewrite: expected {want}, got {rw}"));
            }
        }
        "fault" => {
            let f = a.get("fault").cloned().unwrap_or(Value::Null);
            let same =
                |w: &str, g: &str| want.pointer(w).is_none_or(|x| x.as_f64() == f.get(g).and_then(Value::as_f64));
            let ok = same("/abort/httpStatus", "abort_status")
                && same("/abort/percentage/value", "abort_percent")
                && same("/delay/percentage/value", "delay_percent")
                && same("/delay/percent", "delay_percent")
                && want
                    .pointer("/delay/fixedDelay")
                    .is_none_or(|x| x.as_str() == f.get("delay").and_then(Value::as_str));
            if !ok {
                return Err(format!("fault: expected {want}, got {f}"));
            }
        }
        "delegate" => {
            let got = s(a.get("delegate")).unwrap_or_default();
            let name = s(want.get("name")).unwrap_or_default();
            let ok = match s(want.get("namespace")) {
                Some(ns) => got == format!("{ns}/{name}"),
                None => got.rsplit('/').next() == Some(name.as_str()),
            };
            if !ok {
                return Err(format!("delegate: expected {want}, got {got:?}"));
            }
        }
        other => return Err(format!("`{other}` is not a field meshctl compares")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unfolds_every_combination() {
        let c = json!([{"description": "d", "wantMatch": true,
            "request": {"authority": ["a", "b"], "method": ["GET", "POST"], "uri": ["/x"], "headers": {"h": "1"}},
            "route": [{"destination": {"host": "svc"}}]}]);
        let u = unfold(c.as_array().unwrap());
        assert_eq!(u.len(), 4);
        assert_eq!(u[0].1, "d [GET a /x]");
        assert_eq!(u[3].2.as_ref().unwrap().headers.get("h").map(String::as_str), Some("1"));
        let empty = unfold(json!([{"request": {"authority": ["a"], "uri": ["/"]}}]).as_array().unwrap());
        assert!(empty[0].2.as_ref().unwrap_err().contains("request.method"));
    }

    #[test]
    fn want_match_false_inverts() {
        let e = |want, f: Value| Expectation { want_match: want, fields: f.as_object().unwrap().clone() };
        let actual = json!({"outcome": "route", "destinations": [{"host": "svc.ns.svc.cluster.local", "subset": "", "port": 80, "weight": 100}]});
        let route = json!({"route": [{"destination": {"host": "svc"}}]});
        let inputs = crate::lint::Inputs::parse(crate::source::Sources::default());
        let options = crate::lint::LintOptions::default();
        let cx = inputs.context(&options);
        assert!(check(&cx, &e(true, route.clone()), &actual).is_none());
        assert!(check(&cx, &e(false, route), &actual).is_some());
        let other = json!({"route": [{"destination": {"host": "other"}}]});
        assert!(check(&cx, &e(false, other.clone()), &actual).is_none());
        assert!(check(&cx, &e(true, other), &actual).unwrap().contains("route: expected"));
        // As the validator checks them, field by field: with wantMatch false, a field that holds
        // fails the case even when another does not.
        let both = json!({"route": [{"destination": {"host": "svc"}}], "rewrite": {"uri": "/new"}});
        assert!(check(&cx, &e(false, both.clone()), &actual).unwrap().contains("`route` holds"));
        assert!(check(&cx, &e(true, both), &actual).unwrap().starts_with("rewrite: expected"));
        let neither = json!({"route": [{"destination": {"host": "other"}}], "rewrite": {"uri": "/new"}});
        assert_eq!(check(&cx, &e(false, neither), &actual), None);
        let fault = |pct: f64| json!({"fault": {"abort": {"httpStatus": 403, "percentage": {"value": pct}}}});
        let faulty =
            json!({"outcome": "route", "fault": {"abort_status": 403, "abort_percent": 100.0, "delay_percent": 0.0}});
        assert_eq!(check(&cx, &e(true, fault(100.0)), &faulty), None);
        assert!(check(&cx, &e(true, fault(50.0)), &faulty).unwrap().starts_with("fault: expected"));
    }

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: ns}
spec:
  hosts: [www.example.com]
  http:
  - match: [{uri: {prefix: /d}}]
    delegate: {name: leaf}
    headers: {request: {set: {x-root: r}}}
  - route:
    - destination: {host: a.ns.svc.cluster.local}
      headers: {response: {remove: [server]}}
    headers:
      request: {set: {x-a: \"1\"}, add: {}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: leaf, namespace: ns}
spec:
  http:
  - route: [{destination: {host: b.ns.svc.cluster.local}}]
";

    /// Header operations are those of the rule that answered, as istiod merged it: a delegate rule
    /// without `headers` takes the root rule's. The request enters the sidecar's route table 80,
    /// which the input (no Service at all) has no listener for.
    #[test]
    fn header_operations_of_the_answering_rule() {
        let mut sources = crate::source::Sources::default();
        sources.add("m.yaml".into(), MESH.into());
        let inputs = crate::lint::Inputs::parse(sources);
        let options = crate::lint::LintOptions::default();
        let cx = inputs.context(&options);
        let simulator = Simulator::new(&cx);
        let runner = Runner::new(&cx, &simulator);
        let answer = |path: &str| {
            let req = Request { host: "www.example.com".into(), path: path.into(), ..Request::default() };
            serde_json::to_value(runner.decide(&req)).unwrap()
        };
        assert_eq!(
            simulator.decide(&Request { host: "www.example.com".into(), ..Request::default() }).outcome,
            crate::routing::OutcomeKind::Passthrough
        );
        let e = |want, f: Value| Expectation { want_match: want, fields: f.as_object().unwrap().clone() };
        let (d, other) = (answer("/d/1"), answer("/x"));
        assert_eq!((d["delegate"].as_str(), other["virtual_service"].as_str()), (Some("ns/leaf"), Some("ns/root")));
        assert_eq!(runner.assumed.get(), 2);
        assert!(runner.note().unwrap().contains("2 istio-config-validator request(s)"));

        let root_ops = json!({"headers": {"request": {"set": {"x-root": "r"}}}});
        assert_eq!(check(&cx, &e(true, root_ops.clone()), &d), None);
        assert!(check(&cx, &e(true, root_ops), &other).unwrap().starts_with("headers: expected"));
        // `add: {}` and an absent `response` are no operations, as in a protobuf message.
        let a_ops = json!({"headers": {"request": {"set": {"x-a": "1"}}, "response": {}}});
        assert_eq!(check(&cx, &e(true, a_ops.clone()), &other), None);
        assert!(check(&cx, &e(false, a_ops), &other).is_some());
        let dest = |remove: &str| json!({"route": [{"destination": {"host": "a.ns.svc.cluster.local"}, "headers": {"response": {"remove": [remove]}}}]});
        assert_eq!(check(&cx, &e(true, dest("server")), &other), None);
        assert!(check(&cx, &e(true, dest("date")), &other).unwrap().starts_with("route[0].headers: expected"));
        // No rule answered: no header operations to compare.
        let none = json!({"outcome": "passthrough"});
        assert!(check(&cx, &e(true, json!({"headers": {}})), &none).unwrap().contains("without a VirtualService rule"));
    }
}
