use super::{exit, fail};
use crate::lint::{Inputs, LintOptions};
use crate::model::core::StringMap;
use crate::routing::eval::{From, RuleKind, WorkloadRef};
use crate::routing::matcher::strip_port;
use crate::routing::{Outcome, OutcomeKind, Request, simulate};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimFormat {
    /// The trace: one line per decision, then the outcome and where it goes.
    Human,
    /// The answer and the request as JSON (`"version": 1`), the fields `meshctl test` expects on.
    Json,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Manifest files and directories (default `.`), and the request URL: `http://host[:port]/path?query`
    /// or `https://…` for a request, `tcp://host:port` or `tls://sni-host:port` for a connection.
    #[arg(value_name = "PATH|URL")]
    pub args: Vec<String>,
    /// Request file (YAML or JSON): from, gateway_workload, source, protocol, host, port, method,
    /// path, headers, scheme, sni, destination_address, source_ip, jwt, jwt_from. The URL and the flags add to it; one that
    /// would change a field the file sets is refused.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Enter through a gateway workload: `NS/label=value[,label=value…]` (e.g.
    /// `istio-system/istio=ingressgateway`), or `NS/NAME` of a Gateway API Gateway.
    #[arg(long, value_name = "NS/LABELS", conflicts_with = "from")]
    pub gateway: Option<String>,
    /// Send from a sidecar workload: `NS/label=value[,label=value…]` (e.g.
    /// `default/app=productpage,version=v1`), or `NS` alone for a workload without labels in NS.
    /// Default: namespace `default`, no labels.
    #[arg(long, value_name = "NS[/LABELS]")]
    pub from: Option<String>,
    /// HTTP method (default GET).
    #[arg(short = 'X', long = "request-method", value_name = "METHOD")]
    pub method: Option<String>,
    /// Request header `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// The IP address the client connects to (default: the host's service address, as the
    /// cluster's DNS answers). It picks the listener.
    #[arg(long, value_name = "IP")]
    pub address: Option<String>,
    /// The TLS server name of a `tls://` connection (default: the URL's host).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// The client's IP address as the first proxy sees it (the gateway's peer, or the client
    /// pod's IP), for `ipBlocks` and `remoteIpBlocks`.
    #[arg(long, value_name = "IP")]
    pub source_ip: Option<String>,
    /// The claims of the JWT the client presents, as a JSON object (`'{"iss":"…","sub":"…"}'`),
    /// or `malformed` for a token that does not verify. It goes in `Authorization: Bearer`.
    #[arg(long, value_name = "JSON|malformed")]
    pub jwt_claims: Option<String>,
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        visible_short_alias = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t = SimFormat::Human
    )]
    pub format: SimFormat,
    /// Namespace of objects that name none.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Istio MeshConfig (YAML or JSON, or the istio ConfigMap).
    #[arg(long, value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes
    /// istiod serve Gateway API TCP listeners and TCPRoutes.
    #[arg(long, value_name = "NAME=VALUE")]
    pub istiod_env: Vec<String>,
}

/// A Kubernetes namespace name (RFC 1123 label).
fn is_namespace(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&b.len())
        && b.iter().all(|c| alnum(c) || *c == b'-')
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
}

/// A Gateway's name: a DNS subdomain (lower-case alphanumerics, `-` and `.`).
fn is_gateway_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Header operations for the human output: `set a=1, add b=2, remove c`.
fn header_ops(h: &crate::routing::HeaderOps) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(h.set.iter().map(|(k, v)| format!("set {k}={v}")));
    parts.extend(h.add.iter().map(|(k, v)| format!("add {k}={v}")));
    parts.extend(h.remove.iter().map(|k| format!("remove {k}")));
    parts.join(", ")
}

