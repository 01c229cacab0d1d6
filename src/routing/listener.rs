//! Istio's outbound listeners: which listener takes a connection, by destination address and
//! port, and which of its filter chains, before any route is matched.
//!
//! istiod builds them in `pilot/pkg/networking/core/listener.go` (buildSidecarOutboundListener,
//! buildListenerFromEntry, `conflictsWith`) and `listener_builder.go` (virtualOutbound); Envoy
//! picks a listener by the original destination and then a filter chain by its match fields.
//! The rules, with their sources at Istio 1.30.3, are written down in
//! `tests/istio-simulation/NOTES.md`; the numbers below refer to its rules.
//!
//! A filter chain only says where the connection goes next: into an HTTP connection manager with
//! a route configuration (matched by [`super::eval::run_http`]), into the TCP and TLS routing of
//! one service ([`super::l4`]), or to istiod's own clusters. There is no other matcher.

use super::compile::{self, Proxy};
use crate::lint::Context;
use crate::mesh::{Resolution, ServicePort, ServiceRecord, ServiceSource};
use crate::model::networking as net;
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::net::IpAddr;
use std::rc::Rc;

/// The port the sidecar's outbound traffic is redirected to (`ProxyListenPort`).
pub const VIRTUAL_OUTBOUND_PORT: u32 = 15001;
/// The port inbound traffic is redirected to (`ProxyInboundListenPort`).
pub const VIRTUAL_INBOUND_PORT: u32 = 15006;

/// The protocol istiod gives a port (`pkg/config/protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Http2,
    HttpProxy,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Mongo,
    Redis,
    Mysql,
    Udp,
    /// No protocol istiod knows: the port is sniffed.
    Unsupported,
}

/// What kind of listener a protocol gets (`ModelProtocolToListenerProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// An HTTP connection manager.
    Http,
    /// A TCP proxy (HTTPS and TLS too: a sidecar never terminates them).
    Tcp,
    /// Sniffed: HTTP goes to a connection manager, everything else to the TCP proxy.
    Auto,
}

impl Protocol {
    /// `protocol.Parse`: case-insensitive, the empty string and unknown names are Unsupported.
    pub fn parse(s: &str) -> Protocol {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "http" => Protocol::Http,
            "http_proxy" => Protocol::HttpProxy,
            "http2" => Protocol::Http2,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            _ => Protocol::Unsupported,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Http2 => "HTTP2",
            Protocol::HttpProxy => "HTTP_PROXY",
            Protocol::Grpc => "GRPC",
            Protocol::GrpcWeb => "GRPC-Web",
            Protocol::Https => "HTTPS",
            Protocol::Tls => "TLS",
            Protocol::Tcp => "TCP",
            Protocol::Mongo => "Mongo",
            Protocol::Redis => "Redis",
            Protocol::Mysql => "MySQL",
            Protocol::Udp => "UDP",
            Protocol::Unsupported => "UnsupportedProtocol",
        }
    }

    /// The listener it gets; `None` for UDP, which has none.
    pub fn class(self) -> Option<Class> {
        match self {
            Protocol::Http | Protocol::Http2 | Protocol::HttpProxy | Protocol::Grpc | Protocol::GrpcWeb => {
                Some(Class::Http)
            }
            Protocol::Https | Protocol::Tls | Protocol::Tcp | Protocol::Mongo | Protocol::Redis | Protocol::Mysql => {
                Some(Class::Tcp)
            }
            Protocol::Unsupported => Some(Class::Auto),
            Protocol::Udp => None,
        }
    }

    /// Whether the sidecar routes it by SNI.
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
}

/// A port's protocol and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub protocol: Protocol,
    /// `port name "http-web"`, `appProtocol "kubernetes.io/h2c"`, `protocol "TCP"`…
    pub by: String,
}

/// The protocol of a service port as istiod decides it, and what decided it: a ServiceEntry's
/// `protocol` field (`protocol.Parse`, the name does not count); for a Kubernetes Service
/// [`crate::mesh::service_port_protocol`] (`ConvertProtocol`: UDP, `appProtocol`, the port name,
/// the well-known ports 25, 53, 3306 and 27017 as TCP).
pub fn decide(s: &ServiceRecord, p: &ServicePort) -> Decided {
    let protocol = protocol_of(s, p);
    let mut by = match (s.source, &p.app_protocol, &p.name) {
        (ServiceSource::ServiceEntry, _, _) => match p.protocol.as_deref().filter(|x| !x.is_empty()) {
            Some(given) => format!("protocol {given:?}"),
            None => "no protocol field".to_string(),
        },
        _ if protocol == Protocol::Udp => "protocol UDP".to_string(),
        (_, Some(a), _) => format!("appProtocol {a:?}"),
        (_, None, Some(n)) => format!("port name {n:?}"),
        (_, None, None) => "no port name".to_string(),
    };
    let named = p.app_protocol.as_deref().or(p.name.as_deref()).unwrap_or_default();
    if s.source != ServiceSource::ServiceEntry
        && protocol == Protocol::Tcp
        && Protocol::parse(named.split('-').next().unwrap_or_default()) == Protocol::Unsupported
    {
        by.push_str(&format!(", well-known port {}", p.number));
    }
    Decided { protocol, by }
}

