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
    let explained = super::simulate(&cx, &req);
    // Every case also checks that deciding without the explanation gives the same answer.
    let decided = super::Simulator::new(&cx).decide(&req);
    assert!(decided.trace.is_empty(), "decide kept a trace: {:?}", decided.trace);
    assert_eq!(decided, Outcome { trace: Vec::new(), explain: false, ..explained.clone() }, "decide differs from run");
    explained
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

/// Delegation (istio.io ops/traffic-management "delegate VirtualService"): a root on the gateway
/// hands `/reviews` and `/ratings` to VirtualServices owned by other namespaces.
const DELEGATE: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: corp, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [corp.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: default}
spec:
  hosts: [corp.example.com]
  gateways: [corp]
  http:
  - name: reviews
    match: [{uri: {prefix: /reviews}}]
    timeout: 5s
    delegate: {name: reviews, namespace: team-a}
  - match: [{uri: {prefix: /ratings}}]
    delegate: {name: ratings}
  - match: [{uri: {prefix: /ghost}}]
    delegate: {name: ghost, namespace: team-a}
  - match: [{uri: {prefix: /private}}]
    delegate: {name: private, namespace: team-a}
  - route: [{destination: {host: productpage, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: team-a}
spec:
  http:
  - name: beta
    match: [{uri: {prefix: /reviews/beta}, headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2, port: {number: 9080}}}]
  - match: [{uri: {prefix: /other}}]
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3, port: {number: 9080}}}]
  - route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  http:
  - match: [{uri: {exact: /ratings/legacy}}]
    directResponse: {status: 410}
  - route: [{destination: {host: ratings, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private, namespace: team-a}
spec:
  exportTo: ["."]
  http:
  - route: [{destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}}]
"#;

/// Sidecar egress scoping (istio.io reference Sidecar): clients in `default` see only their own
/// namespace and `istio-system`.
const EGRESS_SCOPE: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: other}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: strict, namespace: default}
spec:
  workloadSelector: {labels: {app: strict}}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["./*"]
"#;

/// TCP and TLS (istio.io tasks/traffic-management tcp-traffic-shifting, ingress-sni-passthrough,
/// and the TCP/TLS sections of the VirtualService reference).
const L4: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: l4, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
  - port: {number: 443, name: tls, protocol: TLS}
    tls: {mode: PASSTHROUGH}
    hosts: ["*.secure.example.com"]
  - port: {number: 15443, name: tls-auto, protocol: TLS}
    tls: {mode: AUTO_PASSTHROUGH}
    hosts: ["*.local"]
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: default}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}, {name: tcp-other, port: 9001}]
---
apiVersion: v1
kind: Service
metadata: {name: mongo, namespace: default}
spec:
  clusterIP: 10.1.2.3
  selector: {app: mongo}
  ports: [{name: mongo, port: 27017}, {name: mongo-backup, port: 27018}]
