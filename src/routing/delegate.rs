//! VirtualService delegation, as istiod merges a root VirtualService with its delegates before it
//! builds any route (`mergeHTTPRoutes`, `mergeHTTPRoute`, `mergeHTTPMatchRequests`, `hasConflict`
//! in `pilot/pkg/config/kube/...virtualservice` and `pilot/pkg/model/virtualservice.go`).
//!
//! A VirtualService without `hosts` is a delegate: never applied on its own. Each root rule with
//! `delegate: {name, namespace}` is replaced, in place, by the delegate's `http` rules, each with
//! its matches merged into the root rule's. A delegate that does not exist or is not exported to
//! the root's namespace removes the root rule; a delegate rule with a match that fits none of the
//! root's matches is dropped whole.

use crate::mesh::hosts;
use crate::model::core::StringMap;
use crate::model::networking::{HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService};
use serde::Serialize;
use std::collections::BTreeMap;

/// The delegate rule a merged rule came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelegateRule {
    /// Index of the delegate VirtualService in the run's object list.
    #[serde(skip)]
    pub obj: usize,
    pub namespace: String,
    pub name: String,
    /// Index in the delegate's `http`.
    pub rule: usize,
}

/// Where each rule (and each of its matches) of a merged VirtualService came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOrigin {
    /// Index of the rule in the root's `http`.
    pub root_rule: usize,
    pub delegate: Option<DelegateRule>,
    /// For each merged match: (root match index, delegate match index).
    pub matches: Vec<(Option<usize>, Option<usize>)>,
}

/// A delegate VirtualService as the merge needs it.
pub struct DelegateVs<'v> {
    pub obj: usize,
    pub namespace: String,
    pub name: String,
    pub vs: &'v VirtualService,
    /// `exportTo` (or the mesh default) as written.
    pub export_to: Vec<String>,
}

/// A root rule or delegate rule that the merge removed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeDrop {
    pub root_rule: usize,
    pub delegate: Option<DelegateRule>,
    pub kind: DropKind,
    pub reason: String,
}

/// Why the merge removed a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropKind {
    /// The root rule's delegate is no delegate VirtualService of the input.
    NoDelegate,
    /// The root rule's delegate is not exported to the root's namespace.
    NotExported,
    /// A delegate rule delegates again.
    DelegatesFurther,
    /// This match of the delegate rule fits none of the root rule's matches.
    Conflict { delegate_match: usize },
}

/// The merged `http` of a root VirtualService, with the origin of each rule.
pub struct Merged {
    pub http: Vec<HTTPRoute>,
    pub origins: Vec<RuleOrigin>,
    pub dropped: Vec<MergeDrop>,
}

/// Merge a root VirtualService (in `root_ns`) with its delegates, found by `ns/name` in `find`.
pub fn merge<'v>(root: &VirtualService, root_ns: &str, find: impl Fn(&str, &str) -> Option<DelegateVs<'v>>) -> Merged {
    let mut out = Merged { http: Vec::new(), origins: Vec::new(), dropped: Vec::new() };
    for (i, rule) in root.spec.http.iter().flatten().enumerate() {
        let Some(d) = &rule.delegate else {
            let n = rule.match_.as_ref().map_or(0, Vec::len);
            out.http.push(rule.clone());
            out.origins.push(RuleOrigin {
                root_rule: i,
                delegate: None,
                matches: (0..n).map(|j| (Some(j), None)).collect(),
            });
            continue;
        };
        let name = d.name.clone().unwrap_or_default();
        let ns = d.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| root_ns.to_string());
        let Some(del) = find(&ns, &name) else {
            out.dropped.push(MergeDrop {
                root_rule: i,
                delegate: None,
                kind: DropKind::NoDelegate,
                reason: format!(
                    "its delegate VirtualService {ns}/{name} does not exist (or has hosts, so it is no delegate)"
                ),
            });
            continue;
        };
        if !hosts::visible(&del.export_to, &del.namespace, root_ns) {
            out.dropped.push(MergeDrop {
                root_rule: i,
                delegate: None,
                kind: DropKind::NotExported,
                reason: format!("its delegate VirtualService {ns}/{name} is not exported to namespace {root_ns}"),
            });
            continue;
        }
        for (k, sub) in del.vs.spec.http.iter().flatten().enumerate() {
            let from = DelegateRule { obj: del.obj, namespace: del.namespace.clone(), name: del.name.clone(), rule: k };
            if sub.delegate.is_some() {
                out.dropped.push(MergeDrop {
                    root_rule: i,
                    delegate: Some(from),
                    kind: DropKind::DelegatesFurther,
                    reason: "a delegate VirtualService cannot delegate further".into(),
                });
                continue;
            }
            match merge_rule(rule, sub) {
                Ok((merged, matches)) => {
                    out.http.push(merged);
                    out.origins.push(RuleOrigin { root_rule: i, delegate: Some(from), matches });
                }
                Err((j, reason)) => out.dropped.push(MergeDrop {
                    root_rule: i,
                    delegate: Some(from),
                    kind: DropKind::Conflict { delegate_match: j },
                    reason,
                }),
            }
        }
    }
    out
}

