use super::deployment_multiple_services::{associations, join, service_name};
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use std::collections::{BTreeMap, BTreeSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0408",
    name: "deployment-conflicting-ports",
    severity: Severity::Warning,
    istio_code: Some("IST0137"),
    summary: "Services selecting one workload reach the same targetPort through different ports",
    docs: r#"## What it finds
A Deployment, StatefulSet or DaemonSet in the mesh (see `deployment-multiple-services`) whose
Services (one or several) map different service `port`s to the same `targetPort`. A missing
`targetPort` is the port itself; a named `targetPort` is compared by name.

## Why it matters
The sidecar's inbound configuration is keyed by the target port, and Istio requires Services
selecting the same workload with the same targetPort to use the same port: one of the service
ports gets the other's settings (protocol, DestinationRule port policies), or is not served.

## Example
```yaml
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
kind: Service
metadata: {name: web-alt}
spec:
  selector: {app: web}
  ports: [{name: http, port: 9090, targetPort: 8080}]
```

## Fix
Use the same service port for the target port in every Service, or remove the duplicate Service.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for a in associations(cx) {
            // targetPort → port → services
            let mut targets: BTreeMap<String, BTreeMap<u32, BTreeSet<String>>> = BTreeMap::new();
            for s in &a.services {
                for p in &s.ports {
                    let tp =
                        p.target_port.clone().filter(|t| t != "0" && !t.is_empty()).unwrap_or(p.number.to_string());
                    targets.entry(tp).or_default().entry(p.number).or_default().insert(service_name(cx, s));
                }
            }
            for (tp, ports) in targets.iter().filter(|(_, p)| p.len() > 1) {
                let detail =
                    ports.iter().map(|(p, svcs)| format!("{p} ({})", join(svcs))).collect::<Vec<_>>().join(", ");
                let name = a.obj.name.as_deref().unwrap_or("");
                let mut d = cx
                    .at(
                        &META,
                        a.obj,
                        "/metadata/name",
                        format!(
                            "{} `{name}` is reached on targetPort {tp} through different service ports: {detail}",
                            a.obj.kind
                        ),
                    )
                    .label("one targetPort, several ports")
                    .help("use the same service port for this targetPort in every Service selecting the workload");
                let mut seen = BTreeSet::new();
                for s in &a.services {
                    if let Some(o) = s.obj.filter(|o| seen.insert(*o)) {
                        d = d.related(cx.span(&cx.objects[o], "/metadata/name"), None, "a Service selecting it");
                    }
                }
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::deployment_multiple_services::tests::{MESH, run};

    #[test]
    fn reports_a_target_port_behind_two_ports() {
        let y = MESH.replace("INJECTION", "enabled").replace("PROTOCOL_B", "TCP").replace("TARGET_A", "9080");
        let out = run(&y.replace("PORT_B", "9090"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0408").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 10);
        assert!(
            d[0].message.contains("targetPort 9080") && d[0].message.contains("9090 (`shop/details-b`)"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn same_port_or_different_targets_are_fine() {
        let y = MESH.replace("INJECTION", "enabled").replace("PROTOCOL_B", "TCP");
        for (target_a, port_b) in [("9080", "9080"), ("8080", "9090")] {
            let out = run(&y.replace("TARGET_A", target_a).replace("PORT_B", port_b));
            assert!(out.diagnostics.iter().all(|d| d.code != "MESH0408"), "{:?}", out.diagnostics);
        }
    }
}
