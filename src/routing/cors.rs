//! Envoy's CORS filter on the policy of the route that matched (`corsPolicy` of a VirtualService
//! rule, or an HTTPRoute's `CORS` filter translated): `source/extensions/filters/http/cors/
//! cors_filter.cc`, with the policy as istiod writes it (`pilot/pkg/networking/core/route/
//! route.go` TranslateCORSPolicy). Istio puts the policy on the route only and enables it fully.
//!
//! - A request is CORS when it has a non-empty `Origin`. The origin is allowed when an
//!   `allowOrigins` match (case-sensitive; a regex matches the whole value) takes it, or takes
//!   the literal `*`.
//! - A preflight is `OPTIONS` with a non-empty `Access-Control-Request-Method`. Envoy answers it
//!   itself with 200, unless the origin is not allowed and unmatched preflights are forwarded
//!   (`unmatchedPreflights` unset or `FORWARD`; an HTTPRoute's are `IGNORE`). The reply carries
//!   the origin (when allowed), credentials, methods and headers (the request's own where the
//!   policy says `*`) and max-age; these last four whether or not the origin is allowed. The
//!   reply then passes the filter's response side too.
//! - On the response side, an allowed origin gets `access-control-allow-origin` (the origin
//!   itself, never `*`), credentials and the expose-headers. Requested methods and headers are
//!   never checked against the policy: the browser does that.

use std::collections::BTreeMap;

use super::HeaderOps;
use super::matcher::StrMatch;
use crate::model::networking::{CorsPolicy, UnmatchedPreflights};

/// What the CORS filter does with one request.
#[derive(Debug, Default)]
pub(super) struct Cors {
    /// Envoy answers the preflight itself (200).
    pub reply: bool,
    /// Response headers the filter sets.
    pub headers: HeaderOps,
    /// Why, for the trace.
    pub note: String,
}

fn header<'h>(headers: &'h BTreeMap<String, String>, name: &str) -> Option<&'h str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// Whether the policy allows `origin` (`cors_filter.cc` isOriginAllowed).
fn allowed(policy: &CorsPolicy, origin: &str) -> bool {
    let matchers = policy
        .allow_origins
        .iter()
        .flatten()
        .filter_map(StrMatch::from_istio)
        .chain(policy.allow_origin.iter().flatten().map(|o| StrMatch::Exact(o.clone())));
    matchers.into_iter().any(|m| m.matches("*", true) || m.matches(origin, true))
}