/// [`decide`] without saying why: what the listener and routing code ask per request.
pub fn protocol_of(s: &ServiceRecord, p: &ServicePort) -> Protocol {
    if s.source == ServiceSource::ServiceEntry {
        return Protocol::parse(p.protocol.as_deref().unwrap_or_default());
    }
    let udp = p.protocol.as_deref() == Some("UDP");
    let name = p.name.as_deref().unwrap_or_default();
    crate::mesh::service_port_protocol(p.number, name, udp, p.app_protocol.as_deref())
        .map_or(Protocol::Unsupported, Protocol::parse)
}

/// The address a listener binds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bind {
    /// `0.0.0.0` (and `::`).
    Wildcard,
    /// A service address, a ServiceEntry address or an endpoint of a headless service.
    Ip(IpAddr),
    /// The virtual IP the API server gives a Service whose manifest shows none.
    Vip(String),
}

impl std::fmt::Display for Bind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bind::Wildcard => f.write_str("0.0.0.0"),
            Bind::Ip(ip) => write!(f, "{ip}"),
            Bind::Vip(host) => write!(f, "<VIP of {host}>"),
        }
    }
}

/// Where a connection goes: an address (`None` when no service claims it, as for a name the
/// registry does not know, resolved by the cluster's DNS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address<'h> {
    Ip(IpAddr),
    /// The VIP of the service with this host.
    Vip(&'h str),
    Unknown,
}

impl std::fmt::Display for Address<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Ip(ip) => write!(f, "{ip}"),
            Address::Vip(host) => write!(f, "the VIP of {host}"),
            Address::Unknown => f.write_str("an address no service claims"),
        }
    }
}

/// A CIDR: the network and its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub net: IpAddr,
    pub bits: u32,
}

impl Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a host prefix).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (net, bits) = match s.split_once('/') {
            Some((n, b)) => (n.parse::<IpAddr>().ok()?, Some(b.parse::<u32>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net: masked(net, bits), bits })
    }

    /// A single address (`/32`, `/128`) rather than a network.
    pub fn is_host(&self) -> bool {
        self.bits == if self.net.is_ipv4() { 32 } else { 128 }
    }

    pub fn contains(&self, a: IpAddr) -> bool {
        a.is_ipv4() == self.net.is_ipv4() && masked(a, self.bits) == self.net
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.bits)
    }
}

fn masked(a: IpAddr, bits: u32) -> IpAddr {
    match a {
        IpAddr::V4(v) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits.min(32)) };
            IpAddr::V4((u32::from(v) & mask).into())
        }
        IpAddr::V6(v) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits.min(128)) };
            IpAddr::V6((u128::from(v) & mask).into())
        }
    }
}

/// Envoy's `filter_chain_match`, the fields istiod sets on outbound listeners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainMatch {
    pub destination_port: Option<u32>,
    pub prefix_ranges: Vec<Cidr>,
    /// SNI names: exact, or `*.suffix`.
    pub server_names: Vec<String>,
    /// `raw_buffer` or `tls`.
    pub transport: Option<&'static str>,
    pub application_protocols: Vec<&'static str>,
}

impl ChainMatch {
    fn is_empty(&self) -> bool {
        *self == ChainMatch::default()
    }

    /// `filterChainOpts.conflictsWith` (`core/listener.go`): two chains with the same match; the
    /// later one is dropped. Server names compare as a set, ignoring `*`.
    fn conflicts_with(&self, other: &ChainMatch) -> bool {
        fn names(m: &ChainMatch) -> Vec<&String> {
            let mut v: Vec<&String> = m.server_names.iter().filter(|n| *n != "*").collect();
            v.sort();
            v.dedup();
            v
        }
        self.transport == other.transport
            && self.application_protocols == other.application_protocols
            && names(self) == names(other)
            && self.prefix_ranges == other.prefix_ranges
            && self.destination_port == other.destination_port
    }
}

