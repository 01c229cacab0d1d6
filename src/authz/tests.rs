//! Table tests of the engine's rules: the matchers on their own, then whole requests through
//! `simulate` on a small mesh (namespace `foo`: `sleep` and `httpbin`, `tcp-echo` on TCP ports),
//! each case naming the rule of `../shared/research/security.md` it checks.

use super::matcher;
use crate::lint::{Inputs, LintOptions};
use crate::routing::eval::{Outcome, Request};
use crate::source::Sources;

#[test]
fn string_forms() {
    for (pattern, value, want) in [
        ("*", "x", true),
        ("*", "", false),
        ("/admin*", "/admin/x", true),
        ("*.example.com", "a.example.com", true),
        ("a*b", "a*b", true),
        ("a*b", "axb", false),
        ("GET", "GET", true),
    ] {
        assert_eq!(matcher::string(pattern, value), want, "{pattern} ~ {value}");
    }
    assert!(matcher::string_ignore_case("HTTPBIN.foo", "httpbin.FOO"));
}

#[test]
fn path_templates() {
    // tests/integration/security/authz_test.go path-template cases.
    for (pattern, path, want) in [
        ("/allow/admin/{**}", "/allow/admin/", true),
        ("/allow/admin/{**}", "/allow/admin", false),
        ("/allow/admin/{**}", "/allow/admin/a/b", true),
        ("/foo/{*}/bar/{**}", "/foo//bar/x", false),
        ("/foo/{*}/bar/{**}", "/foo/a/bar/x/y", true),
        ("/store/{**}/cart", "/store//cart", true),
        ("/store/{**}/cart", "/store/cart", false),
        ("/store/{**}/cart", "/store/a/b/cart", true),
        ("/{*}", "/", false),
        ("/{*}", "/a", true),
        ("/{*}", "/a/b", false),
    ] {
        assert_eq!(matcher::path(pattern, path), want, "{pattern} ~ {path}");
    }
}

#[test]
fn principals_with_trust_domain_aliases() {
    let aliases = vec!["old-td".to_string()];
    let p = "new-td/ns/foo/sa/sleep";
    assert!(matcher::principal("cluster.local/ns/foo/sa/sleep", p, "new-td", &aliases));
    assert!(matcher::principal("old-td/ns/foo/sa/sleep", p, "new-td", &aliases));
    assert!(!matcher::principal("other-td/ns/foo/sa/sleep", p, "new-td", &aliases));
    assert!(matcher::principal("*/ns/foo/sa/sleep", p, "new-td", &aliases));
    // istiod prefixes spiffe:// itself: a value written with it never matches.
    assert!(!matcher::principal("spiffe://new-td/ns/foo/sa/sleep", p, "new-td", &aliases));
    assert!(matcher::namespace("foo", p) && matcher::namespace("f*", p) && !matcher::namespace("bar", p));
    assert!(matcher::service_account("sleep", "foo", p) && matcher::service_account("foo/sleep", "bar", p));
    assert!(!matcher::service_account("sleep", "bar", p));
}

#[test]
fn request_principals_split_at_the_last_slash() {
    let (iss, sub) = ("testing@secure.istio.io", "testing@secure.istio.io");
    assert!(matcher::request_principal("*", iss, sub));
    // A token without `sub` never matches `*` (istio/istio#22540).
    assert!(!matcher::request_principal("*", iss, ""));
    assert!(matcher::request_principal("testing@secure.istio.io/*", iss, sub));
    assert!(matcher::request_principal("*/testing@secure.istio.io", iss, sub));
    assert!(matcher::request_principal("testing@secure.istio.io/testing@secure.istio.io", iss, sub));
    assert!(!matcher::request_principal("other/testing@secure.istio.io", iss, sub));
    // generator.go's forms: a `*` inside a part is literal where that part is matched exactly.
    assert!(matcher::request_principal("*secure.istio.io/testing@secure.istio.io", iss, sub));
    assert!(!matcher::request_principal("*secure.istio.io/testing*", iss, sub));
    assert!(matcher::request_principal("testing@secure.istio.io/test*", iss, sub));
    assert!(!matcher::request_principal("testing@*/testing@secure.istio.io", iss, sub));
    // Without a `/`: `*x` is the subject's suffix, `x*` the issuer's prefix.
    assert!(matcher::request_principal("*@secure.istio.io", "other", sub));
    assert!(matcher::request_principal("testing@*", iss, "anyone"));
    assert!(!matcher::request_principal("testing@*", iss, ""));
}

