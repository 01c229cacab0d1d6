//! The routing engine: route tables compiled as istiod builds them, matched as Envoy matches.
//!
//! `compile` turns VirtualServices, Gateways and services into [`RouteConfig`]s for one proxy
//! (a gateway workload or a sidecar) — virtual hosts with ordered routes, each carrying its
//! provenance (`vs ns/name, http[i], match[j]`), plus the rules dropped at compile time with the
//! reason. `listener` builds the outbound listeners and picks one, and its filter chain, by
//! destination address and port before any route is looked at. `matcher` is Envoy's matcher (virtual-host domains, path, headers, query). `eval` runs
//! one [`Request`] through them and explains the result. `analysis` finds unreachable and
//! ineffective rules with the same matchers. Simulate, the shadowing rules and the graph all use
//! this module; there is no second implementation.

pub mod analysis;
pub mod compile;
pub mod contain;
mod cors;
pub mod delegate;
pub mod eval;
pub mod l4;
pub mod listener;
pub mod matcher;
mod secure;
#[cfg(test)]
mod tests;

pub use compile::{Proxy, ProxyKind, compile_gateway, compile_sidecar};
pub use delegate::DelegateRule;
pub use eval::{Outcome, OutcomeKind, Request, Simulator, simulate};
use matcher::DomainIndex;
pub use matcher::RouteMatch;

use crate::model::networking::HTTPRoute;
use serde::Serialize;

/// [`Provenance::kind`] of a VirtualService's rule.
pub const VIRTUAL_SERVICE: &str = "VirtualService";

/// Where a compiled route came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Index of the VirtualService in the run's object list.
    #[serde(skip)]
    pub obj: usize,
    pub namespace: String,
    pub name: String,
    /// Index in `http`.
    pub rule: usize,
    /// Index in `http[rule].match`; `None` for a rule without `match`.
    pub match_index: Option<usize>,
    /// The delegate rule this route came from, when the rule delegates.
    pub delegate: Option<DelegateRule>,
    /// Index in the delegate rule's `match`.
    pub delegate_match: Option<usize>,
    /// The kind of the object that holds the rule: `VirtualService`, or the Gateway API route
    /// (`HTTPRoute`, `GRPCRoute`, `TLSRoute`) it was translated from, whose `rules[rule]` and
    /// `matches[match_index]` it names.
    #[serde(skip)]
    pub kind: &'static str,
}

impl Provenance {
    /// `ns/name`.
    pub fn vs(&self) -> String {
        let mut s = String::with_capacity(self.namespace.len() + 1 + self.name.len());
        s.push_str(&self.namespace);
        s.push('/');
        s.push_str(&self.name);
        s
    }

    /// The object that holds the rule: the delegate VirtualService for a delegated rule.
    pub fn holder(&self) -> usize {
        self.delegate.as_ref().map_or(self.obj, |d| d.obj)
    }

    /// `Kind/ns/name` of the object that holds the rule.
    pub fn route(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    /// Whether the rule comes from a Gateway API route (istiod's gateway semantics).
    pub fn gateway_api(&self) -> bool {
        self.kind != VIRTUAL_SERVICE
    }

    /// The JSON pointer of the rule (or its match) inside its holder.
    pub fn pointer(&self) -> String {
        if self.gateway_api() {
            return match self.match_index {
                Some(j) => format!("/spec/rules/{}/matches/{j}", self.rule),
                None => format!("/spec/rules/{}", self.rule),
            };
        }
        let (rule, m) = match &self.delegate {
            Some(d) => (d.rule, self.delegate_match),
            None => (self.rule, self.match_index),
        };
        match m {
            Some(j) => format!("/spec/http/{rule}/match/{j}"),
            None => format!("/spec/http/{rule}"),
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.gateway_api() {
            write!(f, "{} {} rules[{}]", self.kind, self.vs(), self.rule)?;
            if let Some(j) = self.match_index {
                write!(f, " matches[{j}]")?;
            }
            return Ok(());
        }
        write!(f, "{} http[{}]", self.vs(), self.rule)?;
        if let Some(j) = self.match_index {
            write!(f, " match[{j}]")?;
        }
        if let Some(d) = &self.delegate {
            write!(f, " → delegate {}/{} http[{}]", d.namespace, d.name, d.rule)?;
            if let Some(j) = self.delegate_match {
                write!(f, " match[{j}]")?;
            }
        }
        Ok(())
    }
}

/// One destination of a compiled route, resolved as istiod resolves it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Destination {
    /// FQDN.
    pub host: String,
    /// `""` for none.
    pub subset: String,
    pub port: u32,
    /// Share of traffic in percent (weights normalised; a single destination gets 100).
    pub weight: f64,
    /// `outbound|port|subset|host`.
    pub cluster: String,
    /// Why Envoy has no such cluster (503 NC), if it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// The request header operations this backend's requests get: the route's, then the
    /// destination's own (names lower-cased).
    #[serde(skip_serializing_if = "HeaderOps::is_empty")]
    pub request_headers: HeaderOps,
}

/// Header operations as Envoy applies them: `set` replaces, `add` appends, `remove` drops.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HeaderOps {
    pub set: std::collections::BTreeMap<String, String>,
    pub add: std::collections::BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl HeaderOps {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }

