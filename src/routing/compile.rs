//! istiod's side: route configurations for one proxy, built from VirtualServices, Gateways and
//! the service registry (`gateway.go` `buildGatewayHTTPRouteConfig`, `httproute.go`
//! `BuildSidecarOutboundVirtualHosts`, `route.go` `BuildHTTPRoutesForVirtualService`).

use super::delegate::{self, DelegateVs, MergeDrop, RuleOrigin};
use super::matcher::RouteMatch;
use super::{Action, Destination, Dropped, Provenance, Route, RouteConfig, VirtualHost};
use crate::lint::Context;
use crate::mesh::{ServiceRecord, ServiceSource, hosts, selects};
use crate::model::Typed;
use crate::model::core::StringMap;
use crate::model::networking::{self as net, Gateway, HTTPRoute, Server, ServerTLSMode, VirtualService};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::borrow::Cow;

/// Which proxy the route tables are built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Gateway,
    Sidecar,
}

/// A proxy: a gateway workload or a sidecar, by namespace and labels.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub namespace: String,
    pub labels: StringMap,
    /// The workload's IP, when known: ServiceEntry endpoints at it make it a service target.
    pub ip: Option<String>,
}

/// A VirtualService as the route builder sees it: hosts resolved, delegates merged, in Istio's
/// order.
#[derive(Debug, Clone)]
pub struct VsEntry<'a> {
    pub obj: usize,
    pub namespace: String,
    pub name: String,
    /// The VirtualService with its delegates merged in (borrowed when it delegates nothing).
    pub vs: Cow<'a, VirtualService>,
    /// Where each rule of a merged `vs.spec.http` came from; empty when nothing was merged.
    pub origins: Vec<RuleOrigin>,
    /// Rules the delegate merge removed.
    pub merge_drops: Vec<MergeDrop>,
    /// FQDNs, lower-cased.
    pub hosts: Vec<String>,
    /// Resolved `gateways`: `mesh` or `ns/name`.
    pub gateways: Vec<String>,
    pub export_to: Vec<String>,
    /// For a VirtualService translated from Gateway API routes: where each rule came from
    /// (istiod's gateway semantics apply to it). Empty for a VirtualService of the input.
    pub translated: Vec<crate::mesh::gateway_api::Origin>,
}

impl VsEntry<'_> {
    /// The provenance of rule `i` of `vs.spec.http` (match `j`), traced back through a delegate.
    pub fn provenance(&self, i: usize, j: Option<usize>) -> Provenance {
        if let Some(o) = self.translated.get(i) {
            return Provenance {
                obj: o.obj,
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                rule: o.rule,
                match_index: o.match_index,
                delegate: None,
                delegate_match: None,
                kind: o.kind,
            };
        }
        let (rule, match_index, delegate, delegate_match) = match self.origins.get(i) {
            None => (i, j, None, None),
            Some(o) => {
                let (rj, dj) = j.and_then(|j| o.matches.get(j).copied()).unwrap_or((None, None));
                (o.root_rule, rj, o.delegate.clone(), dj)
            }
        };
        Provenance {
            obj: self.obj,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            rule,
            match_index,
            delegate,
            delegate_match,
            kind: super::VIRTUAL_SERVICE,
        }
    }

    /// Whether istiod's gateway semantics apply (a VirtualService translated from Gateway API).
    pub fn gateway_api(&self) -> bool {
        !self.translated.is_empty()
    }

    /// The namespace that short names of rule `i` resolve in: the delegate's for a delegated rule.
    pub fn rule_namespace(&self, i: usize) -> &str {
        match self.origins.get(i).and_then(|o| o.delegate.as_ref()) {
            Some(d) => &d.namespace,
            None => &self.namespace,
        }
    }
}

/// A gateway reference resolved to `ns/name`, or `mesh`.
pub fn gateway_key(reference: &str, vs_ns: &str) -> String {
    match hosts::gateway_ref(reference, vs_ns) {
        Some((ns, name)) => format!("{ns}/{name}"),
        None => "mesh".into(),
    }
}

/// Every VirtualService with hosts, delegates merged, ordered by creation time
/// (`metadata.creationTimestamp`, then input order), as istiod orders them.
pub fn build_virtual_services<'a>(cx: &Context<'a>) -> Vec<VsEntry<'a>> {
    let mesh = cx.mesh();
    let ns_of = |obj: usize| cx.objects[obj].namespace_or(&cx.options.default_namespace).to_string();
    let export_of = |vs: &VirtualService| {
        vs.spec.export_to.clone().unwrap_or_else(|| mesh.config.default_virtual_service_export_to.clone())
    };
    let find = |ns: &str, name: &str| {
        mesh.virtual_services
            .iter()
            .find(|&&(obj, vs)| {
                vs.spec.hosts.as_ref().is_none_or(Vec::is_empty)
                    && cx.objects[obj].name.as_deref() == Some(name)
                    && ns_of(obj) == ns
            })
            .map(|&(obj, vs)| DelegateVs {
                obj,
                namespace: ns.to_string(),
                name: name.to_string(),
                vs,
                export_to: export_of(vs),
            })
    };
    let mut out: Vec<VsEntry<'a>> = mesh
        .virtual_services
        .iter()
        .map(|&(obj, vs)| {
            let o = &cx.objects[obj];
            let ns = ns_of(obj);
            let hosts = vs.spec.hosts.iter().flatten().map(|h| hosts::fqdn(h, &ns).to_ascii_lowercase()).collect();
            let gateways = match vs.spec.gateways.as_deref() {
                None | Some([]) => vec!["mesh".to_string()],
                Some(g) => g.iter().map(|g| gateway_key(g, &ns)).collect(),
            };
            let (vs, origins, merge_drops) = if vs.spec.http.iter().flatten().any(|r| r.delegate.is_some()) {
                let m = delegate::merge(vs, &ns, find);
                let mut merged = vs.clone();
                merged.spec.http = Some(m.http);
                (Cow::Owned(merged), m.origins, m.dropped)
            } else {
                (Cow::Borrowed(vs), Vec::new(), Vec::new())
            };
            let export_to = export_of(&vs);
            VsEntry {
                obj,
                name: o.name.clone().unwrap_or_default(),
                namespace: ns,
                vs,
                origins,
                merge_drops,
                hosts,
                gateways,
                export_to,
                translated: Vec::new(),
            }
        })
        .collect();
    for t in &cx.gateway_api().virtual_services {
        let Some(first) = t.origins.first() else { continue };
        out.push(VsEntry {
            obj: first.obj,
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            hosts: t.vs.spec.hosts.iter().flatten().map(|h| h.to_ascii_lowercase()).collect(),
            gateways: t.vs.spec.gateways.clone().unwrap_or_default(),
            vs: Cow::Owned(t.vs.clone()),
            origins: Vec::new(),
            merge_drops: Vec::new(),
            export_to: Vec::new(),
            translated: t.origins.clone(),
        });
    }
    out.sort_by(|a, b| {
        let ts = |e: &VsEntry| e.vs.metadata.creation_timestamp.clone().unwrap_or_default();
        ts(a).cmp(&ts(b)).then(a.obj.cmp(&b.obj))
    });
    out
}

