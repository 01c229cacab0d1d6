use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use std::collections::HashMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0401",
    name: "duplicate-resource",
    severity: Severity::Error,
    istio_code: None,
    summary: "The same resource (group, kind, namespace, name) is defined twice in one file",
    docs: r#"## What it finds
Two objects with the same API group, kind, namespace and name in one file. (In different files,
`duplicate-resource-across-files` reports them.)

## Why it matters
Applied together, the second silently replaces the first: whatever the first one says (routes,
subsets, ports) never reaches the cluster.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: my-service, namespace: default}
spec: {hosts: [my-service], http: [{route: [{destination: {host: my-service, subset: v1}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: my-service, namespace: default}   # replaces the one above
spec: {hosts: [my-service], http: [{route: [{destination: {host: my-service, subset: v2}}]}]}
```

## Fix
Merge the two into one resource, or give one of them another name.
"#,
};

pub struct Check;

/// Pairs (first, later) of objects with the same group, kind, namespace and name.
pub(crate) fn duplicates(cx: &Context) -> Vec<(usize, usize)> {
    let default_ns = cx.options.default_namespace.as_str();
    let mut seen: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some(name) = obj.name.as_deref() else { continue };
        let ns =
            if crate::model::kinds::cluster_scoped(obj.group(), &obj.kind) { "" } else { obj.namespace_or(default_ns) };
        let key = (obj.group(), obj.kind.as_str(), ns, name);
        match seen.get(&key) {
            None => {
                seen.insert(key, i);
            }
            Some(&first) => out.push((first, i)),
        }
    }
    out
}

/// The finding for a later definition that replaces `first`.
pub(crate) fn report(cx: &Context, rule: &'static RuleMeta, first: usize, later: usize) -> Diagnostic {
    let (f, obj) = (&cx.objects[first], &cx.objects[later]);
    let first_span = cx.span(f, "/metadata/name");
    let loc = cx.sources.location(first_span);
    let name = obj.name.as_deref().unwrap_or_default();
    let who = if crate::model::kinds::cluster_scoped(obj.group(), &obj.kind) {
        name.to_string()
    } else {
        format!("{}/{name}", obj.namespace_or(&cx.options.default_namespace))
    };
    cx.at(
        rule,
        obj,
        "/metadata/name",
        format!("{} `{who}` is defined twice; this one replaces the one at {}:{}", obj.kind, loc.file, loc.line),
    )
    .label("second definition")
    .related(first_span, Some(f.pointer("/metadata/name")), "first definition, replaced on apply")
    .help("merge the two definitions, or rename one of them")
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (first, later) in duplicates(cx) {
            if cx.objects[first].span.file == cx.objects[later].span.file {
                out.push(report(cx, &META, first, later));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    #[test]
    fn a_cluster_scoped_object_is_named_without_a_namespace() {
        let twice = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
                     apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, namespace: default}\n";
        let f = findings(twice, "MESH0401");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.starts_with("Namespace `shop` is defined twice"), "{}", f[0].1);
    }

    #[test]
    fn namespaced_objects_are_named_with_theirs() {
        let twice = "apiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\n---\n\
                     apiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\n---\n\
                     apiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: other}\n";
        let f = findings(twice, "MESH0401");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.starts_with("Service `shop/cart` is defined twice"), "{}", f[0].1);
    }
}
