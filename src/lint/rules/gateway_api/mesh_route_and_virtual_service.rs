use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::hosts;
use crate::model::Typed;
use crate::routing::compile::{VsEntry, virtual_services, virtual_services_for};
use std::collections::{BTreeMap, BTreeSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0227",
    name: "mesh-route-and-virtual-service",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A VirtualService and a Gateway API mesh route for the same Service: sidecars use only one",
    docs: r#"## What it finds
A VirtualService for the sidecars (no `gateways`, or `mesh`) and an HTTPRoute or GRPCRoute whose
parentRef is a Service (a GAMMA mesh route) for the same host, and which of the two the sidecars
of each namespace of the input use. A sidecar takes one VirtualService per host, the first in
istiod's order (`SelectVirtualServices`, `pilot/pkg/model/virtualservice.go`): private to the
client's namespace, then exported to it, then public; within each, Gateway API routes of the
client's own namespace first, then the oldest. A producer route (in the Service's namespace)
applies to every client, a consumer route only to clients in its own namespace.

The finding is at the VirtualService's host, with the route's parentRef as the related location,
and names the namespaces where each one wins. A mesh route whose parentRef names a `port` takes
the host on that port only: the verdict is for that port, and the VirtualService keeps the others
(the route's rules do not hold there, so the host is not taken).

## Why it matters
The rules of the one that loses are silently ignored for those clients: the canary split of the
VirtualService, or the header match of the route, does nothing. Which one wins depends on the
client's namespace and on creation times.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [cart]
  http:
  - route: [{destination: {host: cart, subset: v1}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cart-canary, namespace: shop, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  parentRefs:
  - {group: "", kind: Service, name: cart}
  rules:
  - backendRefs: [{name: cart, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  ports: [{name: http, port: 8080}]
```

## Fix
Route the Service with one API: move the VirtualService's rules into the HTTPRoute, or delete the
route.
"#,
};

pub struct Check;

/// The client namespaces where the route wins, and where the VirtualService wins.
type Verdict<'n> = (Vec<&'n str>, Vec<&'n str>);

/// Whether an entry is a Gateway API mesh route.
fn mesh_route(e: &VsEntry) -> bool {
    e.gateway_api() && e.gateways.iter().any(|g| g == "mesh")
}

/// The port a mesh route's parentRef names (its translation puts it on every match), if any.
fn route_port(e: &VsEntry) -> Option<u32> {
    e.vs.spec.http.iter().flatten().flat_map(|r| r.match_.iter().flatten()).find_map(|m| m.port)
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let all = virtual_services(cx);
        let routed: BTreeSet<&str> =
            all.iter().filter(|e| mesh_route(e)).flat_map(|e| e.hosts.iter().map(String::as_str)).collect();
        if routed.is_empty() {
            return;
        }
        let default_ns = cx.options.default_namespace.as_str();
        let clients: BTreeSet<&str> = cx.objects.iter().map(|o| o.namespace_or(default_ns)).collect();
        // (VirtualService object, host, route object, route port) → the client namespaces where
        // each wins.
        let mut verdicts: BTreeMap<(usize, String, usize, Option<u32>), Verdict> = BTreeMap::new();
        for &ns in &clients {
            // The entries that claim each routed host, in the sidecar's order.
            let mut by_host: BTreeMap<&str, Vec<&VsEntry>> = BTreeMap::new();
            for e in virtual_services_for(all, "mesh", ns) {
                for h in e.hosts.iter().filter(|h| routed.contains(h.as_str())) {
                    by_host.entry(h.as_str()).or_default().push(e);
                }
            }
            for (host, claims) in by_host {
                let Some(first) = claims.first() else { continue };
                let route_wins = first.gateway_api();
                let vss = claims.iter().filter(|e| !e.gateway_api());
                let routes: Vec<(usize, Option<u32>)> = claims
                    .iter()
                    .filter(|e| mesh_route(e))
                    .flat_map(|e| e.translated.iter().map(move |o| (o.obj, route_port(e))))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                for vs in vss {
                    for &(r, port) in &routes {
                        let v = verdicts.entry((vs.obj, host.to_string(), r, port)).or_default();
                        let side = if route_wins { &mut v.0 } else { &mut v.1 };
                        if !side.contains(&ns) {
                            side.push(ns);
                        }
                    }
                }
            }
        }
        for ((vs, host, route, port), (route_wins, vs_wins)) in verdicts {
            let obj = &cx.objects[vs];
            let robj = &cx.objects[route];
            let vs_ns = obj.namespace_or(default_ns);
            let route_name =
                format!("{} {}/{}", robj.kind, robj.namespace_or(default_ns), robj.name.as_deref().unwrap_or(""));
            let vs_name = format!("{vs_ns}/{}", obj.name.as_deref().unwrap_or(""));
            let mut said = Vec::new();
            if !route_wins.is_empty() {
                said.push(format!(
                    "sidecars in {} use the route and ignore this VirtualService",
                    route_wins.join(", ")
                ));
            }
            if !vs_wins.is_empty() {
                said.push(format!("sidecars in {} use this VirtualService and ignore the route", vs_wins.join(", ")));
            }
            if port.is_some() && !route_wins.is_empty() {
                said.push("on its other ports the VirtualService applies".into());
            }
            let k = host_index(cx, vs, vs_ns, &host);
            let parent = parent_index(cx, route, &host);
            out.push(
                cx.at(
                    &META,
                    obj,
                    &format!("/spec/hosts/{k}"),
                    format!(
                        "VirtualService {vs_name} and the mesh route {route_name} both route `{host}`{}: {} (a \
                         sidecar takes one VirtualService per host)",
                        port.map(|p| format!(" on port {p}")).unwrap_or_default(),
                        said.join("; ")
                    ),
                )
                .label("also routed by a Gateway API route")
                .related(
                    cx.span(robj, &format!("/spec/parentRefs/{parent}")),
                    Some(robj.pointer(&format!("/spec/parentRefs/{parent}"))),
                    "the route's parent Service",
                )
                .help("route the Service with one API: move the VirtualService's rules into the route, or delete one"),
            );
        }
    }
}

/// The index of the VirtualService host that is `host`.
fn host_index(cx: &Context, i: usize, ns: &str, host: &str) -> usize {
    let Some(Ok(Typed::VirtualService(vs))) = &cx.typed[i] else { return 0 };
    vs.spec.hosts.iter().flatten().position(|h| hosts::fqdn(h, ns).eq_ignore_ascii_case(host)).unwrap_or(0)
}

/// The index of the route's parentRef that names the Service of `host`.
fn parent_index(cx: &Context, i: usize, host: &str) -> usize {
    let refs = match &cx.typed[i] {
        Some(Ok(Typed::HTTPRoute(r))) => r.spec.parent_refs.as_deref(),
        Some(Ok(Typed::GRPCRoute(r))) => r.spec.parent_refs.as_deref(),
        _ => None,
    };
    let ns = cx.objects[i].namespace_or(&cx.options.default_namespace);
    refs.unwrap_or_default()
        .iter()
        .position(|p| {
            p.kind.as_deref() == Some("Service") && {
                let pns = p.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(ns);
                let name = p.name.as_deref().unwrap_or_default();
                host == format!("{name}.{pns}.{}", hosts::CLUSTER_SUFFIX)
            }
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_host() {
        let f = findings(&docs_example(&super::META), "MESH0227");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 5);
        assert!(f[0].1.contains("sidecars in shop use the route and ignore this VirtualService"), "{f:?}");
    }

    #[test]
    fn a_private_virtual_service_comes_first() {
        let yaml = docs_example(&super::META).replace("  hosts: [cart]\n", "  hosts: [cart]\n  exportTo: [.]\n");
        let f = findings(&yaml, "MESH0227");
        assert!(
            f.len() == 1 && f[0].1.contains("sidecars in shop use this VirtualService and ignore the route"),
            "{f:?}"
        );
    }

    #[test]
    fn a_consumer_route_applies_to_its_own_namespace_only() {
        // The route moves to namespace web: clients in web use it; it does not apply to clients in
        // shop, which have the VirtualService alone.
        let yaml = docs_example(&super::META)
            .replace("{name: cart-canary, namespace: shop", "{name: cart-canary, namespace: web")
            .replace(
                "{group: \"\", kind: Service, name: cart}",
                "{group: \"\", kind: Service, name: cart, namespace: shop}",
            )
            .replace("[{name: cart, port: 8080}]", "[{name: cart, namespace: shop, port: 8080}]");
        let f = findings(&yaml, "MESH0227");
        assert!(
            f.len() == 1 && f[0].1.contains("sidecars in web use the route") && !f[0].1.contains("shop use"),
            "{f:?}"
        );
    }

    #[test]
    fn other_hosts_ports_and_gateway_virtual_services_are_not_reported() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("hosts: [cart]", "hosts: [checkout]"), "MESH0227").is_empty());
        assert!(
            findings(
                &example.replace("hosts: [cart]\n", "hosts: [cart]\n  gateways: [istio-system/public]\n"),
                "MESH0227"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_port_scoped_route_decides_its_port_only() {
        let port =
            docs_example(&super::META).replace("kind: Service, name: cart}", "kind: Service, name: cart, port: 8080}");
        let f = findings(&port, "MESH0227");
        assert!(
            f.len() == 1
                && f[0].1.contains("route `cart.shop.svc.cluster.local` on port 8080: sidecars in shop use the route and ignore this VirtualService")
                && f[0].1.contains("on its other ports the VirtualService applies"),
            "{f:?}"
        );
    }
}
