//! The value matchers of an AuthorizationPolicy rule, as istiod turns them into Envoy matchers
//! (`pilot/pkg/security/authz/matcher/{string,header,path}.go`, `model/permission.go`,
//! `model/principal.go`).

use crate::routing::listener::Cidr;
use std::net::IpAddr;

/// Istio's string forms (`matcher/string.go` `StringMatcherWithPrefix`): `*` is presence (any
/// non-empty value), `v*` a prefix, `*v` a suffix, anything else exact. A `*` elsewhere is literal.
pub fn string(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return !value.is_empty();
    }
    if let Some(suffix) = pattern.strip_prefix('*') {
        return value.ends_with(suffix);
    }
    if let Some(prefix) = pattern.strip_suffix('*') {
        return value.starts_with(prefix);
    }
    pattern == value
}

/// The same forms, compared without regard to ASCII case (`hosts`, header names).
pub fn string_ignore_case(pattern: &str, value: &str) -> bool {
    string(&pattern.to_ascii_lowercase(), &value.to_ascii_lowercase())
}

/// A `paths` value against the normalized path (without its query). A value holding `{*}` or
/// `{**}` is an Envoy URI template (`matcher/path.go` `PathMatcher`, Envoy `uri_template`): `{*}`
/// is one non-empty segment, `{**}` any rest, `/` included, the empty rest too. Other values take
/// the string forms.
pub fn path(pattern: &str, path: &str) -> bool {
    if !(pattern.contains("{*}") || pattern.contains("{**}")) {
        return string(pattern, path);
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    template(&pat, &segs)
}

fn template(pat: &[&str], segs: &[&str]) -> bool {
    match (pat.first(), segs.first()) {
        (None, None) => true,
        // `{**}` takes one or more segments, empty ones included (`/admin/{**}` matches
        // `/admin/` but not `/admin`), and the rest of the template the segments after them.
        (Some(&"{**}"), _) => (1..=segs.len()).any(|k| template(&pat[1..], &segs[k..])),
        (Some(&"{*}"), Some(s)) => !s.is_empty() && template(&pat[1..], &segs[1..]),
        (Some(p), Some(s)) => p == s && template(&pat[1..], &segs[1..]),
        _ => false,
    }
}

/// `ipBlocks`, `remoteIpBlocks`, `source.ip`, `remote.ip`, `destination.ip`: an address or CIDR.
pub fn ip(block: &str, addr: Option<IpAddr>) -> bool {
    match (Cidr::parse(block), addr) {
        (Some(c), Some(a)) => c.contains(a),
        _ => false,
    }
}

/// A principal (`<trust domain>/ns/<ns>/sa/<sa>`, without `spiffe://`), split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spiffe<'p> {
    pub trust_domain: &'p str,
    pub namespace: Option<&'p str>,
    pub service_account: Option<&'p str>,
}

