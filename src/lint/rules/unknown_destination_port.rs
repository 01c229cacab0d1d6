use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{ServiceSource, vs_destinations};
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0207",
    name: "unknown-destination-port",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A destination port is not a port of the destination's service",
    docs: r#"## What it finds
A VirtualService destination (route, `mirror`, `mirrors`) whose `port.number` is not a port of the
Service or ServiceEntry its host resolves to. A ServiceEntry that declares no ports accepts any
port, so it is never reported; neither is a host no service defines (that is
`unknown-destination-host`, MESH0201), nor the default ingress gateway Service that meshctl only
assumes (its real ports are not known).

## Why it matters
Istio names clusters by service and port: there is no cluster for this port, so requests that
take the route get `503` (`NC`).

## Example
```yaml
http:
- route:
  - destination:
      host: reviews
      port: {number: 8080}    # Service reviews exposes 9080
```

## Fix
Use a port the service exposes (the Service's `port`, not its `targetPort`), or add the port to
the service.
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
            for (ptr, dest, _) in vs_destinations(vs) {
                let Some(number) = dest.port.as_ref().and_then(|p| p.number) else { continue };
                let services = mesh.services_for(&dest.host, ns);
                if services.is_empty()
                    || services.iter().any(|s| s.ports.is_empty() || s.source == ServiceSource::Implicit)
                {
                    continue;
                }
                if services.iter().any(|s| s.ports.iter().any(|p| p.number == number)) {
                    continue;
                }
                let ports: BTreeSet<u32> = services.iter().flat_map(|s| s.ports.iter().map(|p| p.number)).collect();
                let list = ports.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                let by_target = services
                    .iter()
                    .flat_map(|s| &s.ports)
                    .find(|p| p.target_port.as_deref() == Some(number.to_string().as_str()));
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &format!("{ptr}/port/number"),
                        format!("port {number} is not a port of `{}`, which exposes {list}", dest.host),
                    )
                    .label("no such port");
                if let Some(o) = services[0].obj {
                    d = d.related(cx.span(&cx.objects[o], "/metadata/name"), None, format!("exposes ports {list}"));
                }
                d = d.help(match by_target {
                    Some(p) => format!(
                        "{number} is the targetPort of service port {}; destinations name the service port",
                        p.number
                    ),
                    None => format!("use one of the service's ports: {list}"),
                });
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(port: u32) -> String {
        format!(
            "apiVersion: v1
kind: Service
metadata: {{name: reviews, namespace: prod}}
spec:
  ports: [{{port: 9080, name: http, targetPort: 8080}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: ext, namespace: prod}}
spec:
  hosts: [api.example.com]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: prod}}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {{host: reviews, port: {{number: {port}}}}}
  - route:
    - destination: {{host: api.example.com, port: {{number: 8443}}}}
"
        )
    }

    #[test]
    fn reports_a_target_port_used_as_port() {
        let f = findings(&input(8080), "MESH0207");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 21);
        assert!(f[0].1.contains("port 8080"), "{}", f[0].1);
    }

    #[test]
    fn service_ports_and_portless_service_entries_pass() {
        assert!(findings(&input(9080), "MESH0207").is_empty());
    }
}