/// Every VirtualService with hosts, delegates merged, in istiod's order (built once per run).
pub fn virtual_services<'c, 'a>(cx: &'c Context<'a>) -> &'c [VsEntry<'a>] {
    cx.virtual_service_entries()
}

/// The VirtualServices a proxy in `proxy_ns` sees for gateway `key` (`mesh` for sidecars), in
/// `VirtualServicesForGateway` order: private to the namespace, exported to it, public.
pub fn virtual_services_for<'c, 'a>(all: &'c [VsEntry<'a>], key: &str, proxy_ns: &str) -> Vec<&'c VsEntry<'a>> {
    let public = |e: &VsEntry| e.export_to.is_empty() || e.export_to.iter().any(|x| x == "*");
    let group = |e: &VsEntry| {
        if public(e) {
            2
        } else if e.namespace == proxy_ns {
            0
        } else {
            1
        }
    };
    // Gateway API mesh routes (`route.go:279-292`): a producer route (in the service's
    // namespace) applies to every client, a consumer route only to clients in its namespace.
    let applies = |e: &VsEntry| {
        key != "mesh"
            || !e.gateway_api()
            || e.namespace == proxy_ns
            || e.hosts.iter().any(|h| hosts::service_of(h).is_some_and(|(ns, _)| ns == e.namespace))
    };
    let mut out: Vec<&VsEntry> = all
        .iter()
        .filter(|e| !e.hosts.is_empty() && e.gateways.iter().any(|g| g == key))
        .filter(|e| hosts::visible(&e.export_to, &e.namespace, proxy_ns))
        .filter(|e| applies(e))
        .collect();
    // `SelectVirtualServices`: within each group, Gateway API routes of the proxy's own
    // namespace come first (`model/virtualservice.go:34-116`).
    out.sort_by_key(|e| (group(e), !(e.gateway_api() && e.namespace == proxy_ns)));
    out
}

/// The VirtualServices a sidecar uses: bound to `mesh`, visible from its namespace, within its
/// Sidecar resource's egress hosts.
pub fn sidecar_virtual_services<'c, 'a>(cx: &'c Context<'a>, proxy: &Proxy) -> Vec<&'c VsEntry<'a>> {
    let mesh = cx.mesh();
    let sidecar = mesh.sidecar_for(&proxy.namespace, &proxy.labels);
    let in_egress =
        |e: &VsEntry| sidecar.is_none_or(|sc| e.hosts.iter().any(|h| mesh.egress_allows(sc, &e.namespace, h)));
    virtual_services_for(virtual_services(cx), "mesh", &proxy.namespace).into_iter().filter(|e| in_egress(e)).collect()
}

/// The indices of the destinations that get traffic: of one, that one; of several, those of
/// positive weight.
fn kept<T>(all: &[T], weight: impl Fn(&T) -> i32) -> Vec<usize> {
    if all.len() > 1 { (0..all.len()).filter(|&i| weight(&all[i]) > 0).collect() } else { (0..all.len()).collect() }
}

/// What istiod needs to resolve destinations.
pub(super) struct Scope<'c, 'a> {
    pub cx: &'c Context<'a>,
    pub proxy: &'c Proxy,
}

impl Scope<'_, '_> {
    /// Weighted destinations as `applyHTTPRouteDestination` / the TCP proxy get them: one
    /// destination takes all traffic; of several, weight 0 is dropped and the rest share by
    /// relative weight.
    pub fn weighted<'d>(
        &self,
        items: impl Iterator<Item = (&'d net::Destination, Option<i32>)>,
        vs_ns: &str,
        port: u32,
    ) -> Vec<Destination> {
        let all: Vec<(&net::Destination, i32)> = items.map(|(d, w)| (d, w.unwrap_or(0))).collect();
        let kept: Vec<(&net::Destination, i32)> = kept(&all, |(_, w)| *w).into_iter().map(|i| all[i]).collect();
        let total: f64 = kept.iter().map(|(_, w)| f64::from((*w).max(0))).sum();
        kept.iter()
            .map(|(d, w)| {
                let share = if kept.len() == 1 || total == 0.0 {
                    100.0
                } else {
                    (f64::from(*w) * 10000.0 / total).round() / 100.0
                };
                self.destination(d, vs_ns, port, share)
            })
            .collect()
    }

