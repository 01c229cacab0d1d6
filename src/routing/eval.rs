//! Envoy's side: one request through the compiled route tables, with a trace of every decision.

use super::compile::{self, Proxy, ProxyKind, Scope};
use super::l4;
use super::listener::{self, Address, ChainAction, Chosen, Cidr, Connection, ListenerAnswer, PortListeners};
use super::matcher::{DomainMatch, normalize_path, shown, split_query, strip_port};
use super::{Action, Destination, RouteConfig};
use crate::lint::Context;
use crate::mesh::{Resolution, ServiceRecord};
use crate::model::core::StringMap;
use crate::model::networking::{HTTPRoute, RedirectPortSelection, Server};
use foldhash::{HashMap, HashMapExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::rc::Rc;

/// Where the request enters the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum From {
    Gateway,
    #[default]
    Mesh,
}

/// A workload by namespace and labels.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct WorkloadRef {
    pub namespace: String,
    #[schemars(with = "BTreeMap<String, String>")]
    pub labels: StringMap,
    /// The workload's own IP: a headless service's endpoint at this address gets no listener on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The service account its pods run as (default: the input's Deployment or Pod, else
    /// `default`): its identity is `<trustDomain>/ns/<namespace>/sa/<service_account>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Its SPIFFE identity, when given outright (`cluster.local/ns/foo/sa/curl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

/// Where the token is, when not in `Authorization: Bearer`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JwtFrom {
    /// A header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The prefix before the token in that header (`Bearer `).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// A query parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// One request, as `simulate --request FILE` reads it.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Request {
    /// Where the request enters: `mesh` (from a sidecar, the default) or `gateway`.
    pub from: From,
    /// The gateway workload (default `istio-system`, `istio: ingressgateway`).
    pub gateway_workload: Option<WorkloadRef>,
    /// The client workload of a mesh request (default: namespace `default`, no labels).
    pub source: Option<WorkloadRef>,
    /// `http` (default), `http2` (plain-text HTTP/2, h2c), `tls` or `tcp`.
    pub protocol: String,
    /// The Host header (may carry a port).
    pub host: String,
    /// The port the client connects to (default 80, 443 for https).
    pub port: Option<u32>,
    /// The HTTP method.
    pub method: String,
    /// Path with optional query string.
    pub path: String,
    /// Request headers, by name.
    pub headers: BTreeMap<String, String>,
    /// `http` or `https` as the proxy sees it.
    pub scheme: Option<String>,
    /// The TLS server name of a `tls` connection (default: the host without its port).
    pub sni: Option<String>,
    /// The IP address the client connects to: it picks the listener (a service VIP's, or the
    /// wildcard one), and `destinationSubnets` of TCP and TLS routes match it. Without it the
    /// host is resolved as the cluster's DNS would: to its service's address.
    pub destination_address: Option<String>,
    /// The client's address as the first proxy on the path sees it (the gateway's peer, or the
    /// client pod's IP): `ipBlocks`, `remoteIpBlocks`.
    pub source_ip: Option<String>,
    /// The claims of the JWT the client presents (an object), or `"malformed"` for a token that
    /// does not verify.
    pub jwt: Option<serde_json::Value>,
    /// Where the token is, when not in `Authorization: Bearer`.
    pub jwt_from: Option<JwtFrom>,
    /// The claims of the token the gateway verified, as the `@request.auth.claims` pseudo-headers
    /// its routes match on (one entry per value of a list claim).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) verified_claims: Vec<(String, String)>,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            from: From::Mesh,
            gateway_workload: None,
            source: None,
            protocol: "http".into(),
            host: String::new(),
            port: None,
            method: "GET".into(),
            path: "/".into(),
            headers: BTreeMap::new(),
            scheme: None,
            sni: None,
            destination_address: None,
            source_ip: None,
            jwt: None,
            jwt_from: None,
            verified_claims: Vec::new(),
        }
    }
}

impl Request {
    pub fn scheme(&self) -> &str {
        self.scheme.as_deref().unwrap_or(if self.port == Some(443) { "https" } else { "http" })
    }

    pub fn port(&self) -> u32 {
        self.port.unwrap_or(if self.scheme.as_deref() == Some("https") { 443 } else { 80 })
    }

    /// The proxy the request goes through.
    pub fn proxy(&self) -> Proxy {
        let (kind, w) = self.workload();
        proxy_of(kind, w)
    }

    /// The workload the request enters, with the defaults: the ingress gateway in
    /// `istio-system`, a sidecar in `default` without labels.
    fn workload(&self) -> (ProxyKind, &WorkloadRef) {
        static GATEWAY: std::sync::LazyLock<WorkloadRef> = std::sync::LazyLock::new(|| WorkloadRef {
            namespace: "istio-system".into(),
            labels: [("istio".to_string(), "ingressgateway".to_string())].into_iter().collect(),
            ..Default::default()
        });
        static SIDECAR: std::sync::LazyLock<WorkloadRef> =
            std::sync::LazyLock::new(|| WorkloadRef { namespace: "default".into(), ..Default::default() });
        match self.from {
            From::Gateway => (ProxyKind::Gateway, self.gateway_workload.as_ref().unwrap_or(&GATEWAY)),
            From::Mesh => (ProxyKind::Sidecar, self.source.as_ref().unwrap_or(&SIDECAR)),
        }
    }
}

/// What happened to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Route,
    NotFound,
    Redirect,
    TlsRedirect,
    DirectResponse,
    Passthrough,
    TcpForward,
    NoListener,
    /// The connection goes to istiod's BlackHoleCluster: it is dropped.
    Blackhole,
    /// The listener has no filter chain for the connection: it is closed.
    NoFilterChain,
    /// Two filter chains of the listener match the connection equally: Envoy refuses such a
    /// listener.
    ListenerRejected,
}

