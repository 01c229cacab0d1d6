//! The authorization engine: which AuthorizationPolicies, RequestAuthentications and
//! PeerAuthentications reach a proxy, and what that proxy decides for one request, as istiod
//! builds Envoy's RBAC, jwt_authn and TLS settings and Envoy evaluates them. `simulate` and the
//! security lint rules both ask it; nothing else decides what a policy matches.
//!
//! Sources (istio/istio 1.30): `pilot/pkg/model/{authorization,authentication,policyattachment}.go`
//! (selection), `pilot/pkg/security/authz/{builder,model,matcher}/` (rules),
//! `pilot/pkg/security/authn/policy_applier.go` (JWT and mTLS), `../shared/research/security.md`.

pub mod jwt;
pub mod matcher;
pub mod mtls;
#[cfg(test)]
mod tests;

use crate::lint::Context;
use crate::mesh::selects;
use crate::model::Typed;
use crate::model::core::StringMap;
use crate::model::security::{
    Action, AuthorizationPolicy, Condition, Operation, PeerAuthentication, PolicyTargetReference,
    RequestAuthentication, Rule, Source, WorkloadSelector,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The label istiod's deployment controller puts on a Gateway API gateway's pods.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
/// The annotation that makes an AuthorizationPolicy dry-run (`istio.io/dry-run: "true"`).
pub const DRY_RUN: &str = "istio.io/dry-run";

/// One security resource of the input.
#[derive(Debug)]
pub struct Policy<'a, T> {
    pub obj: usize,
    pub namespace: String,
    pub name: String,
    pub created: &'a str,
    pub res: &'a T,
}

impl<T> Policy<'_, T> {
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The proxy a policy may reach: a workload's namespace and pod labels.
#[derive(Debug, Clone, Copy)]
pub struct Target<'t> {
    pub namespace: &'t str,
    pub labels: &'t StringMap,
}

/// The security resources of the input, and the mesh settings they are read with.
#[derive(Debug)]
pub struct Engine<'a> {
    pub authorization: Vec<Policy<'a, AuthorizationPolicy>>,
    pub peer: Vec<Policy<'a, PeerAuthentication>>,
    pub request: Vec<Policy<'a, RequestAuthentication>>,
    pub root_namespace: String,
    pub trust_domain: String,
    pub trust_domain_aliases: Vec<String>,
    /// The names of `meshConfig.extensionProviders`.
    pub providers: Vec<String>,
    pub path_normalization: String,
    pub auto_mtls: bool,
    /// Per namespace, the indices of its policies in `authorization`, `request` and `peer`.
    by_namespace: foldhash::HashMap<String, [Vec<usize>; 3]>,
    /// The labels of each Namespace object of the input (`None`: it has none).
    namespaces: foldhash::HashMap<String, Option<&'a StringMap>>,
}

impl<'a> Engine<'a> {
    pub fn new(cx: &Context<'a>) -> Engine<'a> {
        let mesh = cx.mesh();
        let config = mesh.config;
        let mut e = Engine {
            authorization: Vec::new(),
            peer: Vec::new(),
            request: Vec::new(),
            root_namespace: config.root_namespace.clone(),
            trust_domain: config.trust_domain.clone(),
            trust_domain_aliases: config.trust_domain_aliases.clone(),
            providers: config.extension_providers.iter().filter_map(|p| p.name.clone()).collect(),
            path_normalization: config.path_normalization.normalization.clone(),
            auto_mtls: config.enable_auto_mtls,
            by_namespace: Default::default(),
            namespaces: Default::default(),
        };
        for (i, (obj, t)) in cx.objects.iter().zip(cx.typed).enumerate() {
            let Some(Ok(t)) = t else { continue };
            if let (Typed::Namespace(n), Some(name)) = (t, &obj.name) {
                e.namespaces.entry(name.clone()).or_insert(n.metadata.labels.as_ref());
            }
            let namespace = obj.namespace_or(&cx.options.default_namespace).to_string();
            let name = obj.name.clone().unwrap_or_default();
            let created = |m: &'a crate::model::core::ObjectMeta| m.creation_timestamp.as_deref().unwrap_or_default();
            match t {
                Typed::AuthorizationPolicy(p) => {
                    e.authorization.push(Policy { obj: i, namespace, name, created: created(&p.metadata), res: p })
                }
                Typed::PeerAuthentication(p) => {
                    e.peer.push(Policy { obj: i, namespace, name, created: created(&p.metadata), res: p })
                }
                Typed::RequestAuthentication(p) => {
                    e.request.push(Policy { obj: i, namespace, name, created: created(&p.metadata), res: p })
                }
                _ => {}
            }
        }
        for (k, p) in e.authorization.iter().enumerate() {
            e.by_namespace.entry(p.namespace.clone()).or_default()[0].push(k);
        }
        for (k, p) in e.request.iter().enumerate() {
            e.by_namespace.entry(p.namespace.clone()).or_default()[1].push(k);
        }
        for (k, p) in e.peer.iter().enumerate() {
            e.by_namespace.entry(p.namespace.clone()).or_default()[2].push(k);
        }
        e
    }

    /// The indices of the policies of kind `kind` (0 authorization, 1 request, 2 peer) in the root
    /// namespace and in `ns`, in input order: the only ones that can reach a workload of `ns`.
    fn candidates(&self, ns: &str, kind: usize) -> Vec<usize> {
        let of = |n: &str| self.by_namespace.get(n).map_or(&[][..], |l| l[kind].as_slice());
        let mut v: Vec<usize> = of(&self.root_namespace).to_vec();
        if ns != self.root_namespace {
            v.extend_from_slice(of(ns));
            v.sort_unstable();
        }
        v
    }

    /// The PeerAuthentications of the root namespace and of `ns`.
    pub(crate) fn peer_candidates(&self, ns: &str) -> impl Iterator<Item = &Policy<'a, PeerAuthentication>> {
        self.candidates(ns, 2).into_iter().map(|k| &self.peer[k])
    }

