//! `meshctl diff`: each live object against what server-side apply would make of it, and the lint
//! findings the change introduces, fixes and leaves.

use super::apply::{ApplyOptions, IN_FLIGHT, live_objects, patch, resolve, transition_details};
use super::{CallError, Cluster, Manifest, mask_secret, strip, yaml::to_yaml};
use crate::lint::{Diagnostic, LintOptions, lint_sources};
use crate::source::Sources;
use futures::{StreamExt, stream};
use serde_json::Value;
use similar::TextDiff;
use std::collections::{BTreeSet, HashSet};

/// The result of a diff.
#[derive(Debug, Default)]
pub struct DiffOutcome {
    /// The unified diff of every object that changes (Secrets masked).
    pub text: String,
    /// Objects that would change.
    pub changed: usize,
    /// Objects the server refused in the dry run, each with its message.
    pub refused: Vec<String>,
    /// Lint findings only in the new objects, only in the live ones, in both.
    pub introduced: Vec<String>,
    pub fixed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Diff `manifests` against the cluster. `lint` is used for the lint comparison.
pub async fn diff(
    cluster: &mut Cluster,
    mut manifests: Vec<Manifest>,
    options: &ApplyOptions,
    lint: &LintOptions,
) -> Result<DiffOutcome, String> {
    let served = resolve(cluster, &mut manifests).await?;
    let cluster: &Cluster = cluster;
    let check = options.params(true);
    let mut outcome = DiffOutcome::default();
    let mut live_sources = Sources::default();
    let mut new_sources = Sources::default();
    let live = live_objects(cluster, &manifests, &served).await?;
    let absent_namespaces: HashSet<&str> = manifests
        .iter()
        .zip(&live)
        .filter(|(m, l)| m.is_namespace() && l.is_none())
        .map(|(m, _)| m.id.name.as_str())
        .collect();
    // A dry run cannot see a namespace the set has yet to create: objects in one are shown as sent.
    let merged: Vec<Result<Value, CallError>> = stream::iter(manifests.iter().zip(&served))
        .map(|(m, s)| {
            let check = &check;
            let in_absent_namespace = m.id.namespace.as_deref().is_some_and(|ns| absent_namespaces.contains(ns));
            async move { if in_absent_namespace { Ok(m.value.clone()) } else { patch(cluster, s, m, check).await } }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    for ((m, live), new) in manifests.iter().zip(live).zip(merged) {
        let new = match new {
            Ok(v) => v,
            Err(CallError::Failed(e)) => return Err(e),
            Err(e) => {
                let details = transition_details(m, live.as_ref());
                outcome.refused.push(format!("refused: {} ({}): {e}{details}", m.id, m.origin));
                continue;
            }
        };
        let mut new = new;
        strip(&mut new);
        let mut old = live.map(|mut l| {
            strip(&mut l);
            l
        });
        let unmasked_new = new.clone();
        mask_secret(&mut new, old.as_ref(), "after");
        if let Some(o) = old.as_mut() {
            mask_secret(o, Some(&unmasked_new), "before");
        }
        let old_text = old.as_ref().map(to_yaml).unwrap_or_default();
        let new_text = to_yaml(&new);
        let location = m.id.to_string().replace(' ', "/");
        if let Some(o) = &old {
            live_sources.add(format!("live:{location}"), to_yaml(o));
        }
        new_sources.add(format!("new:{location}"), new_text.clone());
        if old_text != new_text {
            outcome.changed += 1;
            let d = TextDiff::from_lines(&old_text, &new_text);
            let header_old = if old.is_some() { format!("live/{location}") } else { "/dev/null".to_string() };
            let unified =
                d.unified_diff().context_radius(3).header(&header_old, &format!("merged/{location}")).to_string();
            outcome.text.push_str(&unified);
        }
    }
    let before = findings(lint_sources(live_sources, lint).diagnostics);
    let after = findings(lint_sources(new_sources, lint).diagnostics);
    outcome.introduced = after.difference(&before).cloned().collect();
    outcome.fixed = before.difference(&after).cloned().collect();
    outcome.unchanged = after.intersection(&before).cloned().collect();
    Ok(outcome)
}

/// A finding as compared across live and new objects: its code, object and message (locations
/// differ between the two).
fn findings(diagnostics: Vec<Diagnostic>) -> BTreeSet<String> {
    diagnostics
        .into_iter()
        .map(|d| {
            let what = d.resource.map(|r| match r.namespace {
                Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
                None => format!("{} {}", r.kind, r.name),
            });
            format!("{} {} {}: {}", d.severity, d.code, what.unwrap_or_default(), d.message)
        })
        .collect()
}
