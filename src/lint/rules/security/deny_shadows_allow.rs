use crate::authz::matcher;
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::selects;
use crate::model::security::{Action, AuthorizationPolicy, Condition, Operation, Rule as AuthzRule, Source};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0514",
    name: "deny-shadows-allow",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An ALLOW rule allows nothing: a DENY rule on the same workloads matches every request it matches",
    docs: r#"## What it finds
An ALLOW rule of an AuthorizationPolicy such that a DENY rule reaching at least the same workloads
matches every request the ALLOW rule matches: the DENY's conditions are each a condition of the
ALLOW rule, with values that take all of the ALLOW's. DENY is evaluated before ALLOW
(`pilot/pkg/security/authz/builder/builder.go`), so such an ALLOW rule never allows anything.
It compares the rules as written (exact values, and the `*` prefix and suffix forms), and says
nothing where the containment depends on `not` fields.

## Why it matters
An exception carved out with an ALLOW under a broader DENY does not work (istio/istio#29119): the
requests stay denied. The fix is to narrow the DENY (`notPaths`, `notPrincipals`).

## Example
```yaml
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: foo}
spec:
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-ops-admin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/ops/sa/admin]}}]
    to: [{operation: {paths: [/admin/users]}}]
```

## Fix
Carve the exception out of the DENY: add `notPrincipals: [cluster.local/ns/ops/sa/admin]` to its
source, then the ALLOW is not needed for that caller.
"#,
};

pub struct Check;

/// Every value of `a` is taken by a value of `d` (`d` written with the string forms, `a` exactly).
fn values_cover(d: &Option<Vec<String>>, a: &Option<Vec<String>>, cmp: fn(&str, &str) -> bool) -> bool {
    let set = |v: &Option<Vec<String>>| v.as_ref().filter(|v| !v.is_empty()).cloned();
    match (set(d), set(a)) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(d), Some(a)) => {
            a.iter().all(|av| d.iter().any(|dv| dv == av || (!av.contains('*') && !av.contains('{') && cmp(dv, av))))
        }
    }
}

fn has_nots_source(s: &Source) -> bool {
    [
        &s.not_principals,
        &s.not_request_principals,
        &s.not_namespaces,
        &s.not_service_accounts,
        &s.not_trust_domains,
        &s.not_ip_blocks,
        &s.not_remote_ip_blocks,
    ]
    .iter()
    .any(|v| v.as_ref().is_some_and(|v| !v.is_empty()))
}

fn has_nots_operation(o: &Operation) -> bool {
    [&o.not_hosts, &o.not_ports, &o.not_methods, &o.not_paths].iter().any(|v| v.as_ref().is_some_and(|v| !v.is_empty()))
}

fn exact(d: &str, a: &str) -> bool {
    d == a
}

fn source_covers(d: &Source, a: &Source) -> bool {
    !has_nots_source(d)
        && values_cover(&d.principals, &a.principals, matcher::string)
        && values_cover(&d.request_principals, &a.request_principals, matcher::string)
        && values_cover(&d.namespaces, &a.namespaces, matcher::string)
        && values_cover(&d.service_accounts, &a.service_accounts, exact)
        && values_cover(&d.trust_domains, &a.trust_domains, matcher::string)
        && values_cover(&d.ip_blocks, &a.ip_blocks, exact)
        && values_cover(&d.remote_ip_blocks, &a.remote_ip_blocks, exact)
}

fn operation_covers(d: &Operation, a: &Operation) -> bool {
    !has_nots_operation(d)
        && values_cover(&d.hosts, &a.hosts, matcher::string_ignore_case)
        && values_cover(&d.ports, &a.ports, exact)
        && values_cover(&d.methods, &a.methods, exact)
        && values_cover(&d.paths, &a.paths, matcher::path)
}

fn condition_covers(d: &Condition, a: &[Condition]) -> bool {
    d.not_values.as_ref().is_none_or(Vec::is_empty)
        && a.iter().any(|c| {
            c.key == d.key
                && c.not_values.as_ref().is_none_or(Vec::is_empty)
                && values_cover(&d.values, &c.values, matcher::string)
        })
}

/// Whether DENY rule `d` matches every request ALLOW rule `a` matches.
fn rule_covers(d: &AuthzRule, a: &AuthzRule) -> bool {
    let sources = |r: &AuthzRule| -> Option<Vec<Source>> {
        r.from
            .as_ref()
            .filter(|f| !f.is_empty())
            .map(|f| f.iter().map(|x| x.source.clone().unwrap_or_default()).collect())
    };
    let ops = |r: &AuthzRule| -> Option<Vec<Operation>> {
        r.to.as_ref()
            .filter(|t| !t.is_empty())
            .map(|t| t.iter().map(|x| x.operation.clone().unwrap_or_default()).collect())
    };
    // Every alternative of `a` must be matched by some alternative of `d`.
    let from_ok = match (sources(d), sources(a)) {
        (None, _) => true,
        (Some(ds), None) => ds.iter().any(|s| source_covers(s, &Source::default())),
        (Some(ds), Some(as_)) => as_.iter().all(|x| ds.iter().any(|s| source_covers(s, x))),
    };
    let to_ok = match (ops(d), ops(a)) {
        (None, _) => true,
        (Some(dops), None) => dops.iter().any(|o| operation_covers(o, &Operation::default())),
        (Some(dops), Some(aops)) => aops.iter().all(|x| dops.iter().any(|o| operation_covers(o, x))),
    };
    let a_when = a.when.clone().unwrap_or_default();
    from_ok && to_ok && d.when.iter().flatten().all(|c| condition_covers(c, &a_when))
}

