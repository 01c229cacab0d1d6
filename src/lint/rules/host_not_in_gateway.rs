use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{GatewayTarget, MESH_GATEWAY, Mesh, hosts, vs_gateway_refs};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0204",
    name: "host-not-in-gateway",
    severity: Severity::Warning,
    istio_code: Some("IST0132"),
    summary: "None of a VirtualService's hosts is exposed by a gateway it is bound to",
    docs: r#"## What it finds
A gateway a VirtualService is bound to (top-level `gateways` or a `match`) whose servers expose
none of the VirtualService's `hosts`. A server host `ns/host` exposes `host` only to
VirtualServices in namespace `ns`, `./host` only to those in the Gateway's namespace, `*/host` and
a plain `host` to all; wildcards match as in Istio (`*.example.com` covers `a.example.com`, not
`example.com`). A short VirtualService host counts both as written and as its
`.svc.cluster.local` name. For a Gateway API Gateway, the listeners' `hostname`s count, and a
listener without one exposes every host. A Gateway without servers exposes nothing. Kustomize
patches (`$patch: …`) are not gateway definitions and are not checked.

References to gateways that do not exist are reported by `unknown-gateway` (MESH0203) only;
`istioctl analyze` also reports IST0132 for them.

## Why it matters
The gateway serves no host of the VirtualService, so the binding has no effect: requests for those
hosts at that gateway get `404` (no matching virtual host).

## Example
```yaml
kind: Gateway
spec:
  servers:
  - hosts: ["*.shop.example.com"]
---
kind: VirtualService
spec:
  hosts: [shop.example.com]       # not covered by *.shop.example.com
  gateways: [shop-gateway]
```

## Fix
Add the host to a server of the Gateway (with a namespace prefix that includes the
VirtualService's namespace), or correct the VirtualService's hosts or its gateway.
"#,
};

pub struct Check;

/// The host patterns a gateway exposes to VirtualServices in `vs_ns`, and those it exposes only to
/// other namespaces.
fn exposed(cx: &Context, mesh: &Mesh, target: GatewayTarget, vs_ns: &str) -> (Vec<String>, Vec<String>) {
    let (mut here, mut elsewhere) = (Vec::new(), Vec::new());
    match target {
        GatewayTarget::Istio(g) => {
            let obj = &cx.objects[g];
            let Some(Ok(Typed::Gateway(gw))) = &cx.typed[g] else { return (here, elsewhere) };
            let gw_ns = obj.namespace_or(mesh.default_namespace);
            for h in gw.spec.servers.iter().flatten().flat_map(|s| &s.hosts) {
                match hosts::server_host(h, gw_ns) {
                    (Some(ns), host) if ns != vs_ns => elsewhere.push(format!("{ns}/{host}")),
                    (_, host) => here.push(host.to_string()),
                }
            }
        }
        GatewayTarget::Kubernetes(g) => {
            let listeners = cx.value(&cx.objects[g]).pointer("/spec/listeners").and_then(|l| l.as_array());
            for l in listeners.into_iter().flatten() {
                match l.get("hostname").and_then(|h| h.as_str()) {
                    Some(h) if !h.is_empty() => here.push(h.to_string()),
                    _ => here.push("*".to_string()),
                }
            }
        }
    }
    (here, elsewhere)
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for &(i, vs) in &mesh.virtual_services {
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace);
            let vs_hosts = vs.spec.hosts.as_deref().unwrap_or_default();
            if vs_hosts.is_empty() {
                continue;
            }
            let candidates: Vec<String> =
                vs_hosts.iter().flat_map(|h| [h.clone(), hosts::fqdn(h, ns)]).collect::<Vec<_>>();
            let mut seen = Vec::new();
            for (ptr, g) in vs_gateway_refs(vs) {
                if g == MESH_GATEWAY || hosts::internal_gateway_ref(g) {
                    continue;
                }
                let Some(target) = mesh.gateway_target(g, ns) else { continue };
                let (GatewayTarget::Istio(g_obj) | GatewayTarget::Kubernetes(g_obj)) = target;
                // A kustomize patch (`$patch: delete`) is not the gateway's definition.
                if cx.value(&cx.objects[g_obj]).get("$patch").is_some() {
                    continue;
                }
                if seen.contains(&target) {
                    continue;
                }
                seen.push(target);
                let (here, elsewhere) = exposed(cx, mesh, target, ns);
                if here.iter().any(|gh| candidates.iter().any(|vh| hosts::matches(gh, vh))) {
                    continue;
                }
                let gobj = &cx.objects[g_obj];
                let gname =
                    format!("{}/{}", gobj.namespace_or(mesh.default_namespace), gobj.name.as_deref().unwrap_or(""));
                let list = vs_hosts.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &ptr,
                        format!("Gateway {gname} exposes none of the hosts {list} of this VirtualService"),
                    )
                    .label("host not served by this gateway");
                let (rel, msg) = match (target, here.is_empty() && elsewhere.is_empty()) {
                    (GatewayTarget::Istio(_), true) => {
                        ("/spec", "this Gateway has no servers: it exposes nothing".to_string())
                    }
                    (GatewayTarget::Kubernetes(_), true) => {
                        ("/spec", "this Gateway has no listeners: it exposes nothing".to_string())
                    }
                    (GatewayTarget::Istio(_), false) => {
                        ("/spec/servers", format!("its servers expose {}", shown(&here, &elsewhere)))
                    }
                    (GatewayTarget::Kubernetes(_), false) => {
                        ("/spec/listeners", format!("its listeners expose {}", shown(&here, &elsewhere)))
                    }
                };
                d = d.related(cx.span(gobj, rel), None, msg);
                let help = if elsewhere
                    .iter()
                    .any(|e| e.split_once('/').is_some_and(|(_, h)| candidates.iter().any(|vh| hosts::matches(h, vh))))
                {
                    format!(
                        "the Gateway exposes the host only to VirtualServices in other namespaces; add `{ns}/<host>` (or `*/<host>`) to its server hosts"
                    )
                } else {
                    "add the host to a server of the Gateway, or correct the VirtualService's hosts or gateways"
                        .to_string()
                };
                out.push(d.help(help));
            }
        }
    }
}

