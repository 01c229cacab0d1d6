//! The objects of the input files as the cluster commands send them: namespace defaulted, in apply
//! order (Namespaces, then other Kubernetes kinds, then Istio kinds).

use crate::lint::Inputs;
use serde_json::Value;

/// Which object: the API group (not the version: one object is served under several), kind,
/// namespace (`None` for cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One object to send.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub api_version: String,
    pub id: Identity,
    /// The object as sent: the manifest with its namespace defaulted.
    pub value: Value,
    /// `file:line` of the manifest, for messages.
    pub origin: String,
}

impl Manifest {
    /// A core `Namespace`: apply and diff create these first, since the objects inside need them.
    pub fn is_namespace(&self) -> bool {
        self.id.group.is_empty() && self.id.kind == "Namespace"
    }

    /// Make the namespace agree with the kind's scope as the server reports it.
    pub fn set_scope(&mut self, namespaced: bool, default_namespace: &str) {
        let ns = namespaced.then(|| self.id.namespace.clone().unwrap_or_else(|| default_namespace.to_string()));
        if let Some(meta) = self.value.get_mut("metadata").and_then(Value::as_object_mut) {
            match &ns {
                Some(n) => {
                    meta.insert("namespace".into(), Value::String(n.clone()));
                }
                None => {
                    meta.remove("namespace");
                }
            }
        }
        self.id.namespace = ns;
    }
}

/// Kubernetes kinds that are cluster-scoped, for rendering without a cluster (apply and diff ask
/// the server).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("gateway.networking.k8s.io", "GatewayClass"),
];

fn rank(id: &Identity) -> u8 {
    match (id.group.as_str(), id.kind.as_str()) {
        ("", "Namespace") => 0,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 1,
        (g, _) if g == "istio.io" || g.ends_with(".istio.io") => 3,
        _ => 2,
    }
}

/// The objects of `inputs` in apply order, namespaces defaulted to `default_namespace` (kinds
/// known to be cluster-scoped get none). An object without a name is an error: apply needs one.
pub fn manifests(inputs: &Inputs, default_namespace: &str) -> Result<Vec<Manifest>, String> {
    let mut out = Vec::with_capacity(inputs.objects.len());
    for o in &inputs.objects {
        let location = inputs.sources.location(o.span);
        let origin = format!("{}:{}", location.file, location.line);
        let Some(name) = o.name.clone().filter(|n| !n.is_empty()) else {
            return Err(format!("{origin}: {} has no metadata.name", o.kind));
        };
        let group = o.group().to_string();
        let mut m = Manifest {
            api_version: o.api_version.clone(),
            id: Identity { group, kind: o.kind.clone(), namespace: o.namespace.clone(), name },
            value: o.value(&inputs.docs).clone(),
            origin,
        };
        let cluster_scoped = CLUSTER_SCOPED.iter().any(|(g, k)| *g == m.id.group && *k == m.id.kind);
        m.set_scope(!cluster_scoped, default_namespace);
        out.push(m);
    }
    out.sort_by_key(|m| rank(&m.id));
    Ok(out)
}

/// Hide a Secret's values the way `kubectl diff` does: every value of `data` and `stringData`
/// becomes `***`, or `*** (before)` / `*** (after)` where it differs from `other`'s.
pub fn mask_secret(value: &mut Value, other: Option<&Value>, suffix: &str) {
    let is_secret = value.get("kind").and_then(Value::as_str) == Some("Secret")
        && value.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if !is_secret {
        return;
    }
    for field in ["data", "stringData"] {
        let theirs = other.and_then(|o| o.get(field)).and_then(Value::as_object);
        if let Some(Value::Object(map)) = value.get_mut(field) {
            for (k, v) in map.iter_mut() {
                let same = theirs.and_then(|t| t.get(k)).is_none_or(|t| t == v);
                *v = Value::String(if same { "***".to_string() } else { format!("*** ({suffix})") });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use serde_json::json;

    fn parse(text: &str) -> Inputs {
        let mut s = Sources::default();
        s.add("m.yaml".into(), text.into());
        Inputs::parse(s)
    }

    #[test]
    fn namespaces_first_then_core_then_istio_with_namespaces_defaulted() {
        let inputs = parse(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: other}\n---\n\
             apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n",
        );
        let m = manifests(&inputs, "team").unwrap();
        let order: Vec<String> = m.iter().map(|m| m.id.to_string()).collect();
        assert_eq!(order, ["Namespace other", "Service other/s", "VirtualService team/vs"]);
        assert_eq!(m[2].value["metadata"]["namespace"], "team");
        assert!(m[0].value["metadata"].get("namespace").is_none());
        assert_eq!(m[2].origin, "m.yaml:1");
    }

    #[test]
    fn an_object_without_a_name_is_an_error() {
        let err = manifests(&parse("apiVersion: v1\nkind: Service\nmetadata: {}\n"), "default").unwrap_err();
        assert_eq!(err, "m.yaml:1: Service has no metadata.name");
    }

    #[test]
    fn secrets_are_masked_and_changes_marked() {
        let before = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "eA==", "b": "eQ=="}});
        let mut after = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "eA==", "b": "eg==", "c": "dw=="}});
        mask_secret(&mut after, Some(&before), "after");
        assert_eq!(after["data"], json!({"a": "***", "b": "*** (after)", "c": "***"}));
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}});
        mask_secret(&mut cm, None, "after");
        assert_eq!(cm["data"]["a"], "x");
    }
}