/// The workload of `--gateway` (when `gateway`: `NS/label=value[,…]`) or of `--from` (the same, or
/// `NS` alone).
fn workload(spec: &str, gateway: bool) -> Result<WorkloadRef, String> {
    let flag = if gateway { "--gateway" } else { "--from" };
    let (grammar, example) = if gateway {
        ("NS/label=value[,label=value…] or NS/NAME of a Gateway API Gateway", "istio-system/istio=ingressgateway")
    } else {
        ("NS[/label=value[,label=value…]]", "default/app=productpage,version=v1")
    };
    let bad = |why: String| format!("{flag} `{spec}`: {why}; expected {grammar}, e.g. `{example}`");
    let (ns, labels) = match spec.split_once('/') {
        Some((ns, labels)) => (ns, labels),
        None => (spec, ""),
    };
    if !is_namespace(ns) {
        return Err(bad(if ns.contains('=') {
            "labels without a namespace".to_string()
        } else {
            format!("`{ns}` is not a namespace name")
        }));
    }
    if gateway && labels.is_empty() {
        return Err(bad("no labels: a gateway workload is chosen by its labels".into()));
    }
    let mut map = StringMap::default();
    // `NS/NAME` names a Gateway API Gateway: its pods carry the label Istio's deployment
    // controller gives them.
    if gateway && !labels.contains('=') {
        if !is_gateway_name(labels) {
            return Err(bad(format!("`{labels}` is not label=value, nor the name of a Gateway")));
        }
        map.insert(crate::model::gateway_api::GATEWAY_NAME_LABEL.to_string(), labels.to_string());
        return Ok(WorkloadRef { namespace: ns.to_string(), labels: map, ..Default::default() });
    }
    for kv in labels.split(',').filter(|_| !labels.is_empty()) {
        let Some((k, v)) = kv.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(bad(format!("`{kv}` is not label=value")));
        };
        if map.get(k).is_some() {
            return Err(bad(format!("label `{k}` is given twice")));
        }
        map.insert(k.to_string(), v.to_string());
    }
    Ok(WorkloadRef { namespace: ns.to_string(), labels: map, ..Default::default() })
}

