//! The table of kinds meshctl models, and "did you mean" for near misses.

use strsim::{damerau_levenshtein, jaro_winkler};

/// Identifies a modelled kind independently of its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindId {
    VirtualService,
    Gateway,
    DestinationRule,
    ServiceEntry,
    Sidecar,
    WorkloadEntry,
    Namespace,
    Service,
    Secret,
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    /// Gateway API (`gateway.networking.k8s.io`).
    GatewayClass,
    KubernetesGateway,
    HTTPRoute,
    GRPCRoute,
    TLSRoute,
    TCPRoute,
    UDPRoute,
    ReferenceGrant,
    ListenerSet,
    BackendTLSPolicy,
    /// Istio security (`security.istio.io`).
    AuthorizationPolicy,
    PeerAuthentication,
    RequestAuthentication,
}

/// What meshctl knows about one kind.
#[derive(Debug)]
pub struct KindInfo {
    pub id: KindId,
    /// API group; `""` is the core group.
    pub group: &'static str,
    /// Served versions, preferred (storage) version first.
    pub versions: &'static [&'static str],
    pub kind: &'static str,
    pub namespaced: bool,
}

impl KindInfo {
    /// The `apiVersion` for one of this kind's versions: `group/version`, or `version` for core.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() { version.to_string() } else { format!("{}/{version}", self.group) }
    }

    /// The preferred `apiVersion`.
    pub fn preferred_api_version(&self) -> String {
        self.api_version(self.versions[0])
    }

    /// The group as used in schema file names: `core` for the core group.
    pub fn group_or_core(&self) -> &'static str {
        if self.group.is_empty() { "core" } else { self.group }
    }
}

const ISTIO_NETWORKING: &str = "networking.istio.io";
const ISTIO_VERSIONS: &[&str] = &["v1", "v1beta1", "v1alpha3"];

const fn istio(id: KindId, kind: &'static str) -> KindInfo {
    KindInfo { id, group: ISTIO_NETWORKING, versions: ISTIO_VERSIONS, kind, namespaced: true }
}

const ISTIO_SECURITY: &str = "security.istio.io";

const fn istio_security(id: KindId, kind: &'static str) -> KindInfo {
    KindInfo { id, group: ISTIO_SECURITY, versions: &["v1", "v1beta1"], kind, namespaced: true }
}

const GATEWAY_API: &str = "gateway.networking.k8s.io";
/// Gateway API v1.7 serves `v1`; `v1beta1` manifests (served by the releases Istio 1.30 builds
/// against, v1.5) have the same shape and are read too.
const GATEWAY_API_V1: &[&str] = &["v1", "v1beta1"];
/// The TCP, TLS and UDP routes are served as `v1` and, for older manifests, `v1alpha2`.
const GATEWAY_API_L4_VERSIONS: &[&str] = &["v1", "v1alpha2"];