impl std::fmt::Display for ChainMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = self.destination_port {
            parts.push(format!("destination port {p}"));
        }
        if !self.prefix_ranges.is_empty() {
            let r: Vec<String> = self.prefix_ranges.iter().map(Cidr::to_string).collect();
            parts.push(format!("destination in {}", r.join(", ")));
        }
        if !self.server_names.is_empty() {
            parts.push(format!("SNI {}", self.server_names.join(", ")));
        }
        if let Some(t) = self.transport {
            parts.push(format!("transport {t}"));
        }
        if !self.application_protocols.is_empty() {
            parts.push(format!("ALPN {}", self.application_protocols.join(", ")));
        }
        if parts.is_empty() { f.write_str("any connection") } else { f.write_str(&parts.join(", ")) }
    }
}

/// What a filter chain does with the connection.
#[derive(Debug, Clone)]
pub enum ChainAction<'c, 'a> {
    /// An HTTP connection manager on a route configuration: the port's shared one (`"80"`), or
    /// a sniffed port's own for one service (`"host:port"`).
    Http { route_config: String, only: Option<&'c ServiceRecord<'a>> },
    /// The TCP (or, for a TLS port, SNI) routing of one service port.
    Tcp { service: &'c ServiceRecord<'a> },
    /// One of istiod's own clusters.
    Cluster(&'static str),
}

pub const PASSTHROUGH: &str = "PassthroughCluster";
pub const BLACKHOLE: &str = "BlackHoleCluster";

/// One filter chain.
#[derive(Debug, Clone)]
pub struct FilterChain<'c, 'a> {
    pub name: String,
    pub matches: ChainMatch,
    /// `matches` for people, written once.
    pub shown: String,
    pub action: ChainAction<'c, 'a>,
    /// The answer when this chain takes a connection ([`Listener::finish`]).
    pub answer: Rc<ListenerAnswer>,
}

impl<'c, 'a> FilterChain<'c, 'a> {
    fn new(name: String, matches: ChainMatch, action: ChainAction<'c, 'a>) -> Self {
        FilterChain { name, shown: matches.to_string(), matches, action, answer: Rc::default() }
    }
}

/// A listener.
#[derive(Debug, Clone)]
pub struct Listener<'c, 'a> {
    /// `<bind>_<port>`, `virtualOutbound`, `virtualInbound`.
    pub name: String,
    pub bind: Bind,
    pub port: u32,
    pub class: Class,
    /// The port's protocol and what decided it, from the first service that made the listener.
    pub protocol_from: Option<String>,
    pub chains: Vec<FilterChain<'c, 'a>>,
    pub default_chain: Option<FilterChain<'c, 'a>>,
    pub tls_inspector: bool,
    pub http_inspector: bool,
    /// Chains istiod left out because an earlier service's chain has the same match.
    pub dropped: Vec<String>,
    /// The answer when no chain takes a connection ([`Listener::finish`]).
    pub answer: Rc<ListenerAnswer>,
    /// Bound where a Sidecar egress listener says (`bind`, or localhost for `captureMode: NONE`).
    pub sidecar_bind: bool,
}

/// The listener that took a connection and the filter chain that matched (part of simulate's
/// answer), written once per chain when the listener is built.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListenerAnswer {
    /// Istio's name: `<address>_<port>` (`0.0.0.0_80`, `10.0.0.12_5432`), `virtualOutbound`.
    pub name: String,
    /// `service address` (a VIP or endpoint listener), `wildcard` (`0.0.0.0`), `sidecar bind` (where
    /// a Sidecar egress listener binds it), or `virtual` (the proxy's own virtualOutbound or
    /// virtualInbound listener).
    pub bound: &'static str,
    pub port: u32,
    /// `HTTP`, `TCP` or `auto (sniffed)`.
    pub protocol: &'static str,
    /// What decided the protocol: the service and its port name, `appProtocol` or `protocol`.
    pub protocol_from: Option<String>,
    pub filter_chain: Option<String>,
    /// The match of that chain, or `default chain` when no chain's match took the connection.
    pub chain_match: Option<String>,
}

/// A connection as the listener sees it.
#[derive(Debug, Clone)]
pub struct Connection<'h> {
    pub address: Address<'h>,
    pub port: u32,
    /// TLS bytes (with SNI and ALPN) rather than plain text.
    pub tls: bool,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// Plain-text HTTP the HTTP inspector recognises: `http/1.1` or `h2c`.
    pub http: Option<&'static str>,
}

