//! The mesh as a graph, for `meshctl graph`: gateway servers bind VirtualService rules, rules route
//! to service ports and subsets, subsets, services and gateways select workloads. Gateway API
//! listeners (and Services, for mesh routes) bind the rules of the routes they accept, as the
//! translation into Istio's configuration attaches them; a parent that refuses a route has an edge
//! that says why.
//!
//! Nodes are keyed by a stable id and inserted in id order, edges in (from, to, kind, weight)
//! order, so every rendering of the same input is the same.

use super::{DestinationRole, Mesh, ServiceRecord, Workload, hosts, selects};
use crate::model::core::StringMap;
use crate::model::networking::{Destination, Server, ServerTLSMode, VirtualService};
use crate::model::{Object, Typed};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// One server of a Gateway: port, protocol, hosts.
    GatewayServer,
    /// One HTTP, TCP or TLS rule of a VirtualService, or one rule of a Gateway API route.
    Rule,
    /// One listener of a Gateway API Gateway (or a parent Gateway the input does not hold).
    Listener,
    /// A service host and port (Service or ServiceEntry).
    Service,
    /// A DestinationRule subset of a host.
    Subset,
    /// A Pod, Deployment, StatefulSet, DaemonSet or WorkloadEntry, or the implicit ingress gateway.
    Workload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// A gateway server takes a VirtualService rule.
    Binds,
    /// A rule sends traffic to a service port or subset.
    RoutesTo,
    /// A rule mirrors traffic to a service port or subset.
    Mirrors,
    /// A gateway server, service or subset is served by a workload.
    Selects,
    /// A Gateway API parent does not accept a route: the edge's `reason` says why.
    Refuses,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Stable and unique: `kind:namespace/…`.
    pub id: String,
    pub kind: NodeKind,
    /// For people; lines separated by `\n`.
    pub label: String,
    pub namespace: String,
    /// Referenced but not defined: a destination host no service defines, a subset no
    /// DestinationRule defines.
    pub dangling: bool,
    /// Part of a conflict: a rule of a VirtualService that claims a host another one claims on the
    /// mesh gateway.
    pub conflict: bool,
    /// The object that defines the node and the pointer (relative to it) of the defining field;
    /// `None` for dangling and implicit nodes.
    pub origin: Option<(usize, String)>,
    /// The hosts the node stands for (`--focus`).
    pub hosts: Vec<String>,
    /// The Gateway (namespace, name) of a gateway server or listener (`--focus`).
    pub gateway: Option<(String, String)>,
    /// The status conditions the controller writes for a Gateway API listener or route (per
    /// parentRef), computed offline.
    pub conditions: Vec<NodeCondition>,
}

/// A status condition of a node, with the parent it is about (routes have one set per parentRef).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeCondition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(flatten)]
    pub condition: super::gateway_api::Condition,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Route weight in percent (a lone destination without one takes 100).
    pub weight: Option<i32>,
    /// Why a parent refuses a route, or why a backend reference does not resolve (a reason of
    /// the Gateway API status).
    pub reason: Option<&'static str>,
    /// On a service port's edge to a workload, when the input has security policies: what the
    /// authorization engine says of that hop.
    pub security: Option<EdgeSecurity>,
}

/// The transport and authorization of the hop from a service port into one workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeSecurity {
    /// The mode the workload's sidecar accepts on the port: STRICT, PERMISSIVE, DISABLE, or NONE
    /// (no sidecar).
    pub mtls: &'static str,
    /// Why every request on the port is refused, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied: Option<String>,
}

/// The graph of one input.
pub struct MeshGraph {
    pub graph: DiGraph<Node, Edge>,
}

impl MeshGraph {
    pub fn build(mesh: &Mesh, objects: &[Object], typed: &[Option<Result<Typed, String>>]) -> MeshGraph {
        let mut b = Builder { mesh, objects, typed, nodes: BTreeMap::new(), edges: BTreeSet::new() };
        b.workloads();
        b.services();
        b.subsets();
        b.gateways();
        b.virtual_services();
        b.gateway_api();
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        for (id, node) in b.nodes {
            index.insert(id, graph.add_node(node));
        }
        for (from, to, kind, weight, reason) in b.edges {
            graph.add_edge(index[&from], index[&to], Edge { kind, weight, reason, security: None });
        }
        MeshGraph { graph }
    }

    /// The graph with each service port's hop into a workload marked with its mTLS mode and,
    /// where the workload refuses every request on that port, the policy that does: the
    /// authorization engine's answers (`crate::authz`), when the input has security policies.
    pub fn build_secured(cx: &crate::lint::Context) -> MeshGraph {
        let mesh = cx.mesh();
        let mut g = MeshGraph::build(mesh, cx.objects, cx.typed);
        if cx.authz().is_empty() {
            return g;
        }
        let mut hops: BTreeMap<(String, String), EdgeSecurity> = BTreeMap::new();
        for s in mesh.services.iter().filter(|s| s.obj.is_some()) {
            let Some(sel) = s.selector.filter(|m| !m.is_empty()) else { continue };
            for w in mesh.workloads_in(&s.namespace, sel) {
                for p in &s.ports {
                    hops.insert(
                        (service_id(&s.namespace, &s.host, Some(p.number)), workload_id(w, cx.objects)),
                        hop_security(cx, s, p.number, w),
                    );
                }
            }
        }
        for e in g.graph.edge_indices() {
            let (a, b) = g.graph.edge_endpoints(e).expect("edge of this graph");
            if g.graph[e].kind != EdgeKind::Selects {
                continue;
            }
            let key = (g.graph[a].id.clone(), g.graph[b].id.clone());
            g.graph[e].security = hops.remove(&key);
        }
        g
    }

