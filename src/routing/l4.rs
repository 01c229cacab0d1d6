//! TCP and TLS routes (`tls.go`: `buildSidecarOutbound{TCP,TLS}FilterChainOpts`, the gateway's
//! TCP and passthrough servers).
//!
//! TCP rules are tried in order: the first whose static conditions hold (`port`, `sourceLabels`,
//! `sourceNamespace`, `gateways`, all ANDed) and whose `destinationSubnets`, if any, contain the
//! destination address takes the connection. TLS rules become filter chains keyed by SNI, and
//! Envoy picks the most specific SNI (exact before the longest wildcard), not the first rule.
//! Without a matching rule a sidecar forwards to the service's own cluster.

use super::Destination;
use super::compile::{Proxy, ProxyKind, Scope, StaticConditions, VsEntry, static_miss};
use super::eval::{Outcome, OutcomeKind, RuleKind, TraceEntry};
use super::listener::sni_rank;
use super::matcher::shown;
use crate::mesh::{ServiceRecord, hosts};
use crate::model::networking::{self as net, RouteDestination};
use std::net::IpAddr;

/// A TCP or TLS match: its compile-time conditions and its destination subnets.
pub struct L4Match<'m> {
    pub conditions: StaticConditions<'m>,
    pub subnets: &'m [String],
}

/// TCP and TLS matches carry the same compile-time conditions and destination subnets.
macro_rules! l4_match_from {
    ($($attributes:ty),*) => {$(
        impl<'m> From<&'m $attributes> for L4Match<'m> {
            fn from(m: &'m $attributes) -> Self {
                L4Match {
                    conditions: StaticConditions {
                        port: m.port,
                        source_labels: m.source_labels.as_ref(),
                        source_namespace: m.source_namespace.as_deref(),
                        gateways: m.gateways.as_deref(),
                    },
                    subnets: m.destination_subnets.as_deref().unwrap_or_default(),
                }
            }
        }
    )*};
}

l4_match_from!(net::L4MatchAttributes, net::TLSMatchAttributes);

/// Why istiod leaves an L4 match out of this proxy's listener, if it does (all conditions ANDed).
fn l4_miss(m: &L4Match, port: u32, gateway: &str, vs_ns: &str, proxy: &Proxy) -> Option<String> {
    static_miss(&m.conditions, false, port, gateway, vs_ns, proxy)
}

/// Is `addr` inside `cidr` (`10.0.0.0/8`, `2001:db8::/32`, or a bare address)?
pub fn in_cidr(addr: &str, cidr: &str) -> bool {
    match (addr.parse::<IpAddr>(), super::listener::Cidr::parse(cidr)) {
        (Ok(a), Some(c)) => c.contains(a),
        _ => false,
    }
}

fn entry(vs: &str, kind: RuleKind, rule: usize, m: Option<usize>, result: &'static str, detail: String) -> TraceEntry {
    TraceEntry {
        route: None,
        virtual_service: Some(vs.to_string()),
        rule_kind: Some(kind),
        rule_index: Some(rule),
        match_index: m,
        result,
        detail,
    }
}

/// Values of a list for a message: each quoted, comma-separated.
fn listed(values: &[String]) -> String {
    values.iter().map(|v| shown(v)).collect::<Vec<_>>().join(", ")
}

fn forward(scope: &Scope, route: Option<&Vec<RouteDestination>>, vs_ns: &str, port: u32) -> Vec<Destination> {
    scope.weighted(route.into_iter().flatten().map(|r| (&r.destination, r.weight)), vs_ns, port)
}