    /// Whether the input holds any security resource: without one, every request is allowed and
    /// auto mTLS decides the transport.
    pub fn is_empty(&self) -> bool {
        self.authorization.is_empty() && self.peer.is_empty() && self.request.is_empty()
    }

    /// `ShouldAttachPolicy` and `getConfigsForWorkload`: a policy in the root namespace or the
    /// workload's; `targetRef(s)` attach only to a Gateway API gateway of the same namespace (and
    /// make the policy ignore its selector); otherwise the selector's labels are a subset of the
    /// pod's, or there is no selector.
    pub fn attaches(
        &self,
        policy_ns: &str,
        selector: Option<&WorkloadSelector>,
        refs: &[&PolicyTargetReference],
        t: &Target,
    ) -> bool {
        if policy_ns != self.root_namespace && policy_ns != t.namespace {
            return false;
        }
        if !refs.is_empty() {
            let Some(gateway) = t.labels.get(GATEWAY_NAME_LABEL) else { return false };
            return policy_ns == t.namespace
                && refs.iter().any(|r| {
                    r.kind.as_deref() == Some("Gateway")
                        && r.group.as_deref().is_none_or(|g| g == "gateway.networking.k8s.io")
                        && r.name.as_deref() == Some(gateway.as_str())
                });
        }
        selector.and_then(|s| s.match_labels.as_ref()).is_none_or(|m| selects(m, t.labels))
    }