    /// The part of the graph connected to `target`, a host (a short name resolves in
    /// `default_namespace`) or a Gateway (`ns/name`, or `name`): what leads to it and what it leads
    /// to. `None` when nothing in the graph is `target`.
    pub fn focus(&self, target: &str, default_namespace: &str) -> Option<MeshGraph> {
        let fqdn = hosts::fqdn(target, default_namespace);
        let seeds: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&i| {
                let n = &self.graph[i];
                n.hosts.iter().any(|h| h == target || *h == fqdn)
                    || n.gateway.as_ref().is_some_and(|(ns, name)| name == target || format!("{ns}/{name}") == target)
            })
            .collect();
        if seeds.is_empty() {
            return None;
        }
        let mut keep = HashSet::new();
        for dir in [Direction::Outgoing, Direction::Incoming] {
            let mut stack = seeds.clone();
            let mut seen: HashSet<NodeIndex> = seeds.iter().copied().collect();
            while let Some(i) = stack.pop() {
                for j in self.graph.neighbors_directed(i, dir) {
                    if seen.insert(j) {
                        stack.push(j);
                    }
                }
            }
            keep.extend(seen);
        }
        let graph = self.graph.filter_map(|i, n| keep.contains(&i).then(|| n.clone()), |_, e| Some(e.clone()));
        Some(MeshGraph { graph })
    }
}