const fn gateway_api(id: KindId, kind: &'static str, versions: &'static [&'static str], namespaced: bool) -> KindInfo {
    KindInfo { id, group: GATEWAY_API, versions, kind, namespaced }
}

const fn kube(id: KindId, group: &'static str, kind: &'static str, namespaced: bool) -> KindInfo {
    KindInfo { id, group, versions: &["v1"], kind, namespaced }
}

/// Every modelled kind.
pub static KINDS: &[KindInfo] = &[
    istio(KindId::VirtualService, "VirtualService"),
    istio(KindId::Gateway, "Gateway"),
    istio(KindId::DestinationRule, "DestinationRule"),
    istio(KindId::ServiceEntry, "ServiceEntry"),
    istio(KindId::Sidecar, "Sidecar"),
    istio(KindId::WorkloadEntry, "WorkloadEntry"),
    kube(KindId::Namespace, "", "Namespace", false),
    kube(KindId::Service, "", "Service", true),
    kube(KindId::Secret, "", "Secret", true),
    kube(KindId::Pod, "", "Pod", true),
    kube(KindId::Deployment, "apps", "Deployment", true),
    kube(KindId::StatefulSet, "apps", "StatefulSet", true),
    kube(KindId::DaemonSet, "apps", "DaemonSet", true),
    gateway_api(KindId::GatewayClass, "GatewayClass", GATEWAY_API_V1, false),
    gateway_api(KindId::KubernetesGateway, "Gateway", GATEWAY_API_V1, true),
    gateway_api(KindId::HTTPRoute, "HTTPRoute", GATEWAY_API_V1, true),
    gateway_api(KindId::GRPCRoute, "GRPCRoute", &["v1"], true),
    gateway_api(KindId::TLSRoute, "TLSRoute", GATEWAY_API_L4_VERSIONS, true),
    gateway_api(KindId::TCPRoute, "TCPRoute", GATEWAY_API_L4_VERSIONS, true),
    gateway_api(KindId::UDPRoute, "UDPRoute", GATEWAY_API_L4_VERSIONS, true),
    gateway_api(KindId::ReferenceGrant, "ReferenceGrant", GATEWAY_API_V1, true),
    gateway_api(KindId::ListenerSet, "ListenerSet", &["v1"], true),
    gateway_api(KindId::BackendTLSPolicy, "BackendTLSPolicy", &["v1"], true),
    istio_security(KindId::AuthorizationPolicy, "AuthorizationPolicy"),
    istio_security(KindId::PeerAuthentication, "PeerAuthentication"),
    istio_security(KindId::RequestAuthentication, "RequestAuthentication"),
];

/// Real kinds in the groups above that meshctl does not model; never "corrected" to a modelled one.
const OTHER_KINDS: &[(&str, &str)] = &[
    ("", "Binding"),
    ("", "ComponentStatus"),
    ("", "ConfigMap"),
    ("", "Endpoints"),
    ("", "Event"),
    ("", "LimitRange"),
    ("", "List"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"),
    ("", "PodTemplate"),
    ("", "ReplicationController"),
    ("", "ResourceQuota"),
    ("", "ServiceAccount"),
    ("apps", "ControllerRevision"),
    ("apps", "ReplicaSet"),
    (ISTIO_NETWORKING, "EnvoyFilter"),
    (ISTIO_NETWORKING, "ProxyConfig"),
    (ISTIO_NETWORKING, "WorkloadGroup"),
];

/// Kinds of Kubernetes (1.36) and Gateway API that live outside namespaces, by group: the
/// `NAMESPACED false` rows of `kubectl api-resources`.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
];

/// Whether objects of this group and kind live outside namespaces (their `metadata.namespace`,
/// if written, means nothing).
pub fn cluster_scoped(group: &str, kind: &str) -> bool {
    KINDS.iter().any(|k| k.group == group && k.kind == kind && !k.namespaced) || CLUSTER_SCOPED.contains(&(group, kind))
}

/// One kind of Istio's API, from its CRDs (vendored by `scripts/vendor-istio-api.sh`), whether
/// meshctl models it or not.
#[derive(Debug, serde::Deserialize)]
pub struct IstioKind {
    pub group: String,
    pub kind: String,
    pub namespaced: bool,
    /// The versions the CRD serves.
    pub versions: Vec<String>,
}

impl IstioKind {
    /// The `apiVersion` to suggest: `v1` where it is served, else the first served version.
    pub fn preferred_api_version(&self) -> String {
        let v = self.versions.iter().find(|v| *v == "v1").or(self.versions.first()).map_or("v1", String::as_str);
        format!("{}/{v}", self.group)
    }
}

/// Every kind of the Istio release whose CRDs are vendored.
pub fn istio_kinds() -> &'static [IstioKind] {
    #[derive(serde::Deserialize)]
    struct Vendored {
        kinds: Vec<IstioKind>,
    }
    static KINDS: std::sync::OnceLock<Vec<IstioKind>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let v: Vendored = serde_json::from_str(include_str!("../../vendor/istio.io/api/kinds.json"))
            .expect("the vendored Istio kinds are valid JSON");
        v.kinds
    })
}

/// The Istio kind closest to a misspelled `kind` (`AuthorisationPolicy`), in any Istio group.
pub fn nearest_istio_kind(kind: &str) -> Option<&'static IstioKind> {
    istio_kinds()
        .iter()
        .filter_map(|k| kind_score(kind, &k.kind).map(|score| (score, k)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Splits `group/version` (or a bare core `version`) into its parts.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// The modelled kind for an `apiVersion` and `kind`, matched exactly.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    let (group, version) = split_api_version(api_version);
    KINDS.iter().find(|k| k.kind == kind && k.group == group && k.versions.contains(&version))
}

/// The modelled kind with this exact name in any version, e.g. for `meshctl schema Gateway`.
pub fn by_name(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind.eq_ignore_ascii_case(kind))
}

/// Whether a written group plausibly means `known`: the same, a small typo of it, another Istio
/// group for an Istio kind, or the core group for an Istio kind (`apiVersion: v1`).
fn group_related(given: &str, known: &str) -> bool {
    if given == known {
        return true;
    }
    if known == ISTIO_NETWORKING && (given.is_empty() || given.ends_with(".istio.io")) {
        return true;
    }
    !given.is_empty() && !known.is_empty() && damerau_levenshtein(given, known) <= 2
}

/// How close a written kind is to a known one, or `None` when it is not a plausible misspelling.
fn kind_score(given: &str, known: &str) -> Option<f64> {
    let (g, k) = (given.to_ascii_lowercase(), known.to_ascii_lowercase());
    if g == k {
        return Some(3.0);
    }
    if g.contains(&k) || (g.len() >= 4 && k.contains(&g)) {
        return Some(2.0 + k.len() as f64 / 100.0);
    }
    let jw = jaro_winkler(&g, &k);
    let edits = damerau_levenshtein(&g, &k);
    (jw >= 0.9 || edits <= (k.len() / 5).max(1)).then_some(jw)
}

