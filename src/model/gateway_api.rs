//! Kubernetes Gateway API resources (`gateway.networking.k8s.io`, v1.7: `v1`, and `v1alpha2` for
//! the TCP, TLS and UDP routes), with the fields istiod reads.
//!
//! As everywhere in the model, deserialization is lenient: every field may be absent and unknown
//! fields are ignored. The vendored CRDs (standard and experimental channel) and their CEL rules
//! check shapes (see `crate::schema`); `drift.rs` keeps this model and those schemas in step.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::core::{LabelSelector, ObjectMeta, StringMap};

macro_rules! gateway_api_resource {
    ($(#[$doc:meta])* $name:ident, $spec:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, rename_all = "camelCase")]
        pub struct $name {
            pub api_version: String,
            pub kind: String,
            pub metadata: ObjectMeta,
            pub spec: $spec,
            pub status: Option<Value>,
        }
    };
}

gateway_api_resource!(
    /// A GatewayClass: the controller that implements the Gateways of this class.
    GatewayClass, GatewayClassSpec
);
/// A Gateway: listeners that routes attach to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Gateway {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: GatewaySpec,
    pub status: Option<Value>,
    /// The labels Istio's deployment controller gives the pods it deploys for this Gateway
    /// (`spec.infrastructure.labels`, the gateway name and class): derived, not read.
    #[serde(skip)]
    pub pod_labels: StringMap,
    /// The selector of the Service it deploys: the gateway-name label.
    #[serde(skip)]
    pub service_selector: StringMap,
}

impl Gateway {
    /// Fill in what Istio's deployment controller derives from the Gateway
    /// (`gatewaycommon/deploymentcontroller.go`, the `kube-gateway` template).
    pub fn derive(&mut self) {
        let name = self.metadata.name.clone().unwrap_or_default();
        let mut labels = self.spec.infrastructure.as_ref().and_then(|i| i.labels.clone()).unwrap_or_default();
        labels.insert(GATEWAY_NAME_LABEL.to_string(), name.clone());
        labels.insert(GATEWAY_CLASS_LABEL.to_string(), self.spec.gateway_class_name.clone().unwrap_or_default());
        self.pod_labels = labels;
        let mut selector = StringMap::default();
        selector.insert(GATEWAY_NAME_LABEL.to_string(), name);
        self.service_selector = selector;
    }
}

/// The label Istio's deployment controller puts on a Gateway's pods and selects its Service by.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
/// The label naming the class on the deployed pods.
pub const GATEWAY_CLASS_LABEL: &str = "gateway.networking.k8s.io/gateway-class-name";
gateway_api_resource!(
    /// An HTTPRoute.
    HTTPRoute, HTTPRouteSpec
);
gateway_api_resource!(
    /// A GRPCRoute.
    GRPCRoute, GRPCRouteSpec
);
gateway_api_resource!(
    /// A TLSRoute: TLS connections routed by SNI.
    TLSRoute, TLSRouteSpec
);
gateway_api_resource!(
    /// A TCPRoute.
    TCPRoute, L4RouteSpec
);
gateway_api_resource!(
    /// A UDPRoute: parsed and attached, never routed (Istio does not implement it).
    UDPRoute, L4RouteSpec
);
gateway_api_resource!(
    /// A ReferenceGrant: lets objects of other namespaces refer to objects of its namespace.
    ReferenceGrant, ReferenceGrantSpec
);
gateway_api_resource!(
    /// A ListenerSet (experimental channel): listeners added to a parent Gateway.
    ListenerSet, ListenerSetSpec
);
gateway_api_resource!(
    /// A BackendTLSPolicy: how a gateway originates TLS to a backend.
    BackendTLSPolicy, BackendTLSPolicySpec
);

/// `GatewayClass.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GatewayClassSpec {
    pub controller_name: Option<String>,
    pub parameters_ref: Option<Value>,
    pub description: Option<String>,
}

/// `Gateway.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GatewaySpec {
    pub gateway_class_name: Option<String>,
    pub listeners: Option<Vec<Listener>>,
    pub addresses: Option<Vec<GatewayAddress>>,
    pub infrastructure: Option<GatewayInfrastructure>,
    pub allowed_listeners: Option<AllowedListeners>,
}

