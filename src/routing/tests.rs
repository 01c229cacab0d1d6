//! Table-driven routing cases from Istio's traffic-management tasks, on `testdata/bookinfo` plus
//! small inline meshes.

use super::eval::{Outcome, OutcomeKind, Request};
use crate::lint::{Inputs, LintOptions};
use crate::source::Sources;

const BOOKINFO: &[&str] =
    &["destination-rules.yaml", "egress.yaml", "gateway.yaml", "platform.yaml", "routing.yaml", "services.yaml"];

fn run(extra: &str, req: &str, with_bookinfo: bool) -> Outcome {
    let mut s = Sources::default();
    if with_bookinfo {
        for f in BOOKINFO.iter().filter(|f| **f != "routing.yaml" || !extra.starts_with("# replaces bookinfo routing"))
        {
            let path = format!("{}/testdata/bookinfo/{f}", env!("CARGO_MANIFEST_DIR"));
            s.add(path.clone(), std::fs::read_to_string(&path).unwrap());
        }
    }
    s.add("extra.yaml".into(), extra.into());
    let loaded = Inputs::parse(s);
    let options = LintOptions::default();
    let cx = loaded.context(&options);
    let req: Request = serde_json::from_str(req).unwrap_or_else(|e| panic!("bad request {req}: {e}"));
    super::simulate(&cx, &req)
}

struct Case {
    name: &'static str,
    bookinfo: bool,
    extra: &'static str,
    req: &'static str,
    outcome: OutcomeKind,
    /// `host|subset|port|weight`
    dests: &'static [&'static str],
    status: Option<u32>,
}

use OutcomeKind::*;

const SHIFT: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v3}
      weight: 50
"#;

const ZERO: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v3}
      weight: 100
    - destination: {host: reviews, subset: v1}
      weight: 0
"#;

const RELATIVE: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 1
    - destination: {host: reviews, subset: v2}
      weight: 3
"#;

const ABORT: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    fault:
      abort: {percentage: {value: 100.0}, httpStatus: 500}
    route:
    - destination: {host: ratings, subset: v1}
  - fault:
      abort: {httpStatus: 418}
    route:
    - destination: {host: ratings, subset: v1}
"#;

const TIMEOUT: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
    timeout: 0.5s
"#;

