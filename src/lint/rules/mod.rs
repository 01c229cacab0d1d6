//! The rule registry. One file per rule: its metadata and docs, its check, its tests.
//!
//! Codes are stable and never reused: `MESH00xx` input/YAML, `01xx` schema, `02xx` references,
//! `03xx` routing, `04xx` conflicts, `05xx` TLS/security, `06xx` hygiene.

use super::RuleMeta;
use super::engine::Rule;

pub mod conflicting_fields;
pub mod conflicting_gateways;
pub mod conflicting_mesh_gateway_hosts;
pub mod delegate_rule_dropped;
pub mod deployment_conflicting_ports;
pub mod deployment_multiple_services;
pub mod destination_outside_sidecar_egress;
pub mod destination_port_required;
pub mod duplicate_destination_rule;
pub mod duplicate_key;
pub mod duplicate_resource;
pub mod duplicate_resource_across_files;
pub mod externalname_port_name;
pub mod gateway_api;
pub mod gateway_port_not_exposed;
pub mod gateway_selects_no_workload;
pub mod host_not_in_gateway;
pub mod ineffective_match;
pub mod input_limit;
pub mod internal_gateway_reference;
pub mod invalid_enum;
pub mod invalid_name;
pub mod invalid_type;
pub mod invalid_utf8;
pub mod invalid_value;
pub mod jwt_claim_route_without_authn;
pub mod match_never_applies;
pub mod misindented_key;
pub mod missing_field;
pub mod missing_type_meta;
pub mod multiple_default_sidecars;
pub mod not_a_resource;
pub mod not_an_object;
pub mod route_weights_rejected;
pub mod security;
pub mod service_port_name;
pub mod serviceentry_addresses_required;
pub mod serviceentry_conflicting_protocol;
pub mod shadowed_route;
pub mod sidecar_in_ambient_mode;
pub mod sidecar_selects_no_workload;
pub mod sidecars_select_same_workload;
pub mod subset_ignored_at_ingress;
pub mod subset_selects_no_pods;
pub mod traffic_policy;
pub mod unknown_delegate;
pub mod unknown_destination_host;
pub mod unknown_destination_port;
pub mod unknown_destination_rule_host;
pub mod unknown_field;
pub mod unknown_gateway;
pub mod unknown_kind;
pub mod unknown_subset;
pub mod unreachable_rule;
pub mod unused_suppression;
pub mod validation_rule;
pub mod yaml11_scalar;
pub mod yaml_syntax;

/// Every rule with a check, in code order.
pub static RULES: &[&dyn Rule] = &[
    &yaml_syntax::Check,
    &invalid_utf8::Check,
    &not_an_object::Check,
    &missing_type_meta::Check,
    &duplicate_key::Check,
    &input_limit::Check,
    &yaml11_scalar::Check,
    &unknown_kind::Check,
    &not_a_resource::Check,
    &unknown_field::Check,
    &misindented_key::Check,
    &invalid_type::Check,
    &missing_field::Check,
    &invalid_enum::Check,
    &conflicting_fields::Check,
    &invalid_value::Check,
    &validation_rule::Check,
    &invalid_name::Check,
    &unknown_destination_host::Check,
    &gateway_selects_no_workload::Check,
    &gateway_port_not_exposed::Check,
    &subset_selects_no_pods::Check,
    &unknown_destination_rule_host::Check,
    &sidecar_selects_no_workload::Check,
    &sidecars_select_same_workload::Check,
    &multiple_default_sidecars::Check,
    &sidecar_in_ambient_mode::Check,
    &destination_outside_sidecar_egress::Check,
    &duplicate_resource::Check,
    &duplicate_resource_across_files::Check,
    &conflicting_gateways::Check,
    &duplicate_destination_rule::Check,
    &serviceentry_conflicting_protocol::Check,
    &serviceentry_addresses_required::Check,
    &unreachable_rule::Check,
    &ineffective_match::Check,
    &shadowed_route::Check,
    &match_never_applies::Check,
    &delegate_rule_dropped::Check,
    &unknown_subset::Check,
    &unknown_gateway::Check,
    &host_not_in_gateway::Check,
    &internal_gateway_reference::Check,
    &destination_port_required::Check,
    &unknown_destination_port::Check,
    &subset_ignored_at_ingress::Check,
    &route_weights_rejected::Check,
    &jwt_claim_route_without_authn::Check,
    &conflicting_mesh_gateway_hosts::Check,
    &deployment_multiple_services::Check,
    &deployment_conflicting_ports::Check,
    &service_port_name::Check,
    &externalname_port_name::Check,
    &unknown_delegate::Check,
    &gateway_api::route_not_accepted::Check,
    &gateway_api::unknown_parent::Check,
    &gateway_api::unresolved_reference::Check,
    &gateway_api::listener_not_ready::Check,
    &gateway_api::foreign_gateway_class::Check,
    &gateway_api::unused_reference_grant::Check,
    &gateway_api::mesh_route_and_virtual_service::Check,
    &gateway_api::route_kind_not_served::Check,
    &gateway_api::gateway_not_ready::Check,
    &gateway_api::mesh_route_without_waypoint::Check,
    &gateway_api::backend_tls_policy_not_accepted::Check,
    &security::tls_origination_without_ca::Check,
    &security::tls_origination_without_ca_port::Check,
    &security::gateway_duplicate_certificate::Check,
    &security::authz_http_field_on_tcp::Check,
    &security::token_not_required::Check,
    &security::policy_selects_no_workload::Check,
    &security::mtls_mismatch::Check,
    &security::peer_authentication_ignored::Check,
    &security::gateway_tls_without_credentials::Check,
    &security::gateway_credential_not_found::Check,
    &security::gateway_credential_invalid::Check,
    &security::unknown_identity::Check,
    &security::allow_nothing_by_accident::Check,
    &security::deny_shadows_allow::Check,
    &security::custom_provider_not_found::Check,
    &security::plaintext_under_strict::Check,
    &security::port_level_mtls_on_service_port::Check,
    &security::identity_without_mtls::Check,
    &security::jwks_fetch_unrestricted::Check,
    &security::authz_method_case::Check,
    &security::authz_host_unknown::Check,
    &traffic_policy::failover_without_outlier_detection::Check,
];

