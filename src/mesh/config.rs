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
    /// The SPIFFE trust domain of the mesh's identities (default `cluster.local`).
    pub trust_domain: String,
    /// Trust domains whose identities count as this mesh's.
    pub trust_domain_aliases: Vec<String>,
    /// The external authorizers CUSTOM AuthorizationPolicies name.
    pub extension_providers: Vec<ExtensionProvider>,
    /// How Envoy normalizes paths before authorization and routing.
    pub path_normalization: PathNormalization,
    /// Auto mTLS (default on): a client without a DestinationRule TLS mode sends Istio mTLS to
    /// workloads with sidecars, plain text to the rest.
    pub enable_auto_mtls: bool,
    /// istiod's own settings (its environment, not part of MeshConfig): `--istiod-env`.
    #[serde(skip)]
    pub istiod: IstiodEnv,
}

/// The istiod environment variables that change what meshctl computes, as `--istiod-env
/// NAME=VALUE` sets them. Their defaults are istiod 1.30's (`pilot/pkg/features/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IstiodEnv {
    /// `PILOT_ENABLE_ALPHA_GATEWAY_API` (default false, `features/experimental.go`): istiod serves
    /// Gateway API's alpha kinds, TCP listeners and TCPRoutes among them.
    pub alpha_gateway_api: bool,
}

impl IstiodEnv {
    /// The names `set` takes.
    pub const NAMES: &'static [&'static str] = &["PILOT_ENABLE_ALPHA_GATEWAY_API"];

    /// Apply one `NAME=VALUE`. A boolean reads as Go's `strconv.ParseBool` does, as istiod's
    /// `env.Register` does; an unknown name is an error, never passed over.
    pub fn set(&mut self, setting: &str) -> Result<(), String> {
        let Some((name, value)) = setting.split_once('=') else {
            return Err(format!("--istiod-env {setting:?}: expected NAME=VALUE"));
        };
        let flag = match value {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
            "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
            _ => return Err(format!("--istiod-env {name}: {value:?} is not a boolean (true or false)")),
        };
        match name {
            "PILOT_ENABLE_ALPHA_GATEWAY_API" => self.alpha_gateway_api = flag,
            _ => {
                return Err(format!(
                    "--istiod-env {name}: meshctl knows only {}; other istiod settings do not change its answers",
                    Self::NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }
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
            trust_domain: "cluster.local".into(),
            trust_domain_aliases: Vec::new(),
            extension_providers: Vec::new(),
            path_normalization: PathNormalization::default(),
            enable_auto_mtls: true,
            istiod: IstiodEnv::default(),
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
    pub gateway_topology: GatewayTopology,
}

/// `defaultConfig.gatewayTopology`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GatewayTopology {
    /// The proxies in front of the gateways: Envoy trusts this many `X-Forwarded-For` hops.
    pub num_trusted_proxies: u32,
}

/// One `extensionProviders` entry; only its name matters here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExtensionProvider {
    pub name: Option<String>,
}

/// `pathNormalization`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PathNormalization {
    /// `BASE` (default), `NONE`, `MERGE_SLASHES` or `DECODE_AND_MERGE_SLASHES`.
    pub normalization: String,
}

impl Default for PathNormalization {
    fn default() -> Self {
        PathNormalization { normalization: "BASE".into() }
    }
}

/// What Istio's API allows in a MeshConfig, vendored from its definition by
/// `scripts/vendor-meshconfig.sh`.
#[derive(Deserialize)]
struct Upstream {
    #[serde(rename = "MeshConfig")]
    mesh_config: Vec<String>,
    #[serde(rename = "OutboundTrafficPolicy")]
    outbound_traffic_policy: Vec<String>,
    #[serde(rename = "OutboundTrafficPolicy.Mode")]
    outbound_modes: Vec<String>,
    #[serde(rename = "IngressControllerMode")]
    ingress_controller_modes: Vec<String>,
}

fn upstream() -> Upstream {
    serde_json::from_str(include_str!("../../vendor/istio.io/api/meshconfig.json"))
        .expect("the vendored MeshConfig fields are valid JSON")
}

/// protobuf's JSON mapping takes a field by its JSON name or its proto name: `root_namespace` is
/// `rootNamespace`.
fn json_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every key of `value` (a mapping at `base`) is a field of `message`.
fn check_fields(
    value: &serde_json::Value,
    base: &str,
    message: &str,
    fields: &[String],
    at: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let Some(map) = value.as_object() else {
        return Err(format!("{}: {message} must be a mapping", at(base)));
    };
    for key in map.keys() {
        if fields.contains(&json_name(key)) {
            continue;
        }
        let pointer = format!("{base}/{}", crate::source::escape_segment(key));
        let near = fields
            .iter()
            .min_by_key(|f| strsim::levenshtein(&f.to_ascii_lowercase(), &json_name(key).to_ascii_lowercase()));
        let hint = near
            .filter(|f| strsim::levenshtein(&f.to_ascii_lowercase(), &json_name(key).to_ascii_lowercase()) <= 3)
            .map(|f| format!("; did you mean `{f}`?"))
            .unwrap_or_default();
        return Err(format!("{}: `{key}` is not a field of Istio's {message}{hint}", at(&pointer)));
    }
    Ok(())
}