    /// The AuthorizationPolicies that reach `t`.
    pub fn authorization_for(&self, t: &Target) -> Vec<&Policy<'a, AuthorizationPolicy>> {
        self.candidates(t.namespace, 0)
            .into_iter()
            .map(|k| &self.authorization[k])
            .filter(|p| {
                self.attaches(
                    &p.namespace,
                    p.res.spec.selector.as_ref(),
                    &refs(&p.res.spec.target_ref, &p.res.spec.target_refs),
                    t,
                )
            })
            .collect()
    }

    /// The RequestAuthentications that reach `t`.
    pub fn request_authentication_for(&self, t: &Target) -> Vec<&Policy<'a, RequestAuthentication>> {
        self.candidates(t.namespace, 1)
            .into_iter()
            .map(|k| &self.request[k])
            .filter(|p| {
                self.attaches(
                    &p.namespace,
                    p.res.spec.selector.as_ref(),
                    &refs(&p.res.spec.target_ref, &p.res.spec.target_refs),
                    t,
                )
            })
            .collect()
    }

    /// The authorization decision at the proxy of `t` for a request with these attributes:
    /// CUSTOM, then DENY, then ALLOW (`builder.go` `build`); AUDIT and dry-run policies decide
    /// nothing; with ALLOW policies and none matching, the implicit deny.
    pub fn decide(&self, t: &Target, a: &Attributes) -> Decision {
        let mut policies = self.authorization_for(t);
        // Envoy reports the first match in the order of its RBAC policy names,
        // `ns[<ns>]-policy[<name>]-rule[<i>]`.
        policies.sort_by(|x, y| (&x.namespace, &x.name).cmp(&(&y.namespace, &y.name)));
        let mut d = Decision { allow: true, policy: None, rule: None, action: None, notes: Vec::new() };
        let custom: Vec<&str> = policies
            .iter()
            .filter(|p| p.res.spec.action() == Action::Custom && !dry_run(p))
            .filter_map(|p| p.res.spec.provider.as_ref()?.name.as_deref())
            .collect();
        let several_providers = custom.iter().any(|p| *p != custom[0]);
        // CUSTOM whose provider is missing (or one of several) is built as DENY (`getBadCustomDenyRules`).
        for pass in [Action::Custom, Action::Deny, Action::Allow, Action::Audit] {
            let of_pass: Vec<&&Policy<AuthorizationPolicy>> =
                policies.iter().filter(|p| p.res.spec.action() == pass).collect();
            let mut enforced_allow = false;
            for p in &of_pass {
                let dry = dry_run(p);
                let action = p.res.spec.action();
                let found = self.first_match(p, a, &mut d.notes);
                let shown = p.key();
                if dry {
                    d.notes.push(match found {
                        Some(i) => format!(
                            "{shown} ({}, dry-run): rule {i} matches; a dry-run policy is not enforced",
                            action.as_str()
                        ),
                        None => format!(
                            "{shown} ({}, dry-run): no rule matches; a dry-run policy is not enforced",
                            action.as_str()
                        ),
                    });
                    continue;
                }
                match action {
                    Action::Custom => {
                        let provider = p.res.spec.provider.as_ref().and_then(|x| x.name.as_deref()).unwrap_or_default();
                        let known = self.providers.iter().any(|n| n == provider);
                        match found {
                            None => d.notes.push(format!("{shown} (CUSTOM): no rule matches")),
                            Some(i) if known && !several_providers => d.notes.push(format!(
                                "{shown} (CUSTOM): rule {i} matches, so the request goes to the ext_authz provider \
                                 `{provider}`; meshctl cannot know what it answers and goes on as if it allows"
                            )),
                            Some(i) => {
                                let why = if several_providers {
                                    "the workload has CUSTOM policies for several providers, which istiod builds as DENY \
                                     (PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS is off)"
                                        .to_string()
                                } else {
                                    format!(
                                        "the provider `{provider}` is not in the mesh config's extensionProviders, so istiod builds its rules as DENY"
                                    )
                                };
                                d.notes.push(format!("{shown} (CUSTOM): rule {i} matches; {why}"));
                                return d.deny(p, i, Action::Custom);
                            }
                        }
                    }
                    Action::Deny => match found {
                        Some(i) => {
                            d.notes.push(format!("{shown} (DENY): rule {i} matches: denied"));
                            return d.deny(p, i, Action::Deny);
                        }
                        None => d.notes.push(format!("{shown} (DENY): no rule matches")),
                    },
                    Action::Allow => {
                        enforced_allow = true;
                        match found {
                            Some(i) if d.policy.is_none() => {
                                d.notes.push(format!("{shown} (ALLOW): rule {i} matches: allowed"));
                                d.policy = Some(shown);
                                d.rule = Some(i);
                                d.action = Some(Action::Allow);
                            }
                            Some(i) => d.notes.push(format!("{shown} (ALLOW): rule {i} matches too")),
                            None if p.res.spec.rules.as_ref().is_none_or(Vec::is_empty) => d
                                .notes
                                .push(format!("{shown} (ALLOW): has no rules, so it matches nothing (allow-nothing)")),
                            None => d.notes.push(format!("{shown} (ALLOW): no rule matches")),
                        }
                    }
                    Action::Audit => d.notes.push(match found {
                        Some(i) => format!("{shown} (AUDIT): rule {i} matches; AUDIT only logs"),
                        None => format!("{shown} (AUDIT): no rule matches"),
                    }),
                    Action::Unknown => {
                        d.notes.push(format!("{shown}: its action is not one Istio knows; istiod rejects the policy"))
                    }
                }
            }
            if pass == Action::Allow {
                if !enforced_allow {
                    d.notes.push("no ALLOW policy applies to the workload: allowed".into());
                } else if d.policy.is_none() {
                    d.notes.push(
                        "ALLOW policies apply to the workload and none matches: denied (the implicit deny, no policy decided)"
                            .into(),
                    );
                    d.allow = false;
                    return d;
                }
            }
        }
        d
    }

    /// Whether the workload `t` refuses every request (or connection) on its port `port`, whoever
    /// sends it, and why: an enforced DENY rule with no condition but the port, or ALLOW policies
    /// none of whose rules can match that port (no rules, other ports, or on TCP only rules with
    /// HTTP fields, which istiod drops).
    pub fn denies_all(&self, t: &Target, port: u32, http: bool) -> Option<String> {
        let p = port.to_string();
        let set = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
        let port_ok = |o: &Operation| {
            o.ports.as_ref().filter(|v| !v.is_empty()).is_none_or(|v| v.contains(&p))
                && o.not_ports.as_ref().is_none_or(|v| !v.contains(&p))
        };
        let policies: Vec<_> = self.authorization_for(t).into_iter().filter(|x| !dry_run(x)).collect();
        for d in policies.iter().filter(|x| x.res.spec.action() == Action::Deny) {
            for (i, r) in d.res.spec.rules.iter().flatten().enumerate() {
                // On TCP the DENY loses its HTTP fields: what is left must be the port alone.
                let from_any = r.from.as_ref().is_none_or(|f| {
                    f.is_empty()
                        || f.iter().any(|x| {
                            x.source.as_ref().is_none_or(|s| {
                                let left =
                                    Source { request_principals: None, not_request_principals: None, ..s.clone() };
                                left == Source::default() && (!http || s == &Source::default())
                            })
                        })
                });
                let to_any = r.to.as_ref().is_none_or(|t| {
                    t.is_empty()
                        || t.iter().any(|x| {
                            x.operation.as_ref().is_none_or(|o| {
                                let http_fields =
                                    [&o.hosts, &o.not_hosts, &o.methods, &o.not_methods, &o.paths, &o.not_paths];
                                port_ok(o) && (!http || !http_fields.iter().any(|f| set(f)))
                            })
                        })
                });
                let when_any = r.when.iter().flatten().all(|c| !http && key_kind(&c.key) == KeyKind::Http);
                if from_any && to_any && when_any {
                    return Some(format!("denied by {} rule {i}", d.key()));
                }
            }
        }
        let allows: Vec<_> = policies.iter().filter(|x| x.res.spec.action() == Action::Allow).collect();
        if allows.is_empty() {
            return None;
        }
        let can_match = allows.iter().any(|a| {
            a.res.spec.rules.iter().flatten().any(|r| {
                (http || http_only_field(r).is_none())
                    && r.to
                        .as_ref()
                        .is_none_or(|t| t.is_empty() || t.iter().any(|x| x.operation.as_ref().is_none_or(port_ok)))
            })
        });
        (!can_match).then(|| {
            let names: Vec<String> = allows.iter().map(|a| a.key()).collect();
            format!("implicit deny: no rule of the ALLOW policies {} can match port {port}", names.join(", "))
        })
    }

    /// The index of the first rule of `p` that matches (`None` if none does). Rules istiod does not
    /// build for this request's protocol, or that meshctl cannot evaluate, are named in `notes`.
    fn first_match(&self, p: &Policy<AuthorizationPolicy>, a: &Attributes, notes: &mut Vec<String>) -> Option<usize> {
        let action = p.res.spec.action();
        for (i, rule) in p.res.spec.rules.iter().flatten().enumerate() {
            match self.rule_matches(rule, action, &p.namespace, a) {
                Ok(true) => return Some(i),
                Ok(false) => {}
                Err(why) => notes.push(format!("{} rule {i}: {why}", p.key())),
            }
        }
        None
    }

    /// One rule (`model.go` `New`/`Generate`): any `from`, any `to`, every `when`. On a TCP
    /// connection an ALLOW (or CUSTOM) rule that uses an HTTP-only field is not built at all
    /// (`Err`), and a DENY or AUDIT rule is built without those fields.
    pub fn rule_matches(&self, rule: &Rule, action: Action, policy_ns: &str, a: &Attributes) -> Result<bool, String> {
        let strip = !a.http && matches!(action, Action::Deny | Action::Audit);
        if !a.http
            && !strip
            && let Some(field) = http_only_field(rule)
        {
            return Err(format!("uses `{field}`, an HTTP-only field, on a TCP connection: istiod drops the rule"));
        }
        for c in rule.when.iter().flatten() {
            if key_kind(&c.key) == KeyKind::Unsupported {
                return Err(format!(
                    "`when` key `{}` is one meshctl does not evaluate, so the rule is left out",
                    c.key
                ));
            }
        }
        let from_ok = match rule.from.as_deref() {
            None | Some([]) => true,
            Some(froms) => froms.iter().any(|f| f.source.as_ref().is_none_or(|s| self.source(s, policy_ns, a, strip))),
        };
        let to_ok = match rule.to.as_deref() {
            None | Some([]) => true,
            Some(tos) => tos.iter().any(|t| t.operation.as_ref().is_none_or(|o| operation(o, a, strip))),
        };
        let when_ok = rule.when.iter().flatten().all(|c| {
            let http = matches!(key_kind(&c.key), KeyKind::Http);
            (strip && http) || self.condition(c, policy_ns, a)
        });
        Ok(from_ok && to_ok && when_ok)
    }

    fn source(&self, s: &Source, policy_ns: &str, a: &Attributes, strip: bool) -> bool {
        let td = self.trust_domain.as_str();
        let aliases = &self.trust_domain_aliases;
        let principal = a.principal.unwrap_or_default();
        let has_principal = a.principal.is_some_and(|p| !p.is_empty());
        let (iss, sub) = a.request_principal();
        let request_ok = strip
            || field(&s.request_principals, &s.not_request_principals, a.jwt.is_some(), |v| {
                matcher::request_principal(v, &iss, &sub)
            });
        field(&s.principals, &s.not_principals, has_principal, |v| matcher::principal(v, principal, td, aliases))
            && field(&s.namespaces, &s.not_namespaces, has_principal, |v| matcher::namespace(v, principal))
            && field(&s.service_accounts, &s.not_service_accounts, has_principal, |v| {
                matcher::service_account(v, policy_ns, principal)
            })
            && field(&s.trust_domains, &s.not_trust_domains, has_principal, |v| {
                matcher::trust_domain(v, principal, td, aliases)
            })
            && field(&s.ip_blocks, &s.not_ip_blocks, a.source_ip.is_some(), |v| matcher::ip(v, a.source_ip))
            && field(&s.remote_ip_blocks, &s.not_remote_ip_blocks, a.remote_ip.is_some(), |v| {
                matcher::ip(v, a.remote_ip)
            })
            && request_ok
    }

    fn condition(&self, c: &Condition, policy_ns: &str, a: &Attributes) -> bool {
        let key = c.key.as_str();
        let principal = a.principal.unwrap_or_default();
        let has_principal = !principal.is_empty();
        let test = |f: &dyn Fn(&str) -> bool, present: bool| field(&c.values, &c.not_values, present, f);
        if let Some(name) = bracketed(key, "request.headers") {
            let value = a.header(name);
            return test(&|v| matcher::string(v, value.unwrap_or_default()), value.is_some());
        }
        if let Some(path) = key.strip_prefix("request.auth.claims") {
            let claim = a.jwt.and_then(|j| claim(j, path));
            return test(&|v| claim.as_ref().is_some_and(|c| c.iter().any(|x| matcher::string(v, x))), claim.is_some());
        }
        match key {
            "source.ip" => test(&|v| matcher::ip(v, a.source_ip), a.source_ip.is_some()),
            "remote.ip" => test(&|v| matcher::ip(v, a.remote_ip), a.remote_ip.is_some()),
            "destination.ip" => test(&|v| matcher::ip(v, a.destination_ip), a.destination_ip.is_some()),
            "destination.port" => test(&|v| v == a.port.to_string(), true),
            "source.namespace" => test(&|v| matcher::namespace(v, principal), has_principal),
            "source.principal" => test(
                &|v| matcher::principal(v, principal, &self.trust_domain, &self.trust_domain_aliases),
                has_principal,
            ),
            "source.serviceAccount" => test(&|v| matcher::service_account(v, policy_ns, principal), has_principal),
            "connection.sni" => test(&|v| matcher::string(v, a.sni.unwrap_or_default()), a.sni.is_some()),
            "request.auth.principal" => {
                let (iss, sub) = a.request_principal();
                test(&|v| matcher::request_principal(v, &iss, &sub), a.jwt.is_some())
            }
            "request.auth.audiences" => {
                let aud = a.jwt.and_then(|j| claim(j, "[aud]"));
                test(&|v| aud.as_ref().is_some_and(|c| c.iter().any(|x| matcher::string(v, x))), aud.is_some())
            }
            "request.auth.presenter" => {
                let azp = a.jwt.and_then(|j| claim(j, "[azp]"));
                test(&|v| azp.as_ref().is_some_and(|c| c.iter().any(|x| matcher::string(v, x))), azp.is_some())
            }
            _ => false,
        }
    }
}

