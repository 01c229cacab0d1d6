//! Cluster access through kube-rs: the objects `render` shows and `apply` sends, server-side apply
//! with an all-or-nothing dry run first, `diff` against the live objects, and the live objects
//! `lint --kube` merges with the files.
//!
//! The rest of meshctl is synchronous; the cluster commands build a current-thread tokio runtime
//! for their own calls ([`block_on`]).

mod apply;
mod diff;
mod istio;
mod live;
mod manifest;
pub mod yaml;

pub use apply::{ApplyOptions, apply};
pub use diff::{DiffOutcome, diff};
pub use istio::{Istiod, deciding, istiods};
pub use live::{LiveObject, list_live};
pub use manifest::{Identity, Manifest, manifests, mask_secret};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;
use kube::api::{Api, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::ApiResource;
use kube::{Client, Config};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// Run the cluster work of one command on a current-thread runtime.
pub fn block_on<F: Future>(f: F) -> Result<F::Output, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(rt.block_on(f))
}

/// Which cluster to talk to, as kubectl chooses it: `KUBECONFIG` (or `~/.kube/config`), its
/// current context unless `--context`, the context's namespace unless `-n`.
#[derive(Debug, Clone)]
pub struct Target {
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// Bound on every request.
    pub timeout: Duration,
}

/// A connected client and the discovery answers it has had.
pub struct Cluster {
    client: Client,
    /// The context's name, for messages and `kube://` locations.
    pub context: String,
    /// `-n`, else the context's namespace, else `default`.
    pub namespace: String,
    /// The API server's URL, for messages.
    server: String,
    timeout: Duration,
    discovered: HashMap<String, Option<APIResourceList>>,
}

/// How the API server serves one kind.
#[derive(Debug, Clone)]
pub struct Served {
    pub resource: ApiResource,
    pub namespaced: bool,
}

impl Cluster {
    /// Read the kubeconfig and build a client; TLS is verified unless the kubeconfig turns it off.
    pub async fn connect(target: &Target) -> Result<Cluster, String> {
        let kubeconfig = Kubeconfig::read().map_err(|e| format!("cannot read the kubeconfig: {e}"))?;
        let context = match target.context.clone().or_else(|| kubeconfig.current_context.clone()) {
            Some(c) => c,
            None => return Err("the kubeconfig has no current-context; pass --context".into()),
        };
        if !kubeconfig.contexts.iter().any(|c| c.name == context) {
            return Err(format!("context `{context}` is not in the kubeconfig"));
        }
        let options = KubeConfigOptions { context: Some(context.clone()), ..Default::default() };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| format!("kubeconfig context `{context}`: {e}"))?;
        config.connect_timeout = Some(target.timeout);
        config.read_timeout = Some(target.timeout);
        config.write_timeout = Some(target.timeout);
        let namespace = target.namespace.clone().unwrap_or_else(|| config.default_namespace.clone());
        let server = config.cluster_url.to_string();
        let client = Client::try_from(config).map_err(|e| format!("cannot build a client for `{context}`: {e}"))?;
        Ok(Cluster { client, context, namespace, server, timeout: target.timeout, discovered: HashMap::new() })
    }

    /// Run one request under the timeout.
    async fn call<T>(&self, what: &str, f: impl Future<Output = kube::Result<T>>) -> Result<T, CallError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(kube::Error::Api(status))) => {
                Err(CallError::Refused { code: status.code, reason: status.reason.clone(), message: status.message })
            }
            Ok(Err(e)) => Err(CallError::Failed(format!(
                "{what}: cannot reach {} (context `{}`): {}",
                self.server,
                self.context,
                error_chain(&e)
            ))),
            Err(_) => Err(CallError::Failed(format!(
                "{what}: {} (context `{}`) did not answer within {} s",
                self.server,
                self.context,
                self.timeout.as_secs_f64()
            ))),
        }
    }

    /// How the server serves `apiVersion`/`kind`, or `None` when it does not (a missing CRD).
    pub async fn served(&mut self, api_version: &str, kind: &str) -> Result<Option<Served>, String> {
        if !self.discovered.contains_key(api_version) {
            let what = format!("discovery of {api_version}");
            let list = if api_version.contains('/') {
                self.call(&what, self.client.list_api_group_resources(api_version)).await
            } else {
                self.call(&what, self.client.list_core_api_resources(api_version)).await
            };
            let list = match list {
                Ok(l) => Some(l),
                // Every Kubernetes API server serves the core group; a server that does not is
                // something else at that address, not a cluster without some kinds.
                Err(CallError::Refused { code: 404, .. }) if !api_version.contains('/') => {
                    return Err(format!(
                        "{} (context `{}`) is not a Kubernetes API server: it does not serve the core API (`/api/{api_version}` answered 404)",
                        self.server, self.context
                    ));
                }
                Err(CallError::Refused { code: 404, .. }) => None,
                Err(e) => return Err(e.to_string()),
            };
            self.discovered.insert(api_version.to_string(), list);
        }
        let Some(Some(list)) = self.discovered.get(api_version) else { return Ok(None) };
        let (group, version) = crate::model::kinds::split_api_version(api_version);
        Ok(list.resources.iter().find(|r| r.kind == kind && !r.name.contains('/')).map(|r| Served {
            resource: ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                plural: r.name.clone(),
            },
            namespaced: r.namespaced,
        }))
    }

    fn api(&self, served: &Served, namespace: Option<&str>) -> Api<DynamicObject> {
        match (served.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &served.resource),
            _ => Api::all_with(self.client.clone(), &served.resource),
        }
    }

    /// The live object, or `None`.
    async fn get(&self, served: &Served, id: &Identity) -> Result<Option<Value>, CallError> {
        let api = self.api(served, id.namespace.as_deref());
        let what = format!("reading {id}");
        let obj = self.call(&what, api.get_opt(&id.name)).await?;
        obj.map(to_value).transpose().map_err(CallError::Failed)
    }
}

