//! After the route: the transport and the authorization of each proxy the request reaches, as the
//! authorization engine ([`crate::authz`]) decides them. At a gateway its policies run before its
//! router; then every workload behind each destination: mTLS between the client proxy and that
//! workload's sidecar, its RequestAuthentications, its AuthorizationPolicies.

use super::compile::{self, Proxy, ProxyKind};
use super::eval::{From, Outcome, OutcomeKind, Request, TraceEntry, WorkloadRef};
use super::listener::Class;
use crate::authz::jwt::{self, Location, Token, Verdict};
use crate::authz::matcher;
use crate::authz::mtls::{self, Client, Server};
use crate::authz::{self, Attributes, AuthzAnswer, Engine, MtlsAnswer, Sidecar, Target, WorkloadAuthz};
use crate::lint::Context;
use crate::mesh::{ServiceSource, Workload, selects};
use crate::model::Typed;
use crate::model::core::StringMap;
use crate::model::networking::{ClientTLSMode, Location as MeshLocation};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What one workload (or the gateway) made of the request.
struct Verdicted {
    workload: String,
    at: String,
    allow: bool,
    policy: Option<String>,
    rule: Option<usize>,
    status: Option<u32>,
    /// Envoy's local reply.
    body: Option<&'static str>,
    mtls: Option<MtlsAnswer>,
}

impl Verdicted {
    /// Take the authorization decision: a denied HTTP request is Envoy's 403 local reply.
    fn decided(&mut self, d: crate::authz::Decision, http: bool, notes: &mut Vec<String>) {
        notes.extend(d.notes);
        self.allow = d.allow;
        self.policy = d.policy;
        self.rule = d.rule;
        self.status = (!d.allow && http).then_some(403);
        self.body = self.status.map(|_| RBAC_DENIED);
    }

    fn same(&self, o: &Verdicted) -> bool {
        (self.allow, &self.policy, self.rule, self.status) == (o.allow, &o.policy, o.rule, o.status)
    }
}

/// The client side of the hop to the destinations.
struct ClientSide<'r> {
    /// The proxy's namespace: DestinationRules are looked up from it.
    namespace: String,
    sidecar: bool,
    principal: Option<String>,
    /// The peer address the destination sees.
    ip: Option<IpAddr>,
    /// The token the destination sees.
    token: Token<'r>,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn location(req: &Request) -> Location {
    match &req.jwt_from {
        None => Location::default(),
        Some(f) => match (&f.header, &f.param) {
            (_, Some(p)) => Location::Param(p.clone()),
            (Some(h), None) => {
                Location::Header { name: h.to_ascii_lowercase(), prefix: f.prefix.clone().unwrap_or_default() }
            }
            (None, None) => Location::default(),
        },
    }
}

fn token(req: &Request) -> Token<'_> {
    match &req.jwt {
        None | Some(serde_json::Value::Null) => Token::None,
        Some(serde_json::Value::Object(m)) => Token::Claims(m),
        Some(_) => Token::Malformed,
    }
}

/// The mesh workload a request's proxy is, if the input shows it: same namespace, its labels
/// include the ones given.
fn find<'c, 'a>(cx: &'c Context<'a>, w: &WorkloadRef) -> Option<&'c Workload<'a>> {
    if w.labels.is_empty() {
        return None;
    }
    cx.mesh().workloads_in(&w.namespace, &w.labels).into_iter().next()
}

/// The gateway a request enters (the default ingress gateway when none is named) and its workload
/// in the input: a Deployment or Pod with its labels, else the implicit ingress gateway.
fn gateway<'c, 'a>(cx: &'c Context<'a>, req: &Request) -> (WorkloadRef, Option<&'c Workload<'a>>) {
    let w = req.gateway_workload.clone().unwrap_or_else(default_gateway);
    let found = find(cx, &w).or_else(|| {
        cx.mesh()
            .workloads
            .iter()
            .find(|x| x.obj.is_none() && x.namespace == w.namespace && selects(&w.labels, x.labels))
    });
    (w, found)
}

