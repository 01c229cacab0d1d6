//! Istio `networking.istio.io` resources (`v1`, `v1beta1` and `v1alpha3` share one shape).
//!
//! Deserialization is lenient (unknown fields are ignored, every field is optional, unknown enum
//! values become `Unknown`); the generated schemas are strict (see `crate::schema`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::core::{ObjectMeta, StringMap};

/// A duration such as `10s` or `1.5m`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Duration(pub String);

/// An Istio port protocol (`HTTP`, `TCP`, `TLS`, …), matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Protocol(pub String);

macro_rules! istio_resource {
    ($(#[$doc:meta])* $name:ident, $spec:ident, required = $required:tt) => {
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

istio_resource!(
    /// A VirtualService: routing rules for traffic to a set of hosts.
    VirtualService, VirtualServiceSpec, required = ["apiVersion", "kind", "metadata", "spec"]
);
istio_resource!(
    /// A Gateway: a load balancer at the edge of the mesh.
    Gateway, GatewaySpec, required = ["apiVersion", "kind", "metadata", "spec"]
);
istio_resource!(
    /// A DestinationRule: policies applied after routing, and subsets.
    DestinationRule, DestinationRuleSpec, required = ["apiVersion", "kind", "metadata", "spec"]
);
istio_resource!(
    /// A ServiceEntry: adds a service to Istio's registry.
    ServiceEntry, ServiceEntrySpec, required = ["apiVersion", "kind", "metadata", "spec"]
);
istio_resource!(
    /// A Sidecar: the configuration of the sidecar proxies of a set of workloads.
    Sidecar, SidecarSpec, required = ["apiVersion", "kind", "metadata"]
);
istio_resource!(
    /// A WorkloadEntry: a non-Kubernetes workload.
    WorkloadEntry, WorkloadEntrySpec, required = ["apiVersion", "kind", "metadata"]
);

// ---------------------------------------------------------------------------------------------
// VirtualService

/// `VirtualService.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    pub hosts: Option<Vec<String>>,
    pub gateways: Option<Vec<String>>,
    pub http: Option<Vec<HTTPRoute>>,
    pub tls: Option<Vec<TLSRoute>>,
    pub tcp: Option<Vec<TCPRoute>>,
    pub export_to: Option<Vec<String>>,
}

/// A string match: exactly one of `exact`, `prefix`, `regex` (a header match may be empty,
/// meaning "the header is present").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StringMatch {
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub regex: Option<String>,
}

/// Conditions a request must meet for an [`HTTPRoute`] to apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPMatchRequest {
    pub name: Option<String>,
    pub uri: Option<StringMatch>,
    pub scheme: Option<StringMatch>,
    pub method: Option<StringMatch>,
    pub authority: Option<StringMatch>,
    pub headers: Option<BTreeMap<String, StringMatch>>,
    pub port: Option<u32>,
    pub source_labels: Option<StringMap>,
    pub gateways: Option<Vec<String>>,
    pub query_params: Option<BTreeMap<String, StringMatch>>,
    pub ignore_uri_case: Option<bool>,
    pub without_headers: Option<BTreeMap<String, StringMatch>>,
    pub source_namespace: Option<String>,
    pub stat_prefix: Option<String>,
}

/// A port selector: `{number: 9080}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PortSelector {
    pub number: Option<u32>,
}

/// Where traffic goes: a host in the registry, optionally a subset and a port.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Destination {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<PortSelector>,
}

/// Header manipulations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeaderOperations {
    pub set: Option<StringMap>,
    pub add: Option<StringMap>,
    pub remove: Option<Vec<String>>,
}

/// Request and response header manipulations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Headers {
    pub request: Option<HeaderOperations>,
    pub response: Option<HeaderOperations>,
}

/// A weighted destination of an HTTP route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HTTPRouteDestination {
    pub destination: Destination,
    pub weight: Option<i32>,
    pub headers: Option<Box<Headers>>,
}

/// A weighted destination of a TCP or TLS route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteDestination {
    pub destination: Destination,
    pub weight: Option<i32>,
}

/// How a redirect derives its port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RedirectPortSelection {
    FromProtocolDefault,
    FromRequestPort,
    #[serde(other)]
    Unknown,
}

/// An HTTP redirect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRedirect {
    pub uri: Option<String>,
    pub authority: Option<String>,
    pub port: Option<u32>,
    pub derive_port: Option<RedirectPortSelection>,
    pub scheme: Option<String>,
    pub redirect_code: Option<u32>,
}

/// The body of a direct response: a string or base64 bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HTTPBody {
    pub string: Option<String>,
    pub bytes: Option<String>,
}

/// A fixed response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HTTPDirectResponse {
    pub status: u32,
    pub body: Option<HTTPBody>,
}

