//! Envoy's matchers: virtual-host domains, route path/header/query matchers, built from an Istio
//! `HTTPMatchRequest` as istiod translates it (`route.go` `TranslateRouteMatch`).

use crate::model::networking::{HTTPMatchRequest, StringMatch};
use foldhash::HashMap;
use regex::Regex;

/// A string matcher: exact, prefix or RE2 full match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrMatch {
    Exact(String),
    Prefix(String),
    /// Envoy's `path_separated_prefix`, which istiod emits for a Gateway API `PathPrefix`
    /// (`route/route.go:1098-1104`): the path itself, or the path followed by `/` and more.
    Segments(String),
    Regex(Re),
}

/// An RE2 expression compiled once for full matches (Envoy's `safe_regex`); `None` when it does
/// not compile (or exceeds the size limit), and then it matches nothing.
#[derive(Debug, Clone)]
pub struct Re {
    pub source: String,
    compiled: Option<Regex>,
}

impl Re {
    pub fn new(source: &str) -> Re {
        // `source` must be valid on its own: `a)|(b` is not, though `^(?:a)|(b)$` would be.
        let valid = Regex::new(source).is_ok();
        let compiled = valid
            .then(|| regex::RegexBuilder::new(&format!("^(?:{source})$")).size_limit(1 << 20).build().ok())
            .flatten();
        Re { source: source.to_string(), compiled }
    }

    /// Full match of `value`.
    pub fn is_match(&self, value: &str) -> bool {
        self.compiled.as_ref().is_some_and(|r| r.is_match(value))
    }
}

impl PartialEq for Re {
    fn eq(&self, other: &Re) -> bool {
        self.source == other.source
    }
}

impl Eq for Re {}

impl std::ops::Deref for Re {
    type Target = str;
    fn deref(&self) -> &str {
        &self.source
    }
}

impl StrMatch {
    /// The Istio `StringMatch` as Envoy gets it; `None` for an empty one (or `regex: "*"`), which
    /// istiod turns into a presence check.
    pub fn from_istio(m: &StringMatch) -> Option<StrMatch> {
        if let Some(e) = &m.exact {
            Some(StrMatch::Exact(e.clone()))
        } else if let Some(p) = &m.prefix {
            Some(StrMatch::Prefix(p.clone()))
        } else {
            m.regex.as_ref().filter(|r| r.as_str() != "*").map(|r| StrMatch::Regex(Re::new(r)))
        }
    }

    pub fn matches(&self, value: &str, case_sensitive: bool) -> bool {
        match self {
            StrMatch::Exact(e) if case_sensitive => value == e,
            StrMatch::Exact(e) => value.eq_ignore_ascii_case(e),
            StrMatch::Prefix(p) if case_sensitive => value.starts_with(p.as_str()),
            StrMatch::Prefix(p) => {
                value.len() >= p.len() && value.is_char_boundary(p.len()) && value[..p.len()].eq_ignore_ascii_case(p)
            }
            StrMatch::Segments(p) => {
                let head = if case_sensitive {
                    value.starts_with(p.as_str())
                } else {
                    value.len() >= p.len()
                        && value.is_char_boundary(p.len())
                        && value[..p.len()].eq_ignore_ascii_case(p)
                };
                head && (value.len() == p.len() || value.as_bytes()[p.len()] == b'/')
            }
            StrMatch::Regex(r) => r.is_match(value),
        }
    }
}

impl std::fmt::Display for StrMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StrMatch::Exact(v) => write!(f, "exact {}", shown(v)),
            StrMatch::Prefix(v) => write!(f, "prefix {}", shown(v)),
            StrMatch::Segments(v) => write!(f, "path prefix {} (whole segments)", shown(v)),
            StrMatch::Regex(v) => match regex_error(&v.source) {
                Some(e) => write!(f, "regex {} (not valid RE2: {e}; it matches nothing)", shown(&v.source)),
                None => write!(f, "regex {}", shown(&v.source)),
            },
        }
    }
}