/// The request of a `simulate` run: the `--request` file (its name and text), if any, then the
/// flags and the URL, which may add to the file but not change what it sets.
pub fn build_request(a: &SimulateArgs, file: Option<(&str, &str)>, url: Option<&str>) -> Result<Request, String> {
    let (mut req, given) = match file {
        Some((name, text)) => {
            let mut s = crate::source::Sources::default();
            let id = s.add(name.to_string(), text.to_string());
            let docs = crate::source::parse_file(s.file(id));
            let v = docs.first().and_then(|d| d.value.clone()).unwrap_or_default();
            let req: Request = serde::Deserialize::deserialize(&v).map_err(|e| format!("{name}: {e}"))?;
            (req, Some((name, v)))
        }
        None => (Request::default(), None),
    };
    let before = serde_json::to_value(&req).unwrap_or_default();
    let file_headers = req.headers.clone();
    if let Some(g) = &a.gateway {
        req.from = From::Gateway;
        req.gateway_workload = Some(workload(g, true)?);
    }
    if let Some(f) = &a.from {
        req.from = From::Mesh;
        req.source = Some(workload(f, false)?);
    }
    if let Some(u) = url {
        apply_url(&mut req, u)?;
    }
    if let Some(m) = &a.method {
        req.method = m.clone();
    }
    if let Some(ip) = &a.address {
        req.destination_address = Some(ip.clone());
    }
    if let Some(sni) = &a.sni {
        if req.protocol != "tls" {
            return Err("--sni is for a TLS connection: give a tls:// URL".into());
        }
        req.sni = Some(sni.clone());
    }
    if let Some(ip) = &a.source_ip {
        req.source_ip = Some(ip.clone());
    }
    if let Some(c) = &a.jwt_claims {
        req.jwt = Some(if c == "malformed" {
            Value::String(c.clone())
        } else {
            let v: Value = serde_json::from_str(c).map_err(|e| format!("--jwt-claims: not a JSON object: {e}"))?;
            if !v.is_object() {
                return Err("--jwt-claims: give the claims as a JSON object, or `malformed`".into());
            }
            v
        });
    }
    for h in &a.headers {
        let (k, v) = h.split_once(':').ok_or_else(|| format!("header `{h}` is not `Name: value`"))?;
        let (k, v) = (k.trim(), v.trim());
        if let Some((fk, fv)) = file_headers.iter().find(|(fk, _)| fk.eq_ignore_ascii_case(k)) {
            if fv != v {
                let name = given.as_ref().map_or("", |g| g.0);
                return Err(format!(
                    "{name} sets header `{fk}: {fv}` and -H would make it `{v}`: give it in one place"
                ));
            }
            continue;
        }
        req.headers.insert(k.to_string(), v.to_string());
    }
    if let Some((name, file)) = &given {
        let after = serde_json::to_value(&req).unwrap_or_default();
        if let Some((k, old, new)) = overridden(file, &before, &after) {
            let by = match k.as_str() {
                "method" => "-X".to_string(),
                "from" if a.gateway.is_some() => "--gateway".to_string(),
                "gateway_workload" => "--gateway".to_string(),
                "from" | "source" => "--from".to_string(),
                "destination_address" => "--address".to_string(),
                "sni" => "--sni".to_string(),
                "source_ip" => "--source-ip".to_string(),
                "jwt" => "--jwt-claims".to_string(),
                _ => format!("the URL `{}`", url.unwrap_or_default()),
            };
            return Err(format!("{name} sets `{k}: {old}` and {by} would make it {new}: give it in one place"));
        }
    }
    check_protocol(&mut req)?;
    check_security(&req)?;
    if req.host.is_empty() && req.destination_address.is_none() {
        return Err("no request: give a URL, or --request FILE with a host or a destination_address".into());
    }
    if req.host.is_empty() && req.port.is_none() {
        return Err("a connection to a destination_address needs a port".into());
    }
    Ok(req)
}

/// The first field that a request file's object `file` sets and that changed from `before` to
/// `after` (both requests as JSON), with its old and new value; `headers` are compared one by one
/// where they are merged.
pub(super) fn overridden(file: &Value, before: &Value, after: &Value) -> Option<(String, String, String)> {
    let keys = file.as_object()?.keys().filter(|k| *k != "headers");
    let k = keys.into_iter().find(|k| before.get(k) != after.get(k))?;
    let shown = |v: &Value| v.get(k).map(Value::to_string).unwrap_or_default();
    Some((k.clone(), shown(before), shown(after)))
}

/// The protocols and schemes the routing engine models: a connection is `http` or `http2` (a
/// request), `tcp` or `tls`; a request's scheme is `http` or `https`; a destination address is
/// an IP. Anything else is refused rather than simulated as something it is not; protocol and
/// scheme are lower-cased.
pub(super) fn check_protocol(req: &mut Request) -> Result<(), String> {
    req.protocol.make_ascii_lowercase();
    if !matches!(req.protocol.as_str(), "http" | "http2" | "tcp" | "tls") {
        return Err(format!("protocol `{}` is not simulated: give http, http2, tcp or tls", req.protocol));
    }
    if let Some(a) = &req.destination_address
        && a.parse::<std::net::IpAddr>().is_err()
    {
        return Err(format!("destination address `{a}` is not an IP address"));
    }
    if let Some(scheme) = &mut req.scheme {
        scheme.make_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(format!("scheme `{scheme}` is not simulated: give http or https"));
        }
    }
    Ok(())
}

