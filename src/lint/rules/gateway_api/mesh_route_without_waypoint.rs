use crate::lint::engine::{Context, Rule};
use crate::lint::rules::multiple_default_sidecars::ambient_namespace;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::ServiceSource;
use crate::model::Typed;
use crate::model::core::StringMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0230",
    name: "mesh-route-without-waypoint",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A mesh route on a Service in ambient mode that no waypoint serves",
    docs: r#"## What it finds
An HTTPRoute, GRPCRoute or TCPRoute accepted on a Service parent (mesh routing), where the input
shows the Service's Namespace in ambient mode (`istio.io/dataplane-mode: ambient`, and not
labelled for sidecar injection) and:
- neither the Service nor its Namespace has an `istio.io/use-waypoint` label (or it is `none`):
  istiod then writes `istio.io/use-waypoint label missing from parent and parent namespace; in
  ambient mode, route will not be respected` into the route's `ResolvedWaypoints` condition
  (`pilot/pkg/config/kube/gateway/conversion.go` referenceAllowed, `conditions.go`);
- or the label names a waypoint Gateway (in the namespace of `istio.io/use-waypoint-namespace`,
  else the Service's) that the input does not define, in a namespace it does show.

A Namespace the input does not hold is out of sight: nothing is reported.

## Why it matters
Ambient workloads reach the Service through ztunnel, which works at L4: only a waypoint applies
HTTP routing. Their requests ignore the route (its splits, rewrites and header changes), while
sidecar clients apply it, so the same request goes to different places depending on who sends it.

## Example
```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports:
  - {name: http, port: 8080}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cart-split, namespace: shop}
spec:
  parentRefs:
  - {group: "", kind: Service, name: cart, port: 8080}
  rules:
  - backendRefs:
    - {name: cart, port: 8080}
```

## Fix
Deploy a waypoint (a Gateway of class `istio-waypoint`) and label the Service or its Namespace
`istio.io/use-waypoint: <waypoint name>`.
"#,
};

pub struct Check;

const USE_WAYPOINT: &str = "istio.io/use-waypoint";
const USE_WAYPOINT_NAMESPACE: &str = "istio.io/use-waypoint-namespace";

/// `waypointConfigured` (`conversion.go:571-577`): the label's value, unless empty or `none`.
fn waypoint(labels: Option<&StringMap>) -> Option<(&str, Option<&str>)> {
    let labels = labels?;
    let name =
        labels.get(USE_WAYPOINT).map(String::as_str).filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none"))?;
    Some((name, labels.get(USE_WAYPOINT_NAMESPACE).map(String::as_str)))
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let namespaces: Vec<(&str, &crate::model::core::Namespace)> = cx
            .objects
            .iter()
            .zip(cx.typed)
            .filter_map(|(o, t)| match t {
                Some(Ok(Typed::Namespace(n))) => Some((o.name.as_deref()?, n.as_ref())),
                _ => None,
            })
            .collect();
        if !namespaces.iter().any(|(_, n)| ambient_namespace(n)) {
            return;
        }
        for p in &cx.gateway_api().parents {
            if !p.conditions.iter().any(|c| c.type_ == "Accepted" && c.status == "True") {
                continue;
            }
            let refs = match &cx.typed[p.route] {
                Some(Ok(Typed::HTTPRoute(r))) => r.spec.parent_refs.as_deref(),
                Some(Ok(Typed::GRPCRoute(r))) => r.spec.parent_refs.as_deref(),
                Some(Ok(Typed::TCPRoute(r))) => r.spec.parent_refs.as_deref(),
                _ => continue,
            };
            let Some(r) = refs.and_then(|refs| refs.get(p.parent_index)) else { continue };
            if r.group.as_deref() != Some("") || r.kind.as_deref() != Some("Service") {
                continue;
            }
            let pns = r.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(&p.namespace);
            let pname = r.name.as_deref().unwrap_or_default();
            let Some(&(_, ns)) = namespaces.iter().find(|(n, _)| *n == pns) else { continue };
            if !ambient_namespace(ns) {
                continue;
            }
            let host = crate::mesh::hosts::fqdn(pname, pns);
            let Some(svc) =
                mesh.services_by_host(&host).find(|s| s.namespace == pns && s.source == ServiceSource::Kubernetes)
            else {
                continue;
            };
            let obj = &cx.objects[p.route];
            let at = format!("/spec/parentRefs/{}", p.parent_index);
            let route = format!("{} {}/{}", p.kind, p.namespace, p.name);
            match waypoint(svc.labels).or_else(|| waypoint(ns.metadata.labels.as_ref())) {
                None => out.push(
                    cx.at(
                        &META,
                        obj,
                        &at,
                        format!(
                            "{route} routes Service {pns}/{pname}, whose namespace is in ambient mode, but neither the \
                             Service nor namespace {pns} has an {USE_WAYPOINT} label: istio.io/use-waypoint label missing \
                             from parent and parent namespace; in ambient mode, route will not be respected"
                        ),
                    )
                    .label("no waypoint serves this Service")
                    .help(format!(
                        "deploy a waypoint (class istio-waypoint) and label the Service or namespace {pns} `{USE_WAYPOINT}: <waypoint>`"
                    )),
                ),
                Some((name, wns)) => {
                    let wns = wns.unwrap_or(pns);
                    let held = mesh.kubernetes_gateways.contains_key(&(wns.to_string(), name.to_string()));
                    if held || !mesh.namespace_known(wns) {
                        continue;
                    }
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &at,
                            format!(
                                "{route} routes Service {pns}/{pname}, whose {USE_WAYPOINT} label names waypoint \
                                 {wns}/{name}, which the input does not define: ambient clients' requests ignore the route"
                            ),
                        )
                        .label("the Service's waypoint does not exist")
                        .help(format!("create the Gateway {wns}/{name} of class istio-waypoint, or correct the label")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_parent_ref() {
        let f = findings(&docs_example(&super::META), "MESH0230");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 20);
        assert!(f[0].1.contains("route will not be respected"), "{f:?}");
    }

    #[test]
    fn a_waypoint_sidecar_mode_or_an_unseen_namespace_is_fine() {
        let example = docs_example(&super::META);
        let waypoint = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: shop}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n";
        let labelled = example.replace(
            "labels: {istio.io/dataplane-mode: ambient}",
            "labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}",
        );
        assert!(findings(&format!("{labelled}{waypoint}"), "MESH0230").is_empty());
        let on_service = example.replace(
            "metadata: {name: cart, namespace: shop}",
            "metadata: {name: cart, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}",
        );
        assert!(findings(&format!("{on_service}{waypoint}"), "MESH0230").is_empty());
        // The label names a waypoint the input does not hold.
        let f = findings(&labelled, "MESH0230");
        assert!(f.len() == 1 && f[0].1.contains("names waypoint shop/waypoint"), "{f:?}");
        // `none` opts out of a namespace's waypoint.
        let none = example.replace(
            "metadata: {name: cart, namespace: shop}",
            "metadata: {name: cart, namespace: shop, labels: {istio.io/use-waypoint: none}}",
        );
        assert_eq!(findings(&none, "MESH0230").len(), 1);
        let sidecars = example.replace("istio.io/dataplane-mode: ambient", "istio-injection: enabled");
        assert!(findings(&sidecars, "MESH0230").is_empty());
        let unseen = example.split("---").skip(1).collect::<Vec<_>>().join("---");
        assert!(findings(&unseen, "MESH0230").is_empty());
    }
}
