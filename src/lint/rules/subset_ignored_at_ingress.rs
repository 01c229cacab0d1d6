use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{MESH_GATEWAY, hosts, vs_mesh_bound};
use std::collections::HashMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0208",
    name: "subset-ignored-at-ingress",
    severity: Severity::Warning,
    istio_code: Some("IST0140"),
    summary: "A gateway route bypasses the subset routing a mesh VirtualService defines for its destination",
    docs: r#"## What it finds
A VirtualService bound to a gateway that routes to a host without a `subset`, while another
VirtualService that applies to the sidecars (no `gateways`, or `mesh` among them) declares that
host in its `hosts` and routes it to a subset. Hosts compare as Istio resolves them (short names
in each VirtualService's namespace).

`istioctl analyze` (IST0140) compares the host strings literally and also reports VirtualServices
bound only to `mesh`; meshctl reports only gateway-bound ones, where the bypass happens.

## Why it matters
A gateway applies only the VirtualServices bound to it: requests entering through the gateway go
straight to all endpoints of the host, and the subset routing (canary, version pinning) of the
mesh VirtualService does not apply to them.

## Example
```yaml
kind: VirtualService
metadata: {name: ingress}
spec:
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: ratings}      # every version, not only v1
---
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
```

## Fix
Give the gateway route the same subset (or the same weighted split), or make the gateway
VirtualService delegate to the mesh one.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        // Mesh VirtualServices that route one of their own hosts to a subset: (object, host FQDN, pointer).
        let mut subset_routes: Vec<(usize, String, String)> = Vec::new();
        for &(i, vs) in mesh.virtual_services.iter().filter(|(_, vs)| vs_mesh_bound(vs)) {
            let ns = cx.objects[i].namespace_or(mesh.default_namespace);
            let own: Vec<String> = vs.spec.hosts.iter().flatten().map(|h| hosts::fqdn(h, ns)).collect();
            // This VirtualService's entries so far: the first route per host counts.
            let here = subset_routes.len();
            for (k, h) in vs.spec.http.iter().flatten().enumerate() {
                for (j, r) in h.route.iter().flatten().enumerate() {
                    let fqdn = hosts::fqdn(&r.destination.host, ns);
                    let has_subset = r.destination.subset.as_deref().is_some_and(|s| !s.is_empty());
                    if has_subset && own.contains(&fqdn) && !subset_routes[here..].iter().any(|(_, f, _)| *f == fqdn) {
                        subset_routes.push((i, fqdn, format!("/spec/http/{k}/route/{j}/destination/subset")));
                    }
                }
            }
        }
        let mut by_host: HashMap<&str, Vec<usize>> = HashMap::new();
        for (p, (_, fqdn, _)) in subset_routes.iter().enumerate() {
            by_host.entry(fqdn.as_str()).or_default().push(p);
        }
        for &(i, vs) in &mesh.virtual_services {
            if !vs.spec.gateways.iter().flatten().any(|g| g != MESH_GATEWAY) {
                continue;
            }
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace);
            for (k, h) in vs.spec.http.iter().flatten().enumerate() {
                for (j, r) in h.route.iter().flatten().enumerate() {
                    if r.destination.subset.as_deref().is_some_and(|s| !s.is_empty()) || r.destination.host.is_empty() {
                        continue;
                    }
                    let fqdn = hosts::fqdn(&r.destination.host, ns);
                    let same_host = by_host.get(fqdn.as_str()).into_iter().flatten().map(|p| &subset_routes[*p]);
                    for (o, _, ptr) in same_host.filter(|(o, _, _)| *o != i) {
                        let other = &cx.objects[*o];
                        let other_name = format!(
                            "{}/{}",
                            other.namespace_or(mesh.default_namespace),
                            other.name.as_deref().unwrap_or("")
                        );
                        out.push(
                            cx.at(
                                &META,
                                obj,
                                &format!("/spec/http/{k}/route/{j}/destination"),
                                format!(
                                    "gateway traffic to `{}` takes no subset, bypassing the subset routing of VirtualService {other_name}",
                                    r.destination.host
                                ),
                            )
                            .label("no subset")
                            .related(cx.span(other, ptr), None, "subset routing that applies to sidecars only")
                            .help("route gateway traffic to the same subset (or split) as the mesh VirtualService"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(gateway_dest: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: ingress, namespace: prod}}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {gateway_dest}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: ratings, namespace: prod}}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {{host: ratings, subset: v1}}
"
        )
    }

    #[test]
    fn reports_a_gateway_route_without_the_subset() {
        let f = findings(&input("{host: ratings.prod.svc.cluster.local}"), "MESH0208");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 9);
        assert!(f[0].1.contains("prod/ratings"), "{}", f[0].1);
    }

    #[test]
    fn gateway_routes_with_a_subset_pass() {
        assert!(findings(&input("{host: ratings, subset: v1}"), "MESH0208").is_empty());
        assert!(findings(&input("{host: reviews}"), "MESH0208").is_empty());
    }
}