/// The security keys of a request: an IP for `source_ip`, claims or `"malformed"` for `jwt`, one
/// place for `jwt_from`.
pub(super) fn check_security(req: &Request) -> Result<(), String> {
    if let Some(ip) = &req.source_ip
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(format!("source_ip `{ip}` is not an IP address"));
    }
    match &req.jwt {
        None | Some(Value::Object(_)) => {}
        Some(Value::String(s)) if s == "malformed" => {}
        Some(other) => return Err(format!("jwt {other}: give the token's claims as an object, or \"malformed\"")),
    }
    if let Some(f) = &req.jwt_from {
        match (&f.header, &f.param) {
            (Some(_), Some(_)) => return Err("jwt_from: give a header or a param, not both".into()),
            (None, None) => return Err("jwt_from: give a header (with its prefix) or a param".into()),
            (None, Some(_)) if f.prefix.is_some() => return Err("jwt_from: a prefix is for a header".into()),
            _ => {}
        }
    }
    Ok(())
}

/// Set the connection of `req` from a URL: `http://` and `https://` give scheme, host, port and
/// path (the protocol is HTTP); `tcp://` and `tls://` a connection of that protocol to host:port
/// (TLS with the host as SNI). Other schemes are refused.
pub fn apply_url(req: &mut Request, u: &str) -> Result<(), String> {
    let (scheme, rest) = u.split_once("://").ok_or_else(|| format!("`{u}` is not a URL"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "tcp" | "tls") {
        let hint = match scheme.as_str() {
            "grpc" | "grpcs" | "h2" | "h2c" | "ws" | "wss" => {
                "; a gRPC, HTTP/2 or WebSocket request is an HTTP request to the proxy: write http:// or https://"
            }
            _ => "",
        };
        return Err(format!(
            "`{u}`: meshctl simulates http://, https://, tcp:// and tls:// URLs, not {scheme}://{hint}"
        ));
    }
    let host = strip_port(authority);
    if host.is_empty() {
        return Err(format!("`{u}` has no host"));
    }
    let bad_port = || format!("bad port in `{u}`: a port is a number from 1 to 65535");
    match authority[host.len()..].strip_prefix(':') {
        Some(p) => req.port = Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad_port)?.into()),
        None if !host.starts_with('[') && host.contains(':') => return Err(bad_port()),
        None => {}
    }
    req.host = authority.to_string();
    if scheme == "tcp" || scheme == "tls" {
        if req.port.is_none() {
            return Err(format!("`{u}`: a {scheme} connection needs a port"));
        }
        if scheme == "tls" {
            req.sni = Some(host.to_string());
        }
        req.protocol = scheme;
        return Ok(());
    }
    req.protocol = "http".into();
    req.scheme = Some(scheme);
    req.path = if path.starts_with('?') { format!("/{path}") } else { path.to_string() };
    Ok(())
}

pub fn run(a: SimulateArgs) -> u8 {
    let (urls, paths): (Vec<&String>, Vec<&String>) = a.args.iter().partition(|s| s.contains("://"));
    if urls.len() > 1 {
        return fail("give one URL");
    }
    let file = match &a.request {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(text) => Some((p.display().to_string(), text)),
            Err(e) => return fail(format!("{}: cannot read: {e}", p.display())),
        },
        None => None,
    };
    let file = file.as_ref().map(|(name, text)| (name.as_str(), text.as_str()));
    let req = match build_request(&a, file, urls.first().map(|s| s.as_str())) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mesh = match crate::mesh::MeshConfig::from_flags(a.mesh_config.as_deref(), &a.istiod_env) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let options = LintOptions { default_namespace: a.namespace.clone(), mesh, ..LintOptions::default() };
    let paths: Vec<PathBuf> =
        if paths.is_empty() { vec![".".into()] } else { paths.iter().map(PathBuf::from).collect() };
    let loaded = match Inputs::read(&paths, &options.config) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    super::warn_left_out(&loaded);
    let cx = loaded.context(&options);
    let outcome = simulate(&cx, &req);
    let text = match a.format {
        SimFormat::Json => {
            let mut v = serde_json::to_value(&outcome).unwrap_or_default();
            v["version"] = 1.into();
            v["request"] = serde_json::to_value(&req).unwrap_or_default();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        SimFormat::Human => human(&req, &outcome),
    };
    print!("{text}");
    exit::OK
}