/// A failed request: refused by the server (its status), or not answered.
#[derive(Debug, Clone)]
pub enum CallError {
    Refused { code: u16, reason: String, message: String },
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Refused { code, reason, message } => write!(f, "{message} ({code} {reason})"),
            CallError::Failed(m) => f.write_str(m),
        }
    }
}

fn to_value(obj: DynamicObject) -> Result<Value, String> {
    serde_json::to_value(obj).map_err(|e| format!("cannot encode an object from the server: {e}"))
}

/// An error and its causes on one line ("error sending request: … : connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Remove what the server owns from an object so two versions compare by content: managedFields,
/// resourceVersion, uid, generation, timestamps and status.
pub fn strip(value: &mut Value) {
    if let Some(obj) = value.as_object_mut() {
        obj.remove("status");
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in ["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "deletionTimestamp"]
            {
                meta.remove(k);
            }
            if meta.get("annotations").and_then(Value::as_object).is_some_and(|a| a.is_empty()) {
                meta.remove("annotations");
            }
        }
    }
}

/// Parse `--timeout` values: seconds (`30`), or with a unit (`500ms`, `30s`, `2m`).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    match num.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(Duration::from_secs_f64(v * scale)),
        _ => Err(format!("`{s}` is not a duration (e.g. 30, 30s, 2m, 500ms)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timeouts_parse_with_and_without_units() {
        assert_eq!(parse_timeout("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn strip_removes_server_owned_fields() {
        let mut v = json!({"kind": "Service", "status": {}, "metadata": {"name": "a", "uid": "u",
            "resourceVersion": "1", "managedFields": [], "generation": 2, "creationTimestamp": "t",
            "annotations": {}, "labels": {"x": "y"}}});
        strip(&mut v);
        assert_eq!(v, json!({"kind": "Service", "metadata": {"name": "a", "labels": {"x": "y"}}}));
    }
}
