use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::security::PeerAuthentication;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0508",
    name: "peer-authentication-ignored",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A PeerAuthentication istiod ignores: a selector in the root namespace, or a second mesh- or namespace-wide one",
    docs: r#"## What it finds
A PeerAuthentication that never takes effect, as `pilot/pkg/model/authentication.go` selects them:
- one with a selector in the root namespace (`istio-system` by default): istiod reads only the
  root namespace's selector-less policy, as the mesh-wide one (`peer_authentication.proto`);
- a second selector-less policy in one namespace (the mesh-wide level in the root namespace):
  only the oldest (by creationTimestamp, then name) applies, the others are dropped with a warning
  in istiod's log (istio/istio#30596; Kiali KIA0002);
- a workload policy for a workload that an older workload policy also selects: at each level
  only the oldest applies (Kiali KIA0003).

## Why it matters
The mode written in the ignored policy is not the mode the workloads run: a STRICT that was meant to
lock a namespace down leaves it PERMISSIVE.

## Example
```yaml
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  mtls: {mode: PERMISSIVE}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: foo, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  mtls: {mode: STRICT}
```

## Fix
Keep one selector-less PeerAuthentication per namespace and edit its mode; put workload policies
in the workload's namespace.
"#,
};

pub struct Check;

fn selectorless(p: &PeerAuthentication) -> bool {
    p.spec.selector.as_ref().and_then(|s| s.match_labels.as_ref()).is_none_or(|m| m.is_empty())
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        let root = engine.root_namespace.as_str();
        for p in &engine.peer {
            let obj = &cx.objects[p.obj];
            if p.namespace == root && !selectorless(p.res) {
                out.push(
                    cx.at(
                        &META,
                        obj,
                        "/spec/selector",
                        format!(
                            "PeerAuthentication {} has a selector in the root namespace {root}: istiod ignores it",
                            p.key()
                        ),
                    )
                    .label("ignored in the root namespace")
                    .help("put a workload's PeerAuthentication in the workload's namespace"),
                );
                continue;
            }
            if !selectorless(p.res) {
                let Some(labels) = p.res.spec.selector.as_ref().and_then(|s| s.match_labels.as_ref()) else { continue };
                // The workloads it selects that an older workload policy selects too.
                let mut shadowed: Vec<(String, String)> = cx
                    .mesh()
                    .workloads_in(&p.namespace, labels)
                    .into_iter()
                    .filter_map(|w| {
                        let t = crate::authz::Target { namespace: &w.namespace, labels: w.labels };
                        let winner = engine.peer_levels(&t).workload?;
                        (winner.obj != p.obj).then(|| (crate::authz::workload_name(cx, w), winner.key()))
                    })
                    .collect();
                shadowed.sort();
                if let Some((w, winner)) = shadowed.first() {
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            "/spec/selector",
                            format!(
                                "PeerAuthentication {} selects {w}{}, which the older {winner} selects too: only the oldest workload policy applies, so this one is ignored there",
                                p.key(),
                                if shadowed.len() > 1 { format!(" (and {} more)", shadowed.len() - 1) } else { String::new() }
                            ),
                        )
                        .label("ignored: an older policy selects the workload")
                        .help("keep one PeerAuthentication per workload, with its port-level settings"),
                    );
                }
                continue;
            }
            let oldest = engine
                .peer
                .iter()
                .filter(|o| o.namespace == p.namespace && selectorless(o.res))
                .min_by(|x, y| (x.created, &x.name).cmp(&(y.created, &y.name)));
            let Some(oldest) = oldest.filter(|o| o.obj != p.obj && (o.created, &o.name) != (p.created, &p.name)) else {
                continue;
            };
            let level = if p.namespace == root { "mesh-wide" } else { "namespace-wide" };
            out.push(
                cx.at(
                    &META,
                    obj,
                    "/metadata/name",
                    format!(
                        "PeerAuthentication {} is a second {level} policy in {}: only the oldest, {}, applies, and istiod drops this one",
                        p.key(),
                        p.namespace,
                        oldest.key()
                    ),
                )
                .label("dropped: not the oldest")
                .help("keep one selector-less PeerAuthentication per namespace and set its mode"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0508");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.contains("foo/strict is a second namespace-wide policy in foo: only the oldest, foo/default"),
            "{f:?}"
        );
    }

    #[test]
    fn one_policy_per_namespace_and_the_root_selector() {
        let example = docs_example(&super::META);
        assert!(
            findings(
                &example.replace(
                    "namespace: foo, creationTimestamp: \"2026-02",
                    "namespace: bar, creationTimestamp: \"2026-02"
                ),
                "MESH0508"
            )
            .is_empty()
        );
        let root = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: x, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  mtls: {mode: STRICT}\n";
        let f = findings(root, "MESH0508");
        assert!(f.len() == 1 && f[0].1.contains("root namespace istio-system: istiod ignores it"), "{f:?}");
        let workload = root.replace("namespace: istio-system", "namespace: foo");
        assert!(findings(&workload, "MESH0508").is_empty());
    }

    #[test]
    fn two_workload_policies_for_one_workload() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: httpbin, namespace: foo}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  template:\n    metadata: {labels: {app: httpbin, version: v1}}\n    spec: {containers: [{name: httpbin, image: httpbin}]}\n---\n";
        let pa = |name: &str, ts: &str, labels: &str| {
            format!(
                "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: {name}, namespace: foo, creationTimestamp: \"{ts}\"}}\nspec:\n  selector: {{matchLabels: {labels}}}\n  mtls: {{mode: STRICT}}\n---\n"
            )
        };
        let yaml = format!(
            "{deployment}{}{}",
            pa("old", "2026-01-01T00:00:00Z", "{app: httpbin}"),
            pa("new", "2026-02-01T00:00:00Z", "{version: v1}")
        );
        let f = findings(&yaml, "MESH0508");
        assert!(
            f.len() == 1 && f[0].1.contains("foo/new selects foo/httpbin, which the older foo/old selects too"),
            "{f:?}"
        );
        let apart = yaml.replace("{version: v1}", "{version: v2}");
        assert!(findings(&apart, "MESH0508").is_empty());
    }
}