/// Rules whose findings the engine itself makes (suppression bookkeeping).
pub static ENGINE_RULES: &[&RuleMeta] = &[&unused_suppression::META];

/// Every rule's metadata, in code order.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&'static RuleMeta> = RULES.iter().map(|r| r.meta()).chain(ENGINE_RULES.iter().copied()).collect();
    v.sort_by_key(|m| m.code);
    v
}

pub fn by_code(code: &str) -> Option<&'static RuleMeta> {
    all().into_iter().find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
}

pub fn by_name(name: &str) -> Option<&'static RuleMeta> {
    all().into_iter().find(|m| m.name == name)
}

/// The YAML example of a rule's docs, which its tests lint.
#[cfg(test)]
pub(crate) fn docs_example(meta: &RuleMeta) -> String {
    let start = meta.docs.find("```yaml\n").expect("the docs have a YAML example") + 8;
    let len = meta.docs[start..].find("```").expect("the example is closed");
    meta.docs[start..start + len].to_string()
}

/// Lint one inline YAML file with every rule and the default options (for rule tests).
#[cfg(test)]
pub(crate) fn lint_yaml(yaml: &str) -> crate::lint::Outcome {
    lint_yaml_with(yaml, &crate::lint::LintOptions::default())
}

/// Lint one inline YAML file with every rule and these options.
#[cfg(test)]
pub(crate) fn lint_yaml_with(yaml: &str, options: &crate::lint::LintOptions) -> crate::lint::Outcome {
    let mut s = crate::source::Sources::default();
    s.add("t.yaml".into(), yaml.into());
    crate::lint::lint_sources(s, options)
}

/// The findings of rule `code` on one inline YAML file: (line, message).
#[cfg(test)]
pub(crate) fn findings(yaml: &str, code: &str) -> Vec<(u32, String)> {
    findings_with(yaml, code, &crate::lint::LintOptions::default())
}

/// The findings of rule `code` on one inline YAML file linted with these options.
#[cfg(test)]
pub(crate) fn findings_with(yaml: &str, code: &str, options: &crate::lint::LintOptions) -> Vec<(u32, String)> {
    let out = lint_yaml_with(yaml, options);
    out.diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let all = all();
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for m in &all {
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(m.code.len() == 8 && m.code.starts_with("MESH"), "{}", m.code);
            assert!(m.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{}", m.name);
            for section in ["## What it finds", "## Why it matters", "## Example", "## Fix"] {
                assert!(m.docs.contains(section), "{} docs lack {section}", m.code);
            }
        }
    }
}