/// The section of a VirtualService a rule is in: `rule_index` counts in `spec.http`, `spec.tcp`
/// or `spec.tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Http,
    Tcp,
    Tls,
    /// `spec.rules` of a Gateway API route.
    Rules,
}

impl RuleKind {
    /// The list a rule's match index counts in: `match` of a VirtualService rule, `matches` of a
    /// Gateway API rule.
    pub fn matches_field(self) -> &'static str {
        if self == RuleKind::Rules { "matches" } else { "match" }
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleKind::Http => "http",
            RuleKind::Tcp => "tcp",
            RuleKind::Tls => "tls",
            RuleKind::Rules => "rules",
        })
    }
}

/// One step of the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    /// `ns/name` of the VirtualService, or null for istiod's own routes and Gateway API routes.
    pub virtual_service: Option<String>,
    /// `Kind/ns/name` of the Gateway API route the rule was translated from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The section `rule_index` counts in; null when there is no rule.
    pub rule_kind: Option<RuleKind>,
    pub rule_index: Option<usize>,
    pub match_index: Option<usize>,
    /// `matched`, `no_match`, `dropped` (at compile time), `not_reached`, `note`, or `status`
    /// (the status conditions of the Gateway API route that decided, per parentRef).
    pub result: &'static str,
    pub detail: String,
}

/// A fault applied to the route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fault {
    pub delay: Option<String>,
    pub delay_percent: f64,
    pub abort_status: Option<i32>,
    pub abort_percent: f64,
}

/// A retry policy as Envoy gets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retries {
    pub attempts: i32,
    pub per_try_timeout: Option<String>,
    pub retry_on: String,
}

/// A mirror target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mirror {
    pub host: String,
    pub subset: String,
    pub port: u32,
    /// The share of requests mirrored, in percent.
    pub percentage: f64,
}

/// A rewrite of the forwarded request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rewrite {
    /// The path the backend sees.
    pub path: Option<String>,
    /// The Host (`:authority`) the backend sees.
    pub host: Option<String>,
}

/// The answer of `simulate` (the JSON output contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub outcome: OutcomeKind,
    pub proxy: String,
    /// The listener and filter chain (sidecars).
    pub listener: Option<Rc<ListenerAnswer>>,
    /// On a gateway: `ns/name` of the Gateway whose server took the request (an Istio Gateway,
    /// or the Gateway API Gateway Istio generated it from).
    pub gateway: Option<String>,
    /// The Gateway API listener (its `name`) that took the request; null for Istio Gateways.
    pub gateway_listener: Option<String>,
    /// istiod's own cluster the connection goes to: `PassthroughCluster` or `BlackHoleCluster`.
    pub cluster: Option<String>,
    pub route_config: Option<String>,
    pub virtual_host: Option<String>,
    /// `ns/name` of the VirtualService whose rule decided.
    pub virtual_service: Option<String>,
    /// `Kind/ns/name` of the object whose rule decided: `VirtualService/…`, `HTTPRoute/…`.
    pub route: Option<String>,
    /// The section `rule_index` counts in; null when no rule decided.
    pub rule_kind: Option<RuleKind>,
    pub rule_index: Option<usize>,
    pub match_index: Option<usize>,
    pub delegate: Option<String>,
    pub delegate_rule_index: Option<usize>,
    pub destinations: Vec<Destination>,
    pub status: Option<u32>,
    pub location: Option<String>,
    pub body: Option<String>,
    pub response_flags: Option<String>,
    pub rewrite: Option<Rewrite>,
    pub timeout: Option<String>,
    pub retries: Option<Retries>,
    pub fault: Option<Fault>,
    pub mirrors: Vec<Mirror>,
    /// The response header operations of the route (and of its one destination).
    #[serde(skip_serializing_if = "super::HeaderOps::is_empty")]
    pub response_headers: super::HeaderOps,
    /// The authorization decision of the proxies that enforce policy (null when the input has no
    /// security policy and the transport works).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authz: Option<crate::authz::AuthzAnswer>,
    /// The transport between the client proxy and the destination's sidecar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls: Option<crate::authz::MtlsAnswer>,
    pub trace: Vec<TraceEntry>,
    /// Whether the trace is kept: [`Simulator::decide`] gives the same answer without it.
    #[serde(skip)]
    pub(super) explain: bool,
}

impl Outcome {
    pub(super) fn new(kind: OutcomeKind, proxy: String, explain: bool) -> Outcome {
        Outcome {
            outcome: kind,
            proxy,
            listener: None,
            gateway: None,
            gateway_listener: None,
            cluster: None,
            route_config: None,
            virtual_host: None,
            virtual_service: None,
            route: None,
            rule_kind: None,
            rule_index: None,
            match_index: None,
            delegate: None,
            delegate_rule_index: None,
            destinations: Vec::new(),
            status: None,
            location: None,
            body: None,
            response_flags: None,
            rewrite: None,
            timeout: None,
            retries: None,
            fault: None,
            mirrors: Vec::new(),
            response_headers: Default::default(),
            authz: None,
            mtls: None,
            trace: Vec::new(),
            explain,
        }
    }

    /// The request went through the server of the gateway `key` (`ns/name`, or istiod's
    /// `ns/<gateway>~istio-autogenerated-k8s-gateway~<listener>` for a Gateway API listener).
    pub(super) fn through(&mut self, key: &str) {
        match key.split_once(crate::mesh::hosts::INTERNAL_GATEWAY_MARKER) {
            Some((gateway, listener)) => {
                self.gateway = Some(gateway.to_string());
                self.gateway_listener = Some(listener.to_string());
            }
            None => self.gateway = Some(key.to_string()),
        }
    }

    /// A step of the explanation, built only when the trace is kept.
    pub(super) fn step(&mut self, entry: impl FnOnce() -> TraceEntry) {
        if self.explain {
            self.trace.push(entry());
        }
    }

