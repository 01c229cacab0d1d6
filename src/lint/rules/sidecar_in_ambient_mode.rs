use super::multiple_default_sidecars::ambient_namespace;
use super::sidecars_select_same_workload::ambient;
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0218",
    name: "sidecar-in-ambient-mode",
    severity: Severity::Warning,
    istio_code: Some("IST0167"),
    summary: "A Sidecar that configures no proxy: its namespace or its workloads run in ambient mode",
    docs: r#"## What it finds
A Sidecar without a workloadSelector in a namespace labelled `istio.io/dataplane-mode: ambient`
(and not labelled for sidecar injection with `istio-injection: enabled` or `istio.io/rev`), and a
Sidecar whose selector picks a workload annotated `ambient.istio.io/redirection: enabled`.

## Why it matters
Workloads in ambient mode have no sidecar proxy: the Sidecar resource has no effect on them, and
whatever egress scoping or outbound policy it sets is not applied.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress: [{hosts: ["./*"]}]
```

## Fix
Remove the Sidecar, or move the workloads back to sidecar mode. Ambient workloads are configured
through waypoints and ztunnel instead.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let ambient_ns: Vec<&str> = cx
            .typed_objects()
            .filter_map(|(o, t)| matches!(t, Typed::Namespace(n) if ambient_namespace(n)).then_some(o.name.as_deref()?))
            .collect();
        for (obj, t) in cx.typed_objects() {
            let Typed::Sidecar(sc) = t else { continue };
            let ns = obj.namespace_or(mesh.default_namespace);
            let selector = sc.spec.workload_selector.as_ref().and_then(|w| w.labels.as_ref()).filter(|l| !l.is_empty());
            match selector {
                None if ambient_ns.contains(&ns) => out.push(
                    cx.at(
                        &META,
                        obj,
                        "/metadata/name",
                        format!("namespace `{ns}` is in ambient mode: this Sidecar has no effect"),
                    )
                    .label("no sidecar proxies here")
                    .help("remove the Sidecar, or label the namespace for sidecar injection"),
                ),
                None => {}
                Some(sel) => {
                    let ambient_workload =
                        mesh.workloads_in(ns, sel).into_iter().find_map(|w| w.obj.filter(|i| ambient(cx, *i)));
                    if let Some(i) = ambient_workload {
                        let w = &cx.objects[i];
                        out.push(
                            cx.at(
                                &META,
                                obj,
                                "/spec/workloadSelector",
                                format!(
                                    "the selected workload {} `{}` is in ambient mode: this Sidecar has no effect on it",
                                    w.kind,
                                    w.name.as_deref().unwrap_or("")
                                ),
                            )
                            .label("selects an ambient workload")
                            .related(cx.span(w, "/metadata/name"), None, "annotated ambient.istio.io/redirection: enabled")
                            .help("remove the Sidecar, or take the workload out of ambient mode"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn found(yaml: &str) -> Vec<u32> {
        crate::lint::rules::findings(yaml, "MESH0218").into_iter().map(|(line, _)| line).collect()
    }

    const MESH: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: app
  labels: {app: web}
  annotations: {ambient.istio.io/redirection: enabled}
spec: {containers: [{name: web}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: app}
spec:
  workloadSelector: {labels: {app: web}}
";

    #[test]
    fn ambient_namespace_and_ambient_workload() {
        assert_eq!(found(MESH), vec![9, 25]);
    }

    #[test]
    fn sidecar_mode_is_fine() {
        let yaml = MESH
            .replace("istio.io/dataplane-mode: ambient", "istio-injection: enabled")
            .replace("enabled}\nspec: {containers", "disabled}\nspec: {containers");
        assert_eq!(found(&yaml), Vec::<u32>::new());
    }
}