/// A listener of a Gateway or ListenerSet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Listener {
    pub name: Option<String>,
    pub hostname: Option<String>,
    pub port: Option<u32>,
    pub protocol: Option<String>,
    pub tls: Option<ListenerTls>,
    pub allowed_routes: Option<AllowedRoutes>,
}

/// `listeners[].tls`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListenerTls {
    /// `Terminate` (the default) or `Passthrough`.
    pub mode: Option<String>,
    pub certificate_refs: Option<Vec<ObjectReference>>,
    pub options: Option<StringMap>,
}

/// A reference to an object by group, kind, name and optional namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectReference {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// `listeners[].allowedRoutes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllowedRoutes {
    pub namespaces: Option<RouteNamespaces>,
    pub kinds: Option<Vec<RouteGroupKind>>,
}

/// Which namespaces' routes may attach: `Same` (the default), `All`, or `Selector`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RouteNamespaces {
    pub from: Option<String>,
    pub selector: Option<LabelSelector>,
}

/// A route kind a listener allows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RouteGroupKind {
    pub group: Option<String>,
    pub kind: Option<String>,
}

/// `Gateway.spec.addresses[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GatewayAddress {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub value: Option<String>,
}

/// `Gateway.spec.infrastructure`: labels and annotations for the deployed resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GatewayInfrastructure {
    pub labels: Option<StringMap>,
    pub annotations: Option<StringMap>,
    pub parameters_ref: Option<Value>,
}

/// `Gateway.spec.allowedListeners`: which ListenerSets may attach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllowedListeners {
    pub namespaces: Option<RouteNamespaces>,
}

/// A route's reference to its parent: a Gateway (by default), a ListenerSet, or a Service (mesh).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ParentReference {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub section_name: Option<String>,
    pub port: Option<u32>,
}

/// A backend of a route rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackendRef {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub port: Option<u32>,
    /// Defaults to 1.
    pub weight: Option<i64>,
}

/// A backend of an HTTP or gRPC rule, with filters of its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPBackendRef {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub port: Option<u32>,
    pub weight: Option<i64>,
    pub filters: Option<Vec<HTTPRouteFilter>>,
}

impl HTTPBackendRef {
    /// The reference without its filters.
    pub fn backend(&self) -> BackendRef {
        BackendRef {
            group: self.group.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            port: self.port,
            weight: self.weight,
        }
    }
}

/// `HTTPRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteSpec {
    pub parent_refs: Option<Vec<ParentReference>>,
    pub hostnames: Option<Vec<String>>,
    pub rules: Option<Vec<HTTPRouteRule>>,
}

/// `HTTPRoute.spec.rules[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteRule {
    pub name: Option<String>,
    pub matches: Option<Vec<HTTPRouteMatch>>,
    pub filters: Option<Vec<HTTPRouteFilter>>,
    pub backend_refs: Option<Vec<HTTPBackendRef>>,
    pub timeouts: Option<HTTPRouteTimeouts>,
    pub retry: Option<HTTPRouteRetry>,
    pub session_persistence: Option<Value>,
}

/// `rules[].matches[]`. An absent path is the CRD default, prefix `/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteMatch {
    pub path: Option<HTTPPathMatch>,
    pub headers: Option<Vec<NameValueMatch>>,
    pub query_params: Option<Vec<NameValueMatch>>,
    pub method: Option<String>,
}

/// A path match: `Exact`, `PathPrefix` (the default) or `RegularExpression`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPPathMatch {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub value: Option<String>,
}

/// A header or query parameter match: `Exact` (the default) or `RegularExpression`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NameValueMatch {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub name: Option<String>,
    pub value: Option<String>,
}

/// A filter of a rule or of a backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteFilter {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub request_header_modifier: Option<HeaderModifier>,
    pub response_header_modifier: Option<HeaderModifier>,
    pub request_mirror: Option<RequestMirror>,
    pub request_redirect: Option<RequestRedirect>,
    #[serde(rename = "urlRewrite")]
    pub url_rewrite: Option<UrlRewrite>,
    pub cors: Option<HTTPCORSFilter>,
    pub extension_ref: Option<ObjectReference>,
    pub external_auth: Option<Value>,
}