/// `targetRef` and `targetRefs` together.
pub fn refs<'r>(
    one: &'r Option<PolicyTargetReference>,
    many: &'r Option<Vec<PolicyTargetReference>>,
) -> Vec<&'r PolicyTargetReference> {
    one.iter().chain(many.iter().flatten()).collect()
}

pub fn dry_run<T: HasMeta>(p: &Policy<T>) -> bool {
    dry_run_meta(p.res)
}

/// Whether a policy carries `istio.io/dry-run: "true"`.
pub fn dry_run_meta<T: HasMeta>(p: &T) -> bool {
    p.annotations().and_then(|a| a.get(DRY_RUN)).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Access to a security resource's annotations.
pub trait HasMeta {
    fn annotations(&self) -> Option<&StringMap>;
}

impl HasMeta for AuthorizationPolicy {
    fn annotations(&self) -> Option<&StringMap> {
        self.metadata.annotations.as_ref()
    }
}

/// Values of one field ORed; a set field needs its attribute, a `not` field holds without it.
/// An empty list is as if unset (istiod checks `len`).
fn field(values: &Option<Vec<String>>, nots: &Option<Vec<String>>, present: bool, f: impl Fn(&str) -> bool) -> bool {
    let set = |v: &Option<Vec<String>>| v.as_ref().filter(|v| !v.is_empty()).cloned();
    let pos = set(values).is_none_or(|v| present && v.iter().any(|x| f(x)));
    let neg = set(nots).is_none_or(|v| !present || !v.iter().any(|x| f(x)));
    pos && neg
}

fn operation(o: &Operation, a: &Attributes, strip: bool) -> bool {
    let http = |values: &Option<Vec<String>>, nots: &Option<Vec<String>>, f: &dyn Fn(&str) -> bool| {
        strip || field(values, nots, a.http, f)
    };
    http(&o.hosts, &o.not_hosts, &|v| matcher::string_ignore_case(v, a.host))
        && http(&o.methods, &o.not_methods, &|v| v == a.method)
        && http(&o.paths, &o.not_paths, &|v| matcher::path(v, a.path))
        && field(&o.ports, &o.not_ports, true, |v| v == a.port.to_string())
}

/// What a `when` key reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Available on TCP connections too.
    Tcp,
    /// HTTP-only: headers and JWT attributes.
    Http,
    /// Envoy metadata and keys Istio rejects: meshctl does not evaluate them.
    Unsupported,
}

