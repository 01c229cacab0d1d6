use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{ServiceSource, Workload, hosts, selector_string};
use crate::model::Typed;
use crate::model::core::PodSpec;
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0212",
    name: "gateway-port-not-exposed",
    severity: Severity::Warning,
    istio_code: Some("IST0162"),
    summary: "A Gateway server listens on a port that no Service of its gateway workloads exposes",
    docs: r#"## What it finds
A Gateway server port that no Service in front of the gateway's workloads exposes. The Services
considered are those in a gateway workload's namespace whose selector selects it; only their TCP
ports count. The default ingress gateway that Istio's analysis assumes when the input does not
define it has no known Service: `istioctl analyze` gives it a dummy one with ports
80/443/31400/15443, but the installed one may expose anything (Istio's current Bookinfo Gateway
listens on 8080), so its gateways are not checked. A server
port passes when it is the `targetPort` of such a Service port, or a Service `port` that the
gateway translates to its `targetPort` (Istio binds the listener on the target port then). A
missing `targetPort` is the port itself.

Two differences from `istioctl analyze`, both towards runtime behaviour: a Service port without
`protocol` is TCP (Kubernetes' default; Istio's analyzer skips it), and a Service without a
selector selects nothing (Kubernetes gives it no endpoints). A named `targetPort` is resolved
against the workload's container ports; when it cannot be, the Gateway is not checked. Gateways
without a selector apply to every gateway and are not checked, nor are gateways whose workloads
no Service in the input selects (the Service is then usually defined elsewhere).

## Why it matters
The gateway proxy listens on the port, but no Service routes to it: clients outside the cluster
cannot reach the server, and the VirtualServices bound to it receive no traffic through the load
balancer.

## Example
```yaml
kind: Gateway
spec:
  selector: {istio: ingressgateway}     # Service istio-ingressgateway: 80, 443
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}   # not exposed
```

## Fix
Use a port the gateway Service exposes, or add the port to the Service (`port` and
`targetPort`).
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
            let Typed::Gateway(gw) = t else { continue };
            let Some(sel) = gw.spec.selector.as_ref().filter(|s| !s.is_empty()) else { continue };
            let workloads = mesh.gateway_workloads(gw);
            if workloads.is_empty() {
                continue;
            }
            // No Service at all: it is defined outside the input more often than missing.
            let Some(exposed) = exposed_ports(cx, &workloads).filter(|e| !e.services.is_empty()) else { continue };
            for (i, server) in gw.spec.servers.iter().flatten().enumerate() {
                let n = server.port.number;
                if n == 0 || exposed.targets.contains(&n) || exposed.translated.contains(&n) {
                    continue;
                }
                let sel = selector_string(sel);
                let mut d = {
                    let listed = exposed.services.iter().map(|(name, _, ports)| format!("`{name}` ({ports})"));
                    cx.at(
                        &META,
                        obj,
                        &format!("/spec/servers/{i}/port/number"),
                        format!(
                            "Gateway port {n} is not exposed by the Services of the gateway workloads (selector `{sel}`): {}",
                            listed.collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .help(format!(
                        "listen on a port the Service exposes ({}), or add port {n} to the Service",
                        exposed.ports_text()
                    ))
                };
                d = d.label("not in the gateway Service");
                for (_, o, _) in &exposed.services {
                    if let Some(o) = o {
                        d = d.related(cx.span(&cx.objects[*o], "/spec/ports"), None, "the gateway Service's ports");
                    }
                }
                out.push(d);
            }
        }
    }
}

/// The ports the Services of a gateway's workloads make reachable.
struct Exposed {
    /// The pod ports Services send to.
    targets: BTreeSet<u32>,
    /// Service ports with an explicit target port (the gateway listens on the target).
    translated: BTreeSet<u32>,
    /// (name, object, "80→8080, 443") per Service.
    services: Vec<(String, Option<usize>, String)>,
}

