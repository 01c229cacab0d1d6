//! Server-side apply of a set of objects, all or nothing: every object is dry-run first, and
//! nothing is written when the server refuses one.

use super::{CallError, Cluster, Identity, Manifest, Served, strip};
use futures::{StreamExt, TryStreamExt, stream};
use kube::api::{Patch, PatchParams, ValidationDirective};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;

/// Requests in flight at once to the API server.
pub(super) const IN_FLIGHT: usize = 8;

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub field_manager: String,
    pub force_conflicts: bool,
    /// `--dry-run server`: check and report, write nothing.
    pub dry_run: bool,
}

impl ApplyOptions {
    pub(super) fn params(&self, dry_run: bool) -> PatchParams {
        let mut p = PatchParams::apply(&self.field_manager).validation(ValidationDirective::Strict);
        p.force = self.force_conflicts;
        p.dry_run = dry_run;
        p
    }
}

/// Resolve every object's kind on the server and fix its namespace to the served scope. Kinds the
/// server does not serve are errors, with a word on the Istio CRDs when those are the ones missing.
pub(super) async fn resolve(cluster: &mut Cluster, manifests: &mut [Manifest]) -> Result<Vec<Served>, String> {
    let mut served = Vec::with_capacity(manifests.len());
    let mut missing: Vec<String> = Vec::new();
    let default_ns = cluster.namespace.clone();
    for m in manifests.iter_mut() {
        match cluster.served(&m.api_version, &m.id.kind).await? {
            Some(s) => {
                m.set_scope(s.namespaced, &default_ns);
                served.push(s);
            }
            None => {
                let what = format!("{} {}", m.api_version, m.id.kind);
                if !missing.contains(&what) {
                    missing.push(what);
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(served);
    }
    let istio = missing.iter().any(|w| w.contains(".istio.io/"));
    let mut msg = format!("the cluster (context `{}`) does not serve {}", cluster.context, missing.join(", "));
    if istio {
        msg.push_str(
            "; the Istio CRDs are not installed, or not at that version (install Istio, or its `base` chart / \
             customresourcedefinitions.gen.yaml)",
        );
    }
    Err(msg)
}

/// Each manifest's live object (`None` where it does not exist yet), read with at most
/// `IN_FLIGHT` requests at a time.
pub(super) async fn live_objects(
    cluster: &Cluster,
    manifests: &[Manifest],
    served: &[Served],
) -> Result<Vec<Option<Value>>, String> {
    stream::iter(manifests.iter().zip(served))
        .map(|(m, s)| cluster.get(s, &m.id))
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
        .map_err(|e: CallError| e.to_string())
}

/// One server-side apply call (dry-run or not); the object the server returns.
pub(super) async fn patch(
    cluster: &Cluster,
    served: &Served,
    m: &Manifest,
    params: &PatchParams,
) -> Result<Value, CallError> {
    let api = cluster.api(served, m.id.namespace.as_deref());
    let what = format!("applying {}", m.id);
    let obj = cluster.call(&what, api.patch(&m.id.name, params, &Patch::Apply(&m.value))).await?;
    super::to_value(obj).map_err(CallError::Failed)
}

/// The fields that the CRD's transition rules (`oldSelf`: immutable fields and the like) refuse in
/// an update of `live`, as meshctl evaluates them: an indented line each, to follow the server's
/// refusal with the place in the manifest.
pub(super) fn transition_details(m: &Manifest, live: Option<&Value>) -> String {
    let Some(live) = live else { return String::new() };
    crate::schema::validate_update(&m.api_version, &m.id.kind, &m.value, live)
        .iter()
        .map(|t| format!("\n  {}: {}", t.pointer, t.message))
        .collect()
}

fn refusal(id: &Identity, origin: &str, e: &CallError, options: &ApplyOptions) -> String {
    let mut line = format!("refused: {id} ({origin}): {e}");
    if matches!(e, CallError::Refused { code: 409, .. }) && !options.force_conflicts {
        line.push_str("; --force-conflicts takes the fields over");
    }
    line
}

fn same_content(live: &Value, new: &Value) -> bool {
    let (mut a, mut b) = (live.clone(), new.clone());
    strip(&mut a);
    strip(&mut b);
    a == b
}

/// Apply `manifests` (in the order given). Writes one line per object to `out` and returns whether
/// every object went through (`Ok(false)`: the server refused something and nothing was written,
/// except Namespaces the set creates, which `out` names).
pub async fn apply(
    cluster: &mut Cluster,
    mut manifests: Vec<Manifest>,
    options: &ApplyOptions,
    out: &mut dyn Write,
) -> Result<bool, String> {
    let served = resolve(cluster, &mut manifests).await?;
    let cluster: &Cluster = cluster;
    let suffix = if options.dry_run { " (server dry run)" } else { "" };
    let io = |e: std::io::Error| format!("cannot write the output: {e}");
    let check = options.params(true);
    let write = options.params(false);

    // The live objects, for created/configured/unchanged.
    let live = live_objects(cluster, &manifests, &served).await?;

    // Namespaces the set creates: dry-run, then (unless --dry-run) create them first, so that the
    // objects inside them can be dry-run.
    let mut new_namespaces: BTreeSet<String> = BTreeSet::new();
    let mut refused = Vec::new();
    let mut done = vec![false; manifests.len()];
    for (i, m) in manifests.iter().enumerate() {
        if m.is_namespace() && live[i].is_none() {
            match patch(cluster, &served[i], m, &check).await {
                Ok(_) => {
                    new_namespaces.insert(m.id.name.clone());
                }
                Err(e) => refused.push(refusal(&m.id, &m.origin, &e, options)),
            }
        }
    }
    if !refused.is_empty() {
        for r in &refused {
            writeln!(out, "{r}").map_err(io)?;
        }
        writeln!(out, "nothing written").map_err(io)?;
        return Ok(false);
    }
    if !options.dry_run {
        for (i, m) in manifests.iter().enumerate() {
            if m.is_namespace() && new_namespaces.contains(&m.id.name) {
                patch(cluster, &served[i], m, &write).await.map_err(|e| format!("creating {}: {e}", m.id))?;
                writeln!(out, "{} created (first, so that the objects in it can be checked)", m.id).map_err(io)?;
                done[i] = true;
            }
        }
    }

    // The dry run of everything else, before any write.
    let in_new_namespace = |m: &Manifest| m.id.namespace.as_ref().is_some_and(|ns| new_namespaces.contains(ns));
    let uncheckable = |i: usize| options.dry_run && in_new_namespace(&manifests[i]);
    let to_check: Vec<usize> = (0..manifests.len()).filter(|&i| !done[i] && !uncheckable(i)).collect();
    let results: Vec<(usize, Result<Value, CallError>)> = stream::iter(to_check)
        .map(|i| {
            let check = &check;
            let (m, s) = (&manifests[i], &served[i]);
            async move { (i, patch(cluster, s, m, check).await) }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let mut checked: Vec<Option<Value>> = vec![None; manifests.len()];
    for (i, r) in results {
        match r {
            Ok(v) => checked[i] = Some(v),
            Err(CallError::Failed(e)) => return Err(e),
            Err(e) => {
                let m = &manifests[i];
                refused.push(refusal(&m.id, &m.origin, &e, options) + &transition_details(m, live[i].as_ref()));
            }
        }
    }
    if !refused.is_empty() {
        for r in &refused {
            writeln!(out, "{r}").map_err(io)?;
        }
        if new_namespaces.is_empty() || options.dry_run {
            writeln!(out, "nothing written").map_err(io)?;
        } else {
            let created: Vec<&str> = new_namespaces.iter().map(String::as_str).collect();
            writeln!(out, "nothing else written (Namespaces created first: {})", created.join(", ")).map_err(io)?;
        }
        return Ok(false);
    }

    // The writes (or, with --dry-run, the dry-run results), reported in apply order.
    let pending: Vec<usize> = (0..manifests.len()).filter(|&i| !done[i]).collect();
    let mut results = stream::iter(pending)
        .map(|i| {
            let (write, checked) = (&write, &checked[i]);
            let (m, s) = (&manifests[i], &served[i]);
            async move {
                let result = if options.dry_run {
                    Ok(checked.clone())
                } else {
                    patch(cluster, s, m, write)
                        .await
                        .map(Some)
                        .map_err(|e| format!("{} was accepted by the dry run but refused when written: {e}", m.id))
                };
                (i, result)
            }
        })
        .buffered(IN_FLIGHT);
    while let Some((i, result)) = results.next().await {
        let m = &manifests[i];
        let Some(result) = result? else {
            let ns = m.id.namespace.as_deref().unwrap_or_default();
            writeln!(out, "{} created{suffix}; not checked: its namespace {ns} does not exist yet", m.id)
                .map_err(io)?;
            continue;
        };
        // By content, not resourceVersion: the server may rewrite only managedFields (it adds
        // `before-first-apply` to a Namespace created by apply on the next apply).
        let verb = match &live[i] {
            None => "created",
            Some(l) if same_content(l, &result) => "unchanged",
            Some(_) => "configured",
        };
        writeln!(out, "{} {verb}{suffix}", m.id).map_err(io)?;
    }
    Ok(true)
}
