use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::routing::analysis::FindingKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0301",
    name: "unreachable-rule",
    severity: Severity::Warning,
    istio_code: Some("IST0130"),
    summary: "A VirtualService rule that no request can reach: an earlier rule catches everything it matches",
    docs: r#"## What it finds
An HTTP, TCP or TLS rule of a VirtualService that is never used, found exactly as Istio's
validation finds it (`istioctl analyze` IST0130): a rule after a rule without `match` (only the
last rule may have none), or a rule whose every match repeats an earlier rule's match (compared
field by field, ignoring the match `name`).

## Why it matters
istiod stops translating a VirtualService at its first catch-all, and Envoy uses the first
route that matches: the rule never takes traffic, so whatever it was meant to do does not happen.

## Example
```yaml
http:
- route: [{destination: {host: reviews, subset: v1}}]   # catches everything
- match: [{headers: {end-user: {exact: jason}}}]         # never used
  route: [{destination: {host: reviews, subset: v2}}]
```

## Fix
Move the specific rule before the catch-all, or delete the duplicate rule.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        report(cx, &META, FindingKind::UnreachableRule, "never used", out);
    }
}

/// Report the routing engine's overlap findings of one kind as findings of `rule`, each with the
/// rule or match that covers it as a related location.
pub(crate) fn report(cx: &Context, rule: &'static RuleMeta, kind: FindingKind, label: &str, out: &mut Vec<Diagnostic>) {
    for &(i, _) in &cx.mesh().virtual_services {
        let obj = &cx.objects[i];
        for f in cx.overlap_findings(i).iter().filter(|f| f.kind == kind) {
            let mut d = cx.at(rule, obj, &f.pointer, f.message.clone()).label(label);
            if let Some((ptr, msg)) = &f.related {
                d = d.related(cx.span(obj, ptr), Some(obj.pointer(ptr)), msg.clone());
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    const BAD: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /x}}]
    route: [{destination: {host: reviews}}]
  - match:
    - uri: {prefix: /api}
    - uri: {prefix: /api/v2}
    route: [{destination: {host: reviews}}]
";

    fn found(yaml: &str) -> Vec<u32> {
        crate::lint::rules::findings(yaml, "MESH0301").into_iter().map(|(line, _)| line).collect()
    }

    #[test]
    fn finds_it() {
        assert_eq!(found(BAD), vec![10, 12]);
    }

    #[test]
    fn ordered_rules_are_clean() {
        assert!(found(&BAD.replace("  - route: [{destination: {host: reviews}}]\n", "")).is_empty());
    }
}