    pub(super) fn note(&mut self, detail: impl Into<String>) {
        self.note_with(|| detail.into());
    }

    /// A note whose text is formatted only when the trace is kept.
    pub(super) fn note_with(&mut self, detail: impl FnOnce() -> String) {
        self.step(|| TraceEntry {
            virtual_service: None,
            route: None,
            rule_kind: None,
            rule_index: None,
            match_index: None,
            result: "note",
            detail: detail(),
        });
    }
}

fn proxy_of(kind: ProxyKind, w: &WorkloadRef) -> Proxy {
    Proxy { kind, namespace: w.namespace.clone(), labels: w.labels.clone(), ip: w.ip.clone() }
}

fn proxy_name(kind: ProxyKind, w: &WorkloadRef) -> String {
    use std::fmt::Write;
    let mut name = String::with_capacity(64);
    name.push_str(match kind {
        ProxyKind::Gateway => "gateway ",
        ProxyKind::Sidecar => "sidecar ",
    });
    name.push_str(&w.namespace);
    name.push('/');
    for (i, (k, v)) in w.labels.iter().enumerate() {
        let _ = write!(name, "{}{k}={v}", if i == 0 { "" } else { "," });
    }
    name
}

/// Run one request through the routing of the proxy it enters.
pub fn simulate(cx: &Context, req: &Request) -> Outcome {
    Simulator::new(cx).run(req)
}

/// A sidecar route configuration is compiled per port, and per service for a sniffed port on a
/// service address.
type SidecarKey<'c> = (u32, Option<&'c str>);
/// The listeners of a sidecar are built per port and per the proxy's own IP.
type ListenersKey = (u32, Option<IpAddr>);
/// A cache per proxy name, then per key.
type PerProxy<K, V> = HashMap<String, HashMap<K, V>>;
type ServicesAt<'c, 'a> = Rc<(Vec<&'c ServiceRecord<'a>>, HashMap<String, usize>)>;

/// Runs many requests against one mesh: each proxy's route configurations are compiled once (as
/// istiod pushes them once) and reused by every request that enters that proxy.
pub struct Simulator<'c, 'a> {
    cx: &'c Context<'a>,
    gateways: RefCell<HashMap<String, Rc<Vec<RouteConfig<'c>>>>>,
    /// Per (proxy, port): the services it sees, and the index of the service each domain names.
    services: RefCell<PerProxy<u32, ServicesAt<'c, 'a>>>,
    sidecars: RefCell<PerProxy<SidecarKey<'c>, Rc<RouteConfig<'c>>>>,
    /// Per proxy name and IP: the proxy.
    proxies: RefCell<HashMap<String, Vec<Rc<Proxy>>>>,
    /// Per proxy, per (port, proxy IP): the sidecar's outbound listeners.
    listeners: RefCell<PerProxy<ListenersKey, Rc<PortListeners<'c, 'a>>>>,
}

impl<'c, 'a> Simulator<'c, 'a> {
    pub fn new(cx: &'c Context<'a>) -> Self {
        Simulator {
            cx,
            gateways: Default::default(),
            services: Default::default(),
            sidecars: Default::default(),
            listeners: Default::default(),
            proxies: Default::default(),
        }
    }

