use super::service_port_name::{checked, suggestion, unclear_ports};
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::core::ServiceType;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0602",
    name: "externalname-port-name",
    severity: Severity::Warning,
    istio_code: Some("IST0150"),
    summary: "An ExternalName Service port is named `tcp` or names no protocol Istio knows",
    docs: r#"## What it finds
A port of a Service of type `ExternalName` that is named exactly `tcp`, or whose protocol Istio
cannot tell from its name or `appProtocol` (see `service-port-name`). Services Istio skips in
`istioctl analyze` (its own, managed gateways, system namespaces) are skipped here too.

## Why it matters
Istio turns an ExternalName Service into a DNS-resolved cluster. For plain TCP ports it has no
destination address to match on, so the sidecar may refuse to forward the traffic or send
unmatched TCP traffic elsewhere; only ports with a named application protocol route by host.

## Example
```yaml
kind: Service
spec:
  type: ExternalName
  externalName: db.example.com
  ports:
  - name: tcp
    port: 5432
```

## Fix
Name the port after its application protocol (`http`, `https`, `tls-db`), or use a ServiceEntry
with `resolution: DNS` for the external host.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for (obj, t) in cx.typed_objects() {
            let Typed::Service(svc) = t else { continue };
            let external = svc.spec.as_ref().and_then(|s| s.type_) == Some(ServiceType::ExternalName);
            if !external || !checked(obj.namespace_or(mesh.default_namespace), svc) {
                continue;
            }
            for (i, p) in unclear_ports(svc) {
                let name = p.name.as_deref();
                let ptr = if name.is_some() { format!("/spec/ports/{i}/name") } else { format!("/spec/ports/{i}") };
                let what = match name {
                    Some("tcp") => "is named `tcp`".to_string(),
                    Some(n) => format!("is named `{n}`, which names no protocol Istio knows"),
                    None => "has no name".to_string(),
                };
                let near = name.filter(|n| *n != "tcp").and_then(suggestion);
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &ptr,
                        format!(
                            "port {} of ExternalName Service {what}: the sidecar may not forward its TCP traffic",
                            p.port
                        ),
                    )
                    .label("unroutable on an ExternalName Service");
                d = d.help(match near {
                    Some(s) => format!("did you mean `{s}`? Name the port after its application protocol"),
                    None => "name the port after its application protocol (`http`, `https`, `tls-…`), or use a \
                             ServiceEntry with `resolution: DNS`"
                        .to_string(),
                });
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const SVC: &str = "apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  type: ExternalName
  externalName: db.example.com
  ports:
  - name: PORTNAME
    port: 5432
";

    #[test]
    fn reports_tcp_and_unknown_names() {
        for name in ["tcp", "postgres"] {
            let out = run(&SVC.replace("PORTNAME", name));
            let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0602").collect();
            assert_eq!(d.len(), 1, "{name}: {:?}", out.diagnostics);
            assert_eq!(out.sources.location(d[0].primary.span).line, 9);
            assert!(out.diagnostics.iter().all(|d| d.code != "MESH0601"), "{:?}", out.diagnostics);
        }
    }

    #[test]
    fn application_protocols_are_fine() {
        for name in ["https", "tls-db", "tcp-db"] {
            let out = run(&SVC.replace("PORTNAME", name));
            assert!(out.diagnostics.iter().all(|d| d.code != "MESH0602"), "{name}: {:?}", out.diagnostics);
        }
    }
}