fn principal(engine: &Engine, w: &WorkloadRef, found: Option<&Workload>, cx: &Context) -> String {
    if let Some(p) = &w.principal {
        return p.strip_prefix("spiffe://").unwrap_or(p).to_string();
    }
    let sa = w.service_account.as_deref().or_else(|| found.map(|f| authz::service_account(cx, f))).unwrap_or("default");
    format!("{}/ns/{}/sa/{sa}", engine.trust_domain, w.namespace)
}

fn headers(req: &Request) -> BTreeMap<String, String> {
    req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect()
}

/// The claims of the token the gateway verifies, as the pseudo-headers its routes match on:
/// `@request.auth.claims.a.b` and `@request.auth.claims[a][b]`, one entry per value. `None` when
/// the request does not enter at a gateway, or the gateway verifies no token.
pub(super) fn gateway_claims(cx: &Context, engine: &Engine, req: &Request) -> Option<Vec<(String, String)>> {
    if req.from != From::Gateway || engine.request.is_empty() {
        return None;
    }
    let (w, found) = gateway(cx, req);
    let t = Target { namespace: &w.namespace, labels: found.map_or(&w.labels, |f| f.labels) };
    let Verdict::Valid(claims) =
        jwt::verify(&engine.request_authentication_for(&t), token(req), &location(req), now(), &mut Vec::new())
    else {
        return None;
    };
    let mut out = Vec::new();
    fn walk(path: &[&str], v: &serde_json::Value, out: &mut Vec<(String, String)>) {
        let dotted = format!("{}.{}", super::matcher::CLAIM_PREFIX, path.join("."));
        let bracketed = format!("{}[{}]", super::matcher::CLAIM_PREFIX, path.join("]["));
        let mut push = |s: String| {
            out.push((dotted.clone(), s.clone()));
            out.push((bracketed.clone(), s));
        };
        match v {
            serde_json::Value::String(s) => push(s.clone()),
            serde_json::Value::Array(items) => {
                items.iter().filter_map(|i| i.as_str()).for_each(|s| push(s.to_string()))
            }
            serde_json::Value::Bool(b) => push(b.to_string()),
            serde_json::Value::Number(n) => push(n.to_string()),
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let mut p = path.to_vec();
                    p.push(k);
                    walk(&p, x, out);
                }
            }
            serde_json::Value::Null => {}
        }
    }
    for (k, v) in claims {
        walk(&[k.as_str()], v, &mut out);
    }
    Some(out)
}