pub fn key_kind(key: &str) -> KeyKind {
    if bracketed(key, "request.headers").is_some() || key.starts_with("request.auth.") {
        return KeyKind::Http;
    }
    match key {
        "source.ip"
        | "remote.ip"
        | "destination.ip"
        | "destination.port"
        | "source.namespace"
        | "source.principal"
        | "source.serviceAccount"
        | "connection.sni" => KeyKind::Tcp,
        _ => KeyKind::Unsupported,
    }
}

/// The HTTP-only field a rule uses, if any (`model.go` `checkError`): hosts, methods, paths,
/// requestPrincipals and the `request.*` keys.
pub fn http_only_field(rule: &Rule) -> Option<&'static str> {
    let set = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    for f in rule.from.iter().flatten().filter_map(|f| f.source.as_ref()) {
        if set(&f.request_principals) {
            return Some("requestPrincipals");
        }
        if set(&f.not_request_principals) {
            return Some("notRequestPrincipals");
        }
    }
    for o in rule.to.iter().flatten().filter_map(|t| t.operation.as_ref()) {
        for (name, v) in [
            ("hosts", &o.hosts),
            ("notHosts", &o.not_hosts),
            ("methods", &o.methods),
            ("notMethods", &o.not_methods),
            ("paths", &o.paths),
            ("notPaths", &o.not_paths),
        ] {
            if set(v) {
                return Some(name);
            }
        }
    }
    rule.when.iter().flatten().find(|c| key_kind(&c.key) == KeyKind::Http).map(|_| "when")
}

