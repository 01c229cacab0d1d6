use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::hosts;
use crate::model::Typed;
use std::collections::HashSet;

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

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let mut reported = HashSet::new();
        for (host, list) in mesh.mesh_host_conflicts(cx.objects) {
            for &i in &list {
                if reported.contains(&i) {
                    continue;
                }
                reported.insert(i);
                let obj = &cx.objects[i];
                let ns = obj.namespace_or(mesh.default_namespace);
                let others: Vec<usize> = list.iter().copied().filter(|j| *j != i).collect();
                let names: Vec<String> = others
                    .iter()
                    .map(|j| {
                        let o = &cx.objects[*j];
                        format!("{}/{}", o.namespace_or(mesh.default_namespace), o.name.as_deref().unwrap_or(""))
                    })
                    .collect();
                let k = host_index(cx, i, ns, &host);
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
                for j in &others {
                    let o = &cx.objects[*j];
                    let kb = host_index(cx, *j, o.namespace_or(mesh.default_namespace), &host);
                    d = d.related(
                        cx.span(o, &format!("/spec/hosts/{kb}")),
                        None,
                        "the same host, for the same clients",
                    );
                }
                out.push(d.help(
                    "merge the VirtualServices into one, or narrow their exportTo so that no namespace sees both",
                ));
            }
        }
    }
}

/// The index of the host of VirtualService `i` that claims `host` (exactly, else by wildcard).
fn host_index(cx: &Context, i: usize, ns: &str, host: &str) -> usize {
    let Some(Ok(Typed::VirtualService(vs))) = &cx.typed[i] else { return 0 };
    let hs: Vec<String> = vs.spec.hosts.iter().flatten().map(|h| hosts::fqdn(h, ns)).collect();
    hs.iter().position(|h| h == host).or_else(|| hs.iter().position(|h| hosts::matches(h, host))).unwrap_or(0)
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
    fn different_hosts_or_clients_pass() {
        assert!(findings(&input("ratings", "'*'"), "MESH0402").is_empty());
        assert!(findings(&input("ratings.foo.svc.cluster.local", "'.'"), "MESH0402").is_empty());
    }
}