/// `value` quoted for a message; a long one (a header of a megabyte) cut to its first characters
/// and its length, so that a trace line stays a line.
pub fn shown(value: &str) -> String {
    const MAX: usize = 80;
    if value.len() <= MAX {
        return format!("{value:?}");
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", &value[..end], value.len())
}

/// Why Envoy would refuse `re` (RE2 syntax, as the `regex` crate reads it), or `None`.
pub fn regex_error(re: &str) -> Option<String> {
    let e = Regex::new(re).err()?;
    Some(match e {
        regex::Error::Syntax(s) => s.lines().last().unwrap_or_default().trim_start_matches("error: ").to_string(),
        regex::Error::CompiledTooBig(limit) => format!("it compiles to more than {limit} bytes"),
        other => other.to_string(),
    })
}

/// RE2 full match (Envoy's `safe_regex`) of one value, compiling `re` for this call (route
/// matchers hold a compiled [`Re`]); an invalid expression matches nothing.
pub fn full_match(re: &str, value: &str) -> bool {
    Re::new(re).is_match(value)
}

/// The pseudo-header prefix of a route match on a verified JWT claim.
pub const CLAIM_PREFIX: &str = "@request.auth.claims";

/// A header matcher (pseudo-headers `:method`, `:authority`, `:scheme` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMatcher {
    /// Lower-cased name.
    pub name: String,
    /// `None`: presence.
    pub value: Option<StrMatch>,
    /// `withoutHeaders`: the result is inverted; an absent header counts as `""` when a value is
    /// given.
    pub invert: bool,
}

impl HeaderMatcher {
    pub fn matches(&self, headers: &[(String, String)]) -> bool {
        let values: Vec<&str> =
            headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(&self.name)).map(|(_, v)| v.as_str()).collect();
        // A JWT claim (`@request.auth.claims.groups`) is matched by each of its values, as istiod's
        // metadata matcher does with a list claim.
        if self.name.starts_with(CLAIM_PREFIX) {
            let hit = match &self.value {
                None => values.iter().any(|v| !v.is_empty()),
                Some(m) => values.iter().any(|v| m.matches(v, true)),
            };
            return hit != self.invert;
        }
        let joined = (!values.is_empty()).then(|| values.join(","));
        let hit = match (&self.value, joined) {
            (None, v) => v.is_some(),
            (Some(m), Some(v)) => m.matches(&v, true),
            (Some(m), None) if self.invert => m.matches("", true),
            (Some(_), None) => false,
        };
        hit != self.invert
    }
}

impl std::fmt::Display for HeaderMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let not = if self.invert { "not " } else { "" };
        match &self.value {
            Some(v) => write!(f, "header {} {not}{v}", self.name),
            None if self.invert => write!(f, "header {} absent", self.name),
            None => write!(f, "header {} present", self.name),
        }
    }
}

/// A query parameter matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryMatcher {
    pub name: String,
    /// `None`: presence.
    pub value: Option<StrMatch>,
}

/// The path part of a route match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMatch {
    pub kind: StrMatch,
    /// `ignoreUriCase` (no effect on regex).
    pub case_sensitive: bool,
}

/// One Envoy route's match: path AND every header AND every query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub path: PathMatch,
    pub headers: Vec<HeaderMatcher>,
    pub query: Vec<QueryMatcher>,
}

/// Why a request does not match a route.
pub type Miss = String;

impl RouteMatch {
    /// Prefix `/`: what istiod emits for a rule without `match`.
    pub fn catch_all() -> RouteMatch {
        RouteMatch {
            path: PathMatch { kind: StrMatch::Prefix("/".into()), case_sensitive: true },
            headers: Vec::new(),
            query: Vec::new(),
        }
    }

    /// istiod's translation of one `HTTPMatchRequest` (the compile-time fields `port`,
    /// `sourceLabels`, `sourceNamespace`, `gateways` are not part of it).
    /// The match under istiod's gateway semantics (a VirtualService translated from Gateway
    /// API): a path prefix other than `/` matches whole segments.
    pub fn with_gateway_semantics(mut self) -> RouteMatch {
        if let StrMatch::Prefix(p) = &self.path.kind
            && p != "/"
        {
            self.path.kind = StrMatch::Segments(p.trim_end_matches('/').to_string());
        }
        self
    }

