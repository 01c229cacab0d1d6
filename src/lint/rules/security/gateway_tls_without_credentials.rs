use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::networking::{ServerTLSMode, ServerTLSSettings};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0509",
    name: "gateway-tls-without-credentials",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A Gateway server that terminates TLS has no certificate to serve",
    docs: r#"## What it finds
A Gateway server that Istio's validating webhook refuses for its TLS settings
(`pkg/config/validation/validation.go` `validateServer`, `validateTLSOptions`):
- an HTTPS or TLS port without `tls`;
- `mode: SIMPLE`, `MUTUAL` or `OPTIONAL_MUTUAL` with neither `credentialName`,
  `credentialNames` nor `serverCertificate` and `privateKey` (nor `tlsCertificates`);
- `MUTUAL` or `OPTIONAL_MUTUAL` from files without `caCertificates`.

The CRD's schema accepts these; the webhook does not, and `istioctl analyze` reports them as
IST0106.

## Why it matters
`kubectl apply` fails where the webhook runs. Where it does not (a GitOps controller with
validation off, a cluster without istiod's webhook), the gateway has no certificate for the server:
every handshake is refused.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE}
    hosts: [shop.example.com]
```

## Fix
Name the Secret that holds the certificate and key: `credentialName: shop-cert` (in the gateway
pods' namespace), or mount them and set `serverCertificate` and `privateKey`.
"#,
};

pub struct Check;

/// Why the webhook refuses a server's TLS settings, with the field to point at.
fn refused(tls: &ServerTLSSettings) -> Option<(&'static str, String)> {
    let mode = tls.mode?;
    let prefix = match mode {
        ServerTLSMode::Simple => "SIMPLE TLS",
        ServerTLSMode::Mutual | ServerTLSMode::OptionalMutual => "MUTUAL TLS",
        _ => return None,
    };
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    if set(&tls.credential_name) || tls.credential_names.as_ref().is_some_and(|c| !c.is_empty()) {
        return None;
    }
    let files = tls.tls_certificates.as_ref().is_some_and(|c| !c.is_empty())
        || (set(&tls.server_certificate) && set(&tls.private_key));
    if !files {
        let missing = match (set(&tls.server_certificate), set(&tls.private_key)) {
            (true, false) => "a private key",
            (false, true) => "a server certificate",
            _ => "a certificate: no credentialName, and no serverCertificate and privateKey",
        };
        return Some(("mode", format!("{prefix} requires {missing}")));
    }
    if prefix == "MUTUAL TLS" && !set(&tls.ca_certificates) {
        return Some(("mode", format!("{prefix} requires a client CA bundle (caCertificates)")));
    }
    None
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::Gateway(g))) = t else { continue };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let name = obj.name.as_deref().unwrap_or_default();
            for (k, s) in g.spec.servers.iter().flatten().enumerate() {
                let protocol = s.port.protocol.0.to_ascii_uppercase();
                let (pointer, why) = match &s.tls {
                    None if matches!(protocol.as_str(), "HTTPS" | "TLS") => (
                        format!("/spec/servers/{k}/port/protocol"),
                        format!("an {protocol} server must have tls settings"),
                    ),
                    None => continue,
                    Some(tls) => match refused(tls) {
                        Some((field, why)) => (format!("/spec/servers/{k}/tls/{field}"), why),
                        None => continue,
                    },
                };
                out.push(
                    cx.at(
                        &META,
                        obj,
                        &pointer,
                        format!(
                            "Gateway {ns}/{name} server {k} (port {}): {why}; Istio's webhook refuses the Gateway, and a gateway \
                             running it has no certificate to serve",
                            s.port.number
                        ),
                    )
                    .label("no certificate")
                    .help("set credentialName to the Secret with the certificate and key, in the gateway pods' namespace"),
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
        let f = findings(&docs_example(&super::META), "MESH0509");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("server 0 (port 443): SIMPLE TLS requires a certificate"), "{f:?}");
        assert_eq!(f[0].0, 8);
    }

    #[test]
    fn credentials_files_and_other_modes() {
        let example = docs_example(&super::META);
        assert!(
            findings(&example.replace("{mode: SIMPLE}", "{mode: SIMPLE, credentialName: shop}"), "MESH0509").is_empty()
        );
        assert!(findings(&example.replace("{mode: SIMPLE}", "{mode: PASSTHROUGH}"), "MESH0509").is_empty());
        let files = example.replace("{mode: SIMPLE}", "{mode: MUTUAL, serverCertificate: /c, privateKey: /k}");
        assert!(findings(&files, "MESH0509")[0].1.contains("requires a client CA bundle"));
        assert!(
            findings(&files.replace("privateKey: /k", "privateKey: /k, caCertificates: /ca"), "MESH0509").is_empty()
        );
        let no_tls = example.replace("    tls: {mode: SIMPLE}\n", "");
        assert!(findings(&no_tls, "MESH0509")[0].1.contains("an HTTPS server must have tls settings"));
        assert!(findings(&no_tls.replace("protocol: HTTPS", "protocol: HTTP"), "MESH0509").is_empty());
    }
}