/// The filter chains' answer for a connection on a listener.
pub enum Chosen<'l, 'c, 'a> {
    Chain(&'l FilterChain<'c, 'a>, bool),
    NoChain,
    Multiple(Vec<&'l FilterChain<'c, 'a>>),
}

impl<'c, 'a> Listener<'c, 'a> {
    fn new(bind: Bind, port: u32, class: Class) -> Self {
        Listener {
            name: format!("{bind}_{port}"),
            bind,
            port,
            class,
            protocol_from: None,
            chains: Vec::new(),
            default_chain: None,
            tls_inspector: false,
            http_inspector: false,
            dropped: Vec::new(),
            answer: Rc::default(),
            sidecar_bind: false,
        }
    }

    /// How the listener is bound, for the answer.
    pub fn bound(&self) -> &'static str {
        match (&self.bind, self.name.starts_with("virtual")) {
            (_, true) => "virtual",
            (Bind::Wildcard, _) => "wildcard",
            _ if self.sidecar_bind => "sidecar bind",
            _ => "service address",
        }
    }

    /// The answers of the built listener, one per chain.
    fn finish(&mut self) {
        let base = ListenerAnswer {
            name: self.name.clone(),
            bound: self.bound(),
            port: self.port,
            protocol: class_name(self.class),
            protocol_from: self.protocol_from.clone(),
            filter_chain: None,
            chain_match: None,
        };
        for c in &mut self.chains {
            let chain_match = Some(c.shown.clone());
            c.answer = Rc::new(ListenerAnswer { filter_chain: Some(c.name.clone()), chain_match, ..base.clone() });
        }
        if let Some(c) = &mut self.default_chain {
            let chain_match = Some("default chain".to_string());
            c.answer = Rc::new(ListenerAnswer { filter_chain: Some(c.name.clone()), chain_match, ..base.clone() });
        }
        self.answer = Rc::new(base);
    }

    /// Envoy's filter chain selection (`sim/traffic.go` and Envoy's `FilterChainManagerImpl`):
    /// destination port, then the longest destination prefix, then server name (exact, then
    /// the longest wildcard), transport protocol and application protocols; at each step the
    /// chains that do not set the field stay only when none matched it. The second value says
    /// whether the default chain took it.
    pub fn choose(&self, c: &Connection) -> Chosen<'_, 'c, 'a> {
        let sni = if self.tls_inspector && c.tls { c.sni.as_deref() } else { None };
        let transport = if self.tls_inspector && c.tls { "tls" } else { "raw_buffer" };
        let alpn_has = |p: &str| {
            if c.tls && self.tls_inspector {
                c.alpn.iter().any(|a| a == p)
            } else {
                !c.tls && self.http_inspector && c.http == Some(p)
            }
        };
        // One chain: it survives the sieve exactly when every field it sets matches.
        if let [only] = self.chains.as_slice() {
            let m = &only.matches;
            let ok = m.destination_port.is_none_or(|p| p == c.port)
                && (m.prefix_ranges.is_empty()
                    || matches!(&c.address, Address::Ip(a) if m.prefix_ranges.iter().any(|r| r.contains(*a))))
                && (m.server_names.is_empty()
                    || sni.is_some_and(|n| m.server_names.iter().any(|p| sni_rank(p, n).is_some())))
                && m.transport.is_none_or(|t| t == transport)
                && (m.application_protocols.is_empty() || m.application_protocols.iter().any(|p| alpn_has(p)));
            return match (ok, &self.default_chain) {
                (true, _) => Chosen::Chain(only, false),
                (false, Some(d)) => Chosen::Chain(d, true),
                (false, None) => Chosen::NoChain,
            };
        }
        let mut left: Vec<&FilterChain> = self.chains.iter().collect();
        sieve(&mut left, |m| m.destination_port.map(|p| (p == c.port).then_some(0)));
        sieve(&mut left, |m| {
            (!m.prefix_ranges.is_empty()).then(|| match &c.address {
                Address::Ip(a) => m.prefix_ranges.iter().filter(|r| r.contains(*a)).map(|r| r.bits as usize + 1).max(),
                _ => None,
            })
        });
        sieve(&mut left, |m| {
            (!m.server_names.is_empty()).then(|| {
                let n = sni?;
                m.server_names.iter().filter_map(|p| sni_rank(p, n)).max()
            })
        });
        sieve(&mut left, |m| m.transport.map(|t| (t == transport).then_some(0)));
        sieve(&mut left, |m| {
            (!m.application_protocols.is_empty())
                .then(|| m.application_protocols.iter().any(|p| alpn_has(p)).then_some(0))
        });
        match left.len() {
            1 => Chosen::Chain(left[0], false),
            0 => match &self.default_chain {
                Some(d) => Chosen::Chain(d, true),
                None => Chosen::NoChain,
            },
            _ => Chosen::Multiple(left),
        }
    }
}

/// One step of Envoy's sieve: `rank` is `None` for a chain that does not set the field, else
/// `Some(None)` when it does not match and `Some(Some(r))` with the match's specificity. The best
/// matching chains survive; the chains without the field only when none matched.
fn sieve(chains: &mut Vec<&FilterChain>, rank: impl Fn(&ChainMatch) -> Option<Option<usize>>) {
    match chains.iter().filter_map(|c| rank(&c.matches).flatten()).max() {
        Some(best) => chains.retain(|c| rank(&c.matches) == Some(Some(best))),
        None => chains.retain(|c| rank(&c.matches).is_none()),
    }
}

