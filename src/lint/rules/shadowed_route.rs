use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::networking::HTTPMatchRequest;
use crate::routing::compile::gateway_proxies;
use crate::routing::contain::Automata;
use crate::routing::{Provenance, RouteMatch, compile_gateway};
use std::collections::HashSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0303",
    name: "shadowed-route",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An HTTP route that an earlier route always takes first, also across VirtualServices merged on a gateway",
    docs: r#"## What it finds
An HTTP match that can never be the first to match, because an earlier route matches every
request it matches — where `istioctl analyze` (IST0130/IST0131) does not see it:
- across VirtualServices: on a gateway, istiod merges every VirtualService for a host into one
  virtual host, in creation order; a route of an older VirtualService (say `prefix: /`, with a
  header) can take every request meant for a newer one (istio/istio#58465);
- inside one VirtualService, by containment Istio's check does not decide: an exact path under an
  earlier prefix, a prefix or exact path that an earlier regex covers (decided on the regex's
  automaton), a regex that only matches under an earlier prefix, fewer header, query or method
  conditions (a header present ⊇ any value, a prefix ⊇ an exact value), `ignoreUriCase`.

- across Gateway API routes: istiod merges the HTTPRoutes and GRPCRoutes of a listener and host
  into one VirtualService in Gateway API precedence (exact path, longest prefix, method, most
  headers, most query parameters, oldest route), so a match of one route can take every request
  of another's; and a catch-all rule (no `matches`: the CRD default is `PathPrefix /`) comes before
  every `RegularExpression` path, after which istiod translates nothing.

An earlier match only shadows a later one when its compile-time conditions (`port`,
`sourceLabels`, `sourceNamespace`, `gateways`) are no narrower. Each finding points at the
shadowed match, with the match that shadows it as a related location, in whatever file.

## Why it matters
Envoy uses the first route that matches. The shadowed route never takes traffic: a canary, a
redirect or a fault meant for it silently goes to the earlier route's destination.

## Example
```yaml
# team-a, created first
hosts: [shop.example.com]
gateways: [istio-system/public]
http:
- match: [{uri: {prefix: /}, headers: {x-region: {}}}]
  route: [{destination: {host: shop-eu}}]
---
# team-b, created later: never reached for requests that carry x-region
hosts: [shop.example.com]
gateways: [istio-system/public]
http:
- match: [{uri: {prefix: /cart}, headers: {x-region: {exact: us}}}]
  route: [{destination: {host: cart-us}}]
```

## Fix
Order the routes from the most specific to the least specific: narrow or move the earlier
match, merge the VirtualServices into one, or give them different hosts.
"#,
};

pub struct Check;

/// The compile-time conditions of a match: does `a` hold wherever `b` holds?
fn static_covers(a: &HTTPMatchRequest, b: &HTTPMatchRequest) -> bool {
    let port_ok = a.port.is_none_or(|p| p == 0 || Some(p) == b.port);
    let labels_ok = a
        .source_labels
        .as_ref()
        .is_none_or(|la| b.source_labels.as_ref().is_some_and(|lb| la.iter().all(|(k, v)| lb.get(k) == Some(v))));
    let ns_ok = a.source_namespace.as_ref().is_none_or(|n| b.source_namespace.as_ref() == Some(n));
    let gw_ok = a.gateways.as_ref().filter(|g| !g.is_empty()).is_none_or(|ga| {
        b.gateways.as_ref().filter(|g| !g.is_empty()).is_some_and(|gb| gb.iter().all(|g| ga.contains(g)))
    });
    port_ok && labels_ok && ns_ok && gw_ok
}