/// A likely intended `(apiVersion, kind)` for a resource whose pair is not modelled, such as
/// `IstioGateway`, `virtualservice` or `networking.istio.io/v2`. `None` for kinds that are
/// simply not meshctl's (`ConfigMap`, `cert-manager.io/v1` `Certificate`, …).
pub fn suggest_kind(api_version: &str, kind: &str) -> Option<(String, String)> {
    // `…List` kinds are real: the list type of every kind (`ServiceList`, `VirtualServiceList`).
    if kind.is_empty() || kind.ends_with("List") || lookup(api_version, kind).is_some() {
        return None;
    }
    let (group, version) = split_api_version(api_version);
    if OTHER_KINDS.iter().any(|(g, k)| group_related(group, g) && k.eq_ignore_ascii_case(kind)) {
        return None;
    }
    let best = KINDS
        .iter()
        .filter(|info| group_related(group, info.group))
        .filter_map(|info| kind_score(kind, info.kind).map(|score| (score, info)))
        .max_by(|a, b| a.0.total_cmp(&b.0))?
        .1;
    let api_version = if best.group == group && best.versions.contains(&version) {
        best.api_version(version)
    } else {
        best.preferred_api_version()
    };
    Some((api_version, best.kind.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(api_version: &str, kind: &str) -> Option<(String, String)> {
        suggest_kind(api_version, kind)
    }

    fn some(api_version: &str, kind: &str) -> Option<(String, String)> {
        Some((api_version.to_string(), kind.to_string()))
    }

    #[test]
    fn lookup_matches_group_version_and_kind_exactly() {
        assert_eq!(lookup("networking.istio.io/v1beta1", "VirtualService").unwrap().id, KindId::VirtualService);
        assert_eq!(lookup("v1", "Service").unwrap().id, KindId::Service);
        assert_eq!(lookup("apps/v1", "Deployment").unwrap().id, KindId::Deployment);
        assert!(lookup("networking.istio.io/v2", "VirtualService").is_none());
        assert!(lookup("networking.istio.io/v1", "virtualservice").is_none());
        assert_eq!(lookup("gateway.networking.k8s.io/v1", "Gateway").unwrap().id, KindId::KubernetesGateway);
        assert_eq!(lookup("gateway.networking.k8s.io/v1alpha2", "TLSRoute").unwrap().id, KindId::TLSRoute);
        assert!(lookup("gateway.networking.k8s.io/v1alpha2", "HTTPRoute").is_none());
        assert!(!lookup("gateway.networking.k8s.io/v1", "GatewayClass").unwrap().namespaced);
        assert!(!lookup("v1", "Namespace").unwrap().namespaced);
    }

    #[test]
    fn suggests_near_misses() {
        assert_eq!(s("networking.istio.io/v1", "IstioGateway"), some("networking.istio.io/v1", "Gateway"));
        assert_eq!(s("networking.istio.io/v1", "VirtualSvc"), some("networking.istio.io/v1", "VirtualService"));
        assert_eq!(
            s("networking.istio.io/v1alpha3", "virtualservice"),
            some("networking.istio.io/v1alpha3", "VirtualService")
        );
        assert_eq!(s("networking.istio.io/v2", "VirtualService"), some("networking.istio.io/v1", "VirtualService"));
        assert_eq!(s("networking.isito.io/v1", "Gateway"), some("networking.istio.io/v1", "Gateway"));
        assert_eq!(s("v1", "DestinationRule"), some("networking.istio.io/v1", "DestinationRule"));
        assert_eq!(s("networking.istio.io/v1", "DestinationRules"), some("networking.istio.io/v1", "DestinationRule"));
        assert_eq!(s("apps/v1beta1", "Deployment"), some("apps/v1", "Deployment"));
        assert_eq!(s("v1", "service"), some("v1", "Service"));
        assert_eq!(s("apps/v1", "Statefulset"), some("apps/v1", "StatefulSet"));
    }

    #[test]
    fn leaves_other_kinds_alone() {
        assert_eq!(s("v1", "ConfigMap"), None);
        assert_eq!(s("v1", "ServiceAccount"), None);
        assert_eq!(s("v1", "Endpoints"), None);
        assert_eq!(s("cert-manager.io/v1", "Certificate"), None);
        assert_eq!(s("networking.k8s.io/v1", "Ingress"), None);
        assert_eq!(s("gateway.networking.k8s.io/v1", "Gateway"), None);
        assert_eq!(s("gateway.networking.k8s.io/v1", "GatewayClass"), None);
        assert_eq!(s("gateway.networking.k8s.io/v1", "HTTPRoute"), None);
        assert_eq!(s("serving.knative.dev/v1", "Service"), None);
        assert_eq!(s("monitoring.coreos.com/v1", "ServiceMonitor"), None);
        assert_eq!(s("networking.istio.io/v1alpha3", "EnvoyFilter"), None);
        assert_eq!(s("networking.istio.io/v1", "WorkloadGroup"), None);
        assert_eq!(s("security.istio.io/v1", "AuthorizationPolicy"), None);
        assert_eq!(s("security.istio.io/v1", "PeerAuthentication"), None);
        assert_eq!(s("apps/v1", "ReplicaSet"), None);
        assert_eq!(s("networking.istio.io/v1", "VirtualService"), None);
        assert_eq!(s("v1", "Secret"), None);
        assert_eq!(s("v1", "ServiceList"), None);
        assert_eq!(s("networking.istio.io/v1", "VirtualServiceList"), None);
    }
}
