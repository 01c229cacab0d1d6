use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::core::StringMap;
use crate::model::networking::ServerTLSSettings;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0503",
    name: "gateway-duplicate-certificate",
    severity: Severity::Warning,
    istio_code: Some("IST0138"),
    summary: "Gateways on the same pods serve the same certificate in different servers",
    docs: r#"## What it finds
An Istio Gateway with a TLS server whose certificate (the same `credentialName`, or the same
`serverCertificate` and `privateKey` files) another Gateway also serves, where the other
Gateway's selector includes every label of this one's (so its pods get both servers), as
`istioctl analyze` checks it (`gateway/certificate.go`). The finding names both Gateways.

## Why it matters
A client that holds an HTTP/2 connection for one host reuses it for any other host the same
certificate covers (connection coalescing). The gateway then routes that request with the first
server's route configuration, where the second host has no virtual host: 404.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-shop, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: wildcard-example-com}
    hosts: [shop.example.com]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: blog, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-blog, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: wildcard-example-com}
    hosts: [blog.example.com]
```

## Fix
Serve hosts that share a certificate from one server (one Gateway with both hosts), or give each
server its own certificate.
"#,
};

pub struct Check;

/// `haveSameCertificate`: the same credentialName, or the same certificate and key files.
fn same_certificate(a: &ServerTLSSettings, b: &ServerTLSSettings) -> bool {
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.is_empty())
    }
    match (set(&a.credential_name), set(&b.credential_name)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => {
            set(&a.server_certificate).is_some()
                && set(&a.server_certificate) == set(&b.server_certificate)
                && set(&a.private_key).is_some()
                && set(&a.private_key) == set(&b.private_key)
        }
        _ => false,
    }
}

/// Whether every label of `x` is in `y` with the same value (an empty `x` is in every selector).
fn subset(x: Option<&StringMap>, y: Option<&StringMap>) -> bool {
    x.into_iter().flatten().all(|(k, v)| y.and_then(|y| y.get(k)) == Some(v))
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = &cx.options.default_namespace;
        let gateways: Vec<(usize, String, &crate::model::networking::Gateway)> = cx
            .typed
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t {
                Some(Ok(Typed::Gateway(g))) => Some((
                    i,
                    format!(
                        "{}/{}",
                        cx.objects[i].namespace_or(default_ns),
                        cx.objects[i].name.as_deref().unwrap_or_default()
                    ),
                    g.as_ref(),
                )),
                _ => None,
            })
            .collect();
        for (i, name, g) in &gateways {
            let tls: Vec<&ServerTLSSettings> = g.spec.servers.iter().flatten().filter_map(|s| s.tls.as_ref()).collect();
            if tls.is_empty() {
                continue;
            }
            // The same Gateway defined again is one Gateway (`currentGatewayFullName == gatewayFullName`),
            // which the duplicate rules report.
            let mut others: Vec<&str> = gateways
                .iter()
                .filter(|(j, n, _)| j != i && n != name)
                .filter(|(_, _, o)| subset(g.spec.selector.as_ref(), o.spec.selector.as_ref()))
                .filter(|(_, _, o)| {
                    o.spec
                        .servers
                        .iter()
                        .flatten()
                        .filter_map(|s| s.tls.as_ref())
                        .any(|t| tls.iter().any(|m| same_certificate(m, t)))
                })
                .map(|(_, n, _)| n.as_str())
                .collect();
            others.sort_unstable();
            others.dedup();
            if others.is_empty() {
                continue;
            }
            out.push(
                cx.at(
                    &META,
                    &cx.objects[*i],
                    "/metadata/name",
                    format!(
                        "Gateway {name} serves a certificate that Gateway {} also serves on the same pods: clients that \
                         reuse an HTTP/2 connection across their hosts get 404",
                        others.join(", ")
                    ),
                )
                .label("shares a certificate with another Gateway")
                .help("serve the hosts that share a certificate from one server, or give each server its own certificate"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported_on_both_gateways() {
        let f = findings(&docs_example(&super::META), "MESH0503");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].0, f[1].0), (3, 13));
        assert!(
            f[0].1.contains("Gateway istio-system/shop serves a certificate that Gateway istio-system/blog"),
            "{f:?}"
        );
    }

    #[test]
    fn other_certificates_and_a_narrower_selector() {
        let example = docs_example(&super::META);
        let own = example.replacen("credentialName: wildcard-example-com", "credentialName: shop-cert", 1);
        assert!(findings(&own, "MESH0503").is_empty());
        // One Gateway written twice is not two Gateways.
        let twice = example.replace("name: blog,", "name: shop,");
        assert!(findings(&twice, "MESH0503").is_empty());
        // The blog Gateway's selector has one label more: the shop Gateway's pods include its pods,
        // and only the shop Gateway is reported, as istioctl analyze does.
        let narrower = example.replace(
            "metadata: {name: blog, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}",
            "metadata: {name: blog, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway, tier: internal}",
        );
        let f = findings(&narrower, "MESH0503");
        assert!(f.len() == 1 && f[0].1.contains("Gateway istio-system/shop serves"), "{f:?}");
    }
}
