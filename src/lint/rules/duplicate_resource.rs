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
        let key = (obj.group(), obj.kind.as_str(), obj.namespace_or(default_ns), name);
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
    let ns = obj.namespace_or(&cx.options.default_namespace);
    cx.at(
        rule,
        obj,
        "/metadata/name",
        format!(
            "{} `{ns}/{}` is defined twice; this one replaces the one at {}:{}",
            obj.kind,
            obj.name.as_deref().unwrap_or_default(),
            loc.file,
            loc.line
        ),
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
