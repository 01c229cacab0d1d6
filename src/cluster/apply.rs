//! Server-side apply of a set of objects, all or nothing: every object is dry-run first, and
//! nothing is written when the server refuses one.

use super::{CallError, Cluster, Identity, Manifest, Served, strip};
use kube::api::{Patch, PatchParams, ValidationDirective};
use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;

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
            "; the Istio CRDs are not installed (install Istio, or its `base` chart / \
             customresourcedefinitions.gen.yaml)",
        );
    }
    Err(msg)
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
    let suffix = if options.dry_run { " (server dry run)" } else { "" };
    let io = |e: std::io::Error| format!("cannot write the output: {e}");
    let check = options.params(true);

    // The live objects, for created/configured/unchanged.
    let mut live = Vec::with_capacity(manifests.len());
    for (m, s) in manifests.iter().zip(&served) {
        live.push(cluster.get(s, &m.id).await.map_err(|e| e.to_string())?);
    }

    // Namespaces the set creates: dry-run, then (unless --dry-run) create them first, so that the
    // objects inside them can be dry-run.
    let mut new_namespaces: HashSet<String> = HashSet::new();
    let mut refused = Vec::new();
    let mut done = vec![false; manifests.len()];
    for (i, m) in manifests.iter().enumerate() {
        if m.id.group.is_empty() && m.id.kind == "Namespace" && live[i].is_none() {
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
            if new_namespaces.contains(&m.id.name) && m.id.kind == "Namespace" && m.id.group.is_empty() {
                patch(cluster, &served[i], m, &options.params(false))
                    .await
                    .map_err(|e| format!("creating {}: {e}", m.id))?;
                writeln!(out, "{} created (first, so that the objects in it can be checked)", m.id).map_err(io)?;
                done[i] = true;
            }
        }
    }

    // The dry run of everything else, before any write.
    let mut checked: Vec<Option<Value>> = vec![None; manifests.len()];
    for (i, m) in manifests.iter().enumerate() {
        if done[i] {
            continue;
        }
        let in_new_namespace = m.id.namespace.as_ref().is_some_and(|ns| new_namespaces.contains(ns));
        if options.dry_run && in_new_namespace {
            continue;
        }
        match patch(cluster, &served[i], m, &check).await {
            Ok(v) => checked[i] = Some(v),
            Err(CallError::Failed(e)) => return Err(e),
            Err(e) => refused.push(refusal(&m.id, &m.origin, &e, options)),
        }
    }
    if !refused.is_empty() {
        for r in &refused {
            writeln!(out, "{r}").map_err(io)?;
        }
        let created: Vec<&str> = new_namespaces.iter().map(String::as_str).collect();
        if created.is_empty() || options.dry_run {
            writeln!(out, "nothing written").map_err(io)?;
        } else {
            writeln!(out, "nothing else written (Namespaces created first: {})", created.join(", ")).map_err(io)?;
        }
        return Ok(false);
    }

    for (i, m) in manifests.iter().enumerate() {
        if done[i] {
            continue;
        }
        let result = if options.dry_run {
            match &checked[i] {
                Some(v) => v.clone(),
                None => {
                    let ns = m.id.namespace.as_deref().unwrap_or_default();
                    writeln!(out, "{} created{suffix}; not checked: its namespace {ns} does not exist yet", m.id)
                        .map_err(io)?;
                    continue;
                }
            }
        } else {
            patch(cluster, &served[i], m, &options.params(false))
                .await
                .map_err(|e| format!("{} was accepted by the dry run but refused when written: {e}", m.id))?
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