/// Run the request through the security of every proxy it reaches, after routing.
pub(super) fn secure(cx: &Context, engine: &Engine, req: &Request, o: &mut Outcome) {
    let mut notes: Vec<String> = Vec::new();
    let mut results: Vec<Verdicted> = Vec::new();
    let mut gateway_verdict: Option<Verdicted> = None;
    let http_request = matches!(req.protocol.to_ascii_lowercase().as_str(), "http" | "http2" | "");
    let source_ip: Option<IpAddr> = req.source_ip.as_deref().and_then(|s| s.parse().ok());
    let mut hdrs = headers(req);
    let (path, _) = super::matcher::split_query(&req.path);
    let Some(path) = matcher::normalize(path, &engine.path_normalization) else {
        o.status = Some(400);
        o.note("the path holds %00, which Envoy refuses with 400 before authorization");
        return;
    };
    let at_gateway = req.from == From::Gateway;
    let client = if at_gateway {
        let (w, found) = gateway(cx, req);
        let at = format!("gateway {}", found.map_or_else(|| w.namespace.clone(), |f| authz::workload_name(cx, f)));
        let proxy = Proxy {
            kind: ProxyKind::Gateway,
            namespace: w.namespace.clone(),
            labels: w.labels.clone(),
            ip: w.ip.clone(),
        };
        let port = compile::gateway_listener_port(cx, &proxy, req.port());
        // The policies select the pod by all its labels, not only the ones the request names.
        let t = Target { namespace: &w.namespace, labels: found.map_or(&w.labels, |f| f.labels) };
        let xff = hdrs.get("x-forwarded-for").cloned();
        let remote = authz::gateway_remote(
            xff.as_deref(),
            cx.mesh().config.default_config.gateway_topology.num_trusted_proxies,
            source_ip,
        );
        let mut gw_notes = Vec::new();
        let ras = engine.request_authentication_for(&t);
        let tok = token(req);
        let verdict =
            if http_request { jwt::verify(&ras, tok, &location(req), now(), &mut gw_notes) } else { Verdict::NoFilter };
        let forwards = ras
            .iter()
            .flat_map(|p| p.res.spec.jwt_rules.iter().flatten())
            .any(|r| r.forward_original_token == Some(true));
        let mut v = Verdicted {
            workload: at.clone(),
            at: at.clone(),
            allow: true,
            policy: None,
            rule: None,
            status: None,
            body: None,
            mtls: None,
        };
        let claims = match &verdict {
            Verdict::Refused(status, _) => {
                v.allow = false;
                v.status = Some(*status);
                v.body = Some(jwt_body(*status));
                None
            }
            Verdict::Valid(c) => Some(*c),
            _ => None,
        };
        if v.allow {
            let a = Attributes {
                http: http_request,
                principal: None,
                source_ip,
                remote_ip: remote,
                destination_ip: None,
                port,
                sni: req.sni.as_deref(),
                host: &req.host,
                method: &req.method,
                path: &path,
                headers: hdrs.clone(),
                jwt: claims,
            };
            v.decided(engine.decide(&t, &a), http_request, &mut gw_notes);
        }
        for n in gw_notes {
            notes.push(format!("{at}: {n}"));
        }
        if !v.allow {
            finish(o, Some(v), Vec::new(), None, &notes, http_request, engine.is_empty());
            return;
        }
        gateway_verdict = Some(v);
        // The gateway appends its peer to X-Forwarded-For (`use_remote_address: true`).
        if let Some(ip) = source_ip {
            let x = hdrs.entry("x-forwarded-for".into()).or_default();
            *x = if x.is_empty() { ip.to_string() } else { format!("{x}, {ip}") };
        }
        let token_after = match (verdict, forwards) {
            (Verdict::Valid(_), false) => {
                notes.push(format!("{at}: the verified token is removed before forwarding (no forwardOriginalToken)"));
                Token::None
            }
            _ => token(req),
        };
        ClientSide {
            namespace: w.namespace.clone(),
            sidecar: true,
            principal: Some(principal(engine, &w, found, cx)),
            ip: None,
            token: token_after,
        }
    } else {
        let w = req.source.clone().unwrap_or_else(|| WorkloadRef { namespace: "default".into(), ..Default::default() });
        let found = find(cx, &w);
        let sidecar = match found.map(|f| authz::sidecar(cx, f)) {
            Some(Sidecar::No) => {
                notes.push(format!(
                    "the client {} has no sidecar: it sends plain text, with no identity (its routing is kube-proxy's, not shown here)",
                    found.map(|f| authz::workload_name(cx, f)).unwrap_or_default()
                ));
                false
            }
            Some(Sidecar::Unseen) | None => {
                notes.push("the input does not show whether the client has a sidecar: taken as one".into());
                true
            }
            Some(Sidecar::Yes) => true,
        };
        let ip = source_ip.or_else(|| w.ip.as_deref().and_then(|s| s.parse().ok()));
        ClientSide {
            namespace: w.namespace.clone(),
            sidecar,
            principal: Some(principal(engine, &w, found, cx)),
            ip,
            token: token(req),
        }
    };
    let forwarded = matches!(o.outcome, OutcomeKind::Route | OutcomeKind::TcpForward);
    let mut mtls_first: Option<MtlsAnswer> = None;
    if forwarded {
        let destinations = o.destinations.clone();
        for d in destinations.iter().filter(|d| d.missing.is_none()) {
            let mesh = cx.mesh();
            let Some(s) = mesh.services_by_host(&d.host).next() else { continue };
            let external = s.source == ServiceSource::ServiceEntry
                && s.obj.and_then(|i| match cx.typed.get(i) {
                    Some(Some(Ok(Typed::ServiceEntry(se)))) => se.spec.location,
                    _ => None,
                }) != Some(MeshLocation::MeshInternal);
            if external {
                notes.push(format!("{} is outside the mesh: nothing on its side enforces Istio policy", d.host));
                continue;
            }
            let sport = s.ports.iter().find(|p| p.number == d.port);
            // A sniffed port carries HTTP when the request is HTTP.
            let port_http = sport.is_none_or(|p| super::listener::protocol_of(s, p).class() != Some(Class::Tcp));
            let http = http_request && port_http && o.outcome == OutcomeKind::Route;
            let drs = mesh.destination_rules_for(&d.host, &client.namespace);
            let subset_labels: Option<&StringMap> = drs
                .iter()
                .flat_map(|r| r.subsets())
                .find(|x| !d.subset.is_empty() && x.name == d.subset)
                .and_then(|x| x.labels.as_ref());
            let behind: Vec<&Workload> = mesh
                .service_workloads(s)
                .unwrap_or_default()
                .into_iter()
                .filter(|w| subset_labels.is_none_or(|l| selects(l, w.labels)))
                .collect();
            let mut virtual_labels: StringMap = s.selector.cloned().unwrap_or_default();
            for (k, v) in subset_labels.into_iter().flatten() {
                virtual_labels.insert(k.clone(), v.clone());
            }
            let targets: Vec<(String, Option<&Workload>, &StringMap)> = if behind.is_empty() {
                notes.push(format!(
                    "the input shows no workload behind {}{}: its policies are those of a pod with the labels {}",
                    d.host,
                    if d.subset.is_empty() { String::new() } else { format!(" subset {}", d.subset) },
                    crate::mesh::selector_string(&virtual_labels)
                ));
                vec![(format!("{}/{}", s.namespace, hostname(&d.host)), None, &virtual_labels)]
            } else {
                behind.iter().map(|w| (authz::workload_name(cx, w), Some(*w), w.labels)).collect()
            };
            let explicit = drs.iter().find_map(|r| mtls::destination_rule_mode(r, &d.subset, d.port).map(|m| (r, m)));
            for (name, w, labels) in targets {
                let at = format!("sidecar {name}");
                let t = Target { namespace: &s.namespace, labels };
                let mut wn: Vec<String> = Vec::new();
                let wport = authz::workload_port(cx, sport.and_then(|p| p.target_port.as_deref()), w, d.port);
                let has_sidecar = w.map_or(Sidecar::Unseen, |w| authz::sidecar(cx, w));
                let server = match has_sidecar {
                    Sidecar::No => Server::NoSidecar,
                    _ => engine.server_mode(&t, wport, &mut wn),
                };
                let client_mode = if !client.sidecar {
                    Client::Disable
                } else if let Some((r, m)) = &explicit {
                    wn.push(format!(
                        "DestinationRule {}/{} sets tls.mode {}",
                        r.namespace,
                        r.rule.metadata.name.as_deref().unwrap_or_default(),
                        tls_name(*m)
                    ));
                    match m {
                        ClientTLSMode::Disable => Client::Disable,
                        ClientTLSMode::Simple => Client::Simple,
                        ClientTLSMode::Mutual => Client::Mutual,
                        _ => Client::IstioMutual,
                    }
                } else if !engine.auto_mtls {
                    wn.push("no DestinationRule sets TLS and auto mTLS is off: plain text".into());
                    Client::Disable
                } else if engine.namespace_mode(&s.namespace) == crate::model::security::MtlsMode::Disable
                    || matches!(server, Server::NoSidecar | Server::Disable)
                {
                    wn.push("auto mTLS: the endpoint takes plain text, so the client sends plain text".into());
                    Client::Disable
                } else {
                    wn.push("auto mTLS: the endpoint has a sidecar, so the client sends Istio mTLS".into());
                    Client::IstioMutual
                };
                let transport = mtls::compatible(client_mode, server, http);
                let answer =
                    MtlsAnswer { client: client_mode.as_str(), server: server.as_str(), ok: transport.is_ok() };
                mtls_first.get_or_insert_with(|| answer.clone());
                let mut v = Verdicted {
                    workload: name.clone(),
                    at: at.clone(),
                    allow: true,
                    policy: None,
                    rule: None,
                    status: None,
                    body: None,
                    mtls: Some(answer),
                };
                if has_sidecar == Sidecar::Unseen && w.is_some() {
                    wn.push("the input does not show whether this workload has a sidecar: taken as one".into());
                }
                match transport {
                    Err(why) => {
                        wn.push(format!("the connection fails: {why}"));
                        v.allow = false;
                        v.status = (client.sidecar && http).then_some(503);
                        v.body = v.status.map(|_| UPSTREAM_FAILURE);
                    }
                    Ok(()) if server == Server::NoSidecar => {
                        wn.push("no sidecar: nothing enforces AuthorizationPolicies or RequestAuthentications".into());
                    }
                    Ok(()) => {
                        let mutual = client_mode == Client::IstioMutual;
                        let sni = mutual.then(|| format!("outbound_.{}_.{}_.{}", d.port, d.subset, d.host));
                        let mut h = hdrs.clone();
                        for r in &d.request_headers.remove {
                            h.remove(r);
                        }
                        for (k, val) in d.request_headers.set.iter().chain(&d.request_headers.add) {
                            h.insert(k.clone(), val.clone());
                        }
                        let host = o.rewrite.as_ref().and_then(|r| r.host.clone()).unwrap_or_else(|| req.host.clone());
                        let rpath = o
                            .rewrite
                            .as_ref()
                            .and_then(|r| r.path.clone())
                            .map(|p| p.split('?').next().unwrap_or_default().to_string())
                            .unwrap_or_else(|| path.clone());
                        let ras = engine.request_authentication_for(&t);
                        let verdict = if http {
                            jwt::verify(&ras, client.token, &location(req), now(), &mut wn)
                        } else {
                            Verdict::NoFilter
                        };
                        match verdict {
                            Verdict::Refused(status, _) => {
                                v.allow = false;
                                v.status = Some(status);
                                v.body = Some(jwt_body(status));
                            }
                            verdict => {
                                let claims = match verdict {
                                    Verdict::Valid(c) => Some(c),
                                    _ => None,
                                };
                                let peer = client.ip;
                                let a = Attributes {
                                    http,
                                    principal: if mutual { client.principal.as_deref() } else { None },
                                    source_ip: peer,
                                    remote_ip: authz::sidecar_remote(
                                        h.get("x-forwarded-for").map(String::as_str),
                                        peer,
                                    ),
                                    destination_ip: w.and_then(|w| w.address.as_deref()).and_then(|a| a.parse().ok()),
                                    port: wport,
                                    sni: sni.as_deref(),
                                    host: &host,
                                    method: &req.method,
                                    path: &rpath,
                                    headers: h,
                                    jwt: claims,
                                };
                                if !mutual
                                    && engine.authorization_for(&t).iter().any(|p| {
                                        p.res.spec.rules.iter().flatten().any(|r| authz::identity_field(r).is_some())
                                    })
                                {
                                    wn.push("the connection is not Istio mTLS, so the request has no source principal or namespace".into());
                                }
                                v.decided(engine.decide(&t, &a), http, &mut wn);
                            }
                        }
                    }
                }
                for n in wn {
                    notes.push(format!("{at}: {n}"));
                }
                results.push(v);
            }
        }
    }
    finish(o, gateway_verdict, results, mtls_first, &notes, http_request, engine.is_empty());
}