    pub fn from_istio(m: &HTTPMatchRequest) -> RouteMatch {
        let case_sensitive = !m.ignore_uri_case.unwrap_or(false);
        let path = match m.uri.as_ref().and_then(StrMatch::from_istio) {
            Some(kind) => PathMatch { kind, case_sensitive },
            None => PathMatch { kind: StrMatch::Prefix("/".into()), case_sensitive: true },
        };
        let mut headers = Vec::new();
        for (name, sm) in [(":scheme", &m.scheme), (":method", &m.method), (":authority", &m.authority)] {
            if let Some(sm) = sm {
                headers.push(HeaderMatcher { name: name.into(), value: StrMatch::from_istio(sm), invert: false });
            }
        }
        for (k, v) in m.headers.iter().flatten() {
            if matches!(k.to_ascii_lowercase().as_str(), "uri" | "scheme" | "method" | "authority") {
                continue;
            }
            headers.push(HeaderMatcher { name: k.to_ascii_lowercase(), value: StrMatch::from_istio(v), invert: false });
        }
        for (k, v) in m.without_headers.iter().flatten() {
            headers.push(HeaderMatcher { name: k.to_ascii_lowercase(), value: StrMatch::from_istio(v), invert: true });
        }
        let query = m
            .query_params
            .iter()
            .flatten()
            .map(|(k, v)| QueryMatcher { name: k.clone(), value: StrMatch::from_istio(v) })
            .collect();
        RouteMatch { path, headers, query }
    }

    /// istiod's `IsCatchAllRoute`: path prefix `/` (or regex `.*`) and nothing else.
    pub fn is_catch_all(&self) -> bool {
        let path_all = match &self.path.kind {
            StrMatch::Prefix(p) => p == "/",
            StrMatch::Segments(_) => false,
            StrMatch::Regex(r) => r.source == ".*",
            StrMatch::Exact(_) => false,
        };
        path_all && self.headers.is_empty() && self.query.is_empty()
    }

    /// Envoy's route match: `Ok` or the first condition that fails, explained.
    pub fn check(&self, path: &str, query: &[(String, String)], headers: &[(String, String)]) -> Result<(), Miss> {
        match self.first_miss(path, query, headers) {
            None => Ok(()),
            Some(FirstMiss::Path) => Err(format!("path {} does not match uri {}", shown(path), self.path.kind)),
            Some(FirstMiss::Header(h)) => {
                let got: Vec<&str> =
                    headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(&h.name)).map(|(_, v)| v.as_str()).collect();
                Err(if got.is_empty() {
                    format!("requires {h}; the request has no {} header", h.name)
                } else {
                    format!("requires {h}; the request's {} is {}", h.name, shown(&got.join(",")))
                })
            }
            Some(FirstMiss::Query(q, got)) => {
                let want = q.value.as_ref().map_or("present".to_string(), |v| v.to_string());
                Err(match got {
                    None => {
                        format!("requires query parameter {} {want}; the request has no {} parameter", q.name, q.name)
                    }
                    Some(v) => {
                        format!("requires query parameter {} {want}; the request's {} is {}", q.name, q.name, shown(v))
                    }
                })
            }
        }
    }

    /// Envoy's route match, without saying why not: the same decision as [`RouteMatch::check`].
    pub fn matches(&self, path: &str, query: &[(String, String)], headers: &[(String, String)]) -> bool {
        self.first_miss(path, query, headers).is_none()
    }

    /// The first condition that fails, in Envoy's order: path, headers, query parameters.
    fn first_miss<'m, 'q>(
        &'m self,
        path: &str,
        query: &'q [(String, String)],
        headers: &[(String, String)],
    ) -> Option<FirstMiss<'m, 'q>> {
        if !self.path.kind.matches(path, self.path.case_sensitive || matches!(self.path.kind, StrMatch::Regex(_))) {
            return Some(FirstMiss::Path);
        }
        if let Some(h) = self.headers.iter().find(|h| !h.matches(headers)) {
            return Some(FirstMiss::Header(h));
        }
        for q in &self.query {
            let got = query.iter().find(|(k, _)| *k == q.name).map(|(_, v)| v.as_str());
            let ok = match (&q.value, got) {
                (None, g) => g.is_some(),
                (Some(m), Some(v)) => m.matches(v, true),
                (Some(_), None) => false,
            };
            if !ok {
                return Some(FirstMiss::Query(q, got));
            }
        }
        None
    }
}

