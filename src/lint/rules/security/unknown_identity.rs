use crate::authz::matcher::{self, Spiffe};
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::nearest;
use crate::model::Typed;
use std::collections::BTreeSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0512",
    name: "unknown-identity",
    severity: Severity::Warning,
    istio_code: Some("IST0101"),
    summary: "An AuthorizationPolicy names a principal, service account or namespace no workload of the input has",
    docs: r#"## What it finds
A `from.source` value of an AuthorizationPolicy that matches no identity the input shows:
- a `principals` or `notPrincipals` entry `<trust domain>/ns/<ns>/sa/<sa>` (or a `serviceAccounts`
  entry) whose namespace's workloads the input shows, none of which runs as that service account
  (and no ServiceAccount of that name is in the input), as Kiali checks it (KIA0106);
- a `namespaces` or `notNamespaces` entry that matches no namespace of the input while one of its
  namespaces is a near spelling of it (`istioctl analyze` reports every unknown namespace, IST0101;
  meshctl sees only the input, where a namespace it does not show is out of sight, not missing).

Values with wildcards, and principals of another trust domain, are left alone.

## Why it matters
The rule can never match: an ALLOW meant for that caller denies it (the implicit deny), a DENY
meant for it lets it through.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  template:
    metadata: {labels: {app: productpage}}
    spec:
      serviceAccountName: bookinfo-productpage
      containers: [{name: productpage, image: istio/examples-bookinfo-productpage-v1}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: details-viewer, namespace: default}