    /// One destination, as `GetDestinationCluster` names it, and whether Envoy has that cluster.
    pub fn destination(&self, d: &net::Destination, vs_ns: &str, listener_port: u32, weight: f64) -> Destination {
        if d.host.is_empty() {
            // istiod's translation of a Gateway API backendRef it cannot resolve.
            return Destination {
                cluster: String::new(),
                host: String::new(),
                subset: String::new(),
                port: 0,
                weight,
                missing: Some("the backendRef is not valid (see its route's ResolvedRefs condition)".into()),
                request_headers: Default::default(),
            };
        }
        let mesh = self.cx.mesh();
        let host = hosts::fqdn(&d.host, vs_ns);
        let services = mesh.services_for(&host, &self.proxy.namespace);
        let port = d.port.as_ref().and_then(|p| p.number).unwrap_or_else(|| match self.proxy.kind {
            ProxyKind::Gateway => match services.first().map(|s| s.ports.as_slice()) {
                Some([only]) => only.number,
                _ => listener_port,
            },
            ProxyKind::Sidecar => listener_port,
        });
        let subset = d.subset.clone().unwrap_or_default();
        let missing = if services.is_empty() {
            Some(format!("no service {host} is visible from namespace {}", self.proxy.namespace))
        } else if !services.iter().any(|s| s.ports.iter().any(|p| p.number == port)) {
            let ports: Vec<String> = services[0].ports.iter().map(|p| p.number.to_string()).collect();
            Some(format!("service {host} has no port {port} (ports: {})", ports.join(", ")))
        } else if !subset.is_empty() {
            let drs = mesh.destination_rules_for(&host, &self.proxy.namespace);
            if drs.iter().any(|dr| dr.subsets().any(|s| s.name == subset)) {
                None
            } else if drs.is_empty() {
                Some(format!("subset {subset} needs a DestinationRule for {host}, and none applies"))
            } else {
                let names: Vec<String> =
                    drs.iter().map(|d| format!("{}/{}", d.namespace, cx_name(self.cx, d.obj))).collect();
                Some(format!("subset {subset} is not defined in DestinationRule {}", names.join(", ")))
            }
        } else {
            None
        };
        Destination {
            cluster: format!("outbound|{port}|{subset}|{host}"),
            host,
            subset,
            port,
            weight,
            missing,
            request_headers: Default::default(),
        }
    }

    /// The action of a rule: redirect, then direct response, then route (istiod's precedence).
    fn action(&self, rule: &HTTPRoute, vs_ns: &str, port: u32) -> Action {
        if rule.redirect.is_some() {
            return Action::Redirect;
        }
        if let Some(dr) = &rule.direct_response {
            let body = dr.body.as_ref().and_then(|b| b.string.clone().or_else(|| b.bytes.clone()));
            return Action::DirectResponse { status: dr.status, body };
        }
        let routes: Vec<&net::HTTPRouteDestination> = rule.route.iter().flatten().collect();
        let mut dests = self.weighted(routes.iter().map(|r| (&r.destination, r.weight)), vs_ns, port);
        let own = rule.headers.as_ref().and_then(|h| h.request.as_ref());
        for (d, i) in dests.iter_mut().zip(kept(&routes, |r| r.weight.unwrap_or(0))) {
            d.request_headers.then(own);
            d.request_headers.then(routes[i].headers.as_ref().and_then(|h| h.request.as_ref()));
        }
        Action::Forward(dests)
    }

    fn mirrors(&self, rule: &HTTPRoute, vs_ns: &str, port: u32) -> Vec<(Destination, f64)> {
        let mut out = Vec::new();
        if let Some(m) = &rule.mirror {
            let pct = rule
                .mirror_percentage
                .as_ref()
                .and_then(|p| p.value)
                .or(rule.mirror_percent.map(f64::from))
                .unwrap_or(100.0);
            out.push((self.destination(m, vs_ns, port, 100.0), pct));
        }
        for m in rule.mirrors.iter().flatten() {
            let pct = m.percentage.as_ref().and_then(|p| p.value).unwrap_or(100.0);
            out.push((self.destination(&m.destination, vs_ns, port, 100.0), pct));
        }
        out.retain(|(_, pct)| *pct > 0.0);
        out
    }
}

fn cx_name(cx: &Context, obj: usize) -> String {
    cx.objects[obj].name.clone().unwrap_or_default()
}

