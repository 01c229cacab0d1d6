//! TLS and security rules (`05xx`): what the proxies' TLS settings do at runtime, as istiod builds
//! them (`pilot/pkg/networking/core/cluster_tls.go`).

pub mod allow_nothing_by_accident;
pub mod authz_host_unknown;
pub mod authz_http_field_on_tcp;
pub mod authz_method_case;
pub mod custom_provider_not_found;
pub mod deny_shadows_allow;
pub mod gateway_credential_invalid;
pub mod gateway_credential_not_found;
pub mod gateway_duplicate_certificate;
pub mod gateway_tls_without_credentials;
pub mod identity_without_mtls;
pub mod jwks_fetch_unrestricted;
pub mod mtls_mismatch;
pub mod peer_authentication_ignored;
pub mod plaintext_under_strict;
pub mod policy_selects_no_workload;
pub mod port_level_mtls_on_service_port;
pub mod tls_origination_without_ca;
pub mod tls_origination_without_ca_port;
pub mod token_not_required;
pub mod unknown_identity;

use crate::lint::engine::Context;
use crate::lint::{Diagnostic, RuleMeta};
use crate::model::Typed;
use crate::model::networking::{ClientTLSMode, ClientTLSSettings};

/// Why TLS settings that originate SIMPLE or MUTUAL TLS pin no CA, if they do not: no
/// `caCertificates` and no `credentialName`. `istioctl analyze` says the server certificate is
/// then not verified (IST0128/IST0129); istiod 1.30 verifies it against the proxy's OS CA bundle
/// instead (`cluster_tls.go:214`: `CaCertificatePath` defaults to `system`), and not at all under
/// `insecureSkipVerify`. meshctl follows the runtime and says which.
///
/// Unlike the analyzer, a `credentialName` without a `workloadSelector` is not reported: gateways
/// read the CA from its Secret, and sidecars drop such settings altogether (`cluster_tls.go:118-127`),
/// which is how Istio's egress tasks use it.
fn unpinned(tls: &ClientTLSSettings) -> Option<(ClientTLSMode, &'static str)> {
    let mode = tls.mode.filter(|m| matches!(m, ClientTLSMode::Simple | ClientTLSMode::Mutual))?;
    let set = |v: &Option<String>| v.as_deref().is_some_and(|c| !c.is_empty());
    if set(&tls.ca_certificates) || set(&tls.credential_name) {
        return None;
    }
    let what = if tls.insecure_skip_verify == Some(true) {
        "and insecureSkipVerify is set: the server's certificate is not verified at all"
    } else {
        "so Envoy verifies the server against the proxy's OS CA bundle, which a certificate from the \
         mesh's or a private CA fails: every handshake is refused"
    };
    Some((mode, what))
}

/// Whether a host is a cluster-internal name, whose certificate a public CA does not sign: a
/// Service of the cluster (`.svc.cluster.local`, `.svc`, or a Kubernetes Service the input shows).
/// A public name verified against the OS bundle is what TLS origination to it wants.
fn internal(cx: &Context, host: &str, ns: &str) -> bool {
    let fqdn = crate::mesh::hosts::fqdn(host, ns);
    fqdn.ends_with(".svc.cluster.local")
        || host.ends_with(".svc")
        || cx.mesh().services_by_host(&fqdn).any(|s| s.source == crate::mesh::ServiceSource::Kubernetes)
}

fn mode_name(m: ClientTLSMode) -> &'static str {
    match m {
        ClientTLSMode::Mutual => "MUTUAL",
        _ => "SIMPLE",
    }
}

