use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0510",
    name: "gateway-credential-not-found",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A Gateway server's credentialName names a Secret the gateway's namespace does not have",
    docs: r#"## What it finds
A Gateway TLS server whose `credentialName` (or an entry of `credentialNames`) names no Secret in
the namespace of the gateway pods the Gateway selects, as `istioctl analyze` checks it
(`gateway/secret.go`, IST0101). istiod reads the Secret from the gateway pods' namespace, not the
Gateway's. It speaks only when the input holds Secrets: otherwise they are out of sight.

## Why it matters
The gateway has no certificate for the server: Envoy refuses the handshakes for its hosts.

## Example
```yaml
apiVersion: v1
kind: Secret
metadata: {name: shop-cert, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: shop-certificate}
    hosts: [shop.example.com]
```

## Fix
Name the Secret as it is, or create it in the gateway pods' namespace (`istio-system` for the
default ingress gateway).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = &cx.options.default_namespace;
        let secrets: BTreeSet<(&str, &str)> = super::secrets(cx).into_iter().map(|(ns, name, _)| (ns, name)).collect();
        if secrets.is_empty() {
            return;
        }
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::Gateway(g))) = t else { continue };
            let obj = &cx.objects[i];
            let namespaces = super::gateway_pod_namespaces(cx, g);
            let name = obj.name.as_deref().unwrap_or_default();
            let gw_ns = obj.namespace_or(default_ns);
            for (k, s) in g.spec.servers.iter().flatten().enumerate() {
                let Some(tls) = &s.tls else { continue };
                let names =
                    tls.credential_name.iter().map(|c| (c, format!("/spec/servers/{k}/tls/credentialName"))).chain(
                        tls.credential_names
                            .iter()
                            .flatten()
                            .enumerate()
                            .map(|(j, c)| (c, format!("/spec/servers/{k}/tls/credentialNames/{j}"))),
                    );
                for (credential, pointer) in names {
                    // `kubernetes://name` is the same Secret; other schemes are not Secrets.
                    let secret = credential.strip_prefix("kubernetes://").unwrap_or(credential);
                    if secret.is_empty() || secret.contains("://") {
                        continue;
                    }
                    let missing: Vec<&str> =
                        namespaces.iter().copied().filter(|ns| !secrets.contains(&(*ns, secret))).collect();
                    if missing.is_empty() {
                        continue;
                    }
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &pointer,
                            format!(
                                "Gateway {gw_ns}/{name} server {k} names the Secret {secret:?}, which namespace {} of its gateway pods does not have: the server has no certificate",
                                missing.join(", ")
                            ),
                        )
                        .label("no such Secret")
                        .help("create the Secret in the gateway pods' namespace, or correct the name"),
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
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0510");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("names the Secret \"shop-certificate\", which namespace istio-system"), "{f:?}");
    }

    #[test]
    fn the_secret_in_the_pods_namespace() {
        let example = docs_example(&super::META);
        assert!(
            findings(&example.replace("credentialName: shop-certificate", "credentialName: shop-cert"), "MESH0510")
                .is_empty()
        );
        assert!(
            findings(
                &example.replace("credentialName: shop-certificate", "credentialName: kubernetes://shop-cert"),
                "MESH0510"
            )
            .is_empty()
        );
        // In the Gateway's namespace is not where istiod looks.
        let wrong = example
            .replace("credentialName: shop-certificate", "credentialName: shop-cert")
            .replace("name: shop-cert, namespace: istio-system", "name: shop-cert, namespace: shop");
        assert_eq!(findings(&wrong, "MESH0510").len(), 1);
        // No Secret in the input: out of sight.
        assert!(findings(example.split_once("---\n").unwrap().1, "MESH0510").is_empty());
    }
}
