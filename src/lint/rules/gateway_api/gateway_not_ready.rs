use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0229",
    name: "gateway-not-ready",
    severity: Severity::Error,
    istio_code: None,
    summary: "A Gateway API Gateway (or ListenerSet) that Istio does not accept or cannot bind to its Service",
    docs: r#"## What it finds
A Gateway of an Istio class to which istiod would give a Gateway-level condition that is not True
(`conversion.go` `reportGatewayStatus`, `extractGatewayServices`; `gatewaycommon/context.go`
`ResolveGatewayInstances`), at the field responsible:
- `Accepted: False`, `InvalidAddress`: a manual deployment (a `Hostname` address, or several
  addresses) lists an address of another type; istiod ignores it. With no `Hostname` address
  left, `Programmed` is False too and istiod builds no listener at all;
- `Programmed: False`, `AddressNotUsable`: a `Hostname` address names a Service the input shows
  in another namespace than the Gateway's (istiod looks the Service up in the Gateway's
  namespace), or a Service without one of the listeners' ports (with a hint when a port's
  `targetPort` is the listener port);
- `Accepted: False`, `DeprecateFieldUsage` (a warning): the `networking.istio.io/service-type`
  annotation on a manual deployment. (On a Gateway Istio deploys, the deployment controller
  honours it for the Service it creates, and istiod reports nothing.)
- a **ListenerSet** whose parent does not take it (`Accepted: False`, `NotAllowed`, at its
  `parentRef`): the parent Gateway's `allowedListeners` (none by default; `Same`, `All`, or a
  Selector over the ListenerSet's Namespace labels) does not admit its namespace, or the parent's
  class is not Istio's gateway class (waypoints do not support ListenerSets). A Selector over
  labels the input does not show is not decided.

A Service the input does not show is out of sight, and whether its pods are ready is for the
cluster to say: neither is reported. Listener conditions are MESH0224's. Istio 1.30 never reports
a listener `Conflicted`: the Gateway CRD's validation already rejects two listeners with the same
port, protocol and hostname.