/// The `cors` filter of an HTTPRoute rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPCORSFilter {
    pub allow_origins: Option<Vec<String>>,
    pub allow_credentials: Option<bool>,
    pub allow_methods: Option<Vec<String>>,
    pub allow_headers: Option<Vec<String>>,
    pub expose_headers: Option<Vec<String>>,
    /// Seconds; the CRD defaults it to 5.
    pub max_age: Option<i64>,
}

/// `requestHeaderModifier` / `responseHeaderModifier`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HeaderModifier {
    pub set: Option<Vec<HeaderValue>>,
    pub add: Option<Vec<HeaderValue>>,
    pub remove: Option<Vec<String>>,
}

/// A header and its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HeaderValue {
    pub name: Option<String>,
    pub value: Option<String>,
}

/// `requestMirror`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RequestMirror {
    pub backend_ref: Option<BackendRef>,
    pub percent: Option<f64>,
    pub fraction: Option<Fraction>,
}

/// `requestMirror.fraction`: numerator over denominator (100 by default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Fraction {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// `requestRedirect`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RequestRedirect {
    pub scheme: Option<String>,
    pub hostname: Option<String>,
    pub path: Option<HTTPPathModifier>,
    pub port: Option<u32>,
    /// The API server fills in 302 when it is absent.
    pub status_code: Option<u32>,
}

/// `urlRewrite`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UrlRewrite {
    pub hostname: Option<String>,
    pub path: Option<HTTPPathModifier>,
}

/// A path modifier: `ReplaceFullPath` or `ReplacePrefixMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPPathModifier {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub replace_full_path: Option<String>,
    pub replace_prefix_match: Option<String>,
}

/// `rules[].timeouts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteTimeouts {
    pub request: Option<String>,
    pub backend_request: Option<String>,
}

/// `rules[].retry` (experimental channel).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRouteRetry {
    pub codes: Option<Vec<u32>>,
    pub attempts: Option<i64>,
    pub backoff: Option<String>,
}

/// `GRPCRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GRPCRouteSpec {
    pub parent_refs: Option<Vec<ParentReference>>,
    pub hostnames: Option<Vec<String>>,
    pub rules: Option<Vec<GRPCRouteRule>>,
}

/// `GRPCRoute.spec.rules[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GRPCRouteRule {
    pub name: Option<String>,
    pub matches: Option<Vec<GRPCRouteMatch>>,
    pub filters: Option<Vec<HTTPRouteFilter>>,
    pub backend_refs: Option<Vec<HTTPBackendRef>>,
    pub session_persistence: Option<Value>,
}

/// `GRPCRoute.spec.rules[].matches[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GRPCRouteMatch {
    pub method: Option<GRPCMethodMatch>,
    pub headers: Option<Vec<NameValueMatch>>,
}

/// A gRPC method match: `Exact` (the default) or `RegularExpression` on service and method.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GRPCMethodMatch {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub service: Option<String>,
    pub method: Option<String>,
}

/// `TLSRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TLSRouteSpec {
    pub parent_refs: Option<Vec<ParentReference>>,
    pub hostnames: Option<Vec<String>>,
    pub rules: Option<Vec<L4RouteRule>>,
}

/// `TCPRoute.spec` and `UDPRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct L4RouteSpec {
    pub parent_refs: Option<Vec<ParentReference>>,
    pub rules: Option<Vec<L4RouteRule>>,
}

/// A rule of a TLS, TCP or UDP route: backends only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct L4RouteRule {
    pub name: Option<String>,
    pub backend_refs: Option<Vec<BackendRef>>,
}

/// `ReferenceGrant.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ReferenceGrantSpec {
    pub from: Option<Vec<ObjectReference>>,
    pub to: Option<Vec<ObjectReference>>,
}

/// `ListenerSet.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListenerSetSpec {
    pub parent_ref: Option<ParentReference>,
    pub listeners: Option<Vec<Listener>>,
}

/// `BackendTLSPolicy.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackendTLSPolicySpec {
    pub target_refs: Option<Vec<ParentReference>>,
    pub validation: Option<Value>,
    pub options: Option<StringMap>,
}