    fn gateway_configs(&self, name: &str, proxy: &Proxy) -> Rc<Vec<RouteConfig<'c>>> {
        let cx = self.cx;
        self.gateways
            .borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| Rc::new(compile::compile_gateway(cx, proxy)))
            .clone()
    }

    fn sidecar_services(&self, name: &str, proxy: &Proxy, port: u32) -> ServicesAt<'c, 'a> {
        let cx = self.cx;
        cached(&self.services, name, port, || {
            let services = compile::sidecar_services(cx, proxy, port);
            let mut by_domain = HashMap::new();
            for (i, s) in services.iter().enumerate() {
                for d in compile::service_domains(&s.host, &proxy.namespace) {
                    by_domain.entry(d).or_insert(i);
                }
            }
            Rc::new((services, by_domain))
        })
    }

    fn sidecar_config(
        &self,
        name: &str,
        proxy: &Proxy,
        port: u32,
        only: Option<&'c ServiceRecord<'a>>,
    ) -> Rc<RouteConfig<'c>> {
        let cx = self.cx;
        let key = (port, only.map(|s| s.host.as_str()));
        cached(&self.sidecars, name, key, || Rc::new(compile::compile_sidecar(cx, proxy, port, only)))
    }

    /// Run one request through the routing of the proxy it enters, with the explanation.
    pub fn run(&self, req: &Request) -> Outcome {
        self.run_with(req, true)
    }

    /// The same answer as [`Simulator::run`] without its trace: nothing is formatted to explain
    /// it, so batches that only compare answers (`meshctl test`) run several times faster.
    pub fn decide(&self, req: &Request) -> Outcome {
        self.run_with(req, false)
    }

    fn run_with(&self, req: &Request, explain: bool) -> Outcome {
        let engine = self.cx.authz();
        let with_claims;
        let routed = match super::secure::gateway_claims(self.cx, engine, req) {
            Some(claims) => {
                with_claims = Request { verified_claims: claims, ..req.clone() };
                &with_claims
            }
            None => req,
        };
        let mut o = self.answer(routed, explain);
        super::secure::secure(self.cx, engine, req, &mut o);
        if explain {
            self.route_status(&mut o);
        }
        o
    }

    /// The status conditions the controller writes into the Gateway API route that decided, per
    /// parentRef, in the trace.
    fn route_status(&self, o: &mut Outcome) {
        // A condition as it reads: Conflicted is fine when False.
        let shown = |c: &crate::mesh::gateway_api::Condition| match (c.type_, c.status) {
            (_, "True") => format!("{} ({})", c.type_, c.reason),
            ("Conflicted", "False") => format!("not Conflicted ({})", c.reason),
            (_, s) => format!("{}={s} ({}: {})", c.type_, c.reason, c.message),
        };
        // The Gateway API Gateway (or ListenerSet) and listener the request came through.
        if let (Some(gateway), Some(listener)) = (o.gateway.clone(), o.gateway_listener.clone()) {
            let t = self.cx.gateway_api();
            let mut lines: Vec<String> = Vec::new();
            for g in t.gateway_status.iter().filter(|g| format!("{}/{}", g.namespace, g.name) == gateway) {
                let c: Vec<String> = g.conditions.iter().map(shown).collect();
                lines.push(format!("{} {gateway}: {}", g.kind, c.join(", ")));
            }
            for l in t
                .listeners
                .iter()
                .filter(|l| format!("{}/{}", l.namespace, l.name) == gateway && l.listener == listener)
            {
                let c: Vec<String> = l.conditions.iter().map(shown).collect();
                lines.push(format!("listener {listener}: {}, {} attached routes", c.join(", "), l.attached_routes));
            }
            for detail in lines {
                o.step(|| TraceEntry {
                    virtual_service: None,
                    route: None,
                    rule_kind: None,
                    rule_index: None,
                    match_index: None,
                    result: "status",
                    detail,
                });
            }
        }
        let Some(route) = o.route.clone().filter(|_| o.rule_kind == Some(RuleKind::Rules)) else { return };
        let mut parts = route.splitn(3, '/');
        let (Some(kind), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next()) else { return };
        for p in &self.cx.gateway_api().parents {
            if p.kind != kind || p.namespace != ns || p.name != name {
                continue;
            }
            let conditions: Vec<String> = p.conditions.iter().map(shown).collect();
            o.step(|| TraceEntry {
                virtual_service: None,
                route: Some(route.to_string()),
                rule_kind: None,
                rule_index: None,
                match_index: None,
                result: "status",
                detail: format!("{route} parentRefs[{}] {}: {}", p.parent_index, p.parent, conditions.join(", ")),
            });
        }
    }

    fn answer(&self, req: &Request, explain: bool) -> Outcome {
        let cx = self.cx;
        let (kind, workload) = req.workload();
        let name = proxy_name(kind, workload);
        let proxy = self.proxy(&name, kind, workload);
        let proxy = proxy.as_ref();
        let port = req.port();
        match proxy.kind {
            ProxyKind::Gateway => {
                let configs = self.gateway_configs(&name, proxy);
                // The client's port on the gateway Service becomes the pod port Envoy listens on.
                let lp = compile::gateway_listener_port(cx, proxy, port);
                let answer = |protocol: &'static str| {
                    Rc::new(ListenerAnswer {
                        name: format!("0.0.0.0_{lp}"),
                        bound: "wildcard",
                        port: lp,
                        protocol,
                        protocol_from: (lp != port)
                            .then(|| format!("port {port} of the gateway's Service has targetPort {lp}")),
                        filter_chain: None,
                        chain_match: None,
                    })
                };
                let sni = req.sni.clone().unwrap_or_else(|| strip_port(&req.host).to_ascii_lowercase());
                let at_port: Vec<&RouteConfig> = configs.iter().filter(|c| c.listener_port == lp).collect();
                let l4 = matches!(req.protocol.to_ascii_lowercase().as_str(), "tcp" | "tls");
                // Terminating HTTPS servers are filter chains by SNI; two with the same server
                // names make Envoy refuse the whole listener (istio#24638: `./*` in two namespaces).
                let sni_sets: Vec<(&RouteConfig, &[String])> =
                    at_port.iter().filter_map(|c| Some((*c, c.tls_hosts.as_deref()?))).collect();
                let clash = sni_sets
                    .iter()
                    .enumerate()
                    .find_map(|(i, (a, n))| sni_sets[i + 1..].iter().find(|(_, m)| m == n).map(|(b, _)| (*a, *b)));
                if let Some((a, b)) = clash {
                    let mut o = Outcome::new(OutcomeKind::ListenerRejected, name, explain);
                    o.listener = Some(answer("HTTP"));
                    o.note_with(|| {
                        format!(
                            "the filter chains of {} and {} match the same server names: Envoy refuses listener 0.0.0.0_{lp}",
                            a.name, b.name
                        )
                    });
                    return o;
                }
                let by_sni = sni_sets
                    .iter()
                    .filter_map(|(c, names)| {
                        Some((names.iter().filter_map(|h| listener::sni_rank(h, &sni)).max()?, *c))
                    })
                    .max_by_key(|(rank, _)| *rank)
                    .map(|(_, c)| c);
                let chosen = at_port.iter().copied().find(|c| c.tls_hosts.is_none()).or(by_sni).filter(|_| !l4);
                if let Some(c) = chosen {
                    let mut o = run_http(c, req, name, explain);
                    o.listener = Some(answer("HTTP"));
                    return o;
                }
                let servers: Vec<(String, String, &Server)> = compile::gateway_servers(cx, proxy)
                    .into_iter()
                    .filter(|s| s.4 == lp)
                    .map(|(_, key, ns, s, _)| (key, ns, s))
                    .collect();
                let scope = Scope { cx, proxy };
                let entries_for =
                    |key: &str| compile::virtual_services_for(compile::virtual_services(cx), key, &proxy.namespace);
                let sni = req.sni.clone().or_else(|| (!req.host.is_empty()).then(|| strip_port(&req.host).to_string()));
                let o = Outcome::new(OutcomeKind::NoListener, name.clone(), explain);
                let dest = req.destination_address.as_deref();
                if let Some(mut o) = l4::gateway(&scope, &servers, entries_for, sni.as_deref(), dest, o) {
                    o.listener = Some(answer("TCP"));
                    return o;
                }
                let mut o = Outcome::new(OutcomeKind::NoListener, name, explain);
                let ports: Vec<String> = configs.iter().map(|c| c.listener_port.to_string()).collect();
                o.note_with(|| {
                    format!(
                        "no server of the Gateways on this workload listens on port {lp} (HTTP ports: {})",
                        if ports.is_empty() { "none".into() } else { ports.join(", ") }
                    )
                });
                o
            }
            ProxyKind::Sidecar => self.sidecar(req, proxy, name, explain),
        }
    }

    /// The proxy of a workload, made once per name and IP.
    fn proxy(&self, name: &str, kind: ProxyKind, w: &WorkloadRef) -> Rc<Proxy> {
        if let Some(p) = self.proxies.borrow().get(name).and_then(|ps| ps.iter().find(|p| p.ip == w.ip)) {
            return p.clone();
        }
        let p = Rc::new(proxy_of(kind, w));
        self.proxies.borrow_mut().entry(name.to_string()).or_default().push(p.clone());
        p
    }

    fn sidecar_listeners(&self, name: &str, proxy: &Proxy, ip: Option<IpAddr>, port: u32) -> Rc<PortListeners<'c, 'a>> {
        let cx = self.cx;
        cached(&self.listeners, name, (port, ip), || {
            let at = self.sidecar_services(name, proxy, port);
            Rc::new(listener::sidecar_listeners(cx, proxy, ip, port, &at.0))
        })
    }

    /// Where the cluster's DNS sends a name: its service's address (a known IP, the VIP the API
    /// server allocates, a headless service's first endpoint; an ExternalName's target's).
    fn resolve(&self, host: &str, proxy: &Proxy, port: u32, name: &str) -> Address<'c> {
        let at = self.sidecar_services(name, proxy, port);
        let mesh = self.cx.mesh();
        let mut target =
            at.1.get(host).map(|i| at.0[*i]).or_else(|| mesh.services_for(host, &proxy.namespace).into_iter().next());
        // An ExternalName is a CNAME to its target; two hops at most, as a loop guard.
        for _ in 0..2 {
            match target.map(|s| &s.resolution) {
                Some(Resolution::Alias(to)) => target = mesh.services_for(to, &proxy.namespace).into_iter().next(),
                _ => break,
            }
        }
        let Some(s) = target else { return Address::Unknown };
        let known = s.addresses.iter().filter_map(|a| Cidr::parse(a)).find(Cidr::is_host);
        if let Some(c) = known {
            return Address::Ip(c.net);
        }
        if s.allocated_vip {
            return Address::Vip(&s.host);
        }
        if s.resolution == Resolution::Passthrough
            && let Some(ip) = s.endpoints.iter().find_map(|e| e.parse().ok())
        {
            return Address::Ip(ip);
        }
        Address::Unknown
    }

    /// A sidecar's outbound connection: the listener of its destination address and port, the
    /// filter chain, then the route configuration or the TCP routing that chain leads to.
    fn sidecar(&self, req: &Request, proxy: &Proxy, name: String, explain: bool) -> Outcome {
        let cx = self.cx;
        let port = req.port();
        let host = strip_port(&req.host).to_ascii_lowercase();
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        let address = match (&req.destination_address, literal) {
            (Some(a), _) => a.parse().map_or(Address::Unknown, Address::Ip),
            (None, Some(ip)) => Address::Ip(ip),
            (None, None) if host.is_empty() => Address::Unknown,
            (None, None) => self.resolve(&host, proxy, port, &name),
        };
        let tls = req.protocol == "tls" || (req.protocol != "tcp" && req.scheme.as_deref() == Some("https"));
        let http = match req.protocol.as_str() {
            "http" if !tls => Some("http/1.1"),
            "http2" if !tls => Some("h2c"),
            _ => None,
        };
        let alpn = match req.protocol.as_str() {
            "http" if tls => vec!["http/1.1".to_string()],
            "http2" if tls => vec!["h2".to_string()],
            _ => Vec::new(),
        };
        let sni = tls.then(|| req.sni.clone().unwrap_or_else(|| host.clone())).filter(|s| !s.is_empty());
        let conn = Connection { address, port, tls, sni, alpn, http };
        let ip = proxy.ip.as_deref().and_then(|ip| ip.parse().ok());
        let reserved = port == listener::VIRTUAL_OUTBOUND_PORT || port == listener::VIRTUAL_INBOUND_PORT;
        let listeners = (!reserved).then(|| self.sidecar_listeners(&name, proxy, ip, port));
        let virtual_listener;
        let l = match listeners.as_ref().and_then(|ls| ls.find(&conn.address)) {
            Some(l) => l,
            None => {
                virtual_listener = listener::virtual_listener(port, listener::fallback_cluster(cx, proxy));
                &virtual_listener
            }
        };
        let bound = l.bound();
        let mut notes: Vec<String> = Vec::new();
        if explain {
            notes.push(match bound {
                "virtual" if l.name == "virtualOutbound" && port != listener::VIRTUAL_OUTBOUND_PORT => format!(
                    "no listener on port {port} for {}: the connection stays on virtualOutbound (0.0.0.0:15001)",
                    conn.address
                ),
                "virtual" => format!("port {port} is the proxy's own {}: a connection to it loops back", l.name),
                "wildcard" if l.class == listener::Class::Http => format!(
                    "HTTP ports share the wildcard listener {}: the Host header, not the address ({}), chooses the service",
                    l.name, conn.address
                ),
                "wildcard" => {
                    format!("listener {} takes {}:{port}: no listener is bound to that address", l.name, conn.address)
                }
                _ => format!("listener {} is bound to the destination, {}", l.name, conn.address),
            });
            notes.extend(l.dropped.iter().cloned());
        }
        let chain = match l.choose(&conn) {
            Chosen::Chain(c, default) => {
                if explain {
                    notes.push(if default {
                        format!("no filter chain matches {}: the default chain {} takes it", describe(&conn), c.name)
                    } else {
                        format!("filter chain {} ({}) matches {}", c.name, c.shown, describe(&conn))
                    });
                }
                c
            }
            Chosen::NoChain => {
                let mut o = Outcome::new(OutcomeKind::NoFilterChain, name, explain);
                o.listener = Some(l.answer.clone());
                notes.push(format!(
                    "no filter chain of {} matches {}: the connection is closed",
                    l.name,
                    describe(&conn)
                ));
                prepend(&mut o, notes);
                return o;
            }
            Chosen::Multiple(cs) => {
                let mut o = Outcome::new(OutcomeKind::ListenerRejected, name, explain);
                o.listener = Some(l.answer.clone());
                let names: Vec<&str> = cs.iter().map(|c| c.name.as_str()).collect();
                notes.push(format!(
                    "filter chains {} match {} equally: Envoy refuses a listener with such chains",
                    names.join(", "),
                    describe(&conn)
                ));
                prepend(&mut o, notes);
                return o;
            }
        };
        let o = match &chain.action {
            ChainAction::Http { only, .. } => {
                let cfg = self.sidecar_config(&name, proxy, port, *only);
                let mut o = run_http(&cfg, req, name, explain);
                if only.is_some() {
                    notes.push(format!(
                        "the port is sniffed on the service address: route configuration {} holds only that service, so the Host header does not choose the virtual host",
                        cfg.name
                    ));
                }
                o.listener = Some(chain.answer.clone());
                prepend(&mut o, notes);
                return o;
            }
            ChainAction::Tcp { service, .. } => {
                let mut o = Outcome::new(OutcomeKind::TcpForward, name, explain);
                let scope = Scope { cx, proxy };
                let entries = compile::sidecar_virtual_services(cx, proxy);
                let dest = match &conn.address {
                    Address::Ip(ip) => Some(ip.to_string()),
                    _ => req.destination_address.clone(),
                };
                l4::sidecar(&scope, service, &entries, conn.sni.as_deref(), dest.as_deref(), port, &mut o);
                o
            }
            ChainAction::Cluster(c) => {
                let kind = if *c == listener::BLACKHOLE { OutcomeKind::Blackhole } else { OutcomeKind::Passthrough };
                let mut o = Outcome::new(kind, name, explain);
                o.cluster = Some(c.to_string());
                if explain {
                    notes.push(if *c == listener::BLACKHOLE {
                        if compile::registry_only(cx, proxy) && !reserved {
                            "REGISTRY_ONLY: BlackHoleCluster drops the connection".to_string()
                        } else {
                            "BlackHoleCluster drops the connection".to_string()
                        }
                    } else {
                        "ALLOW_ANY: PassthroughCluster forwards it to its original destination".to_string()
                    });
                }
                o
            }
        };
        let mut o = o;
        prepend(&mut o, notes);
        o.listener = Some(chain.answer.clone());
        o
    }
}