spec:
  selector: {matchLabels: {app: details}}
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/default/sa/bookinfo-product-page]
```

## Fix
Use the service account the workload runs as (`spec.template.spec.serviceAccountName`, `default`
when unset), or the namespace as it is spelled.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = &cx.options.default_namespace;
        let mesh = cx.mesh();
        let engine = cx.authz();
        // The identities the input shows, by namespace: its workloads' service accounts and its
        // ServiceAccounts.
        let mut accounts: BTreeSet<(String, String)> = mesh
            .workloads
            .iter()
            .filter(|w| w.obj.is_some())
            .map(|w| (w.namespace.clone(), crate::authz::service_account(cx, w).to_string()))
            .collect();
        accounts.extend(
            cx.objects
                .iter()
                .filter(|o| o.kind == "ServiceAccount")
                .filter_map(|o| Some((o.namespace_or(default_ns).to_string(), o.name.clone()?))),
        );
        let shown: BTreeSet<&str> = accounts.iter().map(|(ns, _)| ns.as_str()).collect();
        let mut namespaces: BTreeSet<String> = shown.iter().map(|s| s.to_string()).collect();
        namespaces.extend(
            cx.objects
                .iter()
                .zip(cx.typed)
                .filter(|(_, t)| matches!(t, Some(Ok(Typed::Namespace(_)))))
                .filter_map(|(o, _)| o.name.clone()),
        );
        let local = engine.trust_domain.as_str();
        let aliases = &engine.trust_domain_aliases;
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(default_ns);
            let name = obj.name.as_deref().unwrap_or_default();
            for (r, rule) in p.spec.rules.iter().flatten().enumerate() {
                for (f, from) in rule.from.iter().flatten().enumerate() {
                    let Some(s) = &from.source else { continue };
                    let base = format!("/spec/rules/{r}/from/{f}/source");
                    let mut principal = |field: &str, k: usize, v: &str, ans: &str, sa: &str| {
                        if !shown.contains(ans) || accounts.contains(&(ans.to_string(), sa.to_string())) {
                            return;
                        }
                        let near = nearest(sa, accounts.iter().filter(|(n, _)| n == ans).map(|(_, a)| a.as_str()));
                        let hint = near.first().map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
                        out.push(
                            cx.at(&META, obj, &format!("{base}/{field}/{k}"), format!(
                                "AuthorizationPolicy {ns}/{name} rule {r} names {v:?}, but no workload of namespace {ans} runs as the service account {sa:?}: the value matches no caller{hint}"
                            ))
                            .label("no such identity")
                            .help("use the service account the workload runs as (serviceAccountName, `default` when unset)"),
                        );
                    };
                    for (field, values) in [("principals", &s.principals), ("notPrincipals", &s.not_principals)] {
                        for (k, v) in values.iter().flatten().enumerate() {
                            if v.contains('*') {
                                continue;
                            }
                            let id = Spiffe::parse(v);
                            let ours = id.trust_domain == "cluster.local"
                                || id.trust_domain == local
                                || aliases.iter().any(|a| a == id.trust_domain);
                            if let (true, Some(ans), Some(sa)) = (ours, id.namespace, id.service_account) {
                                principal(field, k, v, ans, sa);
                            }
                        }
                    }
                    for (field, values) in
                        [("serviceAccounts", &s.service_accounts), ("notServiceAccounts", &s.not_service_accounts)]
                    {
                        for (k, v) in values.iter().flatten().enumerate() {
                            let (ans, sa) = v.split_once('/').unwrap_or((ns, v));
                            principal(field, k, v, ans, sa);
                        }
                    }
                    for (field, values) in [("namespaces", &s.namespaces), ("notNamespaces", &s.not_namespaces)] {
                        for (k, v) in values.iter().flatten().enumerate() {
                            if v.contains('*') || namespaces.iter().any(|n| matcher::string(v, n)) {
                                continue;
                            }
                            let near = nearest(v, namespaces.iter().map(String::as_str));
                            let Some(n) = near.first() else { continue };
                            out.push(
                                cx.at(&META, obj, &format!("{base}/{field}/{k}"), format!(
                                    "AuthorizationPolicy {ns}/{name} rule {r} names the namespace {v:?}, which the input does not have; did you mean `{n}`?"
                                ))
                                .label("no such namespace")
                                .help("spell the namespace as it is"),
                            );
                        }
                    }
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
        let f = findings(&docs_example(&super::META), "MESH0512");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.contains("no workload of namespace default runs as the service account \"bookinfo-product-page\""),
            "{f:?}"
        );
        assert!(f[0].1.contains("did you mean `bookinfo-productpage`?"), "{f:?}");
    }

    #[test]
    fn known_identities_unseen_namespaces_wildcards_and_namespaces() {
        let example = docs_example(&super::META);
        assert!(
            findings(&example.replace("sa/bookinfo-product-page", "sa/bookinfo-productpage"), "MESH0512").is_empty()
        );
        // Namespace bar's workloads are not in the input: out of sight.
        assert!(
            findings(&example.replace("ns/default/sa/bookinfo-product-page", "ns/bar/sa/x"), "MESH0512").is_empty()
        );
        assert!(findings(&example.replace("sa/bookinfo-product-page", "sa/bookinfo-*"), "MESH0512").is_empty());
        assert!(findings(&example.replace("cluster.local/ns", "other.domain/ns"), "MESH0512").is_empty());
        let sa = example.replace(
            "principals: [cluster.local/ns/default/sa/bookinfo-product-page]",
            "serviceAccounts: [bookinfo-reviews]",
        );
        assert_eq!(findings(&sa, "MESH0512").len(), 1);
        let with_sa = format!(
            "{sa}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: bookinfo-reviews, namespace: default}}\n"
        );
        assert!(findings(&with_sa, "MESH0512").is_empty());
        let typo =
            example.replace("principals: [cluster.local/ns/default/sa/bookinfo-product-page]", "namespaces: [defualt]");
        let f = findings(&typo, "MESH0512");
        assert!(f.len() == 1 && f[0].1.contains("did you mean `default`?"), "{f:?}");
        // A namespace the input does not show, with nothing near it: out of sight.
        assert!(findings(&typo.replace("[defualt]", "[monitoring]"), "MESH0512").is_empty());
    }
}
