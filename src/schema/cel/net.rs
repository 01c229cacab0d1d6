//! Kubernetes' URL, IP and CIDR libraries (`k8s.io/apiserver/pkg/cel/library/{urls,ip,cidr}.go`).
//! URLs are parsed as Go's `net/url` does (`ParseRequestURI` to validate, `Parse` for the
//! parts); IPs and prefixes as Go's `net/netip`, without zones or IPv4-mapped IPv6 addresses.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use std::net::IpAddr;

use super::EvalError;
use super::library::string_map;
use super::value::Value;

type R = Result<Value, EvalError>;

/// A URL parsed by Go's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    raw: String,
    scheme: String,
    host: String,
    path: String,
    raw_path: String,
    raw_query: String,
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The parts of the URL that Go's `net/url` escapes differently.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    QueryComponent,
    Fragment,
}

/// Go's `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::QueryComponent => return true,
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`: decodes `%XX` (and `+` in query components), rejecting bad escapes and,
/// in hosts, characters that must not appear there.
fn unescape(s: &str, mode: Mode) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                    let end = (i + 3).min(b.len());
                    return Err(format!("invalid URL escape \"{}\"", &s[i..end]));
                }
                let esc = &s[i..i + 3];
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && esc != "%25" {
                    return Err(format!("invalid URL escape \"{esc}\""));
                }
                if mode == Mode::Zone {
                    let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                    if esc != "%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!("invalid URL escape \"{esc}\""));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!("invalid character \"{}\" in host name", c as char));
                }
                i += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                out.push(unhex(b[i + 1]) << 4 | unhex(b[i + 2]));
                i += 3;
            }
            b'+' if mode == Mode::QueryComponent => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's `escape` for paths.
fn escape_path(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s {
        if should_escape(c, Mode::Path) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

/// Go's `validEncoded` for paths.
fn valid_encoded_path(s: &str) -> bool {
    s.bytes().all(|c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, Mode::Path)
    })
}

/// Go's `getScheme`: a leading `[A-Za-z][A-Za-z0-9+.-]*:`, or none.
fn split_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|c| c.is_ascii_digit()))
}

/// Go's `parseHost`: `host[:port]`, an IPv6 literal in brackets (newer Go requires it to be a
/// valid IPv6 address), at most an escaped zone.
fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port \"{colon_port}\" after host"));
        }
        let literal = &host[1..i];
        let (addr, zone) = match literal.find("%25") {
            Some(z) => (&literal[..z], Some(&literal[z..])),
            None => (literal, None),
        };
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(format!("invalid IP-literal \"{addr}\""));
        }
        let mut out = String::from("[");
        out.push_str(&String::from_utf8_lossy(&unescape(addr, Mode::Host)?));
        if let Some(z) = zone {
            out.push_str(&String::from_utf8_lossy(&unescape(z, Mode::Zone)?));
        }
        out.push(']');
        out.push_str(colon_port);
        return Ok(out);
    }
    if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port \"{colon_port}\" after host"));
        }
    }
    Ok(String::from_utf8_lossy(&unescape(host, Mode::Host)?).into_owned())
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
    })
}

/// Go's `parseAuthority`: `[userinfo@]host`.
fn parse_authority(authority: &str) -> Result<String, String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    if let Some(u) = userinfo {
        if !valid_userinfo(u) {
            return Err("net/url: invalid userinfo".into());
        }
        for part in u.splitn(2, ':') {
            unescape(part, Mode::UserPassword)?;
        }
    }
    Ok(host)
}

/// Go's `url.parse` (without the fragment): `via_request` is `ParseRequestURI`'s stricter
/// form, which requires an absolute URI or an absolute path.
fn parse(raw: &str, via_request: bool) -> Result<Url, String> {
    if raw.bytes().any(|c| c < 0x20 || c == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    if raw.is_empty() && via_request {
        return Err("empty url".into());
    }
    let mut url = Url {
        raw: raw.to_string(),
        scheme: String::new(),
        host: String::new(),
        path: String::new(),
        raw_path: String::new(),
        raw_query: String::new(),
    };
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, rest) = split_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // A rootless path is opaque: no host, no path.
            return Ok(url);
        }
        if via_request {
            return Err("invalid URI for request".into());
        }
        if rest.split('/').next().is_some_and(|seg| seg.contains(':')) {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || (!via_request && !rest.starts_with("///"))) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        url.host = parse_authority(authority)?;
        rest = path;
    }
    let path = unescape(rest, Mode::Path)?;
    if escape_path(&path) != rest {
        url.raw_path = rest.to_string();
    }
    url.path = String::from_utf8_lossy(&path).into_owned();
    Ok(url)
}

/// Go's `url.ParseRequestURI`.
fn parse_request_uri(s: &str) -> Result<Url, String> {
    parse(s, true)
}

/// Go's `url.Parse`: the fragment cut off first, then the rest parsed leniently.
fn parse_with_fragment(s: &str) -> Result<Url, String> {
    let (u, frag) = match s.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (s, None),
    };
    let mut url = parse(u, false)?;
    if let Some(f) = frag {
        unescape(f, Mode::Fragment)?;
    }
    url.raw = s.to_string();
    Ok(url)
}

/// What `url(s)` accepts, as Kubernetes checks it: `ParseRequestURI` first, then `Parse`.
pub(crate) fn parse_url(s: &str) -> Result<Url, String> {
    parse_request_uri(s)?;
    parse_with_fragment(s)
}

/// Whether `s` is a valid URI as the OpenAPI `uri` format and `isURL` check it.
pub(crate) fn is_request_uri(s: &str) -> Result<(), String> {
    parse_request_uri(s).map(|_| ())
}

fn str_arg<'a>(name: &str, a: &'a [Value]) -> Result<&'a str, EvalError> {
    match &a[0] {
        Value::String(s) => Ok(s),
        other => Err(EvalError::no_overload(name, &[other])),
    }
}

fn url_arg<'a>(name: &str, a: &'a [Value]) -> Result<&'a Url, EvalError> {
    match &a[0] {
        Value::Url(u) => Ok(u),
        other => Err(EvalError::no_overload(name, &[other])),
    }
}

pub(crate) fn url(a: &[Value]) -> R {
    let s = str_arg("url", a)?;
    parse_url(s)
        .map(|u| Value::Url(u.into()))
        .map_err(|e| EvalError::new(format!("URL parse error during conversion from string: {e}")))
}

pub(crate) fn is_url(a: &[Value]) -> R {
    Ok(Value::Bool(is_request_uri(str_arg("isURL", a)?).is_ok()))
}

pub(crate) fn get_scheme(a: &[Value]) -> R {
    Ok(Value::str(&url_arg("getScheme", a)?.scheme))
}

pub(crate) fn get_host(a: &[Value]) -> R {
    Ok(Value::str(&url_arg("getHost", a)?.host))
}

/// Go's `splitHostPort`: the host without a valid `:port` and without IPv6 brackets.
fn split_host_port(host_port: &str) -> (&str, &str) {
    let (mut host, mut port) = (host_port, "");
    if let Some(i) = host.rfind(':')
        && valid_optional_port(&host[i..])
    {
        port = &host[i + 1..];
        host = &host[..i];
    }
    if host.starts_with('[') && host.ends_with(']') && host.len() >= 2 {
        host = &host[1..host.len() - 1];
    }
    (host, port)
}

pub(crate) fn get_hostname(a: &[Value]) -> R {
    Ok(Value::str(split_host_port(&url_arg("getHostname", a)?.host).0))
}

pub(crate) fn get_port(a: &[Value]) -> R {
    Ok(Value::str(split_host_port(&url_arg("getPort", a)?.host).1))
}

/// Go's `EscapedPath`: the path as written if that is a valid encoding of it, else escaped.
pub(crate) fn get_escaped_path(a: &[Value]) -> R {
    let u = url_arg("getEscapedPath", a)?;
    if !u.raw_path.is_empty()
        && valid_encoded_path(&u.raw_path)
        && unescape(&u.raw_path, Mode::Path).is_ok_and(|p| String::from_utf8_lossy(&p) == u.path)
    {
        return Ok(Value::str(&u.raw_path));
    }
    if u.path == "*" {
        return Ok(Value::str("*"));
    }
    Ok(Value::str(&escape_path(u.path.as_bytes())))
}

/// Go's `url.ParseQuery`, keeping what parses: each key's values, in order.
pub(crate) fn get_query(a: &[Value]) -> R {
    let u = url_arg("getQuery", a)?;
    let mut entries: Vec<(String, Vec<Value>)> = Vec::new();
    for pair in u.raw_query.split('&') {
        if pair.contains(';') || pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Ok(k), Ok(v)) = (unescape(k, Mode::QueryComponent), unescape(v, Mode::QueryComponent)) else {
            continue;
        };
        let (k, v) = (String::from_utf8_lossy(&k).into_owned(), Value::str(&String::from_utf8_lossy(&v)));
        match entries.iter_mut().find(|(key, _)| *key == k) {
            Some((_, vs)) => vs.push(v),
            None => entries.push((k, vec![v])),
        }
    }
    Ok(string_map(entries.into_iter().map(|(k, vs)| (k, Value::list(vs))).collect()))
}

/// Kubernetes' `parseIPAddr`: Go's `netip.ParseAddr`, without zones or IPv4-mapped IPv6.
pub(crate) fn parse_ip(s: &str) -> Result<IpAddr, String> {
    if s.contains('%') {
        return Err(format!("IP address {s:?} with zone value is not allowed"));
    }
    let ip: IpAddr = s.parse().map_err(|_| format!("IP Address {s:?} parse error during conversion from string"))?;
    if let IpAddr::V6(v6) = ip
        && v6.to_ipv4_mapped().is_some()
    {
        return Err(format!("IPv4-mapped IPv6 address {s:?} is not allowed"));
    }
    Ok(ip)
}

pub(crate) fn ip(a: &[Value]) -> R {
    parse_ip(str_arg("ip", a)?).map(Value::Ip).map_err(EvalError::new)
}

pub(crate) fn is_ip(a: &[Value]) -> R {
    Ok(Value::Bool(parse_ip(str_arg("isIP", a)?).is_ok()))
}

/// `ip.isCanonical(s)`: whether `s` is the address's canonical (RFC 5952) spelling.
pub(crate) fn ip_is_canonical(a: &[Value]) -> R {
    let s = str_arg("ip.isCanonical", a)?;
    let ip = parse_ip(s).map_err(EvalError::new)?;
    Ok(Value::Bool(ip.to_string() == s))
}

fn ip_arg<'a>(name: &str, a: &'a [Value]) -> Result<&'a IpAddr, EvalError> {
    match &a[0] {
        Value::Ip(ip) => Ok(ip),
        other => Err(EvalError::no_overload(name, &[other])),
    }
}

pub(crate) fn family(a: &[Value]) -> R {
    Ok(Value::Int(match ip_arg("family", a)? {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 6,
    }))
}

pub(crate) fn is_unspecified(a: &[Value]) -> R {
    Ok(Value::Bool(ip_arg("isUnspecified", a)?.is_unspecified()))
}

pub(crate) fn is_loopback(a: &[Value]) -> R {
    Ok(Value::Bool(ip_arg("isLoopback", a)?.is_loopback()))
}

pub(crate) fn is_link_local_multicast(a: &[Value]) -> R {
    Ok(Value::Bool(match ip_arg("isLinkLocalMulticast", a)? {
        IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
        IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
    }))
}

fn link_local_unicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[..2] == [169, 254],
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

pub(crate) fn is_link_local_unicast(a: &[Value]) -> R {
    Ok(Value::Bool(link_local_unicast(ip_arg("isLinkLocalUnicast", a)?)))
}

/// Go's `IsGlobalUnicast`: private and unique-local addresses count as global.
pub(crate) fn is_global_unicast(a: &[Value]) -> R {
    let ip = ip_arg("isGlobalUnicast", a)?;
    let broadcast = *ip == IpAddr::V4(Ipv4Addr::BROADCAST);
    Ok(Value::Bool(
        !ip.is_unspecified() && !broadcast && !ip.is_loopback() && !ip.is_multicast() && !link_local_unicast(ip),
    ))
}

/// An IP prefix: an address (as written, not masked) and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.bits)
    }
}

fn mask(addr: IpAddr, bits: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let m = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & m))
        }
        IpAddr::V6(v6) => {
            let m = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & m))
        }
    }
}

impl Cidr {
    fn contains(&self, ip: &IpAddr) -> bool {
        self.addr.is_ipv4() == ip.is_ipv4() && mask(*ip, self.bits) == mask(self.addr, self.bits)
    }
}

/// Kubernetes' `parseCIDR`: Go's `netip.ParsePrefix` (no leading zeros or sign in the
/// length), without zones or IPv4-mapped IPv6.
pub(crate) fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let bad = || format!("network address parse error during conversion from string: {s:?}");
    let (addr, bits) = s.rsplit_once('/').ok_or_else(bad)?;
    let addr = parse_ip(addr).map_err(|_| bad())?;
    if bits.is_empty() || !bits.bytes().all(|c| c.is_ascii_digit()) || (bits.len() > 1 && bits.starts_with('0')) {
        return Err(bad());
    }
    let bits: u8 = bits.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if bits > max {
        return Err(bad());
    }
    Ok(Cidr { addr, bits })
}

pub(crate) fn cidr(a: &[Value]) -> R {
    parse_cidr(str_arg("cidr", a)?).map(Value::Cidr).map_err(EvalError::new)
}

pub(crate) fn is_cidr(a: &[Value]) -> R {
    Ok(Value::Bool(parse_cidr(str_arg("isCIDR", a)?).is_ok()))
}

fn cidr_arg<'a>(name: &str, a: &'a [Value]) -> Result<&'a Cidr, EvalError> {
    match &a[0] {
        Value::Cidr(c) => Ok(c),
        other => Err(EvalError::no_overload(name, &[other])),
    }
}

pub(crate) fn contains_ip(a: &[Value]) -> R {
    let c = cidr_arg("containsIP", a)?;
    let ip = match &a[1] {
        Value::Ip(ip) => *ip,
        Value::String(s) => parse_ip(s).map_err(EvalError::new)?,
        other => return Err(EvalError::no_overload("containsIP", &[&a[0], other])),
    };
    Ok(Value::Bool(c.contains(&ip)))
}

pub(crate) fn contains_cidr(a: &[Value]) -> R {
    let c = cidr_arg("containsCIDR", a)?;
    let other = match &a[1] {
        Value::Cidr(o) => *o,
        Value::String(s) => parse_cidr(s).map_err(EvalError::new)?,
        other => return Err(EvalError::no_overload("containsCIDR", &[&a[0], other])),
    };
    Ok(Value::Bool(c.bits <= other.bits && c.contains(&other.addr)))
}

pub(crate) fn cidr_ip(a: &[Value]) -> R {
    Ok(Value::Ip(cidr_arg("ip", a)?.addr))
}

pub(crate) fn masked(a: &[Value]) -> R {
    let c = cidr_arg("masked", a)?;
    Ok(Value::Cidr(Cidr { addr: mask(c.addr, c.bits), bits: c.bits }))
}

pub(crate) fn prefix_length(a: &[Value]) -> R {
    Ok(Value::Int(i64::from(cidr_arg("prefixLength", a)?.bits)))
}