/// `BuildHTTPRoutesForVirtualService` for one port and gateway (`mesh` for sidecars): the Envoy
/// routes of one VirtualService in order, and the rules and matches it did not emit.
fn translate<'c>(
    scope: &Scope<'_, '_>,
    e: &'c VsEntry<'_>,
    port: u32,
    gateway: &str,
) -> (Vec<Route<'c>>, Vec<Dropped>) {
    let mut routes = Vec::new();
    let mut dropped: Vec<Dropped> = e
        .merge_drops
        .iter()
        .map(|d| {
            Dropped::new(
                Provenance {
                    obj: e.obj,
                    namespace: e.namespace.clone(),
                    name: e.name.clone(),
                    rule: d.root_rule,
                    match_index: None,
                    delegate: d.delegate.clone(),
                    delegate_match: None,
                    kind: super::VIRTUAL_SERVICE,
                },
                d.reason.clone(),
            )
        })
        .collect();
    let prov = |rule: usize, m: Option<usize>| e.provenance(rule, m);
    let mut cut: Option<Provenance> = None;
    for (i, rule) in e.vs.spec.http.iter().flatten().enumerate() {
        let matches = rule.match_.as_deref().unwrap_or_default();
        if let Some(c) = &cut {
            let reason = format!("after the catch-all {c}: istiod stops translating the VirtualService there");
            if matches.is_empty() {
                dropped.push(Dropped::new(prov(i, None), reason));
            } else {
                dropped.extend((0..matches.len()).map(|j| Dropped::new(prov(i, Some(j)), reason.clone())));
            }
            continue;
        }
        let rule_ns = e.rule_namespace(i);
        let make = |m: RouteMatch, j: Option<usize>| Route {
            from: Some(prov(i, j)),
            name: match (&rule.name, j.and_then(|j| matches[j].name.as_ref())) {
                (Some(r), Some(m)) => format!("{r}.{m}"),
                (Some(r), None) => r.clone(),
                (None, Some(m)) => m.clone(),
                (None, None) => String::new(),
            },
            matcher: m,
            action: scope.action(rule, rule_ns, port),
            rule: Some(rule),
            mirrors: scope.mirrors(rule, rule_ns, port),
            server: None,
        };
        if matches.is_empty() {
            routes.push(make(RouteMatch::catch_all(), None));
            cut = Some(prov(i, None));
            continue;
        }
        for (j, m) in matches.iter().enumerate() {
            if let Some(c) = &cut {
                let reason = format!("after the catch-all {c}: istiod stops translating there");
                dropped.push(Dropped::new(prov(i, Some(j)), reason));
                continue;
            }
            if let Some(reason) = compile_time_miss(m, port, gateway, &e.namespace, scope.proxy) {
                dropped.push(Dropped::new(prov(i, Some(j)), reason));
                continue;
            }
            let rm = RouteMatch::from_istio(m);
            let rm = if e.gateway_api() { rm.with_gateway_semantics() } else { rm };
            let catch_all = rm.is_catch_all();
            routes.push(make(rm, Some(j)));
            if catch_all {
                cut = Some(prov(i, Some(j)));
            }
        }
    }
    for d in &mut dropped {
        d.hosts.clone_from(&e.hosts);
    }
    (routes, dropped)
}

/// The compile-time conditions of a match (`port`, `gateways`, `sourceLabels`,
/// `sourceNamespace`), from an HTTP, TCP or TLS match.
pub struct StaticConditions<'m> {
    pub port: Option<u32>,
    pub source_labels: Option<&'m StringMap>,
    pub source_namespace: Option<&'m str>,
    pub gateways: Option<&'m [String]>,
}

/// Why istiod leaves a match out of this proxy's routes (or listeners), if it does. `http`: with
/// `match.gateways` set, istiod ignores `sourceLabels` and `sourceNamespace` for HTTP; for TCP and
/// TLS every condition is ANDed.
pub fn static_miss(
    m: &StaticConditions,
    http: bool,
    port: u32,
    gateway: &str,
    vs_ns: &str,
    proxy: &Proxy,
) -> Option<String> {
    if let Some(p) = m.port.filter(|p| *p != 0 && *p != port) {
        return Some(format!("match.port {p} is not the listener port {port}"));
    }
    if let Some(gws) = m.gateways.filter(|g| !g.is_empty()) {
        let keys: Vec<String> = gws.iter().map(|g| gateway_key(g, vs_ns)).collect();
        if !keys.iter().any(|k| k == gateway) {
            return Some(format!("match.gateways [{}] does not include {gateway}", keys.join(", ")));
        }
        if http {
            return None;
        }
    }
    if let Some(sl) = m.source_labels.filter(|sl| !selects(sl, &proxy.labels)) {
        let want: Vec<String> = sl.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return Some(format!("sourceLabels {{{}}} do not select the {} proxy", want.join(","), kind_name(proxy)));
    }
    if let Some(ns) = m.source_namespace.filter(|ns| *ns != proxy.namespace) {
        return Some(format!("sourceNamespace {ns} is not the proxy's namespace {}", proxy.namespace));
    }
    None
}

/// The compile-time part of an HTTP match: why istiod leaves it out of this proxy's routes.
fn compile_time_miss(
    m: &net::HTTPMatchRequest,
    port: u32,
    gateway: &str,
    vs_ns: &str,
    proxy: &Proxy,
) -> Option<String> {
    let c = StaticConditions {
        port: m.port,
        source_labels: m.source_labels.as_ref(),
        source_namespace: m.source_namespace.as_deref(),
        gateways: m.gateways.as_deref(),
    };
    static_miss(&c, true, port, gateway, vs_ns, proxy)
}

fn kind_name(p: &Proxy) -> &'static str {
    match p.kind {
        ProxyKind::Gateway => "gateway",
        ProxyKind::Sidecar => "source",
    }
}

/// istiod's `SortVHostRoutes`: catch-all routes last, the rest in order.
fn catch_alls_last(routes: &mut Vec<Route<'_>>) {
    let (mut rest, all): (Vec<_>, Vec<_>) = routes.drain(..).partition(|r| !r.matcher.is_catch_all());
    rest.extend(all);
    *routes = rest;
}

/// The annotation the Gateway API controller writes on the Gateways it makes: the gateway
/// Services (hostnames) whose workloads the Gateway configures, instead of a selector.
pub const GATEWAY_SERVICE_ANNOTATION: &str = "internal.istio.io/gateway-service";
/// The namespace of a ListenerSet's parent Gateway, on the Gateways istiod generates for it.
pub const PARENT_NAMESPACE_ANNOTATION: &str = "internal.istio.io/parent-namespace";
/// Services with this label are skipped by port translation (`model/gateway.go`).
pub const DISABLE_PORT_TRANSLATION_LABEL: &str = "experimental.istio.io/disable-gateway-port-translation";

/// The services the gateway workload is an endpoint of (istiod's `ServiceTargets`), in
/// istiod's order: Kubernetes Services in its namespace that select it, ServiceEntries in its
/// namespace that select it or list its IP as an endpoint.
pub fn gateway_service_targets<'c, 'a>(cx: &'c Context<'a>, proxy: &Proxy) -> Vec<&'c ServiceRecord<'a>> {
    let mut out: Vec<&ServiceRecord> = cx
        .mesh()
        .services
        .iter()
        .filter(|s| s.namespace == proxy.namespace)
        .filter(|s| {
            let selected = s.selector.is_some_and(|sel| !sel.is_empty() && selects(sel, &proxy.labels));
            let endpoint =
                s.source == ServiceSource::ServiceEntry && proxy.ip.as_ref().is_some_and(|ip| s.endpoints.contains(ip));
            selected || endpoint
        })
        .collect();
    out.sort_by_cached_key(|s| s.order_key());
    out
}

