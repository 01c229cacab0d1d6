use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0502",
    name: "tls-origination-without-ca-port",
    severity: Severity::Warning,
    istio_code: Some("IST0129"),
    summary: "A DestinationRule's port-level settings originate SIMPLE or MUTUAL TLS with no CA",
    docs: r#"## What it finds
A `trafficPolicy.portLevelSettings` entry of a DestinationRule for a host of the cluster whose
`tls` has mode `SIMPLE` or `MUTUAL` with neither `caCertificates` nor `credentialName`. The
DestinationRule's own `tls` is MESH0501's, whose docs say how meshctl follows the runtime here
where `istioctl analyze` (IST0129) does not.

## Why it matters
istiod verifies the server against the proxy's OS CA bundle (`cluster_tls.go`), which a
certificate from the mesh's or a private CA fails: connections to that port are refused.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db-tls, namespace: data}
spec:
  host: db.data.svc.cluster.local
  trafficPolicy:
    portLevelSettings:
    - port: {number: 5432}
      tls:
        mode: SIMPLE
```

## Fix
Set the port's `caCertificates` to the CA that signed the server's certificate.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        super::check(cx, &META, true, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_port_mode() {
        let f = findings(&docs_example(&super::META), "MESH0502");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 10);
        assert!(f[0].1.contains("to db.data.svc.cluster.local port 5432"), "{f:?}");
        // The destination-level rule does not report it.
        assert!(findings(&docs_example(&super::META), "MESH0501").is_empty());
    }

    #[test]
    fn a_port_with_a_ca_is_fine() {
        let ca = docs_example(&super::META)
            .replace("        mode: SIMPLE\n", "        mode: SIMPLE\n        caCertificates: /etc/certs/ca.pem\n");
        assert!(findings(&ca, "MESH0502").is_empty());
    }
}
