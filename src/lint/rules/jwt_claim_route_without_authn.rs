use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{MESH_GATEWAY, Workload, selects};
use crate::model::Typed;
use crate::model::core::StringMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0210",
    name: "jwt-claim-route-without-authn",
    severity: Severity::Error,
    istio_code: Some("IST0149"),
    summary: "A route matches on a JWT claim at a gateway whose workloads no RequestAuthentication covers",
    docs: r#"## What it finds
An HTTP `match` of a VirtualService on a header `@request.auth.claims.<claim>` (or
`@request.auth.claims[<claim>]`), in `headers` or `withoutHeaders`, that applies at an Istio
Gateway (the match's `gateways`, else the VirtualService's) some of whose workloads no
RequestAuthentication selects. A RequestAuthentication covers the workloads its
`selector.matchLabels` selects in its namespace, or in every namespace when it lives in the root
namespace; one without a selector covers its whole namespace. One that attaches by `targetRef(s)`
is taken to cover its namespace, as `istioctl analyze` does. The default ingress gateway Istio
assumes in offline analysis counts as a workload.

## Why it matters
Claims are only known after a RequestAuthentication validated the token: without one, the claim
"header" is never set, so the match never succeeds (and a `withoutHeaders` match always does).
Routing then ignores the token entirely.

## Example
```yaml
http:
- match:
  - headers:
      "@request.auth.claims.group": {exact: beta}
  route:
  - destination: {host: reviews, subset: beta}
```

## Fix
Add a RequestAuthentication that selects the gateway's workloads (in their namespace or the root
namespace), with the `jwtRules` of the token issuer.
"#,
};

pub struct Check;

/// Istio's `jwt.ToRoutingClaim(key).Match`.
fn is_claim_key(key: &str) -> bool {
    const PREFIX: &str = "@request.auth.claims";
    if key.len() < PREFIX.len()
        || !key.is_char_boundary(PREFIX.len())
        || !key[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
    {
        return false;
    }
    let rest = &key[PREFIX.len()..];
    (rest.starts_with('.') && rest.len() > 1) || (rest.starts_with('[') && rest.ends_with(']') && rest.len() > 2)
}

/// A RequestAuthentication: its namespace and the labels it selects (`None`: all of its namespace).
struct Authn {
    namespace: String,
    selector: Option<StringMap>,
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let authns: Vec<Authn> =
            cx.objects
                .iter()
                .filter(|o| o.kind == "RequestAuthentication" && o.group() == "security.istio.io")
                .map(|o| {
                    let v = cx.value(o);
                    let targeted = v.pointer("/spec/targetRef").is_some() || v.pointer("/spec/targetRefs").is_some();
                    let selector =
                        v.pointer("/spec/selector/matchLabels").and_then(|m| m.as_object()).filter(|_| !targeted).map(
                            |m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect(),
                        );
                    Authn { namespace: o.namespace_or(mesh.default_namespace).to_string(), selector }
                })
                .collect();
        let root = mesh.config.root_namespace.as_str();
        let covered = |w: &Workload| {
            authns.iter().any(|a| {
                (a.namespace == w.namespace || a.namespace == root)
                    && a.selector.as_ref().is_none_or(|s| selects(s, w.labels))
            })
        };
        for &(i, vs) in &mesh.virtual_services {
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace);
            let mut reported = Vec::new();
            for (k, h) in vs.spec.http.iter().flatten().enumerate() {
                for (j, m) in h.match_.iter().flatten().enumerate() {
                    let keys = m.headers.iter().flatten().map(|(key, _)| ("headers", key));
                    let keys = keys.chain(m.without_headers.iter().flatten().map(|(key, _)| ("withoutHeaders", key)));
                    let Some((field, key)) = keys.into_iter().find(|(_, key)| is_claim_key(key)) else { continue };
                    let gateways = match &m.gateways {
                        Some(g) if !g.is_empty() => g,
                        _ => match &vs.spec.gateways {
                            Some(g) => g,
                            None => continue,
                        },
                    };
                    for g in gateways.iter().filter(|g| *g != MESH_GATEWAY) {
                        let Some((gi, (gns, gname))) = mesh.gateway(g, ns) else { continue };
                        if reported.contains(&gi) {
                            continue;
                        }
                        let Some(Ok(Typed::Gateway(gw))) = &cx.typed[gi] else { continue };
                        let bare: Vec<String> = mesh
                            .gateway_workloads(gw)
                            .into_iter()
                            .filter(|w| !covered(w))
                            .map(|w| match w.obj {
                                Some(o) => format!("{}/{}", w.namespace, cx.objects[o].name.as_deref().unwrap_or("")),
                                None => format!("{}/istio-ingressgateway (the default ingress gateway)", w.namespace),
                            })
                            .collect();
                        if bare.is_empty() {
                            continue;
                        }
                        reported.push(gi);
                        let escaped = key.replace('~', "~0").replace('/', "~1");
                        out.push(
                            cx.at(
                                &META,
                                obj,
                                &format!("/spec/http/{k}/match/{j}/{field}/{escaped}"),
                                format!(
                                    "routes on JWT claim `{key}` at Gateway {gns}/{gname}, but no RequestAuthentication applies to its workload {}",
                                    bare.join(", ")
                                ),
                            )
                            .label("claim never set")
                            .related(cx.span(&cx.objects[gi], "/spec/selector"), None, "selects the workloads")
                            .help(format!(
                                "add a RequestAuthentication with jwtRules that selects the gateway's workloads, in `{}` or `{root}`",
                                bare.first().and_then(|b| b.split_once('/')).map_or(root, |(n, _)| n)
                            )),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_claim_key;
    use crate::lint::rules::findings;

    const INPUT: &str = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: prod}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - match:
    - headers:
        '@request.auth.claims.group': {exact: beta}
    route:
    - destination: {host: reviews.prod.svc.cluster.local}
";

    #[test]
    fn claim_keys() {
        assert!(is_claim_key("@request.auth.claims.foo"));
        assert!(is_claim_key("@Request.Auth.Claims[a][b]"));
        assert!(!is_claim_key("@request.auth.claims."));
        assert!(!is_claim_key("x-group"));
    }

    #[test]
    fn reports_an_unprotected_gateway() {
        let f = findings(INPUT, "MESH0210");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 19);
        assert!(f[0].1.contains("istio-system/gw"), "{}", f[0].1);
    }

    #[test]
    fn a_request_authentication_covers_it() {
        let ra = "---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules: [{issuer: https://issuer.example.com}]
";
        assert!(findings(&format!("{INPUT}{ra}"), "MESH0210").is_empty());
    }
}
