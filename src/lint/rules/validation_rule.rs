use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0108",
    name: "validation-rule",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A CRD's CEL validation rule refuses the value (a duration under 1ms, two of fields that exclude each other)",
    docs: r#"## What it finds
A value that one of the CRD's own validation rules (`x-kubernetes-validations`, written in CEL)
refuses: a duration shorter than 1ms, a port outside 1–65535, a ServiceEntry with CIDR addresses
and DNS resolution, a Gateway API filter whose `type` does not match the field it sets. meshctl
evaluates the rules of the Istio and Gateway API releases it validates for, on the object as the
API server holds it: nulls pruned, defaults applied. The message is the rule's own.

Like the API server, meshctl evaluates no rule of an object with a wrong type, a missing
required field or a value outside its enum: those are reported first. Rules that compare an
update with the stored object (`oldSelf`) need the live object and are not evaluated offline.

## Why it matters
The API server refuses the object: `kubectl apply` fails with the same message.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: reviews
  trafficPolicy:
    connectionPool:
      tcp:
        connectTimeout: 500us
```

## Fix
Change the value as the message says (`connectTimeout: 1ms` or more).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        schema_pass::report(
            cx,
            &META,
            |_, e| matches!(e.kind, SchemaErrorKind::Rule { .. }),
            |e| match &e.kind {
                SchemaErrorKind::Rule { failed: Some(_), .. } => "the rule cannot be evaluated here".into(),
                _ => "refused by a validation rule".into(),
            },
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_refused_with_the_rules_message() {
        let found = findings(&docs_example(&super::META), "MESH0108");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 11);
        assert!(found[0].1.contains("must be a valid duration greater than 1ms"), "{found:?}");
    }

    #[test]
    fn a_valid_value_and_a_wrongly_typed_object_are_not_reported() {
        let ok = docs_example(&super::META).replace("500us", "1ms");
        assert_eq!(findings(&ok, "MESH0108"), []);
        // A type error blocks every rule of the object, as it does in the API server.
        let blocked = docs_example(&super::META).replace("host: reviews", "host: 7");
        assert_eq!(findings(&blocked, "MESH0108"), []);
        assert_eq!(findings(&blocked, "MESH0103").len(), 1);
    }

    #[test]
    fn gateway_api_rules_see_defaults() {
        // `path.type` defaults to PathPrefix, and a PathPrefix value must start with '/': the rule
        // is the path's, so the finding points at it.
        let route = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
  namespace: default
spec:
  rules:
  - matches:
    - path:
        value: api
    backendRefs:
    - name: web
      port: 80
";
        let found = findings(route, "MESH0108");
        assert!(found.iter().any(|(line, m)| *line == 9 && m.contains("must be an absolute path")), "{found:?}");
        assert_eq!(findings(&route.replace("value: api", "value: /api"), "MESH0108"), []);
    }

    #[test]
    fn istio_serviceentry_cidr_needs_static_or_none_resolution() {
        let se = "\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext
  namespace: default
spec:
  hosts: [ext.example.com]
  addresses: [10.0.0.0/24]
  ports:
  - number: 443
    name: tls
    protocol: TLS
  resolution: DNS
";
        let found = findings(se, "MESH0108");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("CIDR addresses are allowed only for NONE/STATIC resolution types"), "{found:?}");
        assert_eq!(findings(&se.replace("resolution: DNS", "resolution: NONE"), "MESH0108"), []);
    }
}