/// A value cached per proxy name and key, made on first use (looked up without allocating).
fn cached<K: std::hash::Hash + Eq, V: Clone>(
    map: &RefCell<PerProxy<K, V>>,
    name: &str,
    key: K,
    make: impl FnOnce() -> V,
) -> V {
    if let Some(v) = map.borrow().get(name).and_then(|m| m.get(&key)) {
        return v.clone();
    }
    let v = make();
    map.borrow_mut().entry(name.to_string()).or_default().insert(key, v.clone());
    v
}

/// `notes` before the steps the outcome already has: the listener comes before the routes.
fn prepend(o: &mut Outcome, notes: Vec<String>) {
    if o.explain && !notes.is_empty() {
        let rest = std::mem::take(&mut o.trace);
        for n in notes {
            o.note(n);
        }
        o.trace.extend(rest);
    }
}

/// A connection for a message: `plain-text HTTP/1.1`, `TLS with SNI "a" and ALPN h2`, `TCP`.
fn describe(c: &Connection) -> String {
    match (c.tls, c.http) {
        (true, _) => {
            let mut s = "TLS".to_string();
            if let Some(n) = &c.sni {
                s.push_str(&format!(" with SNI {n:?}"));
            }
            if !c.alpn.is_empty() {
                s.push_str(&format!(" and ALPN {}", c.alpn.join(", ")));
            }
            s
        }
        (false, Some(h)) => format!("plain-text HTTP ({h})"),
        (false, None) => "plain TCP".to_string(),
    }
}

