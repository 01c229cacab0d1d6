use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0223",
    name: "unresolved-route-reference",
    severity: Severity::Error,
    istio_code: None,
    summary: "A Gateway API route refers to a backend or filter istiod cannot resolve",
    docs: r#"## What it finds
What Istio's Gateway API controller reports as `ResolvedRefs: False` on a route, at the field
responsible (`conversion.go` `buildDestination`, the filters):
- `BackendNotFound`: a backendRef (or a mirror's) to a Service the input does not define, in a
  namespace it does show;
- `RefNotPermitted`: a backendRef into another namespace that no ReferenceGrant there allows;
- `InvalidKind`: a backendRef of a kind Istio does not route to;
- `InvalidDestination`: a Service backendRef without `port`, or written as a hostname; istiod
  then drops the whole route;
- `InvalidFilter`: a filter Istio does not support (`ExtensionRef`, `ExternalAuth`); istiod drops
  the whole route.

## Why it matters
Requests the route sends to a backend it cannot resolve get `500` for that backend's share of the
traffic; a route istiod drops routes nothing.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs:
  - {name: edge, namespace: infra}
  rules:
  - backendRefs:
    - name: shop-v2    # the Service is called shop
      port: 80
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: shop}
spec:
  ports:
  - {name: http, port: 80}
```

## Fix
Name an existing Service with its port, add a ReferenceGrant in the backend's namespace for a
cross-namespace reference, or use a filter Istio supports.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (route, pointer, reason, message) in &cx.gateway_api().errors {
            let obj = &cx.objects[*route];
            let help = match *reason {
                "BackendNotFound" => "name an existing Service, or create it",
                "RefNotPermitted" => {
                    "add a ReferenceGrant in the backend's namespace that allows this route's kind and namespace"
                }
                "InvalidKind" => "refer to a Service (or an Istio networking.istio.io Hostname)",
                "InvalidFilter" => "istiod drops the whole route: use a filter Istio supports",
                _ => "istiod drops the whole route: give the Service's name and port",
            };
            out.push(cx.at(&META, obj, pointer, format!("{reason}: {message}")).label(*reason).help(help));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_name() {
        let f = findings(&docs_example(&super::META), "MESH0223");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 9);
        assert!(f[0].1.contains("backend(shop-v2.shop.svc.cluster.local) not found"), "{f:?}");
    }

    #[test]
    fn an_existing_service_resolves() {
        assert!(findings(&docs_example(&super::META).replace("shop-v2", "shop"), "MESH0223").is_empty());
    }

    #[test]
    fn cross_namespace_needs_a_grant() {
        let route = docs_example(&super::META).replace("name: shop-v2", "name: shop\n      namespace: store");
        let store = "---\napiVersion: v1\nkind: Service\nmetadata: {name: shop, namespace: store}\nspec:\n  ports: [{port: 80}]\n";
        let f = findings(&format!("{route}{store}"), "MESH0223");
        assert!(f.len() == 1 && f[0].1.starts_with("RefNotPermitted"), "{f:?}");
        let grant = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: store}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]\n  to: [{group: '', kind: Service}]\n";
        assert!(findings(&format!("{route}{store}{grant}"), "MESH0223").is_empty());
    }

    #[test]
    fn a_missing_port_and_an_unsupported_filter_drop_the_route() {
        let f = findings(
            &docs_example(&super::META).replace("      port: 80\n---", "---").replace("shop-v2", "shop"),
            "MESH0223",
        );
        assert!(f.len() == 1 && f[0].1.contains("port is required"), "{f:?}");
    }

    /// A mesh (GAMMA) route's backendRefs need no ReferenceGrant: istiod enforces grants for
    /// Gateway parents only (the Gateway API conformance test MeshConsumerRoute relies on it).
    #[test]
    fn a_mesh_route_needs_no_grant() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: mesh}\nspec:\n  ports: [{name: http, port: 80}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: consumer, namespace: client}\nspec:\n  parentRefs: [{group: '', kind: Service, name: echo, namespace: mesh}]\n  rules:\n  - backendRefs: [{name: echo, namespace: mesh, port: 80}]\n";
        assert!(findings(yaml, "MESH0223").is_empty(), "{:?}", findings(yaml, "MESH0223"));
        // The same route on a Gateway needs one.
        let gateway = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: client}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n";
        let both = yaml.replace(
            "  parentRefs: [{group: '', kind: Service, name: echo, namespace: mesh}]",
            "  parentRefs: [{group: '', kind: Service, name: echo, namespace: mesh}, {name: edge}]",
        );
        let f = findings(&format!("{both}{gateway}"), "MESH0223");
        assert!(f.len() == 1 && f[0].1.starts_with("RefNotPermitted"), "{f:?}");
        // A mesh TCPRoute alike, with istiod's alpha kinds on.
        let tcp = yaml.replace(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute",
            "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute",
        );
        let mut options = crate::lint::LintOptions::default();
        options.mesh.istiod.alpha_gateway_api = true;
        assert!(crate::lint::rules::findings_with(&tcp, "MESH0223", &options).is_empty());
    }
}
