use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::security::{Action, AuthorizationPolicy};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0505",
    name: "token-not-required",
    severity: Severity::Info,
    istio_code: None,
    summary: "A RequestAuthentication's workloads accept requests without a token",
    docs: r#"## What it finds
A RequestAuthentication whose workloads (as the input shows them) have no AuthorizationPolicy that
requires a request principal: an ALLOW rule on `requestPrincipals` or a `request.auth` condition,
or a DENY rule on `notRequestPrincipals`.

## Why it matters
RequestAuthentication only checks the tokens requests carry: a request without one is accepted,
with no identity (`request_authentication.proto`; Envoy's requirement is "any provider, or the
token missing"). A token is required only by an AuthorizationPolicy. Without one, the JWT is
optional, which is rarely what was meant (at a gateway that only routes on claims, it is).

## Example
```yaml
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
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json
```

## Fix
Require the token with an AuthorizationPolicy:
`rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]` (ALLOW), or a DENY with
`notRequestPrincipals: ["*"]`.
"#,
};

pub struct Check;

/// Whether a policy's rules require a verified token.
fn requires_token(p: &AuthorizationPolicy) -> bool {
    let set = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    p.spec.rules.iter().flatten().any(|r| {
        let sources = r.from.iter().flatten().filter_map(|f| f.source.as_ref());
        let keys = r.when.iter().flatten().map(|c| c.key.as_str());
        match p.spec.action() {
            Action::Allow => {
                sources.clone().any(|s| set(&s.request_principals))
                    || keys.clone().any(|k| k.starts_with("request.auth."))
            }
            Action::Deny => sources.clone().any(|s| set(&s.not_request_principals)),
            _ => false,
        }
    })
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::RequestAuthentication(ra))) = t else { continue };
            if ra.spec.jwt_rules.as_ref().is_none_or(Vec::is_empty) {
                continue;
            }
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let refs = crate::authz::refs(&ra.spec.target_ref, &ra.spec.target_refs);
            let open: Vec<String> = super::reached(cx, ns, ra.spec.selector.as_ref(), &refs)
                .into_iter()
                .filter(|w| {
                    let t = crate::authz::Target { namespace: &w.namespace, labels: w.labels };
                    !engine.authorization_for(&t).iter().any(|p| !crate::authz::dry_run(p) && requires_token(p.res))
                })
                .map(|w| crate::authz::workload_name(cx, w))
                .collect();
            if open.is_empty() {
                continue;
            }
            let name = obj.name.as_deref().unwrap_or_default();
            out.push(
                cx.at(
                    &META,
                    obj,
                    "/spec/jwtRules",
                    format!(
                        "RequestAuthentication {ns}/{name} checks tokens, but no AuthorizationPolicy requires one on {}: requests without a token are accepted",
                        open.join(", ")
                    ),
                )
                .label("the token is optional")
                .help("require it with an ALLOW policy on requestPrincipals: [\"*\"], or a DENY on notRequestPrincipals: [\"*\"]"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0505");
        assert!(f.len() == 1 && f[0].1.contains("no AuthorizationPolicy requires one on foo/httpbin"), "{f:?}");
    }

    #[test]
    fn a_policy_that_requires_the_token() {
        let example = docs_example(&super::META);
        let allow = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: require, namespace: foo}\nspec:\n  rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]\n";
        assert!(findings(&format!("{example}{allow}"), "MESH0505").is_empty());
        let deny = "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: require, namespace: istio-system}\nspec:\n  action: DENY\n  rules: [{from: [{source: {notRequestPrincipals: [\"*\"]}}]}]\n";
        assert!(findings(&format!("{example}{deny}"), "MESH0505").is_empty());
        // A DENY on requestPrincipals does not require a token.
        let wrong = deny.replace("notRequestPrincipals", "requestPrincipals");
        assert_eq!(findings(&format!("{example}{wrong}"), "MESH0505").len(), 1);
        // No workload the input shows: out of sight.
        assert!(findings(example.split_once("---\n").unwrap().1, "MESH0505").is_empty());
    }
}
