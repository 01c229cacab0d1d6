use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{hosts, vs_mesh_bound};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0402",
    name: "conflicting-mesh-gateway-hosts",
    severity: Severity::Error,
    istio_code: Some("IST0109"),
    summary: "Two VirtualServices for the sidecars define the same host for the same clients",
    docs: r#"## What it finds
Two VirtualServices that apply to the sidecars (no `gateways`, or `mesh` among them) with the same
host (short names resolve in each VirtualService's namespace: `ratings` in `foo` is
`ratings.foo.svc.cluster.local`) that are visible to a common namespace by their `exportTo`
(`*` or absent: every namespace; `.`: their own). Each VirtualService is reported once, with the
others as related locations.

Wildcard hosts conflict only with the identical wildcard: `*.d` and `*.productpage.d` are
different virtual hosts, and the proxy picks the most specific one. `istioctl analyze` (IST0109)
also reports such a pair when one of them is exported to some namespaces only and the other to
all, but not when both are exported to all; meshctl reports neither.

## Why it matters
A sidecar takes only one of the VirtualServices for the host (the oldest), so the other's routes
are silently ignored, and which one wins can change when resources are recreated.

## Example
```yaml
kind: VirtualService
metadata: {name: ratings, namespace: foo}
spec:
  hosts: [ratings]
---
kind: VirtualService
metadata: {name: ratings-canary, namespace: bar}
spec:
  hosts: [ratings.foo.svc.cluster.local]
```

## Fix
Merge the VirtualServices into one, or narrow their `exportTo` so that no namespace sees both.
"#,
};

pub struct Check;

/// A VirtualService for the sidecars: its object, the namespaces it is visible to (`None`: all),
/// and its hosts as (index, FQDN).
struct Entry {
    obj: usize,
    scope: Option<Vec<String>>,
    hosts: Vec<(usize, String)>,
}

/// Namespaces a VirtualService is visible to: `None` for all.
fn scope(export_to: &[String], ns: &str) -> Option<Vec<String>> {
    if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
        return None;
    }
    Some(export_to.iter().filter(|e| *e != "~").map(|e| if e == "." { ns.to_string() } else { e.clone() }).collect())
}

fn overlap(a: &Option<Vec<String>>, b: &Option<Vec<String>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (None, Some(s)) | (Some(s), None) => !s.is_empty(),
        (Some(x), Some(y)) => x.iter().any(|n| y.contains(n)),
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let key = |i: usize| (cx.objects[i].namespace_or(mesh.default_namespace), cx.objects[i].name.as_deref());
        let entries: Vec<Entry> = mesh
            .virtual_services
            .iter()
            .filter(|(_, vs)| vs_mesh_bound(vs))
            .map(|&(i, vs)| {
                let ns = cx.objects[i].namespace_or(mesh.default_namespace);
                let export_to = vs.spec.export_to.as_deref().unwrap_or(&mesh.config.default_virtual_service_export_to);
                let hs = vs.spec.hosts.iter().flatten().enumerate().map(|(k, h)| (k, hosts::fqdn(h, ns))).collect();
                Entry { obj: i, scope: scope(export_to, ns), hosts: hs }
            })
            .collect();
        for (a, e) in entries.iter().enumerate() {
            let obj = &cx.objects[e.obj];
            for (k, host) in &e.hosts {
                // Another object with this namespace and name is a redefinition of this one (a later
                // apply replaces it), not a second VirtualService.
                let mut seen = vec![key(e.obj)];
                let others: Vec<(usize, usize)> = entries
                    .iter()
                    .enumerate()
                    .filter(|(b, o)| *b != a && overlap(&e.scope, &o.scope))
                    .filter_map(|(_, o)| o.hosts.iter().find(|(_, h)| h == host).map(|(kb, _)| (o.obj, *kb)))
                    .filter(|(j, _)| {
                        let k = key(*j);
                        let new = !seen.contains(&k);
                        seen.push(k);
                        new
                    })
                    .collect();
                if others.is_empty() {
                    continue;
                }
                let names: Vec<String> = others
                    .iter()
                    .map(|(j, _)| {
                        let o = &cx.objects[*j];
                        format!("{}/{}", o.namespace_or(mesh.default_namespace), o.name.as_deref().unwrap_or(""))
                    })
                    .collect();
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &format!("/spec/hosts/{k}"),
                        format!(
                            "host `{host}` is also defined for the sidecars by VirtualService {}",
                            names.join(", ")
                        ),
                    )
                    .label("conflicting host");
                for (j, kb) in &others {
                    d = d.related(
                        cx.span(&cx.objects[*j], &format!("/spec/hosts/{kb}")),
                        None,
                        "the same host, for the same clients",
                    );
                }
                out.push(d.help(
                    "merge the VirtualServices into one, or narrow their exportTo so that no namespace sees both",
                ));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(second_host: &str, export_to: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: ratings, namespace: foo}}
spec:
  hosts: [ratings]
  exportTo: ['.']
  http:
  - route:
    - destination: {{host: ratings}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: canary, namespace: bar}}
spec:
  hosts: [{second_host}]
  exportTo: [{export_to}]
  http:
  - route:
    - destination: {{host: ratings.foo.svc.cluster.local}}
"
        )
    }

    #[test]
    fn reports_both_virtual_services() {
        let f = findings(&input("ratings.foo.svc.cluster.local", "'*'"), "MESH0402");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, 5);
        assert!(f[0].1.contains("bar/canary"), "{}", f[0].1);
    }

    #[test]
    fn redefinitions_of_the_same_object_are_not_conflicts() {
        let yaml = input("ratings.foo.svc.cluster.local", "'*'")
            .replace("name: canary, namespace: bar", "name: ratings, namespace: foo");
        assert!(findings(&yaml, "MESH0402").is_empty());
    }

    #[test]
    fn different_hosts_or_clients_pass() {
        assert!(findings(&input("ratings", "'*'"), "MESH0402").is_empty());
        assert!(findings(&input("ratings.foo.svc.cluster.local", "'.'"), "MESH0402").is_empty());
    }
}
