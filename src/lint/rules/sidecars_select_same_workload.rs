use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::selects;
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0216",
    name: "sidecars-select-same-workload",
    severity: Severity::Error,
    istio_code: Some("IST0110"),
    summary: "Several Sidecars with a workloadSelector select the same workload",
    docs: r#"## What it finds
A workload (Pod, pod template of a Deployment, StatefulSet or DaemonSet, WorkloadEntry) that the
`workloadSelector`s of more than one Sidecar in its namespace select. Each of those Sidecars is
reported once per such workload. Workloads in ambient mode (annotation
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
        for w in &mesh.workloads {
            let Some(wi) = w.obj else { continue };
            let list: Vec<_> =
                sidecars.iter().filter(|(_, ns, sel)| *ns == w.namespace && selects(sel, w.labels)).collect();
            if list.len() < 2 || ambient(cx, wi) {
                continue;
            }
            let wobj = &cx.objects[wi];
            let mut names: Vec<&str> = list.iter().map(|(o, _, _)| o.name.as_deref().unwrap_or("")).collect();
            names.sort_unstable();
            let names = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            let wname = wobj.name.as_deref().unwrap_or("");
            for (obj, ns, _) in &list {
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        "/spec/workloadSelector/labels",
                        format!(
                            "the Sidecars {names} in namespace `{ns}` all select {} `{wname}`: which one its proxy \
                             takes is undefined",
                            wobj.kind
                        ),
                    )
                    .label("overlaps another Sidecar")
                    .help("merge these Sidecars into one, or make their workloadSelectors disjoint");
                d = d.related(cx.span(wobj, "/metadata/name"), None, "the workload both select");
                for (other, _, _) in list.iter().filter(|(o, _, _)| !std::ptr::eq(*o, *obj)) {
                    d = d.related(
                        cx.span(other, "/spec/workloadSelector/labels"),
                        None,
                        "another Sidecar selecting it",
                    );
                }
                out.push(d);
            }
        }
    }
}

/// Is the workload in ambient mode (no sidecar to configure)?
fn ambient(cx: &Context, i: usize) -> bool {
    let obj = &cx.objects[i];
    let ptr = if obj.kind == "Pod" { "/metadata/annotations" } else { "/spec/template/metadata/annotations" };
    cx.value(obj).pointer(ptr).and_then(|a| a.get("ambient.istio.io/redirection")).and_then(|v| v.as_str())
        == Some("enabled")
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    fn run(yaml: &str) -> crate::lint::Outcome {
        let mut s = Sources::default();
        s.add("t.yaml".into(), yaml.into());
        lint_sources(s, &LintOptions::default())
    }

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
            d[0].message.contains("`by-app`, `by-version`") && d[0].message.contains("Pod `reviews-v1`"),
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