---
apiVersion: v1
kind: Service
metadata: {name: secure, namespace: default}
spec:
  selector: {app: secure}
  ports: [{name: https, port: 443}, {name: https-alt, port: 8443}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [l4]
  tcp:
  - match: [{port: 31400}]
    route:
    - destination: {host: tcp-echo, port: {number: 9000}}
      weight: 80
    - destination: {host: tcp-echo, port: {number: 9001}}
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: passthrough, namespace: default}
spec:
  hosts: ["*.secure.example.com"]
  gateways: [l4]
  tls:
  - match: [{port: 443, sniHosts: ["*.secure.example.com"]}]
    route: [{destination: {host: secure, port: {number: 443}}}]
  - match: [{port: 443, sniHosts: [a.secure.example.com]}]
    route: [{destination: {host: secure, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mongo, namespace: default}
spec:
  hosts: [mongo]
  tcp:
  - match: [{port: 27017, destinationSubnets: [10.1.0.0/16]}]
    route: [{destination: {host: mongo, port: {number: 27018}}}]
  - match: [{port: 27017, sourceLabels: {app: batch}}]
    route: [{destination: {host: mongo, port: {number: 27018}}}]
  - route: [{destination: {host: mongo}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure, namespace: default}
spec:
  hosts: [secure]
  tls:
  - match: [{port: 443, sniHosts: [secure.default.svc.cluster.local]}]
    route: [{destination: {host: secure, port: {number: 8443}}}]
"#;

/// Matching details and policies (istio.io VirtualService reference; Envoy route matching):
/// virtual-host precedence, header/query/authority/scheme matchers, match-level gateways, exportTo,
/// mirror, retries, redirect and regex rewrite.
const MATCHING: &str = r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge2, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.org"]
  - port: {number: 80, name: http-b, protocol: HTTP}
    hosts: ["b.example.org", "team/private.example.org"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.example.org"]
  gateways: [edge2]
  http:
  - route: [{destination: {host: details, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default}
spec:
  hosts: [b.example.org]
  gateways: [edge2]
  http:
  - route: [{destination: {host: ratings, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private, namespace: team}
spec:
  hosts: [private.example.org]
  gateways: [default/edge2]
  exportTo: ["."]
  http:
  - route: [{destination: {host: ratings.default.svc.cluster.local, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.org]
  gateways: [edge2]
  http:
  - match: [{headers: {x-tenant: {prefix: acme}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
  - match: [{headers: {x-token: {regex: "[a-f0-9]{8}"}}}]
    route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
  - match: [{headers: {x-debug: {}}}]
    route: [{destination: {host: reviews, subset: v3, port: {number: 9080}}}]
  - match: [{authority: {exact: "api.example.org:8080"}}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - match: [{uri: {regex: "/CI/.*"}, ignoreUriCase: true}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - match: [{scheme: {exact: https}}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
  - match: [{queryParams: {q: {regex: "[0-9]+"}}}, {queryParams: {debug: {}}}]
    route: [{destination: {host: details, port: {number: 9080}}}]
  - match: [{uri: {prefix: /modern}, withoutHeaders: {x-legacy: {}}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}}]
  - match: [{uri: {prefix: /mirror}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
    mirror: {host: reviews, subset: v1, port: {number: 9080}}
    mirrorPercentage: {value: 50}
  - match: [{uri: {prefix: /retry}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
    retries: {attempts: 5, perTryTimeout: 1s, retryOn: 5xx}
  - match: [{uri: {prefix: /moved}}]
    redirect: {uri: /new, authority: new.example.org, redirectCode: 308, scheme: https, port: 8443}
  - match: [{uri: {prefix: /rx}}]
    rewrite: {uriRegexRewrite: {match: "^/rx/(.*)$", rewrite: "/v2/\\1"}}
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - match: [{uri: {prefix: /gwonly}, gateways: [mesh]}]
    route: [{destination: {host: reviews, subset: v2, port: {number: 9080}}}]
  - route: [{destination: {host: productpage, port: {number: 9080}}}]
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
            "REGISTRY_ONLY: no listener on the port, virtualOutbound drops it",
            true,
            REGISTRY_ONLY,
            r#"{"host":"example.org","port":5555}"#,
            Blackhole,
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
        // Delegation: the root's matches narrowed by each delegate rule.
        c(
            "delegate rule inside the root match",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/reviews/beta/1","headers":{"end-user":"jason"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "delegate header not met falls to the delegate's catch-all",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/reviews/beta/1"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "delegate rule outside the root match is dropped",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/other"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "delegate namespace defaults to the root's; short names resolve there",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/ratings/1"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "delegate direct response",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/ratings/legacy"}"#,
            DirectResponse,
            &[],
            Some(410),
        ),
        c(
            "missing delegate removes the root rule",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/ghost"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "delegate not exported to the root's namespace",
            true,
            DELEGATE,
            r#"{"from":"gateway","host":"corp.example.com","path":"/private"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        // Sidecar egress scoping.
        c(
            "service outside the Sidecar's egress passes through",
            true,
            EGRESS_SCOPE,
            r#"{"host":"echo.other.svc.cluster.local","port":9080}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "service outside the egress, REGISTRY_ONLY",
            true,
            EGRESS_SCOPE,
            r#"{"source":{"namespace":"default","labels":{"app":"strict"}},"host":"echo.other.svc.cluster.local","port":9080}"#,
            DirectResponse,
            &[],
            Some(502),
        ),
        c(
            "service inside the Sidecar's egress still routes",
            true,
            EGRESS_SCOPE,
            r#"{"host":"reviews","port":9080}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|90", "reviews.default.svc.cluster.local|v3|9080|10"],
            None,
        ),
        c(
            "without the Sidecar the other namespace is reachable",
            true,
            EGRESS_SCOPE,
            r#"{"source":{"namespace":"other"},"host":"echo.other.svc.cluster.local","port":9080}"#,
            Route,
            &["echo.other.svc.cluster.local||9080|100"],
            None,
        ),
        // TCP and TLS.
        c(
            "gateway TCP server: weighted TCP route",
            true,
            L4,
            r#"{"from":"gateway","protocol":"tcp","port":31400}"#,
            TcpForward,
            &["tcp-echo.default.svc.cluster.local||9000|80", "tcp-echo.default.svc.cluster.local||9001|20"],
            None,
        ),
        c(
            "TLS passthrough: the most specific SNI wins over rule order",
            true,
            L4,
            r#"{"from":"gateway","protocol":"tls","port":443,"sni":"a.secure.example.com"}"#,
            TcpForward,
            &["secure.default.svc.cluster.local||8443|100"],
            None,
        ),
        c(
            "TLS passthrough: wildcard SNI",
            true,
            L4,
            r#"{"from":"gateway","protocol":"tls","port":443,"sni":"b.secure.example.com"}"#,
            TcpForward,
            &["secure.default.svc.cluster.local||443|100"],
            None,
        ),
        c(
            "TLS passthrough: no server for the SNI",
            true,
            L4,
            r#"{"from":"gateway","protocol":"tls","port":443,"sni":"api.example.org"}"#,
            NoListener,
            &[],
            None,
        ),
        c(
            "AUTO_PASSTHROUGH: the SNI names the cluster",
            true,
            L4,
            r#"{"from":"gateway","protocol":"tls","port":15443,"sni":"outbound_.9080_.v1_.reviews.default.svc.cluster.local"}"#,
            TcpForward,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "sidecar TCP: destinationSubnets holds for the service's address",
            true,
            L4,
            r#"{"protocol":"tcp","host":"mongo","port":27017}"#,
            TcpForward,
            &["mongo.default.svc.cluster.local||27018|100"],
            None,
        ),
        c(
            "sidecar TCP: sourceLabels hold",
            true,
            L4,
            r#"{"protocol":"tcp","source":{"namespace":"default","labels":{"app":"batch"}},"host":"mongo","port":27017}"#,
            TcpForward,
            &["mongo.default.svc.cluster.local||27018|100"],
            None,
        ),
        c(
            "sidecar TCP: another address than the service's is not on its listener",
            true,
            L4,
            r#"{"protocol":"tcp","host":"mongo","port":27017,"destination_address":"10.2.0.1"}"#,
            Passthrough,
            &[],
            None,
        ),
        c(
            "sidecar TCP without VirtualService: the service's cluster",
            true,
            L4,
            r#"{"protocol":"tcp","host":"tcp-echo","port":9000}"#,
            TcpForward,
            &["tcp-echo.default.svc.cluster.local||9000|100"],
            None,
        ),
        c(
            "sidecar TLS: SNI rule",
            true,
            L4,
            r#"{"protocol":"tls","host":"secure","port":443,"sni":"secure.default.svc.cluster.local"}"#,
            TcpForward,
            &["secure.default.svc.cluster.local||8443|100"],
            None,
        ),
        c(
            "sidecar TLS: with TLS routes for the service, another SNI matches no chain (core/tls.go: no default chain when a tls match exists)",
            true,
            L4,
            r#"{"protocol":"tls","host":"secure","port":443,"sni":"elsewhere.example.com"}"#,
            Passthrough,
            &[],
            None,
        ),
        // Matching details and policies.
        c(
            "vhost: an exact server host beats the wildcard",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/x"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "vhost: the suffix wildcard takes other hosts",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"foo.example.org","path":"/"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "vhost: two HTTP servers on port 80 share http.80",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"b.example.org","path":"/"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "header prefix",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","headers":{"x-tenant":"acme-corp"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "header regex is a full match",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","headers":{"x-token":"deadbeef"}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v2|9080|100"],
            None,
        ),
        c(
            "header regex rejects a longer value",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","headers":{"x-token":"deadbeef00"}}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "header presence matches an empty value",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","headers":{"x-debug":""}}"#,
            Route,
            &["reviews.default.svc.cluster.local|v3|9080|100"],
            None,
        ),
        c(
            "authority match sees the port",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org:8080","port":80}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "regex ignores ignoreUriCase",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/ci/x"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "regex with ignoreUriCase still matches its own case",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/CI/x"}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "scheme https",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","scheme":"https","port":80}"#,
            Route,
            &["ratings.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "query regex full match",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/s?q=123"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "query regex rejects a partial match",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/s?q=12a"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "query presence: second match of the rule",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/s?debug"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "withoutHeaders presence form: header absent",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/modern/x"}"#,
            Route,
            &["reviews.default.svc.cluster.local|v1|9080|100"],
            None,
        ),
        c(
            "withoutHeaders presence form: header present",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/modern/x","headers":{"x-legacy":"1"}}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "mirror: the request still goes to the route",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/mirror"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "retries: routed",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/retry"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "redirect with scheme, authority, port and code",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/moved/a"}"#,
            Redirect,
            &[],
            Some(308),
        ),
        c(
            "regex rewrite: routed",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/rx/a"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "match.gateways [mesh] is dropped at the gateway",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"api.example.org","path":"/gwonly"}"#,
            Route,
            &["productpage.default.svc.cluster.local||9080|100"],
            None,
        ),
        c(
            "a VirtualService exported only to its namespace is invisible: the wildcard answers",
            true,
            MATCHING,
            r#"{"from":"gateway","host":"private.example.org","path":"/"}"#,
            Route,
            &["details.default.svc.cluster.local||9080|100"],
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
    let api = |path: &str| format!(r#"{{"from":"gateway","host":"api.example.org","path":"{path}"}}"#);
    let o = run(MATCHING, &api("/mirror"), true);
    assert_eq!(o.mirrors.len(), 1);
    assert_eq!((o.mirrors[0].subset.as_str(), o.mirrors[0].percentage), ("v1", 50.0));
    let o = run(MATCHING, &api("/retry"), true);
    let r = o.retries.unwrap();
    assert_eq!((r.attempts, r.per_try_timeout.as_deref(), r.retry_on.as_str()), (5, Some("1s"), "5xx"));
    let o = run(MATCHING, &api("/moved/a?x=1"), true);
    assert_eq!(o.location.as_deref(), Some("https://new.example.org:8443/new?x=1"));
    let o = run(MATCHING, &api("/rx/a"), true);
    assert_eq!(o.rewrite.and_then(|r| r.path).as_deref(), Some("/v2/a"));
    let o = run(OLDEST, r#"{"host":"reviews","port":9080}"#, true);
    assert!(
        o.trace.iter().any(|t| t.detail.contains("belongs to VirtualService default/reviews, which comes first")),
        "{:?}",
        o.trace
    );
}

#[test]
fn human_trace_snapshot() {
    let req = r#"{"from":"gateway","host":"app.example.com","path":"/api/x"}"#;
    let o = run(MERGE, req, true);
    let r: Request = serde_json::from_str(req).unwrap();
    insta::assert_snapshot!(crate::cli::simulate_human(&r, &o));
}

#[test]
fn delegation_is_traced_to_the_delegate() {
    let req = r#"{"from":"gateway","host":"corp.example.com","path":"/reviews/beta/1","headers":{"end-user":"jason"}}"#;
    let o = run(DELEGATE, req, true);
    assert_eq!(o.virtual_service.as_deref(), Some("default/root"));
    assert_eq!((o.rule_index, o.match_index), (Some(0), Some(0)));
    assert_eq!((o.delegate.as_deref(), o.delegate_rule_index), (Some("team-a/reviews"), Some(0)));
    assert_eq!(o.timeout.as_deref(), Some("5s"), "the delegate rule inherits the root's timeout");
    let o = run(DELEGATE, r#"{"from":"gateway","host":"corp.example.com","path":"/other"}"#, true);
    let dropped: Vec<&str> = o.trace.iter().filter(|t| t.result == "dropped").map(|t| t.detail.as_str()).collect();
    assert!(dropped.iter().any(|d| d.contains("fits none of the root rule's matches")), "{dropped:?}");
    assert!(dropped.iter().any(|d| d.contains("team-a/ghost does not exist")), "{dropped:?}");
    assert!(dropped.iter().any(|d| d.contains("not exported to namespace default")), "{dropped:?}");
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
        StrMatch::Regex(super::matcher::Re::new("(a)\\1")).to_string(),
        r#"regex "(a)\\1" (not valid RE2: backreferences are not supported; it matches nothing)"#
    );
}

#[test]
fn long_values_are_shortened_in_the_trace() {
    let s = super::matcher::shown(&"é".repeat(100));
    assert_eq!(s, format!("{:?}… (200 bytes)", "é".repeat(40)));
    assert_eq!(super::matcher::shown("short"), "\"short\"");
}