#[test]
fn path_normalization() {
    assert_eq!(matcher::normalize("/public/../private", "BASE").as_deref(), Some("/private"));
    assert_eq!(matcher::normalize("/public/%2e%2e/private", "BASE").as_deref(), Some("/private"));
    // BASE does not merge slashes: a DENY on /data/secret lets /data//secret through.
    assert_eq!(matcher::normalize("/data//secret", "BASE").as_deref(), Some("/data//secret"));
    assert_eq!(matcher::normalize("/data//secret", "MERGE_SLASHES").as_deref(), Some("/data/secret"));
    assert_eq!(matcher::normalize("/a%2Fb", "BASE").as_deref(), Some("/a%2Fb"));
    assert_eq!(matcher::normalize("/a%2Fb", "DECODE_AND_MERGE_SLASHES").as_deref(), Some("/a/b"));
    assert_eq!(matcher::normalize("/a\\b", "BASE").as_deref(), Some("/a/b"));
    assert_eq!(matcher::normalize("/a/./b/", "BASE").as_deref(), Some("/a/b/"));
    assert_eq!(matcher::normalize("/%00", "BASE"), None);
    assert_eq!(matcher::normalize("/x/../../y", "NONE").as_deref(), Some("/x/../../y"));
    // Bytes that are no escape, and multi-byte characters after `%`, pass as they are.
    assert_eq!(matcher::normalize("/%é/%2", "BASE").as_deref(), Some("/%é/%2"));
    assert_eq!(matcher::normalize("/caf%C3%A9", "BASE").as_deref(), Some("/caf%C3%A9"));
    assert_eq!(matcher::normalize("", "BASE").as_deref(), Some("/"));
}

const MESH: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: foo, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin, version: v1}}
    spec:
      serviceAccountName: httpbin
      containers: [{name: httpbin, image: httpbin, ports: [{containerPort: 80}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: foo}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec:
      serviceAccountName: sleep
      containers: [{name: sleep, image: curl}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: legacy}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec:
      serviceAccountName: sleep
      containers: [{name: sleep, image: curl}]
---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: foo}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}, {name: tcp-other, port: 9001}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tcp-echo, namespace: foo}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  template:
    metadata: {labels: {app: tcp-echo}}
    spec:
      containers: [{name: tcp-echo, image: tcp-echo}]
"#;

fn run(policies: &str, req: serde_json::Value) -> Outcome {
    run_with(policies, req, &LintOptions::default())
}

fn run_with(policies: &str, req: serde_json::Value, options: &LintOptions) -> Outcome {
    let mut s = Sources::default();
    s.add("mesh.yaml".into(), MESH.into());
    s.add("policies.yaml".into(), policies.into());
    let loaded = Inputs::parse(s);
    let cx = loaded.context(options);
    let req: Request = serde_json::from_value(req).unwrap();
    crate::routing::simulate(&cx, &req)
}

fn ap(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: {name}, namespace: foo}}\nspec: {spec}\n---\n"
    )
}