/// The filter's decision for a request the route with `policy` matched; `None` when the request
/// is not a CORS request (no `Origin`).
pub(super) fn evaluate(policy: &CorsPolicy, method: &str, headers: &BTreeMap<String, String>) -> Option<Cors> {
    let origin = header(headers, "origin")?;
    let ok = allowed(policy, origin);
    let request_method = header(headers, "access-control-request-method");
    let preflight = method == "OPTIONS" && request_method.is_some();
    let mut out = Cors::default();
    let encode = |out: &mut Cors| {
        if !ok {
            return;
        }
        out.headers.set.insert("access-control-allow-origin".into(), origin.to_string());
        if policy.allow_credentials == Some(true) {
            out.headers.set.insert("access-control-allow-credentials".into(), "true".into());
        }
        let expose = policy.expose_headers.as_deref().unwrap_or_default().join(",");
        if !expose.is_empty() {
            out.headers.set.insert("access-control-expose-headers".into(), expose);
        }
    };
    if !preflight {
        encode(&mut out);
        out.note = if ok {
            format!("CORS: origin {origin:?} is allowed; the response carries access-control-allow-origin")
        } else {
            format!("CORS: origin {origin:?} is not allowed; the response carries no CORS headers")
        };
        return Some(out);
    }
    let forward = !matches!(policy.unmatched_preflights, Some(UnmatchedPreflights::Ignore));
    if !ok && forward {
        out.note = format!("CORS: the preflight's origin {origin:?} is not allowed; it is forwarded upstream");
        return Some(out);
    }
    out.reply = true;
    if ok {
        out.headers.set.insert("access-control-allow-origin".into(), origin.to_string());
    }
    if policy.allow_credentials == Some(true) {
        out.headers.set.insert("access-control-allow-credentials".into(), "true".into());
    }
    let echo = |list: Option<&Vec<String>>, requested: Option<&str>| -> Option<String> {
        let joined = list.map(|l| l.join(",")).unwrap_or_default();
        let value = if joined == "*" { requested.unwrap_or_default().to_string() } else { joined };
        (!value.is_empty()).then_some(value)
    };
    if let Some(m) = echo(policy.allow_methods.as_ref(), request_method) {
        out.headers.set.insert("access-control-allow-methods".into(), m);
    }
    if let Some(h) = echo(policy.allow_headers.as_ref(), header(headers, "access-control-request-headers")) {
        out.headers.set.insert("access-control-allow-headers".into(), h);
    }
    if let Some(secs) = policy
        .max_age
        .as_ref()
        .and_then(|d| crate::schema::cel::time::parse_duration(&d.0).ok())
        .map(|nanos| nanos / 1_000_000_000)
    {
        out.headers.set.insert("access-control-max-age".into(), secs.to_string());
    }
    encode(&mut out);
    out.note = if ok {
        format!("CORS: Envoy answers the preflight from allowed origin {origin:?} itself (200)")
    } else {
        format!(
            "CORS: the preflight's origin {origin:?} is not allowed and unmatched preflights are not forwarded: Envoy answers 200 without access-control-allow-origin"
        )
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::networking::StringMatch;

    fn policy() -> CorsPolicy {
        CorsPolicy {
            allow_origins: Some(vec![
                StringMatch { exact: Some("https://www.foo.com".into()), ..Default::default() },
                StringMatch { regex: Some(r"^https://.*\.bar\.com$".into()), ..Default::default() },
            ]),
            allow_methods: Some(vec!["GET".into(), "OPTIONS".into()]),
            allow_headers: Some(vec!["x-header-1".into(), "x-header-2".into()]),
            expose_headers: Some(vec!["x-header-3".into(), "x-header-4".into()]),
            max_age: Some(crate::model::networking::Duration("3600s".into())),
            allow_credentials: Some(true),
            ..Default::default()
        }
    }

    fn headers(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn an_allowed_preflight_is_answered_with_every_header() {
        let h = headers(&[("Origin", "https://xpto.www.bar.com"), ("access-control-request-method", "GET")]);
        let c = evaluate(&policy(), "OPTIONS", &h).unwrap();
        assert!(c.reply);
        let set: Vec<(&str, &str)> = c.headers.set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            set,
            [
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-headers", "x-header-1,x-header-2"),
                ("access-control-allow-methods", "GET,OPTIONS"),
                ("access-control-allow-origin", "https://xpto.www.bar.com"),
                ("access-control-expose-headers", "x-header-3,x-header-4"),
                ("access-control-max-age", "3600"),
            ]
        );
    }

    #[test]
    fn an_unmatched_preflight_is_forwarded_unless_ignored() {
        let h = headers(&[("origin", "https://foobar.com"), ("access-control-request-method", "GET")]);
        let c = evaluate(&policy(), "OPTIONS", &h).unwrap();
        assert!(!c.reply && c.headers.is_empty());
        let ignore = CorsPolicy { unmatched_preflights: Some(UnmatchedPreflights::Ignore), ..policy() };
        let c = evaluate(&ignore, "OPTIONS", &h).unwrap();
        assert!(c.reply && !c.headers.set.contains_key("access-control-allow-origin"));
        // Credentials, methods, headers and max-age do not depend on the origin.
        assert_eq!(c.headers.set.get("access-control-max-age").map(String::as_str), Some("3600"));
    }

    #[test]
    fn simple_requests_and_wildcards() {
        let c = evaluate(&policy(), "GET", &headers(&[("origin", "https://www.foo.com")])).unwrap();
        assert!(!c.reply);
        assert_eq!(c.headers.set.get("access-control-allow-origin").map(String::as_str), Some("https://www.foo.com"));
        let c = evaluate(&policy(), "GET", &headers(&[("origin", "https://foo.com")])).unwrap();
        assert!(c.headers.is_empty());
        assert!(evaluate(&policy(), "GET", &headers(&[])).is_none());
        // `*` methods and headers echo the request's.
        let star =
            CorsPolicy { allow_methods: Some(vec!["*".into()]), allow_headers: Some(vec!["*".into()]), ..policy() };
        let h = headers(&[
            ("origin", "https://www.foo.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "x-a, x-b"),
        ]);
        let c = evaluate(&star, "OPTIONS", &h).unwrap();
        assert_eq!(c.headers.set.get("access-control-allow-methods").map(String::as_str), Some("PUT"));
        assert_eq!(c.headers.set.get("access-control-allow-headers").map(String::as_str), Some("x-a, x-b"));
    }
}