/// Whether the DENY policy reaches every workload the ALLOW policy reaches.
fn reaches_all(
    root: &str,
    deny_ns: &str,
    deny: &AuthorizationPolicy,
    allow_ns: &str,
    allow: &AuthorizationPolicy,
) -> bool {
    let targeted = |p: &AuthorizationPolicy| {
        p.spec.target_ref.is_some() || p.spec.target_refs.as_ref().is_some_and(|r| !r.is_empty())
    };
    if targeted(deny) || targeted(allow) || !(deny_ns == root || deny_ns == allow_ns) {
        return false;
    }
    let labels =
        |p: &AuthorizationPolicy| p.spec.selector.as_ref().and_then(|s| s.match_labels.clone()).unwrap_or_default();
    let (d, a) = (labels(deny), labels(allow));
    // Every pod the ALLOW selects carries the ALLOW's labels, so a DENY whose labels are among them
    // selects it too; a root-namespace ALLOW reaches other namespaces than a namespaced DENY.
    selects(&d, &a) && !(allow_ns == root && deny_ns != root)
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        let root = engine.root_namespace.as_str();
        let enforced = |action: Action| {
            engine.authorization.iter().filter(move |p| p.res.spec.action() == action && !crate::authz::dry_run(p))
        };
        let denies: Vec<_> = enforced(Action::Deny).collect();
        if denies.is_empty() {
            return;
        }
        for allow in enforced(Action::Allow) {
            for (k, a) in allow.res.spec.rules.iter().flatten().enumerate() {
                let shadow = denies
                    .iter()
                    .filter(|d| reaches_all(root, &d.namespace, d.res, &allow.namespace, allow.res))
                    .find_map(|d| d.res.spec.rules.iter().flatten().position(|r| rule_covers(r, a)).map(|j| (d, j)));
                let Some((deny, j)) = shadow else { continue };
                out.push(
                    cx.at(
                        &META,
                        &cx.objects[allow.obj],
                        &format!("/spec/rules/{k}"),
                        format!(
                            "AuthorizationPolicy {} rule {k} allows nothing: rule {j} of the DENY policy {} matches every request it matches, and DENY is evaluated first",
                            allow.key(),
                            deny.key()
                        ),
                    )
                    .label("shadowed by a DENY")
                    .help("carve the exception out of the DENY rule (notPrincipals, notPaths) instead of adding an ALLOW"),
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
        let f = findings(&docs_example(&super::META), "MESH0514");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.contains("foo/allow-ops-admin rule 0 allows nothing: rule 0 of the DENY policy foo/deny-admin"),
            "{f:?}"
        );
    }

    #[test]
    fn narrower_denies_exceptions_and_other_workloads() {
        let example = docs_example(&super::META);
        // The DENY takes /admin* only; /public is not under it.
        assert!(findings(&example.replace("paths: [/admin/users]", "paths: [/public]"), "MESH0514").is_empty());
        // An exception in the DENY.
        let carved = example.replace(
            "rules: [{to: [{operation: {paths: [\"/admin*\"]}}]}]",
            "rules: [{from: [{source: {notPrincipals: [cluster.local/ns/ops/sa/admin]}}], to: [{operation: {paths: [\"/admin*\"]}}]}]",
        );
        assert!(findings(&carved, "MESH0514").is_empty());
        // A DENY for other pods.
        let other = example.replace("  action: DENY\n", "  selector: {matchLabels: {app: other}}\n  action: DENY\n");
        assert!(findings(&other, "MESH0514").is_empty());
        // A DENY in another namespace.
        assert!(
            findings(
                &example.replace("name: deny-admin, namespace: foo", "name: deny-admin, namespace: bar"),
                "MESH0514"
            )
            .is_empty()
        );
        // A root-namespace DENY reaches everything.
        assert_eq!(
            findings(
                &example.replace("name: deny-admin, namespace: foo", "name: deny-admin, namespace: istio-system"),
                "MESH0514"
            )
            .len(),
            1
        );
        // An ALLOW wildcard path is not compared with the DENY's forms.
        assert!(findings(&example.replace("paths: [/admin/users]", "paths: [\"/admin/*\"]"), "MESH0514").len() <= 1);
    }
}
