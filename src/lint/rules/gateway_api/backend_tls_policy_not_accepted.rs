use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0231",
    name: "backend-tls-policy-not-accepted",
    severity: Severity::Error,
    istio_code: None,
    summary: "A BackendTLSPolicy target that istiod does not accept",
    docs: r#"## What it finds
A `targetRefs` entry of a BackendTLSPolicy to which istiod would give `Accepted: False`
(`pilot/pkg/config/kube/gateway/backend_policies.go`), at the field responsible:
- `TargetNotFound`: the target is not a core Service, names a Service the input does not define
  in the policy's namespace (when the input shows that namespace), or a `sectionName` that is no
  port name of the Service;
- `Invalid`: `validation.wellKnownCACertificates` other than `System`;
- `Conflicted` (a warning): an older policy (or, as old, one first by name) targets the same
  Service and section; istiod applies that one and ignores this one for the target.

## Why it matters
A policy that is not accepted originates no TLS: the gateway (or sidecar) connects to the backend
in plain text, which a backend that expects TLS refuses, and the certificate checks the policy
asks for are not made.

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: shop}
spec:
  ports:
  - {name: https, port: 443}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: payments-tls, namespace: shop}
spec:
  targetRefs:
  - group: ""
    kind: Service
    name: payments
    sectionName: tls     # the port is named https
  validation:
    hostname: payments.shop.example.com
    wellKnownCACertificates: System
```

## Fix
Target an existing Service (and a port name it has), use `System` or `caCertificateRefs`, and keep
one policy per Service port.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for p in &cx.gateway_api().backend_tls {
            let obj = &cx.objects[p.policy];
            for (c, pointer) in p.conditions.iter().zip(&p.pointers) {
                if c.status != "False" {
                    continue;
                }
                let (label, help, severity) = match c.reason {
                    "Conflicted" => (
                        "another policy wins this target",
                        "keep one BackendTLSPolicy per Service port",
                        Severity::Warning,
                    ),
                    "Invalid" => (
                        "not a known CA set",
                        "use wellKnownCACertificates: System, or caCertificateRefs",
                        Severity::Error,
                    ),
                    _ => ("no such target", "target an existing Service, and one of its port names", Severity::Error),
                };
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        pointer,
                        format!(
                            "BackendTLSPolicy {}/{} for {}: Accepted is False ({}): {}",
                            p.namespace, p.name, p.target, c.reason, c.message
                        ),
                    )
                    .label(label)
                    .help(help);
                d.severity = severity;
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_section_name() {
        let f = findings(&docs_example(&super::META), "MESH0231");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 16);
        assert!(f[0].1.contains("TargetNotFound") && f[0].1.contains("sectionName \"tls\" does not exist"), "{f:?}");
    }

    #[test]
    fn correct_variants_unseen_targets_and_conflicts() {
        let example = docs_example(&super::META);
        let fixed = example.replace("sectionName: tls ", "sectionName: https ");
        assert!(findings(&fixed, "MESH0231").is_empty());
        // The Service in a namespace the input does not show is out of sight.
        let unseen = example.split("---").nth(1).unwrap().to_string();
        assert!(findings(&unseen, "MESH0231").is_empty());
        let missing = fixed.replace("name: payments\n    sectionName", "name: payment\n    sectionName");
        let f = findings(&missing, "MESH0231");
        assert!(f.len() == 1 && f[0].1.contains("service shop/payment not found"), "{f:?}");
        let invalid = fixed.replace("wellKnownCACertificates: System", "wellKnownCACertificates: Mozilla");
        assert!(findings(&invalid, "MESH0231")[0].1.contains("Unknown wellKnownCACertificates: Mozilla"));
        let second = fixed.split("---").nth(1).unwrap().replace("name: payments-tls", "name: payments-tls-2");
        let f = findings(&format!("{fixed}---{second}"), "MESH0231");
        assert!(
            f.len() == 1
                && f[0].1.contains("payments-tls-2")
                && f[0].1.contains("Conflicts with BackendTLSPolicy \"payments-tls\""),
            "{f:?}"
        );
    }
}