impl<'p> Spiffe<'p> {
    pub fn parse(principal: &'p str) -> Spiffe<'p> {
        let (td, rest) = principal.split_once('/').unwrap_or((principal, ""));
        let parts: Vec<&str> = rest.split('/').collect();
        let find = |key: &str| parts.windows(2).find(|w| w[0] == key).map(|w| w[1]);
        Spiffe { trust_domain: td, namespace: find("ns"), service_account: find("sa") }
    }
}

/// The trust domains a principal value stands for (`trustdomain/bundle.go`
/// `ReplaceTrustDomainAliases`): a value in `cluster.local`, the local trust domain or one of its
/// aliases stands for the local one and every alias; others stay as written.
pub fn principal(pattern: &str, principal: &str, local: &str, aliases: &[String]) -> bool {
    if pattern == "*" {
        return !principal.is_empty();
    }
    if pattern.starts_with('*') {
        return string(pattern, principal);
    }
    let (td, rest) = pattern.split_once('/').unwrap_or((pattern, ""));
    let ours = td == "cluster.local" || td == local || aliases.iter().any(|a| a == td);
    if !ours || rest.is_empty() {
        return string(pattern, principal);
    }
    std::iter::once(local)
        .chain(aliases.iter().map(String::as_str))
        .any(|td| string(&format!("{td}/{rest}"), principal))
}

/// `namespaces` and `source.namespace`: istiod matches the principal against `.*/ns/<v>/.*`.
pub fn namespace(pattern: &str, principal: &str) -> bool {
    Spiffe::parse(principal).namespace.is_some_and(|ns| string(pattern, ns))
}

/// `serviceAccounts` (no wildcards): `sa` in the policy's namespace, or `ns/sa`.
pub fn service_account(value: &str, policy_ns: &str, principal: &str) -> bool {
    let (ns, sa) = value.split_once('/').unwrap_or((policy_ns, value));
    let p = Spiffe::parse(principal);
    p.namespace == Some(ns) && p.service_account == Some(sa)
}

/// `trustDomains`: the principal's trust domain, with the local one's aliases.
pub fn trust_domain(pattern: &str, principal: &str, local: &str, aliases: &[String]) -> bool {
    let td = Spiffe::parse(principal).trust_domain;
    if pattern == "*" {
        return !td.is_empty();
    }
    let ours = pattern == local || aliases.iter().any(|a| a == pattern);
    if ours {
        return td == local || aliases.iter().any(|a| a == td);
    }
    string(pattern, td)
}

/// `requestPrincipals` and `request.auth.principal`, as `model/generator.go`
/// `requestPrincipalGenerator` builds them (Istio 1.22+): the value is split at its last `/`
/// into an issuer and a subject matcher, each against its own claim.
/// - `*`: both claims non-empty, so a token without `sub` never matches (istio/istio#22540);
/// - `*…`: with a `/`, the issuer by suffix (`*` alone: any) and the subject exactly; without,
///   any issuer and the subject by suffix;
/// - `…*`: with a `/`, the issuer exactly and the subject by prefix (`*` alone: any); without,
///   the issuer by prefix and any subject;
/// - otherwise both exactly; without a `/`, the issuer is the value and the subject must be
///   empty, which a missing `sub` is not (Envoy's metadata matcher fails on a missing key), so
///   meshctl, which reads a missing claim as empty, takes it as no match.
pub fn request_principal(pattern: &str, iss: &str, sub: &str) -> bool {
    let any = |v: &str| !v.is_empty();
    let split = pattern.rfind('/').map(|i| (&pattern[..i], &pattern[i + 1..]));
    if pattern == "*" {
        return any(iss) && any(sub);
    }
    if let Some(rest) = pattern.strip_prefix('*') {
        return match split {
            Some((pi, ps)) => (if pi == "*" { any(iss) } else { iss.ends_with(&pi[1..]) }) && sub == ps,
            None => any(iss) && sub.ends_with(rest),
        };
    }
    if let Some(rest) = pattern.strip_suffix('*') {
        return match split {
            Some((pi, ps)) => iss == pi && (if ps == "*" { any(sub) } else { sub.starts_with(&ps[..ps.len() - 1]) }),
            None => iss.starts_with(rest) && any(sub),
        };
    }
    match split {
        Some((pi, ps)) => iss == pi && sub == ps,
        None => false,
    }
}

/// Path normalization before authorization and routing (`meshConfig.pathNormalization`,
/// `BASE` by default): RFC 3986 dot segments, `\` to `/`, unreserved percent-encodings decoded;
/// `MERGE_SLASHES` also merges slashes, `DECODE_AND_MERGE_SLASHES` first decodes `%2F`/`%5C`.
/// `None` when Envoy refuses the path with 400 (`%00`).
pub fn normalize(path: &str, mode: &str) -> Option<String> {
    if mode == "NONE" {
        return Some(path.to_string());
    }
    if path.to_ascii_lowercase().contains("%00") {
        return None;
    }
    let decode_slashes = mode == "DECODE_AND_MERGE_SLASHES";
    let merge = decode_slashes || mode == "MERGE_SLASHES";
    let bytes = path.as_bytes();
    let mut raw: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                let unreserved = v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~');
                if unreserved || (decode_slashes && matches!(v, b'/' | b'\\')) {
                    raw.push(if v == b'\\' { b'/' } else { v });
                } else {
                    raw.extend_from_slice(format!("%{v:02X}").as_bytes());
                }
                i += 3;
            }
            _ => {
                raw.push(if c == b'\\' { b'/' } else { c });
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8_lossy(&raw);
    let mut out: Vec<&str> = Vec::new();
    let parts: Vec<&str> = decoded.split('/').collect();
    let last = parts.len().saturating_sub(1);
    for (i, seg) in parts.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            "" if merge && i != 0 && i != last => {}
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    Some(if joined.starts_with('/') { joined } else { format!("/{joined}") })
}