/// Envoy's HTTP connection manager on one route configuration.
pub fn run_http(cfg: &RouteConfig, req: &Request, proxy: String, explain: bool) -> Outcome {
    let mut o = Outcome::new(OutcomeKind::NotFound, proxy, explain);
    o.route_config = Some(cfg.name.clone());
    let raw_path = if req.path.is_empty() { "/" } else { req.path.as_str() };
    let (path, query) = split_query(raw_path);
    let path = normalize_path(path);
    let mut headers: Vec<(String, String)> =
        req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
    headers.push((":method".into(), req.method.clone()));
    headers.push((":authority".into(), req.host.clone()));
    headers.push((":scheme".into(), req.scheme().to_string()));
    headers.push((":path".into(), raw_path.to_string()));
    headers.extend(req.verified_claims.iter().cloned());
    let host = strip_port(&req.host).to_ascii_lowercase();
    let selected = cfg.domains.select(&req.host);
    // The drops that concern this request: of VirtualServices for its Host or for the virtual
    // host it selects.
    let domains = selected.map_or(&[][..], |(vi, _, _)| cfg.virtual_hosts[vi].domains.as_slice());
    let dropped = if explain { cfg.dropped.as_slice() } else { &[] };
    for d in dropped.iter().filter(|d| d.concerns(&host) || domains.iter().any(|x| x != "*" && d.concerns(x))) {
        o.step(|| TraceEntry {
            virtual_service: (!d.from.gateway_api()).then(|| d.from.vs()),
            route: d.from.gateway_api().then(|| d.from.route()),
            rule_kind: Some(if d.from.gateway_api() { RuleKind::Rules } else { RuleKind::Http }),
            rule_index: Some(d.from.rule),
            match_index: d.from.match_index,
            result: "dropped",
            detail: d.reason.clone(),
        });
    }
    let Some((vi, di, how)) = selected else {
        o.status = Some(404);
        o.response_flags = Some("NR".into());
        o.note_with(|| format!("no virtual host of {} has a domain for {}", cfg.name, shown(&req.host)));
        return o;
    };
    let vh = &cfg.virtual_hosts[vi];
    let domain = &vh.domains[di];
    o.virtual_host = Some(vh.name.clone());
    let how = match how {
        DomainMatch::Exact => "exact",
        DomainMatch::Suffix => "suffix wildcard",
        DomainMatch::Prefix => "prefix wildcard",
        DomainMatch::Any => "catch-all",
    };
    o.note_with(|| format!("virtual host {} (domain {}, {how} match)", vh.name, shown(domain)));
    if vh.require_tls && req.scheme() != "https" {
        o.outcome = OutcomeKind::TlsRedirect;
        o.status = Some(301);
        o.location = Some(format!("https://{}{raw_path}", strip_port(&req.host)));
        o.note("the server sets tls.httpsRedirect: Envoy answers 301 to https before matching routes");
        return o;
    }
    let mut winner = None;
    for (k, r) in vh.routes.iter().enumerate() {
        if winner.is_some() && !explain {
            break;
        }
        let entry = |result: &'static str, detail: String| TraceEntry {
            virtual_service: r.from.as_ref().filter(|p| !p.gateway_api()).map(|p| p.vs()),
            route: r.from.as_ref().filter(|p| p.gateway_api()).map(|p| p.route()),
            rule_kind: r.from.as_ref().map(|p| if p.gateway_api() { RuleKind::Rules } else { RuleKind::Http }),
            rule_index: r.from.as_ref().map(|p| p.rule),
            match_index: r.from.as_ref().and_then(|p| p.match_index),
            result,
            detail,
        };
        if winner.is_some() {
            o.step(|| entry("not_reached", "not tried: an earlier route matched".into()));
            continue;
        }
        let verdict = if explain {
            r.matcher.check(&path, &query, &headers)
        } else if r.matcher.matches(&path, &query, &headers) {
            Ok(())
        } else {
            Err(String::new())
        };
        match verdict {
            Ok(()) => {
                o.step(|| {
                    let detail =
                        if r.from.is_none() { format!("istiod's route {}", r.name) } else { "first match".into() };
                    entry("matched", detail)
                });
                winner = Some(k);
            }
            Err(why) => o.step(|| entry("no_match", why)),
        }
    }
    let Some(k) = winner else {
        o.status = Some(404);
        o.response_flags = Some("NR".into());
        o.note_with(|| format!("no route of virtual host {} matches", vh.name));
        return o;
    };
    let route = &vh.routes[k];
    if let Some(key) = &route.server {
        o.through(key);
    }
    if let Some(p) = &route.from {
        o.virtual_service = (!p.gateway_api()).then(|| p.vs());
        o.route = Some(p.route());
        o.rule_kind = Some(if p.gateway_api() { RuleKind::Rules } else { RuleKind::Http });
        o.rule_index = Some(p.rule);
        o.match_index = p.match_index;
        if let Some(d) = &p.delegate {
            o.delegate = Some(format!("{}/{}", d.namespace, d.name));
            o.delegate_rule_index = Some(d.rule);
        }
    }
    let rule = route.rule;
    let cors =
        rule.and_then(|r| r.cors_policy.as_deref()).and_then(|p| super::cors::evaluate(p, &req.method, &req.headers));
    if let Some(c) = &cors {
        o.note_with(|| c.note.clone());
        if c.reply {
            o.outcome = OutcomeKind::DirectResponse;
            o.status = Some(200);
            o.response_headers = c.headers.clone();
            return o;
        }
    }
    match &route.action {
        Action::Redirect => {
            let rd = rule.and_then(|r| r.redirect.as_ref()).expect("redirect action has a redirect");
            o.outcome = OutcomeKind::Redirect;
            o.status = Some(rd.redirect_code.unwrap_or(301));
            let scheme = rd.scheme.clone().unwrap_or_else(|| req.scheme().to_string());
            let host = rd.authority.clone().unwrap_or_else(|| strip_port(&req.host).to_string());
            let port = match (rd.port, rd.derive_port) {
                (_, Some(RedirectPortSelection::FromRequestPort)) => Some(cfg.port),
                (Some(p), _) => Some(p),
                _ => None,
            }
            .filter(|p| !((scheme == "http" && *p == 80) || (scheme == "https" && *p == 443)));
            let new_path = match &rd.uri {
                // A Gateway API ReplacePrefixMatch (`route.go:789-795`): the matched prefix replaced.
                Some(u) if u.starts_with(PREFIX_REWRITE) => {
                    let replaced = replace_prefix(&route.matcher, &path, &u[PREFIX_REWRITE.len()..]);
                    match raw_path.split_once('?') {
                        Some((_, q)) => format!("{replaced}?{q}"),
                        None => replaced,
                    }
                }
                Some(u) if u.contains('?') => u.clone(),
                Some(u) => match raw_path.split_once('?') {
                    Some((_, q)) => format!("{u}?{q}"),
                    None => u.clone(),
                },
                None => raw_path.to_string(),
            };
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            o.location = Some(format!("{scheme}://{host}{port}{new_path}"));
        }
        Action::DirectResponse { status, body } => {
            o.outcome = OutcomeKind::DirectResponse;
            o.status = Some(*status);
            o.body = body.clone();
        }
        Action::Passthrough => {
            o.outcome = OutcomeKind::Passthrough;
            o.cluster = Some(listener::PASSTHROUGH.to_string());
            o.note(
                "no virtual host for this Host: ALLOW_ANY sends it to the PassthroughCluster (original destination)",
            );
        }
        Action::Forward(dests) => {
            o.outcome = OutcomeKind::Route;
            o.destinations = dests.clone();
            let missing: Vec<&Destination> = dests.iter().filter(|d| d.missing.is_some()).collect();
            for d in &missing {
                o.note_with(|| format!("cluster {} does not exist: {}", d.cluster, d.missing.as_deref().unwrap_or("")));
            }
            if !dests.is_empty() && missing.len() == dests.len() {
                // Gateway API routes carry `cluster_not_found_response_code: 500` (`route.go:617-621`).
                let gateway_api = route.from.as_ref().is_some_and(|p| p.gateway_api());
                o.status = Some(if gateway_api { 500 } else { 503 });
                o.response_flags = Some("NC".into());
            }
            if let Some(rule) = rule {
                apply_policies(&mut o, rule, &route.matcher, &path);
            } else {
                o.retries = Some(default_retries());
            }
            o.mirrors = route
                .mirrors
                .iter()
                .map(|(d, pct)| Mirror {
                    host: d.host.clone(),
                    subset: d.subset.clone(),
                    port: d.port,
                    percentage: *pct,
                })
                .collect();
        }
    }
    if let Some(rule) = rule
        && o.outcome != OutcomeKind::Route
    {
        o.fault = fault(rule);
    }
    // The CORS filter's response side runs after the route's header operations.
    if let Some(c) = cors {
        o.response_headers.set.extend(c.headers.set);
    }
    o
}