type EdgeKey = (String, String, EdgeKind, Option<i32>, Option<&'static str>);

struct Builder<'m, 'a> {
    mesh: &'m Mesh<'a>,
    objects: &'m [Object],
    typed: &'m [Option<Result<Typed, String>>],
    nodes: BTreeMap<String, Node>,
    edges: BTreeSet<EdgeKey>,
}

/// What the authorization engine says of the hop from port `port` of `s` into `w`.
fn hop_security(cx: &crate::lint::Context, s: &ServiceRecord, port: u32, w: &Workload) -> EdgeSecurity {
    use crate::authz::mtls::Server;
    let engine = cx.authz();
    let sp = s.ports.iter().find(|p| p.number == port);
    let wport = crate::authz::workload_port(cx, sp.and_then(|p| p.target_port.as_deref()), Some(w), port);
    let t = crate::authz::Target { namespace: &w.namespace, labels: w.labels };
    if crate::authz::sidecar(cx, w) == crate::authz::Sidecar::No {
        return EdgeSecurity { mtls: Server::NoSidecar.as_str(), denied: None };
    }
    // A sniffed port may carry HTTP: its rules with HTTP fields can match.
    let http = sp.is_none_or(|p| {
        crate::routing::listener::protocol_of(s, p).class() != Some(crate::routing::listener::Class::Tcp)
    });
    EdgeSecurity {
        mtls: engine.server_mode(&t, wport, &mut Vec::new()).as_str(),
        denied: engine.denies_all(&t, wport, http),
    }
}

fn workload_id(w: &Workload, objects: &[Object]) -> String {
    match w.obj {
        Some(i) => format!("workload:{}/{}/{}", w.namespace, objects[i].kind, objects[i].name.as_deref().unwrap_or("")),
        None => format!("workload:{}/implicit/istio-ingressgateway", w.namespace),
    }
}

fn service_id(ns: &str, host: &str, port: Option<u32>) -> String {
    match port {
        Some(p) => format!("service:{ns}/{host}:{p}"),
        None => format!("service:{ns}/{host}"),
    }
}

fn subset_id(ns: &str, host: &str, subset: &str) -> String {
    format!("subset:{ns}/{host}/{subset}")
}

fn labels(m: &StringMap) -> String {
    m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// A short summary of a route's match conditions: `*` when it matches everything.
fn summary(parts: Vec<String>) -> String {
    const MAX: usize = 3;
    match parts.len() {
        0 => "*".to_string(),
        n if n <= MAX => parts.join(" | "),
        n => format!("{} | +{} more", parts[..MAX].join(" | "), n - MAX),
    }
}

fn string_match(m: &crate::model::networking::StringMatch) -> String {
    match (&m.exact, &m.prefix, &m.regex) {
        (Some(e), _, _) => format!("={e}"),
        (_, Some(p), _) => format!("^{p}"),
        (_, _, Some(r)) => format!("~{r}"),
        _ => "=*".to_string(),
    }
}

impl<'m, 'a> Builder<'m, 'a> {
    fn node(&mut self, id: String, kind: NodeKind, label: String, namespace: &str) -> &mut Node {
        self.nodes.entry(id.clone()).or_insert_with(|| Node {
            id,
            kind,
            label,
            namespace: namespace.to_string(),
            dangling: false,
            conflict: false,
            origin: None,
            hosts: Vec::new(),
            gateway: None,
            conditions: Vec::new(),
        })
    }

    fn edge(&mut self, from: &str, to: &str, kind: EdgeKind, weight: Option<i32>) {
        self.edges.insert((from.to_string(), to.to_string(), kind, weight, None));
    }

    fn edge_because(&mut self, from: &str, to: &str, kind: EdgeKind, reason: &'static str) {
        self.edges.insert((from.to_string(), to.to_string(), kind, None, Some(reason)));
    }

    fn workloads(&mut self) {
        let mesh = self.mesh;
        for w in &mesh.workloads {
            let Some(i) = w.obj else { continue };
            let obj = &self.objects[i];
            let label =
                format!("{} {}/{}\n{}", obj.kind, w.namespace, obj.name.as_deref().unwrap_or(""), labels(w.labels));
            let n = self.node(workload_id(w, self.objects), NodeKind::Workload, label, &w.namespace);
            n.origin = Some((i, "/metadata/name".into()));
        }
    }

    /// An edge to a workload, adding the implicit ingress gateway when it is the target.
    fn select(&mut self, from: &str, w: &Workload) {
        let id = workload_id(w, self.objects);
        if w.obj.is_none() {
            let label = format!("implicit ingress gateway {}\n{}", w.namespace, labels(w.labels));
            self.node(id.clone(), NodeKind::Workload, label, &w.namespace);
        }
        self.edge(from, &id, EdgeKind::Selects, None);
    }

    /// The workloads a service's selector picks in its namespace, narrowed by `also` (a subset's
    /// labels). Services without a selector (or with an empty one) have no pods of their own.
    fn selected(&self, s: &ServiceRecord<'a>, also: Option<&StringMap>) -> Vec<&'m Workload<'a>> {
        let Some(sel) = s.selector.filter(|m| !m.is_empty()) else { return Vec::new() };
        let mesh: &'m Mesh<'a> = self.mesh;
        mesh.workloads_in(&s.namespace, sel).into_iter().filter(|w| also.is_none_or(|l| selects(l, w.labels))).collect()
    }

    fn service_node(&mut self, s: &ServiceRecord, port: Option<u32>) -> String {
        let id = service_id(&s.namespace, &s.host, port);
        let mut label = match port {
            Some(p) => format!("{}:{p}", s.host),
            None => s.host.clone(),
        };
        // A TCP, TLS or sniffed port is reached by its listeners' addresses, which the routing
        // engine builds: say which (HTTP ports share `0.0.0.0_<port>` and are told apart by Host).
        let sp = port.and_then(|p| s.ports.iter().find(|sp| sp.number == p));
        if let Some((protocol, listeners)) = sp.and_then(|sp| crate::routing::listener::port_listeners(s, sp)) {
            const SHOWN: usize = 3;
            let more = listeners.len().saturating_sub(SHOWN);
            let mut names = listeners.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
            if more > 0 {
                names.push_str(&format!(" +{more} more"));
            }
            let how =
                if protocol == crate::routing::listener::Protocol::Unsupported { "sniffed" } else { protocol.name() };
            if !names.is_empty() {
                label.push_str(&format!("\nlistener {names} ({how})"));
            }
        }
        let ptr = port
            .and_then(|p| s.ports.iter().position(|sp| sp.number == p))
            .map_or("/metadata/name".to_string(), |k| format!("/spec/ports/{k}"));
        let n = self.node(id.clone(), NodeKind::Service, label, &s.namespace);
        n.origin = s.obj.map(|i| (i, ptr));
        n.hosts = vec![s.host.clone()];
        id
    }

    fn services(&mut self) {
        let mesh = self.mesh;
        for s in mesh.services.iter().filter(|s| s.obj.is_some()) {
            let ports: Vec<Option<u32>> =
                if s.ports.is_empty() { vec![None] } else { s.ports.iter().map(|p| Some(p.number)).collect() };
            let selected = self.selected(s, None);
            for port in ports {
                let id = self.service_node(s, port);
                for w in &selected {
                    self.select(&id, w);
                }
            }
        }
    }

    fn subsets(&mut self) {
        let mesh = self.mesh;
        for dr in &mesh.destination_rules {
            let services = mesh.services_for(&dr.host, &dr.namespace);
            for (k, subset) in dr.subsets().enumerate() {
                let id = subset_id(&dr.namespace, &dr.host, &subset.name);
                let label = format!("{} / {}", dr.host, subset.name);
                let n = self.node(id.clone(), NodeKind::Subset, label, &dr.namespace);
                n.origin = Some((dr.obj, format!("/spec/subsets/{k}")));
                n.hosts = vec![dr.host.clone()];
                n.dangling = services.is_empty();
                let narrow = subset.labels.as_ref();
                for s in &services {
                    for w in self.selected(s, narrow) {
                        self.select(&id, w);
                    }
                }
            }
        }
    }

    fn gateways(&mut self) {
        let mesh = self.mesh;
        for ((ns, name), &i) in &mesh.gateways {
            let Some(Ok(Typed::Gateway(gw))) = &self.typed[i] else { continue };
            let workloads = mesh.gateway_workloads(gw);
            for (k, server) in gw.spec.servers.iter().flatten().enumerate() {
                let id = format!("server:{ns}/{name}/{k}");
                let label = format!(
                    "gateway {ns}/{name}\n:{} {}\n{}",
                    server.port.number,
                    server.port.protocol.0.to_uppercase(),
                    server.hosts.join(", ")
                );
                let n = self.node(id.clone(), NodeKind::GatewayServer, label, ns);
                n.origin = Some((i, format!("/spec/servers/{k}")));
                n.hosts = server.hosts.iter().map(|h| hosts::server_host(h, ns).1.to_string()).collect();
                n.gateway = Some((ns.clone(), name.clone()));
                for w in &workloads {
                    self.select(&id, w);
                }
            }
        }
    }

    fn virtual_services(&mut self) {
        let mesh = self.mesh;
        let conflicting: HashSet<usize> =
            mesh.mesh_host_conflicts(self.objects).into_iter().flat_map(|(_, vss)| vss).collect();
        for &(i, vs) in &mesh.virtual_services {
            let obj = &self.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace).to_string();
            let name = obj.name.clone().unwrap_or_default();
            let vs_hosts: Vec<String> = vs.spec.hosts.iter().flatten().map(|h| hosts::fqdn(h, &ns)).collect();
            for rule in rules(vs) {
                let id = format!("rule:{ns}/{name}/{}/{}", rule.section, rule.index);
                let label = format!("{ns}/{name} {}[{}]\n{}", rule.section, rule.index, summary(rule.matches.clone()));
                let n = self.node(id.clone(), NodeKind::Rule, label, &ns);
                n.origin = Some((i, format!("/spec/{}/{}", rule.section, rule.index)));
                n.hosts = vs_hosts.clone();
                n.conflict = conflicting.contains(&i);
                for (dest, role, weight) in &rule.destinations {
                    self.destination(&id, &ns, dest, *role, *weight);
                }
                self.bind(vs, &ns, &vs_hosts, &rule, &id);
            }
        }
    }

    /// Edges from the servers of the gateways the VirtualService names that take `rule`: a VS
    /// host matches a server host (within the server's namespace scope), the server's protocol
    /// carries the rule's section, and some match of the rule applies to that gateway and port.
    fn bind(&mut self, vs: &VirtualService, ns: &str, vs_hosts: &[String], rule: &RuleInfo, rule_id: &str) {
        let mesh = self.mesh;
        for reference in vs.spec.gateways.iter().flatten() {
            let Some((gi, key)) = mesh.gateway(reference, ns) else { continue };
            let Some(Ok(Typed::Gateway(gw))) = &self.typed[gi] else { continue };
            for (k, server) in gw.spec.servers.iter().flatten().enumerate() {
                let host_ok = server.hosts.iter().any(|sh| {
                    let (scope, host) = hosts::server_host(sh, &key.0);
                    scope.is_none_or(|s| s == ns) && vs_hosts.iter().any(|h| hosts::matches(h, host))
                });
                let applies = rule.scopes.is_empty()
                    || rule.scopes.iter().any(|(gws, port)| {
                        port.is_none_or(|p| p == server.port.number)
                            && gws
                                .as_ref()
                                .is_none_or(|g| g.iter().any(|r| hosts::gateway_ref(r, ns).as_ref() == Some(&key)))
                    });
                if host_ok && applies && section_of(server) == rule.section {
                    self.edge(&format!("server:{}/{}/{k}", key.0, key.1), rule_id, EdgeKind::Binds, None);
                }
            }
        }
    }

    /// Gateway API: listeners and the rules of HTTP, gRPC and TLS routes. A rule is bound where the
    /// translation attached it (the engine's answer), refused where a parent's status says so.
    fn gateway_api(&mut self) {
        let mesh = self.mesh;
        let t = super::gateway_api::translate(self.objects, self.typed, mesh.default_namespace, mesh);
        for l in &t.listeners {
            let (owner, specs) = match &self.typed[l.gateway] {
                Some(Ok(Typed::KubernetesGateway(g))) => ("gateway", g.spec.listeners.as_ref()),
                Some(Ok(Typed::ListenerSet(ls))) => ("listener set", ls.spec.listeners.as_ref()),
                _ => continue,
            };
            let Some(spec) = specs.and_then(|ls| ls.get(l.index)) else { continue };
            let hostname = spec.hostname.clone().unwrap_or_else(|| "*".into());
            let label = format!(
                "{owner} {}/{} (Gateway API)\nlistener {} :{} {}\n{hostname}",
                l.namespace,
                l.name,
                l.listener,
                spec.port.unwrap_or_default(),
                spec.protocol.as_deref().unwrap_or_default()
            );
            let id = listener_id(&l.namespace, &l.name, &l.listener);
            let n = self.node(id.clone(), NodeKind::Listener, label, &l.namespace);
            n.origin = Some((l.gateway, format!("/spec/listeners/{}", l.index)));
            n.hosts = vec![hostname];
            n.gateway = Some((l.namespace.clone(), l.name.clone()));
            n.conditions = l.conditions.iter().map(|c| NodeCondition { parent: None, condition: c.clone() }).collect();
            let workloads: Vec<&Workload> = mesh.workloads.iter().filter(|w| w.obj == Some(l.served_by)).collect();
            for w in workloads {
                self.select(&id, w);
            }
        }
        // The Gateway's own conditions go on the pods deployed for it.
        for g in &t.gateway_status {
            for w in mesh.workloads.iter().filter(|w| w.obj == Some(g.gateway)) {
                if let Some(n) = self.nodes.get_mut(&workload_id(w, self.objects)) {
                    n.conditions =
                        g.conditions.iter().map(|c| NodeCondition { parent: None, condition: c.clone() }).collect();
                }
            }
        }
        // Every rule of every route, attached or not.
        let mut rule_ids: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (i, t_) in self.typed.iter().enumerate() {
            let Some(Ok(typed)) = t_ else { continue };
            let Some(route) = GatewayRoute::of(typed) else { continue };
            let obj = &self.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace).to_string();
            let name = obj.name.clone().unwrap_or_default();
            let hostnames: Vec<String> = route.hostnames.into_iter().flatten().cloned().collect();
            for (r, rule) in route.rules.iter().enumerate() {
                let id = format!("route:{ns}/{}/{name}/rules/{r}", route.kind);
                let label = format!("{} {ns}/{name} rules[{r}]\n{}", route.kind, summary(rule.matches.clone()));
                let n = self.node(id.clone(), NodeKind::Rule, label, &ns);
                n.origin = Some((i, format!("/spec/rules/{r}")));
                n.hosts.clone_from(&hostnames);
                let total: i64 = rule.backends.iter().map(|b| b.weight.unwrap_or(1).max(0)).sum();
                // Why the translation could not resolve the reference at `pointer`, if it could not.
                let error = |pointer: String| {
                    let prefix = format!("{pointer}/");
                    t.errors
                        .iter()
                        .find(|(o, p, _, _)| *o == i && (*p == pointer || p.starts_with(&prefix)))
                        .map(|e| e.2)
                };
                for (k, b) in rule.backends.iter().enumerate() {
                    let share = b.weight.unwrap_or(1).max(0);
                    let weight = if total > 0 { (share * 100 / total) as i32 } else { 0 };
                    let why = error(format!("/spec/rules/{r}/backendRefs/{k}"));
                    self.backend(&ns, &id, b, Some(weight), why);
                }
                for (k, f) in rule.mirrors.iter() {
                    let why = error(format!("/spec/rules/{r}/filters/{k}/requestMirror/backendRef"));
                    self.backend(&ns, &id, f, None, why);
                }
                rule_ids.entry(i).or_default().push(id);
            }
        }
        for p in &t.parents {
            let ids = rule_ids.get(&p.route).cloned().unwrap_or_default();
            let conditions: Vec<NodeCondition> = p
                .conditions
                .iter()
                .map(|c| NodeCondition { parent: Some(p.parent.clone()), condition: c.clone() })
                .collect();
            for id in &ids {
                if let Some(n) = self.nodes.get_mut(id) {
                    n.conditions.extend(conditions.iter().cloned());
                }
            }
            let refused = p.conditions.iter().find(|c| c.type_ == "Accepted" && c.status == "False");
            let Some(refused) = refused else { continue };
            // The listeners of the parent Gateway that were asked: the named section, or all.
            let mut parts = p.parent.splitn(3, '/');
            let (gns, gname, section) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
            let from: Vec<String> = t
                .listeners
                .iter()
                .filter(|l| l.namespace == gns && l.name == gname && section.is_none_or(|s| s == l.listener))
                .map(|l| listener_id(&l.namespace, &l.name, &l.listener))
                .collect();
            for l in &from {
                for id in &ids {
                    self.edge_because(l, id, EdgeKind::Refuses, refused.reason);
                }
            }
        }
        for m in &t.missing_parents {
            let id = format!("parent:{}/{}/{}", m.namespace, m.kind, m.name);
            let n = self.node(
                id.clone(),
                NodeKind::Listener,
                format!("{} {}/{}", m.kind, m.namespace, m.name),
                &m.namespace,
            );
            n.dangling = true;
            if m.kind == "Gateway" {
                n.gateway = Some((m.namespace.clone(), m.name.clone()));
            }
            for rule in rule_ids.get(&m.route).cloned().unwrap_or_default() {
                self.edge_because(&id, &rule, EdgeKind::Refuses, "NotFound");
            }
        }
        // Where the translation attached each rule: the generated Istio Gateway of a listener, or
        // the mesh (a Service parent) for the hosts of the generated VirtualService.
        for v in &t.virtual_services {
            let gateways: Vec<&String> = v.vs.spec.gateways.iter().flatten().collect();
            let hosts_: Vec<String> = v.vs.spec.hosts.iter().flatten().cloned().collect();
            for o in &v.origins {
                let id = format!("route:{}/{}/{}/rules/{}", o.namespace, o.kind, o.name, o.rule);
                for g in &gateways {
                    if g.as_str() == "mesh" {
                        for h in &hosts_ {
                            let services: Vec<&ServiceRecord> = mesh.services_for(h, &v.namespace);
                            for s in services {
                                let ports: Vec<Option<u32>> = if s.ports.is_empty() {
                                    vec![None]
                                } else {
                                    s.ports.iter().map(|p| Some(p.number)).collect()
                                };
                                for port in ports {
                                    let sid = self.service_node(s, port);
                                    self.edge(&sid, &id, EdgeKind::Binds, None);
                                }
                            }
                        }
                        continue;
                    }
                    let Some((gns, internal)) = g.split_once('/') else { continue };
                    let Some((gname, listener)) = internal.split_once(hosts::INTERNAL_GATEWAY_MARKER) else {
                        continue;
                    };
                    let lid = listener_id(gns, gname, listener);
                    if self.nodes.contains_key(&lid) {
                        self.edge(&lid, &id, EdgeKind::Binds, None);
                    }
                }
            }
        }
    }

    /// An edge from a route rule to the Service a backendRef names, or to a dangling node where
    /// the translation could not resolve it (the reason on the edge).
    fn backend(&mut self, ns: &str, rule_id: &str, b: &BackendSpec, weight: Option<i32>, error: Option<&'static str>) {
        let kind = if weight.is_none() { EdgeKind::Mirrors } else { EdgeKind::RoutesTo };
        let bns = b.namespace.clone().unwrap_or_else(|| ns.to_string());
        let host = if b.service { format!("{}.{bns}.{}", b.name, hosts::CLUSTER_SUFFIX) } else { b.name.clone() };
        if let Some(reason) = error {
            // A reference the route may not use still names a Service that may exist.
            let mesh = self.mesh;
            let services = if b.service { mesh.services_for(&host, &bns) } else { Vec::new() };
            if services.is_empty() {
                let id = service_id(&bns, &host, b.port);
                let label = b.port.map_or(host.clone(), |p| format!("{host}:{p}"));
                let n = self.node(id.clone(), NodeKind::Service, label, &bns);
                n.dangling = true;
                n.hosts = vec![host];
                self.edges.insert((rule_id.to_string(), id, kind, weight, Some(reason)));
            }
            for s in services {
                let id = self.service_node(s, b.port);
                self.edges.insert((rule_id.to_string(), id, kind, weight, Some(reason)));
            }
            return;
        }
        let dest = Destination {
            host,
            subset: None,
            port: b.port.map(|p| crate::model::networking::PortSelector { number: Some(p) }),
        };
        let role = if weight.is_none() { DestinationRole::Mirror } else { DestinationRole::Route };
        self.destination(rule_id, &bns, &dest, role, weight);
    }

    fn destination(&mut self, rule_id: &str, ns: &str, dest: &Destination, role: DestinationRole, weight: Option<i32>) {
        if dest.host.is_empty() {
            return;
        }
        let mesh = self.mesh;
        let kind = if role == DestinationRole::Mirror { EdgeKind::Mirrors } else { EdgeKind::RoutesTo };
        let fqdn = hosts::fqdn(&dest.host, ns);
        let services = mesh.services_for(&dest.host, ns);
        let port = dest.port.as_ref().and_then(|p| p.number);
        if let Some(subset) = &dest.subset {
            let defining: Vec<String> = mesh
                .destination_rules_for(&fqdn, ns)
                .into_iter()
                .filter(|d| d.subsets().any(|s| &s.name == subset))
                .map(|d| subset_id(&d.namespace, &d.host, subset))
                .collect();
            if defining.is_empty() || services.is_empty() {
                let id = subset_id(ns, &fqdn, subset);
                let n = self.node(id.clone(), NodeKind::Subset, format!("{fqdn} / {subset}"), ns);
                n.dangling = true;
                n.hosts = vec![fqdn.clone()];
                self.edge(rule_id, &id, kind, weight);
            } else {
                for id in defining {
                    self.edge(rule_id, &id, kind, weight);
                }
            }
            return;
        }
        if services.is_empty() {
            let id = service_id(ns, &fqdn, port);
            let label = port.map_or(fqdn.clone(), |p| format!("{fqdn}:{p}"));
            let n = self.node(id.clone(), NodeKind::Service, label, ns);
            n.dangling = true;
            n.hosts = vec![fqdn];
            self.edge(rule_id, &id, kind, weight);
            return;
        }
        for s in services {
            let port = port.or(match s.ports.as_slice() {
                [only] => Some(only.number),
                _ => None,
            });
            let id = self.service_node(s, port);
            if s.obj.is_none() {
                let selected = self.selected(s, None);
                for w in selected {
                    self.select(&id, w);
                }
            }
            self.edge(rule_id, &id, kind, weight);
        }
    }
}