type MatchOrigins = Vec<(Option<usize>, Option<usize>)>;

/// `mergeHTTPRoute`: the delegate rule with its matches merged into the root's and the policies
/// it leaves unset inherited from the root rule.
fn merge_rule(root: &HTTPRoute, sub: &HTTPRoute) -> Result<(HTTPRoute, MatchOrigins), (usize, String)> {
    let roots = root.match_.as_deref().unwrap_or_default();
    let subs = sub.match_.as_deref().unwrap_or_default();
    let (matches, origins): (Vec<HTTPMatchRequest>, MatchOrigins) = if roots.is_empty() {
        (subs.to_vec(), (0..subs.len()).map(|j| (None, Some(j))).collect())
    } else if subs.is_empty() {
        (roots.to_vec(), (0..roots.len()).map(|j| (Some(j), None)).collect())
    } else {
        let mut ms = Vec::new();
        let mut os = Vec::new();
        for (j, leaf) in subs.iter().enumerate() {
            let mut found = false;
            for (r, rm) in roots.iter().enumerate() {
                if conflict(rm, leaf).is_some() {
                    continue;
                }
                ms.push(merge_match(rm, leaf));
                os.push((Some(r), Some(j)));
                found = true;
            }
            if !found {
                let why = roots.iter().filter_map(|rm| conflict(rm, leaf)).next().unwrap_or_default();
                return Err((
                    j,
                    format!(
                        "its match[{j}] fits none of the root rule's matches ({why}): istiod drops the whole delegate rule"
                    ),
                ));
            }
        }
        (ms, os)
    };
    let mut out = sub.clone();
    out.match_ = (!matches.is_empty()).then_some(matches);
    out.name = join_names(root.name.as_deref(), sub.name.as_deref());
    macro_rules! inherit {
        ($($f:ident),*) => { $( if out.$f.is_none() { out.$f = root.$f.clone(); } )* };
    }
    inherit!(rewrite, direct_response, timeout, retries, fault, mirror, mirror_percent, mirror_percentage, cors_policy);
    inherit!(mirrors, headers);
    Ok((out, origins))
}

fn join_names(root: Option<&str>, sub: Option<&str>) -> Option<String> {
    match (root.filter(|r| !r.is_empty()), sub.filter(|s| !s.is_empty())) {
        (Some(r), Some(s)) => Some(format!("{r}-{s}")),
        (Some(r), None) => Some(r.to_string()),
        (None, s) => s.map(str::to_string),
    }
}

/// `mergeHTTPMatchRequest`: the delegate's match with unset fields taken from the root's.
fn merge_match(root: &HTTPMatchRequest, leaf: &HTTPMatchRequest) -> HTTPMatchRequest {
    let mut out = leaf.clone();
    out.name = join_names(root.name.as_deref(), leaf.name.as_deref());
    macro_rules! fill {
        ($($f:ident),*) => { $( if out.$f.is_none() { out.$f = root.$f.clone(); } )* };
    }
    fill!(uri, scheme, method, authority, source_namespace, stat_prefix);
    if out.port.is_none_or(|p| p == 0) {
        out.port = root.port;
    }
    if out.gateways.as_ref().is_none_or(Vec::is_empty) {
        out.gateways = root.gateways.clone();
    }
    out.headers = union(&root.headers, &leaf.headers, BTreeMap::is_empty);
    out.without_headers = union(&root.without_headers, &leaf.without_headers, BTreeMap::is_empty);
    out.query_params = union(&root.query_params, &leaf.query_params, BTreeMap::is_empty);
    out.source_labels = union(&root.source_labels, &leaf.source_labels, StringMap::is_empty);
    out
}

