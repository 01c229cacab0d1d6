use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::security::Action;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0513",
    name: "allow-nothing-by-accident",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An ALLOW AuthorizationPolicy with a `rules` key but no rule denies every request",
    docs: r#"## What it finds
An ALLOW AuthorizationPolicy that writes `rules:` but leaves it empty (`rules: []`, or `rules:`
with nothing under it, as when the list below it is mis-indented away). `spec: {}` and a policy
without a `rules` key are Istio's allow-nothing idiom and are left alone.

## Why it matters
A policy without rules matches nothing (`pilot/pkg/security/authz/builder`: `rbacPolicyMatchNever`),
and since it is an ALLOW policy, the workloads it reaches have an ALLOW policy that never matches:
they deny every request that no other ALLOW policy allows.

## Example
```yaml
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin-viewer, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules: []
```

## Fix
Write the rules the policy is meant to allow, or `rules: [{}]` to allow everything; to deny
everything on purpose, write `spec: {}`.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            if p.spec.action() != Action::Allow || p.spec.rules.as_ref().is_some_and(|r| !r.is_empty()) {
                continue;
            }
            let obj = &cx.objects[i];
            if cx.docs[obj.doc].node(&obj.pointer("/spec/rules")).is_none() || crate::authz::dry_run_meta(p.as_ref()) {
                continue;
            }
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let name = obj.name.as_deref().unwrap_or_default();
            out.push(
                cx.at(
                    &META,
                    obj,
                    "/spec/rules",
                    format!(
                        "AuthorizationPolicy {ns}/{name} is an ALLOW policy whose rules are empty: it matches nothing, so the workloads it reaches deny every request no other ALLOW policy allows"
                    ),
                )
                .label("no rules: denies all")
                .help("write the rules to allow, `rules: [{}]` to allow all, or `spec: {}` to deny all on purpose"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0513");
        assert!(f.len() == 1 && f[0].0 == 7, "{f:?}");
    }

    #[test]
    fn the_allow_nothing_idiom_and_real_rules() {
        let example = docs_example(&super::META);
        assert_eq!(findings(&example.replace("  rules: []", "  rules:"), "MESH0513").len(), 1);
        assert!(findings(&example.replace("  rules: []\n", ""), "MESH0513").is_empty());
        assert!(findings(&example.replace("rules: []", "rules: [{}]"), "MESH0513").is_empty());
        assert!(findings(&example.replace("action: ALLOW", "action: DENY"), "MESH0513").is_empty());
    }
}