/// The Gateways merged on a gateway workload, in istiod's order (creation time, name, namespace:
/// `model/push_context.go` initGateways), each with the services that tie it to the workload:
/// those its `gateway-service` annotation names (in the Gateway's namespace), or, for a Gateway
/// that selects by labels (a missing selector selects every gateway), all of the workload's.
pub fn merged_gateways<'c, 'a>(
    cx: &'c Context<'a>,
    proxy: &Proxy,
) -> Vec<(String, String, &'c Gateway, Vec<&'c ServiceRecord<'a>>, bool)> {
    let targets = gateway_service_targets(cx, proxy);
    // The input's Gateways, then those istiod generates from Gateway API listeners.
    let input = cx.mesh().gateways.values().filter_map(|&i| match cx.typed[i].as_ref()?.as_ref().ok()? {
        Typed::Gateway(g) => {
            Some((cx_name(cx, i), cx.objects[i].namespace_or(&cx.options.default_namespace).to_string(), g.as_ref()))
        }
        _ => None,
    });
    let translated = cx.gateway_api().gateways.iter().map(|t| (t.name.clone(), t.namespace.clone(), &t.gateway));
    let mut out: Vec<(String, String, &Gateway, Vec<&ServiceRecord>, bool)> = input
        .chain(translated)
        .filter_map(|(name, ns, g)| {
            let annotations = g.metadata.annotations.as_ref();
            let named = annotations.and_then(|a| a.get(GATEWAY_SERVICE_ANNOTATION));
            // A ListenerSet's Gateway binds the Services of its parent's namespace
            // (`model/push_context.go:2436`).
            let service_ns = annotations.and_then(|a| a.get(PARENT_NAMESPACE_ANNOTATION)).unwrap_or(&ns);
            match named {
                Some(list) => {
                    let names: Vec<&str> = list.split(',').map(str::trim).collect();
                    let through: Vec<&ServiceRecord> = targets
                        .iter()
                        .copied()
                        .filter(|s| s.namespace == *service_ns && names.contains(&s.host.as_str()))
                        .collect();
                    (!through.is_empty()).then_some((name, ns, g, through, false))
                }
                None => {
                    let sel = g.spec.selector.as_ref();
                    sel.is_none_or(|s| selects(s, &proxy.labels)).then(|| (name, ns, g, targets.clone(), true))
                }
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let ts = |g: &Gateway| g.metadata.creation_timestamp.clone().unwrap_or_default();
        ts(a.2).cmp(&ts(b.2)).then_with(|| a.0.cmp(&b.0)).then_with(|| a.1.cmp(&b.1))
    });
    out
}

/// The listener ports of a server port (`model/gateway.go` resolvePorts): through a label
/// selector, the `targetPort` of the first service whose port it is (services labelled
/// [`DISABLE_PORT_TRANSLATION_LABEL`] skipped), else the port itself; through the
/// `gateway-service` annotation, every such `targetPort`, and none when no service has the port.
pub fn listener_ports(services: &[&ServiceRecord], port: u32, legacy: bool) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for s in services {
        if legacy && s.labels.is_some_and(|l| l.get(DISABLE_PORT_TRANSLATION_LABEL).is_some()) {
            continue;
        }
        for p in s.ports.iter().filter(|p| p.number == port) {
            let target = p.target_port.as_ref().and_then(|t| t.parse().ok()).unwrap_or(port);
            if legacy {
                return vec![target];
            }
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    if out.is_empty() && legacy {
        out.push(port);
    }
    out
}

/// A Gateway server as one gateway workload gets it: (Gateway name, `ns/name`, namespace,
/// server, listener port).
pub type GatewayServer<'c> = (String, String, String, &'c Server, u32);

/// Every server of the Gateways on a gateway workload, once per listener port it gets.
pub fn gateway_servers<'c>(cx: &'c Context<'_>, proxy: &Proxy) -> Vec<GatewayServer<'c>> {
    let mut out = Vec::new();
    for (name, ns, g, services, legacy) in merged_gateways(cx, proxy) {
        let key = format!("{ns}/{name}");
        for s in g.spec.servers.iter().flatten() {
            for lp in listener_ports(&services, s.port.number, legacy) {
                out.push((name.clone(), key.clone(), ns.clone(), s, lp));
            }
        }
    }
    out
}

/// The listener port a connection to `port` of the gateway workload's Service arrives on: the
/// `targetPort` of the first service of the workload with that port, else the port itself.
pub fn gateway_listener_port(cx: &Context, proxy: &Proxy, port: u32) -> u32 {
    listener_ports(&gateway_service_targets(cx, proxy), port, true)[0]
}

/// How a gateway server carries traffic.
fn server_is_http(s: &Server) -> bool {
    matches!(s.port.protocol.0.to_ascii_uppercase().as_str(), "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB")
}

fn server_terminates_https(s: &Server) -> bool {
    s.port.protocol.0.eq_ignore_ascii_case("HTTPS")
        && !matches!(
            s.tls.as_ref().and_then(|t| t.mode),
            Some(ServerTLSMode::Passthrough) | Some(ServerTLSMode::AutoPassthrough)
        )
}

/// A gateway route table being assembled: name, server port, listener port, SNI hosts (HTTPS),
/// and its servers as (gateway `ns/name`, gateway namespace, server).
type Table<'c> = (String, u32, u32, Option<Vec<String>>, Vec<(String, String, &'c Server)>);

