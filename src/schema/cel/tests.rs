//! The interpreter against the rules upstream's CRDs carry, and its libraries.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value as Json, json};

use super::{Program, Value};

/// Every `x-kubernetes-validations` rule in `schemas/*/*.json`, with the files it appears in.
fn upstream_rules() -> BTreeMap<String, Vec<String>> {
    fn walk(v: &Json, file: &str, out: &mut BTreeMap<String, Vec<String>>) {
        match v {
            Json::Object(o) => {
                if let Some(Json::Array(rules)) = o.get("x-kubernetes-validations") {
                    for r in rules {
                        if let Some(rule) = r.get("rule").and_then(Json::as_str) {
                            out.entry(rule.to_string()).or_default().push(file.to_string());
                        }
                    }
                }
                o.values().for_each(|v| walk(v, file, out));
            }
            Json::Array(a) => a.iter().for_each(|v| walk(v, file, out)),
            _ => {}
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut out = BTreeMap::new();
    for source in std::fs::read_dir(&root).expect("schemas/ is readable") {
        let dir = source.expect("a directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("a schema directory is readable") {
            let path = file.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).expect("a schema file is readable");
                let json: Json = serde_json::from_str(&text).expect("a schema file is JSON");
                let name = path.strip_prefix(&root).unwrap_or(&path).display().to_string();
                walk(&json, &name, &mut out);
            }
        }
    }
    out
}

#[test]
fn programs_are_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Program>();
    shareable::<Value>();
}

#[test]
fn every_upstream_rule_compiles() {
    let rules = upstream_rules();
    let occurrences: usize = rules.values().map(Vec::len).sum();
    assert!(
        rules.len() >= 150 && occurrences >= 900,
        "expected the vendored CRDs' rules, found {} distinct in {occurrences} places",
        rules.len()
    );
    let failures: Vec<String> = rules
        .iter()
        .filter_map(|(rule, files)| {
            Program::compile(rule).err().map(|e| format!("{rule:?} (in {}): {}", files[0], e.message))
        })
        .collect();
    assert!(failures.is_empty(), "rules that do not compile:\n{}", failures.join("\n"));
}

