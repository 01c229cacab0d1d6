//! mTLS between two proxies: what the server's PeerAuthentications accept on a port
//! (`pilot/pkg/security/authn/policy_applier.go` `ComposePeerAuthentication`), what the client
//! sends (`pilot/pkg/networking/core/cluster_tls.go`, `pilot/pkg/xds/endpoints/mtls_checker.go`:
//! the DestinationRule's mode, else auto mTLS), and whether the two meet
//! (`filterchain_options.go`; `../shared/research/security.md` §4.4).

use super::{Engine, Policy, Target};
use crate::mesh::{DestinationRuleRecord, selects};
use crate::model::networking::{ClientTLSMode, TrafficPolicy};
use crate::model::security::{MtlsMode, PeerAuthentication};

/// The mode a server's inbound side runs on a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Strict,
    Permissive,
    Disable,
    /// No sidecar: the application gets the bytes.
    NoSidecar,
}

impl Server {
    pub fn as_str(self) -> &'static str {
        match self {
            Server::Strict => "STRICT",
            Server::Permissive => "PERMISSIVE",
            Server::Disable => "DISABLE",
            Server::NoSidecar => "NONE",
        }
    }
}

/// What a client proxy sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    IstioMutual,
    Simple,
    Mutual,
    /// Plain text.
    Disable,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::IstioMutual => "ISTIO_MUTUAL",
            Client::Simple => "SIMPLE",
            Client::Mutual => "MUTUAL",
            Client::Disable => "DISABLE",
        }
    }
}

/// The three levels of PeerAuthentication for a workload, each its oldest policy.
pub struct Levels<'e, 'a> {
    pub mesh: Option<&'e Policy<'a, PeerAuthentication>>,
    pub namespace: Option<&'e Policy<'a, PeerAuthentication>>,
    pub workload: Option<&'e Policy<'a, PeerAuthentication>>,
}

fn unset(m: MtlsMode) -> bool {
    matches!(m, MtlsMode::Unset | MtlsMode::Unknown)
}

fn empty_selector(p: &PeerAuthentication) -> bool {
    p.spec.selector.as_ref().and_then(|s| s.match_labels.as_ref()).is_none_or(|m| m.is_empty())
}

impl<'a> Engine<'a> {
    /// The PeerAuthentications of `t` by level. A mesh policy is the root namespace's without a
    /// selector; a namespace one the workload namespace's without a selector; a workload one
    /// selects the pod, outside the root namespace (a root-namespace policy with a selector is
    /// ignored). Per level only the oldest counts (`configCompareByCreationTime`).
    pub fn peer_levels(&self, t: &Target) -> Levels<'_, 'a> {
        let oldest = |f: &dyn Fn(&Policy<PeerAuthentication>) -> bool| {
            self.peer_candidates(t.namespace)
                .filter(|p| f(p))
                .min_by(|x, y| (x.created, &x.name, &x.namespace).cmp(&(y.created, &y.name, &y.namespace)))
        };
        let root = self.root_namespace.as_str();
        Levels {
            mesh: oldest(&|p| p.namespace == root && empty_selector(p.res)),
            namespace: if t.namespace == root {
                None
            } else {
                oldest(&|p| p.namespace == t.namespace && empty_selector(p.res))
            },
            workload: if t.namespace == root {
                None
            } else {
                oldest(&|p| {
                    p.namespace == t.namespace
                        && !empty_selector(p.res)
                        && p.res
                            .spec
                            .selector
                            .as_ref()
                            .and_then(|s| s.match_labels.as_ref())
                            .is_some_and(|m| selects(m, t.labels))
                })
            },
        }
    }

