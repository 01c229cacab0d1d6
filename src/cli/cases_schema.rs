//! The format of `meshctl test --cases` files, described for their JSON Schema
//! (`schemas/meshctl/meshctl-test-cases.json`, which editors complete them with). `test.rs` reads
//! the files by hand, to place each error at its line; these types only describe them, and the
//! field lists below are the ones both use, so the two cannot drift apart.

use crate::routing::Request;
use schemars::JsonSchema;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The fields of a meshctl test case ([`Case`]).
pub(super) const CASE: &[&str] = &["name", "request", "expect"];
/// The fields of an istio-config-validator test case ([`ValidatorCase`]).
pub(super) const VALIDATOR_CASE: &[&str] =
    &["description", "request", "route", "redirect", "rewrite", "fault", "headers", "delegate", "wantMatch"];
/// The fields of an istio-config-validator request ([`ValidatorRequest`]).
pub(super) const VALIDATOR_REQUEST: &[&str] = &["authority", "method", "uri", "headers"];

/// A `meshctl test --cases` file (each of its YAML documents): meshctl's `tests:`, or
/// istio-config-validator's `testCases:`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[schemars(title = "meshctl test cases")]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
pub(crate) enum CasesFile {
    /// meshctl's format.
    Meshctl {
        /// The cases, run in order.
        tests: Vec<Case>,
    },
    /// istio-config-validator's format.
    Validator {
        /// The validator's cases, each unfolded into one meshctl case per `uri` × `authority` ×
        /// `method`.
        #[serde(rename = "testCases")]
        test_cases: Vec<ValidatorCase>,
    },
}

/// One case: a request, and what `meshctl simulate -o json` answers to it.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
pub(crate) struct Case {
    /// The case's name in the report; `case N` when absent.
    name: Option<String>,
    request: CaseRequest,
    /// Any subset of `meshctl simulate -o json`'s answer: an object holds when every key given
    /// holds, a list when it has as many items and each holds; `destination` (one object) holds
    /// when any of `destinations` does. `trace` makes the case build the explanation.
    expect: Map<String, Value>,
}

/// A request as `meshctl simulate --request` reads it, plus `url`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct CaseRequest {
    #[serde(flatten)]
    request: Request,
    /// A shorthand: `http://host[:port]/path?query` or `https://…` sets scheme, host, port and
    /// path; `tcp://host:port` or `tls://sni-host:port` a connection of that protocol. It must agree
    /// with the fields given.
    url: Option<String>,
}

/// An istio-config-validator test case.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
pub(crate) struct ValidatorCase {
    /// The case's name; each combination is named `description [METHOD authority uri]`.
    description: Option<String>,
    request: ValidatorRequest,
    /// The destinations the request is routed to, exactly and in order.
    route: Option<Vec<RouteDestination>>,
    /// The redirect answered.
    redirect: Option<Redirect>,
    /// The rewritten request.
    rewrite: Option<Rewrite>,
    /// The fault injected.
    fault: Option<Fault>,
    /// The header operations of the rule that answered, as istiod merged it with its delegate.
    headers: Option<Headers>,
    /// The delegate VirtualService that answered.
    delegate: Option<Delegate>,
    /// Each given field is judged on its own, as the validator does. `true`: the case passes when
    /// every one holds; `false`: when none does.
    #[serde(rename = "wantMatch", default)]
    want_match: bool,
}

/// The requests of a validator case: every `uri` × `authority` × `method`, with `headers`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct ValidatorRequest {
    /// Host headers (`reviews:9080` carries the port).
    #[schemars(length(min = 1))]
    authority: Vec<String>,
    /// HTTP methods.
    #[schemars(length(min = 1))]
    method: Vec<String>,
    /// Paths, with optional query strings.
    #[schemars(length(min = 1))]
    uri: Vec<String>,
    /// Headers sent with every request.
    headers: Option<BTreeMap<String, String>>,
}

/// One expected destination (Istio's `HTTPRouteDestination`; meshctl compares these fields).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct RouteDestination {
    destination: Destination,
    /// Compared when the request has several destinations.
    weight: Option<u32>,
    /// The destination's own header operations in the rule that answered.
    headers: Option<Headers>,
}

/// Header operations (Istio's `Headers`); absent and empty are the same.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Headers {
    request: Option<HeaderOperations>,
    response: Option<HeaderOperations>,
}

/// Istio's `Headers.HeaderOperations`.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct HeaderOperations {
    set: Option<BTreeMap<String, String>>,
    add: Option<BTreeMap<String, String>>,
    /// In order.
    remove: Option<Vec<String>>,
}

/// A destination (Istio's `Destination`).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Destination {
    /// The host as written, or its FQDN.
    host: String,
    subset: Option<String>,
    port: Option<PortSelector>,
}

/// A port (Istio's `PortSelector`).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct PortSelector {
    number: u32,
}

/// An expected redirect (Istio's `HTTPRedirect`; meshctl compares these fields).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Redirect {
    uri: Option<String>,
    authority: Option<String>,
    #[serde(rename = "redirectCode")]
    redirect_code: Option<u32>,
}

/// An expected rewrite (Istio's `HTTPRewrite`; meshctl compares these fields).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Rewrite {
    /// A prefix of the rewritten path.
    uri: Option<String>,
    authority: Option<String>,
}

/// An expected fault (Istio's `HTTPFaultInjection`; meshctl compares the abort status, the fixed
/// delay and their percentages).
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Fault {
    abort: Option<Abort>,
    delay: Option<Delay>,
}

#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Abort {
    #[serde(rename = "httpStatus")]
    http_status: u32,
    percentage: Option<Percent>,
}

/// Istio's `Percent`.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Percent {
    value: f64,
}

#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Delay {
    /// A duration (`5s`).
    #[serde(rename = "fixedDelay")]
    fixed_delay: String,
    percentage: Option<Percent>,
    /// The deprecated integer percentage.
    percent: Option<u32>,
}

/// The delegate expected to answer.
#[derive(JsonSchema)]
#[expect(dead_code, reason = "only described, for the schema: test.rs reads the files")]
struct Delegate {
    name: String,
    /// Any namespace when absent.
    namespace: Option<String>,
}
