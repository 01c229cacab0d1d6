use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0209",
    name: "route-weights-rejected",
    severity: Severity::Error,
    istio_code: None,
    summary: "A route with several destinations whose weights add up to 0, which Istio rejects",
    docs: r#"## What it finds
An HTTP, TCP or TLS `route` with more than one destination whose `weight`s add up to 0, including
the common case of several destinations that all leave `weight` out (it defaults to 0). This is
what Istio's validation rejects ("total destination weight = 0", `validateHTTPRouteDestinations`
and `validateRouteDestinations` in `pkg/config/validation/validation.go`). Weights are relative:
they need not add up to 100, and a weight above 100 is accepted. A negative weight is also
rejected ("weight … < 0"); the schema check reports it.

## Why it matters
The admission webhook refuses the VirtualService (`kubectl apply` fails); where validation is
bypassed, istiod drops it.

## Example
```yaml
http:
- route:
  - destination: {host: reviews, subset: v1}
  - destination: {host: reviews, subset: v2}   # neither has a weight
```

## Fix
Give the destinations weights (for example `weight: 90` and `weight: 10`), or keep a single
destination.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        for &(i, vs) in &mesh.virtual_services {
            let obj = &cx.objects[i];
            let mut routes: Vec<(String, Vec<Option<i32>>)> = Vec::new();
            for (k, h) in vs.spec.http.iter().flatten().enumerate() {
                let w = h.route.iter().flatten().map(|r| r.weight).collect();
                routes.push((format!("/spec/http/{k}/route"), w));
            }
            for (k, t) in vs.spec.tcp.iter().flatten().enumerate() {
                routes.push((format!("/spec/tcp/{k}/route"), t.route.iter().flatten().map(|r| r.weight).collect()));
            }
            for (k, t) in vs.spec.tls.iter().flatten().enumerate() {
                routes.push((format!("/spec/tls/{k}/route"), t.route.iter().flatten().map(|r| r.weight).collect()));
            }
            for (ptr, weights) in routes {
                // Istio sums into an int32.
                let total = weights.iter().fold(0i32, |t, w| t.wrapping_add(w.unwrap_or(0)));
                if weights.len() < 2 || total != 0 {
                    continue;
                }
                let msg = if weights.iter().all(Option::is_none) {
                    format!(
                        "{} destinations without weights: their total weight is 0, which Istio rejects",
                        weights.len()
                    )
                } else {
                    format!("the weights of these {} destinations add up to 0, which Istio rejects", weights.len())
                };
                out.push(cx.at(&META, obj, &ptr, msg).label("total weight 0").help(
                    "give the destinations weights that add up to more than 0 (they are relative; 100 is customary)",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    fn input(w1: &str, w2: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: reviews, namespace: prod}}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {{host: reviews, subset: v1}}
      {w1}
    - destination: {{host: reviews, subset: v2}}
      {w2}
"
        )
    }

    #[test]
    fn reports_a_zero_total() {
        let f = findings(&input("", ""), "MESH0209");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 7);
        assert_eq!(findings(&input("weight: 0", "weight: 0"), "MESH0209").len(), 1);
    }

    #[test]
    fn relative_weights_pass() {
        assert!(findings(&input("weight: 90", "weight: 10"), "MESH0209").is_empty());
        assert!(findings(&input("weight: 150", ""), "MESH0209").is_empty());
    }
}
