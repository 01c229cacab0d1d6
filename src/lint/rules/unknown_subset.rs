use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{DestinationRole, DestinationRuleRecord, hosts, nearest, vs_destinations};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0202",
    name: "unknown-subset",
    severity: Severity::Error,
    istio_code: Some("IST0101"),
    summary: "A VirtualService routes (or mirrors) to a subset that no applicable DestinationRule defines",
    docs: r#"## What it finds
A destination `subset` of a VirtualService (HTTP, TCP or TLS route, `mirror`, `mirrors`) that the
DestinationRules for its host do not define. The DestinationRules are the ones Istio applies to a
client in the VirtualService's namespace: the first namespace on the lookup path (the client's
namespace, then the service's namespace, then the root namespace) with a visible rule for the host
wins, and only its subsets count. Destinations whose host is itself unknown are left to
`unknown-destination-host` (MESH0201).

Istio's `istioctl analyze` (IST0101 "host+subset in destinationrule") compares against every
DestinationRule anywhere, ignoring `exportTo` and the lookup path; meshctl follows what the proxy
does, so a subset defined only by a rule the client never sees is reported.

## Why it matters
Envoy has no cluster for the subset: requests that take the route get `503` (`NC`), and mirrored
traffic is dropped.

## Example
```yaml
http:
- route:
  - destination:
      host: reviews
      subset: v3          # the DestinationRule for reviews defines v1 and v2
```

## Fix
Correct the subset name (the finding lists the subsets that exist), or add the subset to the
DestinationRule for the host.
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
                let Some(subset) = dest.subset.as_deref().filter(|s| !s.is_empty()) else { continue };
                let services = mesh.services_for(&dest.host, ns);
                let fqdn = hosts::fqdn(&dest.host, ns);
                // An unknown host is MESH0201's finding. A host out of sight (its namespace holds
                // nothing of the input) is still checked when DestinationRules for it are in sight.
                let out_of_sight = hosts::service_of(&fqdn).is_some_and(|(sns, _)| !mesh.namespace_known(sns));
                if services.is_empty() && (!out_of_sight || mesh.destination_rules_for(&fqdn, ns).is_empty()) {
                    continue;
                }
                // A host reached through a wildcard ServiceEntry also takes the rules of that host.
                let mut drs: Vec<&DestinationRuleRecord> = mesh.destination_rules_for(&fqdn, ns);
                for s in services.iter().filter(|s| s.host != fqdn) {
                    for d in mesh.destination_rules_for(&s.host, ns) {
                        if !drs.iter().any(|x| x.obj == d.obj) {
                            drs.push(d);
                        }
                    }
                }
                if drs.iter().any(|d| d.subsets().any(|s| s.name == subset)) {
                    continue;
                }
                let what = if role == DestinationRole::Mirror { "mirror subset" } else { "subset" };
                let mut d =
                    cx.at(&META, obj, &format!("{ptr}/subset"), format!("{what} `{subset}` of `{}` ", dest.host));
                if drs.is_empty() {
                    d.message.push_str(&format!(
                        "is defined by no DestinationRule: none applies to `{fqdn}` from namespace `{ns}`"
                    ));
                    d = d.label("no DestinationRule for this host");
                    let hidden: Vec<_> = mesh.destination_rules_by_host(&fqdn).collect();
                    for h in &hidden {
                        d = d.related(
                            cx.span(&cx.objects[h.obj], "/metadata/name"),
                            None,
                            format!("a DestinationRule for this host, not exported to `{ns}`"),
                        );
                    }
                    d = d.help(format!(
                        "create a DestinationRule with `host: {}` and a subset `{subset}` (in `{ns}`, the service's namespace or the root namespace)",
                        dest.host
                    ));
                } else {
                    let mut names: Vec<&str> = drs.iter().flat_map(|r| r.subsets().map(|s| s.name.as_str())).collect();
                    names.sort_unstable();
                    names.dedup();
                    let mut rules: Vec<String> = drs
                        .iter()
                        .map(|r| format!("{}/{}", r.namespace, cx.objects[r.obj].name.as_deref().unwrap_or("")))
                        .collect();
                    rules.sort();
                    rules.dedup();
                    d.message.push_str(&format!("is not defined by DestinationRule {}", rules.join(", ")));
                    d = d.label("no such subset");
                    for r in &drs {
                        let defines = r.subsets().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", ");
                        let msg = if defines.is_empty() {
                            "the DestinationRule that applies here; it defines no subsets".to_string()
                        } else {
                            format!("the DestinationRule that applies here; it defines {defines}")
                        };
                        d = d.related(cx.span(&cx.objects[r.obj], "/metadata/name"), None, msg);
                    }
                    let near = nearest(subset, names.iter().copied());
                    d = d.help(match near.as_slice() {
                        [] if names.is_empty() => format!("add a subset `{subset}` to the DestinationRule"),
                        [] => format!(
                            "the defined subsets are {}; use one of them or add `{subset}` to the DestinationRule",
                            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                        ),
                        near => format!("did you mean {}?", crate::mesh::quoted_alternatives(near)),
                    });
                }
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    const BASE: &str = "apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  ports: [{port: 9080, name: http}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
";

    fn vs(subset: &str) -> String {
        format!(
            "{BASE}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: prod}}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {{host: reviews, subset: {subset}}}
"
        )
    }

    #[test]
    fn reports_an_undefined_subset_with_candidates() {
        let f = findings(&vs("v3"), "MESH0202");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 23);
        assert!(f[0].1.contains("`v3`") && f[0].1.contains("prod/reviews"), "{}", f[0].1);
    }

    #[test]
    fn defined_subsets_pass() {
        assert!(findings(&vs("v2"), "MESH0202").is_empty());
    }

    #[test]
    fn no_destination_rule_at_all() {
        let yaml = vs("v1").replace("kind: DestinationRule", "kind: DestinationRuleX");
        let f = findings(&yaml, "MESH0202");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("no DestinationRule"), "{}", f[0].1);
    }

    #[test]
    fn unknown_hosts_are_left_to_mesh0201() {
        let yaml = vs("v9").replace("destination: {host: reviews", "destination: {host: ratings");
        assert!(findings(&yaml, "MESH0202").is_empty());
    }
}