/// Delegation of route rules to another VirtualService.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Delegate {
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// A regex rewrite of the path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegexRewrite {
    #[serde(rename = "match")]
    pub match_: Option<String>,
    pub rewrite: Option<String>,
}

/// A rewrite of the request before forwarding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRewrite {
    pub uri: Option<String>,
    pub authority: Option<String>,
    pub uri_regex_rewrite: Option<RegexRewrite>,
}

/// A retry policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRetry {
    pub attempts: Option<i32>,
    pub per_try_timeout: Option<Duration>,
    pub retry_on: Option<String>,
    pub retry_remote_localities: Option<bool>,
    pub backoff: Option<Duration>,
}

/// A percentage, 0.0 to 100.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Percent {
    pub value: Option<f64>,
}

/// An injected delay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Delay {
    pub fixed_delay: Option<Duration>,
    pub exponential_delay: Option<Duration>,
    pub percentage: Option<Percent>,
    pub percent: Option<i32>,
}

/// An injected abort.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Abort {
    pub http_status: Option<i32>,
    pub grpc_status: Option<String>,
    pub http2_error: Option<String>,
    pub percentage: Option<Percent>,
}

/// Fault injection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HTTPFaultInjection {
    pub delay: Option<Delay>,
    pub abort: Option<Abort>,
}

/// One mirror destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HTTPMirrorPolicy {
    pub destination: Destination,
    pub percentage: Option<Percent>,
}

/// What to do with a CORS preflight that matches no origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnmatchedPreflights {
    Unspecified,
    Forward,
    Ignore,
    #[serde(other)]
    Unknown,
}

/// A CORS policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CorsPolicy {
    pub allow_origins: Option<Vec<StringMatch>>,
    pub allow_origin: Option<Vec<String>>,
    pub allow_methods: Option<Vec<String>>,
    pub allow_headers: Option<Vec<String>>,
    pub expose_headers: Option<Vec<String>>,
    pub max_age: Option<Duration>,
    pub allow_credentials: Option<bool>,
    pub unmatched_preflights: Option<UnmatchedPreflights>,
}

/// One HTTP route rule. `route`, `redirect`, `directResponse` and `delegate` exclude each other.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HTTPRoute {
    pub name: Option<String>,
    #[serde(rename = "match")]
    pub match_: Option<Vec<HTTPMatchRequest>>,
    pub route: Option<Vec<HTTPRouteDestination>>,
    pub redirect: Option<Box<HTTPRedirect>>,
    pub direct_response: Option<Box<HTTPDirectResponse>>,
    pub delegate: Option<Box<Delegate>>,
    pub rewrite: Option<Box<HTTPRewrite>>,
    pub timeout: Option<Duration>,
    pub retries: Option<Box<HTTPRetry>>,
    pub fault: Option<Box<HTTPFaultInjection>>,
    pub mirror: Option<Destination>,
    pub mirror_percentage: Option<Percent>,
    pub mirror_percent: Option<i32>,
    pub mirrors: Option<Vec<HTTPMirrorPolicy>>,
    pub cors_policy: Option<Box<CorsPolicy>>,
    pub headers: Option<Box<Headers>>,
}

/// L4 match conditions of a TCP route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct L4MatchAttributes {
    pub destination_subnets: Option<Vec<String>>,
    pub port: Option<u32>,
    pub source_labels: Option<StringMap>,
    pub gateways: Option<Vec<String>>,
    pub source_namespace: Option<String>,
}

/// Match conditions of a TLS route.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TLSMatchAttributes {
    pub sni_hosts: Vec<String>,
    pub destination_subnets: Option<Vec<String>>,
    pub port: Option<u32>,
    pub source_labels: Option<StringMap>,
    pub gateways: Option<Vec<String>>,
    pub source_namespace: Option<String>,
}

/// A TCP route rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TCPRoute {
    #[serde(rename = "match")]
    pub match_: Option<Vec<L4MatchAttributes>>,
    pub route: Option<Vec<RouteDestination>>,
}

/// A TLS (SNI) route rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TLSRoute {
    #[serde(rename = "match")]
    pub match_: Vec<TLSMatchAttributes>,
    pub route: Option<Vec<RouteDestination>>,
}

// ---------------------------------------------------------------------------------------------
// Gateway

/// `Gateway.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaySpec {
    pub selector: Option<StringMap>,
    pub servers: Option<Vec<Server>>,
}

/// A port with a protocol (Gateway server, ServiceEntry, Sidecar listener).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Port {
    pub number: u32,
    pub protocol: Protocol,
    pub name: Option<String>,
    pub target_port: Option<u32>,
}

/// A server of a Gateway: a port, hosts and TLS settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Server {
    pub port: Port,
    pub bind: Option<String>,
    pub hosts: Vec<String>,
    pub tls: Option<ServerTLSSettings>,
    pub default_endpoint: Option<String>,
    pub name: Option<String>,
}