/// The findings of one level: the DestinationRule's own `trafficPolicy.tls`, or (`port_level`)
/// each `portLevelSettings` entry's.
fn check(cx: &Context, meta: &'static RuleMeta, port_level: bool, out: &mut Vec<Diagnostic>) {
    for (i, t) in cx.typed.iter().enumerate() {
        let Some(Ok(Typed::DestinationRule(dr))) = t else { continue };
        let obj = &cx.objects[i];
        let ns = obj.namespace_or(&cx.options.default_namespace);
        let name = obj.name.as_deref().unwrap_or_default();
        let Some(policy) = dr.spec.traffic_policy.as_deref() else { continue };
        if !internal(cx, &dr.spec.host, ns) {
            continue;
        }
        let mut at: Vec<(String, &ClientTLSSettings, String)> = Vec::new();
        if port_level {
            for (k, p) in policy.port_level_settings.iter().flatten().enumerate() {
                if let Some(tls) = &p.tls {
                    let port = p.port.as_ref().and_then(|s| s.number).map(|n| format!(" port {n}")).unwrap_or_default();
                    at.push((format!("/spec/trafficPolicy/portLevelSettings/{k}/tls/mode"), tls, port));
                }
            }
        } else if let Some(tls) = &policy.tls {
            at.push(("/spec/trafficPolicy/tls/mode".into(), tls, String::new()));
        }
        for (pointer, tls, port) in at {
            let Some((mode, what)) = unpinned(tls) else { continue };
            out.push(
                cx.at(
                    meta,
                    obj,
                    &pointer,
                    format!(
                        "DestinationRule {ns}/{name} originates {} TLS to {}{port} with no caCertificates, {what}",
                        mode_name(mode),
                        dr.spec.host
                    ),
                )
                .label("no CA pinned")
                .help("set caCertificates to the CA that signed the server's certificate, or a credentialName whose Secret has ca.crt"),
            );
        }
    }
}

/// The workloads of the input a security policy in `ns` reaches (`Engine::attaches`), found
/// through the mesh's label index: a selector's workloads in `ns` (anywhere for the root
/// namespace), or every workload there without one.
pub(crate) fn reached<'c, 'a>(
    cx: &'c Context<'a>,
    ns: &str,
    selector: Option<&crate::model::security::WorkloadSelector>,
    refs: &[&crate::model::security::PolicyTargetReference],
) -> Vec<&'c crate::mesh::Workload<'a>> {
    let engine = cx.authz();
    let mesh = cx.mesh();
    let labels = selector.and_then(|s| s.match_labels.as_ref()).filter(|m| !m.is_empty());
    let root = ns == engine.root_namespace;
    let candidates = match (labels, root) {
        (Some(l), true) if refs.is_empty() => mesh.workloads_anywhere(l),
        (None, true) if refs.is_empty() => mesh.workloads.iter().collect(),
        (Some(l), false) if refs.is_empty() => mesh.workloads_in(ns, l),
        _ => mesh.workloads_in(ns, &crate::model::core::StringMap::default()),
    };
    candidates
        .into_iter()
        .filter(|w| {
            engine.attaches(ns, selector, refs, &crate::authz::Target { namespace: &w.namespace, labels: w.labels })
        })
        .collect()
}

/// Whether every port of every Service in front of `w` carries TCP, not HTTP (`tcp`, `tls`,
/// `https`, `mongo`, `redis`, `mysql` by name or appProtocol): its inbound chains have no HTTP
/// attributes. `false` when no Service shows it, or a port is sniffed.
pub(crate) fn tcp_only(cx: &Context, w: &crate::mesh::Workload) -> bool {
    let services = cx.mesh().services_selecting(w);
    !services.is_empty()
        && services.iter().all(|s| {
            s.ports.iter().all(|p| {
                crate::routing::listener::protocol_of(s, p).class() == Some(crate::routing::listener::Class::Tcp)
            })
        })
}

/// The Secrets of the input: namespace, name, Secret.
pub(crate) fn secrets<'c>(cx: &'c Context) -> Vec<(&'c str, &'c str, &'c crate::model::core::Secret)> {
    let default_ns = &cx.options.default_namespace;
    cx.objects
        .iter()
        .zip(cx.typed)
        .filter_map(|(o, t)| match t {
            Some(Ok(Typed::Secret(s))) => Some((o.namespace_or(default_ns), o.name.as_deref()?, s.as_ref())),
            _ => None,
        })
        .collect()
}

/// The namespaces of the gateway pods a Gateway selects, where istiod reads its credentials.
pub(crate) fn gateway_pod_namespaces<'c>(cx: &'c Context, g: &crate::model::networking::Gateway) -> Vec<&'c str> {
    let mut namespaces: Vec<&str> = cx.mesh().gateway_workloads(g).iter().map(|w| w.namespace.as_str()).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    namespaces
}
