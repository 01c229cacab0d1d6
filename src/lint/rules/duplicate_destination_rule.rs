use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::DestinationRuleRecord;
use std::collections::{BTreeMap, BTreeSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0404",
    name: "duplicate-destination-rule",
    severity: Severity::Warning,
    istio_code: None,
    summary: "DestinationRules for one host in one namespace that Istio cannot merge as written",
    docs: r#"## What it finds
Several DestinationRules in one namespace for the same host (short names resolved in that
namespace), none with a `workloadSelector` and with the same `exportTo`, which Istio therefore
merges into one (`mergeDestinationRule` in `pilot/pkg/model/destination_rule.go`), where:
- more than one sets a top-level `trafficPolicy`, and they differ: the merged rule keeps the
  policy of the oldest rule and drops the others whole;
- or the same subset name is defined more than once, differently: the oldest definition is kept,
  the others are dropped.

Rules with a `workloadSelector` or with different `exportTo` are not reported (Istio keeps them
apart), nor are identical duplicates (harmless), nor two versions of one resource (same name, e.g.
in two files: one replaces the other).

## Why it matters
Which definition wins depends on creation time, which differs between clusters and changes on
re-creation: connection pools, load balancing, outlier detection or TLS settings, or a subset's
labels, silently differ from what one of the files says.

## Example
```yaml
kind: DestinationRule
metadata: {name: reviews-tls}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
---
kind: DestinationRule
metadata: {name: reviews-lb}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}   # dropped if reviews-tls is older
```

## Fix
Put the host's policies and subsets into one DestinationRule.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        // (namespace, host, exportTo) → the rules Istio merges.
        let mut groups: BTreeMap<(&str, &str, BTreeSet<String>), Vec<&DestinationRuleRecord>> = BTreeMap::new();
        for d in &mesh.destination_rules {
            if d.rule.spec.workload_selector.is_some() {
                continue;
            }
            let export: BTreeSet<String> =
                d.export_to.iter().map(|e| if e == "." { d.namespace.clone() } else { e.clone() }).collect();
            groups.entry((d.namespace.as_str(), d.host.as_str(), export)).or_default().push(d);
        }
        // Versions of one resource (same namespace and name) replace each other: not a merge.
        let same = |a: &DestinationRuleRecord, b: &DestinationRuleRecord| {
            a.namespace == b.namespace && cx.objects[a.obj].name == cx.objects[b.obj].name
        };
        let name =
            |d: &DestinationRuleRecord| format!("{}/{}", d.namespace, cx.objects[d.obj].name.as_deref().unwrap_or(""));
        for ((_, host, _), rules) in groups.iter().filter(|(_, r)| r.len() > 1) {
            let value = |d: &DestinationRuleRecord, ptr: &str| cx.value(&cx.objects[d.obj]).pointer(ptr).cloned();
            // Top-level traffic policies that differ.
            let policies: Vec<(&DestinationRuleRecord, serde_json::Value)> =
                rules.iter().filter_map(|d| Some((*d, value(d, "/spec/trafficPolicy")?))).collect();
            for (d, p) in &policies {
                let others: Vec<_> = policies.iter().filter(|(o, q)| !same(o, d) && q != p).collect();
                if others.is_empty() {
                    continue;
                }
                let obj = &cx.objects[d.obj];
                let mut diag = cx
                    .at(
                        &META,
                        obj,
                        "/spec/trafficPolicy",
                        format!(
                            "DestinationRules for host `{host}` in namespace `{}` set different top-level trafficPolicies (here and in {}); Istio merges them and keeps only the oldest rule's policy",
                            d.namespace,
                            others.iter().map(|(o, _)| format!("`{}`", name(o))).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .label("may be dropped")
                    .help("put the host's traffic policy into one DestinationRule");
                for (o, _) in others {
                    let other = &cx.objects[o.obj];
                    diag = diag.related(
                        cx.span(other, "/spec/trafficPolicy"),
                        Some(other.pointer("/spec/trafficPolicy")),
                        format!("trafficPolicy of `{}`", name(o)),
                    );
                }
                out.push(diag);
            }
            // The same subset name defined differently.
            let mut subsets: BTreeMap<&str, Vec<(&DestinationRuleRecord, usize, serde_json::Value)>> = BTreeMap::new();
            for d in rules {
                for (k, s) in d.subsets().enumerate() {
                    let v = value(d, &format!("/spec/subsets/{k}")).unwrap_or_default();
                    subsets.entry(s.name.as_str()).or_default().push((*d, k, v));
                }
            }
            for (subset, defs) in &subsets {
                for (d, k, v) in defs {
                    let others: Vec<_> = defs.iter().filter(|(o, _, w)| !same(o, d) && w != v).collect();
                    if others.is_empty() {
                        continue;
                    }
                    let obj = &cx.objects[d.obj];
                    let mut diag = cx
                        .at(
                            &META,
                            obj,
                            &format!("/spec/subsets/{k}/name"),
                            format!(
                                "subset `{subset}` of host `{host}` is also defined, differently, by {}; Istio merges DestinationRules for one host in a namespace and keeps only the oldest definition",
                                others.iter().map(|(o, _, _)| format!("`{}`", name(o))).collect::<Vec<_>>().join(", ")
                            ),
                        )
                        .label("duplicate subset")
                        .help("define each subset once, in one DestinationRule for the host");
                    for (o, j, _) in others {
                        let other = &cx.objects[o.obj];
                        let ptr = format!("/spec/subsets/{j}");
                        diag = diag.related(
                            cx.span(other, &ptr),
                            Some(other.pointer(&ptr)),
                            format!("subset `{subset}` in `{}`", name(o)),
                        );
                    }
                    out.push(diag);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    fn findings(yaml: &str) -> Vec<(u32, String)> {
        let mut s = Sources::default();
        s.add("t.yaml".into(), yaml.into());
        let out = lint_sources(s, &LintOptions::default());
        out.diagnostics
            .iter()
            .filter(|d| d.code == "MESH0404")
            .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
            .collect()
    }

    fn dr(name: &str, host: &str, body: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {name}, namespace: prod}}
spec:
  host: {host}
{body}---
"
        )
    }

    #[test]
    fn different_top_level_policies_for_one_host() {
        let yaml = dr("a", "reviews", "  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n")
            + &dr("b", "reviews.prod.svc.cluster.local", "  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n");
        let f = findings(&yaml);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, 6);
        assert!(f[0].1.contains("`reviews.prod.svc.cluster.local`") && f[0].1.contains("`prod/b`"), "{}", f[0].1);
    }

    #[test]
    fn a_subset_defined_twice_differently() {
        let yaml = dr("a", "reviews", "  subsets:\n  - {name: v1, labels: {version: v1}}\n")
            + &dr(
                "b",
                "reviews",
                "  subsets:\n  - {name: v1, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}\n",
            );
        let f = findings(&yaml);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].1.contains("subset `v1`"), "{}", f[0].1);
    }

    #[test]
    fn mergeable_or_separate_rules_are_fine() {
        // Subsets split over two rules, one policy: Istio merges them as intended.
        let split = dr(
            "a",
            "reviews",
            "  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n  subsets:\n  - {name: v1, labels: {version: v1}}\n",
        ) + &dr("b", "reviews", "  subsets:\n  - {name: v2, labels: {version: v2}}\n");
        assert!(findings(&split).is_empty());
        let selector = dr("a", "reviews", "  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n")
            + &dr(
                "b",
                "reviews",
                "  workloadSelector: {matchLabels: {app: x}}\n  trafficPolicy: {tls: {mode: DISABLE}}\n",
            );
        assert!(findings(&selector).is_empty());
        let export = dr("a", "reviews", "  exportTo: ['.']\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n")
            + &dr("b", "reviews", "  trafficPolicy: {tls: {mode: DISABLE}}\n");
        assert!(findings(&export).is_empty());
        let versions = dr("a", "reviews", "  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n")
            + &dr("a", "reviews", "  trafficPolicy: {tls: {mode: DISABLE}}\n");
        assert!(findings(&versions).is_empty());
    }
}
