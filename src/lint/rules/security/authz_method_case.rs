use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0520",
    name: "authz-method-case",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An AuthorizationPolicy names an HTTP method in lower case, which never matches",
    docs: r#"## What it finds
A `methods` or `notMethods` value of an AuthorizationPolicy that is an HTTP method written in
another case (`get`, `Post`). Istio matches `:method` exactly and case-sensitively
(`pilot/pkg/security/authz/model/permission.go`), and Envoy refuses a request with a lower-case
method before authorization. Kiali checks method names after upper-casing them (KIA0102), so it
lets `get` pass.

## Why it matters
An ALLOW for `get` allows nothing (the implicit deny follows); a DENY for `get` denies nothing.

## Example
```yaml
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: readers, namespace: foo}
spec:
  rules: [{to: [{operation: {methods: [get, HEAD]}}]}]
```

## Fix
Write methods in upper case: `GET`.
"#,
};

pub struct Check;

const METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
    "PURGE",
];

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::AuthorizationPolicy(p))) = t else { continue };
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let name = obj.name.as_deref().unwrap_or_default();
            for (r, rule) in p.spec.rules.iter().flatten().enumerate() {
                for (j, to) in rule.to.iter().flatten().enumerate() {
                    let Some(o) = &to.operation else { continue };
                    for (field, values) in [("methods", &o.methods), ("notMethods", &o.not_methods)] {
                        for (k, v) in values.iter().flatten().enumerate() {
                            let upper = v.to_ascii_uppercase();
                            if upper == *v || !METHODS.contains(&upper.as_str()) {
                                continue;
                            }
                            out.push(
                                cx.at(
                                    &META,
                                    obj,
                                    &format!("/spec/rules/{r}/to/{j}/operation/{field}/{k}"),
                                    format!("AuthorizationPolicy {ns}/{name} rule {r} names the method {v:?}: methods match case-sensitively, so it never matches; write `{upper}`"),
                                )
                                .label("never matches")
                                .help(format!("write `{upper}`")),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0520");
        assert!(f.len() == 1 && f[0].1.contains("the method \"get\"") && f[0].1.contains("write `GET`"), "{f:?}");
    }

    #[test]
    fn upper_case_and_extension_methods() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("[get, HEAD]", "[GET, HEAD]"), "MESH0520").is_empty());
        assert!(findings(&example.replace("[get, HEAD]", "[frobnicate]"), "MESH0520").is_empty());
    }
}