fn listener_id(ns: &str, gateway: &str, listener: &str) -> String {
    format!("listener:{ns}/{gateway}/{listener}")
}

/// A backendRef as the graph draws it.
struct BackendSpec {
    /// A core Service (else an Istio `Hostname`, named by its host).
    service: bool,
    name: String,
    namespace: Option<String>,
    port: Option<u32>,
    weight: Option<i64>,
}

impl BackendSpec {
    /// A backendRef (of any route kind; an HTTP one through `HTTPBackendRef::backend`).
    fn of(b: &crate::model::gateway_api::BackendRef) -> BackendSpec {
        BackendSpec {
            service: b.group.as_deref().unwrap_or("").is_empty() && b.kind.as_deref().unwrap_or("Service") == "Service",
            name: b.name.clone().unwrap_or_default(),
            namespace: b.namespace.clone().filter(|n| !n.is_empty()),
            port: b.port,
            weight: b.weight,
        }
    }
}

/// One rule of a Gateway API route: its match summaries, backends and mirror backends (with the
/// index of their filter).
struct GatewayRule {
    matches: Vec<String>,
    backends: Vec<BackendSpec>,
    mirrors: Vec<(usize, BackendSpec)>,
}

/// An HTTPRoute, GRPCRoute, TLSRoute or TCPRoute as the graph draws it.
struct GatewayRoute<'t> {
    kind: &'static str,
    hostnames: Option<&'t Vec<String>>,
    rules: Vec<GatewayRule>,
}

