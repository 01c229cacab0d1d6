use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::gateway_api::{Class, class_of};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0225",
    name: "foreign-gateway-class",
    severity: Severity::Info,
    istio_code: None,
    summary: "A Gateway API Gateway whose GatewayClass another controller than Istio's implements",
    docs: r#"## What it finds
A Gateway whose `gatewayClassName` names a GatewayClass of the input with a `controllerName` that
is not one of Istio's (`istio.io/gateway-controller`, `istio.io/mesh-controller`,
`istio.io/unmanaged-gateway`, `istio.io/eastwest-controller`). The GatewayClass's
`controllerName` is the related location.

A class the input does not define (and that is not one of Istio's built-in classes `istio`,
`istio-waypoint`, `istio-remote`, `istio-east-west`) is out of sight: nothing is reported.

## Why it matters
istiod ignores such a Gateway: it deploys nothing for it and programs no listener, and the routes
attached only to it are another controller's business. meshctl follows istiod, so it neither
simulates requests through that Gateway nor checks the status of routes attached to it. If the
Gateway was meant for Istio, its traffic goes nowhere Istio controls.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: edge-class}
spec:
  controllerName: example.com/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: edge-class
  listeners:
  - {name: http, port: 80, protocol: HTTP}
```

## Fix
Nothing, if another controller is meant to serve the Gateway. To have Istio serve it, use the
`istio` class (or a GatewayClass whose `controllerName` is `istio.io/gateway-controller`).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let mut gateways: Vec<(&(String, String), &usize)> = mesh.kubernetes_gateways.iter().collect();
        gateways.sort();
        for ((ns, name), &i) in gateways {
            let Some(Ok(Typed::KubernetesGateway(g))) = &cx.typed[i] else { continue };
            let Some(class) = g.spec.gateway_class_name.as_deref() else { continue };
            let Class::Foreign(controller) = class_of(cx.objects, cx.typed, class) else { continue };
            let defining =
                cx.objects.iter().zip(cx.typed).position(|(o, t)| {
                    matches!(t, Some(Ok(Typed::GatewayClass(_)))) && o.name.as_deref() == Some(class)
                });
            let mut d = cx
                .at(
                    &META,
                    &cx.objects[i],
                    "/spec/gatewayClassName",
                    format!(
                        "Gateway {ns}/{name} has class {class}, which {controller} implements, not Istio: istiod \
                         ignores the Gateway, and meshctl neither routes through it nor checks the routes attached to it"
                    ),
                )
                .label("not Istio's class")
                .help("use the `istio` class if Istio is meant to serve this Gateway");
            if let Some(k) = defining {
                let c = &cx.objects[k];
                d = d.related(
                    cx.span(c, "/spec/controllerName"),
                    Some(c.pointer("/spec/controllerName")),
                    "the class's controller",
                );
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_class_name() {
        let f = findings(&docs_example(&super::META), "MESH0225");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 11);
        assert!(f[0].1.contains("example.com/gateway-controller implements, not Istio"), "{f:?}");
    }

    #[test]
    fn istio_classes_and_unseen_classes_are_not_reported() {
        let example = docs_example(&super::META);
        let istio = example.replace("example.com/gateway-controller", "istio.io/gateway-controller");
        assert!(findings(&istio, "MESH0225").is_empty());
        let builtin = example.replace("gatewayClassName: edge-class", "gatewayClassName: istio");
        assert!(findings(&builtin, "MESH0225").is_empty());
        // The class is out of sight: another file may define it for Istio.
        let unseen = example.split("---").nth(1).unwrap().to_string();
        assert!(findings(&unseen, "MESH0225").is_empty());
    }

    #[test]
    fn routes_attached_to_a_foreign_gateway_get_no_status_findings() {
        let route = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: infra}\nspec:\n  parentRefs: [{name: edge}]\n  hostnames: [a.example.org]\n  rules:\n  - backendRefs: [{name: nowhere, port: 80}]\n";
        let yaml = format!("{}{route}", docs_example(&super::META));
        for code in ["MESH0221", "MESH0222"] {
            assert!(findings(&yaml, code).is_empty(), "{code}: {:?}", findings(&yaml, code));
        }
    }
}