/// The marker istiod puts before a Gateway API `ReplacePrefixMatch` redirect path.
const PREFIX_REWRITE: &str = "%PREFIX()%";

/// A Gateway API `ReplacePrefixMatch` on a path its route matched by whole segments: the prefix
/// becomes `to`, and a `/` replacement does not double the separator (`route.go:641-650`).
fn replace_prefix(m: &super::RouteMatch, path: &str, to: &str) -> String {
    let prefix = match &m.path.kind {
        super::matcher::StrMatch::Segments(p) | super::matcher::StrMatch::Prefix(p) => p.trim_end_matches('/'),
        _ => "",
    };
    let rest = path.get(prefix.len()..).unwrap_or_default();
    let to = to.trim_end_matches('/');
    let out = format!("{to}{rest}");
    if out.is_empty() {
        "/".to_string()
    } else if out.starts_with('/') {
        out
    } else {
        format!("/{out}")
    }
}

fn default_retries() -> Retries {
    Retries {
        attempts: 2,
        per_try_timeout: None,
        retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes".into(),
    }
}

fn fault(rule: &HTTPRoute) -> Option<Fault> {
    let f = rule.fault.as_ref()?;
    let pct = |p: Option<f64>, legacy: Option<i32>| p.or(legacy.map(f64::from)).unwrap_or(0.0);
    let (delay, delay_percent) = match &f.delay {
        Some(d) => {
            (d.fixed_delay.as_ref().map(|x| x.0.clone()), pct(d.percentage.as_ref().and_then(|p| p.value), d.percent))
        }
        None => (None, 0.0),
    };
    let (abort_status, abort_percent) = match &f.abort {
        Some(a) => (a.http_status, pct(a.percentage.as_ref().and_then(|p| p.value), None)),
        None => (None, 0.0),
    };
    Some(Fault { delay, delay_percent, abort_status, abort_percent })
}

