use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{nearest, selector_string};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0215",
    name: "sidecar-selects-no-workload",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A Sidecar's workloadSelector matches no workload in its namespace",
    docs: r#"## What it finds
A Sidecar with a non-empty `workloadSelector` whose labels match no workload (Pod, pod template of
a Deployment, StatefulSet or DaemonSet, WorkloadEntry) in the Sidecar's own namespace. A Sidecar
only ever applies to workloads in its namespace. It is reported only when the input defines some
Service, ServiceEntry or workload in that namespace: otherwise the namespace is out of sight, not
empty. When workloads of another namespace carry the labels, the finding says so.

## Why it matters
The Sidecar configures no proxy: the egress restrictions, ingress listeners or outbound policy
it declares never take effect, and the workloads it was meant for fall back to the namespace's
default Sidecar or the mesh default.

## Example
```yaml
kind: Sidecar
metadata:
  namespace: default
spec:
  workloadSelector:
    labels:
      app: reviewz     # the pods are labelled app: reviews
```

## Fix
Correct the selector to the workload's labels (the finding names the closest ones), or move the
Sidecar to the namespace of the workloads.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        if !mesh.has_workloads() {
            return;
        }
        for (obj, t) in cx.typed_objects() {
            let Typed::Sidecar(sc) = t else { continue };
            let Some(sel) =
                sc.spec.workload_selector.as_ref().and_then(|w| w.labels.as_ref()).filter(|l| !l.is_empty())
            else {
                continue;
            };
            let ns = obj.namespace_or(mesh.default_namespace);
            if !mesh.workloads_in(ns, sel).is_empty() {
                continue;
            }
            let wanted = selector_string(sel);
            let restricted = |l: &crate::model::core::StringMap| {
                selector_string(
                    &l.iter().filter(|(k, _)| sel.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
                )
            };
            let here: Vec<(String, Option<usize>)> = mesh
                .workloads
                .iter()
                .filter(|w| w.namespace == ns)
                .map(|w| (restricted(w.labels), w.obj))
                .filter(|(s, _)| !s.is_empty())
                .collect();
            let elsewhere: Vec<&str> = mesh
                .workloads
                .iter()
                .filter(|w| w.namespace != ns && w.obj.is_some() && crate::mesh::selects(sel, w.labels))
                .map(|w| w.namespace.as_str())
                .collect();
            // A namespace of which the input defines nothing is out of sight, not empty (workloads
            // with the labels elsewhere are no evidence: they may be another application's).
            if !mesh.namespace_known(ns) {
                cx.out_of_sight(ns, format!("Sidecar workloadSelector `{wanted}`"));
                continue;
            }
            let mut d = cx
                .at(
                    &META,
                    obj,
                    "/spec/workloadSelector/labels",
                    format!("Sidecar workloadSelector `{wanted}` matches no workload in namespace `{ns}`"),
                )
                .label("selects nothing");
            let near = nearest(&wanted, here.iter().map(|(s, _)| s.as_str()));
            d = if let Some(other_ns) = elsewhere.first() {
                d.help(format!(
                    "workloads with these labels are in namespace `{other_ns}`; a Sidecar applies only in its own \
                     namespace, so move it there"
                ))
            } else if near.is_empty() {
                d.help("label the workload's pods with these labels, or select the labels they have")
            } else {
                if let Some(o) = here.iter().find(|(s, _)| s == near[0]).and_then(|(_, o)| *o) {
                    let other = &cx.objects[o];
                    d = d.related(cx.span(other, "/metadata/name"), None, format!("a workload labelled `{}`", near[0]));
                }
                d.help(format!("did you mean {}?", crate::mesh::quoted_alternatives(&near)))
            };
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: reviews
  namespace: NS
spec:
  workloadSelector:
    labels:
      app: SEL
  egress:
  - hosts: ['./*']
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews
  namespace: default
  labels: {app: reviews}
spec:
  containers: [{name: reviews, image: reviews}]
";

    #[test]
    fn reports_a_selector_without_workloads_and_the_closest_labels() {
        let out = run(&MESH.replace("NS", "default").replace("SEL", "reviewz"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0215").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 8);
        assert!(d[0].message.contains("`app=reviewz`"), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap_or("").contains("`app=reviews`"), "{:?}", d[0].help);
    }

    #[test]
    fn a_workload_in_another_namespace_does_not_count() {
        let other = "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: other}\nspec: {ports: [{name: http, port: 80}]}\n";
        let out = run(&format!("{}{other}", MESH.replace("NS", "other").replace("SEL", "reviews")));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0215").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert!(d[0].help.as_deref().unwrap_or("").contains("namespace `default`"), "{:?}", d[0].help);
    }

    #[test]
    fn a_matching_workload_or_an_unseen_namespace_is_not_reported() {
        let out = run(&MESH.replace("NS", "default").replace("SEL", "reviews"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0215"), "{:?}", out.diagnostics);
        let out = run(&MESH.replace("NS", "other").replace("SEL", "bogus"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0215"), "{:?}", out.diagnostics);
    }
}
