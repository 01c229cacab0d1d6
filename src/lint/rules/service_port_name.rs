use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{PORT_NAME_PROTOCOLS, ignored_namespace, nearest, service_port_protocol};
use crate::model::Typed;
use crate::model::core::{PortProtocol, Service, ServicePort, ServiceType};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0601",
    name: "service-port-name",
    severity: Severity::Info,
    istio_code: Some("IST0118"),
    summary: "A Service port's name does not tell Istio its protocol, and it has no appProtocol",
    docs: r#"## What it finds
A port of a Service (not of type ExternalName) whose protocol Istio cannot tell: no
`appProtocol`, and a name that is not `<protocol>` or `<protocol>-<suffix>` with a protocol Istio
knows (`http`, `http2`, `https`, `grpc`, `grpc-web`, `tcp`, `tls`, `udp`, `mongo`, `mysql`,
`redis`, `http_proxy`; case-insensitive), or an `appProtocol` it does not know. UDP ports and the
well-known ports 25, 53, 3306 and 27017 are exempt. Istio's own Services (label `istio` or
`release: istio`), Services of managed gateways and waypoints, and Services in the namespaces
Istio never injects (`kube-system`, `kube-public`, `kube-node-lease`, `local-path-storage`) are
not checked, as in `istioctl analyze`.

## Why it matters
Istio falls back to protocol sniffing: HTTP features (routing on headers and paths, retries, HTTP
metrics) only work when sniffing recognises the traffic, server-first protocols (MySQL, SMTP)
stall for the sniffing timeout, and the protocol can differ between clients.

## Example
```yaml
kind: Service
spec:
  ports:
  - name: web          # Istio reads no protocol from "web"
    port: 8080
```

## Fix
Name the port after its protocol (`http-web`, `grpc`, `tcp-db`), or set `appProtocol: http`.
"#,
};

pub struct Check;

/// Whether `istioctl analyze` looks at the Service's ports at all.
pub(crate) fn checked(ns: &str, svc: &Service) -> bool {
    let labels = svc.metadata.labels.clone().unwrap_or_default();
    let managed = labels.get("gateway.istio.io/managed").map(String::as_str);
    !ignored_namespace(ns)
        && !labels.contains_key("istio")
        && labels.get("release").map(String::as_str) != Some("istio")
        && !matches!(
            managed,
            Some("istio.io-gateway-controller" | "istio.io-mesh-controller" | "istio.io-eastwest-controller")
        )
}

/// The ports of a checked Service whose protocol Istio cannot tell, with their index. An
/// ExternalName Service's `tcp` port is included (Istio forwards it as opaque TCP to nothing).
pub(crate) fn unclear_ports(svc: &Service) -> Vec<(usize, &ServicePort)> {
    let external = svc.spec.as_ref().and_then(|s| s.type_) == Some(ServiceType::ExternalName);
    svc.spec
        .as_ref()
        .and_then(|s| s.ports.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, p)| {
            let name = p.name.as_deref().unwrap_or("");
            let udp = p.protocol == Some(PortProtocol::Udp);
            service_port_protocol(p.port, name, udp, p.app_protocol.as_deref()).is_none() || (external && name == "tcp")
        })
        .collect()
}

/// The name the port likely meant: `htpp-web` → `http-web`.
pub(crate) fn suggestion(name: &str) -> Option<String> {
    let (prefix, rest) = match name.split_once('-') {
        Some((p, r)) => (p, format!("-{r}")),
        None => (name, String::new()),
    };
    let near = nearest(&prefix.to_ascii_lowercase(), PORT_NAME_PROTOCOLS.iter().copied());
    near.first().map(|p| format!("{p}{rest}"))
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for (obj, t) in cx.typed_objects() {
            let Typed::Service(svc) = t else { continue };
            let external = svc.spec.as_ref().and_then(|s| s.type_) == Some(ServiceType::ExternalName);
            if external || !checked(obj.namespace_or(mesh.default_namespace), svc) {
                continue;
            }
            for (i, p) in unclear_ports(svc) {
                let target = p.target_port.as_ref().map_or_else(|| p.port.to_string(), |t| t.to_string());
                let (ptr, what) = match (&p.name, &p.app_protocol) {
                    (_, Some(a)) => (format!("/spec/ports/{i}/appProtocol"), format!("appProtocol `{a}`")),
                    (Some(n), None) => (format!("/spec/ports/{i}/name"), format!("name `{n}`")),
                    (None, None) => (format!("/spec/ports/{i}"), "no name".to_string()),
                };
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &ptr,
                        format!(
                            "Service port {} (targetPort {target}) has {what}: Istio cannot tell its protocol and \
                             sniffs it",
                            p.port
                        ),
                    )
                    .label("protocol unknown to Istio");
                let fix = match p.name.as_deref().filter(|_| p.app_protocol.is_none()).and_then(suggestion) {
                    Some(s) => format!("did you mean `{s}`? Otherwise "),
                    None => String::new(),
                };
                d = d.help(format!(
                    "{fix}name the port `<protocol>[-<suffix>]` (`http-web`, `grpc`, `tcp-db`) or set `appProtocol` \
                     (`http`, `grpc`, `tcp`, …)"
                ));
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
  name: web
  namespace: NS
spec:
  selector: {app: web}
  ports:
  - name: http-web
    port: 80
  - name: PORTNAME
    port: 8080
  - port: 53
    name: dns
  - port: 9000
    name: metrics
    protocol: UDP
  - port: 9001
    name: x
    appProtocol: grpc
";

    #[test]
    fn reports_a_port_name_without_a_protocol() {
        let out = run(&SVC.replace("NS", "default").replace("PORTNAME", "htpp-api"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0601").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 11);
        assert!(d[0].message.contains("port 8080 (targetPort 8080) has name `htpp-api`"), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap_or("").contains("`http-api`"), "{:?}", d[0].help);
    }

    #[test]
    fn conventional_names_and_system_namespaces_are_fine() {
        for (ns, name) in [("default", "GRPC-api"), ("default", "tcp"), ("kube-system", "metrics")] {
            let out = run(&SVC.replace("NS", ns).replace("PORTNAME", name));
            assert!(out.diagnostics.iter().all(|d| d.code != "MESH0601"), "{name}: {:?}", out.diagnostics);
        }
    }
}
