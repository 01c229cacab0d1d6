use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::nearest;
use crate::model::security::Action;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0515",
    name: "custom-provider-not-found",
    severity: Severity::Error,
    istio_code: None,
    summary: "A CUSTOM AuthorizationPolicy names an extension provider the mesh config does not define",
    docs: r#"## What it finds
A CUSTOM AuthorizationPolicy whose `provider.name` is not among the `extensionProviders` of the mesh
config given with `--mesh-config` (the rule speaks only when the mesh config defines providers).

## Why it matters
istiod cannot build the ext_authz filter, and builds the policy's rules as DENY rules instead
(`pilot/pkg/security/authz/builder/builder.go`, `getBadCustomDenyRules`): every request the rules
match gets 403 instead of going to the external authorizer.

## Example
```yaml
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: CUSTOM
  provider: {name: sample-ext-authz-grpcc}
  rules: [{to: [{operation: {paths: ["/headers"]}}]}]
```

## Fix
Name a provider of `meshConfig.extensionProviders`, or add the provider there.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        if engine.providers.is_empty() {
            return;
        }
        for p in engine.authorization.iter().filter(|p| p.res.spec.action() == Action::Custom) {
            let Some(name) = p.res.spec.provider.as_ref().and_then(|x| x.name.as_deref()) else { continue };
            if engine.providers.iter().any(|n| n == name) {
                continue;
            }
            let near = nearest(name, engine.providers.iter().map(String::as_str));
            let hint = near.first().map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            out.push(
                cx.at(
                    &META,
                    &cx.objects[p.obj],
                    "/spec/provider/name",
                    format!(
                        "AuthorizationPolicy {} names the provider {name:?}, which the mesh config's extensionProviders ({}) do not define: istiod builds its rules as DENY, so the requests they match get 403{hint}",
                        p.key(),
                        engine.providers.join(", ")
                    ),
                )
                .label("no such provider")
                .help("name one of meshConfig.extensionProviders, or define the provider there"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::LintOptions;
    use crate::lint::rules::{docs_example, findings, findings_with};

    fn with_provider() -> LintOptions {
        let mut o = LintOptions::default();
        o.mesh.extension_providers =
            vec![crate::mesh::config::ExtensionProvider { name: Some("sample-ext-authz-grpc".into()) }];
        o
    }

    #[test]
    fn the_example_is_reported() {
        let f = findings_with(&docs_example(&super::META), "MESH0515", &with_provider());
        assert!(f.len() == 1 && f[0].1.contains("did you mean `sample-ext-authz-grpc`?"), "{f:?}");
    }

    #[test]
    fn a_known_provider_or_no_mesh_config() {
        let example = docs_example(&super::META);
        assert!(findings_with(&example.replace("grpcc", "grpc"), "MESH0515", &with_provider()).is_empty());
        assert!(findings(&example, "MESH0515").is_empty());
    }
}
