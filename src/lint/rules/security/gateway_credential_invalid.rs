use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::certificate::server_credential_problem;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0511",
    name: "gateway-credential-invalid",
    severity: Severity::Error,
    istio_code: Some("IST0161"),
    summary: "A Gateway server's credential Secret is one istiod will not serve",
    docs: r#"## What it finds
A Gateway TLS server whose `credentialName` Secret (in the gateway pods' namespace, as the input
shows it) istiod refuses, as `istioctl analyze` checks it (`gateway/secret.go`, IST0161), with
istiod's own tests (`pilot/pkg/credentials/kube/secrets.go` `ExtractCertInfo`,
`pilot/pkg/xds/sds.go` `ValidateCertificate`):
- neither the keys `cert` and `key` nor `tls.crt` and `tls.key`, or those keys empty;
- a certificate that is not a PEM block or not an X.509 certificate;
- a certificate outside its validity period (expired, or not yet valid), today.

## Why it matters
istiod sends the gateway no certificate for the server: every handshake for its hosts fails.

## Example
```yaml
apiVersion: v1
kind: Secret
metadata: {name: shop-cert, namespace: istio-system}
type: kubernetes.io/tls
stringData:
  tls.cert: "-----BEGIN CERTIFICATE-----"
  tls.key: "-----BEGIN PRIVATE KEY-----"
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: shop-cert}
    hosts: [shop.example.com]
```

## Fix
Store the certificate chain under `tls.crt` and the key under `tls.key` (`kubectl create secret
tls`), and renew a certificate before it expires.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = &cx.options.default_namespace;
        let secrets = super::secrets(cx);
        if secrets.is_empty() {
            return;
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::Gateway(g))) = t else { continue };
            let obj = &cx.objects[i];
            let namespaces = super::gateway_pod_namespaces(cx, g);
            let name = obj.name.as_deref().unwrap_or_default();
            let gw_ns = obj.namespace_or(default_ns);
            for (k, s) in g.spec.servers.iter().flatten().enumerate() {
                let Some(credential) = s.tls.as_ref().and_then(|t| t.credential_name.as_deref()) else { continue };
                let credential = credential.strip_prefix("kubernetes://").unwrap_or(credential);
                for ns in &namespaces {
                    let Some((_, _, secret)) = secrets.iter().find(|(sn, n, _)| sn == ns && *n == credential) else {
                        continue;
                    };
                    let Some(problem) = server_credential_problem(secret, now) else { continue };
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &format!("/spec/servers/{k}/tls/credentialName"),
                            format!(
                                "Gateway {gw_ns}/{name} server {k} serves the Secret {ns}/{credential}, which istiod will not serve: {problem}"
                            ),
                        )
                        .label("istiod refuses this credential")
                        .help("store the certificate under tls.crt and the key under tls.key, and keep the certificate valid"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    /// A certificate valid from 2020-01-01 to 2021-01-01.
    const EXPIRED: &str = "
-----BEGIN CERTIFICATE-----
MIIBHTCBxAIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDDBBzaG9wLmV4YW1wbGUu
Y29tMB4XDTIwMDEwMTAwMDAwMFoXDTIxMDEwMTAwMDAwMFowGzEZMBcGA1UEAwwQ
c2hvcC5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFjUMhl8
STwr+2XEvVidHdTZ+NefkN45IVAzRxXpdIQGgdCc1WoRx98cVsxXcc8jwqdrqqbw
yLlv+9fjnflb9f0wCgYIKoZIzj0EAwIDSAAwRQIhALMj9B6xEBAut1yHSIDaV2Un
1kby7qf9M/0mugDi+6amAiA/tDcNa82xETNuXQKMVmSQVWXHTSe/+t0bDS2Eh6Y5
wQ==
-----END CERTIFICATE-----";

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0511");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("it has neither the keys \"cert\" and \"key\" nor \"tls.crt\" and \"tls.key\" (it has: tls.cert, tls.key)"), "{f:?}");
    }

    #[test]
    fn pem_x509_and_validity() {
        let example = docs_example(&super::META);
        let not_pem = example.replace("tls.cert:", "tls.crt:");
        assert!(findings(&not_pem, "MESH0511")[0].1.contains("not a PEM block"));
        let garbage = not_pem.replace(
            "\"-----BEGIN CERTIFICATE-----\"",
            "|\n      -----BEGIN CERTIFICATE-----\n      aGVsbG8=\n      -----END CERTIFICATE-----",
        );
        assert!(findings(&garbage, "MESH0511")[0].1.contains("does not parse as X.509"));
        let expired =
            not_pem.replace("\"-----BEGIN CERTIFICATE-----\"", &format!("|{}", EXPIRED.replace('\n', "\n      ")));
        let f = findings(&expired, "MESH0511");
        assert!(f.len() == 1 && f[0].1.contains("its certificate expired on 2021-01-01"), "{f:?}");
        // Another Secret, or none in the input: nothing to say.
        assert!(
            findings(&example.replace("credentialName: shop-cert", "credentialName: other"), "MESH0511").is_empty()
        );
    }
}