/// The connection or request as a URL, with the port when it is not the scheme's default (or
/// when the Host header names another port than the one connected to).
fn target(req: &Request) -> String {
    let port = req.port();
    let (scheme, default_port) = match req.protocol.as_str() {
        "tcp" | "tls" => (req.protocol.as_str(), None),
        _ => (req.scheme(), Some(if req.scheme() == "https" { 443 } else { 80 })),
    };
    let host =
        if req.host.is_empty() { req.destination_address.as_deref().unwrap_or_default() } else { req.host.as_str() };
    let named = host.get(strip_port(host).len() + 1..).and_then(|p| p.parse::<u32>().ok());
    let (authority, connected) = match named {
        Some(p) if p != port => (host.to_string(), format!(" (connected to port {port})")),
        None if default_port != Some(port) => (format!("{host}:{port}"), String::new()),
        _ => (host.to_string(), String::new()),
    };
    match req.protocol.as_str() {
        "tcp" | "tls" => {
            let mut t = format!("{scheme}://{authority}{connected}");
            if let Some(sni) = req.sni.as_deref().filter(|s| *s != strip_port(host)) {
                t.push_str(&format!(" (SNI {sni})"));
            }
            if let Some(addr) = req.destination_address.as_ref().filter(|a| strip_port(host) != a.as_str()) {
                t.push_str(&format!(" to address {addr}"));
            }
            t
        }
        _ => format!("{} {scheme}://{authority}{}{connected}", req.method, req.path),
    }
}

