//! RequestAuthentication: what Envoy's jwt_authn filter does with the token a request carries
//! (`pilot/pkg/security/authn/policy_applier.go` `convertToEnvoyJwtConfig`, Envoy
//! `jwt_authn/filter.cc`). Every jwtRule reaching the workload is one provider, and the
//! requirement is "any provider, or the token missing": so no token passes without an identity,
//! a token a provider reads but cannot verify is 401, an audience no rule allows is 403.

use super::Policy;
use crate::model::security::{JwtRule, RequestAuthentication};
use serde_json::{Map, Value};

/// The token of a request, as `simulate` is told it.
#[derive(Debug, Clone, Copy)]
pub enum Token<'r> {
    None,
    /// Not a JWT, or one no key verifies.
    Malformed,
    Claims(&'r Map<String, Value>),
}

/// Where the request carries its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Header { name: String, prefix: String },
    Param(String),
}

impl Default for Location {
    /// `Authorization: Bearer <token>`.
    fn default() -> Self {
        Location::Header { name: "authorization".into(), prefix: "Bearer ".into() }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Header { name, prefix } if prefix.is_empty() => write!(f, "header `{name}`"),
            Location::Header { name, prefix } => write!(f, "header `{name}` after `{prefix}`"),
            Location::Param(p) => write!(f, "query parameter `{p}`"),
        }
    }
}

/// What jwt_authn makes of the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<'r> {
    /// No RequestAuthentication reaches the workload: no jwt_authn filter, the token is not read.
    NoFilter,
    /// No token where a rule looks: accepted, without a request principal.
    Missing,
    /// Verified: the claims become `request.auth.*`.
    Valid(&'r Map<String, Value>),
    /// Refused with this status (401, or 403 for an audience).
    Refused(u32, String),
}

/// How a rule reads the request's token location.
enum Read {
    Not,
    Token,
    /// The location is read, but what it extracts is not the token (a prefix it does not strip).
    Garbled,
}

fn reads(rule: &JwtRule, at: &Location) -> Read {
    let custom = [
        rule.from_headers.as_ref().map(Vec::len),
        rule.from_params.as_ref().map(Vec::len),
        rule.from_cookies.as_ref().map(Vec::len),
    ]
    .into_iter()
    .flatten()
    .any(|n| n > 0);
    let header = |name: &str, prefix: &str| -> Read {
        match at {
            Location::Header { name: n, prefix: p } if n.eq_ignore_ascii_case(name) => {
                if p == prefix {
                    Read::Token
                } else if p.starts_with(prefix) {
                    Read::Garbled
                } else {
                    Read::Not
                }
            }
            _ => Read::Not,
        }
    };
    let param = |name: &str| matches!(at, Location::Param(p) if p == name);
    if !custom {
        return match header("authorization", "Bearer ") {
            Read::Not if param("access_token") => Read::Token,
            r => r,
        };
    }
    for h in rule.from_headers.iter().flatten() {
        match header(&h.name, h.prefix.as_deref().unwrap_or_default()) {
            Read::Not => {}
            r => return r,
        }
    }
    if rule.from_params.iter().flatten().any(|p| param(p)) {
        return Read::Token;
    }
    Read::Not
}

/// The verdict for `token` at `at`, given the RequestAuthentications reaching the workload; `now`
/// in seconds since the epoch, for `exp` and `nbf` (Envoy allows 60 s of clock skew).
pub fn verify<'r>(
    policies: &[&Policy<RequestAuthentication>],
    token: Token<'r>,
    at: &Location,
    now: i64,
    notes: &mut Vec<String>,
) -> Verdict<'r> {
    let rules: Vec<(&Policy<RequestAuthentication>, usize, &JwtRule)> = policies
        .iter()
        .flat_map(|p| p.res.spec.jwt_rules.iter().flatten().enumerate().map(move |(i, r)| (*p, i, r)))
        .collect();
    if rules.is_empty() {
        if !policies.is_empty() {
            notes.push("the RequestAuthentications that apply have no jwtRules: no token is read".into());
        }
        return Verdict::NoFilter;
    }
    let names: Vec<String> = policies.iter().map(|p| p.key()).collect();
    if matches!(token, Token::None) {
        notes.push(format!(
            "RequestAuthentication {}: the request has no token, which passes without a request principal",
            names.join(", ")
        ));
        return Verdict::Missing;
    }
    let mut readers = Vec::new();
    for (p, i, r) in &rules {
        match reads(r, at) {
            Read::Not => {}
            Read::Token => readers.push((*p, *i, *r)),
            Read::Garbled => {
                let why =
                    format!("{} jwtRules[{i}] reads the {at} with another prefix: what it extracts is no JWT", p.key());
                notes.push(why.clone());
                return Verdict::Refused(401, why);
            }
        }
    }
    if readers.is_empty() {
        notes.push(format!(
            "RequestAuthentication {}: no jwtRule reads the token from the {at}, so it counts as missing",
            names.join(", ")
        ));
        return Verdict::Missing;
    }
    let claims = match token {
        Token::None => return Verdict::Missing,
        Token::Malformed => {
            let why = format!("the token in the {at} is malformed or fails verification: Jwt verification fails");
            notes.push(why.clone());
            return Verdict::Refused(401, why);
        }
        Token::Claims(c) => c,
    };
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let issuers: Vec<&(&Policy<RequestAuthentication>, usize, &JwtRule)> =
        readers.iter().filter(|(_, _, r)| r.issuer.as_deref().is_none_or(|i| i == iss)).collect();
    if issuers.is_empty() {
        let why = format!("no jwtRule accepts the issuer {iss:?}: Jwt issuer is not configured");
        notes.push(why.clone());
        return Verdict::Refused(401, why);
    }
    let number = |k: &str| claims.get(k).and_then(Value::as_i64);
    if let Some(exp) = number("exp").filter(|e| *e + 60 < now) {
        let why = format!("the token expired at {exp} (exp): Jwt is expired");
        notes.push(why.clone());
        return Verdict::Refused(401, why);
    }
    if let Some(nbf) = number("nbf").filter(|n| *n - 60 > now) {
        let why = format!("the token is not valid before {nbf} (nbf): Jwt not yet valid");
        notes.push(why.clone());
        return Verdict::Refused(401, why);
    }
    let aud: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let accepted = issuers.iter().find(|(_, _, r)| {
        r.audiences.as_ref().is_none_or(|want| want.is_empty() || want.iter().any(|w| aud.contains(&w.as_str())))
    });
    match accepted {
        Some((p, i, _)) => {
            notes.push(format!("{} jwtRules[{i}] verifies the token from issuer {iss:?}", p.key()));
            Verdict::Valid(claims)
        }
        None => {
            let why = format!(
                "no jwtRule for issuer {iss:?} allows the token's audiences {aud:?}: Audiences in Jwt are not allowed"
            );
            notes.push(why.clone());
            Verdict::Refused(403, why)
        }
    }
}