fn http_backends(refs: Option<&Vec<crate::model::gateway_api::HTTPBackendRef>>) -> Vec<BackendSpec> {
    refs.into_iter().flatten().map(|b| BackendSpec::of(&b.backend())).collect()
}

fn mirrors(filters: Option<&Vec<crate::model::gateway_api::HTTPRouteFilter>>) -> Vec<(usize, BackendSpec)> {
    filters
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(k, f)| {
            let b = f.request_mirror.as_ref()?.backend_ref.as_ref()?;
            Some((k, BackendSpec { weight: None, ..BackendSpec::of(b) }))
        })
        .collect()
}

fn name_values(out: &mut Vec<String>, prefix: &str, list: Option<&Vec<crate::model::gateway_api::NameValueMatch>>) {
    for h in list.into_iter().flatten() {
        let op = if h.type_.as_deref() == Some("RegularExpression") { "~" } else { "=" };
        out.push(format!(
            "{prefix}{}{op}{}",
            h.name.as_deref().unwrap_or_default(),
            h.value.as_deref().unwrap_or_default()
        ));
    }
}

/// A rule of an HTTPRoute or GRPCRoute: each match summarised (`*` for none), its backends and
/// mirrors.
fn http_rule<M>(
    matches: Option<&Vec<M>>,
    summary: impl Fn(&M) -> Vec<String>,
    refs: Option<&Vec<crate::model::gateway_api::HTTPBackendRef>>,
    filters: Option<&Vec<crate::model::gateway_api::HTTPRouteFilter>>,
) -> GatewayRule {
    GatewayRule {
        matches: matches
            .into_iter()
            .flatten()
            .map(|m| {
                let p = summary(m);
                if p.is_empty() { "*".to_string() } else { p.join(" ") }
            })
            .collect(),
        backends: http_backends(refs),
        mirrors: mirrors(filters),
    }
}