/// The peer-identity field a rule reads, if any: principals, namespaces, service accounts, trust
/// domains (and their `not` forms), `source.principal`, `source.namespace`. Only Istio mTLS gives a
/// peer identity.
pub fn identity_field(rule: &Rule) -> Option<&'static str> {
    let set = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    for s in rule.from.iter().flatten().filter_map(|f| f.source.as_ref()) {
        for (name, v) in [
            ("principals", &s.principals),
            ("notPrincipals", &s.not_principals),
            ("namespaces", &s.namespaces),
            ("notNamespaces", &s.not_namespaces),
            ("serviceAccounts", &s.service_accounts),
            ("notServiceAccounts", &s.not_service_accounts),
            ("trustDomains", &s.trust_domains),
            ("notTrustDomains", &s.not_trust_domains),
        ] {
            if set(v) {
                return Some(name);
            }
        }
    }
    rule.when.iter().flatten().find_map(|c| match c.key.as_str() {
        "source.principal" => Some("source.principal"),
        "source.namespace" => Some("source.namespace"),
        _ => None,
    })
}

/// `prefix[name]` → `name`.
fn bracketed<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    key.strip_prefix(prefix)?.strip_prefix('[')?.strip_suffix(']')
}

/// A claim by its `[a][b]` path, as the strings a matcher compares: a list claim gives its
/// elements; `scope` and `permission` (space-delimited) their words.
fn claim(jwt: &serde_json::Map<String, Value>, path: &str) -> Option<Vec<String>> {
    let names: Vec<&str> = path.strip_prefix('[')?.strip_suffix(']')?.split("][").collect();
    let mut v = jwt.get(*names.first()?)?;
    for n in &names[1..] {
        v = v.get(n)?;
    }
    let spaced = names.len() == 1 && matches!(names[0], "scope" | "permission");
    Some(match v {
        Value::String(s) if spaced => s.split_whitespace().map(str::to_string).collect(),
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        Value::Bool(b) => vec![b.to_string()],
        _ => return None,
    })
}

