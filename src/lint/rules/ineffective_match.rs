use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::routing::analysis::FindingKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0302",
    name: "ineffective-match",
    severity: Severity::Info,
    istio_code: Some("IST0131"),
    summary: "A match of a VirtualService rule that an earlier match already covers",
    docs: r#"## What it finds
One `match` entry of a VirtualService rule that can never be the reason a request takes the
rule, found exactly as Istio's validation finds it (`istioctl analyze` IST0131): it repeats an
earlier match (field by field, ignoring `name`), or an earlier `uri.prefix` match covers its prefix
with the same port and equal-or-broader method, authority, headers, query parameters and
withoutHeaders. As in Istio, a match without `method` counts as `GET` in the prefix comparison.

## Why it matters
The match is dead configuration: requests it describes are already routed by the earlier
match, possibly to a different destination than the author intended.

## Example
```yaml
http:
- match: [{uri: {prefix: /api}}]
  route: [{destination: {host: api}}]
- match: [{uri: {prefix: /api/v2}}]      # covered by /api
  route: [{destination: {host: api-v2}}]
```

## Fix
Order rules from the most specific match to the least specific, or delete the redundant match.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        super::unreachable_rule::report(cx, &META, FindingKind::IneffectiveMatch, "covered by an earlier match", out);
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
        crate::lint::rules::findings(yaml, "MESH0302").into_iter().map(|(line, _)| line).collect()
    }

    #[test]
    fn finds_it() {
        assert_eq!(found(&BAD.replace("  - route: [{destination: {host: reviews}}]\n", "")), vec![12, 13]);
    }

    #[test]
    fn matches_after_a_catch_all_are_unreachable_rules_instead() {
        assert!(found(BAD).is_empty());
    }
}
