use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{hosts, nearest};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0214",
    name: "unknown-destination-rule-host",
    severity: Severity::Warning,
    istio_code: Some("IST0174"),
    summary: "A DestinationRule's host matches no Service or ServiceEntry visible to it",
    docs: r#"## What it finds
A DestinationRule whose `host` matches no Kubernetes Service and no ServiceEntry visible from the
rule's namespace. Hosts resolve as for routes: a short name `reviews` is
`reviews.<namespace of the DestinationRule>.svc.cluster.local`, a dotted name is taken as written,
wildcard ServiceEntry hosts cover the names below them, and a wildcard rule host is satisfied by
any service it covers. A cluster-local host is only checked when the input defines some Service,
ServiceEntry or workload in that host's namespace: otherwise the namespace is out of sight, not
empty.

## Why it matters
The rule applies to nothing: its traffic policy (TLS, load balancing, outlier detection) and its
subsets never take effect, and routes to its subsets fail.

## Example
```yaml
kind: DestinationRule
spec:
  host: reviewz.default.svc.cluster.local   # the Service is reviews
```

## Fix
Correct the host (the finding names the closest existing ones), or create the Service or
ServiceEntry it is for.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for dr in &mesh.destination_rules {
            let host = dr.rule.spec.host.as_str();
            if host.is_empty() || !mesh.services_for(host, &dr.namespace).is_empty() {
                continue;
            }
            if dr.host.starts_with('*') && mesh.service_hosts().any(|h| hosts::matches(&dr.host, h)) {
                continue;
            }
            if let Some((sns, _)) = hosts::service_of(&dr.host).filter(|(sns, _)| !mesh.namespace_known(sns)) {
                cx.out_of_sight(sns, format!("DestinationRule host `{}`", dr.host));
                continue;
            }
            let obj = &cx.objects[dr.obj];
            let ns = &dr.namespace;
            let resolved = if dr.host == host { String::new() } else { format!(" (`{}`)", dr.host) };
            let mut d = cx.at(&META, obj, "/spec/host", format!("DestinationRule host `{host}`{resolved} "));
            if let Some(h) = mesh.hidden_services_for(host, ns).first() {
                d.message.push_str(&format!("exists in namespace `{}` but is not exported to `{ns}`", h.namespace));
                d = d.label("not exported here").help(format!(
                    "add `{ns}` to the exportTo of the service in `{}`, or move the DestinationRule to a namespace it \
                     is exported to",
                    h.namespace
                ));
                if let Some(o) = h.obj {
                    let other = &cx.objects[o];
                    d = d.related(cx.span(other, "/metadata/name"), None, "defined here, with a narrower exportTo");
                }
            } else {
                d.message.push_str(&format!("matches no Service or ServiceEntry visible from namespace `{ns}`"));
                d = d.label("no such host");
                let near = nearest(&dr.host, mesh.service_hosts());
                d = d.help(match near.as_slice() {
                    [] => "create the Service or a ServiceEntry for this host, or remove the rule".to_string(),
                    near => format!("did you mean {}?", crate::mesh::quoted_alternatives(near)),
                });
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: HOST
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext
spec:
  hosts: ['a.example.com']
  ports:
  - {name: https, number: 443, protocol: TLS}
  resolution: DNS
";

    #[test]
    fn reports_a_host_no_service_defines() {
        let out = run(&MESH.replace("HOST", "reviewz"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0214").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 6);
        assert!(d[0].message.contains("`reviewz.default.svc.cluster.local`"), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap_or("").contains("reviews.default.svc.cluster.local"), "{:?}", d[0].help);
    }

    #[test]
    fn known_hosts_wildcards_and_unseen_namespaces_are_not_reported() {
        for host in [
            "reviews",
            "reviews.default.svc.cluster.local",
            "a.example.com",
            "'*.example.com'",
            "x.other.svc.cluster.local",
        ] {
            let out = run(&MESH.replace("HOST", host));
            assert!(out.diagnostics.iter().all(|d| d.code != "MESH0214"), "{host}: {:?}", out.diagnostics);
        }
    }
}
