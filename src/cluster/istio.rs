//! The Istio release a cluster runs, as `lint --kube` reads it: istiod's Deployments (label
//! `app=istiod`, as Istio's `istio-discovery` chart and istioctl install name them), their
//! version labels or the `discovery` container's image tag. With several revisions, the
//! `default` one decides: it is the one that validates and injects for unlabelled namespaces.

use super::{CallError, Cluster};
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

/// The release one istiod Deployment runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Istiod {
    /// `namespace/name` of the Deployment.
    pub deployment: String,
    /// Its `istio.io/rev` label (`default` when unlabelled).
    pub revision: String,
    /// `1.31.2`, without a `v` or an image variant suffix.
    pub version: String,
    /// Where the version was read: a label or the image.
    pub from: String,
}

/// The release a Deployment's labels or image say, e.g. from `docker.io/istio/pilot:1.31.2-distroless`.
pub fn istiod_version(deployment: &Value) -> Option<(String, String)> {
    let labels = deployment.pointer("/metadata/labels");
    for key in ["app.kubernetes.io/version", "operator.istio.io/version"] {
        if let Some(v) = labels.and_then(|l| l.get(key)).and_then(Value::as_str).and_then(release_of) {
            return Some((v, format!("label {key}")));
        }
    }
    let containers = deployment.pointer("/spec/template/spec/containers").and_then(Value::as_array)?;
    let discovery = containers.iter().find(|c| c.get("name").and_then(Value::as_str) == Some("discovery"));
    let image = discovery.or(containers.first())?.get("image").and_then(Value::as_str)?;
    // The tag follows the last `:` after the last `/` (a registry may carry a port).
    let tag = image.rsplit('/').next()?.split_once(':')?.1.split('@').next()?;
    release_of(tag).map(|v| (v, format!("image {image}")))
}

/// `1.31.2` of `1.31.2`, `v1.31.2` or `1.31.2-distroless`; `None` for a tag that names no release
/// (`latest`, a digest, a build hash).
fn release_of(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('v');
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let version = t[..end].trim_end_matches('.');
    let parts: Vec<&str> = version.split('.').collect();
    (parts.len() >= 2 && parts.iter().all(|p| !p.is_empty())).then(|| version.to_string())
}

/// Every istiod Deployment the context may list, in all namespaces that tell their release. The
/// inner `Err` says why none could be listed (no Deployments served, or the list refused by
/// RBAC): the release is then unknown, which is not a failure of the lint.
pub async fn istiods(cluster: &mut Cluster) -> Result<Result<Vec<Istiod>, String>, String> {
    let Some(served) = cluster.served("apps/v1", "Deployment").await? else {
        return Ok(Err("the cluster does not serve apps/v1 Deployments".into()));
    };
    let api: Api<DynamicObject> = Api::all_with(cluster.client.clone(), &served.resource);
    let params = ListParams::default().labels("app=istiod");
    let list = match cluster.call("listing istiod Deployments", api.list(&params)).await {
        Ok(l) => l,
        Err(CallError::Refused { code, message, .. }) => {
            return Ok(Err(format!("listing istiod Deployments was refused ({code}: {message})")));
        }
        Err(CallError::Failed(m)) => return Err(m),
    };
    let mut out = Vec::new();
    for item in list.items {
        let v = super::to_value(item)?;
        let Some((version, from)) = istiod_version(&v) else { continue };
        let meta =
            |k: &str| v.pointer(&format!("/metadata/{k}")).and_then(Value::as_str).unwrap_or_default().to_string();
        let revision = v
            .pointer("/metadata/labels/istio.io~1rev")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .unwrap_or("default")
            .to_string();
        out.push(Istiod { deployment: format!("{}/{}", meta("namespace"), meta("name")), revision, version, from });
    }
    out.sort_by(|a, b| a.deployment.cmp(&b.deployment));
    Ok(Ok(out))
}

/// The istiod whose release decides: the `default` revision's, else the only one, else the
/// newest (whose CRDs, installed last, are the ones the API server serves).
pub fn deciding(istiods: &[Istiod]) -> Option<&Istiod> {
    istiods.iter().find(|i| i.revision == "default").or_else(|| {
        istiods.iter().max_by(|a, b| {
            let key = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
            key(&a.version).cmp(&key(&b.version))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_from_labels_and_images() {
        let d = json!({"metadata": {"labels": {"app.kubernetes.io/version": "1.31.2"}}});
        assert_eq!(istiod_version(&d), Some(("1.31.2".into(), "label app.kubernetes.io/version".into())));
        let d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "discovery", "image": "registry.example.com:5000/istio/pilot:1.30.8-distroless"}]}}}});
        assert_eq!(istiod_version(&d).map(|v| v.0), Some("1.30.8".into()));
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": "istio/pilot:latest"}]}}}});
        assert_eq!(istiod_version(&d), None);
        let d =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "registry:5000/pilot"}]}}}});
        assert_eq!(istiod_version(&d), None);
    }

    #[test]
    fn the_default_revision_decides() {
        let i = |rev: &str, v: &str| Istiod {
            deployment: format!("istio-system/istiod-{rev}"),
            revision: rev.into(),
            version: v.into(),
            from: String::new(),
        };
        let all = [i("canary", "1.32.0"), i("default", "1.30.8")];
        assert_eq!(deciding(&all).map(|i| i.version.as_str()), Some("1.30.8"));
        let revisions = [i("1-30", "1.30.8"), i("1-31", "1.31.4")];
        assert_eq!(deciding(&revisions).map(|i| i.version.as_str()), Some("1.31.4"));
        assert_eq!(deciding(&[]), None);
    }
}
