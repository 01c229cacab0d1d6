use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use std::collections::BTreeMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0217",
    name: "multiple-default-sidecars",
    severity: Severity::Error,
    istio_code: Some("IST0111"),
    summary: "A namespace has more than one Sidecar without a workloadSelector",
    docs: r#"## What it finds
Two or more Sidecars (by name) in one namespace without a `workloadSelector` (or with empty
labels). Each of them is reported. A namespace labelled for ambient mode (`istio.io/dataplane-mode: ambient`,
without `istio-injection: enabled` or `istio.io/rev`) has no sidecars to configure and is not
reported.

## Why it matters
A Sidecar without a selector is the default for every proxy of its namespace (in the root
namespace, for the whole mesh). With several, which one applies is undefined, so egress and
ingress configuration can change when a resource is re-created.

## Example
```yaml
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress: [{hosts: ["./*", "istio-system/*"]}]
---
kind: Sidecar
metadata: {name: restrict-egress, namespace: shop}   # no workloadSelector either
spec:
  egress: [{hosts: ["./*"]}]
```

## Fix
Keep one default Sidecar per namespace; give the others a `workloadSelector`.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let mut by_ns: BTreeMap<&str, Vec<&crate::model::Object>> = BTreeMap::new();
        let mut ambient_ns = Vec::new();
        for (obj, t) in cx.typed_objects() {
            match t {
                Typed::Sidecar(sc) => {
                    let selected = sc
                        .spec
                        .workload_selector
                        .as_ref()
                        .and_then(|w| w.labels.as_ref())
                        .is_some_and(|l| !l.is_empty());
                    if !selected {
                        by_ns.entry(obj.namespace_or(mesh.default_namespace)).or_default().push(obj);
                    }
                }
                Typed::Namespace(n) if ambient_namespace(n) => ambient_ns.extend(obj.name.as_deref()),
                _ => {}
            }
        }
        for (ns, mut list) in by_ns {
            // The same name twice is one Sidecar written twice (the later wins), not two defaults.
            list.sort_by_key(|o| o.name.as_deref());
            list.dedup_by_key(|o| o.name.as_deref());
            if list.len() < 2 || ambient_ns.contains(&ns) {
                continue;
            }
            let mut names: Vec<&str> = list.iter().map(|o| o.name.as_deref().unwrap_or("")).collect();
            names.sort_unstable();
            let names = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            for obj in &list {
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        "/metadata/name",
                        format!(
                            "the Sidecars {names} in namespace `{ns}` have no workloadSelector: which one is the \
                             namespace's default is undefined"
                        ),
                    )
                    .label("another default Sidecar exists")
                    .help("keep one Sidecar without a workloadSelector per namespace; give the others a selector");
                for other in list.iter().filter(|o| !std::ptr::eq(**o, *obj)) {
                    d = d.related(cx.span(other, "/metadata/name"), None, "another default Sidecar");
                }
                out.push(d);
            }
        }
    }
}

/// Is the namespace in ambient mode (labelled for ambient, and not for sidecar injection)?
pub(crate) fn ambient_namespace(n: &crate::model::core::Namespace) -> bool {
    let labels = n.metadata.labels.as_ref();
    let get = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str).unwrap_or("");
    get("istio.io/dataplane-mode") == "ambient" && get("istio-injection") != "enabled" && get("istio.io/rev").is_empty()
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: shop
spec:
  egress:
  - hosts: ['./*']
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: restrict
  namespace: NS
spec:
  egress:
  - hosts: ['./*']
";

    #[test]
    fn reports_every_default_sidecar_of_a_namespace() {
        let out = run(&MESH.replace("NS", "shop"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0217").collect();
        assert_eq!(d.len(), 2, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[1].primary.span).line, 13);
        assert!(d[0].message.contains("`default`, `restrict`") && d[0].message.contains("`shop`"), "{}", d[0].message);
    }

    #[test]
    fn one_default_per_namespace_or_an_ambient_namespace_is_fine() {
        let out = run(&MESH.replace("NS", "other"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0217"), "{:?}", out.diagnostics);
        let ambient = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio.io/dataplane-mode: ambient}\n";
        let out = run(&format!("{}{ambient}", MESH.replace("NS", "shop")));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0217"), "{:?}", out.diagnostics);
    }
}