/// What a rule gives for a `self`.
#[derive(Debug)]
enum Want {
    Pass,
    Fail,
    /// An error whose message contains this.
    Error(&'static str),
}

fn eval(rule: &str, this: &Json, old: Option<&Json>) -> Result<Value, String> {
    let program = Program::compile(rule).map_err(|e| format!("compile error: {}", e.message))?;
    program.eval(this, old).map_err(|e| e.message)
}

fn check(rule: &str, this: Json, want: Want) {
    check_transition(rule, this, None, want);
}

fn check_transition(rule: &str, this: Json, old: Option<Json>, want: Want) {
    let got = eval(rule, &this, old.as_ref());
    let ok = match (&want, &got) {
        (Want::Pass, Ok(v)) => v.as_bool() == Some(true),
        (Want::Fail, Ok(v)) => v.as_bool() == Some(false),
        (Want::Error(part), Err(message)) => message.contains(part),
        _ => false,
    };
    assert!(ok, "{rule}\n  self = {this}\n  want {want:?}, got {got:?}");
}

#[test]
fn duration_rules() {
    let rule = "duration(self) >= duration('1ms')";
    check(rule, json!("1ms"), Want::Pass);
    check(rule, json!("1.5h"), Want::Pass);
    check(rule, json!("1h2m3s"), Want::Pass);
    check(rule, json!("0.5ms"), Want::Fail);
    check(rule, json!("999us"), Want::Fail);
    check(rule, json!("999µs"), Want::Fail);
    check(rule, json!("0"), Want::Fail);
    check(rule, json!("-1s"), Want::Fail);
    check(rule, json!("abc"), Want::Error("invalid duration"));
    check(rule, json!("1"), Want::Error("missing unit"));
    check(rule, json!("1d"), Want::Error("unknown unit"));
    check(rule, json!(5), Want::Error("no such overload"));

    let rule = "!(duration(self) < duration('1s') || duration(self) > duration('1h'))";
    check(rule, json!("1s"), Want::Pass);
    check(rule, json!("60m"), Want::Pass);
    check(rule, json!("61m"), Want::Fail);
    check(rule, json!("999ms"), Want::Fail);

    let rule = "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))";
    check(rule, json!({"request": "10s", "backendRequest": "5s"}), Want::Pass);
    check(rule, json!({"request": "0s", "backendRequest": "5s"}), Want::Pass);
    check(rule, json!({"backendRequest": "5s"}), Want::Pass);
    check(rule, json!({"request": "1s", "backendRequest": "5s"}), Want::Fail);
}

#[test]
fn a_literal_duration_is_checked_at_compile_time() {
    let err = Program::compile("duration(self) > duration('1 hour')").unwrap_err();
    assert!(err.message.contains("invalid duration"), "{}", err.message);
}

#[test]
fn port_range() {
    let rule = "0 < self && self <= 65535";
    check(rule, json!(1), Want::Pass);
    check(rule, json!(65535), Want::Pass);
    check(rule, json!(0), Want::Fail);
    check(rule, json!(65536), Want::Fail);
    check(rule, json!(-1), Want::Fail);
    // A string has no ordering against an int: the left error stands unless the right
    // side decides.
    check(rule, json!("80"), Want::Error("no such overload"));

    let rule = "self.all(key, 0 < int(key) && int(key) <= 65535)";
    check(rule, json!({"80": {}, "443": {}}), Want::Pass);
    check(rule, json!({"0": {}}), Want::Fail);
    check(rule, json!({"http": {}}), Want::Error("cannot convert"));
}

#[test]
fn logical_operators_absorb_errors_commutatively() {
    // `self.missing` is `no such key`; a deciding side wins over it, on either side.
    let t = json!({"a": 1});
    check("self.missing == 1 && false", t.clone(), Want::Fail);
    check("false && self.missing == 1", t.clone(), Want::Fail);
    check("self.missing == 1 || true", t.clone(), Want::Pass);
    check("true || self.missing == 1", t.clone(), Want::Pass);
    check("self.missing == 1 && true", t.clone(), Want::Error("no such key: missing"));
    check("true && self.missing == 1", t.clone(), Want::Error("no such key: missing"));
    check("self.missing == 1 || false", t.clone(), Want::Error("no such key: missing"));
    // Of two errors, the left one is reported.
    check("self.x == 1 || self.y == 1", t.clone(), Want::Error("no such key: x"));
    // A non-boolean operand is no such overload unless the other side decides.
    check("1 || true", t.clone(), Want::Pass);
    check("1 && true", t.clone(), Want::Error("no such overload"));
    // The ternary propagates an error in its condition and evaluates only one branch.
    check("self.missing ? true : false", t.clone(), Want::Error("no such key"));
    check("self.a == 1 ? true : self.missing", t.clone(), Want::Pass);
    check("self.a == 2 ? self.missing : false", t.clone(), Want::Fail);
    // all() and exists() absorb an element's error when another element decides.
    let list = json!([{"x": 1}, {"y": 2}]);
    check("self.all(e, e.x == 2)", list.clone(), Want::Fail);
    check("self.all(e, e.x == 1)", list.clone(), Want::Error("no such key: x"));
    check("self.exists(e, e.x == 1)", list.clone(), Want::Pass);
    check("self.exists(e, e.x == 2)", list.clone(), Want::Error("no such key: x"));
    check("self.exists_one(e, e.x == 1)", list, Want::Error("no such key: x"));
}

#[test]
fn field_presence_and_absent_fields() {
    check("has(self.a)", json!({"a": 1}), Want::Pass);
    check("has(self.a)", json!({"b": 1}), Want::Fail);
    check("has(self.a.b)", json!({"a": {"b": null}}), Want::Pass);
    check("has(self.a.b)", json!({}), Want::Error("no such key: a"));
    check("self.a == 1", json!({}), Want::Error("no such key: a"));
    check("self['a'] == 1", json!({"a": 1}), Want::Pass);
    check("self['a'] == 1", json!({}), Want::Error("no such key: a"));
    check("has(self.a)", json!([1]), Want::Error("invalid type"));
}

#[test]
fn escaped_property_names() {
    // escaping.go: reserved words are `__{word}__`; `.`, `-`, `/` and `__` have escapes.
    let rule = "has(self.__namespace__) && self.__namespace__ == 'ns'";
    check(rule, json!({"namespace": "ns"}), Want::Pass);
    check(rule, json!({"namespace": "other"}), Want::Fail);
    check(rule, json!({}), Want::Fail);
    check("self.a__dot__b == 1", json!({"a.b": 1}), Want::Pass);
    check("self.a__dash__b == 1", json!({"a-b": 1}), Want::Pass);
    check("self.a__slash__b == 1", json!({"a/b": 1}), Want::Pass);
    check("self.a__underscores__b == 1", json!({"a__b": 1}), Want::Pass);
    check("self.__if__ == 1", json!({"if": 1}), Want::Pass);
    check("self.x__if__ == 1", json!({"x__if__": 1}), Want::Pass);
    // A reserved word is not an identifier.
    assert!(Program::compile("namespace == 1").is_err());
}

#[test]
fn gateway_parent_refs_are_unique() {
    let rule = "self.all(p1, self.exists_one(p2, p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && (((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || (has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ )) && (((!has(p1.sectionName) || p1.sectionName == '') && (!has(p2.sectionName) || p2.sectionName == '')) || (has(p1.sectionName) && has(p2.sectionName) && p1.sectionName == p2.sectionName))))";
    let gw = |name: &str, ns: Option<&str>, section: Option<&str>| {
        let mut o = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": name});
        if let Some(ns) = ns {
            o["namespace"] = json!(ns);
        }
        if let Some(s) = section {
            o["sectionName"] = json!(s);
        }
        o
    };
    check(rule, json!([gw("a", None, None), gw("b", None, None)]), Want::Pass);
    check(rule, json!([gw("a", Some("x"), None), gw("a", Some("y"), None)]), Want::Pass);
    check(rule, json!([gw("a", None, Some("http")), gw("a", None, Some("https"))]), Want::Pass);
    check(rule, json!([gw("a", None, None), gw("a", None, None)]), Want::Fail);
    check(rule, json!([gw("a", Some(""), None), gw("a", None, None)]), Want::Fail);
    check(rule, json!([gw("a", Some("x"), Some("s")), gw("a", Some("x"), Some("s"))]), Want::Fail);
    check(rule, json!([]), Want::Pass);

    let combos = "self.all(p1, self.all(p2, p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && (((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || (has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ )) ? ((!has(p1.sectionName) || p1.sectionName == '') == (!has(p2.sectionName) || p2.sectionName == '')) : true))";
    check(combos, json!([gw("a", None, Some("x")), gw("a", None, Some("y"))]), Want::Pass);
    check(combos, json!([gw("a", None, Some("x")), gw("a", None, None)]), Want::Fail);
}

#[test]
fn gateway_listener_rules() {
    let rule = "self.all(l1, !has(l1.port) || self.exists_one(l2, has(l2.port) && l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))";
    let l = |port: i64, proto: &str, host: Option<&str>| {
        let mut o = json!({"name": format!("{proto}-{port}"), "port": port, "protocol": proto});
        if let Some(h) = host {
            o["hostname"] = json!(h);
        }
        o
    };
    check(rule, json!([l(80, "HTTP", None), l(443, "HTTPS", None)]), Want::Pass);
    check(rule, json!([l(80, "HTTP", Some("a")), l(80, "HTTP", Some("b"))]), Want::Pass);
    check(rule, json!([l(80, "HTTP", None), l(80, "HTTP", None)]), Want::Fail);

    let rule = "self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)";
    check(rule, json!([{"protocol": "HTTP"}, {"protocol": "HTTPS", "tls": {}}]), Want::Pass);
    check(rule, json!([{"protocol": "TCP", "tls": {}}]), Want::Fail);

    let rule = "self.filter(f, f.type == 'CORS').size() <= 1";
    check(rule, json!([{"type": "CORS"}, {"type": "URLRewrite"}]), Want::Pass);
    check(rule, json!([{"type": "CORS"}, {"type": "CORS"}]), Want::Fail);

    let rule = "(self.size() > 0 ? self[0].matches.size() : 0) + (self.size() > 1 ? self[1].matches.size() : 0) <= 1";
    check(rule, json!([{"matches": [1]}]), Want::Pass);
    check(rule, json!([{"matches": [1]}, {"matches": [2]}]), Want::Fail);
    check(rule, json!([]), Want::Pass);

    let rule = "(self.type in ['Exact','PathPrefix']) ? self.value.matches(r\"\"\"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$\"\"\") : true";
    check(rule, json!({"type": "Exact", "value": "/foo%20bar"}), Want::Pass);
    check(rule, json!({"type": "Exact", "value": "/foo bar"}), Want::Fail);
    check(rule, json!({"type": "RegularExpression", "value": "/foo bar"}), Want::Pass);

    let rule = "self.type == 'Hostname' ? self.value.matches(r\"\"\"^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$\"\"\"): true";
    check(rule, json!({"type": "Hostname", "value": "*.example.com"}), Want::Pass);
    check(rule, json!({"type": "Hostname", "value": "Example.com"}), Want::Fail);

    let rule = "self.all(h, h.contains('*') ? (h.startsWith('*.') && h.substring(2).matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$')) : true)";
    check(rule, json!(["*.example.com", "foo.bar"]), Want::Pass);
    check(rule, json!(["*example.com"]), Want::Fail);
    check(rule, json!(["*.Example.com"]), Want::Fail);
}

#[test]
fn gateway_kind_rules() {
    let rule = "size(self) == 0 || self == 'Cluster' || (self.matches('^.*/.+$') && !format.dns1123Subdomain().validate(self.split('/')[0]).hasValue() && self.split('/')[0] != 'k8s.io' && !self.split('/')[0].endsWith('.k8s.io'))";
    check(rule, json!(""), Want::Pass);
    check(rule, json!("Cluster"), Want::Pass);
    check(rule, json!("example.com/Thing"), Want::Pass);
    check(rule, json!("Example.com/Thing"), Want::Fail);
    check(rule, json!("k8s.io/Thing"), Want::Fail);
    check(rule, json!("x.k8s.io/Thing"), Want::Fail);
    check(rule, json!("Thing"), Want::Fail);

    let rule = "self.all(key, !format.qualifiedName().validate(key).hasValue())";
    check(rule, json!({"example.com/name": 1, "simple": 2}), Want::Pass);
    check(rule, json!({"-bad": 1}), Want::Fail);
    check(rule, json!({"a/b/c": 1}), Want::Fail);

    let rule = "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true";
    check(rule, json!({"group": "", "kind": "Service", "port": 80}), Want::Pass);
    check(rule, json!({"group": "", "kind": "Service"}), Want::Fail);
    check(rule, json!({"group": "x", "kind": "Service"}), Want::Pass);
}

#[test]
fn istio_service_entry_rules() {
    let rule = "!((has(self.addresses) ? self.addresses : []).exists(k, k.contains(\"/\")) && !((has(self.resolution) ? self.resolution : \"NONE\") in [\"STATIC\", \"NONE\"]))";
    check(rule, json!({"addresses": ["10.0.0.0/8"], "resolution": "STATIC"}), Want::Pass);
    check(rule, json!({"addresses": ["10.0.0.0/8"]}), Want::Pass);
    check(rule, json!({"addresses": ["10.0.0.0/8"], "resolution": "DNS"}), Want::Fail);
    check(rule, json!({"addresses": ["10.0.0.1"], "resolution": "DNS"}), Want::Pass);
    check(rule, json!({"resolution": "DNS"}), Want::Pass);

    let rule = "((has(self.resolution) ? self.resolution : \"\") == \"DNS_ROUND_ROBIN\") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true";
    check(rule, json!({"resolution": "DNS_ROUND_ROBIN", "endpoints": [{}]}), Want::Pass);
    check(rule, json!({"resolution": "DNS_ROUND_ROBIN", "endpoints": [{}, {}]}), Want::Fail);
    check(rule, json!({"resolution": "DNS", "endpoints": [{}, {}]}), Want::Pass);

    let rule = "((has(self.resolution) ? self.resolution : \"NONE\") == \"NONE\") ? !has(self.endpoints) : true";
    check(rule, json!({}), Want::Pass);
    check(rule, json!({"endpoints": []}), Want::Fail);

    let rule = "(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1";
    check(rule, json!({"endpoints": []}), Want::Pass);
    check(rule, json!({"endpoints": [], "workloadSelector": {}}), Want::Fail);

    let rule = "self.all(l1, self.exists_one(l2, l1.number == l2.number))";
    check(rule, json!([{"number": 80}, {"number": 443}]), Want::Pass);
    check(rule, json!([{"number": 80}, {"number": 80}]), Want::Fail);

    let rule = "self.all(h, !isIP(h))";
    check(rule, json!(["example.com", "*.foo"]), Want::Pass);
    check(rule, json!(["example.com", "10.0.0.1"]), Want::Fail);
    check(rule, json!(["::1"]), Want::Fail);

    let rule = "(has(self.address) ? self.address : \"\").startsWith(\"unix://\") ? !has(self.ports) : true";
    check(rule, json!({"address": "unix:///sock"}), Want::Pass);
    check(rule, json!({"address": "unix:///sock", "ports": {}}), Want::Fail);
    check(rule, json!({"ports": {}}), Want::Pass);

    let rule = "self.startsWith(\"unix://\") ? (self.substring(7, 8) == \"/\" || self.substring(7, 8) == \"@\") : true";
    check(rule, json!("unix:///a"), Want::Pass);
    check(rule, json!("unix://@abstract"), Want::Pass);
    check(rule, json!("unix://a"), Want::Fail);
    check(rule, json!("unix://"), Want::Error("index out of range: 8"));
    check(rule, json!("1.2.3.4"), Want::Pass);
}

#[test]
fn istio_map_and_key_rules() {
    let rule = "self.all(key, size(key) < 63 && key.matches(\"^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$\"))";
    check(rule, json!({"app": "x", "v-1": "y"}), Want::Pass);
    check(rule, json!({"-app": "x"}), Want::Fail);

    let rule = "self.all(key, key.split(\"/\")[0].size() < 253)";
    check(rule, json!({"a/b": 1}), Want::Pass);

    let rule = "has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true";
    check(rule, json!({"portLevelMtls": {}, "selector": {"matchLabels": {"a": "b"}}}), Want::Pass);
    check(rule, json!({"portLevelMtls": {}}), Want::Fail);
    check(rule, json!({}), Want::Pass);

    let rule = "has(self.wasm) != has(self.lua)";
    check(rule, json!({"wasm": {}}), Want::Pass);
    check(rule, json!({"wasm": {}, "lua": {}}), Want::Fail);

    let rule = "(has(self.serviceAccounts) || has(self.notServiceAccounts)) ? (!has(self.principals) &&\n!has(self.notPrincipals) && !has(self.namespaces) && !has(self.notNamespaces)) : true";
    check(rule, json!({"serviceAccounts": ["a"]}), Want::Pass);
    check(rule, json!({"serviceAccounts": ["a"], "namespaces": ["b"]}), Want::Fail);

    let rule = "(!has(self.type) || self.type == 'Exact') && has(self.service) ? self.service.matches(r\"\"\"^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$\"\"\"): true";
    check(rule, json!({"service": "Foo.Bar"}), Want::Pass);
    check(rule, json!({"service": "foo..bar"}), Want::Fail);
    check(rule, json!({"type": "Prefix", "service": "foo..bar"}), Want::Pass);

    let rule = "self == oldSelf";
    check_transition(rule, json!("a"), Some(json!("a")), Want::Pass);
    check_transition(rule, json!("a"), Some(json!("b")), Want::Fail);
    check_transition(rule, json!({"x": [1]}), Some(json!({"x": [1]})), Want::Pass);
    check(rule, json!("a"), Want::Error("oldSelf"));
    assert!(Program::compile(rule).unwrap().uses_old_self());
    assert!(!Program::compile("self == 1").unwrap().uses_old_self());
    assert!(!Program::compile("[1].all(oldSelf, oldSelf > 0)").unwrap().uses_old_self());
}

#[test]
fn istio_url_rules() {
    let rule = "isURL(self) ? (url(self).getScheme() in [\"\", \"http\", \"https\", \"file\", \"oci\"]) : (isURL(\"http://\" + self) &&\nurl(\"http://\" + self).getScheme() in [\"\", \"http\", \"https\", \"file\", \"oci\"])";
    check(rule, json!("https://example.com/filter.wasm"), Want::Pass);
    check(rule, json!("oci://registry/image:tag"), Want::Pass);
    check(rule, json!("file:///opt/filter.wasm"), Want::Pass);
    check(rule, json!("/opt/filter.wasm"), Want::Pass);
    check(rule, json!("registry.example.com/image:tag"), Want::Pass);
    check(rule, json!("ftp://example.com/x"), Want::Fail);
    check(rule, json!("a b"), Want::Fail);

    let rule = "url(self).getScheme() in [\"http\", \"https\"]";
    check(rule, json!("http://collector:4317"), Want::Pass);
    check(rule, json!("grpc://collector:4317"), Want::Fail);
    check(rule, json!("collector:4317"), Want::Fail);
    check(rule, json!("collector"), Want::Error("URL parse error"));
}

#[test]
fn url_library() {
    let cases: &[(&str, Json)] = &[
        ("url('https://user:pass@example.com:80/path?query=val#fragment').getHost()", json!("example.com:80")),
        ("url('https://example.com:80/').getHostname()", json!("example.com")),
        ("url('https://[::1]:80/').getHostname()", json!("::1")),
        ("url('https://[::1]:80/').getHost()", json!("[::1]:80")),
        ("url('https://example.com:80/').getPort()", json!("80")),
        ("url('https://example.com/').getPort()", json!("")),
        ("url('/path').getScheme()", json!("")),
        ("url('/path').getHost()", json!("")),
        ("url('HTTPS://example.com/').getScheme()", json!("https")),
        ("url('https://example.com/path with spaces/').getEscapedPath()", json!("/path%20with%20spaces/")),
        ("url('https://example.com/a%2Fb').getEscapedPath()", json!("/a%2Fb")),
        ("url('https://example.com').getEscapedPath()", json!("")),
        ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", json!({"k1": ["a"], "k2": ["b", "c"]})),
        ("url('https://example.com/path?key with spaces=value+x').getQuery()", json!({"key with spaces": ["value x"]})),
        ("url('https://example.com/path').getQuery()", json!({})),
        ("isURL('https://a:b:c/')", json!(false)),
        ("isURL('../relative-path')", json!(false)),
        ("isURL('/absolute-path')", json!(true)),
        ("isURL('')", json!(false)),
        ("isURL('http://exa mple.com')", json!(false)),
        ("isURL('http://[1.2.3.4]/')", json!(false)),
        ("isURL('http://%41.com/')", json!(false)),
        ("isURL('http://example.com/%zz')", json!(false)),
        ("isURL('mailto:someone')", json!(true)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
}

#[test]
fn ip_and_cidr_libraries() {
    let cases: &[(&str, Json)] = &[
        ("isIP('1.2.3.4')", json!(true)),
        ("isIP('01.2.3.4')", json!(false)),
        ("isIP('1.2.3')", json!(false)),
        ("isIP('fe80::1%eth0')", json!(false)),
        ("isIP('::ffff:1.2.3.4')", json!(false)),
        ("isIP('2001:db8::1')", json!(true)),
        ("ip('1.2.3.4').family()", json!(4)),
        ("ip('::1').family()", json!(6)),
        ("ip('127.0.0.1').isLoopback()", json!(true)),
        ("ip('0.0.0.0').isUnspecified()", json!(true)),
        ("ip('169.254.1.1').isLinkLocalUnicast()", json!(true)),
        ("ip('224.0.0.1').isLinkLocalMulticast()", json!(true)),
        ("ip('ff02::1').isLinkLocalMulticast()", json!(true)),
        ("ip('10.0.0.1').isGlobalUnicast()", json!(true)),
        ("ip('255.255.255.255').isGlobalUnicast()", json!(false)),
        ("ip.isCanonical('2001:db8::1')", json!(true)),
        ("ip.isCanonical('2001:DB8::1')", json!(false)),
        ("ip.isCanonical('2001:db8:0:0:0:0:0:1')", json!(false)),
        ("string(ip('2001:db8:0:0:0:0:0:1'))", json!("2001:db8::1")),
        ("ip('1.2.3.4') == ip('1.2.3.4')", json!(true)),
        ("isCIDR('10.0.0.0/8')", json!(true)),
        ("isCIDR('10.0.0.0/33')", json!(false)),
        ("isCIDR('10.0.0.0/08')", json!(false)),
        ("isCIDR('10.0.0.0')", json!(false)),
        ("cidr('10.0.0.0/8').containsIP(ip('10.1.2.3'))", json!(true)),
        ("cidr('10.0.0.0/8').containsIP('11.1.2.3')", json!(false)),
        ("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')", json!(true)),
        ("cidr('10.0.0.0/16').containsCIDR('10.0.0.0/8')", json!(false)),
        ("cidr('10.1.2.3/8').prefixLength()", json!(8)),
        ("string(cidr('10.1.2.3/8').masked())", json!("10.0.0.0/8")),
        ("string(cidr('10.1.2.3/8').ip())", json!("10.1.2.3")),
        ("cidr('2001:db8::/32').containsIP('2001:db8::1')", json!(true)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
}

#[test]
fn quantity_library() {
    let cases: &[(&str, Json)] = &[
        ("isQuantity('1.5Gi')", json!(true)),
        ("isQuantity('100m')", json!(true)),
        ("isQuantity('1e3')", json!(true)),
        ("isQuantity('1.5.5')", json!(false)),
        ("isQuantity('1Qi')", json!(false)),
        ("isQuantity('')", json!(false)),
        ("quantity('1Ki').asInteger()", json!(1024)),
        ("quantity('1k').asInteger()", json!(1000)),
        ("quantity('1e3').asInteger()", json!(1000)),
        ("quantity('1.5').isInteger()", json!(false)),
        ("quantity('100m').asApproximateFloat()", json!(0.1)),
        ("quantity('1Gi').isGreaterThan(quantity('1G'))", json!(true)),
        ("quantity('1000m').compareTo(quantity('1'))", json!(0)),
        ("quantity('1000m') == quantity('1')", json!(true)),
        ("quantity('1').add(quantity('500m')).asApproximateFloat()", json!(1.5)),
        ("quantity('1').sub(1).sign()", json!(0)),
        ("quantity('-1').sign()", json!(-1)),
        ("quantity('1n').isLessThan(quantity('1u'))", json!(true)),
        ("quantity('99999999999999999999999').asInteger()", json!(i64::MAX)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
    assert!(eval_json("quantity('1.5').asInteger()").is_err());
}

#[test]
fn format_library() {
    let cases: &[(&str, Json)] = &[
        ("format.dns1123Subdomain().validate('example.com').hasValue()", json!(false)),
        ("format.dns1123Subdomain().validate('Example.com').hasValue()", json!(true)),
        ("format.dns1123Label().validate('a.b').hasValue()", json!(true)),
        ("format.dns1123Label().validate('my-name').hasValue()", json!(false)),
        ("format.dns1123LabelPrefix().validate('my-name-').hasValue()", json!(false)),
        ("format.dns1035Label().validate('1abc').hasValue()", json!(true)),
        ("format.labelValue().validate('').hasValue()", json!(false)),
        ("format.labelValue().validate('a b').hasValue()", json!(true)),
        ("format.qualifiedName().validate('example.com/MyName').hasValue()", json!(false)),
        ("format.qualifiedName().validate('/MyName').value()", json!(["prefix part must be non-empty"])),
        ("format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", json!(false)),
        ("format.uuid().validate('123').hasValue()", json!(true)),
        ("format.byte().validate('aGVsbG8=').hasValue()", json!(false)),
        ("format.byte().validate('aGVsbG8').hasValue()", json!(true)),
        ("format.date().validate('2021-01-01').hasValue()", json!(false)),
        ("format.date().validate('2021-02-30').hasValue()", json!(true)),
        ("format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", json!(false)),
        ("format.datetime().validate('2021-01-01').hasValue()", json!(true)),
        ("format.uri().validate('http://example.com').hasValue()", json!(false)),
        ("format.named('dns1123Label').hasValue()", json!(true)),
        ("format.named('nope').hasValue()", json!(false)),
        (
            "format.dns1123Label().validate('A').value()",
            json!([
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ]),
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
}

#[test]
fn strings_extension() {
    let cases: &[(&str, Json)] = &[
        ("'hello'.charAt(1)", json!("e")),
        ("'hello'.charAt(5)", json!("")),
        ("'hello'.indexOf('l')", json!(2)),
        ("'hello'.indexOf('l', 3)", json!(3)),
        ("'hello'.indexOf('')", json!(0)),
        ("'hello'.indexOf('x')", json!(-1)),
        ("'hello'.lastIndexOf('l')", json!(3)),
        ("'hello'.lastIndexOf('l', 2)", json!(2)),
        ("'héllo'.indexOf('l')", json!(2)),
        ("'Hello'.lowerAscii()", json!("hello")),
        ("'Hello'.upperAscii()", json!("HELLO")),
        ("'aaa'.replace('a', 'b')", json!("bbb")),
        ("'aaa'.replace('a', 'b', 2)", json!("bba")),
        ("'a,b,c'.split(',')", json!(["a", "b", "c"])),
        ("'a,b,c'.split(',', 2)", json!(["a", "b,c"])),
        ("'a,b,c'.split(',', 0)", json!([])),
        ("'abc'.split('')", json!(["a", "b", "c"])),
        ("'hello'.substring(1)", json!("ello")),
        ("'hello'.substring(1, 3)", json!("el")),
        ("'  x  '.trim()", json!("x")),
        ("['a', 'b'].join()", json!("ab")),
        ("['a', 'b'].join('-')", json!("a-b")),
        ("strings.quote('a\"b')", json!("\"a\\\"b\"")),
        ("'%s is %d years, %.2f%%'.format(['x', 3, 1.5])", json!("x is 3 years, 1.50%")),
        ("'%x'.format([255])", json!("ff")),
        ("'%e'.format([1234.5])", json!("1.234500e+03")),
        ("size('héllo')", json!(5)),
        ("'héllo'.size()", json!(5)),
        ("size(b'h\\xffllo')", json!(5)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
    assert_eq!(eval_json("'hello'.substring(3, 1)"), Err("invalid substring range. start: 3, end: 1".to_string()));
    assert_eq!(eval_json("'hello'.charAt(6)"), Err("index out of range: 6".to_string()));
}

#[test]
fn lists_sets_and_regex_libraries() {
    let cases: &[(&str, Json)] = &[
        ("[1, 2, 3].isSorted()", json!(true)),
        ("[1, 3, 2].isSorted()", json!(false)),
        ("[1, 2, 3].sum()", json!(6)),
        ("[1.5, 2.5].sum()", json!(4.0)),
        ("[3, 1, 2].min()", json!(1)),
        ("['b', 'c', 'a'].max()", json!("c")),
        ("[1, 2, 1].indexOf(1)", json!(0)),
        ("[1, 2, 1].lastIndexOf(1)", json!(2)),
        ("sets.contains([1, 2, 3], [1, 3])", json!(true)),
        ("sets.equivalent([1, 2], [2, 1, 1])", json!(true)),
        ("sets.intersects([1, 2], [3])", json!(false)),
        ("'abc 123 def 456'.find('[0-9]+')", json!("123")),
        ("'abc 123 def 456'.findAll('[0-9]+')", json!(["123", "456"])),
        ("'abc 123 def 456'.findAll('[0-9]+', 1)", json!(["123"])),
        ("'x'.find('[0-9]+')", json!("")),
        // RE2's \d and \w are ASCII only.
        ("'٣'.matches('^\\\\d$')", json!(false)),
        ("'3'.matches('^\\\\d$')", json!(true)),
        ("'é'.matches('^\\\\w$')", json!(false)),
        ("'a b'.matches('a\\\\b')", json!(true)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
    assert_eq!(eval_json("[].min()"), Err("min called on empty list".to_string()));
    assert!(Program::compile("'a'.matches('(')").is_err(), "a literal regex is checked at compile time");
    assert!(eval("self.matches('(')", &json!("a"), None).is_err());
    assert!(eval("'(' .matches(self)", &json!("("), None).is_err());
}

#[test]
fn optionals() {
    let cases: &[(&str, Json)] = &[
        ("optional.of(1).hasValue()", json!(true)),
        ("optional.none().hasValue()", json!(false)),
        ("optional.none().orValue(2)", json!(2)),
        ("optional.of(1).orValue(2)", json!(1)),
        ("optional.ofNonZeroValue('').hasValue()", json!(false)),
        ("optional.none().or(optional.of(3)).value()", json!(3)),
        ("{'a': 1}.?a.value()", json!(1)),
        ("{'a': 1}.?b.hasValue()", json!(false)),
        ("{'a': {'b': 2}}.?a.b.value()", json!(2)),
        ("{'a': 1}[?'a'].value()", json!(1)),
        ("[1, 2][?5].hasValue()", json!(false)),
        ("[?optional.none(), ?optional.of(1), 2]", json!([1, 2])),
        ("{?'a': optional.none(), 'b': 1}", json!({"b": 1})),
        ("optional.of(2).optMap(x, x * 2).value()", json!(4)),
        ("optional.none().optMap(x, x * 2).hasValue()", json!(false)),
        ("optional.of(2).optFlatMap(x, optional.of(x + 1)).value()", json!(3)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
    assert_eq!(eval_json("optional.none().value()"), Err("optional.none() dereference".to_string()));
}

#[test]
fn durations_and_timestamps() {
    let cases: &[(&str, Json)] = &[
        ("duration('1h') == duration('60m')", json!(true)),
        ("duration('1h30m') > duration('1.4h')", json!(true)),
        ("duration('1s') + duration('500ms') == duration('1.5s')", json!(true)),
        ("string(duration('1.5s'))", json!("1.5s")),
        ("string(duration('1h'))", json!("3600s")),
        ("duration('-1.5h').getMinutes()", json!(-90)),
        ("duration('1500ms').getMilliseconds()", json!(1500)),
        ("int(duration('1s'))", json!(1_000_000_000)),
        ("timestamp('2023-01-02T03:04:05Z') < timestamp('2023-01-02T03:04:06Z')", json!(true)),
        ("string(timestamp('2023-01-02T03:04:05.120+01:00'))", json!("2023-01-02T02:04:05.12Z")),
        ("timestamp('2023-01-02T03:04:05Z') - timestamp('2023-01-02T03:04:00Z') == duration('5s')", json!(true)),
        ("string(timestamp('2023-12-31T23:59:59Z') + duration('1s'))", json!("2024-01-01T00:00:00Z")),
        ("int(timestamp('1970-01-01T00:01:00Z'))", json!(60)),
        ("timestamp('2024-03-01T12:00:00Z').getFullYear()", json!(2024)),
        ("timestamp('2024-03-01T12:00:00Z').getMonth()", json!(2)),
        ("timestamp('2024-03-01T12:00:00Z').getDayOfYear()", json!(60)),
        ("timestamp('2024-03-01T12:00:00Z').getDayOfWeek()", json!(5)),
        ("timestamp('2024-03-01T12:00:00Z').getHours('+02:00')", json!(14)),
        ("timestamp('2024-03-01T12:00:00Z').getDate()", json!(1)),
    ];
    for (expr, want) in cases {
        assert_eq!(eval_json(expr), Ok(want.clone()), "{expr}");
    }
    assert!(Program::compile("timestamp('2023-13-01T00:00:00Z')").is_err());
    assert!(eval("duration(self)", &json!("9999999999h"), None).is_err());
}

#[test]
fn unknown_functions_and_arities_do_not_compile() {
    for src in [
        "foo(self)",
        "self.foo()",
        "size()",
        "size(self, 1)",
        "self.startsWith()",
        "self.all(x)",
        "self.all(x.y, true)",
        "has(self)",
        "format.nope()",
        "undeclared == 1",
        "self.substring(1, 2, 3)",
        "duration('1s', 2)",
    ] {
        assert!(Program::compile(src).is_err(), "{src} should not compile");
    }
}

#[test]
fn syntax_errors_do_not_compile() {
    for src in [
        "",
        "(",
        ")",
        "1 +",
        "'unterminated",
        "\"a\nb\"",
        "1 = 1",
        "a.",
        "[1,,2]",
        "{1 2}",
        "9223372036854775808",
        "'\\q'",
        "0x",
        "self ? 1",
        "r'x",
        "'''x''",
        "@",
        "1 ? 2 : ",
    ] {
        assert!(Program::compile(src).is_err(), "{src:?} should not compile");
    }
    assert!(Program::compile("-9223372036854775808 == -9223372036854775807 - 1").is_ok());
}

#[test]
fn deep_nesting_is_a_compile_error_and_moderate_nesting_evaluates() {
    for src in [
        format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        "!".repeat(10_000) + "true",
        "-".repeat(10_000) + "x",
        format!("1{}", " + 1".repeat(10_000)),
        format!("self{}", ".a".repeat(10_000)),
        format!("{}0", "true ? 1 : ".repeat(10_000)),
        format!("{}1{}", "f(".repeat(10_000), ")".repeat(10_000)),
        format!("{}1{}", "{1: ".repeat(10_000), "}".repeat(10_000)),
        "[".repeat(200_000),
    ] {
        let err = Program::compile(&src).expect_err("too deep");
        assert!(err.message.contains("limit"), "{}…: {}", &src[..20], err.message);
    }
    // Nesting within the limit compiles and evaluates on a test thread's stack.
    let nested = format!("{}1{} == 1", "(".repeat(200), ")".repeat(200));
    assert_eq!(eval_json(&nested), Ok(json!(true)));
    let chain = format!("0{} == 200", " + 1".repeat(200));
    assert_eq!(eval_json(&chain), Ok(json!(true)));
    let lists = format!("{}1{}.size() == 1", "[".repeat(120), "]".repeat(120));
    assert_eq!(eval_json(&lists), Ok(json!(true)));
    let ands = vec!["true"; 5_000].join(" && ");
    assert!(Program::compile(&ands).is_err());
    let ands = vec!["true"; 200].join(" && ");
    assert_eq!(eval_json(&ands), Ok(json!(true)));
    let ternaries = format!("{}0", "false ? 1 : ".repeat(200));
    assert_eq!(eval_json(&ternaries), Ok(json!(0)));
    // A middle operand is a conditional-or, not a ternary (langdef.md's grammar).
    assert!(Program::compile("true ? true ? 1 : 2 : 3").is_err());
}

#[test]
fn arbitrary_input_does_not_panic() {
    // Every prefix and every single-byte mutation of the upstream rules: compile, and if that
    // succeeds, evaluate against a few documents — any result but a panic is fine.
    let docs = [json!({}), json!([]), json!("x"), json!(1), json!({"a": [1, {"b": "c"}]})];
    let rules = upstream_rules();
    let mut sources: Vec<String> = Vec::new();
    for rule in rules.keys().take(60) {
        let chars: Vec<char> = rule.chars().collect();
        for cut in (0..chars.len()).step_by(7) {
            sources.push(chars[..cut].iter().collect());
            let mut mutated = chars.clone();
            mutated[cut] = ['(', '"', '\\', '.', '[', '?', '\u{e9}'][cut % 7];
            sources.push(mutated.into_iter().collect());
        }
    }
    for src in &sources {
        if let Ok(p) = Program::compile(src) {
            for d in &docs {
                let _ = p.eval(d, Some(d));
            }
        }
    }
}

/// Evaluates a closed expression (with `self` = `{}`) and renders the result as JSON.
fn eval_json(expr: &str) -> Result<Json, String> {
    eval(expr, &json!({}), None).map(|v| to_json(&v))
}

/// A value as JSON, for comparisons in tests.
pub(super) fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Uint(u) => json!(u),
        Value::Double(d) => json!(d),
        Value::String(s) => json!(&**s),
        Value::List(l) => Json::Array(l.iter().map(to_json).collect()),
        Value::Map(m) => {
            Json::Object(m.iter().map(|(k, v)| (super::library::display(&k.to_value()), to_json(v))).collect())
        }
        other => json!(super::library::display(other)),
    }
}
