//! Istio `security.istio.io` resources (`v1` and `v1beta1` share one shape): AuthorizationPolicy,
//! PeerAuthentication and RequestAuthentication, as istio/api `security/v1beta1/*.proto` defines
//! them.
//!
//! Lenient like the rest of the model: every field may be absent, unknown enum values become
//! `Unknown`, and the schema rules check shapes against the vendored CRDs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::core::{ObjectMeta, StringMap};

macro_rules! security_resource {
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

security_resource!(
    /// An AuthorizationPolicy: access control on a workload's inbound traffic.
    AuthorizationPolicy,
    AuthorizationPolicySpec
);
security_resource!(
    /// A PeerAuthentication: the mTLS mode a workload's inbound side accepts.
    PeerAuthentication,
    PeerAuthenticationSpec
);
security_resource!(
    /// A RequestAuthentication: the JWTs a workload validates.
    RequestAuthentication,
    RequestAuthenticationSpec
);

/// `selector` of the security kinds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadSelector {
    pub match_labels: Option<StringMap>,
}

/// `targetRef` / `targetRefs[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyTargetReference {
    pub group: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// `AuthorizationPolicy.action`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    #[default]
    Allow,
    Deny,
    Audit,
    Custom,
    #[serde(other)]
    Unknown,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "ALLOW",
            Action::Deny => "DENY",
            Action::Audit => "AUDIT",
            Action::Custom => "CUSTOM",
            Action::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    pub selector: Option<WorkloadSelector>,
    pub target_ref: Option<PolicyTargetReference>,
    pub target_refs: Option<Vec<PolicyTargetReference>>,
    /// `None` is ALLOW.
    pub action: Option<Action>,
    pub provider: Option<ExtensionProvider>,
    pub rules: Option<Vec<Rule>>,
}

impl AuthorizationPolicySpec {
    pub fn action(&self) -> Action {
        self.action.unwrap_or_default()
    }
}

/// `provider` of a CUSTOM policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ExtensionProvider {
    pub name: Option<String>,
}

/// One rule: `from` (any), `to` (any) and `when` (all).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Rule {
    pub from: Option<Vec<RuleFrom>>,
    pub to: Option<Vec<RuleTo>>,
    pub when: Option<Vec<Condition>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RuleFrom {
    pub source: Option<Source>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RuleTo {
    pub operation: Option<Operation>,
}

/// `from[].source`: fields ANDed, values of one field ORed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Source {
    pub principals: Option<Vec<String>>,
    pub not_principals: Option<Vec<String>>,
    pub request_principals: Option<Vec<String>>,
    pub not_request_principals: Option<Vec<String>>,
    pub namespaces: Option<Vec<String>>,
    pub not_namespaces: Option<Vec<String>>,
    pub service_accounts: Option<Vec<String>>,
    pub not_service_accounts: Option<Vec<String>>,
    pub trust_domains: Option<Vec<String>>,
    pub not_trust_domains: Option<Vec<String>>,
    pub ip_blocks: Option<Vec<String>>,
    pub not_ip_blocks: Option<Vec<String>>,
    pub remote_ip_blocks: Option<Vec<String>>,
    pub not_remote_ip_blocks: Option<Vec<String>>,
}

/// `to[].operation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Operation {
    pub hosts: Option<Vec<String>>,
    pub not_hosts: Option<Vec<String>>,
    pub ports: Option<Vec<String>>,
    pub not_ports: Option<Vec<String>>,
    pub methods: Option<Vec<String>>,
    pub not_methods: Option<Vec<String>>,
    pub paths: Option<Vec<String>>,
    pub not_paths: Option<Vec<String>>,
}

/// `when[]`: a key with values or notValues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    pub key: String,
    pub values: Option<Vec<String>>,
    pub not_values: Option<Vec<String>>,
}

/// `PeerAuthentication.mtls.mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MtlsMode {
    #[default]
    Unset,
    Disable,
    Permissive,
    Strict,
    #[serde(other)]
    Unknown,
}

impl MtlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MtlsMode::Unset => "UNSET",
            MtlsMode::Disable => "DISABLE",
            MtlsMode::Permissive => "PERMISSIVE",
            MtlsMode::Strict => "STRICT",
            MtlsMode::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Mtls {
    pub mode: Option<MtlsMode>,
}

impl Mtls {
    pub fn mode(&self) -> MtlsMode {
        self.mode.unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PeerAuthenticationSpec {
    pub selector: Option<WorkloadSelector>,
    pub mtls: Option<Mtls>,
    /// Keyed by the workload (container) port, as a string.
    pub port_level_mtls: Option<std::collections::BTreeMap<String, Mtls>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RequestAuthenticationSpec {
    pub selector: Option<WorkloadSelector>,
    pub target_ref: Option<PolicyTargetReference>,
    pub target_refs: Option<Vec<PolicyTargetReference>>,
    pub jwt_rules: Option<Vec<JwtRule>>,
}

/// One `jwtRules` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JwtRule {
    pub issuer: Option<String>,
    pub audiences: Option<Vec<String>>,
    pub jwks_uri: Option<String>,
    /// The proto's original field name, also served by the CRD.
    #[serde(rename = "jwks_uri")]
    pub jwks_uri_snake: Option<String>,
    pub jwks: Option<String>,
    pub from_headers: Option<Vec<JwtHeader>>,
    pub from_params: Option<Vec<String>>,
    pub from_cookies: Option<Vec<String>>,
    pub output_payload_to_header: Option<String>,
    pub forward_original_token: Option<bool>,
    pub output_claim_to_headers: Option<Vec<ClaimToHeader>>,
    pub space_delimited_claims: Option<Vec<String>>,
    pub timeout: Option<String>,
    /// Istio 1.32: `REQUIRED` makes a missing token a 401 (default `OPTIONAL`).
    pub presence: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JwtHeader {
    pub name: String,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimToHeader {
    pub header: String,
    pub claim: String,
}