/// TLS mode of a Gateway server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerTLSMode {
    Passthrough,
    Simple,
    Mutual,
    AutoPassthrough,
    IstioMutual,
    OptionalMutual,
    #[serde(other)]
    Unknown,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TLSProtocol {
    #[serde(rename = "TLS_AUTO")]
    Auto,
    #[serde(rename = "TLSV1_0")]
    V1_0,
    #[serde(rename = "TLSV1_1")]
    V1_1,
    #[serde(rename = "TLSV1_2")]
    V1_2,
    #[serde(rename = "TLSV1_3")]
    V1_3,
    #[serde(other)]
    Unknown,
}

/// TLS settings of a Gateway server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerTLSSettings {
    pub https_redirect: Option<bool>,
    pub mode: Option<ServerTLSMode>,
    pub server_certificate: Option<String>,
    pub private_key: Option<String>,
    pub ca_certificates: Option<String>,
    pub ca_crl: Option<String>,
    pub credential_name: Option<String>,
    pub credential_names: Option<Vec<String>>,
    pub tls_certificates: Option<Vec<Value>>,
    pub subject_alt_names: Option<Vec<String>>,
    pub verify_certificate_spki: Option<Vec<String>>,
    pub verify_certificate_hash: Option<Vec<String>>,
    pub min_protocol_version: Option<TLSProtocol>,
    pub max_protocol_version: Option<TLSProtocol>,
    pub cipher_suites: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// DestinationRule

/// `DestinationRule.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    pub host: String,
    pub traffic_policy: Option<Box<TrafficPolicy>>,
    pub subsets: Option<Vec<Subset>>,
    pub export_to: Option<Vec<String>>,
    pub workload_selector: Option<LabelsSelector>,
}

/// A `{matchLabels: …}` workload selector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelsSelector {
    pub match_labels: Option<StringMap>,
}

/// A `{labels: …}` workload selector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkloadSelector {
    pub labels: Option<StringMap>,
}

/// A named subset of a service's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Subset {
    pub name: String,
    pub labels: Option<StringMap>,
    pub traffic_policy: Option<Box<TrafficPolicy>>,
}

/// Simple load balancing algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SimpleLB {
    Unspecified,
    LeastConn,
    Random,
    Passthrough,
    RoundRobin,
    LeastRequest,
    #[serde(other)]
    Unknown,
}

/// Load balancer settings. Consistent hashing and locality settings are not modelled in detail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoadBalancerSettings {
    pub simple: Option<SimpleLB>,
    pub consistent_hash: Option<Value>,
    pub locality_lb_setting: Option<Value>,
    pub warmup_duration_secs: Option<Duration>,
    pub warmup: Option<Value>,
}

/// TCP keepalive settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpKeepalive {
    pub probes: Option<u32>,
    pub time: Option<Duration>,
    pub interval: Option<Duration>,
}

/// TCP connection pool settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TcpSettings {
    pub max_connections: Option<i32>,
    pub connect_timeout: Option<Duration>,
    pub tcp_keepalive: Option<TcpKeepalive>,
    pub max_connection_duration: Option<Duration>,
    pub idle_timeout: Option<Duration>,
}

/// Whether to upgrade HTTP/1.1 connections to HTTP/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum H2UpgradePolicy {
    Default,
    DoNotUpgrade,
    Upgrade,
    #[serde(other)]
    Unknown,
}

/// HTTP connection pool settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpSettings {
    pub http1_max_pending_requests: Option<i32>,
    pub http2_max_requests: Option<i32>,
    pub max_requests_per_connection: Option<i32>,
    pub max_retries: Option<i32>,
    pub idle_timeout: Option<Duration>,
    pub h2_upgrade_policy: Option<H2UpgradePolicy>,
    pub use_client_protocol: Option<bool>,
    pub max_concurrent_streams: Option<i32>,
}

/// Connection pool settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionPoolSettings {
    pub tcp: Option<TcpSettings>,
    pub http: Option<HttpSettings>,
}

/// Outlier detection (circuit breaking) settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OutlierDetection {
    pub split_external_local_origin_errors: Option<bool>,
    pub consecutive_local_origin_failures: Option<u32>,
    pub consecutive_gateway_errors: Option<u32>,
    #[serde(rename = "consecutive5xxErrors")]
    pub consecutive_5xx_errors: Option<u32>,
    pub consecutive_errors: Option<i32>,
    pub interval: Option<Duration>,
    pub base_ejection_time: Option<Duration>,
    pub max_ejection_percent: Option<i32>,
    pub min_health_percent: Option<i32>,
}

/// TLS mode towards an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientTLSMode {
    Disable,
    Simple,
    Mutual,
    IstioMutual,
    #[serde(other)]
    Unknown,
}

