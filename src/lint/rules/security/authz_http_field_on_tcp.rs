use crate::authz::KeyKind;
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::security::{Action, Rule as AuthzRule};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0504",
    name: "authz-http-field-on-tcp",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An AuthorizationPolicy rule uses HTTP-only fields on workloads that serve only TCP",
    docs: r#"## What it finds
An AuthorizationPolicy rule that uses `methods`, `paths`, `hosts`, `requestPrincipals`, their
`not` forms, or a `request.headers` / `request.auth` condition, where every workload the policy
reaches is behind Services whose ports are all TCP (`tcp`, `tls`, `https`, `mongo`, `redis`,
`mysql` by port name or appProtocol).

## Why it matters
TCP connections have no HTTP attributes, and istiod builds such rules for TCP filter chains
differently (`pilot/pkg/security/authz/model/model.go`): an ALLOW rule with an HTTP-only field is
left out whole, so it never allows anything, and with no other rule the workload denies every
connection; a DENY rule is built without those fields, so it denies more than it says: `methods:
[GET]` on a DENY denies every connection. istiod only warns about the DENY side, at apply time.

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: foo}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tcp-echo, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  template:
    metadata: {labels: {app: tcp-echo}}
    spec: {containers: [{name: tcp-echo, image: istio/tcp-echo-server}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: tcp-policy, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: [GET]
        ports: ["9000"]
```

## Fix
Match TCP traffic on what it has: `ports`, `principals`, `namespaces`, `ipBlocks`, or
`source.*`/`destination.port` conditions. Keep HTTP fields for HTTP ports, or name the port
`http-…` if the service speaks HTTP.
"#,
};

pub struct Check;

/// The pointer of the first HTTP-only field of rule `i`, and its name.
fn http_field(rule: &AuthzRule, i: usize) -> Option<(String, String)> {
    let set = |v: &Option<Vec<String>>| v.as_ref().is_some_and(|v| !v.is_empty());
    for (j, f) in rule.from.iter().flatten().enumerate() {
        let Some(s) = &f.source else { continue };
        for (name, v) in
            [("requestPrincipals", &s.request_principals), ("notRequestPrincipals", &s.not_request_principals)]
        {
            if set(v) {
                return Some((format!("/spec/rules/{i}/from/{j}/source/{name}"), name.to_string()));
            }
        }
    }
    for (j, t) in rule.to.iter().flatten().enumerate() {
        let Some(o) = &t.operation else { continue };
        for (name, v) in [
            ("methods", &o.methods),
            ("notMethods", &o.not_methods),
            ("paths", &o.paths),
            ("notPaths", &o.not_paths),
            ("hosts", &o.hosts),
            ("notHosts", &o.not_hosts),
        ] {
            if set(v) {
                return Some((format!("/spec/rules/{i}/to/{j}/operation/{name}"), name.to_string()));
            }
        }
    }
    let (k, c) =
        rule.when.iter().flatten().enumerate().find(|(_, c)| crate::authz::key_kind(&c.key) == KeyKind::Http)?;
    Some((format!("/spec/rules/{i}/when/{k}/key"), format!("when `{}`", c.key)))
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            let action = p.spec.action();
            if !matches!(action, Action::Allow | Action::Deny) {
                continue;
            }
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let refs = crate::authz::refs(&p.spec.target_ref, &p.spec.target_refs);
            let workloads = super::reached(cx, ns, p.spec.selector.as_ref(), &refs);
            if workloads.is_empty() || !workloads.iter().all(|w| super::tcp_only(cx, w)) {
                continue;
            }
            let names: Vec<String> = workloads.iter().map(|w| crate::authz::workload_name(cx, w)).collect();
            let name = obj.name.as_deref().unwrap_or_default();
            for (k, rule) in p.spec.rules.iter().flatten().enumerate() {
                let Some((pointer, field)) = http_field(rule, k) else { continue };
                let (what, label) = if action == Action::Allow {
                    (
                        "istiod leaves the rule out for TCP, so it never allows a connection".to_string(),
                        "never matches on TCP",
                    )
                } else {
                    (
                        "istiod builds the rule without its HTTP fields for TCP, so it denies more than it says"
                            .to_string(),
                        "dropped on TCP",
                    )
                };
                out.push(
                    cx.at(
                        &META,
                        obj,
                        &pointer,
                        format!(
                            "AuthorizationPolicy {ns}/{name} rule {k} uses {field}, an HTTP-only field, and the workloads it reaches ({}) serve only TCP: {what}",
                            names.join(", ")
                        ),
                    )
                    .label(label)
                    .help("match TCP connections on ports, principals, namespaces or ipBlocks; keep HTTP fields for HTTP ports"),
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
        let f = findings(&docs_example(&super::META), "MESH0504");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("rule 0 uses methods") && f[0].1.contains("never allows"), "{f:?}");
        let deny = docs_example(&super::META).replace("action: ALLOW", "action: DENY");
        let f = findings(&deny, "MESH0504");
        assert!(f.len() == 1 && f[0].1.contains("denies more than it says"), "{f:?}");
    }

    #[test]
    fn http_ports_sniffed_ports_and_tcp_fields_are_left_alone() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("name: tcp, port: 9000", "name: http, port: 9000"), "MESH0504").is_empty());
        // An unnamed port is sniffed: it may carry HTTP.
        assert!(findings(&example.replace("name: tcp, port: 9000", "port: 8080"), "MESH0504").is_empty());
        assert!(findings(&example.replace("        methods: [GET]\n", ""), "MESH0504").is_empty());
        // No Service in front of the workload: its protocol is out of sight.
        let no_service = example.split_once("---\n").unwrap().1;
        assert!(findings(no_service, "MESH0504").is_empty());
    }
}
