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
applies to every gateway and is not reported. Istio matches the selector against every pod of the
cluster, which a repository never shows all of: the finding is made only when the selector is a
near miss of the labels of a workload in the input (a typo), and never for the labels of the
gateways Istio's installation deploys (`istio: egressgateway`, `istio: eastwestgateway`, …).
Other selectors are out of sight, and noted as not checked.

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

/// The labels of the gateways Istio's installation deploys (the `istio-ingress` and
/// `istio-egress` gateway charts, and `samples/multicluster/gen-eastwest-gateway.sh`): a Gateway
/// that selects one of them selects a gateway the repository does not hold, not a typo.
fn installed_gateway(sel: &crate::model::core::StringMap) -> bool {
    const INSTALLED: &[(&str, &str)] = &[
        ("istio", "ingressgateway"),
        ("istio", "egressgateway"),
        ("istio", "eastwestgateway"),
        ("app", "istio-ingressgateway"),
        ("app", "istio-egressgateway"),
        ("app", "istio-eastwestgateway"),
    ];
    sel.iter().all(|(k, v)| INSTALLED.contains(&(k.as_str(), v.as_str())))
}

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
            // Each input workload's labels under the selector's keys, to compare with what was
            // asked for. Istio matches a Gateway's selector against every pod of the cluster, which
            // a repository never shows: a selector is only judged when it is a near miss of a
            // workload the input does show (a typo), and never when it names a gateway Istio's own
            // installation deploys.
            let shown: Vec<(String, Option<usize>)> = mesh
                .workloads
                .iter()
                .filter(|w| w.obj.is_some())
                .map(|w| {
                    let own =
                        w.labels.iter().filter(|(k, _)| sel.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone()));
                    (selector_string(&own.collect()), w.obj)
                })
                .filter(|(s, _)| !s.is_empty())
                .collect();
            let near = nearest(&wanted, shown.iter().map(|(s, _)| s.as_str()));
            if near.is_empty() || installed_gateway(sel) {
                cx.out_of_sight(&mesh.config.root_namespace, format!("Gateway selector `{wanted}`"));
                continue;
            }
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
            if let Some(o) = shown.iter().find(|(s, _)| s == near[0]).and_then(|(_, o)| *o) {
                let other = &cx.objects[o];
                d = d.related(cx.span(other, "/metadata/name"), None, format!("a workload labelled `{}`", near[0]));
            }
            d = d.help(format!("did you mean {}?", crate::mesh::quoted_alternatives(&near)));
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
    fn gateways_the_input_does_not_show_are_out_of_sight() {
        // An east-west gateway installed by Istio, not by the repository.
        let gw = GW.replace("app: SEL", "istio: eastwestgateway");
        let out = run(&gw);
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
        assert!(out.notes.iter().any(|n| n.contains("Gateway selector `istio=eastwestgateway`")), "{:?}", out.notes);
        // A selector like no workload of the input: the gateway is elsewhere.
        let out = run(&GW.replace("SEL", "edge-proxy"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
    }

    #[test]
    fn a_matching_workload_or_the_default_ingress_gateway_is_enough() {
        let out = run(&GW.replace("SEL", "my-gateway"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
        let out = run(&GW.replace("app: SEL", "istio: ingressgateway"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0211"), "{:?}", out.diagnostics);
    }
}
