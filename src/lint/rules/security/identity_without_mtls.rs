use crate::authz::Target;
use crate::authz::mtls::Server;
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0518",
    name: "identity-without-mtls",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An AuthorizationPolicy rule on peer identity reaches workloads that take only plain text",
    docs: r#"## What it finds
An AuthorizationPolicy rule that reads the peer's identity (`principals`, `namespaces`,
`serviceAccounts`, `trustDomains`, their `not` forms, or a `source.principal` /
`source.namespace` condition), where every workload the policy reaches, as the input shows it,
accepts only plain text on every port of its Services: PeerAuthentication DISABLE, composed as
`pilot/pkg/security/authn/policy_applier.go` composes it. Kiali checks the same (KIA0105).

## Why it matters
The peer's identity comes from its Istio mTLS certificate. Without mTLS there is none: an ALLOW on
principals never allows, a DENY on them never denies (a `not` form always holds).

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 80}]
---
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
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls: {mode: DISABLE}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-sleep, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/foo/sa/sleep]}}]
```

## Fix
Turn mTLS on for the workload (PERMISSIVE or STRICT), or match the caller on what plain text has:
`ipBlocks`, headers.
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
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let refs = crate::authz::refs(&p.spec.target_ref, &p.spec.target_refs);
            let workloads = super::reached(cx, ns, p.spec.selector.as_ref(), &refs);
            let plain = !workloads.is_empty()
                && workloads.iter().all(|w| {
                    let services = mesh.services_selecting(w);
                    let t = Target { namespace: &w.namespace, labels: w.labels };
                    !services.is_empty()
                        && crate::authz::sidecar(cx, w) != crate::authz::Sidecar::No
                        && services.iter().flat_map(|s| s.ports.iter()).all(|port| {
                            let wport =
                                crate::authz::workload_port(cx, port.target_port.as_deref(), Some(w), port.number);
                            engine.server_mode(&t, wport, &mut Vec::new()) == Server::Disable
                        })
                });
            if !plain {
                continue;
            }
            let names: Vec<String> = workloads.iter().map(|w| crate::authz::workload_name(cx, w)).collect();
            let name = obj.name.as_deref().unwrap_or_default();
            for (k, rule) in p.spec.rules.iter().flatten().enumerate() {
                let Some(field) = crate::authz::identity_field(rule) else { continue };
                out.push(
                    cx.at(
                        &META,
                        obj,
                        &format!("/spec/rules/{k}"),
                        format!(
                            "AuthorizationPolicy {ns}/{name} rule {k} reads {field}, but the workloads it reaches ({}) take only plain text (PeerAuthentication DISABLE): there is no peer identity, so the rule cannot match on it",
                            names.join(", ")
                        ),
                    )
                    .label("no mTLS, no identity")
                    .help("turn mTLS on for the workload, or match plain-text callers on ipBlocks or headers"),
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
        let f = findings(&docs_example(&super::META), "MESH0518");
        assert!(f.len() == 1 && f[0].1.contains("rule 0 reads principals"), "{f:?}");
    }

    #[test]
    fn mtls_on_a_port_or_other_fields() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("mtls: {mode: DISABLE}", "mtls: {mode: PERMISSIVE}"), "MESH0518").is_empty());
        assert!(
            findings(
                &example.replace("principals: [cluster.local/ns/foo/sa/sleep]", "ipBlocks: [10.0.0.0/8]"),
                "MESH0518"
            )
            .is_empty()
        );
        // One port with mTLS: the identity is there on that port.
        let port = example.replace(
            "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy",
            "---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: httpbin, namespace: foo}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  portLevelMtls: {\"80\": {mode: STRICT}}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy",
        );
        assert!(findings(&port, "MESH0518").is_empty());
    }
}