/// A connection's TCP routing over the VirtualServices `entries` (in istiod's order) on a
/// listener: the destinations of the first rule that takes it, recorded in `o`.
pub(super) fn route_tcp(
    scope: &Scope,
    entries: &[&VsEntry],
    port: u32,
    gateway: &str,
    dest_addr: Option<&str>,
    o: &mut Outcome,
) -> Option<Vec<Destination>> {
    let mut won: Option<Vec<Destination>> = None;
    for e in entries {
        let vs = format!("{}/{}", e.namespace, e.name);
        for (i, rule) in e.vs.spec.tcp.iter().flatten().enumerate() {
            if won.is_some() {
                o.step(|| {
                    entry(&vs, RuleKind::Tcp, i, None, "not_reached", "not tried: an earlier TCP rule matched".into())
                });
                continue;
            }
            let matches = rule.match_.as_deref().unwrap_or_default();
            let hit = if matches.is_empty() {
                Some(None)
            } else {
                let mut hit = None;
                for (j, m) in matches.iter().enumerate() {
                    let lm = L4Match::from(m);
                    if let Some(why) = l4_miss(&lm, port, gateway, &e.namespace, scope.proxy) {
                        o.step(|| entry(&vs, RuleKind::Tcp, i, Some(j), "dropped", why));
                        continue;
                    }
                    if !lm.subnets.is_empty() {
                        let inside = dest_addr.is_some_and(|a| lm.subnets.iter().any(|c| in_cidr(a, c)));
                        if !inside {
                            o.step(|| {
                                let subnets = listed(lm.subnets);
                                let why = match dest_addr {
                                    Some(a) => format!("destinationSubnets {subnets} do not contain {a}"),
                                    None => format!(
                                        "destinationSubnets {subnets} need the destination address, which the \
                                         request does not give (destination_address)"
                                    ),
                                };
                                entry(&vs, RuleKind::Tcp, i, Some(j), "no_match", why)
                            });
                            continue;
                        }
                    }
                    hit = Some(Some(j));
                    break;
                }
                hit
            };
            if let Some(j) = hit {
                o.step(|| entry(&vs, RuleKind::Tcp, i, j, "matched", "first TCP rule that holds".into()));
                decided_by(o, e, RuleKind::Tcp, i, j);
                won = Some(forward(scope, rule.route.as_ref(), &e.namespace, port));
            }
        }
    }
    won
}

/// A connection's TLS routing by SNI: every match that survives the static checks is a filter
/// chain; Envoy takes the most specific SNI.
pub(super) fn route_tls(
    scope: &Scope,
    entries: &[&VsEntry],
    port: u32,
    gateway: &str,
    sni: &str,
    within: Option<&[String]>,
    o: &mut Outcome,
) -> Option<Vec<Destination>> {
    let sni = sni.to_ascii_lowercase();
    // (rank, vs, entry, rule, match, destinations)
    let mut best: Option<(usize, String, usize, usize, usize, Vec<Destination>)> = None;
    for (k, e) in entries.iter().enumerate() {
        let vs = format!("{}/{}", e.namespace, e.name);
        for (i, rule) in e.vs.spec.tls.iter().flatten().enumerate() {
            for (j, m) in rule.match_.iter().enumerate() {
                if let Some(why) = l4_miss(&L4Match::from(m), port, gateway, &e.namespace, scope.proxy) {
                    o.step(|| entry(&vs, RuleKind::Tls, i, Some(j), "dropped", why));
                    continue;
                }
                let usable: Vec<&String> = m
                    .sni_hosts
                    .iter()
                    .filter(|h| within.is_none_or(|w| w.iter().any(|s| hosts::matches(s, &h.to_ascii_lowercase()))))
                    .collect();
                let rank = usable.iter().filter_map(|h| sni_rank(h, &sni)).max();
                match rank {
                    None => o.step(|| {
                        entry(
                            &vs,
                            RuleKind::Tls,
                            i,
                            Some(j),
                            "no_match",
                            format!("sniHosts {} do not match SNI {}", listed(&m.sni_hosts), shown(&sni)),
                        )
                    }),
                    Some(r) if best.as_ref().is_none_or(|b| r > b.0) => {
                        let dests = forward(scope, rule.route.as_ref(), &e.namespace, port);
                        best = Some((r, vs.clone(), k, i, j, dests));
                    }
                    Some(_) => o.step(|| {
                        entry(
                            &vs,
                            RuleKind::Tls,
                            i,
                            Some(j),
                            "not_reached",
                            "an earlier or more specific SNI filter chain takes this server name".into(),
                        )
                    }),
                }
            }
        }
    }
    let (_, vs, k, i, j, dests) = best?;
    o.step(|| {
        entry(&vs, RuleKind::Tls, i, Some(j), "matched", format!("the most specific SNI filter chain for {sni:?}"))
    });
    decided_by(o, entries[k], RuleKind::Tls, i, Some(j));
    Some(dests)
}

