//! The mesh-wide settings that change how hosts resolve and traffic flows (`--mesh-config`).

use serde::Deserialize;

/// The parts of Istio's MeshConfig that meshctl uses. Unknown fields are ignored: a full
/// MeshConfig (or the `mesh` key of the istio ConfigMap) can be passed as it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MeshConfig {
    /// Where mesh-wide defaults (DestinationRules, Sidecars) live.
    pub root_namespace: String,
    pub outbound_traffic_policy: OutboundTrafficPolicy,
    pub default_config: ProxyConfig,
    pub default_virtual_service_export_to: Vec<String>,
    pub default_destination_rule_export_to: Vec<String>,
    pub default_service_export_to: Vec<String>,
    /// `STRICT` (default) or `DEFAULT` make Istio assume the default ingress gateway exists;
    /// `OFF` does not.
    pub ingress_controller_mode: String,
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig {
            root_namespace: "istio-system".into(),
            outbound_traffic_policy: OutboundTrafficPolicy::default(),
            default_config: ProxyConfig::default(),
            default_virtual_service_export_to: Vec::new(),
            default_destination_rule_export_to: Vec::new(),
            default_service_export_to: Vec::new(),
            ingress_controller_mode: "STRICT".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OutboundTrafficPolicy {
    /// `ALLOW_ANY` (default) or `REGISTRY_ONLY`.
    pub mode: String,
}

impl Default for OutboundTrafficPolicy {
    fn default() -> Self {
        OutboundTrafficPolicy { mode: "ALLOW_ANY".into() }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProxyConfig {
    pub proxy_metadata: std::collections::BTreeMap<String, String>,
}

impl MeshConfig {
    /// Read a MeshConfig file: YAML or JSON, either the MeshConfig itself or an istio ConfigMap
    /// whose `data.mesh` holds it.
    pub fn load(path: &std::path::Path) -> Result<MeshConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let mut sources = crate::source::Sources::default();
        let id = sources.add(path.display().to_string(), text);
        let docs = crate::source::parse_file(sources.file(id));
        let Some(doc) = docs.first() else { return Ok(MeshConfig::default()) };
        if let Some(p) = doc.problems.first() {
            let loc = sources.location(p.span);
            return Err(format!("{}:{}:{}: {}", loc.file, loc.line, loc.column, p.message));
        }
        let value = doc.value.clone().unwrap_or_default();
        // A ConfigMap with the mesh config as a string in data.mesh.
        if let Some(mesh) = value.pointer("/data/mesh").and_then(|m| m.as_str()) {
            let id = sources.add(format!("{} (data.mesh)", path.display()), mesh.to_string());
            let inner = crate::source::parse_file(sources.file(id));
            let v = inner.first().and_then(|d| d.value.clone()).unwrap_or_default();
            return MeshConfig::deserialize(&v).map_err(|e| format!("{} (data.mesh): {e}", path.display()));
        }
        MeshConfig::deserialize(&value).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether ServiceEntries without addresses get automatic ones (DNS proxying): DNS capture
    /// with auto-allocation, by the agent or by istiod (`PILOT_ENABLE_IP_AUTOALLOCATE`), as
    /// `istioctl analyze` reads them from the proxy metadata.
    pub fn dns_auto_allocate(&self) -> bool {
        let md = &self.default_config.proxy_metadata;
        let on = |k: &str| md.get(k).is_some_and(|v| v == "true");
        on("ISTIO_META_DNS_CAPTURE") && (on("ISTIO_META_DNS_AUTO_ALLOCATE") || on("PILOT_ENABLE_IP_AUTOALLOCATE"))
    }
}