/// How well a server name pattern matches: exact beats every wildcard, a longer wildcard a
/// shorter one.
pub fn sni_rank(pattern: &str, sni: &str) -> Option<usize> {
    if pattern.eq_ignore_ascii_case(sni) {
        return Some(usize::MAX);
    }
    if pattern == "*" {
        return Some(0);
    }
    let suffix = pattern.strip_prefix('*')?;
    let at = sni.len().checked_sub(suffix.len()).filter(|at| *at > 0)?;
    (sni.is_char_boundary(at) && sni[at..].eq_ignore_ascii_case(suffix)).then_some(suffix.len())
}

/// The listeners of a sidecar on one port, by bind address, and the services they came from.
pub struct PortListeners<'c, 'a> {
    pub listeners: Vec<Listener<'c, 'a>>,
}

impl<'c, 'a> PortListeners<'c, 'a> {
    /// The listener for a destination: the one bound to its address, else the wildcard one.
    pub fn find(&self, address: &Address) -> Option<&Listener<'c, 'a>> {
        let exact = self.listeners.iter().find(|l| match (&l.bind, address) {
            (Bind::Ip(b), Address::Ip(a)) => b == a,
            (Bind::Vip(b), Address::Vip(a)) => b == a,
            _ => false,
        });
        exact.or_else(|| self.listeners.iter().find(|l| l.bind == Bind::Wildcard))
    }
}

/// The HTTP connection manager chain istiod puts on HTTP and sniffed listeners: plain text that
/// the HTTP inspector labels HTTP/1.1 or h2c (`core/listener.go` buildListenerFromEntry).
fn http_match(prefix_ranges: Vec<Cidr>) -> ChainMatch {
    ChainMatch {
        prefix_ranges,
        transport: Some("raw_buffer"),
        application_protocols: vec!["http/1.1", "h2c"],
        ..ChainMatch::default()
    }
}

/// The cluster of istiod's fallbacks for this proxy: PassthroughCluster under ALLOW_ANY,
/// BlackHoleCluster otherwise (`core/listener_builder.go`, `util.IsAllowAnyOutbound`).
pub fn fallback_cluster(cx: &Context, proxy: &Proxy) -> &'static str {
    if compile::registry_only(cx, proxy) { BLACKHOLE } else { PASSTHROUGH }
}

/// The addresses a service's TCP, TLS or sniffed port binds (rules 3, 10, 12), each with the
/// destination prefix its chains match (for a CIDR on the wildcard listener).
pub fn binds(s: &ServiceRecord, proxy_ip: Option<IpAddr>) -> Vec<(Bind, Vec<Cidr>)> {
    if !s.addresses.is_empty() {
        return s
            .addresses
            .iter()
            .filter_map(|a| Cidr::parse(a))
            .map(|c| if c.is_host() { (Bind::Ip(c.net), Vec::new()) } else { (Bind::Wildcard, vec![c]) })
            .collect();
    }
    match s.resolution {
        Resolution::Passthrough => {
            let ips: Vec<IpAddr> = s
                .endpoints
                .iter()
                .filter_map(|e| e.parse::<IpAddr>().ok())
                .filter(|ip| Some(*ip) != proxy_ip)
                .collect();
            if ips.is_empty() && s.source == ServiceSource::ServiceEntry && s.selector.is_none() {
                vec![(Bind::Wildcard, Vec::new())]
            } else {
                ips.into_iter().map(|ip| (Bind::Ip(ip), Vec::new())).collect()
            }
        }
        _ if s.allocated_vip => vec![(Bind::Vip(s.host.clone()), Vec::new())],
        _ => vec![(Bind::Wildcard, Vec::new())],
    }
}

/// The SNI names of a TLS port's chain: the hosts of the VirtualServices' `tls` matches for the
/// service, else the service host when nothing but SNI can tell services apart (a wildcard or
/// CIDR listener) (`core/tls.go` buildSidecarOutboundTLSFilterChainOpts).
fn tls_server_names(cx: &Context, proxy: &Proxy, s: &ServiceRecord, port: u32, wildcard: bool) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for e in compile::sidecar_virtual_services(cx, proxy) {
        if !e.hosts.iter().any(|h| crate::mesh::hosts::matches(h, &s.host)) {
            continue;
        }
        for rule in e.vs.spec.tls.iter().flatten() {
            for m in &rule.match_ {
                if m.port.is_some_and(|p| p != port) {
                    continue;
                }
                for h in &m.sni_hosts {
                    let h = h.to_ascii_lowercase();
                    if !names.contains(&h) {
                        names.push(h);
                    }
                }
            }
        }
    }
    if names.is_empty() && wildcard {
        names.push(s.host.clone());
        names.extend(s.aliases.iter().flat_map(|a| compile::service_domains(a, &proxy.namespace)));
    }
    names
}