    /// These operations followed by `more`'s: a later `set` of a name wins.
    pub fn then(&mut self, more: Option<&crate::model::networking::HeaderOperations>) {
        let Some(more) = more else { return };
        for (k, v) in more.set.iter().flatten() {
            self.set.insert(k.to_ascii_lowercase(), v.clone());
        }
        for (k, v) in more.add.iter().flatten() {
            self.add.insert(k.to_ascii_lowercase(), v.clone());
        }
        for r in more.remove.iter().flatten() {
            let r = r.to_ascii_lowercase();
            if !self.remove.contains(&r) {
                self.remove.push(r);
            }
        }
    }
}

/// What a route does once it matched.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Forward(Vec<Destination>),
    Redirect,
    DirectResponse {
        status: u32,
        body: Option<String>,
    },
    /// The sidecar's `allow_any` route: to the original destination.
    Passthrough,
}

/// One Envoy route.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    /// `None` for routes istiod makes itself (default routes, the catch-all virtual host).
    pub from: Option<Provenance>,
    /// The Envoy route name.
    pub name: String,
    pub matcher: RouteMatch,
    pub action: Action,
    /// The VirtualService rule, for policies (rewrite, redirect, fault, timeout, retries…).
    pub rule: Option<&'a HTTPRoute>,
    pub mirrors: Vec<(Destination, f64)>,
    /// On a gateway: the key (`ns/name`) of the Gateway whose server took the VirtualService.
    pub server: Option<std::rc::Rc<str>>,
}

/// One virtual host.
#[derive(Debug, Clone)]
pub struct VirtualHost<'a> {
    pub name: String,
    pub domains: Vec<String>,
    pub routes: Vec<Route<'a>>,
    /// `tls.httpsRedirect`: every plain-text request gets a 301 to https.
    pub require_tls: bool,
}

/// A rule (or one of its matches) that is not in the route table, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    pub from: Provenance,
    pub reason: String,
    /// The hosts of the VirtualService, so that a trace shows only the drops that concern the
    /// request's host.
    #[serde(skip)]
    pub hosts: Vec<String>,
}

impl Dropped {
    pub fn new(from: Provenance, reason: String) -> Dropped {
        Dropped { from, reason, hosts: Vec::new() }
    }

    /// Whether the drop concerns a request for `host` (lower-case, no port).
    pub fn concerns(&self, host: &str) -> bool {
        self.hosts.is_empty() || self.hosts.iter().any(|h| crate::mesh::hosts::matches(h, host))
    }
}

/// One route configuration (RDS).
#[derive(Debug, Clone)]
pub struct RouteConfig<'a> {
    pub name: String,
    /// The port the client connects to (a gateway server port, or a service port).
    pub port: u32,
    /// The port of the listener that holds it: for a gateway, the server port translated to the
    /// gateway Service's `targetPort`.
    pub listener_port: u32,
    pub virtual_hosts: Vec<VirtualHost<'a>>,
    pub dropped: Vec<Dropped>,
    /// For a terminating HTTPS server's own route configuration: the server hosts its filter
    /// chain answers by SNI, lower-cased, sorted and deduplicated (a set, as Envoy compares them).
    pub tls_hosts: Option<Vec<String>>,
    /// The virtual hosts' domains, indexed for Envoy's selection.
    pub domains: DomainIndex,
}

impl<'c> RouteConfig<'c> {
    pub fn new(
        name: String,
        port: u32,
        virtual_hosts: Vec<VirtualHost<'c>>,
        dropped: Vec<Dropped>,
        tls_hosts: Option<Vec<String>>,
    ) -> Self {
        let domains = DomainIndex::new(virtual_hosts.iter().map(|v| v.domains.as_slice()));
        RouteConfig { name, port, listener_port: port, virtual_hosts, dropped, tls_hosts, domains }
    }
}
