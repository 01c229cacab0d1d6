use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0519",
    name: "jwks-fetch-unrestricted",
    severity: Severity::Warning,
    istio_code: Some("IST0175"),
    summary: "RequestAuthentications exist and istiod may fetch their jwksUri from any address",
    docs: r#"## What it finds
An istiod Deployment (label `app: istiod`) none of whose containers sets
`BLOCKED_CIDRS_IN_JWKS_URIS`, in an input that holds RequestAuthentications, as `istioctl analyze`
checks it (`authn/blockedcidrs.go`, IST0175).

## Why it matters
istiod fetches each `jwksUri` itself. Whoever can write a RequestAuthentication can make istiod
request any address its network reaches (cloud metadata endpoints, internal services): a
server-side request forgery. `BLOCKED_CIDRS_IN_JWKS_URIS` names the ranges istiod refuses.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.30.3
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  jwtRules: [{issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks"}]
```

## Fix
Set `BLOCKED_CIDRS_IN_JWKS_URIS` on the discovery container, e.g. to
`169.254.169.254/32,10.0.0.0/8` (`values.pilot.env` in the Helm chart).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        if engine.request.is_empty() {
            return;
        }
        let mut names: Vec<String> = engine.request.iter().map(|p| p.key()).collect();
        names.sort();
        let shown = if names.len() > 5 {
            format!("{}, and {} more", names[..5].join(", "), names.len() - 5)
        } else {
            names.join(", ")
        };
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::Deployment(d))) = t else { continue };
            if d.metadata.labels.as_ref().and_then(|l| l.get("app")).is_none_or(|a| a != "istiod") {
                continue;
            }
            let containers = d
                .spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref())
                .map(|s| s.containers.as_slice())
                .unwrap_or_default();
            let set = containers
                .iter()
                .flat_map(|c| c.env.iter().flatten())
                .any(|e| e.name == "BLOCKED_CIDRS_IN_JWKS_URIS" && e.value.as_deref().is_some_and(|v| !v.is_empty()));
            if set {
                continue;
            }
            let obj = &cx.objects[i];
            out.push(
                cx.at(
                    &META,
                    obj,
                    "/metadata/name",
                    format!(
                        "istiod Deployment {}/{} does not set BLOCKED_CIDRS_IN_JWKS_URIS, and {} RequestAuthentication(s) ({shown}) make it fetch jwksUri addresses: any address it reaches can be requested",
                        obj.namespace_or(&cx.options.default_namespace),
                        obj.name.as_deref().unwrap_or_default(),
                        names.len()
                    ),
                )
                .label("jwksUri fetches unrestricted")
                .help("set BLOCKED_CIDRS_IN_JWKS_URIS on istiod's discovery container"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0519");
        assert!(f.len() == 1 && f[0].1.contains("1 RequestAuthentication(s) (foo/jwt)"), "{f:?}");
    }

    #[test]
    fn the_variable_set_or_no_request_authentication() {
        let example = docs_example(&super::META);
        let set = example.replace("image: docker.io/istio/pilot:1.30.3", "image: docker.io/istio/pilot:1.30.3\n        env: [{name: BLOCKED_CIDRS_IN_JWKS_URIS, value: 169.254.169.254/32}]");
        assert!(findings(&set, "MESH0519").is_empty());
        assert!(findings(example.split("---\n").next().unwrap(), "MESH0519").is_empty());
    }
}