const RBAC_DENIED: &str = "RBAC: access denied";
const UPSTREAM_FAILURE: &str =
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

/// jwt_authn's local reply.
fn jwt_body(status: u32) -> &'static str {
    if status == 403 { "Audiences in Jwt are not allowed" } else { "Jwt verification fails" }
}

fn tls_name(m: ClientTLSMode) -> &'static str {
    match m {
        ClientTLSMode::Disable => "DISABLE",
        ClientTLSMode::Simple => "SIMPLE",
        ClientTLSMode::Mutual => "MUTUAL",
        ClientTLSMode::IstioMutual => "ISTIO_MUTUAL",
        ClientTLSMode::Unknown => "unknown",
    }
}

fn hostname(fqdn: &str) -> &str {
    fqdn.split('.').next().unwrap_or(fqdn)
}

fn default_gateway() -> WorkloadRef {
    WorkloadRef {
        namespace: "istio-system".into(),
        labels: [("istio".to_string(), "ingressgateway".to_string())].into_iter().collect(),
        ..Default::default()
    }
}

/// The notes, `at: note` each, with the workloads whose notes are all the same folded into one
/// line per note: `sidecar a, sidecar b: note`.
fn grouped(notes: &[String]) -> Vec<String> {
    let mut by_at: Vec<(&str, Vec<&str>)> = Vec::new();
    for n in notes {
        let (at, rest) = n.split_once(": ").unwrap_or(("", n));
        match by_at.last_mut() {
            Some((a, v)) if *a == at => v.push(rest),
            _ => by_at.push((at, vec![rest])),
        }
    }
    let mut merged: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for (at, v) in by_at {
        match merged.iter_mut().find(|(_, mv)| *mv == v) {
            Some((ats, _)) if !at.is_empty() => ats.push(at),
            _ => merged.push((vec![at], v)),
        }
    }
    merged
        .into_iter()
        .flat_map(|(ats, v)| {
            let who = ats.join(", ");
            v.into_iter().map(move |n| if who.is_empty() { n.to_string() } else { format!("{who}: {n}") })
        })
        .collect()
}

