//! `meshctl simulate`'s request parser (URL, `-X`, `--gateway`, `--from`, `-H`, the `--request`
//! file) on arbitrary input, and the parsed request through the routing engine over the bookinfo
//! mesh of `testdata/`. Never panics.
//!
//! The input is NUL-separated text fields, so that seeds are readable and easy to write:
//! `URL \0 METHOD \0 GATEWAY \0 FROM \0 REQUEST-FILE \0 HEADER \0 HEADER …`; an empty field is
//! an option not given.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshctl::cli::{SimulateArgs, simulate_human, simulate_request};
use meshctl::lint::{Context, Inputs, LintOptions};
use meshctl::routing::Simulator;
use meshctl::source::Sources;

/// Security policies over bookinfo, so that every request also goes through the authorization
/// engine: JWT at the gateway, STRICT mTLS, ALLOW and DENY rules with every matcher kind.
const SECURITY: &str = r#"
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules: [{issuer: testing@secure.istio.io, jwksUri: https://example.com/jwks, audiences: [bookinfo], fromHeaders: [{name: x-jwt, prefix: "Bearer "}]}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/*"], notIpBlocks: [10.0.0.0/8], remoteIpBlocks: [0.0.0.0/0]}}]
    to: [{operation: {methods: [GET], paths: ["/reviews/{*}", "/health{**}"], hosts: ["reviews:*"]}}]
    when: [{key: "request.headers[end-user]", notValues: ["blocked*"]}, {key: "request.auth.claims[groups]", values: [admins]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: istio-system}
spec:
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
"#;

const MESH: [(&str, &str); 7] = [
    ("security.yaml", SECURITY),
    ("services.yaml", include_str!("../../testdata/bookinfo/services.yaml")),
    ("destination-rules.yaml", include_str!("../../testdata/bookinfo/destination-rules.yaml")),
    ("routing.yaml", include_str!("../../testdata/bookinfo/routing.yaml")),
    ("gateway.yaml", include_str!("../../testdata/bookinfo/gateway.yaml")),
    ("egress.yaml", include_str!("../../testdata/bookinfo/egress.yaml")),
    ("platform.yaml", include_str!("../../testdata/bookinfo/platform.yaml")),
];

thread_local! {
    /// The mesh, parsed once per process (the fuzzer calls the target on one thread).
    static CX: &'static Context<'static> = {
        let mut sources = Sources::default();
        for (name, text) in MESH {
            sources.add(name.into(), text.into());
        }
        let inputs: &'static Inputs = Box::leak(Box::new(Inputs::parse(sources)));
        let options: &'static LintOptions = Box::leak(Box::new(LintOptions::default()));
        Box::leak(Box::new(inputs.context(options)))
    };
}

fn field(f: Option<&str>) -> Option<String> {
    f.filter(|s| !s.is_empty()).map(str::to_string)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let url = field(fields.next());
    let method = field(fields.next());
    let gateway = field(fields.next());
    let from = field(fields.next());
    let file = field(fields.next());
    let args = SimulateArgs {
        args: Vec::new(),
        request: None,
        gateway,
        from,
        method,
        headers: fields.map(str::to_string).collect(),
        address: None,
        sni: None,
        source_ip: None,
        jwt_claims: None,
        format: meshctl::cli::SimFormat::Json,
        namespace: "default".into(),
        mesh_config: None,
        istiod_env: Vec::new(),
    };
    let Ok(req) = simulate_request(&args, file.as_deref().map(|t| ("request.yaml", t)), url.as_deref()) else {
        return;
    };
    CX.with(|cx| {
        let outcome = Simulator::new(cx).run(&req);
        simulate_human(&req, &outcome);
        serde_json::to_string(&outcome).expect("an outcome serialises");
        serde_json::to_string(&req).expect("a request serialises");
    });
});