const ACTIONS: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new}
  - match: [{uri: {prefix: /down}}]
    directResponse: {status: 503, body: {string: maintenance}}
  - match: [{uri: {regex: "/v[0-9]+"}}]
    route: [{destination: {host: details, port: {number: 9080}}}]
  - match: [{uri: {prefix: /CASE}, ignoreUriCase: true}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - match: [{uri: {prefix: /q}, queryParams: {v: {exact: "2"}}}]
    route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
  - match: [{uri: {prefix: /post}, method: {exact: POST}}]
    route: [{destination: {host: reviews, subset: v3, port: {number: 9080}}}]
  - match: [{uri: {prefix: /nobeta}, withoutHeaders: {x-beta: {exact: "1"}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
  - match: [{uri: {prefix: /ratings}}]
    rewrite: {uri: /v1/bookRatings}
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - match: [{uri: {prefix: /missing}}]
    route: [{destination: {host: reviews, subset: v9, port: {number: 9080}}}]
  - match: [{uri: {prefix: /ghost}}]
    route: [{destination: {host: ghost, port: {number: 80}}}]
"#;

const SOURCES: &str = r#"# replaces bookinfo routing
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: productpage, version: v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{sourceNamespace: test}]
    route: [{destination: {host: reviews, subset: v3}}]
  - match: [{port: 8080, uri: {prefix: /}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - route: [{destination: {host: reviews, subset: v1}}]
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
"#;

const MERGE: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: SIMPLE, credentialName: c}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [app.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: productpage, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [app.example.com, secure.example.com]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: details, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.example.com"]
  gateways: [gw]
  http:
  - route: [{destination: {host: ratings, port: {number: 9080}}}]
"#;

const OLDEST: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-new, namespace: default, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v3}}]
"#;

const REDIRECT_TLS: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [secure.example.com]
    tls: {httpsRedirect: true}
"#;

const SCOPED: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["other/*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [gw]
  http:
  - route: [{destination: {host: productpage, port: {number: 9080}}}]
"#;

const REGISTRY_ONLY: &str = r#"
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
"#;

const MULTIPORT: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec:
  selector: {app: multi}
  ports: [{name: http, port: 8080}, {name: http-admin, port: 9090}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: multi, namespace: default}
spec:
  hosts: [bookinfo.example.com]
  gateways: [bookinfo-gateway]
  http:
  - match: [{uri: {prefix: /multi}}]
    route: [{destination: {host: multi}}]
"#;

const SNIFFED: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: default}
spec:
  selector: {app: legacy}
  ports: [{port: 7000}]
"#;

fn cases() -> Vec<Case> {
    let c = |name, bookinfo, extra, req, outcome, dests, status| Case {
        name,
        bookinfo,
        extra,
        req,
        outcome,
        dests,
        status,
    };
    vec![
        // Ingress gateway (bookinfo-gateway, istio.io tasks/traffic-management/ingress).
        c(
            "gw exact /productpage",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/productpage"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw prefix /static",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/static/app.css"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw prefix is raw: /staticfoo",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/staticfoo"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw /login",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/login"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw /api/v1/products/1",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/api/v1/products/1"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw exact ignores query",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/productpage?u=normal"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw exact does not match subpath",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/productpage/x"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "gw path normalised",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/x/../login"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw unknown path 404",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/nope"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "gw unknown host 404",
            true,
            "",
            r#"{"from":"gateway","host":"other.example.com","path":"/productpage"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "gw host port stripped",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com:80","path":"/login"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw host case-insensitive",
            true,
            "",
            r#"{"from":"gateway","host":"BookInfo.Example.com","path":"/login"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "gw no server on 443",
            true,
            "",
            r#"{"from":"gateway","host":"bookinfo.example.com","port":443,"path":"/"}"#,
            NoListener,
            &[],
            None,
        ),
        // Request routing (tasks/traffic-management/request-routing).
        c(
            "jason sees reviews v2",
            true,
            "",
            r#"{"host":"reviews:9080","port":9080,"headers":{"end-user":"jason"},"source":{"namespace":"default","labels":{"app":"productpage"}}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "others see v1/v3 90/10",
            true,
            "",
            r#"{"host":"reviews","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|90", "reviews.default.svc.cluster.local|v3|9080|10"],
            None,
        ),
        c(
            "header value is case-sensitive",
            true,
            "",
            r#"{"host":"reviews","port":9080,"headers":{"end-user":"Jason"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|90", "reviews.default.svc.cluster.local|v3|9080|10"],
            None,
        ),
        c(
            "header name is case-insensitive",
            true,
            "",
            r#"{"host":"reviews","port":9080,"headers":{"End-User":"jason"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "FQDN host",
            true,
            "",
            r#"{"host":"reviews.default.svc.cluster.local","port":9080,"headers":{"end-user":"jason"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "ns-qualified host from another namespace",
            true,
            "",
            r#"{"host":"reviews.default","port":9080,"source":{"namespace":"other"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|90", "reviews.default.svc.cluster.local|v3|9080|10"],
            None,
        ),
        c(
            "short name from another namespace is unknown",
            true,
            "",
            r#"{"host":"reviews","port":9080,"source":{"namespace":"other"}}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "service without VS gets default route",
            true,
            "",
            r#"{"host":"productpage","port":9080}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        // Fault injection (tasks/traffic-management/fault-injection).
        c(
            "ratings delay for jason",
            true,
            "",
            r#"{"host":"ratings","port":9080,"headers":{"end-user":"jason"}}"#,
            Route,
            &["ratings.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "ratings abort 500 for jason",
            true,
            ABORT,
            r#"{"host":"ratings","port":9080,"headers":{"end-user":"jason"}}"#,
            Route,
            &["ratings.default.svc.cluster.local|v1|9080|100"],
            Some(500),
        ),
        c(
            "abort without percentage aborts nothing",
            true,
            ABORT,
            r#"{"host":"ratings","port":9080}"#,
            Route,
            &["ratings.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        // Timeouts (tasks/traffic-management/request-timeouts).
        c(
            "details timeout 2s",
            true,
            "",
            r#"{"host":"details","port":9080}"#,
            Route,
            &["details.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "reviews timeout 0.5s",
            true,
            TIMEOUT,
            r#"{"host":"reviews","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        // Traffic shifting (tasks/traffic-management/traffic-shifting).
        c(
            "no service: passthrough even with a VirtualService",
            false,
            SHIFT,
            r#"{"host":"reviews","port":9080}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "50/50 shift",
            true,
            SHIFT,
            r#"{"host":"reviews.default.svc","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|50", "reviews.default.svc.cluster.local|v3|9080|50"],
            None,
        ),
        c(
            "weight 0 dropped",
            true,
            ZERO,
            r#"{"host":"reviews","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v3|9080|100"],
            None,
        ),
        c(
            "relative weights",
            true,
            RELATIVE,
            r#"{"host":"reviews","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|25", "reviews.default.svc.cluster.local|v2|9080|75"],
            None,
        ),
        // Actions at the gateway.
        c(
            "redirect",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/old?a=1"}"#,
            Redirect,
            &[],
            Some(301),
        ),
        c(
            "direct response",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/down/x"}"#,
            DirectResponse,
            &[],
            Some(503),
        ),
        c(
            "regex is a full match",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/v12"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "regex does not match a longer path",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/v12/x"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "ignoreUriCase prefix",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/case/x"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "query parameter exact",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/q?v=2"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "query parameter mismatch",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/q?v=3"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "method POST",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/post","method":"POST"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v3|9080|100"],
            None,
        ),
        c(
            "method GET misses POST rule",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/post"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "withoutHeaders matches absent header",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/nobeta"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "withoutHeaders rejects the value",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/nobeta","headers":{"x-beta":"1"}}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "rewrite prefix",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/ratings/1"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "missing subset is 503 NC",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/missing"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v9|9080|100"],
            Some(503),
        ),
        c(
            "unknown host is 503 NC",
            true,
            ACTIONS,
            r#"{"from":"gateway","host":"shop.example.com","path":"/ghost"}"#,
            Route,
            &["ghost.default.svc.cluster.local||80|100"],
            Some(503),
        ),
        // Compile-time filtering and catch-all truncation.
        c(
            "sourceLabels selects v2 clients",
            true,
            SOURCES,
            r#"{"host":"reviews","port":9080,"source":{"namespace":"default","labels":{"app":"productpage","version":"v2"}}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "sourceNamespace",
            true,
            SOURCES,
            r#"{"host":"reviews.default","port":9080,"source":{"namespace":"test","labels":{"app":"x"}}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v3|9080|100"],
            None,
        ),
        c(
            "port match dropped; catch-all cuts later rules",
            true,
            SOURCES,
            r#"{"host":"reviews","port":9080,"headers":{"end-user":"jason"},"source":{"namespace":"default","labels":{"app":"productpage","version":"v1"}}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        // Gateway merge: catch-alls last across VirtualServices; wildcard vs exact vhosts.
        c(
            "merged vhost: second VS's /api wins over first VS's catch-all",
            true,
            MERGE,
            r#"{"from":"gateway","host":"app.example.com","path":"/api/x"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "merged vhost: catch-all last",
            true,
            MERGE,
            r#"{"from":"gateway","host":"app.example.com","path":"/"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "wildcard vhost for other hosts",
            true,
            MERGE,
            r#"{"from":"gateway","host":"b.example.com","path":"/"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "https server has its own route config",
            true,
            MERGE,
            r#"{"from":"gateway","host":"secure.example.com","port":8443,"scheme":"https","path":"/api"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "httpsRedirect",
            true,
            REDIRECT_TLS,
            r#"{"from":"gateway","host":"secure.example.com","path":"/x"}"#,
            TlsRedirect,
            &[],
            Some(301),
        ),
        c(
            "server host scoped to another namespace: blackhole 404",
            false,
            SCOPED,
            r#"{"from":"gateway","host":"a.example.com","path":"/"}"#,
            NotFound,
            &[],
            Some(404),
        ),
        c(
            "gateway: multi-port service without port is 503 NC",
            true,
            MULTIPORT,
            r#"{"from":"gateway","host":"bookinfo.example.com","path":"/multi"}"#,
            Route,
            &["multi.default.svc.cluster.local||80|100"],
            Some(503),
        ),
        // Sidecars: the oldest VirtualService wins; outbound traffic policy; egress.
        c(
            "sidecar: oldest VS for a host wins",
            true,
            OLDEST,
            r#"{"host":"reviews","port":9080,"headers":{"end-user":"jason"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "ALLOW_ANY: unknown host passes through",
            true,
            "",
            r#"{"host":"httpbin.org","port":80}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "ALLOW_ANY: unknown host on an HTTP port",
            true,
            "",
            r#"{"host":"example.org","port":9080}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "REGISTRY_ONLY: unknown host on an HTTP port is 502",
            true,
            REGISTRY_ONLY,
            r#"{"host":"example.org","port":9080}"#,
            DirectResponse,
            &[],
            Some(502),
        ),
        c(
            "REGISTRY_ONLY: ServiceEntry host is routed",
            true,
            REGISTRY_ONLY,
            r#"{"host":"httpbin.org","port":80,"path":"/headers"}"#,
            Route,
            &["httpbin.org||80|100"],
            None,
        ),
        c(
            "REGISTRY_ONLY: no listener on the port",
            true,
            REGISTRY_ONLY,
            r#"{"host":"example.org","port":5555}"#,
            NoListener,
            &[],
            None,
        ),
        c(
            "sniffed port ignores the Host header",
            false,
            SNIFFED,
            r#"{"host":"legacy","port":7000}"#,
            Route,
            &["legacy.default.svc.cluster.local||7000|100"],
            None,
        ),
    ]
}

#[test]
fn routing_table() {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        let o = run(case.extra, case.req, case.bookinfo);
        let got: Vec<String> =
            o.destinations.iter().map(|d| format!("{}|{}|{}|{}", d.host, d.subset, d.port, d.weight)).collect();
        let dests_ok = got.iter().map(String::as_str).collect::<Vec<_>>() == case.dests;
        if o.outcome != case.outcome || !dests_ok || o.status != case.status {
            failures.push(format!(
                "{}: got {:?} {:?} {:?}\n{}",
                case.name,
                o.outcome,
                got,
                o.status,
                serde_json::to_string_pretty(&o.trace).unwrap()
            ));
        }
    }
    assert!(all.len() >= 40);
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[test]
fn policies_are_reported() {
    let o = run("", r#"{"host":"details","port":9080}"#, true);
    assert_eq!(o.timeout.as_deref(), Some("2s"));
    assert_eq!(o.retries.as_ref().map(|r| r.attempts), Some(3));
    let o = run("", r#"{"host":"ratings","port":9080,"headers":{"end-user":"jason"}}"#, true);
    let f = o.fault.unwrap();
    assert_eq!((f.delay.as_deref(), f.delay_percent), (Some("7s"), 100.0));
    assert_eq!(o.response_flags.as_deref(), Some("DI"));
    let o = run(ACTIONS, r#"{"from":"gateway","host":"shop.example.com","path":"/old?a=1"}"#, true);
    assert_eq!(o.location.as_deref(), Some("http://shop.example.com/new?a=1"));
    let o = run(ACTIONS, r#"{"from":"gateway","host":"shop.example.com","path":"/ratings/1"}"#, true);
    assert_eq!(o.rewrite.and_then(|r| r.path).as_deref(), Some("/v1/bookRatings/1"));
    let o = run(ACTIONS, r#"{"from":"gateway","host":"shop.example.com","path":"/down"}"#, true);
    assert_eq!(o.body.as_deref(), Some("maintenance"));
    let o = run(SOURCES, r#"{"host":"reviews","port":9080}"#, true);
    let dropped: Vec<_> = o.trace.iter().filter(|t| t.result == "dropped").map(|t| t.detail.as_str()).collect();
    assert!(dropped.iter().any(|d| d.contains("match.port 8080")), "{dropped:?}");
    assert!(dropped.iter().any(|d| d.contains("after the catch-all")), "{dropped:?}");
    let o = run(OLDEST, r#"{"host":"reviews","port":9080}"#, true);
    assert!(o.trace.iter().any(|t| t.detail.contains("older VirtualService default/reviews")), "{:?}", o.trace);
}

#[test]
fn human_trace_snapshot() {
    let req = r#"{"from":"gateway","host":"app.example.com","path":"/api/x"}"#;
    let o = run(MERGE, req, true);
    let r: Request = serde_json::from_str(req).unwrap();
    insta::assert_snapshot!(crate::cli::simulate_human(&r, &o));
}

#[test]
fn a_regex_re2_rejects_matches_nothing() {
    use super::matcher::{StrMatch, full_match, regex_error};
    // Not valid alone, though valid once wrapped as `^(?:/x)|(y)$` (which matches any `/x…`).
    assert!(!full_match("/x)|(y", "/x-anything"));
    assert_eq!(regex_error("/x)|(y").as_deref(), Some("unopened group"));
    assert!(!full_match("(a)\\1", "aa"));
    assert_eq!(regex_error("(a)\\1").as_deref(), Some("backreferences are not supported"));
    assert!(!full_match("(?=a)a", "a"));
    assert!(full_match("/(a+)+$", "/aaa"));
    assert_eq!(regex_error("/(a+)+$"), None);
    assert_eq!(
        StrMatch::Regex("(a)\\1".into()).to_string(),
        r#"regex "(a)\\1" (not valid RE2: backreferences are not supported; it matches nothing)"#
    );
}

#[test]
fn long_values_are_shortened_in_the_trace() {
    let s = super::matcher::shown(&"é".repeat(100));
    assert_eq!(s, format!("{:?}… (200 bytes)", "é".repeat(40)));
    assert_eq!(super::matcher::shown("short"), "\"short\"");
}
