use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0222",
    name: "unknown-route-parent",
    severity: Severity::Error,
    istio_code: None,
    summary: "A Gateway API route names a parent Gateway that does not exist",
    docs: r#"## What it finds
A `parentRefs` entry of an HTTPRoute, GRPCRoute or TLSRoute naming a Gateway
(`gateway.networking.k8s.io`, the default kind) that the input does not define, in a namespace the
input does show: the input defines a Gateway somewhere, and something other than routes in that
namespace. The namespace is the route's unless the reference names one.

Istio writes no status at all for such a reference (`conversion.go`: a parentRef without listeners
gets no entry), so nothing in the cluster says why the route does nothing. A Gateway in a namespace
the input holds nothing of is out of sight and not reported; references to other controllers'
parent kinds are not Istio's and are left alone.

## Why it matters
The route attaches to nothing: no gateway serves its hostnames.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs:
  - name: edge        # the Gateway is in namespace infra
  rules:
  - backendRefs:
    - {name: shop, port: 80}
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: shop}
spec:
  ports:
  - {name: http, port: 80}
```

## Fix
Name the Gateway's namespace (`namespace: infra`), correct the name, or create the Gateway.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = &cx.options.default_namespace;
        for m in &cx.gateway_api().missing_parents {
            let what = format!("{} `{}/{}`", m.kind, m.namespace, m.name);
            // A route's own namespace is not shown by the route itself, and without any Gateway
            // in the input the Gateways live in files not given.
            let route_kinds = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];
            let shown = !cx.mesh().kubernetes_gateways.is_empty()
                && cx.objects.iter().any(|o| {
                    o.namespace_or(default_ns) == m.namespace
                        && !(o.group() == crate::mesh::GATEWAY_API_GROUP && route_kinds.contains(&o.kind.as_str()))
                });
            if m.kind != "Gateway" || !shown {
                cx.out_of_sight(&m.namespace, what);
                continue;
            }
            let obj = &cx.objects[m.route];
            let elsewhere: Vec<String> = cx
                .objects
                .iter()
                .filter(|o| o.kind == "Gateway" && o.group() == crate::mesh::GATEWAY_API_GROUP)
                .filter(|o| o.name.as_deref() == Some(m.name.as_str()))
                .map(|o| format!("{}/{}", o.namespace_or(default_ns), m.name))
                .collect();
            let help = match elsewhere.first() {
                Some(g) => format!(
                    "a Gateway `{g}` exists: write `namespace: {}` in the parentRef",
                    g.split('/').next().unwrap_or_default()
                ),
                None => "create the Gateway or correct the parentRef".to_string(),
            };
            out.push(
                cx.at(
                    &META,
                    obj,
                    &format!("/spec/parentRefs/{}/name", m.parent_index),
                    format!("parent Gateway `{}/{}` does not exist", m.namespace, m.name),
                )
                .label("no such Gateway")
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_with_the_namespace_it_lives_in() {
        let out = crate::lint::rules::lint_yaml(&docs_example(&super::META));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0222").collect();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(out.sources.location(d[0].primary.span).line, 14);
        assert!(d[0].help.as_deref().unwrap_or_default().contains("namespace: infra"), "{d:?}");
    }

    #[test]
    fn the_right_namespace_is_found() {
        let yaml = docs_example(&super::META).replace("- name: edge ", "- namespace: infra\n    name: edge ");
        assert!(findings(&yaml, "MESH0222").is_empty());
    }

    #[test]
    fn without_any_gateway_in_the_input_the_parent_is_out_of_sight() {
        let example = docs_example(&super::META);
        let routes_only = example.split_once("---\n").map(|(_, rest)| rest).unwrap_or_default();
        assert!(findings(routes_only, "MESH0222").is_empty());
    }

    #[test]
    fn a_namespace_the_input_does_not_show_is_out_of_sight() {
        let yaml = docs_example(&super::META).replace("- name: edge ", "- namespace: platform\n    name: edge ");
        let out = crate::lint::rules::lint_yaml(&yaml);
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0222"));
    }
}