impl Exposed {
    fn ports_text(&self) -> String {
        self.translated.union(&self.targets).map(u32::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// `None` when a named target port cannot be resolved (the answer is unknown).
fn exposed_ports(cx: &Context, workloads: &[&Workload]) -> Option<Exposed> {
    let mesh = cx.mesh();
    let mut e = Exposed { targets: BTreeSet::new(), translated: BTreeSet::new(), services: Vec::new() };
    for w in workloads {
        // The implicit ingress Service's ports are a guess, not the input: they decide nothing.
        for s in mesh.services_selecting(w).into_iter().filter(|s| s.source != ServiceSource::Implicit) {
            let name = hosts::service_of(&s.host).map_or(s.host.as_str(), |(_, n)| n).to_string();
            if e.services.iter().any(|(n, o, _)| *n == name && *o == s.obj) {
                continue;
            }
            let mut shown = Vec::new();
            for p in s.ports.iter().filter(|p| p.protocol.as_deref().is_none_or(|x| x == "TCP")) {
                let target = match p.target_port.as_deref() {
                    None => None,
                    Some(t) => match t.parse::<u32>() {
                        Ok(0) => None,
                        Ok(n) => Some(n),
                        Err(_) => Some(named_port(cx, w, t)?),
                    },
                };
                match target {
                    Some(t) => {
                        e.targets.insert(t);
                        e.translated.insert(p.number);
                        shown.push(if t == p.number { p.number.to_string() } else { format!("{}→{t}", p.number) });
                    }
                    None => {
                        e.targets.insert(p.number);
                        shown.push(p.number.to_string());
                    }
                }
            }
            e.services.push((name, s.obj, shown.join(", ")));
        }
    }
    Some(e)
}

/// The container port named `name` in the workload's pod spec.
fn named_port(cx: &Context, w: &Workload, name: &str) -> Option<u32> {
    let t = cx.typed.get(w.obj?)?.as_ref()?.as_ref().ok()?;
    let spec: &PodSpec = match t {
        Typed::Pod(p) => p.spec.as_ref()?,
        Typed::Deployment(r) => r.spec.as_ref()?.template.spec.as_ref()?,
        Typed::StatefulSet(r) => r.spec.as_ref()?.template.spec.as_ref()?,
        Typed::DaemonSet(r) => r.spec.as_ref()?.template.spec.as_ref()?,
        _ => return None,
    };
    spec.containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name))
        .map(|p| p.container_port)
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    fn findings(yaml: &str) -> Vec<(u32, String)> {
        let mut s = Sources::default();
        s.add("t.yaml".into(), yaml.into());
        let out = lint_sources(s, &LintOptions::default());
        out.diagnostics
            .iter()
            .filter(|d| d.code == "MESH0212")
            .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
            .collect()
    }

    fn mesh(ports: &str, service_ports: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    app: my-gateway
  servers:{ports}
---
apiVersion: v1
kind: Pod
metadata:
  name: my-gateway-1
  labels: {{app: my-gateway}}
spec:
  containers:
  - name: istio-proxy
    ports:
    - {{name: http-alt, containerPort: 8081}}
---
apiVersion: v1
kind: Service
metadata:
  name: my-gateway
spec:
  selector: {{app: my-gateway}}
  ports:{service_ports}
"
        )
    }

    fn server(n: u32) -> String {
        format!("\n  - port: {{number: {n}, name: http-{n}, protocol: HTTP}}\n    hosts: ['*']")
    }

    #[test]
    fn a_port_the_service_does_not_expose() {
        let f = findings(&mesh(&(server(80) + &server(8004)), "\n  - {name: http, port: 80, targetPort: 8003}"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 11);
        assert!(f[0].1.contains("port 8004") && f[0].1.contains("`my-gateway` (80→8003)"), "{}", f[0].1);
    }

    #[test]
    fn target_ports_translated_ports_and_named_target_ports_pass() {
        let svc = "\n  - {name: http, port: 80, targetPort: 8003}\n  - {name: b, port: 90}\n  - {name: c, port: 91, targetPort: http-alt}";
        let ports = server(80) + &server(8003) + &server(90) + &server(8081) + &server(91);
        assert!(findings(&mesh(&ports, svc)).is_empty());
    }

    #[test]
    fn the_default_ingress_gateway_the_input_does_not_show_is_not_judged() {
        // Istio's samples/bookinfo/networking/bookinfo-gateway.yaml: port 8080 on the default
        // ingress gateway, whose Service the input does not hold.
        let bookinfo = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ['*']
";
        assert!(findings(bookinfo).is_empty());
        // With its Service in the input, it is.
        let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\n\
                   spec:\n  selector: {istio: ingressgateway}\n  ports: [{name: http2, port: 80, targetPort: 8081}]\n\
                   ---\napiVersion: v1\nkind: Pod\nmetadata: {name: gw, namespace: istio-system, labels: {istio: ingressgateway}}\n\
                   spec: {containers: [{name: istio-proxy}]}\n";
        let f = findings(&format!("{bookinfo}{svc}"));
        assert!(f.len() == 1 && f[0].1.contains("port 8080"), "{f:?}");
    }

    #[test]
    fn udp_ports_do_not_count_and_an_unresolved_named_port_is_not_judged() {
        let f = findings(&mesh(&server(53), "\n  - {name: dns, port: 53, protocol: UDP}"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(findings(&mesh(&server(53), "\n  - {name: x, port: 80, targetPort: nope}")).is_empty());
    }
}
