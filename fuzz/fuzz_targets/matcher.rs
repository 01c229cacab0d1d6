//! The routing matcher (`meshctl::routing::matcher`) on structured input: an Istio
//! `HTTPMatchRequest` translated as istiod translates it, checked against a request; virtual-host
//! domain selection; path normalisation. Never panics, and a few laws hold.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meshctl::model::networking::{HTTPMatchRequest, StringMatch};
use meshctl::routing::RouteMatch;
use meshctl::routing::matcher::{DomainIndex, StrMatch, full_match, normalize_path, split_query, strip_port};
use std::collections::BTreeMap;

#[derive(Debug, Arbitrary)]
enum Sm {
    Exact(String),
    Prefix(String),
    Regex(String),
    /// `{}`: a presence check.
    Empty,
}

impl Sm {
    fn istio(self) -> StringMatch {
        match self {
            Sm::Exact(v) => StringMatch { exact: Some(v), ..Default::default() },
            Sm::Prefix(v) => StringMatch { prefix: Some(v), ..Default::default() },
            Sm::Regex(v) => StringMatch { regex: Some(v), ..Default::default() },
            Sm::Empty => StringMatch::default(),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    uri: Option<Sm>,
    scheme: Option<Sm>,
    method: Option<Sm>,
    authority: Option<Sm>,
    headers: Option<Vec<(String, Sm)>>,
    without_headers: Option<Vec<(String, Sm)>>,
    query_params: Option<Vec<(String, Sm)>>,
    ignore_uri_case: Option<bool>,
    path: String,
    request_headers: Vec<(String, String)>,
    host: String,
    domains: Vec<Vec<String>>,
}

fn map(v: Option<Vec<(String, Sm)>>) -> Option<BTreeMap<String, StringMatch>> {
    v.map(|v| v.into_iter().map(|(k, m)| (k, m.istio())).collect())
}

fuzz_target!(|input: Input| {
    let m = HTTPMatchRequest {
        uri: input.uri.map(Sm::istio),
        scheme: input.scheme.map(Sm::istio),
        method: input.method.map(Sm::istio),
        authority: input.authority.map(Sm::istio),
        headers: map(input.headers),
        without_headers: map(input.without_headers),
        query_params: map(input.query_params),
        ignore_uri_case: input.ignore_uri_case,
        ..Default::default()
    };
    let route = RouteMatch::from_istio(&m);
    route.is_catch_all();
    route.path.kind.to_string();
    for h in &route.headers {
        h.to_string();
    }

    let normalized = normalize_path(&input.path);
    assert!(normalized.starts_with('/'), "{normalized:?}");
    assert_eq!(normalize_path(&normalized), normalized, "normalising twice changes {:?}", input.path);
    let (path, query) = split_query(&input.path);
    let result = route.check(path, &query, &input.request_headers);
    // Deciding without explaining is the same decision.
    assert_eq!(route.matches(path, &query, &input.request_headers), result.is_ok(), "check says {result:?}");
    if route.is_catch_all() && path.starts_with('/') {
        assert!(result.is_ok(), "a catch-all route rejects {path:?}: {result:?}");
    }

    // A string matcher matches the value it was written for.
    for (kind, v) in [
        (StrMatch::Exact(input.path.clone()), input.path.clone()),
        (StrMatch::Prefix(input.host.clone()), format!("{}{}", input.host, input.path)),
    ] {
        assert!(kind.matches(&v, true), "{kind} does not match {v:?}");
        assert!(kind.matches(&v.to_ascii_uppercase(), false), "{kind} does not match {v:?} ignoring case");
    }
    // A regex RE2 rejects matches nothing, whatever it is wrapped in.
    if regex::Regex::new(&input.path).is_err() {
        assert!(!full_match(&input.path, &input.host), "invalid regex {:?} matched {:?}", input.path, input.host);
    }

    let stripped = strip_port(&input.host);
    assert!(input.host.starts_with(stripped));
    let index = DomainIndex::new(input.domains.iter().map(Vec::as_slice));
    if let Some((i, k, _)) = index.select(&input.host) {
        assert!(k < input.domains[i].len());
    }
});