/// TLS settings towards an upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClientTLSSettings {
    pub mode: Option<ClientTLSMode>,
    pub client_certificate: Option<String>,
    pub private_key: Option<String>,
    pub ca_certificates: Option<String>,
    pub ca_crl: Option<String>,
    pub credential_name: Option<String>,
    pub subject_alt_names: Option<Vec<String>>,
    pub sni: Option<String>,
    pub insecure_skip_verify: Option<bool>,
}

/// Traffic policy for one port.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PortTrafficPolicy {
    pub port: Option<PortSelector>,
    pub load_balancer: Option<LoadBalancerSettings>,
    pub connection_pool: Option<ConnectionPoolSettings>,
    pub outlier_detection: Option<OutlierDetection>,
    pub tls: Option<ClientTLSSettings>,
}

/// Tunnel settings (HTTP CONNECT to a proxy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TunnelSettings {
    pub protocol: Option<String>,
    pub target_host: String,
    pub target_port: u32,
}

/// PROXY protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProxyProtocolVersion {
    V1,
    V2,
    #[serde(other)]
    Unknown,
}

/// PROXY protocol settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyProtocol {
    pub version: Option<ProxyProtocolVersion>,
}

/// A traffic policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TrafficPolicy {
    pub load_balancer: Option<LoadBalancerSettings>,
    pub connection_pool: Option<ConnectionPoolSettings>,
    pub outlier_detection: Option<OutlierDetection>,
    pub tls: Option<ClientTLSSettings>,
    pub port_level_settings: Option<Vec<PortTrafficPolicy>>,
    pub tunnel: Option<TunnelSettings>,
    pub proxy_protocol: Option<ProxyProtocol>,
    pub retry_budget: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// ServiceEntry and WorkloadEntry

/// Whether a ServiceEntry's service is inside or outside the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Location {
    MeshExternal,
    MeshInternal,
    #[serde(other)]
    Unknown,
}

/// How a ServiceEntry's endpoints are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resolution {
    None,
    Static,
    Dns,
    DnsRoundRobin,
    #[serde(other)]
    Unknown,
}

/// A port of a ServiceEntry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    pub number: u32,
    pub protocol: Option<Protocol>,
    pub name: Option<String>,
    pub target_port: Option<u32>,
}

/// `ServiceEntry.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    pub hosts: Vec<String>,
    pub addresses: Option<Vec<String>>,
    pub ports: Option<Vec<ServicePort>>,
    pub location: Option<Location>,
    pub resolution: Option<Resolution>,
    pub endpoints: Option<Vec<WorkloadEntrySpec>>,
    pub workload_selector: Option<WorkloadSelector>,
    pub export_to: Option<Vec<String>>,
    pub subject_alt_names: Option<Vec<String>>,
}

/// `WorkloadEntry.spec`, also a ServiceEntry endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadEntrySpec {
    pub address: Option<String>,
    pub ports: Option<BTreeMap<String, u32>>,
    pub labels: Option<StringMap>,
    pub network: Option<String>,
    pub locality: Option<String>,
    pub weight: Option<u32>,
    pub service_account: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Sidecar

/// How traffic reaches a sidecar listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaptureMode {
    Default,
    Iptables,
    None,
    #[serde(other)]
    Unknown,
}

/// A port of a Sidecar listener.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SidecarPort {
    pub number: Option<u32>,
    pub protocol: Option<Protocol>,
    pub name: Option<String>,
    pub target_port: Option<u32>,
}

/// An inbound listener of a Sidecar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IstioIngressListener {
    pub port: SidecarPort,
    pub bind: Option<String>,
    pub capture_mode: Option<CaptureMode>,
    pub default_endpoint: Option<String>,
    pub tls: Option<ServerTLSSettings>,
    pub connection_pool: Option<ConnectionPoolSettings>,
}

/// An outbound listener of a Sidecar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IstioEgressListener {
    pub port: Option<SidecarPort>,
    pub bind: Option<String>,
    pub capture_mode: Option<CaptureMode>,
    pub hosts: Vec<String>,
}

/// Outbound traffic policy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboundMode {
    RegistryOnly,
    AllowAny,
    #[serde(other)]
    Unknown,
}

/// Outbound traffic policy of a Sidecar.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OutboundTrafficPolicy {
    pub mode: Option<OutboundMode>,
    pub egress_proxy: Option<Destination>,
}

/// `Sidecar.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SidecarSpec {
    pub workload_selector: Option<WorkloadSelector>,
    pub ingress: Option<Vec<IstioIngressListener>>,
    pub egress: Option<Vec<IstioEgressListener>>,
    pub outbound_traffic_policy: Option<OutboundTrafficPolicy>,
    pub inbound_connection_pool: Option<ConnectionPoolSettings>,
}