/// From `sleep.foo` (or `ns`) to `url`, with extra request keys.
fn from(ns: &str, url: &str, extra: serde_json::Value) -> serde_json::Value {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let (_, port) = authority.split_once(":").unwrap();
    let mut v = serde_json::json!({
        "from": "mesh",
        "source": {"namespace": ns, "labels": {"app": "sleep"}},
        "protocol": if scheme == "tcp" { "tcp" } else { "http" },
        "host": authority,
        "port": port.parse::<u32>().unwrap(),
        "path": path,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// Run each case (name, policies, request, expected) and compare `show` of its answer; every
/// mismatch is reported with its trace.
fn table(cases: Vec<(&str, String, serde_json::Value, &str)>, show: impl Fn(&Outcome) -> String) {
    let mut failed = Vec::new();
    for (name, policies, req, want) in cases {
        let o = run(&policies, req);
        let got = show(&o);
        if got != want {
            let trace: Vec<&String> = o.trace.iter().map(|t| &t.detail).collect();
            failed.push(format!("{name}: expected {want}, got {got}\n  trace: {trace:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// `decision|policy|status` of the answer.
fn verdict(o: &Outcome) -> String {
    let a = o.authz.as_ref().expect("an authz answer");
    format!("{}|{}|{}", a.decision, a.policy.as_deref().unwrap_or("-"), o.status.map_or("-".into(), |s| s.to_string()))
}

#[test]
fn evaluation_rules() {
    use serde_json::json;
    let httpbin = "http://httpbin.foo:8000/ip";
    let get = json!({});
    let cases: Vec<(&str, String, serde_json::Value, &str)> = vec![
        ("§2.1 no policy: allowed", String::new(), from("foo", httpbin, get.clone()), "allow|-|-"),
        ("§2.1 allow-nothing (spec: {}) denies all", ap("nothing", "{}"), from("foo", httpbin, get.clone()), "deny|-|403"),
        ("§2.1 rules: [{}] allows all", ap("all", "{rules: [{}]}"), from("foo", httpbin, get.clone()), "allow|foo/all|-"),
        (
            "§2.1 DENY wins over ALLOW",
            ap("all", "{rules: [{}]}") + &ap("no-get", "{action: DENY, rules: [{to: [{operation: {methods: [GET]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|foo/no-get|403",
        ),
        (
            "§2.1 ALLOW policies exist and none matches: the implicit deny",
            ap("post-only", "{rules: [{to: [{operation: {methods: [POST]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§2.1 AUDIT decides nothing",
            ap("audit", "{action: AUDIT, rules: [{}]}"),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§2.1 a dry-run DENY denies nothing",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: dry, namespace: foo, annotations: {istio.io/dry-run: \"true\"}}\nspec: {action: DENY, rules: [{}]}\n".into(),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§2.1 a workload whose only ALLOW is dry-run is not implicitly denied",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: dry, namespace: foo, annotations: {istio.io/dry-run: \"true\"}}\nspec: {}\n".into(),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§2.1 CUSTOM with a provider missing from the mesh config is built as DENY",
            ap("ext", "{action: CUSTOM, provider: {name: oauth2}, rules: [{to: [{operation: {paths: [/ip]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|foo/ext|403",
        ),
        (
            "§1.2 a selector that does not select the workload",
            ap("other", "{selector: {matchLabels: {app: other}}}"),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§1.2 targetRefs are ignored on a sidecar",
            ap("waypoint", "{targetRefs: [{kind: Service, group: \"\", name: httpbin}]}"),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§1.2 a root-namespace policy applies mesh-wide",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: istio-system}\nspec: {}\n".into(),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§1.2 a policy in another namespace never applies",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all, namespace: bar}\nspec: {}\n".into(),
            from("foo", httpbin, get.clone()),
            "allow|-|-",
        ),
        (
            "§2.3 principals: the client's service account over mTLS",
            ap("sleep", "{rules: [{from: [{source: {principals: [cluster.local/ns/foo/sa/sleep]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "allow|foo/sleep|-",
        ),
        (
            "§2.3 principals: another service account is denied",
            ap("sleep", "{rules: [{from: [{source: {principals: [cluster.local/ns/foo/sa/other]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§4.4 a client without a sidecar sends plain text: no principal, so principals cannot match",
            ap("ns", "{rules: [{from: [{source: {namespaces: [legacy]}}]}]}"),
            from("legacy", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§2.2 notPrincipals: [*] matches plain text",
            ap("plain", "{action: DENY, rules: [{from: [{source: {notPrincipals: [\"*\"]}}]}]}"),
            from("legacy", httpbin, get.clone()),
            "deny|foo/plain|403",
        ),
        (
            "§2.3 namespaces with a prefix",
            ap("ns", "{rules: [{from: [{source: {namespaces: [\"fo*\"]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "allow|foo/ns|-",
        ),
        (
            "§2.3 ipBlocks at a sidecar read the client pod's address",
            ap("ip", "{rules: [{from: [{source: {ipBlocks: [10.1.0.0/16]}}]}]}"),
            from("foo", httpbin, json!({"source_ip": "10.1.2.3"})),
            "allow|foo/ip|-",
        ),
        (
            "§2.3 remoteIpBlocks at a sidecar take the rightmost X-Forwarded-For entry",
            ap("ip", "{action: DENY, rules: [{from: [{source: {remoteIpBlocks: [203.0.113.9]}}]}]}"),
            from("foo", httpbin, json!({"source_ip": "10.1.2.3", "headers": {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}})),
            "deny|foo/ip|403",
        ),
        (
            "§2.3 methods are case-sensitive",
            ap("get", "{rules: [{to: [{operation: {methods: [get]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§2.3 paths with a template",
            ap("tpl", "{rules: [{to: [{operation: {paths: [\"/status/{*}\"]}}]}]}"),
            from("foo", "http://httpbin.foo:8000/status/200", get.clone()),
            "allow|foo/tpl|-",
        ),
        (
            "§2.3 paths are matched after normalization and without the query",
            ap("deny-admin", "{action: DENY, rules: [{to: [{operation: {paths: [/admin]}}]}]}"),
            from("foo", "http://httpbin.foo:8000/public/../admin?x=1", get.clone()),
            "deny|foo/deny-admin|403",
        ),
        (
            "§2.3 hosts compare with the port the client sent",
            ap("host", "{rules: [{to: [{operation: {hosts: [httpbin.foo]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§2.3 hosts: the `h:*` form takes any port",
            ap("host", "{rules: [{to: [{operation: {hosts: [\"httpbin.foo:*\"]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "allow|foo/host|-",
        ),
        (
            "§2.3 ports are the workload's port (targetPort 80), not the Service's 8000",
            ap("port", "{rules: [{to: [{operation: {ports: [\"8000\"]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|-|403",
        ),
        (
            "§2.3 ports: the targetPort matches",
            ap("port", "{rules: [{to: [{operation: {ports: [\"80\"]}}]}]}"),
            from("foo", httpbin, get.clone()),
            "allow|foo/port|-",
        ),
        (
            "§2.2 a header condition",
            ap("hdr", "{rules: [{when: [{key: \"request.headers[x-token]\", values: [admin]}]}]}"),
            from("foo", httpbin, json!({"headers": {"X-Token": "admin"}})),
            "allow|foo/hdr|-",
        ),
        (
            "§2.2 notValues hold when the header is missing",
            ap("hdr", "{action: DENY, rules: [{when: [{key: \"request.headers[x-token]\", notValues: [admin]}]}]}"),
            from("foo", httpbin, get.clone()),
            "deny|foo/hdr|403",
        ),
        (
            "§2.2 source.namespace condition",
            ap("cond", "{rules: [{when: [{key: source.namespace, values: [foo]}]}]}"),
            from("foo", httpbin, get.clone()),
            "allow|foo/cond|-",
        ),
        (
            "§2.4 TCP: an ALLOW rule with methods is dropped, and the workload denies all",
            ap("tcp", "{selector: {matchLabels: {app: tcp-echo}}, rules: [{to: [{operation: {methods: [GET], ports: [\"9000\"]}}]}]}"),
            from("foo", "tcp://tcp-echo.foo:9000", get.clone()),
            "deny|-|-",
        ),
        (
            "§2.4 TCP: a DENY with methods and ports denies every connection to the port",
            ap("tcp", "{selector: {matchLabels: {app: tcp-echo}}, action: DENY, rules: [{to: [{operation: {methods: [GET], ports: [\"9000\"]}}]}]}"),
            from("foo", "tcp://tcp-echo.foo:9000", get.clone()),
            "deny|foo/tcp|-",
        ),
        (
            "§2.4 TCP: ... and none to another port",
            ap("tcp", "{selector: {matchLabels: {app: tcp-echo}}, action: DENY, rules: [{to: [{operation: {methods: [GET], ports: [\"9000\"]}}]}]}"),
            from("foo", "tcp://tcp-echo.foo:9001", get.clone()),
            "allow|-|-",
        ),
        (
            "§2.4 TCP: ports and principals work on TCP",
            ap("tcp", "{selector: {matchLabels: {app: tcp-echo}}, rules: [{from: [{source: {principals: [cluster.local/ns/foo/sa/sleep]}}], to: [{operation: {ports: [\"9001\"]}}]}]}"),
            from("foo", "tcp://tcp-echo.foo:9001", get.clone()),
            "allow|foo/tcp|-",
        ),
    ];
    table(cases, verdict);
}

const JWT: &str = r#"
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://example.com/jwks.json
    audiences: [httpbin]
  - issuer: header@example.com
    jwksUri: https://example.com/jwks.json
    fromHeaders: [{name: x-jwt, prefix: "Token "}]
"#;

#[test]
fn jwt_rules() {
    use serde_json::json;
    let httpbin = "http://httpbin.foo:8000/ip";
    let claims = json!({"iss": "testing@secure.istio.io", "sub": "alice", "aud": "httpbin"});
    let require = ap("require", "{rules: [{from: [{source: {requestPrincipals: [\"*\"]}}]}]}");
    let cases: Vec<(&str, String, serde_json::Value, &str)> = vec![
        ("§3 no token passes RequestAuthentication", JWT.into(), from("foo", httpbin, json!({})), "allow|-|-"),
        (
            "§3 no token, with requestPrincipals required: 403",
            format!("{JWT}---\n{require}"),
            from("foo", httpbin, json!({})),
            "deny|-|403",
        ),
        (
            "§3 a valid token: its principal matches",
            format!("{JWT}---\n{require}"),
            from("foo", httpbin, json!({"jwt": claims})),
            "allow|foo/require|-",
        ),
        ("§3 a malformed token: 401", JWT.into(), from("foo", httpbin, json!({"jwt": "malformed"})), "deny|-|401"),
        (
            "§3 an issuer no rule accepts: 401",
            JWT.into(),
            from("foo", httpbin, json!({"jwt": {"iss": "other", "sub": "x"}})),
            "deny|-|401",
        ),
        (
            "§3 an audience no rule allows: 403",
            JWT.into(),
            from("foo", httpbin, json!({"jwt": {"iss": "testing@secure.istio.io", "sub": "x", "aud": "other"}})),
            "deny|-|403",
        ),
        (
            "§3 an expired token: 401",
            JWT.into(),
            from(
                "foo",
                httpbin,
                json!({"jwt": {"iss": "testing@secure.istio.io", "sub": "x", "aud": "httpbin", "exp": 1000}}),
            ),
            "deny|-|401",
        ),
        (
            "§3 a token where no rule reads it counts as missing",
            format!("{JWT}---\n{require}"),
            from("foo", httpbin, json!({"jwt": "malformed", "jwt_from": {"param": "token"}})),
            "deny|-|403",
        ),
        (
            "§3 fromHeaders with its prefix",
            format!("{JWT}---\n{require}"),
            from(
                "foo",
                httpbin,
                json!({"jwt": {"iss": "header@example.com", "sub": "bob"}, "jwt_from": {"header": "X-Jwt", "prefix": "Token "}}),
            ),
            "allow|foo/require|-",
        ),
        (
            "§3 the default locations include the access_token parameter",
            JWT.into(),
            from("foo", httpbin, json!({"jwt": "malformed", "jwt_from": {"param": "access_token"}})),
            "deny|-|401",
        ),
        (
            "§3 without a RequestAuthentication the token is not read: requestPrincipals never match",
            require.clone(),
            from("foo", httpbin, json!({"jwt": claims})),
            "deny|-|403",
        ),
        (
            "§2.3 a claim condition, list claims match by element",
            format!(
                "{JWT}---\n{}",
                ap("group", "{rules: [{when: [{key: \"request.auth.claims[groups]\", values: [admins]}]}]}")
            ),
            from(
                "foo",
                httpbin,
                json!({"jwt": {"iss": "testing@secure.istio.io", "sub": "x", "aud": "httpbin", "groups": ["users", "admins"]}}),
            ),
            "allow|foo/group|-",
        ),
    ];
    table(cases, verdict);
}

fn pa(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {spec}\n---\n"
    )
}

fn dr(tls: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: httpbin, namespace: foo}}\nspec: {{host: httpbin.foo.svc.cluster.local, trafficPolicy: {{tls: {{mode: {tls}}}}}}}\n---\n"
    )
}

#[test]
fn mtls_rules() {
    use serde_json::json;
    let httpbin = "http://httpbin.foo:8000/ip";
    // `client|server|ok|status`
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("§1.3 no PeerAuthentication: PERMISSIVE, auto mTLS", String::new(), "foo", "ISTIO_MUTUAL|PERMISSIVE|true|-"),
        (
            "§1.3 mesh STRICT",
            pa("istio-system", "default", "{mtls: {mode: STRICT}}"),
            "foo",
            "ISTIO_MUTUAL|STRICT|true|-",
        ),
        (
            "§4.4 a client without a sidecar to STRICT: reset, no status",
            pa("foo", "default", "{mtls: {mode: STRICT}}"),
            "legacy",
            "DISABLE|STRICT|false|-",
        ),
        (
            "§1.3 the workload level overrides the namespace",
            pa("foo", "default", "{mtls: {mode: STRICT}}")
                + &pa("foo", "httpbin", "{selector: {matchLabels: {app: httpbin}}, mtls: {mode: PERMISSIVE}}"),
            "legacy",
            "DISABLE|PERMISSIVE|true|-",
        ),
        (
            "§1.3 portLevelMtls is keyed by the workload port (80), not the Service port",
            pa("foo", "default", "{mtls: {mode: STRICT}}")
                + &pa(
                    "foo",
                    "httpbin",
                    "{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {\"80\": {mode: DISABLE}}}",
                ),
            "legacy",
            "DISABLE|DISABLE|true|-",
        ),
        (
            "§1.3 portLevelMtls on the Service port does nothing",
            pa("foo", "default", "{mtls: {mode: STRICT}}")
                + &pa(
                    "foo",
                    "httpbin",
                    "{selector: {matchLabels: {app: httpbin}}, portLevelMtls: {\"8000\": {mode: DISABLE}}}",
                ),
            "legacy",
            "DISABLE|STRICT|false|-",
        ),
        (
            "§1.3 a root-namespace PeerAuthentication with a selector is ignored",
            pa("istio-system", "x", "{selector: {matchLabels: {app: httpbin}}, mtls: {mode: STRICT}}"),
            "legacy",
            "DISABLE|PERMISSIVE|true|-",
        ),
        (
            "§4.4 DestinationRule DISABLE against STRICT: 503",
            pa("foo", "default", "{mtls: {mode: STRICT}}") + &dr("DISABLE"),
            "foo",
            "DISABLE|STRICT|false|503",
        ),
        (
            "§4.4 ISTIO_MUTUAL against DISABLE: 503",
            pa("foo", "default", "{mtls: {mode: DISABLE}}") + &dr("ISTIO_MUTUAL"),
            "foo",
            "ISTIO_MUTUAL|DISABLE|false|503",
        ),
        (
            "§4.2 auto mTLS sends plain text to a DISABLE namespace",
            pa("foo", "default", "{mtls: {mode: DISABLE}}"),
            "foo",
            "DISABLE|DISABLE|true|-",
        ),
        (
            "§4.4 SIMPLE to a PERMISSIVE HTTP port: no filter chain takes it",
            dr("SIMPLE"),
            "foo",
            "SIMPLE|PERMISSIVE|false|503",
        ),
    ];
    let cases = cases
        .into_iter()
        .map(|(name, policies, ns, want)| (name, policies, from(ns, httpbin, json!({})), want))
        .collect();
    table(cases, |o| {
        let m = o.mtls.as_ref().expect("an mtls answer");
        format!("{}|{}|{}|{}", m.client, m.server, m.ok, o.status.map_or("-".into(), |s| s.to_string()))
    });
}

#[test]
fn gateway_remote_addresses() {
    let policy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ingress, namespace: istio-system}\nspec:\n  selector: {matchLabels: {istio: ingressgateway}}\n  rules: [{from: [{source: {remoteIpBlocks: [72.9.5.6]}}]}]\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: foo}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [\"*\"]}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: foo}\nspec:\n  hosts: [\"*\"]\n  gateways: [gw]\n  http: [{route: [{destination: {host: httpbin, port: {number: 8000}}}]}]\n";
    let req = serde_json::json!({"from": "gateway", "host": "x.example.com", "source_ip": "98.1.2.3",
        "headers": {"X-Forwarded-For": "56.5.6.7, 72.9.5.6, 98.1.2.3"}});
    // numTrustedProxies 0 (the default): the peer decides, XFF is ignored.
    let o = run(policy, req.clone());
    assert_eq!(verdict(&o), "deny|-|403", "{:?}", o.trace);
    // The network-topologies page: N = 2 and that XFF give 72.9.5.6; a shorter XFF gives the peer.
    let xff = Some("56.5.6.7, 72.9.5.6, 98.1.2.3");
    let peer = Some("10.0.0.1".parse().unwrap());
    assert_eq!(super::gateway_remote(xff, 2, peer), Some("72.9.5.6".parse().unwrap()));
    assert_eq!(super::gateway_remote(xff, 0, peer), peer);
    assert_eq!(super::gateway_remote(Some("1.2.3.4"), 2, peer), peer);
    assert_eq!(super::sidecar_remote(xff, peer), Some("98.1.2.3".parse().unwrap()));
    assert_eq!(super::sidecar_remote(None, peer), peer);
}

#[test]
fn workloads_governed_differently_are_named_each() {
    let v2 = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: httpbin-v2, namespace: foo}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  template:\n    metadata: {labels: {app: httpbin, version: v2}}\n    spec: {serviceAccountName: httpbin, containers: [{name: httpbin, image: httpbin}]}\n---\n";
    let policies = format!("{v2}{}", ap("v1-closed", "{selector: {matchLabels: {version: v1}}}"));
    let o = run(&policies, from("foo", "http://httpbin.foo:8000/ip", serde_json::json!({})));
    let a = o.authz.as_ref().unwrap();
    assert_eq!(a.decision, "mixed");
    let each: Vec<(&str, &str)> = a.workloads.iter().map(|w| (w.workload.as_str(), w.decision)).collect();
    assert_eq!(each, [("foo/httpbin", "deny"), ("foo/httpbin-v2", "allow")]);
    // No status: which pod answers is the load balancer's choice.
    assert_eq!(o.status, None);
}

#[test]
fn the_mesh_config_trust_domain_and_its_aliases() {
    let mut options = LintOptions::default();
    options.mesh.trust_domain = "new-td".into();
    options.mesh.trust_domain_aliases = vec!["old-td".into()];
    let policy = ap("sleep", "{rules: [{from: [{source: {principals: [old-td/ns/foo/sa/sleep]}}]}]}");
    let o = run_with(&policy, from("foo", "http://httpbin.foo:8000/ip", serde_json::json!({})), &options);
    assert_eq!(verdict(&o), "allow|foo/sleep|-");
    let other = ap("sleep", "{rules: [{from: [{source: {principals: [other-td/ns/foo/sa/sleep]}}]}]}");
    let o = run_with(&other, from("foo", "http://httpbin.foo:8000/ip", serde_json::json!({})), &options);
    assert_eq!(verdict(&o), "deny|-|403");
    // Auto mTLS off, no DestinationRule TLS: plain text, so no principal.
    options.mesh.enable_auto_mtls = false;
    let o = run_with(&policy, from("foo", "http://httpbin.foo:8000/ip", serde_json::json!({})), &options);
    assert_eq!((verdict(&o).as_str(), o.mtls.as_ref().unwrap().client), ("deny|-|403", "DISABLE"));
}
