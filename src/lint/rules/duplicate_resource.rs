use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use std::collections::HashMap;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0401",
    name: "duplicate-resource",
    severity: Severity::Error,
    istio_code: None,
    summary: "The same resource (group, kind, namespace, name) is defined twice in the input",
    docs: r#"## What it finds
Two objects with the same API group, kind, namespace and name anywhere in the input, in one file
or in several.

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

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let default_ns = cx.options.default_namespace.as_str();
        let mut seen: HashMap<(&str, &str, &str, &str), usize> = HashMap::new();
        for (i, obj) in cx.objects.iter().enumerate() {
            let Some(name) = obj.name.as_deref() else { continue };
            let key = (obj.group(), obj.kind.as_str(), obj.namespace_or(default_ns), name);
            match seen.get(&key) {
                None => {
                    seen.insert(key, i);
                }
                Some(&first) => {
                    let f = &cx.objects[first];
                    let first_span = cx.span(f, "/metadata/name");
                    let loc = cx.sources.location(first_span);
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            "/metadata/name",
                            format!(
                                "{} `{}/{}` is defined twice; this one replaces the one at {}:{}",
                                obj.kind, key.2, name, loc.file, loc.line
                            ),
                        )
                        .label("second definition")
                        .related(first_span, Some(f.pointer("/metadata/name")), "first definition, replaced on apply")
                        .help("merge the two definitions, or rename one of them"),
                    );
                }
            }
        }
    }
}