impl<'t> GatewayRoute<'t> {
    fn of(typed: &'t Typed) -> Option<GatewayRoute<'t>> {
        match typed {
            Typed::HTTPRoute(r) => Some(GatewayRoute {
                kind: "HTTPRoute",
                hostnames: r.spec.hostnames.as_ref(),
                rules: r
                    .spec
                    .rules
                    .iter()
                    .flatten()
                    .map(|rule| {
                        let summary = |m: &crate::model::gateway_api::HTTPRouteMatch| {
                            let mut p = Vec::new();
                            if let Some(path) = &m.path {
                                let op = match path.type_.as_deref().unwrap_or("PathPrefix") {
                                    "Exact" => "=",
                                    "RegularExpression" => "~",
                                    _ => "^",
                                };
                                p.push(format!("path{op}{}", path.value.as_deref().unwrap_or("/")));
                            }
                            if let Some(method) = &m.method {
                                p.push(format!("method={method}"));
                            }
                            name_values(&mut p, "", m.headers.as_ref());
                            name_values(&mut p, "?", m.query_params.as_ref());
                            p
                        };
                        http_rule(rule.matches.as_ref(), summary, rule.backend_refs.as_ref(), rule.filters.as_ref())
                    })
                    .collect(),
            }),
            Typed::GRPCRoute(r) => Some(GatewayRoute {
                kind: "GRPCRoute",
                hostnames: r.spec.hostnames.as_ref(),
                rules: r
                    .spec
                    .rules
                    .iter()
                    .flatten()
                    .map(|rule| {
                        let summary = |m: &crate::model::gateway_api::GRPCRouteMatch| {
                            let mut p = Vec::new();
                            if let Some(method) = &m.method {
                                p.push(format!(
                                    "/{}/{}",
                                    method.service.as_deref().unwrap_or("*"),
                                    method.method.as_deref().unwrap_or("*")
                                ));
                            }
                            name_values(&mut p, "", m.headers.as_ref());
                            p
                        };
                        http_rule(rule.matches.as_ref(), summary, rule.backend_refs.as_ref(), rule.filters.as_ref())
                    })
                    .collect(),
            }),
            Typed::TLSRoute(r) => Some(GatewayRoute {
                kind: "TLSRoute",
                hostnames: r.spec.hostnames.as_ref(),
                rules: l4_rules(
                    r.spec.rules.as_deref(),
                    &format!("sni={}", r.spec.hostnames.iter().flatten().cloned().collect::<Vec<_>>().join(",")),
                ),
            }),
            Typed::TCPRoute(r) => {
                Some(GatewayRoute { kind: "TCPRoute", hostnames: None, rules: l4_rules(r.spec.rules.as_deref(), "*") })
            }
            _ => None,
        }
    }
}

/// The rules of a TLSRoute or TCPRoute: one match each (the SNI names, or `*`) and its backends.
fn l4_rules(rules: Option<&[crate::model::gateway_api::L4RouteRule]>, matches: &str) -> Vec<GatewayRule> {
    rules
        .unwrap_or_default()
        .iter()
        .map(|rule| GatewayRule {
            matches: vec![matches.to_string()],
            backends: rule.backend_refs.iter().flatten().map(BackendSpec::of).collect(),
            mirrors: Vec::new(),
        })
        .collect()
}

/// Which VirtualService section a gateway server carries: HTTP routes for HTTP servers and
/// terminated HTTPS, TLS routes for passthrough TLS, TCP routes otherwise.
fn section_of(server: &Server) -> &'static str {
    let mode = server.tls.as_ref().and_then(|t| t.mode);
    let passthrough = matches!(mode, Some(ServerTLSMode::Passthrough | ServerTLSMode::AutoPassthrough));
    match server.port.protocol.0.to_uppercase().as_str() {
        "HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" => "http",
        "HTTPS" if !passthrough => "http",
        "HTTPS" | "TLS" if passthrough => "tls",
        _ => "tcp",
    }
}