fn shown(here: &[String], elsewhere: &[String]) -> String {
    let mut parts: Vec<String> = here.iter().map(|h| format!("`{h}`")).collect();
    parts.extend(elsewhere.iter().map(|h| format!("`{h}` (to that namespace only)")));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(server_host: &str, vs_ns: &str, vs_host: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: ['{server_host}']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: {vs_ns}}}
spec:
  hosts: ['{vs_host}']
  gateways: [istio-system/gw]
  http:
  - route:
    - destination: {{host: reviews.prod.svc.cluster.local}}
"
        )
    }

    #[test]
    fn wildcard_does_not_cover_its_apex() {
        let f = findings(&input("*.shop.com", "prod", "shop.com"), "MESH0204");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 15);
        assert!(f[0].1.contains("istio-system/gw"), "{}", f[0].1);
    }

    #[test]
    fn namespace_scoped_server_hosts() {
        assert_eq!(findings(&input("./shop.com", "prod", "shop.com"), "MESH0204").len(), 1);
        assert!(findings(&input("./shop.com", "istio-system", "shop.com"), "MESH0204").is_empty());
        assert!(findings(&input("prod/shop.com", "prod", "shop.com"), "MESH0204").is_empty());
        assert!(findings(&input("*/shop.com", "prod", "shop.com"), "MESH0204").is_empty());
        assert!(findings(&input("*/*", "prod", "shop.com"), "MESH0204").is_empty());
        assert!(findings(&input("*.shop.com", "prod", "a.shop.com"), "MESH0204").is_empty());
    }

    #[test]
    fn kustomize_patches_are_not_checked() {
        let yaml = input("x", "prod", "shop.com").replace("kind: Gateway\n", "kind: Gateway\n$patch: delete\n");
        assert!(findings(&yaml, "MESH0204").is_empty());
    }

    #[test]
    fn gateway_without_servers_exposes_nothing() {
        let yaml = input("x", "prod", "shop.com")
            .replace("  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: ['x']\n", "");
        assert_eq!(findings(&yaml, "MESH0204").len(), 1);
    }
}