/// Record the rule that decided a connection: the VirtualService's `tcp`/`tls` rule, or the
/// Gateway API route rule it was translated from (`TCPRoute/ns/name`, `rules[i]`).
fn decided_by(o: &mut Outcome, e: &VsEntry, kind: RuleKind, i: usize, j: Option<usize>) {
    // `provenance` would read a delegate merge's origins, which are about `http` rules only.
    if e.gateway_api() {
        let p = e.provenance(i, j);
        o.route = Some(p.route());
        o.virtual_service = None;
        o.rule_kind = Some(RuleKind::Rules);
        o.rule_index = Some(p.rule);
        o.match_index = None;
    } else {
        o.route = Some(format!("VirtualService/{}/{}", e.namespace, e.name));
        o.virtual_service = Some(format!("{}/{}", e.namespace, e.name));
        o.rule_kind = Some(kind);
        o.rule_index = Some(i);
        o.match_index = j;
    }
}

/// Whether a service port carries TLS (the sidecar routes it by SNI) rather than opaque TCP.
pub fn is_tls_port(s: &ServiceRecord, port: u32) -> bool {
    s.ports.iter().find(|p| p.number == port).is_some_and(|p| super::listener::protocol_of(s, p).is_tls())
}

/// A sidecar's outbound connection to a non-HTTP port of service `s`.
pub(super) fn sidecar(
    scope: &Scope,
    s: &ServiceRecord,
    entries: &[&VsEntry],
    req_sni: Option<&str>,
    dest: Option<&str>,
    port: u32,
    o: &mut Outcome,
) {
    let on_service: Vec<&VsEntry> =
        entries.iter().copied().filter(|e| e.hosts.iter().any(|h| hosts::matches(h, &s.host))).collect();
    let tls = is_tls_port(s, port);
    let routed = if tls {
        let sni = req_sni.unwrap_or(&s.host);
        o.note_with(|| format!("port {port} of {} carries TLS: filter chains are chosen by SNI {sni:?}", s.host));
        route_tls(scope, &on_service, port, "mesh", sni, None, o)
    } else {
        o.note_with(|| format!("TCP to {}:{port}: the first TCP rule that holds takes the connection", s.host));
        route_tcp(scope, &on_service, port, "mesh", dest, o)
    };
    o.outcome = OutcomeKind::TcpForward;
    o.destinations = routed.unwrap_or_else(|| {
        o.note_with(|| {
            format!(
                "no {} rule applies: the connection goes to the service's own cluster",
                if tls { "TLS" } else { "TCP" }
            )
        });
        let d = net::Destination { host: s.host.clone(), subset: None, port: None };
        scope.weighted(std::iter::once((&d, None)), &s.namespace, port)
    });
    mark_missing(o);
}

/// 503-like answer when no destination cluster exists (for TCP, Envoy resets the connection).
fn mark_missing(o: &mut Outcome) {
    let missing: Vec<String> = o
        .destinations
        .iter()
        .filter_map(|d| d.missing.as_ref().map(|m| format!("cluster {} does not exist: {m}", d.cluster)))
        .collect();
    if !o.destinations.is_empty() && missing.len() == o.destinations.len() {
        o.response_flags = Some("NC".into());
    }
    for m in missing {
        o.note(m);
    }
}

/// A gateway server that carries connections rather than HTTP requests.
enum L4Server {
    Tcp,
    Passthrough,
    AutoPassthrough,
}