/// What one proxy knows of a request when it authorizes it.
#[derive(Debug, Clone, Default)]
pub struct Attributes<'r> {
    /// An HTTP request (else a TCP connection, with no HTTP attributes).
    pub http: bool,
    /// The peer's principal, without `spiffe://`: set only over Istio mTLS.
    pub principal: Option<&'r str>,
    /// The TCP peer of this proxy (`source.ip`, `ipBlocks`).
    pub source_ip: Option<IpAddr>,
    /// Envoy's trusted client address (`remote.ip`, `remoteIpBlocks`).
    pub remote_ip: Option<IpAddr>,
    pub destination_ip: Option<IpAddr>,
    /// The port the proxy received the connection on: the workload (target) port.
    pub port: u32,
    /// The TLS server name the proxy saw.
    pub sni: Option<&'r str>,
    pub host: &'r str,
    pub method: &'r str,
    /// The normalized path, without its query.
    pub path: &'r str,
    /// Request headers by lower-case name.
    pub headers: BTreeMap<String, String>,
    /// The claims of the JWT a RequestAuthentication validated.
    pub jwt: Option<&'r serde_json::Map<String, Value>>,
}

impl Attributes<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// `iss` and `sub` of the validated token.
    fn request_principal(&self) -> (String, String) {
        let get = |k: &str| self.jwt.and_then(|j| j.get(k)?.as_str()).unwrap_or_default().to_string();
        (get("iss"), get("sub"))
    }
}

/// The decision of one proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub allow: bool,
    /// `ns/name` of the policy that decided; `None` when none did (no ALLOW policy applies, or
    /// the implicit deny).
    pub policy: Option<String>,
    pub rule: Option<usize>,
    pub action: Option<Action>,
    /// Every policy tried, and why it did or did not decide.
    pub notes: Vec<String>,
}

impl Decision {
    fn deny(mut self, p: &Policy<AuthorizationPolicy>, rule: usize, action: Action) -> Decision {
        self.allow = false;
        self.policy = Some(p.key());
        self.rule = Some(rule);
        self.action = Some(action);
        self
    }
}

/// The `authz` of a `simulate` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthzAnswer {
    /// `allow` or `deny`; `mixed` when the workloads behind the destination are governed
    /// differently (each is in `workloads`).
    pub decision: &'static str,
    /// `ns/name` of the policy that decided, or null (no policy applies, or the implicit deny).
    pub policy: Option<String>,
    pub rule: Option<usize>,
    /// 403, or 401 for a JWT refused; null when allowed, or on a TCP connection (closed).
    pub status: Option<u32>,
    /// The proxy that decided.
    pub at: String,
    /// Per workload, when they differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadAuthz>,
}

/// The decision at one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadAuthz {
    pub workload: String,
    pub decision: &'static str,
    pub policy: Option<String>,
    pub rule: Option<usize>,
    pub status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtls: Option<MtlsAnswer>,
}

/// The `mtls` of a `simulate` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MtlsAnswer {
    /// What the client sends: `ISTIO_MUTUAL`, `SIMPLE`, `MUTUAL` or `DISABLE` (plain text).
    pub client: &'static str,
    /// What the server accepts on that port: `STRICT`, `PERMISSIVE`, `DISABLE`, or `NONE` (no
    /// sidecar).
    pub server: &'static str,
    pub ok: bool,
}

/// Whether a workload runs a sidecar, and how the input shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sidecar {
    Yes,
    No,
    /// The input does not show: its namespace is not in the input, and nothing on the pod says.
    Unseen,
}

