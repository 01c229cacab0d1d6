use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::selector_string;
use crate::model::Typed;
use crate::model::core::StringMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0506",
    name: "policy-selects-no-workload",
    severity: Severity::Warning,
    istio_code: Some("IST0127"),
    summary: "A security policy's selector matches no workload the input shows",
    docs: r#"## What it finds
An AuthorizationPolicy, RequestAuthentication or PeerAuthentication whose `selector.matchLabels`
matches no workload (Pod, Deployment, StatefulSet, DaemonSet or WorkloadEntry) in its namespace,
or in any namespace for a policy in the root namespace, as `istioctl analyze` checks
AuthorizationPolicies (`authz/authorizationpolicies.go`, IST0127) and Kiali all three (KIA0004).
It speaks only where the input shows workloads in that namespace. A `targetRef`/`targetRefs`
entry of kind Gateway that names no Gateway API Gateway of the policy's namespace is reported too,
where the input holds Gateway API Gateways.

## Why it matters
A policy that selects nothing enforces nothing: a typo in a label leaves the workload it was
written for open (or, for a PeerAuthentication, in the mode it had).

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin}}
    spec: {containers: [{name: httpbin, image: kennethreitz/httpbin}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin-viewer, namespace: foo}
spec:
  selector: {matchLabels: {app: http-bin}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
```

## Fix
Correct the labels to those of the pods (`kubectl get pods --show-labels`), or remove the policy.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let root = mesh.config.root_namespace.as_str();
        for (i, t) in cx.typed.iter().enumerate() {
            let (kind, selector, has_refs) = match t {
                Some(Ok(Typed::AuthorizationPolicy(p))) => (
                    "AuthorizationPolicy",
                    p.spec.selector.as_ref(),
                    p.spec.target_ref.is_some() || p.spec.target_refs.as_ref().is_some_and(|r| !r.is_empty()),
                ),
                Some(Ok(Typed::RequestAuthentication(p))) => (
                    "RequestAuthentication",
                    p.spec.selector.as_ref(),
                    p.spec.target_ref.is_some() || p.spec.target_refs.as_ref().is_some_and(|r| !r.is_empty()),
                ),
                Some(Ok(Typed::PeerAuthentication(p))) => ("PeerAuthentication", p.spec.selector.as_ref(), false),
                _ => continue,
            };
            // targetRefs win over the selector.
            if has_refs {
                self.check_refs(cx, i, kind, out);
                continue;
            }
            let Some(labels) = selector.and_then(|s| s.match_labels.as_ref()).filter(|m| !m.is_empty()) else {
                continue;
            };
            // MESH0508 speaks of root-namespace PeerAuthentications with a selector.
            if kind == "PeerAuthentication" && cx.objects[i].namespace_or(&cx.options.default_namespace) == root {
                continue;
            }
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let anywhere = ns == root;
            let shown = if anywhere {
                mesh.has_workloads()
            } else {
                mesh.workloads_in(ns, &StringMap::default()).iter().any(|w| w.obj.is_some())
            };
            if !shown || selects_some(cx, ns, anywhere, labels) {
                continue;
            }
            let name = obj.name.as_deref().unwrap_or_default();
            let scope = if anywhere { "any namespace".to_string() } else { format!("namespace {ns}") };
            out.push(
                cx.at(
                    &META,
                    obj,
                    "/spec/selector/matchLabels",
                    format!(
                        "{kind} {ns}/{name} selects {}, which no workload in {scope} carries: it applies to nothing",
                        selector_string(labels)
                    ),
                )
                .label("matches no workload")
                .help("use the labels of the pods the policy is for"),
            );
        }
    }
}

impl Check {
    /// The `targetRef(s)` of kind Gateway that name no Gateway API Gateway of the namespace.
    fn check_refs(&self, cx: &Context, i: usize, kind: &str, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        if mesh.kubernetes_gateways.is_empty() {
            return;
        }
        let obj = &cx.objects[i];
        let ns = obj.namespace_or(&cx.options.default_namespace);
        let (one, many) = match &cx.typed[i] {
            Some(Ok(Typed::AuthorizationPolicy(p))) => (&p.spec.target_ref, &p.spec.target_refs),
            Some(Ok(Typed::RequestAuthentication(p))) => (&p.spec.target_ref, &p.spec.target_refs),
            _ => return,
        };
        let refs = one
            .iter()
            .map(|r| (r, "/spec/targetRef".to_string()))
            .chain(many.iter().flatten().enumerate().map(|(k, r)| (r, format!("/spec/targetRefs/{k}"))));
        let name = obj.name.as_deref().unwrap_or_default();
        for (r, pointer) in refs {
            let Some(gw) = r.name.as_deref().filter(|_| r.kind.as_deref() == Some("Gateway")) else { continue };
            if mesh.kubernetes_gateways.contains_key(&(ns.to_string(), gw.to_string())) {
                continue;
            }
            out.push(
                cx.at(
                    &META,
                    obj,
                    &format!("{pointer}/name"),
                    format!("{kind} {ns}/{name} targets the Gateway {gw}, which namespace {ns} does not have: it applies to nothing"),
                )
                .label("no such Gateway")
                .help("name a Gateway API Gateway of the policy's namespace"),
            );
        }
    }
}

fn selects_some(cx: &Context, ns: &str, anywhere: bool, labels: &StringMap) -> bool {
    let mesh = cx.mesh();
    if anywhere { !mesh.workloads_anywhere(labels).is_empty() } else { !mesh.workloads_in(ns, labels).is_empty() }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0506");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("AuthorizationPolicy foo/httpbin-viewer selects app=http-bin"), "{f:?}");
    }

    #[test]
    fn matching_labels_other_namespaces_and_unseen_workloads() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("app: http-bin", "app: httpbin"), "MESH0506").is_empty());
        // The workloads of namespace bar are not in the input: out of sight.
        assert!(
            findings(
                &example.replace("name: httpbin-viewer, namespace: foo", "name: httpbin-viewer, namespace: bar"),
                "MESH0506"
            )
            .is_empty()
        );
        // A root-namespace policy selects across namespaces.
        let root =
            example.replace("name: httpbin-viewer, namespace: foo", "name: httpbin-viewer, namespace: istio-system");
        assert_eq!(findings(&root, "MESH0506").len(), 1);
        assert!(findings(&root.replace("app: http-bin", "app: httpbin"), "MESH0506").is_empty());
        let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: foo}\nspec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}\n---\n";
        let targeted = format!(
            "{gateway}{}",
            example.replace(
                "selector: {matchLabels: {app: http-bin}}",
                "targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: egde}]"
            )
        );
        let f = findings(&targeted, "MESH0506");
        assert!(
            f.len() == 1 && f[0].1.contains("targets the Gateway egde, which namespace foo does not have"),
            "{f:?}"
        );
        assert!(findings(&targeted.replace("name: egde", "name: edge"), "MESH0506").is_empty());
        let pa = example
            .replace("kind: AuthorizationPolicy", "kind: PeerAuthentication")
            .replace("  rules: [{to: [{operation: {methods: [GET]}}]}]\n", "  mtls: {mode: STRICT}\n");
        assert!(findings(&pa, "MESH0506")[0].1.contains("PeerAuthentication foo/httpbin-viewer"));
    }
}
