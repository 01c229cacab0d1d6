use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0517",
    name: "port-level-mtls-on-service-port",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A portLevelMtls key is a Service port, not the port the workload listens on",
    docs: r#"## What it finds
A PeerAuthentication `portLevelMtls` key that is a port of a Service in front of the selected
workloads whose `targetPort` is another number, while no Service maps a port to it as a workload
port. `portLevelMtls` is keyed by the workload's port (`peer_authentication.proto`;
istio/istio#49098, istio/api#3075): the Service's port is not one the sidecar receives on.

## Why it matters
The exception never applies: the port keeps the namespace's mode, and the plain-text callers it was
written for are refused (or, the other way round, the port is not locked down).

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin}}
    spec: {containers: [{name: httpbin, image: kennethreitz/httpbin, ports: [{containerPort: 8080}]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  mtls: {mode: STRICT}
  portLevelMtls:
    "8000": {mode: DISABLE}
```

## Fix
Key the entry by the workload port, the Service's `targetPort` (`"8080"` above).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        let mesh = cx.mesh();
        for p in &engine.peer {
            let Some(ports) = p.res.spec.port_level_mtls.as_ref().filter(|m| !m.is_empty()) else { continue };
            let workloads = super::reached(cx, &p.namespace, p.res.spec.selector.as_ref(), &[]);
            // (service port, workload port) of every Service port in front of the workloads.
            let mut pairs: Vec<(u32, u32, String)> = Vec::new();
            for w in &workloads {
                for s in mesh.services_selecting(w) {
                    for port in &s.ports {
                        let wport = crate::authz::workload_port(cx, port.target_port.as_deref(), Some(w), port.number);
                        pairs.push((port.number, wport, s.host.clone()));
                    }
                }
            }
            for key in ports.keys() {
                let Ok(n) = key.parse::<u32>() else { continue };
                if pairs.iter().any(|(_, wp, _)| *wp == n) {
                    continue;
                }
                let Some((sp, wp, host)) = pairs.iter().find(|(sp, wp, _)| *sp == n && *wp != n) else { continue };
                out.push(
                    cx.at(
                        &META,
                        &cx.objects[p.obj],
                        &format!("/spec/portLevelMtls/{}", crate::source::escape_segment(key)),
                        format!(
                            "PeerAuthentication {} sets port {key}, which is {host}'s Service port {sp}: the workload receives it on {wp}, and portLevelMtls is keyed by the workload port, so this entry never applies",
                            p.key()
                        ),
                    )
                    .label("a Service port")
                    .help(format!("key the entry by the workload port: \"{wp}\"")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0517");
        assert!(f.len() == 1 && f[0].1.contains("the workload receives it on 8080"), "{f:?}");
    }

    #[test]
    fn workload_ports_and_equal_ports() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("\"8000\": {mode", "\"8080\": {mode"), "MESH0517").is_empty());
        assert!(findings(&example.replace("port: 8000, targetPort: 8080", "port: 8000"), "MESH0517").is_empty());
        // No Service in front: out of sight.
        assert!(findings(example.split_once("---\n").unwrap().1, "MESH0517").is_empty());
    }
}