/// Fold the verdicts into the answer.
fn finish(
    o: &mut Outcome,
    gateway: Option<Verdicted>,
    results: Vec<Verdicted>,
    mtls: Option<MtlsAnswer>,
    notes: &[String],
    http: bool,
    quiet: bool,
) {
    // Without security policies, a request that goes through needs one line, not the steps.
    let plain = quiet && gateway.as_ref().is_none_or(|g| g.allow) && results.iter().all(|r| r.allow);
    let quiet_note = [
        "the input has no AuthorizationPolicy, PeerAuthentication or RequestAuthentication: nothing denies the request"
            .to_string(),
    ];
    let notes = if plain { &quiet_note[..] } else { notes };
    for detail in grouped(notes) {
        o.step(|| TraceEntry {
            virtual_service: None,
            route: None,
            rule_kind: None,
            rule_index: None,
            match_index: None,
            result: "authz",
            detail,
        });
    }
    // The gateway's verdict stands when it denies, or when nothing behind it decides.
    let results = if results.is_empty() { gateway.into_iter().collect() } else { results };
    let Some(first) = results.first() else { return };
    let all_same = results.iter().all(|r| r.same(first));
    let decision = |allow: bool| if allow { "allow" } else { "deny" };
    let answer = if all_same {
        AuthzAnswer {
            decision: decision(first.allow),
            policy: first.policy.clone(),
            rule: first.rule,
            status: first.status,
            at: results.iter().map(|r| r.at.as_str()).collect::<Vec<_>>().join(", "),
            workloads: Vec::new(),
        }
    } else {
        AuthzAnswer {
            decision: "mixed",
            policy: None,
            rule: None,
            status: None,
            at: results.iter().map(|r| r.at.as_str()).collect::<Vec<_>>().join(", "),
            workloads: results
                .iter()
                .map(|r| WorkloadAuthz {
                    workload: r.workload.clone(),
                    decision: decision(r.allow),
                    policy: r.policy.clone(),
                    rule: r.rule,
                    status: r.status,
                    mtls: r.mtls.clone(),
                })
                .collect(),
        }
    };
    if all_same && !first.allow {
        match first.status {
            Some(status) => {
                o.status = Some(status);
                o.body = first.body.map(str::to_string);
                if status == 503 {
                    o.response_flags = Some("UF".into());
                }
            }
            None if !http || first.mtls.as_ref().is_some_and(|m| !m.ok) => {
                o.note("the connection is closed: there is no HTTP status");
            }
            None => {}
        }
    }
    o.authz = Some(answer);
    o.mtls = mtls;
}
