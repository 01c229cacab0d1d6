use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0501",
    name: "tls-origination-without-ca",
    severity: Severity::Warning,
    istio_code: Some("IST0128"),
    summary: "A DestinationRule originates SIMPLE or MUTUAL TLS with no CA to verify the server against",
    docs: r#"## What it finds
A DestinationRule for a host of the cluster (a `.svc.cluster.local` name, or a Kubernetes Service
the input shows) whose `trafficPolicy.tls` has mode `SIMPLE` or `MUTUAL` with neither
`caCertificates` nor `credentialName`. Port-level settings are MESH0502's.

`istioctl analyze` reports this as IST0128 for every host, saying the server certificate is not
verified. istiod 1.30 does verify it, against the proxy's OS CA bundle
(`pilot/pkg/networking/core/cluster_tls.go`: `CaCertificatePath` defaults to `system`), and not
at all under `insecureSkipVerify: true`. meshctl follows the runtime: for a public name (TLS
origination to `api.example.com`) the OS bundle is the right CA, and nothing is reported. A
`credentialName` is not reported either: gateways read the CA from its Secret, and sidecars drop
settings with a `credentialName` and no `workloadSelector` (`cluster_tls.go:118-127`), as Istio's
egress tasks intend; `istioctl analyze` reports that case, meshctl does not.

## Why it matters
A cluster Service's certificate comes from the mesh's or a private CA, which the OS bundle does
not hold: every handshake fails, and clients get 503. With `insecureSkipVerify`, any server is
trusted.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db-tls, namespace: data}
spec:
  host: db.data.svc.cluster.local
  trafficPolicy:
    tls:
      mode: SIMPLE
```

## Fix
Set `caCertificates` to the CA that signed the server's certificate (or a `credentialName` whose
Secret has `ca.crt`), or use `ISTIO_MUTUAL` for a server in the mesh.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        super::check(cx, &META, false, out);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_at_the_mode() {
        let f = findings(&docs_example(&super::META), "MESH0501");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 8);
        assert!(
            f[0].1.contains("originates SIMPLE TLS to db.data.svc.cluster.local") && f[0].1.contains("OS CA bundle"),
            "{f:?}"
        );
    }

    #[test]
    fn a_ca_a_credential_a_public_name_or_istio_mutual_is_fine() {
        let example = docs_example(&super::META);
        let ca =
            example.replace("      mode: SIMPLE\n", "      mode: SIMPLE\n      caCertificates: /etc/certs/ca.pem\n");
        assert!(findings(&ca, "MESH0501").is_empty());
        let credential = example.replace("      mode: SIMPLE\n", "      mode: SIMPLE\n      credentialName: db-ca\n");
        assert!(findings(&credential, "MESH0501").is_empty());
        assert!(findings(&example.replace("SIMPLE", "ISTIO_MUTUAL"), "MESH0501").is_empty());
        // TLS origination to a public name: the OS bundle is what it wants.
        assert!(findings(&example.replace("db.data.svc.cluster.local", "api.example.com"), "MESH0501").is_empty());
        let skip = example.replace("      mode: SIMPLE\n", "      mode: MUTUAL\n      insecureSkipVerify: true\n");
        let f = findings(&skip, "MESH0501");
        assert!(f.len() == 1 && f[0].1.contains("MUTUAL") && f[0].1.contains("not verified at all"), "{f:?}");
    }
}
