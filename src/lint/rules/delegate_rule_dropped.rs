use crate::lint::engine::{Context, Rule};
use crate::lint::{RuleMeta, Severity};
use crate::routing::delegate::DropKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0305",
    name: "delegate-rule-dropped",
    severity: Severity::Error,
    istio_code: None,
    summary: "A delegate VirtualService's rule that istiod drops when it merges the delegate into its root",
    docs: r#"## What it finds
A rule of a delegate VirtualService (one without `hosts`, named by a root's `delegate`) that istiod
leaves out of the merged routes: a match of the rule that fits none of the root rule's matches (a
`uri`, `method`, `authority`, header or query parameter both set and disjoint, as istiod's
`hasConflict` decides), or a rule that delegates again. The routing engine merges delegates as
istiod does, and `meshctl simulate` shows the same rule as dropped; the finding points at the
delegate's match, with the root rule beside it.

## Why it matters
The whole delegate rule is gone, not only the match: requests it should have taken fall to the
delegate's later rules, or get `404` (`NR`).

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
    delegate: {name: cart}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  http:
  - match: [{uri: {prefix: /checkout}}]   # not under /cart
    route: [{destination: {host: checkout}}]
  - route: [{destination: {host: cart}}]
```

## Fix
Make the delegate's matches narrow the root's (`prefix: /cart/checkout`), or widen the root rule's
match; a delegate routes, it cannot delegate again.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<crate::lint::Diagnostic>) {
        for e in cx.virtual_service_entries() {
            let root = &cx.objects[e.obj];
            for drop in &e.merge_drops {
                let Some(from) = &drop.delegate else { continue };
                let delegate = &cx.objects[from.obj];
                let root_ptr = format!("/spec/http/{}", drop.root_rule);
                let (ptr, message, label) = match drop.kind {
                    DropKind::Conflict { delegate_match } => (
                        format!("/spec/http/{}/match/{delegate_match}", from.rule),
                        format!(
                            "http[{}] match[{delegate_match}] of delegate `{}/{}` fits none of the matches of `{}/{}` http[{}]: istiod drops the whole rule",
                            from.rule, from.namespace, from.name, e.namespace, e.name, drop.root_rule
                        ),
                        "disjoint from the root rule's matches",
                    ),
                    DropKind::DelegatesFurther => (
                        format!("/spec/http/{}/delegate", from.rule),
                        format!(
                            "http[{}] of delegate `{}/{}` delegates again: istiod drops it (a delegate cannot delegate)",
                            from.rule, from.namespace, from.name
                        ),
                        "a delegate cannot delegate",
                    ),
                    DropKind::NoDelegate | DropKind::NotExported => continue,
                };
                let root_at = if cx.doc(root).node(&root.pointer(&format!("{root_ptr}/match"))).is_some() {
                    format!("{root_ptr}/match")
                } else {
                    root_ptr
                };
                out.push(
                    cx.at(&META, delegate, &ptr, message)
                        .label(label)
                        .related(cx.span(root, &root_at), Some(root.pointer(&root_at)), "the root rule it is merged into")
                        .help(match drop.kind {
                            DropKind::DelegatesFurther => "route from this rule, or move its delegate into the root".to_string(),
                            _ => "make this match a narrowing of the root rule's match (for a uri prefix, start it with the root's prefix)".to_string(),
                        }),
                );
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
    fn the_example_is_reported_at_the_delegate_match() {
        let f = findings(&example(), "MESH0305");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 16);
        assert!(f[0].1.contains("http[0] match[0] of delegate `shop/cart`"), "{}", f[0].1);
    }

    #[test]
    fn a_narrowing_match_is_merged() {
        let ok = example().replace("prefix: /checkout}}]   # not under /cart", "prefix: /cart/checkout}}]");
        assert!(findings(&ok, "MESH0305").is_empty());
    }

    #[test]
    fn a_delegate_that_delegates_again() {
        let again = example()
            .replace("    route: [{destination: {host: checkout}}]\n", "    delegate: {name: other}\n")
            .replace("/checkout}}]   # not under /cart", "/cart/x}}]");
        let f = findings(&again, "MESH0305");
        assert!(f.len() == 1 && f[0].1.contains("delegates again"), "{f:?}");
    }
}