/// One rule of a VirtualService, flattened over its section.
struct RuleInfo<'v> {
    section: &'static str,
    index: usize,
    matches: Vec<String>,
    /// Per match: its `gateways` (None: the VirtualService's) and `port`. Empty: no match block.
    scopes: Vec<(Option<&'v [String]>, Option<u32>)>,
    destinations: Vec<(&'v Destination, DestinationRole, Option<i32>)>,
}

fn lone_weight(count: usize, w: Option<i32>) -> Option<i32> {
    w.or((count == 1).then_some(100))
}

fn rules(vs: &VirtualService) -> Vec<RuleInfo<'_>> {
    let mut out = Vec::new();
    for (index, h) in vs.spec.http.iter().flatten().enumerate() {
        let ms = h.match_.as_deref().unwrap_or_default();
        let matches = ms
            .iter()
            .map(|m| {
                let mut p = Vec::new();
                if let Some(name) = &m.name {
                    p.push(format!("\"{name}\""));
                }
                for (what, sm) in
                    [("uri", &m.uri), ("method", &m.method), ("authority", &m.authority), ("scheme", &m.scheme)]
                {
                    if let Some(sm) = sm {
                        p.push(format!("{what}{}", string_match(sm)));
                    }
                }
                for (k, sm) in m.headers.iter().flatten() {
                    p.push(format!("{k}{}", string_match(sm)));
                }
                for (k, sm) in m.query_params.iter().flatten() {
                    p.push(format!("?{k}{}", string_match(sm)));
                }
                if let Some(port) = m.port {
                    p.push(format!("port={port}"));
                }
                if p.is_empty() { "*".to_string() } else { p.join(" ") }
            })
            .collect();
        let routes = h.route.as_deref().unwrap_or_default();
        let mut destinations: Vec<_> = routes
            .iter()
            .map(|r| (&r.destination, DestinationRole::Route, lone_weight(routes.len(), r.weight)))
            .collect();
        destinations.extend(h.mirror.iter().map(|m| (m, DestinationRole::Mirror, None)));
        destinations.extend(h.mirrors.iter().flatten().map(|m| (&m.destination, DestinationRole::Mirror, None)));
        let scopes = ms.iter().map(|m| (m.gateways.as_deref(), m.port)).collect();
        out.push(RuleInfo { section: "http", index, matches, scopes, destinations });
    }
    for (index, t) in vs.spec.tcp.iter().flatten().enumerate() {
        let ms = t.match_.as_deref().unwrap_or_default();
        let matches = ms
            .iter()
            .map(|m| {
                let mut p = Vec::new();
                if let Some(port) = m.port {
                    p.push(format!("port={port}"));
                }
                p.extend(m.destination_subnets.iter().flatten().cloned());
                if p.is_empty() { "*".to_string() } else { p.join(" ") }
            })
            .collect();
        let routes = t.route.as_deref().unwrap_or_default();
        let destinations = routes
            .iter()
            .map(|r| (&r.destination, DestinationRole::Route, lone_weight(routes.len(), r.weight)))
            .collect();
        let scopes = ms.iter().map(|m| (m.gateways.as_deref(), m.port)).collect();
        out.push(RuleInfo { section: "tcp", index, matches, scopes, destinations });
    }
    for (index, t) in vs.spec.tls.iter().flatten().enumerate() {
        let matches = t
            .match_
            .iter()
            .map(|m| {
                let mut p = vec![format!("sni={}", m.sni_hosts.join(","))];
                if let Some(port) = m.port {
                    p.push(format!("port={port}"));
                }
                p.join(" ")
            })
            .collect();
        let routes = t.route.as_deref().unwrap_or_default();
        let destinations = routes
            .iter()
            .map(|r| (&r.destination, DestinationRole::Route, lone_weight(routes.len(), r.weight)))
            .collect();
        let scopes = t.match_.iter().map(|m| (m.gateways.as_deref(), m.port)).collect();
        out.push(RuleInfo { section: "tls", index, matches, scopes, destinations });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(yaml: &str) -> MeshGraph {
        let mut s = crate::source::Sources::default();
        s.add("t.yaml".into(), yaml.into());
        let inputs = crate::lint::Inputs::parse(s);
        let config = crate::mesh::MeshConfig::default();
        let mesh = Mesh::build(&inputs.docs, &inputs.objects, &inputs.typed, "default", &config);
        MeshGraph::build(&mesh, &inputs.objects, &inputs.typed)
    }

    fn node<'g>(g: &'g MeshGraph, id: &str) -> &'g Node {
        g.graph.node_weights().find(|n| n.id == id).unwrap_or_else(|| panic!("no node {id}"))
    }

    fn edges(g: &MeshGraph) -> Vec<(String, String, EdgeKind, Option<i32>)> {
        g.graph
            .edge_indices()
            .map(|e| {
                let (a, b) = g.graph.edge_endpoints(e).unwrap();
                (g.graph[a].id.clone(), g.graph[b].id.clone(), g.graph[e].kind, g.graph[e].weight)
            })
            .collect()
    }

    const CONFLICT: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: other}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route: [{destination: {host: nowhere, port: {number: 80}}, weight: 70}, {destination: {host: reviews.default.svc.cluster.local, subset: v9}, weight: 30}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{port: 9080}]