fn report(cx: &Context, later: &Provenance, earlier: &Provenance, message: String, out: &mut Vec<Diagnostic>) {
    let obj = &cx.objects[later.holder()];
    let other = &cx.objects[earlier.holder()];
    let ptr = earlier.pointer();
    out.push(
        cx.at(&META, obj, &later.pointer(), message)
            .label("never the first match")
            .related(cx.span(other, &ptr), Some(other.pointer(&ptr)), format!("{earlier} matches first"))
            .help("order routes from the most specific to the least specific, or narrow the earlier match"),
    );
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let automata = Automata::default();
        let mut reported: HashSet<String> = HashSet::new();
        // Inside one VirtualService, beyond what Istio's own check reports.
        for e in cx.virtual_service_entries() {
            // Without merged delegates the entry is the VirtualService object itself.
            let istio: HashSet<&str> = if e.origins.is_empty() {
                cx.overlap_findings(e.obj).iter().map(|f| f.pointer.as_str()).collect()
            } else {
                HashSet::new()
            };
            let mut seen: Vec<(usize, usize, &HTTPMatchRequest, RouteMatch)> = Vec::new();
            // The first catch-all: istiod translates nothing after it.
            let mut catch_all: Option<(usize, Option<usize>)> = None;
            'rules: for (i, rule) in e.vs.spec.http.iter().flatten().enumerate() {
                let Some(matches) = rule.match_.as_deref().filter(|m| !m.is_empty()) else {
                    catch_all = Some((i, None));
                    break;
                };
                for (j, m) in matches.iter().enumerate() {
                    let rm = RouteMatch::from_istio(m);
                    let later = e.provenance(i, Some(j));
                    let rule_ptr = format!("/spec/http/{i}");
                    let shadow = seen
                        .iter()
                        .find(|(si, _, sm, srm)| *si != i && static_covers(sm, m) && automata.covers(srm, &rm));
                    if let Some((si, sj, _, _)) = shadow
                        && !istio.contains(later.pointer().as_str())
                        && !istio.contains(rule_ptr.as_str())
                        && reported.insert(format!("{}#{}", later.holder(), later.pointer()))
                    {
                        let earlier = e.provenance(*si, Some(*sj));
                        let msg =
                            format!("{later} is never the first match: {earlier} matches every request it matches");
                        report(cx, &later, &earlier, msg, out);
                    }
                    let takes_all = rm.is_catch_all() && m.port.is_none() && m.source_labels.is_none();
                    seen.push((i, j, m, rm));
                    if takes_all {
                        catch_all = Some((i, Some(j)));
                        break 'rules;
                    }
                }
            }
            // Rules of Gateway API routes that sort after another route's catch-all (MESH0301 reports
            // this inside one VirtualService, as Istio's check does; a translated VirtualService
            // merges every route of a listener and host).
            if let Some((ci, cj)) = catch_all.filter(|_| e.gateway_api()) {
                let earlier = e.provenance(ci, cj);
                for (i, rule) in e.vs.spec.http.iter().flatten().enumerate().skip(ci + 1) {
                    let later = e.provenance(i, rule.match_.as_ref().filter(|m| !m.is_empty()).map(|_| 0));
                    // The same route defined twice is a duplicate (MESH0401/MESH0409), not two routes.
                    let duplicate = later.obj != earlier.obj && later.route() == earlier.route();
                    if duplicate || !reported.insert(format!("{}#{}", later.holder(), later.pointer())) {
                        continue;
                    }
                    let regex = rule.match_.iter().flatten().any(|m| m.uri.as_ref().is_some_and(|u| u.regex.is_some()));
                    let why = if regex {
                        " (Istio sorts a RegularExpression path after every PathPrefix, `/` included)"
                    } else {
                        ""
                    };
                    let whose = if later.obj == earlier.obj { "the same" } else { "another" };
                    let msg = format!(
                        "{later} is never reached: {earlier}, a catch-all of {whose} route, comes first in Gateway \
                         API precedence{why}, and istiod translates nothing after it"
                    );
                    report(cx, &later, &earlier, msg, out);
                }
            }
        }
        // Across VirtualServices merged on a gateway's virtual hosts.
        for proxy in gateway_proxies(cx) {
            for cfg in compile_gateway(cx, &proxy) {
                for vh in &cfg.virtual_hosts {
                    for (k, r) in vh.routes.iter().enumerate() {
                        let Some(later) = &r.from else { continue };
                        // The same VirtualService defined twice is a duplicate (MESH0401/MESH0409), not
                        // two VirtualServices.
                        let shadow = vh.routes[..k].iter().find(|a| {
                            a.from.as_ref().is_some_and(|p| p.obj != later.obj && p.vs() != later.vs())
                                && automata.covers(&a.matcher, &r.matcher)
                        });
                        let Some(earlier) = shadow.and_then(|a| a.from.as_ref()) else { continue };
                        if !reported.insert(format!("{}#{}", later.holder(), later.pointer())) {
                            continue;
                        }
                        let msg = format!(
                            "{later} is never the first match on virtual host {} of route table {}: {earlier}, of \
                             another VirtualService or route merged before it, matches every request it matches",
                            vh.name, cfg.name
                        );
                        report(cx, later, earlier, msg, out);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    const GW: &str = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [\"*\"]
---
apiVersion: v1
kind: Service
metadata: {name: shop}
spec:
  ports: [{name: http, port: 80}]
---
";

    #[test]
    fn across_virtual_services_on_a_gateway() {
        let yaml = format!(
            "{GW}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: team-a, creationTimestamp: \"2026-01-01T00:00:00Z\"}}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{{uri: {{prefix: /}}, headers: {{x-region: {{}}}}}}]
    route: [{{destination: {{host: shop}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: team-b, creationTimestamp: \"2026-02-01T00:00:00Z\"}}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - match: [{{uri: {{prefix: /cart}}, headers: {{x-region: {{exact: us}}}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /cart}}}}]
    route: [{{destination: {{host: shop}}}}]
"
        );
        let f = findings(&yaml, "MESH0303");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 33, "{f:?}");
        assert!(f[0].1.contains("default/team-b http[0] match[0] is never the first match"), "{f:?}");
        assert!(f[0].1.contains("default/team-a http[0] match[0]"), "{f:?}");
    }

    #[test]
    fn containment_inside_one_virtual_service() {
        let yaml = format!(
            "{GW}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop]
  http:
  - match: [{{uri: {{regex: \"/api/.*\"}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /api/v2}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /web}}, headers: {{x-user: {{}}}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{exact: /web/home}}, headers: {{x-user: {{exact: jason}}}}, method: {{exact: GET}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{exact: /web/home}}, port: 8080}}]
    route: [{{destination: {{host: shop}}}}]
"
        );
        let f = findings(&yaml, "MESH0303");
        let lines: Vec<u32> = f.iter().map(|x| x.0).collect();
        assert_eq!(lines, vec![24, 28], "{f:?}");
    }

    #[test]
    fn narrower_or_istio_reported_matches_are_not_reported() {
        let yaml = format!(
            "{GW}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop]
  http:
  - match: [{{uri: {{prefix: /api}}, port: 8080}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /api/v2}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /web}}}}]
    route: [{{destination: {{host: shop}}}}]
  - match: [{{uri: {{prefix: /web/v2}}}}]
    route: [{{destination: {{host: shop}}}}]
"
        );
        assert_eq!(findings(&yaml, "MESH0303"), vec![]);
    }

    /// Two HTTPRoutes on one listener and host: `site` (older) has a catch-all and `/cart`; `api`
    /// (newer) has a regex, `/cart` again and an exact path.
    fn gateway_api(api_rules: &str) -> String {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: edge, namespace: infra}}
spec:
  gatewayClassName: istio
  listeners:
  - {{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: site, namespace: web, creationTimestamp: '2024-01-01T00:00:00Z'}}
spec:
  parentRefs: [{{name: edge, namespace: infra}}]
  hostnames: [shop.example.com]
  rules:
  - backendRefs: [{{name: site, port: 80}}]
  - matches: [{{path: {{type: PathPrefix, value: /cart}}}}]
    backendRefs: [{{name: site, port: 80}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: api, namespace: web, creationTimestamp: '2024-02-01T00:00:00Z'}}
spec:
  parentRefs: [{{name: edge, namespace: infra}}]
  hostnames: [shop.example.com]
  rules:
{api_rules}---
apiVersion: v1
kind: Service
metadata: {{name: site, namespace: web}}
spec: {{ports: [{{port: 80, name: http}}]}}
"
        )
    }

    #[test]
    fn across_gateway_api_routes() {
        let rules = "  - matches: [{path: {type: RegularExpression, value: /api/.*}}]
    backendRefs: [{name: site, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /cart}}]
    backendRefs: [{name: site, port: 80}]
";
        let f = findings(&gateway_api(rules), "MESH0303");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, 27, "{f:?}");
        assert!(
            f[0].1.contains("HTTPRoute web/api rules[0] matches[0] is never reached")
                && f[0].1.contains("RegularExpression"),
            "{f:?}"
        );
        assert_eq!(f[1].0, 29, "{f:?}");
        assert!(f[1].1.contains("HTTPRoute web/site rules[1] matches[0] matches every request"), "{f:?}");
    }

    #[test]
    fn gateway_api_routes_that_precedence_orders_first_are_not_reported() {
        // An exact path and a longer prefix sort before the other route's rules; a header match
        // sorts before the same prefix without one.
        let rules = "  - matches: [{path: {type: Exact, value: /cart}}]
    backendRefs: [{name: site, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /cart/v2}}]
    backendRefs: [{name: site, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /cart}, headers: [{name: x-canary, value: '1'}]}]
    backendRefs: [{name: site, port: 80}]
";
        assert_eq!(findings(&gateway_api(rules), "MESH0303"), vec![]);
    }
}