fn apply_policies(o: &mut Outcome, rule: &HTTPRoute, m: &super::RouteMatch, path: &str) {
    o.response_headers.then(rule.headers.as_ref().and_then(|h| h.response.as_ref()));
    if let [d] = rule.route.as_deref().unwrap_or_default() {
        o.response_headers.then(d.headers.as_ref().and_then(|h| h.response.as_ref()));
    }
    o.timeout = rule.timeout.as_ref().map(|t| t.0.clone());
    o.retries = Some(match &rule.retries {
        Some(r) => Retries {
            attempts: r.attempts.unwrap_or(2),
            per_try_timeout: r.per_try_timeout.as_ref().map(|d| d.0.clone()),
            retry_on: r.retry_on.clone().unwrap_or_else(|| default_retries().retry_on),
        },
        None => default_retries(),
    });
    if let Some(rw) = &rule.rewrite {
        let new_path = rw.uri.as_ref().map(|u| match &m.path.kind {
            super::matcher::StrMatch::Segments(_) => replace_prefix(m, path, u),
            super::matcher::StrMatch::Prefix(p) if path.len() >= p.len() => format!("{u}{}", &path[p.len()..]),
            _ => u.clone(),
        });
        let new_path = match (&new_path, &rw.uri_regex_rewrite) {
            (None, Some(rr)) => match (&rr.match_, &rr.rewrite) {
                (Some(mt), Some(to)) => regex::Regex::new(mt)
                    .ok()
                    .map(|re| re.replace_all(path, to.replace("\\", "$").as_str()).into_owned()),
                _ => None,
            },
            _ => new_path,
        };
        o.rewrite = Some(Rewrite { path: new_path, host: rw.authority.clone() });
    }
    if let Some(f) = fault(rule) {
        if let Some(s) = f.abort_status
            && f.abort_percent >= 100.0
        {
            o.status = Some(u32::try_from(s).unwrap_or(0));
            o.response_flags = Some("FI".into());
            o.note_with(|| format!("fault abort {s} on 100% of requests: Envoy answers without calling upstream"));
        } else if f.delay.is_some() && f.delay_percent > 0.0 {
            o.response_flags = Some("DI".into());
        }
        o.fault = Some(f);
    }
}
