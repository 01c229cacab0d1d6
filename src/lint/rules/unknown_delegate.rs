use crate::lint::engine::{Context, Rule};
use crate::lint::{RuleMeta, Severity};
use crate::routing::delegate::DropKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0220",
    name: "unknown-delegate",
    severity: Severity::Error,
    istio_code: None,
    summary: "A VirtualService rule delegates to a VirtualService that is no delegate it can use",
    docs: r#"## What it finds
An HTTP rule with `delegate: {name, namespace}` whose delegate istiod cannot merge: no VirtualService
of that name in that namespace (the namespace defaults to the root's), one that has `hosts` (then it
is a root of its own, never a delegate), or one whose `exportTo` hides it from the root's namespace.
The routing engine merges delegates as istiod does, and `meshctl simulate` shows the same rule as
dropped. A delegate in a namespace of which the input holds no VirtualService is out of sight, not
missing, and is not reported.

## Why it matters
istiod removes the root rule: requests it should have taken fall through to the rules after it, or
get `404` (`NR`) when none is left.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{uri: {prefix: /cart}}]
    delegate: {name: cart-routes}     # the delegate is called cart
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  http:
  - route: [{destination: {host: cart}}]
```

## Fix
Name the delegate as it is defined (`name`, and `namespace` when it lives elsewhere), remove its
`hosts`, or export it to the root's namespace.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<crate::lint::Diagnostic>) {
        // A VirtualService without hosts is a delegate, never merged as a root: its own
        // `delegate` is the other rule's finding.
        for e in cx.virtual_service_entries().iter().filter(|e| e.vs.spec.hosts.as_ref().is_some_and(|h| !h.is_empty()))
        {
            let root = &cx.objects[e.obj];
            for drop in e.merge_drops.iter().filter(|d| matches!(d.kind, DropKind::NoDelegate | DropKind::NotExported))
            {
                // The rule as written: the merged VirtualService no longer has it.
                let Some(Ok(crate::model::Typed::VirtualService(written))) = &cx.typed[e.obj] else { continue };
                let Some(d) =
                    written.spec.http.as_ref().and_then(|h| h.get(drop.root_rule)).and_then(|r| r.delegate.as_ref())
                else {
                    continue;
                };
                let name = d.name.clone().unwrap_or_default();
                let ns = d.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| e.namespace.clone());
                let named = |o: &&crate::model::Object| {
                    o.kind == "VirtualService"
                        && o.group() == "networking.istio.io"
                        && o.namespace_or(&cx.options.default_namespace) == ns
                };
                // Out of sight: the input holds no VirtualService in the delegate's namespace.
                if !cx.objects.iter().any(|o| named(&o)) {
                    cx.out_of_sight(&ns, format!("delegate VirtualService `{ns}/{name}`"));
                    continue;
                }
                let same = cx.objects.iter().find(|o| named(o) && o.name.as_deref() == Some(name.as_str()));
                let ptr = format!("/spec/http/{}/delegate", drop.root_rule);
                let mut f = match (drop.kind, same) {
                    (DropKind::NotExported, Some(o)) => cx
                        .at(
                            &META,
                            root,
                            &ptr,
                            format!(
                                "delegate VirtualService `{ns}/{name}` is not exported to namespace `{}`",
                                e.namespace
                            ),
                        )
                        .label("hidden by its exportTo")
                        .related(cx.span(o, "/spec/exportTo"), Some(o.pointer("/spec/exportTo")), "exported only here")
                        .help(format!("add `{}` to the delegate's exportTo", e.namespace)),
                    (_, Some(o)) => cx
                        .at(&META, root, &ptr, format!("`{ns}/{name}` has hosts, so it is no delegate"))
                        .label("not a delegate")
                        .related(cx.span(o, "/spec/hosts"), Some(o.pointer("/spec/hosts")), "its hosts make it a root")
                        .help("remove the delegate's `hosts`: a delegate takes the root's"),
                    (_, None) => {
                        let near: Vec<String> = cx
                            .objects
                            .iter()
                            .filter(|o| named(o))
                            .filter_map(|o| o.name.clone())
                            .filter(|n| {
                                strsim::levenshtein(n, &name) <= 3 || n.contains(&name) || name.contains(n.as_str())
                            })
                            .collect();
                        let help = match near.first() {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => format!("create a VirtualService `{name}` without hosts in namespace `{ns}`"),
                        };
                        cx.at(&META, root, &ptr, format!("delegate VirtualService `{ns}/{name}` does not exist"))
                            .label("no such delegate")
                            .help(help)
                    }
                };
                f.message.push_str(": istiod drops this rule");
                out.push(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn example() -> String {
        crate::lint::rules::docs_example(&super::META)
    }

    #[test]
    fn the_example_is_reported_at_the_delegate() {
        let f = findings(&example(), "MESH0220");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 9);
        assert!(f[0].1.contains("`shop/cart-routes` does not exist: istiod drops this rule"), "{}", f[0].1);
    }

    #[test]
    fn a_delegate_with_hosts_or_not_exported() {
        let hosts = example().replace("delegate: {name: cart-routes}", "delegate: {name: cart}").replace(
            "metadata: {name: cart, namespace: shop}\nspec:\n",
            "metadata: {name: cart, namespace: shop}\nspec:\n  hosts: [cart]\n",
        );
        let f = findings(&hosts, "MESH0220");
        assert!(f.len() == 1 && f[0].1.contains("has hosts, so it is no delegate"), "{f:?}");
        let hidden =
            example().replace("delegate: {name: cart-routes}", "delegate: {name: cart, namespace: team}").replace(
                "metadata: {name: cart, namespace: shop}\nspec:\n",
                "metadata: {name: cart, namespace: team}\nspec:\n  exportTo: [team]\n",
            );
        let f = findings(&hidden, "MESH0220");
        assert!(f.len() == 1 && f[0].1.contains("is not exported to namespace `shop`"), "{f:?}");
    }

    #[test]
    fn a_working_or_out_of_sight_delegate_is_not_reported() {
        let ok = example().replace("delegate: {name: cart-routes}", "delegate: {name: cart}");
        assert!(findings(&ok, "MESH0220").is_empty());
        let elsewhere = example().replace("delegate: {name: cart-routes}", "delegate: {name: cart, namespace: team}");
        assert!(findings(&elsewhere, "MESH0220").is_empty(), "no VirtualService of namespace team is in the input");
    }
}