/// A connection to a gateway port whose servers are TCP or TLS passthrough (or terminating TLS
/// carrying TCP), among the servers of one listener. `None` when none of them is such a server.
pub(super) fn gateway<'e, 'v: 'e>(
    scope: &Scope,
    servers: &[(String, String, &net::Server)],
    entries_for: impl Fn(&str) -> Vec<&'e VsEntry<'v>>,
    req_sni: Option<&str>,
    dest: Option<&str>,
    mut o: Outcome,
) -> Option<Outcome> {
    debug_assert_eq!(scope.proxy.kind, ProxyKind::Gateway);
    let kind_of = |s: &net::Server| {
        let proto = s.port.protocol.0.to_ascii_uppercase();
        let mode = s.tls.as_ref().and_then(|t| t.mode);
        match (proto.as_str(), mode) {
            ("HTTPS" | "TLS", Some(net::ServerTLSMode::Passthrough)) => Some(L4Server::Passthrough),
            ("HTTPS" | "TLS", Some(net::ServerTLSMode::AutoPassthrough)) => Some(L4Server::AutoPassthrough),
            ("TLS", _) => Some(L4Server::Tcp),
            ("HTTP" | "HTTP2" | "GRPC" | "GRPC-WEB" | "HTTPS", _) => None,
            _ => Some(L4Server::Tcp),
        }
    };
    let sni = req_sni.map(str::to_ascii_lowercase);
    let at_port: Vec<(&String, &String, &net::Server, L4Server)> =
        servers.iter().filter_map(|(k, ns, s)| kind_of(s).map(|kind| (k, ns, *s, kind))).collect();
    let port = at_port.first()?.2.port.number;
    let server_hosts = |s: &net::Server, gw_ns: &str| -> Vec<String> {
        s.hosts.iter().map(|h| hosts::server_host(h, gw_ns).1.to_ascii_lowercase()).collect()
    };
    // A TLS server is chosen by SNI among the servers of the port; a TCP server takes the port.
    let chosen = at_port.iter().find(|(_, ns, s, kind)| match kind {
        L4Server::Tcp => true,
        _ => sni.as_deref().is_some_and(|n| server_hosts(s, ns).iter().any(|h| sni_rank(h, n).is_some())),
    });
    let Some((key, gw_ns, server, kind)) = chosen else {
        o.outcome = OutcomeKind::NoListener;
        o.note_with(|| {
            format!(
                "the TLS servers on port {port} answer no SNI {:?}: the gateway closes the connection",
                sni.unwrap_or_default()
            )
        });
        return Some(o);
    };
    o.through(key);
    let hosts_of_server = server_hosts(server, gw_ns);
    let entries: Vec<&VsEntry> = entries_for(key.as_str())
        .into_iter()
        .filter(|e| e.hosts.iter().any(|h| hosts_of_server.iter().any(|s| hosts::matches(s, h))))
        .collect();
    let routed = match kind {
        L4Server::Tcp => {
            o.note_with(|| {
                format!("server {key} port {port} ({}) forwards connections by its TCP routes", server.port.protocol.0)
            });
            route_tcp(scope, &entries, port, key, dest, &mut o)
        }
        L4Server::Passthrough => {
            let n = sni.clone().unwrap_or_default();
            o.note_with(|| format!("server {key} port {port} passes TLS through: its TLS routes choose by SNI {n:?}"));
            route_tls(scope, &entries, port, key, &n, Some(&hosts_of_server), &mut o)
        }
        L4Server::AutoPassthrough => {
            let n = sni.clone().unwrap_or_default();
            o.note_with(|| format!("server {key} port {port} is AUTO_PASSTHROUGH: the SNI names the cluster"));
            auto_passthrough(scope, &n)
        }
    };
    match routed {
        Some(d) => {
            o.outcome = OutcomeKind::TcpForward;
            o.destinations = d;
            mark_missing(&mut o);
        }
        None => {
            o.outcome = OutcomeKind::NoListener;
            o.response_flags = Some("NR".into());
            o.note("no route of the server takes the connection: the gateway closes it");
        }
    }
    Some(o)
}

/// `outbound_.<port>_.<subset>_.<host>`: the cluster an AUTO_PASSTHROUGH server forwards to.
fn auto_passthrough(scope: &Scope, sni: &str) -> Option<Vec<Destination>> {
    let rest = sni.strip_prefix("outbound_.")?;
    let (port, rest) = rest.split_once("_.")?;
    let (subset, host) = rest.split_once("_.")?;
    let port: u32 = port.parse().ok()?;
    let d = net::Destination {
        host: host.to_string(),
        subset: (!subset.is_empty()).then(|| subset.to_string()),
        port: Some(net::PortSelector { number: Some(port) }),
    };
    Some(vec![scope.destination(&d, "", port, 100.0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        assert!(in_cidr("10.1.2.3", "10.0.0.0/8"));
        assert!(!in_cidr("11.1.2.3", "10.0.0.0/8"));
        assert!(in_cidr("10.1.2.3", "10.1.2.3"));
        assert!(in_cidr("1.2.3.4", "0.0.0.0/0"));
        assert!(in_cidr("2001:db8::1", "2001:db8::/32"));
        assert!(!in_cidr("2001:db9::1", "2001:db8::/32"));
        assert!(!in_cidr("10.1.2.3", "2001:db8::/32"));
        assert!(!in_cidr("not-an-ip", "10.0.0.0/8"));
    }
}