/// The sidecar's outbound listeners on `port` (rules 3–6), from the services it sees on the port
/// in istiod's order (creation time, name, namespace).
pub fn sidecar_listeners<'c, 'a>(
    cx: &'c Context<'a>,
    proxy: &Proxy,
    proxy_ip: Option<IpAddr>,
    port: u32,
    services: &[&'c ServiceRecord<'a>],
) -> PortListeners<'c, 'a> {
    let mesh = cx.mesh();
    let sidecar = mesh.sidecar_for(&proxy.namespace, &proxy.labels);
    let egress = sidecar.map(|sc| sc.sidecar.spec.egress.as_deref().unwrap_or_default()).unwrap_or_default();
    // An egress listener with this port builds the port's only listener, for every service it
    // imports whether or not the service has the port, with the egress port's protocol; the
    // catch-all egress listener then adds nothing to the port (`core/listener.go` :366-446, :905).
    let explicit = egress.iter().find(|l| l.port.as_ref().and_then(|p| p.number) == Some(port));
    let catch_all = egress.iter().find(|l| l.port.as_ref().and_then(|p| p.number).is_none());
    let shaping = explicit.or(catch_all);
    // `bind`, else with `captureMode: NONE` a real socket on localhost (`model/context.go`).
    let bind_override: Option<Bind> = shaping.and_then(|l| match (&l.bind, l.capture_mode) {
        (Some(b), _) if b == "0.0.0.0" || b == "::" => Some(Bind::Wildcard),
        (Some(b), _) => b.parse().ok().map(Bind::Ip),
        (None, Some(net::CaptureMode::None)) => Some(Bind::Ip(IpAddr::from([127, 0, 0, 1]))),
        _ => None,
    });
    let mut services: Vec<&ServiceRecord> = match (explicit, sidecar) {
        (Some(l), Some(sc)) => mesh
            .services
            .iter()
            .filter(|s| {
                s.source != ServiceSource::Implicit
                    && crate::mesh::hosts::visible(&s.export_to, &s.namespace, &proxy.namespace)
                    && crate::mesh::egress_imports(&l.hosts, &sc.namespace, &s.namespace, &s.host)
            })
            .collect(),
        _ => services.to_vec(),
    };
    let egress_protocol = explicit.and_then(|l| l.port.as_ref()?.protocol.as_ref()).map(|p| Protocol::parse(&p.0));
    services.sort_by_cached_key(|s| s.order_key());
    let mut listeners: Vec<Listener> = Vec::new();
    let mut index: HashMap<Bind, usize> = HashMap::new();
    for s in services {
        if matches!(s.resolution, Resolution::Alias(_)) {
            continue;
        }
        let own = s.ports.iter().find(|p| p.number == port);
        let protocol = match (egress_protocol, own) {
            (Some(p), _) => p,
            (None, Some(p)) => protocol_of(s, p),
            (None, None) => continue,
        };
        let Some(class) = protocol.class() else { continue };
        let wanted = match (&bind_override, class) {
            (Some(b), _) => vec![(b.clone(), Vec::new())],
            (None, Class::Http) => vec![(Bind::Wildcard, Vec::new())],
            (None, _) => binds(s, proxy_ip),
        };
        for (bind, prefixes) in wanted {
            let existing = index.get(&bind).copied();
            // An HTTP service adds nothing to a listener that has a connection manager already.
            let has_http = |l: &Listener| l.chains.iter().any(|c| matches!(c.action, ChainAction::Http { .. }));
            if class == Class::Http && existing.is_some_and(|i| has_http(&listeners[i])) {
                continue;
            }
            let wildcard = bind == Bind::Wildcard;
            let mut chains: Vec<FilterChain> = Vec::new();
            if class != Class::Http {
                let server_names = if protocol.is_tls() {
                    tls_server_names(cx, proxy, s, port, wildcard || !prefixes.is_empty())
                } else {
                    Vec::new()
                };
                chains.push(FilterChain::new(
                    format!("outbound|{port}||{}", s.host),
                    ChainMatch { prefix_ranges: prefixes.clone(), server_names, ..ChainMatch::default() },
                    ChainAction::Tcp { service: s },
                ));
            }
            if class != Class::Tcp {
                let (route_config, only) = if class == Class::Auto && !wildcard {
                    (format!("{}:{port}", s.host), Some(s))
                } else {
                    (port.to_string(), None)
                };
                chains.push(FilterChain::new(
                    format!("HTTP, route configuration {route_config}"),
                    http_match(prefixes.clone()),
                    ChainAction::Http { route_config, only },
                ));
            }
            let i = existing.unwrap_or_else(|| {
                let decided = match (own, egress_protocol) {
                    (Some(p), None) => decide(s, p),
                    _ => Decided { protocol, by: format!("the Sidecar's egress port {port}") },
                };
                let mut l = Listener::new(bind.clone(), port, class);
                l.sidecar_bind = bind_override.is_some();
                l.protocol_from = Some(match decided.protocol {
                    Protocol::Unsupported => {
                        format!(
                            "{} of {}:{port} names no protocol istiod knows: the port is sniffed",
                            decided.by, s.host
                        )
                    }
                    p => format!("{} of {}:{port}: {}", decided.by, s.host, p.name()),
                });
                listeners.push(l);
                index.insert(bind.clone(), listeners.len() - 1);
                listeners.len() - 1
            });
            merge(&mut listeners[i], class, chains, s);
        }
    }
    let fallback = fallback_cluster(cx, proxy);
    for l in &mut listeners {
        // A chain that matches everything is the default chain (`core/listener.go` :668);
        // otherwise what no chain takes goes to PassthroughFilterChain.
        if let Some(k) = l.chains.iter().position(|c| c.matches.is_empty()) {
            l.default_chain = Some(l.chains.remove(k));
        } else {
            l.default_chain = Some(FilterChain::new(
                "PassthroughFilterChain".into(),
                ChainMatch::default(),
                ChainAction::Cluster(fallback),
            ));
        }
        l.tls_inspector = l.chains.iter().any(|c| !c.matches.server_names.is_empty());
        l.http_inspector = l.chains.iter().any(|c| !c.matches.application_protocols.is_empty());
        l.finish();
    }
    PortListeners { listeners }
}