/// Every HTTP route configuration of a gateway workload: one `http.<port>` per plain-text port
/// (shared by its servers) and one per terminating HTTPS server.
pub fn compile_gateway<'c>(cx: &'c Context<'_>, proxy: &Proxy) -> Vec<RouteConfig<'c>> {
    // (route config name, server port) → servers (gateway key, gateway namespace, server).
    let mut tables: Vec<Table<'c>> = Vec::new();
    // Per listener port, whether its first server is plain-text HTTP: that one fixes it.
    let mut claimed: HashMap<u32, bool> = HashMap::new();
    for (gw_name, key, ns, s, target) in gateway_servers(cx, proxy) {
        let port = s.port.number;
        let http = server_is_http(s);
        let https = server_terminates_https(s);
        let plain = *claimed.entry(target).or_insert(http);
        if !(http || https) || (http != plain) {
            continue;
        }
        let (name, tls_hosts) = if http {
            (format!("http.{target}"), None)
        } else {
            let pname = s.port.name.clone().unwrap_or_default();
            let name = format!("https.{port}.{pname}.{gw_name}.{ns}");
            // Lower-cased, sorted and deduplicated once: the filter chain's server names as a set.
            let mut names: Vec<String> =
                s.hosts.iter().map(|h| hosts::server_host(h, &ns).1.to_ascii_lowercase()).collect();
            names.sort();
            names.dedup();
            (name, Some(names))
        };
        match tables.iter_mut().find(|t| t.0 == name) {
            Some(t) => t.4.push((key.clone(), ns.clone(), s)),
            None => tables.push((name, port, target, tls_hosts, vec![(key.clone(), ns.clone(), s)])),
        }
    }
    let all = virtual_services(cx);
    let scope = Scope { cx, proxy };
    tables
        .into_iter()
        .map(|(name, first_port, listener_port, tls_hosts, servers)| {
            let mut vhosts: Vec<VirtualHost<'c>> = Vec::new();
            let mut dropped: Vec<Dropped> = Vec::new();
            for (key, gw_ns, server) in &servers {
                // Virtual hosts keep the server's own port: `example.com:80` inside `http.8080`.
                let port = server.port.number;
                let redirect = server.tls.as_ref().and_then(|t| t.https_redirect).unwrap_or(false);
                for e in virtual_services_for(all, key, &proxy.namespace) {
                    let server_hosts: Vec<String> = server
                        .hosts
                        .iter()
                        .map(|h| hosts::server_host(h, gw_ns))
                        .filter(|(scope, _)| scope.is_none_or(|s| s == e.namespace))
                        .map(|(_, h)| h.to_ascii_lowercase())
                        .collect();
                    let mut common: Vec<String> = Vec::new();
                    for s in &server_hosts {
                        for v in &e.hosts {
                            let h = if hosts::covers(s, v) {
                                v
                            } else if hosts::covers(v, s) {
                                s
                            } else {
                                continue;
                            };
                            if !common.contains(h) {
                                common.push(h.clone());
                            }
                        }
                    }
                    if common.is_empty() {
                        continue;
                    }
                    let (mut routes, d) = translate(&scope, e, port, key);
                    let server: std::rc::Rc<str> = key.as_str().into();
                    for r in &mut routes {
                        r.server = Some(server.clone());
                    }
                    for x in d {
                        if !dropped.contains(&x) {
                            dropped.push(x);
                        }
                    }
                    if routes.is_empty() {
                        continue;
                    }
                    for h in common {
                        let vh = match vhosts.iter_mut().position(|v| v.domains[0] == h) {
                            Some(p) => &mut vhosts[p],
                            None => {
                                vhosts.push(VirtualHost {
                                    name: format!("{h}:{port}"),
                                    domains: vec![h.clone()],
                                    routes: Vec::new(),
                                    require_tls: false,
                                });
                                vhosts.last_mut().unwrap()
                            }
                        };
                        vh.routes.extend(routes.iter().cloned());
                        vh.require_tls |= redirect;
                    }
                }
                if redirect {
                    for h in &server.hosts {
                        let h = hosts::server_host(h, gw_ns).1.to_ascii_lowercase();
                        match vhosts.iter_mut().find(|v| v.domains[0] == h) {
                            Some(v) => v.require_tls = true,
                            None => vhosts.push(VirtualHost {
                                name: format!("{h}:{port}"),
                                domains: vec![h],
                                routes: Vec::new(),
                                require_tls: true,
                            }),
                        }
                    }
                }
            }
            for v in &mut vhosts {
                catch_alls_last(&mut v.routes);
            }
            if vhosts.is_empty() {
                vhosts.push(VirtualHost {
                    name: format!("blackhole:{first_port}"),
                    domains: vec!["*".into()],
                    routes: Vec::new(),
                    require_tls: false,
                });
            }
            let mut rc = RouteConfig::new(name, first_port, vhosts, dropped, tls_hosts);
            rc.listener_port = listener_port;
            rc
        })
        .collect()
}

/// How a service port's protocol is known: explicitly HTTP, explicitly something else, or
/// sniffed at run time (auto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortProtocol {
    Http,
    Other,
    Auto,
}

/// Istio's protocol selection for a service port ([`super::listener::protocol_of`]), as the kind of
/// listener it gets.
pub fn port_protocol(s: &ServiceRecord, port: u32) -> Option<PortProtocol> {
    let p = s.ports.iter().find(|p| p.number == port)?;
    Some(match super::listener::protocol_of(s, p).class() {
        Some(super::listener::Class::Http) => PortProtocol::Http,
        Some(super::listener::Class::Auto) => PortProtocol::Auto,
        _ => PortProtocol::Other,
    })
}

