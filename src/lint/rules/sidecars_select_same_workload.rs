use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::selects;
use crate::model::Typed;
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0216",
    name: "sidecars-select-same-workload",
    severity: Severity::Error,
    istio_code: Some("IST0110"),
    summary: "Several Sidecars with a workloadSelector select the same workload",
    docs: r#"## What it finds
A workload (Pod, pod template of a Deployment, StatefulSet or DaemonSet, WorkloadEntry) that the
`workloadSelector`s of more than one Sidecar in its namespace select. Each of those Sidecars is
reported once, with the first shared workload and the other Sidecars. Workloads in ambient mode (annotation
`ambient.istio.io/redirection: enabled`) have no sidecar and are not reported.

## Why it matters
A proxy takes exactly one Sidecar. Which of the matching ones wins is not defined (Istio picks the
oldest), so the proxy's egress and ingress configuration can change when a resource is re-created.

## Example
```yaml
kind: Sidecar
metadata: {name: reviews-egress}
spec:
  workloadSelector: {labels: {app: reviews}}
---
kind: Sidecar
metadata: {name: v1-egress}
spec:
  workloadSelector: {labels: {version: v1}}   # reviews-v1 carries both labels
```

## Fix
Merge the Sidecars into one, or make their selectors disjoint.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let sidecars: Vec<(&crate::model::Object, &str, &crate::model::core::StringMap)> = cx
            .typed_objects()
            .filter_map(|(obj, t)| {
                let Typed::Sidecar(sc) = t else { return None };
                let sel = sc.spec.workload_selector.as_ref()?.labels.as_ref().filter(|l| !l.is_empty())?;
                Some((obj, obj.namespace_or(mesh.default_namespace), sel))
            })
            .collect();
        // Per Sidecar: the workloads it shares with other Sidecars, and those other Sidecars.
        let mut shared: Vec<(Vec<usize>, BTreeSet<usize>)> = vec![(Vec::new(), BTreeSet::new()); sidecars.len()];
        for w in &mesh.workloads {
            let Some(wi) = w.obj else { continue };
            let list: Vec<usize> = (0..sidecars.len())
                .filter(|&k| sidecars[k].1 == w.namespace && selects(sidecars[k].2, w.labels))
                .collect();
            if list.len() < 2 || ambient(cx, wi) {
                continue;
            }
            for &k in &list {
                shared[k].0.push(wi);
                shared[k].1.extend(list.iter().copied().filter(|&o| o != k));
            }
        }
        for (k, (workloads, others)) in shared.iter().enumerate() {
            let Some(&first) = workloads.first() else { continue };
            let (obj, ns, _) = sidecars[k];
            let name = |o: &crate::model::Object| format!("`{}`", o.name.as_deref().unwrap_or(""));
            let mut names: Vec<String> = others.iter().map(|&o| name(sidecars[o].0)).collect();
            names.sort();
            let w = &cx.objects[first];
            let more = match workloads.len() {
                1 => String::new(),
                n => format!(" and {} more workload{}", n - 1, if n == 2 { "" } else { "s" }),
            };
            let mut d = cx
                .at(
                    &META,
                    obj,
                    "/spec/workloadSelector/labels",
                    format!(
                        "Sidecar {} selects {} {}{more} in namespace `{ns}`, which {} also select{}: which Sidecar \
                         their proxies take is undefined",
                        name(obj),
                        w.kind,
                        name(w),
                        names.join(", "),
                        if names.len() == 1 { "s" } else { "" }
                    ),
                )
                .label("overlaps another Sidecar")
                .help("merge these Sidecars into one, or make their workloadSelectors disjoint");
            d = d.related(cx.span(w, "/metadata/name"), None, "a workload both select");
            for &o in others {
                d = d.related(
                    cx.span(sidecars[o].0, "/spec/workloadSelector/labels"),
                    None,
                    "another Sidecar selecting it",
                );
            }
            out.push(d);
        }
    }
}

/// Is the workload in ambient mode (no sidecar to configure)?
pub(crate) fn ambient(cx: &Context, i: usize) -> bool {
    let obj = &cx.objects[i];
    let ptr = if obj.kind == "Pod" { "/metadata/annotations" } else { "/spec/template/metadata/annotations" };
    cx.value(obj).pointer(ptr).and_then(|a| a.get("ambient.istio.io/redirection")).and_then(|v| v.as_str())
        == Some("enabled")
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: by-app
spec:
  workloadSelector:
    labels: {app: reviews}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: by-version
spec:
  workloadSelector:
    labels: {version: VERSION}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1
  labels: {app: reviews, version: v1}
spec:
  containers: [{name: reviews, image: reviews}]
";

    #[test]
    fn reports_each_sidecar_selecting_a_shared_workload() {
        let out = run(&MESH.replace("VERSION", "v1"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0216").collect();
        assert_eq!(d.len(), 2, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 7);
        assert!(
            d[0].message.contains("Sidecar `by-app` selects Pod `reviews-v1`")
                && d[0].message.contains("`by-version` also"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn disjoint_selectors_are_fine() {
        let out = run(&MESH.replace("VERSION", "v2"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0216"), "{:?}", out.diagnostics);
    }
}