/// A service's chains onto the listener its bind and port share with earlier services
/// (`core/listener.go` :901-1030): an HTTP service adds nothing to a listener that already has a
/// connection manager; TCP chains whose match an earlier chain has are dropped (the first
/// service wins); a mix of HTTP and TCP becomes sniffed.
fn merge<'c, 'a>(l: &mut Listener<'c, 'a>, class: Class, chains: Vec<FilterChain<'c, 'a>>, s: &ServiceRecord) {
    let has_http = l.chains.iter().any(|c| matches!(c.action, ChainAction::Http { .. }));
    if l.class != class {
        l.class = Class::Auto;
    }
    for c in chains {
        if matches!(c.action, ChainAction::Http { .. }) && has_http {
            continue;
        }
        if let Some(first) = l.chains.iter().find(|x| x.matches.conflicts_with(&c.matches)) {
            l.dropped.push(format!(
                "the chain of {} ({}) has the same match as the earlier {}: istiod keeps the first",
                s.host, c.matches, first.name
            ));
            continue;
        }
        l.chains.push(c);
    }
}

/// The proxy's own listeners that a connection reaches when no service listener is on its
/// destination (rule 6): virtualOutbound (and its loop guard), and virtualInbound's loop guard.
pub fn virtual_listener<'c, 'a>(port: u32, fallback: &'static str) -> Listener<'c, 'a> {
    let (name, guard) = if port == VIRTUAL_INBOUND_PORT {
        ("virtualInbound", VIRTUAL_INBOUND_PORT)
    } else {
        ("virtualOutbound", VIRTUAL_OUTBOUND_PORT)
    };
    let mut l = Listener::new(Bind::Wildcard, guard, Class::Tcp);
    l.name = name.into();
    l.chains.push(FilterChain::new(
        format!("{name}-blackhole"),
        ChainMatch { destination_port: Some(guard), ..ChainMatch::default() },
        ChainAction::Cluster(BLACKHOLE),
    ));
    l.default_chain = (name == "virtualOutbound").then(|| {
        FilterChain::new("virtualOutbound-catchall-tcp".into(), ChainMatch::default(), ChainAction::Cluster(fallback))
    });
    l.finish();
    l
}

/// The listeners a service port gets on every sidecar (the graph's label of a TCP, TLS or
/// sniffed port): `10.0.0.12_5432`, `VIP_9090` (a VIP the API server allocates), `0.0.0.0_443
/// (203.0.113.0/24)`; `None` for an HTTP port (its
/// listener is the port's shared `0.0.0.0_<port>`) and for ports without a listener.
pub fn port_listeners(s: &ServiceRecord, p: &ServicePort) -> Option<(Protocol, Vec<String>)> {
    let protocol = protocol_of(s, p);
    if matches!(s.resolution, Resolution::Alias(_)) || !matches!(protocol.class(), Some(Class::Tcp | Class::Auto)) {
        return None;
    }
    let names = binds(s, None)
        .into_iter()
        .map(|(b, prefixes)| match prefixes.as_slice() {
            [] if matches!(b, Bind::Vip(_)) => format!("VIP_{}", p.number),
            [] => format!("{b}_{}", p.number),
            cidrs => {
                let c: Vec<String> = cidrs.iter().map(Cidr::to_string).collect();
                format!("{b}_{} ({})", p.number, c.join(", "))
            }
        })
        .collect();
    Some((protocol, names))
}

