use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{ServiceRecord, Workload, ignored_namespace};
use crate::model::{Object, Typed};
use std::collections::HashSet;
use std::collections::{BTreeMap, BTreeSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0407",
    name: "deployment-multiple-services",
    severity: Severity::Warning,
    istio_code: Some("IST0116"),
    summary: "Services selecting one workload use the same port number with different protocols",
    docs: r#"## What it finds
A Deployment, StatefulSet or DaemonSet in the mesh whose pods several Services (same namespace,
non-empty selector) select, where two of those Services declare the same `port` with different
transport protocols (`protocol`, `TCP` when absent). A workload is in the mesh when its pod
template has an `istio-proxy` container with an image, or the label or annotation
`sidecar.istio.io/inject: "true"` (a `"false"` keeps it out), or else its Namespace in the input
is labelled `istio-injection: enabled` or `istio.io/rev`. Waypoints (`gateway.istio.io/managed:
istio.io-mesh-controller`) and the namespaces Istio never injects are skipped.

`istioctl analyze` checks Deployments only and does not count `istio.io/rev` namespaces as in the
mesh; both inject sidecars at runtime, so meshctl does.

## Why it matters
The sidecar builds one inbound listener per port of the pod. Two protocols for one port cannot
both hold: one Service's traffic is handled with the other's protocol, or the listener is
rejected.

## Example
```yaml
kind: Service
metadata: {name: details-tcp}
spec:
  selector: {app: details}
  ports: [{port: 9080, protocol: TCP}]
---
kind: Service
metadata: {name: details-udp}
spec:
  selector: {app: details}
  ports: [{port: 9080, protocol: UDP}]
```

## Fix
Give each protocol its own port number, or drop one of the Services.
"#,
};

pub struct Check;

/// A controller workload of the mesh with the Services that select it.
pub(crate) struct Associated<'m, 'a> {
    pub obj: &'m Object,
    pub services: Vec<&'m ServiceRecord<'a>>,
}

/// The Deployments, StatefulSets and DaemonSets in the mesh, each with its Services.
pub(crate) fn associations<'m, 'a>(cx: &'m Context<'a>) -> Vec<Associated<'m, 'a>> {
    let mesh = cx.mesh();
    // Namespaces labelled for injection, found once.
    let injected: HashSet<&str> = cx
        .typed_objects()
        .filter_map(|(o, t)| {
            let Typed::Namespace(n) = t else { return None };
            let l = n.metadata.labels.as_ref()?;
            (l.get("istio-injection").map(String::as_str) == Some("enabled") || l.contains_key("istio.io/rev"))
                .then_some(o.name.as_deref()?)
        })
        .collect();
    mesh.workloads
        .iter()
        .filter_map(|w: &'m Workload<'a>| {
            let obj = &cx.objects[w.obj?];
            if !matches!(obj.kind.as_str(), "Deployment" | "StatefulSet" | "DaemonSet")
                || ignored_namespace(&w.namespace)
            {
                return None;
            }
            if !in_mesh(cx, obj, injected.contains(w.namespace.as_str())) {
                return None;
            }
            let services = mesh.services_selecting(w);
            Some(Associated { obj, services })
        })
        .collect()
}

/// Does the workload get a sidecar (`util.DeploymentInMesh`, plus `istio.io/rev` namespaces)?
fn in_mesh(cx: &Context, obj: &Object, namespace_injected: bool) -> bool {
    let v = cx.value(obj);
    // Field by field: `Value::pointer` unescapes each segment into a new string, per workload.
    let at = |path: &[&str]| path.iter().try_fold(v, |v, k| v.get(k));
    let managed = at(&["metadata", "labels", "gateway.istio.io/managed"]).and_then(|x| x.as_str());
    if managed == Some("istio.io-mesh-controller") {
        return false;
    }
    let containers = at(&["spec", "template", "spec", "containers"]).and_then(|c| c.as_array());
    let proxy = containers.into_iter().flatten().any(|c| {
        c.get("name").and_then(|n| n.as_str()) == Some("istio-proxy")
            && c.get("image").and_then(|i| i.as_str()).is_some_and(|i| !i.is_empty())
    });
    if proxy {
        return true;
    }
    for p in ["labels", "annotations"] {
        if let Some(inject) = at(&["spec", "template", "metadata", p]).and_then(|m| m.get("sidecar.istio.io/inject")) {
            return inject.as_str() == Some("true");
        }
    }
    namespace_injected
}