fn union<M, I>(root: &Option<M>, leaf: &Option<M>, is_empty: fn(&M) -> bool) -> Option<M>
where
    M: Clone + Default + Extend<I> + IntoIterator<Item = I>,
{
    if root.as_ref().is_none_or(is_empty) && leaf.as_ref().is_none_or(is_empty) {
        return leaf.clone();
    }
    let mut m = root.clone().unwrap_or_default();
    m.extend(leaf.clone().unwrap_or_default());
    Some(m)
}

/// `hasConflict`: why a delegate match cannot be narrowed into a root match, if it cannot.
fn conflict(root: &HTTPMatchRequest, leaf: &HTTPMatchRequest) -> Option<String> {
    for (field, r, l) in [
        ("uri", &root.uri, &leaf.uri),
        ("scheme", &root.scheme, &leaf.scheme),
        ("method", &root.method, &leaf.method),
        ("authority", &root.authority, &leaf.authority),
    ] {
        if string_conflict(r.as_ref(), l.as_ref()) {
            return Some(format!("{field} is not inside the root's {field}"));
        }
    }
    for (field, r, l) in [
        ("header", &root.headers, &leaf.headers),
        ("withoutHeaders", &root.without_headers, &leaf.without_headers),
        ("query parameter", &root.query_params, &leaf.query_params),
    ] {
        for (k, v) in l.iter().flatten() {
            if string_conflict(r.as_ref().and_then(|m| m.get(k)), Some(v)) {
                return Some(format!("{field} {k} is not inside the root's"));
            }
        }
    }
    if root.ignore_uri_case.unwrap_or(false) != leaf.ignore_uri_case.unwrap_or(false) {
        return Some("ignoreUriCase differs".into());
    }
    if let (Some(a), Some(b)) = (root.port.filter(|p| *p > 0), leaf.port.filter(|p| *p > 0))
        && a != b
    {
        return Some(format!("port {b} is not the root's port {a}"));
    }
    if let Some(ns) = root.source_namespace.as_ref().filter(|n| !n.is_empty())
        && leaf.source_namespace.as_ref() != Some(ns)
    {
        return Some(format!("sourceNamespace is not the root's {ns}"));
    }
    for (k, v) in leaf.source_labels.iter().flatten() {
        if root.source_labels.as_ref().and_then(|m| m.get(k)).is_some_and(|rv| rv != v) {
            return Some(format!("sourceLabels {k} differs from the root's"));
        }
    }
    if let (Some(r), Some(l)) =
        (root.gateways.as_ref().filter(|g| !g.is_empty()), leaf.gateways.as_ref().filter(|g| !g.is_empty()))
        && (r.len() < l.len() || l.iter().any(|g| !r.contains(g)))
    {
        return Some("gateways are not a subset of the root's".into());
    }
    None
}

/// `stringMatchConflict`: the leaf must be inside the root (exact in exact, prefix or exact in
/// prefix); a regex on either side conflicts with any value on the other.
fn string_conflict(root: Option<&StringMatch>, leaf: Option<&StringMatch>) -> bool {
    let (Some(r), Some(l)) = (root, leaf) else { return false };
    let v = |s: &Option<String>| s.clone().filter(|x| !x.is_empty());
    let (re, rp, rr) = (v(&r.exact), v(&r.prefix), v(&r.regex));
    let (le, lp, lr) = (v(&l.exact), v(&l.prefix), v(&l.regex));
    if rr.is_some() && (lr.is_some() || lp.is_some() || le.is_some()) {
        return true;
    }
    if lr.is_some() && (rp.is_some() || re.is_some()) {
        return true;
    }
    if let Some(e) = re {
        return lp.is_some() || le.as_deref() != Some(e.as_str());
    }
    if let Some(p) = rp {
        if let Some(lp) = lp {
            return !lp.starts_with(&p);
        }
        if let Some(le) = le {
            return !le.starts_with(&p);
        }
    }
    true
}
