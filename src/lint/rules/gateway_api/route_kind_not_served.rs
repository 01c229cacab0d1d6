use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::gateway_api::{Class, GROUP, class_of};
use crate::model::Typed;
use crate::model::gateway_api::ParentReference;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0228",
    name: "route-kind-not-served",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A UDPRoute, or a TCPRoute while istiod runs without its alpha Gateway API kinds",
    docs: r#"## What it finds
A route that istiod never reads, although one of its `parentRefs` names a Gateway of an Istio
class that the input shows, or a Service (mesh routing):

- a **UDPRoute**: istiod does not implement UDPRoute at all, and it has no UDP listener either
  (`UDP` is an unsupported listener protocol);
- a **TCPRoute** while istiod runs without `PILOT_ENABLE_ALPHA_GATEWAY_API=true`
  (`pilot/pkg/config/kube/gateway/controller.go`: without it the TCPRoute collection is empty).
  Tell meshctl the setting with `--istiod-env PILOT_ENABLE_ALPHA_GATEWAY_API=true`, and it
  translates and simulates TCPRoutes as istiod then does.

A route whose parents are all another controller's (a foreign GatewayClass, a Gateway the input
does not show) is not Istio's business and is not reported.

## Why it matters
istiod writes no status for these routes, so nothing in the cluster says why their traffic goes
nowhere: the connections reach no backend.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: dns
    port: 53
    protocol: UDP
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: UDPRoute
metadata: {name: dns, namespace: infra}
spec:
  parentRefs:
  - name: edge
  rules:
  - backendRefs:
    - {name: coredns, port: 53}
```

## Fix
Serve UDP with a controller that implements UDPRoute (its own GatewayClass). For a TCPRoute, run
istiod with `PILOT_ENABLE_ALPHA_GATEWAY_API=true` (and tell meshctl with `--istiod-env`), or use a
TLSRoute on a `TLS` listener.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let alpha = cx.mesh().config.istiod.alpha_gateway_api;
        for (i, t) in cx.typed.iter().enumerate() {
            let (kind, refs) = match t {
                Some(Ok(Typed::UDPRoute(r))) => ("UDPRoute", r.spec.parent_refs.as_deref()),
                Some(Ok(Typed::TCPRoute(r))) if !alpha => ("TCPRoute", r.spec.parent_refs.as_deref()),
                _ => continue,
            };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let Some(parent) = refs.unwrap_or_default().iter().find_map(|r| istio_parent(cx, ns, r)) else {
                continue;
            };
            let (message, help) = if kind == "UDPRoute" {
                (
                    format!(
                        "UDPRoute {ns}/{} names {parent} as its parent, but istiod does not implement UDPRoute: no proxy serves it",
                        obj.name.as_deref().unwrap_or_default()
                    ),
                    "serve UDP with a controller that implements UDPRoute",
                )
            } else {
                (
                    format!(
                        "TCPRoute {ns}/{} names {parent} as its parent, but istiod reads TCPRoutes only with \
                         PILOT_ENABLE_ALPHA_GATEWAY_API=true: nothing routes it",
                        obj.name.as_deref().unwrap_or_default()
                    ),
                    "run istiod with PILOT_ENABLE_ALPHA_GATEWAY_API=true and pass --istiod-env PILOT_ENABLE_ALPHA_GATEWAY_API=true to meshctl",
                )
            };
            out.push(cx.at(&META, obj, "/kind", message).label("istiod never reads this route").help(help));
        }
    }
}

/// The parent a reference names, as `Gateway ns/name` or `Service ns/name`, when it is Istio's:
/// a Gateway of an Istio class the input shows, or a Service (mesh routing).
fn istio_parent(cx: &Context, route_ns: &str, r: &ParentReference) -> Option<String> {
    let ns = r.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(route_ns);
    let name = r.name.as_deref().unwrap_or_default();
    match (r.group.as_deref().unwrap_or(GROUP), r.kind.as_deref().unwrap_or("Gateway")) {
        ("", "Service") => Some(format!("Service {ns}/{name}")),
        (GROUP, "Gateway") => {
            let &i = cx.mesh().kubernetes_gateways.get(&(ns.to_string(), name.to_string()))?;
            let Some(Ok(Typed::KubernetesGateway(g))) = &cx.typed[i] else { return None };
            let class = g.spec.gateway_class_name.as_deref().unwrap_or_default();
            (class_of(cx.objects, cx.typed, class) == Class::Istio).then(|| format!("Gateway {ns}/{name}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings, findings_with};

    const TCP: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: infra}\nspec:\n  gatewayClassName: istio\n  listeners:\n  - {name: db, port: 5432, protocol: TCP, allowedRoutes: {namespaces: {from: All}}}\n---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: pg, namespace: data}\nspec:\n  parentRefs: [{name: edge, namespace: infra}]\n  rules:\n  - backendRefs: [{name: pg, port: 5432}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: pg, namespace: data}\nspec:\n  ports: [{name: tcp, port: 5432}]\n";

    #[test]
    fn the_example_is_reported_at_the_kind() {
        let f = findings(&docs_example(&super::META), "MESH0228");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 12);
        assert!(f[0].1.contains("istiod does not implement UDPRoute"), "{f:?}");
    }

    #[test]
    fn a_tcp_route_is_reported_only_while_the_alpha_kinds_are_off() {
        let f = findings(TCP, "MESH0228");
        assert!(f.len() == 1 && f[0].0 == 10 && f[0].1.contains("PILOT_ENABLE_ALPHA_GATEWAY_API"), "{f:?}");
        let mut options = crate::lint::LintOptions::default();
        options.mesh.istiod.alpha_gateway_api = true;
        assert!(findings_with(TCP, "MESH0228", &options).is_empty());
        // With the setting, the TCP listener is served too, and the route attaches.
        assert!(findings_with(TCP, "MESH0224", &options).is_empty());
        assert!(findings_with(TCP, "MESH0221", &options).is_empty());
    }

    #[test]
    fn routes_of_other_controllers_are_not_reported() {
        let foreign = docs_example(&super::META).replace("gatewayClassName: istio", "gatewayClassName: other");
        let foreign = format!(
            "{foreign}---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: other}}\nspec: {{controllerName: example.com/udp}}\n"
        );
        assert!(findings(&foreign, "MESH0228").is_empty());
        // A parent the input does not show is out of sight here (MESH0222 judges it).
        let unseen = docs_example(&super::META).split("---").nth(1).unwrap().to_string();
        assert!(findings(&unseen, "MESH0228").is_empty());
    }
}