/// `ns/name` of a service record.
pub(crate) fn service_name(cx: &Context, s: &ServiceRecord) -> String {
    let name = s.obj.and_then(|o| cx.objects[o].name.clone()).unwrap_or_else(|| s.host.clone());
    format!("{}/{name}", s.namespace)
}

/// The L4 protocol of port `j` of a service as written (`TCP` when absent).
fn protocol(cx: &Context, s: &ServiceRecord, j: usize) -> String {
    let written = s.obj.and_then(|o| {
        let v = cx.value(&cx.objects[o]).pointer(&format!("/spec/ports/{j}/protocol"))?;
        v.as_str().map(str::to_string)
    });
    written.or_else(|| s.ports[j].protocol.clone()).unwrap_or_else(|| "TCP".to_string())
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for a in associations(cx) {
            // port → protocol → services
            let mut ports: BTreeMap<u32, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
            for s in &a.services {
                for (j, p) in s.ports.iter().enumerate() {
                    ports
                        .entry(p.number)
                        .or_default()
                        .entry(protocol(cx, s, j))
                        .or_default()
                        .insert(service_name(cx, s));
                }
            }
            for (port, protos) in ports.iter().filter(|(_, p)| p.len() > 1) {
                let detail =
                    protos.iter().map(|(p, svcs)| format!("{p} ({})", join(svcs))).collect::<Vec<_>>().join(" vs ");
                let name = a.obj.name.as_deref().unwrap_or("");
                let mut d = cx
                    .at(
                        &META,
                        a.obj,
                        "/metadata/name",
                        format!(
                            "{} `{name}` is selected by Services using port {port} with different protocols: {detail}",
                            a.obj.kind
                        ),
                    )
                    .label("one port, several protocols")
                    .help("give each protocol its own port number, or drop one of the Services");
                for s in &a.services {
                    if let Some(o) = s.obj.filter(|_| s.ports.iter().any(|p| p.number == *port)) {
                        d = d.related(cx.span(&cx.objects[o], "/metadata/name"), None, "a Service selecting it");
                    }
                }
                out.push(d);
            }
        }
    }
}

pub(crate) fn join(set: &BTreeSet<String>) -> String {
    set.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
pub(crate) mod tests {

    pub(crate) use crate::lint::rules::lint_yaml as run;

    pub(crate) const MESH: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio-injection: INJECTION}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: details
  namespace: shop
spec:
  selector:
    matchLabels: {app: details}
  template:
    metadata:
      labels: {app: details}
    spec:
      containers: [{name: details, image: details}]
---
apiVersion: v1
kind: Service
metadata:
  name: details-a
  namespace: shop
spec:
  selector: {app: details}
  ports:
  - {name: tcp, port: 9080, targetPort: TARGET_A}
---
apiVersion: v1
kind: Service
metadata:
  name: details-b
  namespace: shop
spec:
  selector: {app: details}
  ports:
  - {name: tcp, port: PORT_B, protocol: PROTOCOL_B, targetPort: 9080}
";

    #[test]
    fn reports_one_port_with_two_protocols() {
        let y = MESH.replace("INJECTION", "enabled").replace("TARGET_A", "9080").replace("PORT_B", "9080");
        let out = run(&y.replace("PROTOCOL_B", "UDP"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0407").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 10);
        assert!(
            d[0].message.contains("port 9080") && d[0].message.contains("UDP (`shop/details-b`)"),
            "{}",
            d[0].message
        );
        let out = run(&y.replace("PROTOCOL_B", "TCP"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0407"), "{:?}", out.diagnostics);
    }

    #[test]
    fn workloads_outside_the_mesh_are_not_checked() {
        let y = MESH.replace("INJECTION", "disabled").replace("TARGET_A", "9080").replace("PORT_B", "9080");
        let out = run(&y.replace("PROTOCOL_B", "UDP"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0407"), "{:?}", out.diagnostics);
    }
}