/// Which condition of a route match failed first.
enum FirstMiss<'m, 'q> {
    Path,
    Header(&'m HeaderMatcher),
    /// The parameter, and the request's value of it.
    Query(&'m QueryMatcher, Option<&'q str>),
}

/// How a virtual host's domain matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainMatch {
    Exact,
    Suffix,
    Prefix,
    Any,
}

/// Envoy's virtual-host selection over one route configuration, indexed once: exact domains in
/// a hash map, suffix and prefix wildcards longest first, then `*`.
#[derive(Debug, Clone, Default)]
pub struct DomainIndex {
    exact: HashMap<String, (usize, usize)>,
    /// (suffix after `*`, virtual host, domain), longest suffix first.
    suffix: Vec<(String, usize, usize)>,
    /// (prefix before `*`, virtual host, domain), longest prefix first.
    prefix: Vec<(String, usize, usize)>,
    any: Option<(usize, usize)>,
}

impl DomainIndex {
    /// Index the domain lists of a route configuration's virtual hosts (the first virtual host
    /// to list a domain keeps it).
    pub fn new<'d>(domain_lists: impl Iterator<Item = &'d [String]>) -> DomainIndex {
        let mut ix = DomainIndex::default();
        for (v, domains) in domain_lists.enumerate() {
            for (k, d) in domains.iter().enumerate() {
                let d = d.to_ascii_lowercase();
                if d == "*" {
                    ix.any.get_or_insert((v, k));
                } else if let Some(suffix) = d.strip_prefix('*') {
                    ix.suffix.push((suffix.to_string(), v, k));
                } else if let Some(prefix) = d.strip_suffix('*') {
                    ix.prefix.push((prefix.to_string(), v, k));
                } else {
                    ix.exact.entry(d).or_insert((v, k));
                }
            }
        }
        ix.suffix.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        ix.prefix.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        ix
    }

    /// The Host lower-cased with its port stripped: exact domains, then the longest suffix
    /// wildcard, then the longest prefix wildcard, then `*`. Returns (virtual host, domain) and how.
    pub fn select(&self, host: &str) -> Option<(usize, usize, DomainMatch)> {
        let lower;
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = host.to_ascii_lowercase();
            strip_port(&lower)
        } else {
            strip_port(host)
        };
        if let Some(&(v, k)) = self.exact.get(host) {
            return Some((v, k, DomainMatch::Exact));
        }
        if let Some((_, v, k)) = self.suffix.iter().find(|(s, _, _)| host.len() > s.len() && host.ends_with(s.as_str()))
        {
            return Some((*v, *k, DomainMatch::Suffix));
        }
        if let Some((_, v, k)) =
            self.prefix.iter().find(|(p, _, _)| host.len() > p.len() && host.starts_with(p.as_str()))
        {
            return Some((*v, *k, DomainMatch::Prefix));
        }
        self.any.map(|(v, k)| (v, k, DomainMatch::Any))
    }
}

/// `host:port` → `host` (IPv6 `[::1]:80` aware).
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

/// RFC 3986 dot-segment removal and duplicate-slash merging, as Envoy's `normalize_path`.
pub fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut p = format!("/{}", out.join("/"));
    if trailing && p != "/" {
        p.push('/');
    }
    p
}

/// Split `path?query` into the path and the query parameters (raw, not decoded).
pub fn split_query(path: &str) -> (&str, Vec<(String, String)>) {
    match path.split_once('?') {
        Some((p, q)) => {
            let params = q
                .split('&')
                .filter(|s| !s.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .collect();
            (p, params)
        }
        None => (path, Vec::new()),
    }
}