/// The readable trace.
pub fn human(req: &Request, o: &Outcome) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let what = if matches!(req.protocol.as_str(), "tcp" | "tls") { "connection" } else { "request" };
    let _ = writeln!(s, "{what:<9} {} via {}", target(req), o.proxy);
    if let Some(l) = &o.listener {
        let _ = writeln!(s, "listener  {} ({}, {})", l.name, l.bound, l.protocol);
        if let Some(from) = &l.protocol_from {
            let _ = writeln!(s, "protocol  {from}");
        }
        if let Some(c) = &l.filter_chain {
            let _ = writeln!(s, "chain     {c} ({})", l.chain_match.as_deref().unwrap_or_default());
        }
    }
    match (&o.gateway, &o.gateway_listener) {
        (Some(g), Some(l)) => {
            let _ = writeln!(s, "gateway   {g} listener {l} (Gateway API)");
        }
        (Some(g), None) => {
            let _ = writeln!(s, "gateway   {g}");
        }
        _ => {}
    }
    if let Some(rc) = &o.route_config {
        let _ = writeln!(s, "route     config {rc}");
    }
    if let Some(vh) = &o.virtual_host {
        let _ = writeln!(s, "vhost     {vh}");
    }
    for t in &o.trace {
        let who = match (t.virtual_service.as_ref().or(t.route.as_ref()), t.rule_kind, t.rule_index) {
            (Some(vs), Some(kind), Some(r)) => match t.match_index {
                Some(m) => format!("{vs} {kind}[{r}] {}[{m}]: ", kind.matches_field()),
                None => format!("{vs} {kind}[{r}]: "),
            },
            _ => String::new(),
        };
        let _ = writeln!(s, "  {:<11} {who}{}", t.result, t.detail);
    }
    let _ = write!(s, "outcome   {}", serde_json::to_value(o.outcome).unwrap_or_default().as_str().unwrap_or(""));
    if let Some(st) = o.status {
        let _ = write!(s, " {st}");
    }
    if let Some(f) = &o.response_flags {
        let _ = write!(s, " ({f})");
    }
    s.push('\n');
    let holder = if o.rule_kind == Some(RuleKind::Rules) { o.route.as_ref() } else { o.virtual_service.as_ref() };
    if let (Some(vs), Some(kind), Some(r)) = (holder, o.rule_kind, o.rule_index) {
        let m = o.match_index.map(|m| format!(" {}[{m}]", kind.matches_field())).unwrap_or_default();
        let delegate = match (&o.delegate, o.delegate_rule_index) {
            (Some(d), Some(dr)) => format!(" → delegate {d} http[{dr}]"),
            _ => String::new(),
        };
        let _ = writeln!(s, "winner    {vs} {kind}[{r}]{m}{delegate}");
    }
    for d in &o.destinations {
        let miss = match &d.missing {
            Some(m) if o.outcome == OutcomeKind::TcpForward => {
                format!("  (no such cluster, the connection is closed: {m})")
            }
            Some(m) if o.route.as_deref().is_some_and(|r| !r.starts_with("VirtualService/")) => {
                format!("  (500: {m})")
            }
            Some(m) => format!("  (503 NC: {m})"),
            None => String::new(),
        };
        let shown = if d.cluster.is_empty() { "(no cluster)" } else { d.cluster.as_str() };
        let _ = writeln!(s, "  -> {shown} {}%{miss}", d.weight);
        if !d.request_headers.is_empty() {
            let _ = writeln!(s, "     request headers {}", header_ops(&d.request_headers));
        }
    }
    if !o.response_headers.is_empty() {
        let _ = writeln!(s, "response  headers {}", header_ops(&o.response_headers));
    }
    if let Some(c) = &o.cluster {
        let _ = writeln!(s, "  -> {c}");
    }
    if let Some(l) = &o.location {
        let _ = writeln!(s, "location  {l}");
    }
    if let Some(b) = &o.body {
        let _ = writeln!(s, "body      {b}");
    }
    if let Some(m) = &o.mtls {
        let ok = if m.ok { "ok" } else { "fails" };
        let _ = writeln!(s, "mtls      client {}, server {}: {ok}", m.client, m.server);
    }
    if let Some(a) = &o.authz {
        let by = match (&a.policy, a.rule) {
            (Some(p), Some(r)) => format!(" by {p} rule {r}"),
            (Some(p), None) => format!(" by {p}"),
            (None, _) => String::new(),
        };
        let _ = writeln!(s, "authz     {}{by} at {}", a.decision, a.at);
        for w in &a.workloads {
            let by = w.policy.as_ref().map(|p| format!(" by {p}")).unwrap_or_default();
            let _ = writeln!(s, "  {:<11} {}{by} at {}", "workload", w.decision, w.workload);
        }
    }
    if let Some(rw) = &o.rewrite {
        let parts: Vec<String> = [("path", &rw.path), ("host", &rw.host)]
            .into_iter()
            .filter_map(|(what, v)| Some(format!("{what} to {}", v.as_ref()?)))
            .collect();
        if !parts.is_empty() {
            let _ = writeln!(s, "rewrite   {}", parts.join(", "));
        }
    }
    if let Some(t) = &o.timeout {
        let _ = writeln!(s, "timeout   {t}");
    }
    if let Some(f) = &o.fault {
        let mut parts = Vec::new();
        if let Some(d) = &f.delay {
            parts.push(format!("delay {d} on {}% of requests", f.delay_percent));
        }
        if let Some(st) = f.abort_status {
            parts.push(format!("abort with {st} on {}% of requests", f.abort_percent));
        }
        if !parts.is_empty() {
            let _ = writeln!(s, "fault     {}", parts.join(", "));
        }
    }
    for m in &o.mirrors {
        let subset = if m.subset.is_empty() { String::new() } else { format!(" subset {}", m.subset) };
        let _ = writeln!(s, "mirror    {}:{}{subset}, {}% of requests", m.host, m.port, m.percentage);
    }
    s
}
