use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{DestinationRole, hosts, vs_destinations, vs_mesh_bound};
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0219",
    name: "destination-outside-sidecar-egress",
    severity: Severity::Warning,
    istio_code: None,
    summary: "Workloads can use a VirtualService whose destination their Sidecar's egress does not include",
    docs: r#"## What it finds
A Sidecar whose `egress` hosts include a VirtualService's host, but not the service that
VirtualService routes to, for workloads the Sidecar configures. Sidecar egress scoping decides which
services a proxy knows: hosts are `namespace/dnsName` (`*` any namespace, `.` the Sidecar's own,
`~` none), matched against the namespace of the VirtualService and of the destination service.

## Why it matters
The proxy gets the route but not the cluster it points at: requests from those workloads that take
the route fail with `503` (`NC`, no cluster), while the same request from other workloads works.

## Example
```yaml
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]      # shop's own services only
---
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http:
  - route:
    - destination: {host: cart.billing.svc.cluster.local}   # in billing: not in the egress scope
```

## Fix
Add the destination's namespace (or host) to the Sidecar's egress hosts, e.g. `billing/*`, or route
to a service the workloads can reach.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        // Each (Sidecar, client namespace) pair once: the proxies that Sidecar configures there.
        let clients: BTreeSet<(usize, &str)> = mesh
            .workloads
            .iter()
            .filter(|w| w.obj.is_some())
            .filter_map(|w| {
                let sc = mesh.sidecar_for(&w.namespace, w.labels)?;
                let k = mesh.sidecars.iter().position(|s| std::ptr::eq(s, sc))?;
                (!sc.sidecar.spec.egress.as_deref().unwrap_or_default().is_empty()).then_some((k, w.namespace.as_str()))
            })
            .collect();
        let mut seen = BTreeSet::new();
        for (k, client_ns) in clients {
            let sc = &mesh.sidecars[k];
            for &(i, vs) in &mesh.virtual_services {
                let obj = &cx.objects[i];
                let vs_ns = obj.namespace_or(mesh.default_namespace);
                let export_to = vs.spec.export_to.as_deref().unwrap_or(&mesh.config.default_virtual_service_export_to);
                if !vs_mesh_bound(vs) || !hosts::visible(export_to, vs_ns, client_ns) {
                    continue;
                }
                let in_scope =
                    vs.spec.hosts.iter().flatten().any(|h| mesh.egress_allows(sc, vs_ns, &hosts::fqdn(h, vs_ns)));
                if !in_scope {
                    continue;
                }
                for (ptr, dest, role) in vs_destinations(vs) {
                    let services = mesh.services_for(&dest.host, vs_ns);
                    if services.is_empty() || services.iter().any(|s| mesh.egress_allows(sc, &s.namespace, &s.host)) {
                        continue;
                    }
                    if !seen.insert((i, ptr.clone(), sc.obj)) {
                        continue;
                    }
                    let sobj = &cx.objects[sc.obj];
                    let what = if role == DestinationRole::Mirror { "mirror destination" } else { "destination" };
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &format!("{ptr}/host"),
                            format!(
                                "the {what} `{}` is outside the egress of Sidecar {}/{}: its workloads get this route but \
                                 no cluster for it (503 NC)",
                                services[0].host,
                                sc.namespace,
                                sobj.name.as_deref().unwrap_or("")
                            ),
                        )
                        .label("not in the Sidecar's egress hosts")
                        .related(cx.span(sobj, "/spec/egress"), None, "the egress hosts of the workloads' Sidecar")
                        .help(format!(
                            "add `{}/*` (or `{}/{}`) to the Sidecar's egress hosts",
                            services[0].namespace, services[0].namespace, services[0].host
                        )),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn found(yaml: &str) -> Vec<u32> {
        crate::lint::rules::findings(yaml, "MESH0219").into_iter().map(|(line, _)| line).collect()
    }

    const MESH: &str = "apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: billing}
spec: {selector: {app: cart}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress:
  - hosts: [EGRESS]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart]
  http:
  - route:
    - destination: {host: cart.billing.svc.cluster.local}
";

    #[test]
    fn destination_outside_the_egress_scope() {
        assert_eq!(found(&MESH.replace("EGRESS", "\"./*\"")), vec![30]);
    }

    #[test]
    fn destination_inside_the_scope_or_route_not_visible() {
        assert_eq!(found(&MESH.replace("EGRESS", "\"./*\", \"billing/*\"")), Vec::<u32>::new());
        // The VirtualService's host itself is out of scope: the workloads never get the route.
        assert_eq!(found(&MESH.replace("EGRESS", "\"istio-system/*\"")), Vec::<u32>::new());
        assert_eq!(found(&MESH.replace("EGRESS", "\"*/*\"")), Vec::<u32>::new());
    }
}