/// `inMesh` of `pkg/config/analysis/analyzers/util/in_mesh.go`, in its order: an `istio-proxy`
/// container; the pod label `sidecar.istio.io/inject`; the annotation; the namespace label
/// `istio-injection: enabled` (meshctl also takes `istio.io/rev`, as the injector does). WorkloadEntries
/// and gateway deployments are proxies themselves.
pub fn sidecar(cx: &Context, w: &crate::mesh::Workload) -> Sidecar {
    let Some(i) = w.obj else { return Sidecar::Yes };
    let t = match cx.typed.get(i) {
        Some(Some(Ok(t))) => t,
        _ => return Sidecar::Unseen,
    };
    let Some((annotations, spec)) = t.pod_template() else { return Sidecar::Yes };
    if spec.is_some_and(|s| s.containers.iter().any(|c| c.name == "istio-proxy")) {
        return Sidecar::Yes;
    }
    const INJECT: &str = "sidecar.istio.io/inject";
    for m in [Some(w.labels), annotations].into_iter().flatten() {
        if let Some(v) = m.get(INJECT) {
            return if v == "true" { Sidecar::Yes } else { Sidecar::No };
        }
    }
    match namespace_labels(cx, &w.namespace) {
        Some(labels) => {
            let injected = labels.is_some_and(|l| {
                l.get("istio-injection").is_some_and(|v| v == "enabled") || l.contains_key("istio.io/rev")
            });
            if injected { Sidecar::Yes } else { Sidecar::No }
        }
        None => Sidecar::Unseen,
    }
}

/// The labels of the Namespace `ns` when the input holds it (`Some(None)`: it has none).
pub fn namespace_labels<'c>(cx: &'c Context, ns: &str) -> Option<Option<&'c StringMap>> {
    cx.authz().namespaces.get(ns).copied()
}

/// The service account a workload's pods run as (`default` when unset).
pub fn service_account<'c>(cx: &'c Context, w: &crate::mesh::Workload) -> &'c str {
    let Some(Some(Ok(t))) = w.obj.and_then(|i| cx.typed.get(i)) else {
        // The implicit ingress gateway of Istio's default install.
        return if w.obj.is_none() { "istio-ingressgateway-service-account" } else { "default" };
    };
    let named = match t {
        Typed::WorkloadEntry(we) => we.spec.service_account.as_deref(),
        _ => t.pod_template().and_then(|(_, spec)| spec?.service_account_name.as_deref()),
    };
    named.filter(|s| !s.is_empty()).unwrap_or("default")
}

/// `ns/name` of a workload's object (`ns/istio-ingressgateway` for the implicit one).
pub fn workload_name(cx: &Context, w: &crate::mesh::Workload) -> String {
    let name = w.obj.and_then(|i| cx.objects[i].name.as_deref()).unwrap_or("istio-ingressgateway");
    format!("{}/{name}", w.namespace)
}

/// `remote.ip` at a gateway: with `numTrustedProxies` N > 0, the N-th `X-Forwarded-For` entry
/// from the right (the peer when XFF is shorter); with 0, the peer.
pub fn gateway_remote(xff: Option<&str>, n: u32, peer: Option<IpAddr>) -> Option<IpAddr> {
    if n == 0 {
        return peer;
    }
    let hops: Vec<&str> = xff.map(|x| x.split(',').map(str::trim).collect()).unwrap_or_default();
    if hops.len() < n as usize {
        return peer;
    }
    hops[hops.len() - n as usize].parse().ok().or(peer)
}

/// `remote.ip` at a sidecar (`use_remote_address: false`): the rightmost XFF entry, else the peer.
pub fn sidecar_remote(xff: Option<&str>, peer: Option<IpAddr>) -> Option<IpAddr> {
    xff.and_then(|x| x.rsplit(',').next()).and_then(|x| x.trim().parse().ok()).or(peer)
}

/// The workload port a Service port lands on: its `targetPort` by number, or by the name of a
/// container port of the workload; the Service port itself when neither says.
pub fn workload_port(cx: &Context, target: Option<&str>, w: Option<&crate::mesh::Workload>, port: u32) -> u32 {
    let Some(t) = target else { return port };
    if let Ok(n) = t.parse() {
        return n;
    }
    let spec = w.and_then(|w| w.obj).and_then(|i| match cx.typed.get(i) {
        Some(Some(Ok(t))) => t.pod_template().and_then(|(_, s)| s),
        _ => None,
    });
    spec.into_iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(t))
        .map_or(port, |p| p.container_port)
}
