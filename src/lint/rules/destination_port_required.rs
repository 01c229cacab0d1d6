use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{MESH_GATEWAY, ServiceSource, hosts, vs_destinations};
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0206",
    name: "destination-port-required",
    severity: Severity::Error,
    istio_code: Some("IST0112"),
    summary: "A destination without a port routes to a service that exposes several ports",
    docs: r#"## What it finds
A VirtualService destination without `port` whose host is a Service or ServiceEntry exposing more
than one port, where the proxy cannot infer the port. A sidecar infers it when the destination is
one of the VirtualService's own hosts (the request arrives on a port of that service); a gateway,
or a route to another host, cannot. So the destination is reported when the VirtualService is
bound to a gateway, or when its host is not one of the VirtualService's hosts. `istioctl
analyze` (IST0112) reports every such destination, including the ones a sidecar resolves. The
default ingress gateway Service that meshctl only assumes is not checked.

## Why it matters
Without a port, Istio uses the port the request arrived on; when the service has no such port
there is no cluster and the request gets `503` (`NC`).

## Example
```yaml
http:
- route:
  - destination:
      host: reviews       # Service reviews has ports 9080 and 9443
```

## Fix
Add `port: {number: …}` to the destination.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for &(i, vs) in &mesh.virtual_services {
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace);
            let gateway_bound = vs.spec.gateways.as_ref().is_some_and(|g| g.iter().any(|g| g != MESH_GATEWAY));
            let own: Vec<String> = vs.spec.hosts.iter().flatten().map(|h| hosts::fqdn(h, ns)).collect();
            for (ptr, dest, _) in vs_destinations(vs) {
                if dest.port.is_some() || dest.host.is_empty() {
                    continue;
                }
                let fqdn = hosts::fqdn(&dest.host, ns);
                if !gateway_bound && own.contains(&fqdn) {
                    continue;
                }
                let services = mesh.services_for(&dest.host, ns);
                if services.is_empty()
                    || services.iter().any(|s| s.ports.len() <= 1 || s.source == ServiceSource::Implicit)
                {
                    continue;
                }
                let ports: BTreeSet<u32> = services.iter().flat_map(|s| s.ports.iter().map(|p| p.number)).collect();
                let list = ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &ptr,
                        format!("destination `{}` names no port, and the service exposes ports {list}", dest.host),
                    )
                    .label("port required");
                if let Some(o) = services[0].obj {
                    d = d.related(cx.span(&cx.objects[o], "/metadata/name"), None, format!("exposes ports {list}"));
                }
                let first = ports.iter().next().copied().unwrap_or_default();
                out.push(d.help(format!("add the port to the destination: `port: {{number: {first}}}`")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(vs_hosts: &str, dest: &str) -> String {
        format!(
            "apiVersion: v1
kind: Service
metadata: {{name: reviews, namespace: prod}}
spec:
  ports: [{{port: 9080, name: http}}, {{port: 9443, name: https}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: prod}}
spec:
  hosts: [{vs_hosts}]
  http:
  - route:
    - destination: {dest}
"
        )
    }

    #[test]
    fn reports_a_route_to_another_host() {
        let f = findings(&input("front", "{host: reviews}"), "MESH0206");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 14);
        assert!(f[0].1.contains("9080, 9443"), "{}", f[0].1);
    }

    #[test]
    fn port_given_or_inferred_by_the_sidecar() {
        assert!(findings(&input("front", "{host: reviews, port: {number: 9080}}"), "MESH0206").is_empty());
        assert!(findings(&input("reviews", "{host: reviews}"), "MESH0206").is_empty());
    }
}