## Why it matters
A Gateway that is not programmed has no address: clients cannot reach its listeners, and every
route attached to it serves nothing.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: apps}
spec:
  gatewayClassName: istio
  addresses:
  - type: Hostname
    value: istio-ingressgateway.istio-system.svc.cluster.local
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80}
```

## Fix
Put a manually deployed Gateway in the namespace of the Service it names, list only `Hostname`
addresses, and give the Service a port for every listener. Replace the service-type annotation
with `spec.infrastructure` (or the Service your deployment defines).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for g in &cx.gateway_api().gateway_status {
            let obj = &cx.objects[g.gateway];
            // One finding per field: a refused ListenerSet is neither Accepted nor Programmed.
            let mut reported: Vec<&str> = Vec::new();
            for (c, pointer) in g.conditions.iter().zip(&g.pointers) {
                if c.status != "False" || reported.contains(&pointer.as_str()) {
                    continue;
                }
                reported.push(pointer);
                let (label, help, severity) = match c.reason {
                    "DeprecateFieldUsage" => (
                        "deprecated annotation",
                        "set the Service type with spec.infrastructure or in the Service you deploy",
                        Severity::Warning,
                    ),
                    "NotAllowed" => (
                        "the parent does not take this ListenerSet",
                        "let the parent Gateway's spec.allowedListeners admit this namespace, on a Gateway of Istio's class",
                        Severity::Error,
                    ),
                    "InvalidAddress" => (
                        "not a Hostname address",
                        "list only Hostname addresses (the Services of a manual deployment)",
                        Severity::Error,
                    ),
                    _ => (
                        "istiod cannot bind this address",
                        "name a Service in the Gateway's namespace that has a port for every listener",
                        Severity::Error,
                    ),
                };
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        pointer,
                        format!(
                            "{} {}/{}: {} is False ({}): {}",
                            g.kind, g.namespace, g.name, c.type_, c.reason, c.message
                        ),
                    )
                    .label(label)
                    .help(help);
                d.severity = severity;
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_address() {
        let f = findings(&docs_example(&super::META), "MESH0229");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 8);
        assert!(f[0].1.contains("Programmed is False (AddressNotUsable)"), "{f:?}");
        assert!(f[0].1.contains("not found in namespace \"apps\", but it was found in namespace(s) \"istio-system\""));
    }

    #[test]
    fn the_nearest_correct_variants_are_not_reported() {
        let example = docs_example(&super::META);
        // The Gateway in the Service's namespace.
        let same = example.replace("namespace: apps}", "namespace: istio-system}");
        assert!(findings(&same, "MESH0229").is_empty());
        // The Service is out of sight.
        let unseen = example.split("---").next().unwrap().to_string();
        assert!(findings(&unseen, "MESH0229").is_empty());
        // A managed Gateway (no addresses).
        let managed = unseen.replace(
            "  addresses:\n  - type: Hostname\n    value: istio-ingressgateway.istio-system.svc.cluster.local\n",
            "",
        );
        assert!(findings(&managed, "MESH0229").is_empty());
    }

    #[test]
    fn a_missing_port_an_ip_address_and_the_service_type_annotation() {
        let example = docs_example(&super::META).replace("namespace: apps}", "namespace: istio-system}");
        let port = example.replace("{name: http2, port: 80}", "{name: http2, port: 8080, targetPort: 80}");
        let f = findings(&port, "MESH0229");
        assert!(f.len() == 1 && f[0].1.contains("port 80 not found") && f[0].1.contains("[8080]"), "{f:?}");
        let ip =
            example.replace("  - type: Hostname\n", "  - type: IPAddress\n    value: 10.0.0.1\n  - type: Hostname\n");
        let f = findings(&ip, "MESH0229");
        assert!(
            f.len() == 1 && f[0].0 == 7 && f[0].1.contains("only Hostname is supported, ignoring [10.0.0.1]"),
            "{f:?}"
        );
        let only_ip = docs_example(&super::META).replace(
            "  - type: Hostname\n    value: istio-ingressgateway.istio-system.svc.cluster.local\n",
            "  - type: IPAddress\n    value: 10.0.0.1\n  - type: IPAddress\n    value: 10.0.0.2\n",
        );
        let f = findings(&only_ip, "MESH0229");
        assert!(f.len() == 2 && f[0].1.contains("Failed to assign to any requested addresses"), "{f:?}");
        let managed = docs_example(&super::META)
            .replace(
                "  addresses:\n  - type: Hostname\n    value: istio-ingressgateway.istio-system.svc.cluster.local\n",
                "",
            )
            .replace(
                "metadata: {name: edge, namespace: apps}",
                "metadata:\n  name: edge\n  namespace: apps\n  annotations: {networking.istio.io/service-type: ClusterIP}",
            );
        // Istio's own egress tasks annotate the Gateways it deploys: nothing to report.
        assert!(findings(&managed, "MESH0229").is_empty());
        let annotated = docs_example(&super::META)
            .replace(
                "metadata: {name: edge, namespace: apps}",
                "metadata:\n  name: edge\n  namespace: istio-system\n  annotations: {networking.istio.io/service-type: ClusterIP}",
            );
        let out = crate::lint::rules::lint_yaml(&annotated);
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0229").collect();
        assert!(d.len() == 1 && d[0].message.contains("DeprecateFieldUsage"), "{d:?}");
        assert_eq!(d[0].severity, crate::lint::Severity::Warning);
    }

    const SET: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: shared, namespace: infra}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {name: extra, namespace: team}\nspec:\n  parentRef: {name: shared, namespace: infra}\n  listeners: [{name: api, port: 8080, protocol: HTTP}]\n";

    #[test]
    fn listener_sets_the_parent_does_not_take() {
        // allowedListeners defaults to none.
        let f = findings(SET, "MESH0229");
        assert!(f.len() == 1 && f[0].0 == 12 && f[0].1.contains("does not allow this reference"), "{f:?}");
        let all = SET.replace(
            "  listeners: [{name: http",
            "  allowedListeners: {namespaces: {from: All}}\n  listeners: [{name: http",
        );
        assert!(findings(&all, "MESH0229").is_empty());
        let same = SET.replace(
            "  listeners: [{name: http",
            "  allowedListeners: {namespaces: {from: Same}}\n  listeners: [{name: http",
        );
        assert_eq!(findings(&same, "MESH0229").len(), 1);
        // A Selector over labels of a namespace the input does not hold is not decided.
        let selector = SET.replace(
            "  listeners: [{name: http",
            "  allowedListeners: {namespaces: {from: Selector, selector: {matchLabels: {a: b}}}}\n  listeners: [{name: http",
        );
        assert!(findings(&selector, "MESH0229").is_empty());
        let labelled =
            format!("{selector}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: team, labels: {{a: b}}}}\n");
        assert!(findings(&labelled, "MESH0229").is_empty());
        let unlabelled = format!("{selector}---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: team}}\n");
        assert_eq!(findings(&unlabelled, "MESH0229").len(), 1);
        // Only Istio's gateway class supports ListenerSets.
        let waypoint = all.replace("gatewayClassName: istio", "gatewayClassName: istio-waypoint");
        let f = findings(&waypoint, "MESH0229");
        assert!(
            f.len() == 1 && f[0].1.contains("\"istio-waypoint\" GatewayClass does not support ListenerSet"),
            "{f:?}"
        );
    }
}
