use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{nearest, selector_string};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0211",
    name: "gateway-selects-no-workload",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A Gateway's selector matches no gateway workload",
    docs: r#"## What it finds
A Gateway whose `selector` matches the labels of no workload in the input: no Pod, no pod template
of a Deployment, StatefulSet or DaemonSet, no WorkloadEntry, in any namespace. The default ingress
gateway (`istio-system`, label `istio: ingressgateway`) counts as present, as in `istioctl
analyze`, unless the MeshConfig sets `ingressControllerMode: OFF`. A Gateway without a selector
applies to every gateway and is not reported.

## Why it matters
No proxy picks up the Gateway's servers: nothing listens on its ports, and the VirtualServices
bound to it never receive traffic.

## Example
```yaml
kind: Gateway
spec:
  selector:
    istio: ingresstypo      # the gateway pods are labelled istio: ingressgateway
```

## Fix
Correct the selector to the labels of the gateway deployment (the finding names the closest
ones), or deploy a gateway with those labels.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for (obj, t) in cx.typed_objects() {
            let Typed::Gateway(gw) = t else { continue };
            let Some(sel) = gw.spec.selector.as_ref().filter(|s| !s.is_empty()) else { continue };
            if !mesh.gateway_workloads(gw).is_empty() {
                continue;
            }
            let wanted = selector_string(sel);
            // Each workload's labels under the selector's keys, to compare with what was asked for.
            let shown: Vec<(String, Option<usize>)> = mesh
                .workloads
                .iter()
                .map(|w| {
                    let own =
                        w.labels.iter().filter(|(k, _)| sel.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone()));
                    (selector_string(&own.collect()), w.obj)
                })
                .filter(|(s, _)| !s.is_empty())
                .collect();
            let near = nearest(&wanted, shown.iter().map(|(s, _)| s.as_str()));
            let mut d = cx
                .at(
                    &META,
                    obj,
                    "/spec/selector",
                    format!(
                        "Gateway selector `{wanted}` matches no workload (Pod, Deployment, StatefulSet, DaemonSet, \
                         WorkloadEntry or the default ingress gateway) in any namespace"
                    ),
                )
                .label("selects nothing");
            d = match near.as_slice() {
                [] => d.help("label the gateway deployment's pods with these labels, or select the labels it has"),
                near => {
                    let first = shown.iter().find(|(s, _)| s == near[0]).and_then(|(_, o)| *o);
                    if let Some(o) = first {
                        let other = &cx.objects[o];
                        d = d.related(
                            cx.span(other, "/metadata/name"),
                            None,
                            format!("a workload labelled `{}`", near[0]),
                        );
                    }
                    d.help(format!("did you mean {}?", crate::mesh::quoted_alternatives(near)))
                }
            };
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const GW: &str = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    app: SEL
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ['*']
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-gateway
spec:
  selector:
    matchLabels: {app: my-gateway}
  template:
    metadata:
      labels: {app: my-gateway}
    spec:
      containers:
      - name: istio-proxy
        image: auto
";

    #[test]
    fn reports_a_selector_without_workloads_and_the_closest_labels() {
        let out = run(&GW.replace("SEL", "my-gatewya"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0211").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 6);
        assert!(d[0].message.contains("`app=my-gatewya`"), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap_or("").contains("`app=my-gateway`"), "{:?}", d[0].help);
    }

    #[test]
    fn a_matching_workload_or_the_default_ingress_gateway_is_enough() {
        let out = run(&GW.replace("SEL", "my-gateway"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
        let out = run(&GW.replace("app: SEL", "istio: ingressgateway"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
    }
}