/// The host names a client in `proxy_ns` can use for a service (`generateVirtualHostDomains`):
/// the FQDN and its absolute form; for a Kubernetes service also `name.ns`, `name.ns.svc`, and
/// the bare name from the same namespace.
pub fn service_domains(host: &str, proxy_ns: &str) -> Vec<String> {
    let mut d = vec![host.to_string()];
    if let Some((ns, name)) = hosts::service_of(host) {
        if ns == proxy_ns {
            d.push(name.to_string());
        }
        d.push(format!("{name}.{ns}"));
        d.push(format!("{name}.{ns}.svc"));
    }
    if !host.starts_with('*') {
        d.push(format!("{host}."));
    }
    d
}

/// [`service_domains`] of a service and of the ExternalName Services that alias it.
pub fn service_domains_of(s: &ServiceRecord, proxy_ns: &str) -> Vec<String> {
    let mut d = service_domains(&s.host, proxy_ns);
    for a in &s.aliases {
        d.extend(service_domains(a, proxy_ns));
    }
    d
}

/// The outbound traffic policy for a sidecar: its Sidecar resource's, else the mesh's.
pub fn registry_only(cx: &Context, proxy: &Proxy) -> bool {
    let mesh = cx.mesh();
    let from_sidecar = mesh
        .sidecar_for(&proxy.namespace, &proxy.labels)
        .and_then(|sc| sc.sidecar.spec.outbound_traffic_policy.as_ref())
        .and_then(|p| p.mode);
    match from_sidecar {
        Some(m) => format!("{m:?}").eq_ignore_ascii_case("RegistryOnly"),
        None => mesh.config.outbound_traffic_policy.mode.eq_ignore_ascii_case("REGISTRY_ONLY"),
    }
}

/// The services a sidecar in `proxy.namespace` sees on `port`, one per host (its own
/// namespace's first), within its Sidecar resource's egress hosts.
pub fn sidecar_services<'c, 'a>(cx: &'c Context<'a>, proxy: &Proxy, port: u32) -> Vec<&'c ServiceRecord<'a>> {
    let mesh = cx.mesh();
    let sidecar = mesh.sidecar_for(&proxy.namespace, &proxy.labels);
    let mut by_host: Vec<&ServiceRecord> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for s in &mesh.services {
        if s.source == ServiceSource::Implicit
            || !s.ports.iter().any(|p| p.number == port)
            || !hosts::visible(&s.export_to, &s.namespace, &proxy.namespace)
            || sidecar.is_some_and(|sc| !mesh.egress_allows(sc, &s.namespace, &s.host))
        {
            continue;
        }
        match index.get(s.host.as_str()) {
            Some(&i) if s.namespace == proxy.namespace && by_host[i].namespace != proxy.namespace => by_host[i] = s,
            Some(_) => {}
            None => {
                index.insert(&s.host, by_host.len());
                by_host.push(s);
            }
        }
    }
    by_host
}