"#;

    #[test]
    fn conflicts_and_dangling() {
        let g = graph(CONFLICT);
        assert!(node(&g, "rule:default/a/http/0").conflict);
        assert!(node(&g, "rule:other/b/http/0").conflict);
        assert!(node(&g, "service:other/nowhere.other.svc.cluster.local:80").dangling);
        assert!(node(&g, "subset:other/reviews.default.svc.cluster.local/v9").dangling);
        assert!(!node(&g, "service:default/reviews.default.svc.cluster.local:9080").dangling);
        let e = edges(&g);
        assert!(e.contains(&(
            "rule:default/a/http/0".into(),
            "service:default/reviews.default.svc.cluster.local:9080".into(),
            EdgeKind::RoutesTo,
            Some(100)
        )));
        assert!(e.contains(&(
            "rule:other/b/http/0".into(),
            "service:other/nowhere.other.svc.cluster.local:80".into(),
            EdgeKind::RoutesTo,
            Some(70)
        )));
    }

    #[test]
    fn no_conflict_when_bound_only_to_a_gateway() {
        let yaml = CONFLICT.replace(
            "metadata: {name: b, namespace: other}\nspec:\n",
            "metadata: {name: b, namespace: other}\nspec:\n  gateways: [gw]\n",
        );
        let g = graph(&yaml);
        assert!(!node(&g, "rule:default/a/http/0").conflict);
    }
}