    /// The mode the workload `t` accepts on its port `port` (a workload port: `portLevelMtls` is
    /// keyed by container ports). PERMISSIVE unless a level says otherwise; each level that sets a
    /// mode overrides the one above; the workload policy's port-level mode last.
    pub fn server_mode(&self, t: &Target, port: u32, notes: &mut Vec<String>) -> Server {
        let l = self.peer_levels(t);
        let mut mode = MtlsMode::Permissive;
        let mut from = "no PeerAuthentication sets a mode: PERMISSIVE".to_string();
        for (level, p) in [("mesh", l.mesh), ("namespace", l.namespace), ("workload", l.workload)] {
            let Some(p) = p else { continue };
            let m = p.res.spec.mtls.as_ref().map(|m| m.mode()).unwrap_or_default();
            if !unset(m) {
                mode = m;
                from = format!("{} ({level}) sets {}", p.key(), m.as_str());
            }
        }
        if let Some(p) = l.workload {
            let port_mode =
                p.res.spec.port_level_mtls.as_ref().and_then(|m| m.get(&port.to_string())).map(|m| m.mode());
            if let Some(m) = port_mode.filter(|m| !unset(*m)) {
                mode = m;
                from = format!("{} sets {} on port {port}", p.key(), m.as_str());
            }
        }
        notes.push(format!("server mTLS on port {port}: {from}"));
        match mode {
            MtlsMode::Strict => Server::Strict,
            MtlsMode::Disable => Server::Disable,
            _ => Server::Permissive,
        }
    }

    /// The namespace- or mesh-level mode of a namespace (`BestEffortInferServiceMTLSMode`): auto
    /// mTLS sends plain text to a service whose namespace is DISABLE.
    pub fn namespace_mode(&self, ns: &str) -> MtlsMode {
        let probe = crate::model::core::StringMap::default();
        let l = self.peer_levels(&Target { namespace: ns, labels: &probe });
        [l.namespace, l.mesh]
            .into_iter()
            .flatten()
            .map(|p| p.res.spec.mtls.as_ref().map(|m| m.mode()).unwrap_or_default())
            .find(|m| !unset(*m))
            .unwrap_or(MtlsMode::Permissive)
    }
}

/// The TLS mode a DestinationRule sets for a subset and a Service port: the subset's port-level
/// setting, the subset's, the top-level port-level setting, the top-level one.
pub fn destination_rule_mode(dr: &DestinationRuleRecord, subset: &str, port: u32) -> Option<ClientTLSMode> {
    fn of(tp: Option<&TrafficPolicy>, port: u32) -> [Option<ClientTLSMode>; 2] {
        let port_level = tp.and_then(|tp| {
            tp.port_level_settings
                .iter()
                .flatten()
                .find(|p| p.port.as_ref().and_then(|s| s.number) == Some(port))
                .and_then(|p| p.tls.as_ref()?.mode)
        });
        [port_level, tp.and_then(|tp| tp.tls.as_ref()?.mode)]
    }
    let sub = dr.subsets().find(|s| !subset.is_empty() && s.name == subset).and_then(|s| s.traffic_policy.as_deref());
    let top = dr.rule.spec.traffic_policy.as_deref();
    of(sub, port).into_iter().chain(of(top, port)).flatten().next()
}

/// Whether what the client sends meets what the server accepts, with the reason when not.
pub fn compatible(client: Client, server: Server, http: bool) -> Result<(), String> {
    match (client, server) {
        (Client::IstioMutual, Server::Strict | Server::Permissive)
        | (Client::Disable, Server::Permissive | Server::Disable | Server::NoSidecar) => Ok(()),
        (Client::IstioMutual, Server::Disable) => Err(
            "the client sends Istio mTLS to a port whose PeerAuthentication is DISABLE, which takes plain text only"
                .into(),
        ),
        (Client::IstioMutual, Server::NoSidecar) => {
            Err("the client sends Istio mTLS to a workload without a sidecar, which cannot terminate it".into())
        }
        (Client::Disable, Server::Strict) => {
            Err("the client sends plain text to a port whose PeerAuthentication is STRICT, which takes Istio mTLS only"
                .into())
        }
        (Client::Simple | Client::Mutual, Server::Strict) => Err(format!(
            "the client originates {} TLS, without the Istio client certificate a STRICT port requires",
            client.as_str()
        )),
        (Client::Simple | Client::Mutual, Server::Permissive) if http => Err(format!(
            "the client originates {} TLS to an HTTP port of a PERMISSIVE sidecar: no filter chain takes TLS without Istio's ALPN",
            client.as_str()
        )),
        (Client::Simple | Client::Mutual, Server::Permissive) => Ok(()),
        (Client::Simple | Client::Mutual, Server::Disable) => {
            Err(format!("the client originates {} TLS to a port whose PeerAuthentication is DISABLE", client.as_str()))
        }
        (Client::Simple | Client::Mutual, Server::NoSidecar) => Ok(()),
    }
}
