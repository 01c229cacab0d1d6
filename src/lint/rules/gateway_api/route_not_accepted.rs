use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0221",
    name: "route-not-accepted",
    severity: Severity::Error,
    istio_code: None,
    summary: "A Gateway API route is not accepted by the parent it names",
    docs: r#"## What it finds
A parentRef of an HTTPRoute, GRPCRoute or TLSRoute that Istio's Gateway API controller would give
`Accepted: False`, with the controller's reason (`pilot/pkg/config/kube/gateway/conversion.go`
`referenceAllowed`), judged over every listener of the Gateway:
- `NotAllowedByListeners`: a listener's hostname matches, but its `allowedRoutes.namespaces`
  (`Same`, `All`, or a `Selector` over the Namespaces' labels) does not admit the route's namespace,
  or its `allowedRoutes.kinds` does not admit the route's kind;
- `NoMatchingListenerHostname`: no route hostname intersects any listener's hostname;
- `NoMatchingParent`: the `sectionName` or `port` names no listener, or a Service parent does not
  exist.

Where a `Selector` would need the labels of a Namespace the input does not hold, nothing is
reported: that is out of sight.

## Why it matters
A route no listener accepts routes nothing: requests for its hostnames get `404` from the gateway,
and the route looks fine until someone reads its status.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.com"
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: infra}
spec:
  parentRefs:
  - name: edge
  hostnames: ["shop.example.org"]   # the listener takes *.example.com only
  rules:
  - backendRefs:
    - name: shop
      port: 80
```

## Fix
Give the route a hostname the listener takes, let the listener admit the route's namespace
(`allowedRoutes.namespaces.from: All`, or label the Namespace for its `Selector`), or correct the
`sectionName` or `port`.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for p in &cx.gateway_api().parents {
            let obj = &cx.objects[p.route];
            for (c, pointer) in p.conditions.iter().zip(&p.pointers) {
                if c.type_ != "Accepted" || c.status != "False" {
                    continue;
                }
                let label = match c.reason {
                    "NoMatchingListenerHostname" => "no listener takes these hostnames",
                    "NotAllowedByListeners" => "not allowed by the listeners",
                    _ => "no such listener",
                };
                out.push(
                    cx.at(
                        &META,
                        obj,
                        pointer,
                        format!(
                            "{} {}/{} is not accepted by {} ({}): {}",
                            p.kind, p.namespace, p.name, p.parent, c.reason, c.message
                        ),
                    )
                    .label(label)
                    .help(help(c.reason)),
                );
            }
        }
    }
}

fn help(reason: &str) -> &'static str {
    match reason {
        "NoMatchingListenerHostname" => {
            "give the route a hostname that a listener's hostname matches, or widen the listener's hostname"
        }
        "NotAllowedByListeners" => {
            "let the listener admit the route: allowedRoutes.namespaces (Same, All, or a Selector the route's Namespace matches) and allowedRoutes.kinds"
        }
        _ => "name an existing listener (sectionName, port) or an existing Service",
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: '*.example.com'
  - name: internal
    port: 8080
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector: {matchLabels: {edge: 'yes'}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {edge: 'yes'}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
";

    fn route(ns: &str, parent: &str, hostnames: &str) -> String {
        format!(
            "{GATEWAY}apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {ns}}}
spec:
  parentRefs:
  - {parent}
  hostnames: {hostnames}
  rules:
  - backendRefs: [{{name: svc, port: 80}}]
"
        )
    }

    #[test]
    fn the_example_is_reported_at_the_hostnames() {
        let f = findings(&docs_example(&super::META), "MESH0221");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 18);
        assert!(f[0].1.contains("NoMatchingListenerHostname"), "{f:?}");
    }

    #[test]
    fn a_hostname_a_listener_takes_is_accepted() {
        let yaml = docs_example(&super::META).replace("shop.example.org", "shop.example.com");
        assert!(findings(&yaml, "MESH0221").is_empty());
    }

    #[test]
    fn namespaces_are_admitted_by_the_listener_selector() {
        // `shop` carries the selector's label: the 8080 listener admits it.
        let ok = route("shop", "{name: edge, namespace: infra, sectionName: internal}", "[a.example.org]");
        assert!(findings(&ok, "MESH0221").is_empty());
        let denied = route("other", "{name: edge, namespace: infra, sectionName: internal}", "[a.example.org]");
        let f = findings(&denied, "MESH0221");
        assert!(f.len() == 1 && f[0].1.contains("NotAllowedByListeners"), "{f:?}");
        // The same namespace as the Gateway is the default (`Same`) of the first listener.
        let same = route("infra", "{name: edge, sectionName: http}", "[a.example.com]");
        assert!(findings(&same, "MESH0221").is_empty());
        let other = route("shop", "{name: edge, namespace: infra, sectionName: http}", "[a.example.com]");
        let f = findings(&other, "MESH0221");
        assert!(f.len() == 1 && f[0].1.contains("NotAllowedByListeners"), "{f:?}");
    }

    #[test]
    fn a_missing_section_is_no_matching_parent() {
        let f = findings(&route("infra", "{name: edge, sectionName: https}", "[a.example.com]"), "MESH0221");
        assert!(f.len() == 1 && f[0].1.contains("sectionName \"https\" not found"), "{f:?}");
    }

    #[test]
    fn an_unknown_namespace_under_a_selector_is_out_of_sight() {
        let yaml = route("elsewhere", "{name: edge, namespace: infra, sectionName: internal}", "[a.example.org]");
        assert!(findings(&yaml, "MESH0221").is_empty());
    }
}
