use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{DestinationRole, hosts, nearest, vs_destinations};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0201",
    name: "unknown-destination-host",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A VirtualService routes (or mirrors) to a host that no Service or ServiceEntry visible to it defines",
    docs: r#"## What it finds
A destination `host` of a VirtualService (HTTP, TCP or TLS route, `mirror`, `mirrors`) that
matches no Kubernetes Service and no ServiceEntry visible from the VirtualService's namespace. Hosts
resolve as Istio resolves them: a short name `reviews` is `reviews.<namespace of the
VirtualService>.svc.cluster.local`; a dotted name is taken as written (`reviews.prod` is not
`reviews.prod.svc.cluster.local`); wildcard ServiceEntry hosts cover the names below them;
`exportTo` (and the `networking.istio.io/exportTo` annotation on Services) decides visibility.
A cluster-local host is only checked when the input defines some Service, ServiceEntry or
workload in that host's namespace: otherwise the namespace is out of sight, not empty.

## Why it matters
Envoy has no cluster for the host: requests that take the route get `503` (`NC`, no cluster), and
mirrored traffic is silently dropped.

## Example
```yaml
http:
- route:
  - destination:
      host: reviewz        # no Service reviewz in this namespace
```

## Fix
Correct the host (the finding names the closest existing ones), create the Service or a
ServiceEntry for it, or export the existing one to this namespace.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for &(i, vs) in &mesh.virtual_services {
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(mesh.default_namespace);
            for (ptr, dest, role) in vs_destinations(vs) {
                if !mesh.services_for(&dest.host, ns).is_empty() {
                    continue;
                }
                let fqdn = hosts::fqdn(&dest.host, ns);
                // A destination without a host sends the route's traffic nowhere (the schema rule
                // says the field is missing; this says what it breaks).
                if dest.host.is_empty() {
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &ptr,
                            format!("a {} without a host: its traffic goes nowhere", what_of(role)),
                        )
                        .label("no host")
                        .help("name the service: `destination: {host: reviews}`"),
                    );
                    continue;
                }
                // A cluster-local host in a namespace of which the input defines nothing is out of
                // sight, not missing.
                if let Some((sns, _)) = hosts::service_of(&fqdn).filter(|(sns, _)| !mesh.namespace_known(sns)) {
                    cx.out_of_sight(sns, format!("destination host `{fqdn}`"));
                    continue;
                }
                let what = if role == DestinationRole::Mirror { "mirror host" } else { "destination host" };

                let resolved = if fqdn == dest.host { String::new() } else { format!(" (`{fqdn}`)") };
                let hidden = mesh.hidden_services_for(&dest.host, ns);
                let mut d = cx.at(&META, obj, &format!("{ptr}/host"), format!("{what} `{}`{resolved} ", dest.host));
                if let Some(h) = hidden.first() {
                    d.message.push_str(&format!("exists in namespace `{}` but is not exported to `{ns}`", h.namespace));
                    d = d.label("not exported here").help(format!(
                        "add `{ns}` to the exportTo of the service in `{}`, or route from a namespace it is exported to",
                        h.namespace
                    ));
                    if let Some(o) = h.obj {
                        let other = &cx.objects[o];
                        d = d.related(cx.span(other, "/metadata/name"), None, "defined here, with a narrower exportTo");
                    }
                } else {
                    d.message.push_str(&format!("matches no Service or ServiceEntry visible from namespace `{ns}`"));
                    d = d.label("no such host");
                    let near = nearest(&fqdn, mesh.service_hosts());
                    let help = match near.as_slice() {
                        [] if !dest.host.contains('.') => format!(
                            "a short name resolves to `{fqdn}`; create that Service or a ServiceEntry, or write the host of an existing one"
                        ),
                        [] if hosts::service_of(&dest.host).is_none() && dest.host.split('.').count() == 2 => format!(
                            "a dotted name is taken as written: `{}` is not expanded; write `{}.svc.cluster.local` for the Service",
                            dest.host, dest.host
                        ),
                        [] => "create the Service or a ServiceEntry for this host".to_string(),
                        near => format!("did you mean {}?", crate::mesh::quoted_alternatives(near)),
                    };
                    d = d.help(help);
                }
                out.push(d);
            }
        }
    }
}

fn what_of(role: DestinationRole) -> &'static str {
    if role == DestinationRole::Mirror { "mirror destination" } else { "route destination" }
}