fn check_enum(
    value: Option<&serde_json::Value>,
    pointer: &str,
    field: &str,
    allowed: &[String],
    at: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let Some(value) = value else { return Ok(()) };
    if value.as_str().is_some_and(|v| allowed.iter().any(|a| a == v)) {
        return Ok(());
    }
    let shown = value.as_str().map_or_else(|| value.to_string(), |v| format!("\"{v}\""));
    Err(format!("{}: {shown} is not a valid {field}; Istio allows {}", at(pointer), allowed.join(", ")))
}

/// The mapping with proto-named keys under their JSON names, as Istio reads them.
fn normalized(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "outbound_traffic_policy"
                        || k == "outboundTrafficPolicy"
                        || k == "default_config"
                        || k == "defaultConfig"
                        || k == "gateway_topology"
                        || k == "gatewayTopology"
                        || k == "path_normalization"
                        || k == "pathNormalization"
                    {
                        normalized(v)
                    } else {
                        v
                    };
                    (json_name(&k), v)
                })
                .collect(),
        ),
        other => other,
    }
}

impl MeshConfig {
    /// The MeshConfig a command runs with: the file's (or the default) with the `--istiod-env`
    /// settings applied.
    pub fn from_flags(path: Option<&std::path::Path>, istiod_env: &[String]) -> Result<MeshConfig, String> {
        let mut mesh = match path {
            Some(p) => MeshConfig::load(p)?,
            None => MeshConfig::default(),
        };
        for setting in istiod_env {
            mesh.istiod.set(setting)?;
        }
        Ok(mesh)
    }

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
            let Some(doc) = inner.first() else { return Ok(MeshConfig::default()) };
            return MeshConfig::checked(&sources, doc);
        }
        MeshConfig::checked(&sources, doc)
    }

    /// The MeshConfig of one parsed document, refused with the place of the first field Istio's
    /// API does not have or of the first value it does not allow. istiod itself reads a MeshConfig
    /// leniently (an unknown field or enum value is dropped, so `mode: REGISTRY_ONLYY` runs as
    /// the default ALLOW_ANY); a file meant to say how the mesh runs should not be read so.
    fn checked(sources: &crate::source::Sources, doc: &crate::source::Document) -> Result<MeshConfig, String> {
        let place = |span| {
            let l = sources.location(span);
            format!("{}:{}:{}", l.file, l.line, l.column)
        };
        let at = |pointer: &str| place(doc.span_of(pointer));
        // An unknown field is its name: point at the key.
        let at_key =
            |pointer: &str| place(doc.node(pointer).and_then(|n| n.key).unwrap_or_else(|| doc.span_of(pointer)));
        if let Some(p) = doc.problems.first() {
            let l = sources.location(p.span);
            return Err(format!("{}:{}:{}: {}", l.file, l.line, l.column, p.message));
        }
        let value = doc.value.clone().unwrap_or_default();
        if value.is_null() {
            return Ok(MeshConfig::default());
        }
        if value.get("kind").and_then(serde_json::Value::as_str) == Some("ConfigMap") {
            return Err(format!(
                "{}: a ConfigMap without `data.mesh`: give the istio ConfigMap or the MeshConfig itself",
                at("")
            ));
        }
        let upstream = upstream();
        check_fields(&value, "", "MeshConfig", &upstream.mesh_config, &at_key)?;
        if let Some(policy) = value.get("outboundTrafficPolicy").or_else(|| value.get("outbound_traffic_policy")) {
            let base = if value.get("outboundTrafficPolicy").is_some() {
                "/outboundTrafficPolicy"
            } else {
                "/outbound_traffic_policy"
            };
            check_fields(policy, base, "OutboundTrafficPolicy", &upstream.outbound_traffic_policy, &at_key)?;
            check_enum(
                policy.get("mode"),
                &format!("{base}/mode"),
                "outboundTrafficPolicy.mode",
                &upstream.outbound_modes,
                &at,
            )?;
        }
        check_enum(
            value.get("ingressControllerMode"),
            "/ingressControllerMode",
            "ingressControllerMode",
            &upstream.ingress_controller_modes,
            &at,
        )?;
        MeshConfig::deserialize(&normalized(value)).map_err(|e| format!("{}: {e}", at("")))
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

#[cfg(test)]
mod tests {
    use super::{IstiodEnv, MeshConfig};

    #[test]
    fn istiod_env_reads_booleans_as_go_does_and_refuses_unknown_names() {
        let mut env = IstiodEnv::default();
        env.set("PILOT_ENABLE_ALPHA_GATEWAY_API=true").unwrap();
        assert!(env.alpha_gateway_api);
        env.set("PILOT_ENABLE_ALPHA_GATEWAY_API=0").unwrap();
        assert!(!env.alpha_gateway_api);
        let e = env.set("PILOT_ENABLE_ALPHA_GATEWAY_API=yes").unwrap_err();
        assert!(e.contains("not a boolean"), "{e}");
        let e = env.set("PILOT_ENABLE_ALPHA_GATEWAY").unwrap_err();
        assert!(e.contains("NAME=VALUE"), "{e}");
        let e = env.set("PILOT_TRACE_SAMPLING=1").unwrap_err();
        assert!(e.contains("knows only PILOT_ENABLE_ALPHA_GATEWAY_API"), "{e}");
    }

    fn load(text: &str) -> Result<MeshConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mesh.yaml");
        std::fs::write(&path, text).unwrap();
        MeshConfig::load(&path).map_err(|e| e.replace(&path.display().to_string(), "mesh.yaml"))
    }

    #[test]
    fn the_security_settings() {
        let m = load(
            "trustDomain: new-td\ntrustDomainAliases: [old-td]\nenableAutoMtls: false\npathNormalization: {normalization: MERGE_SLASHES}\nextensionProviders:\n- name: ext-authz\n  envoyExtAuthzHttp: {service: authz.foo.svc.cluster.local, port: 8000}\ndefaultConfig:\n  gatewayTopology: {numTrustedProxies: 2}\n",
        )
        .unwrap();
        assert_eq!(
            (m.trust_domain.as_str(), m.trust_domain_aliases.as_slice()),
            ("new-td", &["old-td".to_string()][..])
        );
        assert!(!m.enable_auto_mtls);
        assert_eq!(m.path_normalization.normalization, "MERGE_SLASHES");
        assert_eq!(m.extension_providers[0].name.as_deref(), Some("ext-authz"));
        assert_eq!(m.default_config.gateway_topology.num_trusted_proxies, 2);
        // The proto names are read too.
        let m = load("trust_domain: td\ndefault_config:\n  gateway_topology: {num_trusted_proxies: 1}\n").unwrap();
        assert_eq!((m.trust_domain.as_str(), m.default_config.gateway_topology.num_trusted_proxies), ("td", 1));
        let d = MeshConfig::default();
        assert!(
            d.enable_auto_mtls && d.trust_domain == "cluster.local" && d.path_normalization.normalization == "BASE"
        );
    }

    #[test]
    fn fields_and_values_are_istios() {
        let m = load("rootNamespace: istio-config\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n").unwrap();
        assert_eq!(
            (m.root_namespace.as_str(), m.outbound_traffic_policy.mode.as_str()),
            ("istio-config", "REGISTRY_ONLY")
        );
        // Proto field names are accepted as protobuf's JSON mapping accepts them.
        let m = load("root_namespace: x\noutbound_traffic_policy: {mode: REGISTRY_ONLY}\n").unwrap();
        assert_eq!((m.root_namespace.as_str(), m.outbound_traffic_policy.mode.as_str()), ("x", "REGISTRY_ONLY"));
        // Fields meshctl does not use are still Istio's, and fine.
        assert!(load("accessLogFile: /dev/stdout\nmeshMTLS: {minProtocolVersion: TLSV1_3}\n").is_ok());
    }

    #[test]
    fn a_misspelled_value_or_field_is_refused_at_its_place() {
        let e = load("outboundTrafficPolicy:\n  mode: REGISTRY_ONLYY\n").unwrap_err();
        assert!(e.starts_with("mesh.yaml:2:9: \"REGISTRY_ONLYY\" is not a valid outboundTrafficPolicy.mode"), "{e}");
        assert!(e.contains("REGISTRY_ONLY, ALLOW_ANY"), "{e}");
        let e = load("rootNamespace: a\noutboundTraficPolicy: {mode: REGISTRY_ONLY}\n").unwrap_err();
        assert!(e.starts_with("mesh.yaml:2:1: `outboundTraficPolicy` is not a field of Istio's MeshConfig"), "{e}");
        assert!(e.contains("did you mean `outboundTrafficPolicy`?"), "{e}");
        let e = load("outboundTrafficPolicy: {mod: REGISTRY_ONLY}\n").unwrap_err();
        assert!(e.contains("`mod` is not a field of Istio's OutboundTrafficPolicy; did you mean `mode`?"), "{e}");
        let e = load("ingressControllerMode: Strict\n").unwrap_err();
        assert!(e.contains("\"Strict\" is not a valid ingressControllerMode"), "{e}");
    }

    #[test]
    fn the_istio_configmap_is_read_and_checked() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: |-\n    rootNamespace: r\n";
        assert_eq!(load(cm).unwrap().root_namespace, "r");
        let e = load(&format!("{cm}    outboundTrafficPolicy: {{mode: allow}}\n")).unwrap_err();
        assert!(e.starts_with("mesh.yaml (data.mesh):2:"), "{e}");
        let e = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata: {}\n").unwrap_err();
        assert!(e.contains("without `data.mesh`"), "{e}");
    }
}
