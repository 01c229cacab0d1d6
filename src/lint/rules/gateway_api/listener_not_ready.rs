use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0224",
    name: "listener-not-ready",
    severity: Severity::Error,
    istio_code: None,
    summary: "A listener of a Gateway API Gateway that Istio does not accept, program or resolve",
    docs: r#"## What it finds
A listener of a Gateway that Istio programs (class `istio`, or another class of Istio's
`istio.io/gateway-controller`) to which Istio's controller would give a condition that is not
True (`conversion.go` `buildListener`), at the field responsible:
- `Accepted: False`, `UnsupportedProtocol`: a protocol other than `HTTP`, `HTTPS` and `TLS`
  (`TCP` is served only when istiod runs with `PILOT_ENABLE_ALPHA_GATEWAY_API=true`, which
  `--istiod-env PILOT_ENABLE_ALPHA_GATEWAY_API=true` tells meshctl; a lower-case
  `http` is not `HTTP`);
- `Programmed: False` with `ResolvedRefs: False`, `InvalidCertificateRef` or `RefNotPermitted`: a
  certificateRef that is not a core Secret, more than two of them, or a Secret in another namespace
  that no ReferenceGrant there allows (where the input shows that namespace);
- `ResolvedRefs: False`, `InvalidRouteKinds`: `allowedRoutes.kinds` names a kind the listener's
  protocol cannot carry (a `TCPRoute` on an `HTTP` listener).

## Why it matters
Istio generates no server for a listener it does not accept or cannot program: every route
attached to it routes nothing, and the gateway refuses connections on its port. A route kind the
listener cannot carry never attaches.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: web
    port: 80
    protocol: http   # the protocol is HTTP, in upper case
```

## Fix
Use a protocol Istio supports (`HTTP`, `HTTPS`, `TLS`), refer to Secrets for certificates (with a
ReferenceGrant in their namespace when it is not the Gateway's), and list only route kinds the
protocol carries.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for l in &cx.gateway_api().listeners {
            let obj = &cx.objects[l.gateway];
            // One finding per field: a bad certificate gives Programmed and ResolvedRefs False, and
            // ResolvedRefs says why.
            let mut reported: Vec<&str> = Vec::new();
            let mut conditions: Vec<_> = l.conditions.iter().zip(&l.pointers).collect();
            conditions.sort_by_key(|(c, _)| c.type_ == "Programmed");
            for (c, pointer) in conditions {
                let bad = if c.type_ == "Conflicted" { c.status == "True" } else { c.status == "False" };
                if !bad || reported.contains(&pointer.as_str()) {
                    continue;
                }
                reported.push(pointer);
                let (label, help) = match c.reason {
                    "UnsupportedProtocol" if c.message.contains("PILOT_ENABLE_ALPHA_GATEWAY_API") => (
                        "unsupported protocol",
                        "run istiod with PILOT_ENABLE_ALPHA_GATEWAY_API=true (and pass --istiod-env \
                         PILOT_ENABLE_ALPHA_GATEWAY_API=true to meshctl), or use TLS",
                    ),
                    "UnsupportedProtocol" => ("unsupported protocol", "use HTTP, HTTPS or TLS"),
                    "InvalidRouteKinds" => {
                        ("a kind the protocol cannot carry", "list only route kinds the listener's protocol carries")
                    }
                    "RefNotPermitted" => (
                        "not permitted",
                        "add a ReferenceGrant in the Secret's namespace that allows Gateways from this namespace",
                    ),
                    _ => ("invalid certificate", "refer to at most two core Secrets"),
                };
                let message = format!(
                    "listener {} of {} {}/{}: {} is {} ({}): {}",
                    l.listener, l.kind, l.namespace, l.name, c.type_, c.status, c.reason, c.message
                );
                out.push(cx.at(&META, obj, pointer, message).label(label).help(help));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_protocol() {
        let f = findings(&docs_example(&super::META), "MESH0224");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 9);
        assert!(f[0].1.contains("Accepted is False (UnsupportedProtocol)") && f[0].1.contains("uppercase"), "{f:?}");
    }

    #[test]
    fn upper_case_is_accepted() {
        assert!(
            findings(&docs_example(&super::META).replace("protocol: http ", "protocol: HTTP "), "MESH0224").is_empty()
        );
    }

    #[test]
    fn tcp_names_the_flag() {
        let f = findings(&docs_example(&super::META).replace("protocol: http ", "protocol: TCP "), "MESH0224");
        assert!(f.len() == 1 && f[0].1.contains("PILOT_ENABLE_ALPHA_GATEWAY_API"), "{f:?}");
    }

    const TLS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - {name: cert, namespace: certs}
    allowedRoutes:
      kinds: [{kind: HTTPRoute}]
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: certs}
type: kubernetes.io/tls
";

    #[test]
    fn a_certificate_in_another_namespace_needs_a_grant() {
        let f = findings(TLS, "MESH0224");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 12);
        assert!(f[0].1.contains("ResolvedRefs is False (RefNotPermitted)"), "{f:?}");
        let grant = "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: certs}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: Gateway, namespace: infra}]\n  to: [{group: '', kind: Secret}]\n";
        assert!(findings(&format!("{TLS}{grant}"), "MESH0224").is_empty());
        // A namespace the input does not show holds a grant out of sight.
        let unseen = TLS.split("---").next().unwrap();
        assert!(findings(unseen, "MESH0224").is_empty());
    }

    #[test]
    fn a_route_kind_the_protocol_cannot_carry() {
        let f = findings(
            &TLS.replace("kinds: [{kind: HTTPRoute}]", "kinds: [{kind: HTTPRoute}, {kind: TCPRoute}]"),
            "MESH0224",
        );
        assert!(f.iter().any(|(line, m)| *line == 14 && m.contains("InvalidRouteKinds")), "{f:?}");
    }
}