/// A sidecar's outbound route configuration for an HTTP port: `"<port>"` over every HTTP service
/// on the port (selected by Host), or for a sniffed port `"<host>:<port>"` over that one service
/// (`only`), whose virtual host then answers every Host.
pub fn compile_sidecar<'c, 'a>(
    cx: &'c Context<'a>,
    proxy: &Proxy,
    port: u32,
    only: Option<&ServiceRecord<'a>>,
) -> RouteConfig<'c> {
    let services: Vec<&ServiceRecord> = match only {
        Some(s) => vec![s],
        None => sidecar_services(cx, proxy, port)
            .into_iter()
            .filter(|s| port_protocol(s, port) == Some(PortProtocol::Http))
            .collect(),
    };
    let scope = Scope { cx, proxy };
    let mut vhosts: Vec<VirtualHost<'c>> = Vec::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    let mut covered: HashSet<String> = HashSet::new();
    // domain → the VirtualService that owns it (first wins).
    let mut owner: HashMap<String, String> = HashMap::new();
    let by_host: HashMap<&str, usize> = services.iter().enumerate().map(|(i, s)| (s.host.as_str(), i)).collect();
    let wildcard_services: Vec<&ServiceRecord> = services.iter().copied().filter(|s| s.host.starts_with('*')).collect();
    let on_service = |h: &str| {
        if h.starts_with('*') {
            services.iter().any(|s| hosts::matches(h, &s.host))
        } else {
            by_host.contains_key(h) || wildcard_services.iter().any(|s| hosts::matches(h, &s.host))
        }
    };
    let entries = sidecar_virtual_services(cx, proxy);
    let named_exactly: HashSet<&str> =
        entries.iter().flat_map(|e| e.hosts.iter()).filter(|h| !h.starts_with('*')).map(String::as_str).collect();
    let wildcards: Vec<&str> =
        entries.iter().flat_map(|e| e.hosts.iter()).filter(|h| h.starts_with('*')).map(String::as_str).collect();
    for e in entries.iter().copied() {
        let on_service = e.hosts.iter().any(|h| on_service(h));
        if (port != 80 || only.is_some()) && !on_service {
            continue;
        }
        let (routes, d) = translate(&scope, e, port, "mesh");
        dropped.extend(d);
        if routes.is_empty() {
            continue;
        }
        let mut domain_sets: Vec<(String, Vec<String>)> = Vec::new();
        for h in &e.hosts {
            if let Some(s) = by_host.get(h.as_str()).map(|&i| services[i]) {
                covered.insert(s.host.clone());
                domain_sets.push((h.clone(), service_domains_of(s, &proxy.namespace)));
            } else if h.starts_with('*') {
                // A wildcard host takes the services no VirtualService names exactly and for
                // which it is the most specific wildcard (`MostSpecificWildcardVirtualServiceIndex`);
                // matching none, it is a virtual host of its own.
                let mut any = false;
                for s in services.iter().filter(|s| hosts::covers(h, &s.host) && !e.hosts.contains(&s.host)) {
                    any = true;
                    if named_exactly.contains(s.host.as_str())
                        || wildcards.iter().any(|w| w.len() > h.len() && hosts::covers(w, &s.host))
                    {
                        continue;
                    }
                    if covered.insert(s.host.clone()) {
                        domain_sets.push((s.host.clone(), service_domains_of(s, &proxy.namespace)));
                    }
                }
                if !any && only.is_none() {
                    domain_sets.push((h.clone(), vec![h.clone()]));
                }
            } else if only.is_none() {
                domain_sets.push((h.clone(), vec![h.clone()]));
            }
        }
        let vs_name = format!("{}/{}", e.namespace, e.name);
        for (h, domains) in domain_sets {
            let mut kept = Vec::new();
            let mut lost_to = None;
            for d in domains {
                match owner.get(&d) {
                    Some(o) => lost_to = lost_to.or(Some(o.clone())),
                    None => {
                        owner.insert(d.clone(), vs_name.clone());
                        kept.push(d);
                    }
                }
            }
            if kept.is_empty() {
                let older = lost_to.unwrap_or_default();
                for r in &routes {
                    let reason = format!(
                        "host {h} belongs to VirtualService {older}, which comes first in istiod's order \
                         (private, exported, public; same-namespace Gateway API routes, then the oldest): a sidecar \
                         uses only the first VirtualService for a host"
                    );
                    let mut d = Dropped::new(r.from.clone().expect("VS route"), reason);
                    d.hosts.clone_from(&e.hosts);
                    dropped.push(d);
                }
                continue;
            }
            let domains = if only.is_some() { vec!["*".to_string()] } else { kept };
            vhosts.push(VirtualHost {
                name: format!("{h}:{port}"),
                domains,
                routes: routes.clone(),
                require_tls: false,
            });
        }
    }
    for s in services.iter().filter(|s| !covered.contains(&s.host)) {
        let domains: Vec<String> = if only.is_some() {
            vec!["*".into()]
        } else {
            service_domains_of(s, &proxy.namespace).into_iter().filter(|d| !owner.contains_key(d)).collect()
        };
        if domains.is_empty() {
            continue;
        }
        for d in &domains {
            owner.insert(d.clone(), s.host.clone());
        }
        let dest = scope.destination(
            &net::Destination { host: s.host.clone(), subset: None, port: None },
            &s.namespace,
            port,
            100.0,
        );
        vhosts.push(VirtualHost {
            name: format!("{}:{port}", s.host),
            domains,
            routes: vec![Route {
                from: None,
                name: "default".into(),
                matcher: RouteMatch::catch_all(),
                action: Action::Forward(vec![dest]),
                rule: None,
                mirrors: Vec::new(),
                server: None,
            }],
            require_tls: false,
        });
    }
    let name = match only {
        Some(s) => format!("{}:{port}", s.host),
        None => {
            let (vh, action) = if registry_only(cx, proxy) {
                ("block_all", Action::DirectResponse { status: 502, body: None })
            } else {
                ("allow_any", Action::Passthrough)
            };
            vhosts.push(VirtualHost {
                name: vh.into(),
                domains: vec!["*".into()],
                routes: vec![Route {
                    from: None,
                    name: vh.into(),
                    matcher: RouteMatch::catch_all(),
                    action,
                    rule: None,
                    mirrors: Vec::new(),
                    server: None,
                }],
                require_tls: false,
            });
            port.to_string()
        }
    };
    RouteConfig::new(name, port, vhosts, dropped, None)
}

/// The namespaces of the gateway workloads a Gateway selector picks (the root namespace when the
/// input holds none of them: the default ingress gateway lives there).
pub fn gateway_namespaces(cx: &Context, selector: &StringMap) -> Vec<String> {
    let mesh = cx.mesh();
    let mut namespaces: Vec<String> = Vec::new();
    // Through the label index: scanning every workload per Gateway was quadratic in large meshes.
    for w in mesh.workloads_anywhere(selector) {
        if !namespaces.contains(&w.namespace) {
            namespaces.push(w.namespace.clone());
        }
    }
    if namespaces.is_empty() {
        namespaces.push(mesh.config.root_namespace.clone());
    }
    namespaces
}

/// Every gateway workload the Gateways configure, once: each Gateway's selector in each namespace
/// of the workloads it selects, and the deployment of each Gateway API Gateway Istio programs.
pub fn gateway_proxies(cx: &Context) -> Vec<Proxy> {
    let mesh = cx.mesh();
    let mut keys: Vec<&(String, String)> = mesh.gateways.keys().collect();
    keys.sort();
    let mut out: Vec<Proxy> = Vec::new();
    for key in keys {
        let Some(Ok(Typed::Gateway(g))) = cx.typed[mesh.gateways[key]].as_ref() else { continue };
        let Some(sel) = g.spec.selector.as_ref() else { continue };
        for ns in gateway_namespaces(cx, sel) {
            if !out.iter().any(|p| p.namespace == ns && p.labels == *sel) {
                out.push(Proxy { kind: ProxyKind::Gateway, namespace: ns, labels: sel.clone(), ip: None });
            }
        }
    }
    // The pods Istio deploys for a Gateway API Gateway it programs, by their gateway-name label.
    let mut deployed: Vec<(&str, &str)> =
        cx.gateway_api().gateways.iter().map(|t| (t.deployment.0.as_str(), t.deployment.1.as_str())).collect();
    deployed.sort_unstable();
    deployed.dedup();
    for (ns, name) in deployed {
        let mut labels = StringMap::default();
        labels.insert(crate::model::gateway_api::GATEWAY_NAME_LABEL.to_string(), name.to_string());
        out.push(Proxy { kind: ProxyKind::Gateway, namespace: ns.to_string(), labels, ip: None });
    }
    out
}