/// How a listener's protocol came about, for the answer.
pub fn class_name(c: Class) -> &'static str {
    match c {
        Class::Http => "HTTP",
        Class::Tcp => "TCP",
        Class::Auto => "auto (sniffed)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: Option<&str>, number: u32, app: Option<&str>, protocol: Option<&str>) -> ServicePort {
        ServicePort {
            number,
            name: name.map(str::to_string),
            protocol: protocol.map(str::to_string),
            target_port: None,
            app_protocol: app.map(str::to_string),
        }
    }

    fn service(source: ServiceSource) -> ServiceRecord<'static> {
        ServiceRecord {
            obj: None,
            source,
            namespace: "default".into(),
            host: "a.default.svc.cluster.local".into(),
            ports: Vec::new(),
            export_to: Vec::new(),
            selector: None,
            addresses: Vec::new(),
            allocated_vip: true,
            resolution: Resolution::ClientSide,
            created: String::new(),
            endpoints: Vec::new(),
            aliases: Vec::new(),
            labels: None,
        }
    }

    /// `pkg/config/kube/conversion_test.go` TestConvertProtocol, the cases of a Service port.
    #[test]
    fn protocols_as_istio_converts_them() {
        let k = service(ServiceSource::Kubernetes);
        // (port name, number, appProtocol, protocol field, what istiod decides)
        type Case<'s> = (Option<&'s str>, u32, Option<&'s str>, Option<&'s str>, Protocol);
        let cases: &[Case] = &[
            (Some(""), 80, None, Some("TCP"), Protocol::Unsupported),
            (Some("http"), 80, None, Some("TCP"), Protocol::Http),
            (Some("http"), 80, None, Some("UDP"), Protocol::Udp),
            (Some("http-test"), 80, None, Some("TCP"), Protocol::Http),
            (Some("http-test"), 80, None, Some("UDP"), Protocol::Udp),
            (Some("HTTP"), 80, None, Some("TCP"), Protocol::Http),
            (Some("grpc-web"), 80, None, Some("TCP"), Protocol::GrpcWeb),
            (Some("grpc-web-test"), 80, None, Some("TCP"), Protocol::GrpcWeb),
            (Some("grpcweb"), 80, None, Some("TCP"), Protocol::Unsupported),
            (Some("random"), 80, None, Some("TCP"), Protocol::Unsupported),
            (Some("tcp"), 80, Some("http"), Some("TCP"), Protocol::Http),
            (Some("tcp"), 80, Some("kubernetes.io/h2c"), Some("TCP"), Protocol::Http2),
            (Some("tcp"), 80, Some("kubernetes.io/ws"), Some("TCP"), Protocol::Http),
            (Some("tcp"), 80, Some("kubernetes.io/wss"), Some("TCP"), Protocol::Https),
            (Some(""), 25, None, Some("TCP"), Protocol::Tcp),
            (Some(""), 53, None, Some("TCP"), Protocol::Tcp),
            (Some(""), 3306, None, Some("TCP"), Protocol::Tcp),
            (Some(""), 27017, None, Some("TCP"), Protocol::Tcp),
            (Some("mongo"), 8080, None, Some("TCP"), Protocol::Mongo),
        ];
        for (name, number, app, proto, want) in cases {
            let got = decide(&k, &port(*name, *number, *app, *proto)).protocol;
            assert_eq!(got, *want, "{name:?} {number} {app:?} {proto:?}");
        }
        let se = service(ServiceSource::ServiceEntry);
        assert_eq!(decide(&se, &port(Some("http"), 80, None, None)).protocol, Protocol::Unsupported);
        assert_eq!(decide(&se, &port(Some("x"), 80, None, Some("HTTPS"))).protocol, Protocol::Https);
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.1.2.3/8").unwrap();
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert!(c.contains("10.9.9.9".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("1.2.3.4").unwrap().is_host());
        assert!(Cidr::parse("2001:db8::/32").unwrap().contains("2001:db8::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("x/8").is_none());
    }

    #[test]
    fn sni_specificity() {
        assert_eq!(sni_rank("a.example.com", "a.example.com"), Some(usize::MAX));
        assert!(sni_rank("*.example.com", "a.example.com") > sni_rank("*.com", "a.example.com"));
        assert_eq!(sni_rank("*.example.com", "example.com"), None);
        assert_eq!(sni_rank("*", "x"), Some(0));
    }
}
