use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::hosts;
use crate::mesh::nearest;
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0521",
    name: "authz-host-unknown",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An AuthorizationPolicy `hosts` entry names a cluster service the input does not have",
    docs: r#"## What it finds
A `hosts` or `notHosts` value of an AuthorizationPolicy that is a cluster service name (a short
name, `name.namespace`, `name.namespace.svc` or the full `….svc.cluster.local`, with or without a
port) in a namespace whose services the input shows, where no Service or ServiceEntry has that
host. Kiali reports every host that matches no Service, ServiceEntry or VirtualService (KIA0104);
meshctl leaves out external names, which only the gateway's own servers and VirtualServices know,
and wildcards.

## Why it matters
The Host header of a request is the name the client used. A `hosts` value no service has never
matches: an ALLOW on it allows nothing, a DENY on it denies nothing.

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: by-host, namespace: foo}
spec:
  rules: [{to: [{operation: {hosts: ["htpbin.foo.svc.cluster.local"]}}]}]
```

## Fix
Name the service as it is, and list the forms clients use (`httpbin`, `httpbin.foo`, with `:*`
for any port).
"#,
};

pub struct Check;

/// The FQDN of a cluster-service name written in a policy of `ns`, if it is one.
fn cluster_fqdn(host: &str, ns: &str) -> Option<String> {
    let name = host
        .rsplit_once(':')
        .map_or(host, |(h, p)| if p.chars().all(|c| c.is_ascii_digit() || c == '*') { h } else { host });
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        [n] => Some(hosts::fqdn(n, ns)),
        [n, space] => Some(hosts::fqdn(n, space)),
        [n, space, "svc"] => Some(hosts::fqdn(n, space)),
        _ if name.ends_with(".svc.cluster.local") => Some(name.to_string()),
        _ => None,
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let name = obj.name.as_deref().unwrap_or_default();
            for (r, rule) in p.spec.rules.iter().flatten().enumerate() {
                for (j, to) in rule.to.iter().flatten().enumerate() {
                    let Some(o) = &to.operation else { continue };
                    for (field, values) in [("hosts", &o.hosts), ("notHosts", &o.not_hosts)] {
                        for (k, v) in values.iter().flatten().enumerate() {
                            let lower = v.to_ascii_lowercase();
                            if lower.starts_with('*') || lower.ends_with("*") && !lower.ends_with(":*") {
                                continue;
                            }
                            let Some(fqdn) = cluster_fqdn(&lower, ns) else { continue };
                            let Some((space, _)) = hosts::service_of(&fqdn) else { continue };
                            // Only where the input shows that namespace's services, and a
                            // `name.space` that is no namespace of the input is an external name.
                            if !mesh.namespace_known(space) || mesh.services_by_host(&fqdn).next().is_some() {
                                continue;
                            }
                            let near = nearest(&fqdn, mesh.service_hosts());
                            let hint = near.first().map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
                            out.push(
                                cx.at(
                                    &META,
                                    obj,
                                    &format!("/spec/rules/{r}/to/{j}/operation/{field}/{k}"),
                                    format!("AuthorizationPolicy {ns}/{name} rule {r} names the host {v:?}, and no service of namespace {space} is {fqdn}: requests never carry it{hint}"),
                                )
                                .label("no such service")
                                .help("name the service as clients call it"),
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
        let f = findings(&docs_example(&super::META), "MESH0521");
        assert!(f.len() == 1 && f[0].1.contains("did you mean `httpbin.foo.svc.cluster.local`?"), "{f:?}");
    }

    #[test]
    fn known_names_external_names_and_unseen_namespaces() {
        let example = docs_example(&super::META);
        for ok in [
            "httpbin",
            "httpbin:8000",
            "httpbin.foo",
            "httpbin.foo:*",
            "httpbin.foo.svc",
            "HTTPBIN.foo",
            "api.example.com",
            "*.foo.svc.cluster.local",
            "x.bar",
        ] {
            let yaml = example.replace("htpbin.foo.svc.cluster.local", ok);
            assert!(findings(&yaml, "MESH0521").is_empty(), "{ok}");
        }
        assert_eq!(findings(&example.replace("htpbin.foo.svc.cluster.local", "htpbin:8000"), "MESH0521").len(), 1);
    }
}
