//! The live objects `lint --kube` reads: every kind lint models, listed (never watched) in one
//! namespace or all, each turned into YAML text under a `kube://` location so that findings on it
//! have a place.

use super::{CallError, Cluster, Identity, mask_secret, strip, yaml::to_yaml};
use crate::model::kinds::KINDS;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

/// One live object as lint reads it.
#[derive(Debug, Clone)]
pub struct LiveObject {
    pub id: Identity,
    /// `kube://<context>/<namespace>/<kind>/<name>` (no namespace segment for cluster-scoped kinds).
    pub location: String,
    /// YAML text of the object without server-owned fields; Secret values masked.
    pub text: String,
}

/// List the modelled kinds in `namespace` (`None`: all namespaces). Kinds the cluster does not
/// serve (Istio CRDs not installed) are skipped and named in the second value.
pub async fn list_live(
    cluster: &mut Cluster,
    namespace: Option<&str>,
) -> Result<(Vec<LiveObject>, Vec<String>), String> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for kind in KINDS {
        let api_version = kind.preferred_api_version();
        let Some(served) = cluster.served(&api_version, kind.kind).await? else {
            missing.push(format!("{api_version} {}", kind.kind));
            continue;
        };
        let api: Api<DynamicObject> = match (served.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(cluster.client.clone(), ns, &served.resource),
            _ => Api::all_with(cluster.client.clone(), &served.resource),
        };
        let what = format!("listing {}", served.resource.plural);
        let mut params = ListParams::default().limit(500);
        loop {
            let list = cluster.call(&what, api.list(&params)).await.map_err(|e| match e {
                CallError::Refused { .. } => format!("{what}: {e}"),
                CallError::Failed(m) => m,
            })?;
            for item in list.items {
                let mut v = super::to_value(item)?;
                if let Some(o) = v.as_object_mut() {
                    o.insert("apiVersion".into(), Value::String(api_version.clone()));
                    o.insert("kind".into(), Value::String(kind.kind.to_string()));
                }
                strip(&mut v);
                if let Some(a) = v.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
                    a.remove("kubectl.kubernetes.io/last-applied-configuration");
                }
                mask_secret(&mut v, None, "");
                let name = v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
                let ns = v.pointer("/metadata/namespace").and_then(Value::as_str).map(str::to_string);
                let location = match &ns {
                    Some(ns) => format!("kube://{}/{ns}/{}/{name}", cluster.context, kind.kind),
                    None => format!("kube://{}/{}/{name}", cluster.context, kind.kind),
                };
                let id = Identity { group: kind.group.to_string(), kind: kind.kind.to_string(), namespace: ns, name };
                out.push(LiveObject { id, location, text: to_yaml(&v) });
            }
            match list.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) => params = params.continue_token(&c),
                None => break,
            }
        }
    }
    Ok((out, missing))
}
