//! `meshctl test`: routing expectations run through the routing engine, like a test runner.

use super::{exit, fail, validator_cases};
use crate::lint::{Inputs, LintOptions};
use crate::routing::{Request, Simulator};
use crate::source::{Sources, parse_file};
use clap::{Args, ValueEnum};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// `ok` or `FAIL` per case, with the difference, then `N passed, N failed`.
    Plain,
    /// JUnit XML, for CI test reports.
    Junit,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Manifest files and directories (directories recursively: *.yaml, *.yml, *.json); `-` reads
    /// stdin. Default: `.`.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// An expectation file (YAML or JSON): `tests: [{name, request, expect}]`, or
    /// istio-config-validator's `testCases:`; repeatable (`--cases a.yaml --cases b.yaml`).
    #[arg(long, required = true, value_name = "FILE")]
    pub cases: Vec<PathBuf>,
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        visible_short_alias = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t = TestFormat::Plain
    )]
    pub format: TestFormat,
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

/// One expectation: a request as `simulate --request` reads it (plus `url` as a shorthand for
/// scheme, host, port and path), and any subset of `simulate -o json`'s fields.
struct Case {
    file: String,
    name: String,
    request: Result<Request, String>,
    expect: Expect,
}

/// What a case checks: any subset of the JSON answer (meshctl's own files), or an
/// istio-config-validator expectation.
enum Expect {
    Subset(Value),
    Validator(validator_cases::Expectation),
}

fn load_cases(path: &PathBuf) -> Result<Vec<Case>, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let mut s = Sources::default();
    let id = s.add(shown.clone(), text);
    let docs = parse_file(s.file(id));
    if docs.iter().all(|d| d.value.is_none()) {
        return Err(format!("{shown}: no test cases"));
    }
    let mut out = Vec::new();
    for doc in &docs {
        if let Some(p) = doc.problems.first() {
            let loc = s.location(p.span);
            return Err(format!("{shown}:{}:{}: {}", loc.line, loc.column, p.message));
        }
        let Some(value) = doc.value.as_ref() else { continue };
        if let Some((pointer, message)) = unknown_key(value) {
            let span = doc.node(&pointer).and_then(|n| n.key).unwrap_or_else(|| doc.span_of(&pointer));
            let loc = s.location(span);
            return Err(format!("{shown}:{}:{}: {message}", loc.line, loc.column));
        }
        if let Some(cases) = value.get("testCases").and_then(Value::as_array) {
            for (i, name, request, e) in validator_cases::unfold(cases) {
                let line = doc.node(&format!("/testCases/{i}")).map_or(0, |n| s.location(n.value).line);
                out.push(Case { file: format!("{shown}:{line}"), name, request, expect: Expect::Validator(e) });
            }
            continue;
        }
        let tests = value.get("tests").and_then(Value::as_array);
        let tests = tests.ok_or_else(|| {
            format!(
                "{shown}: expected `tests:` (meshctl) or `testCases:` (istio-config-validator) with a list of cases"
            )
        })?;
        out.extend(tests.iter().enumerate().map(|(i, t)| {
            let name = t.get("name").and_then(Value::as_str).map_or_else(|| format!("case {}", i + 1), str::to_string);
            let line = doc.node(&format!("/tests/{i}")).map_or(0, |n| s.location(n.value).line);
            Case {
                file: format!("{shown}:{line}"),
                name,
                request: request_of(t.get("request")),
                expect: Expect::Subset(t.get("expect").cloned().unwrap_or(Value::Null)),
            }
        }));
    }
    Ok(out)
}

/// The first key of a cases document that its format does not have, as (pointer, message):
/// meshctl's `tests: [{name, request, expect}]`, or istio-config-validator's `testCases:`, whose
/// own reader refuses unknown fields as well. (`request` of meshctl's cases is checked when it is
/// read, field by field.)
fn unknown_key(doc: &Value) -> Option<(String, String)> {
    use super::cases_schema::{CASE, VALIDATOR_CASE, VALIDATOR_REQUEST};
    let first_unknown = |v: &Value, allowed: &[&str], base: &str, what: &str| {
        let key = v.as_object()?.keys().find(|k| !allowed.contains(&k.as_str()))?;
        let near = allowed.iter().find(|a| strsim::levenshtein(a, key) <= 2);
        let hint =
            near.map_or_else(|| format!(" (it has {})", allowed.join(", ")), |n| format!("; did you mean `{n}`?"));
        Some((
            format!("{base}/{}", crate::source::escape_segment(key)),
            format!("`{key}` is not a field of {what}{hint}"),
        ))
    };
    if let Some(cases) = doc.get("testCases").and_then(Value::as_array) {
        return cases.iter().enumerate().find_map(|(i, c)| {
            let base = format!("/testCases/{i}");
            first_unknown(c, VALIDATOR_CASE, &base, "an istio-config-validator test case").or_else(|| {
                first_unknown(c.get("request")?, VALIDATOR_REQUEST, &format!("{base}/request"), "a validator request")
            })
        });
    }
    let tests = doc.get("tests")?.as_array()?;
    tests.iter().enumerate().find_map(|(i, t)| first_unknown(t, CASE, &format!("/tests/{i}"), "a test case"))
}

fn request_of(v: Option<&Value>) -> Result<Request, String> {
    let mut v = v.cloned().ok_or("no `request`")?;
    let url = v.as_object_mut().and_then(|m| m.remove("url"));
    let mut req: Request = serde::Deserialize::deserialize(&v).map_err(|e| format!("bad request: {e}"))?;
    if let Some(u) = url {
        let u = u.as_str().ok_or("`url` must be a string")?;
        let before = serde_json::to_value(&req).unwrap_or_default();
        super::simulate::apply_url(&mut req, u)?;
        let after = serde_json::to_value(&req).unwrap_or_default();
        if let Some((k, old, new)) = super::simulate::overridden(&v, &before, &after) {
            return Err(format!("`{k}: {old}` and `url: {u}` (which makes it {new}) disagree: give it in one place"));
        }
    }
    super::simulate::check_protocol(&mut req)?;
    super::simulate::check_security(&req)?;
    if req.host.is_empty() {
        return Err("the request has no host (give `host` or `url`)".into());
    }
    Ok(req)
}

/// Where `actual` differs from the expectation: `None` when every field of `expected` holds.
/// Objects match when every expected key matches; lists when they have the same length and match
/// item by item; numbers by value. `destination` (one object) holds when any destination matches.
fn mismatch(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), _) => e.iter().find_map(|(k, ev)| {
            if k == "destination" && path.is_empty() {
                let ds = actual.get("destinations").and_then(Value::as_array).cloned().unwrap_or_default();
                return (!ds.iter().any(|d| mismatch(ev, d, "").is_none()))
                    .then(|| format!("destination: expected one of {} to match {ev}", Value::Array(ds)));
            }
            let p = format!("{path}/{k}");
            match actual.get(k) {
                Some(av) => mismatch(ev, av, &p),
                None => Some(format!("{p}: expected {ev}, got nothing")),
            }
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(i, (ev, av))| mismatch(ev, av, &format!("{path}/{i}")))
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => None,
        (e, a) if e == a => None,
        (e, a) => Some(format!("{}: expected {e}, got {a}", if path.is_empty() { "/" } else { path })),
    }
}

pub fn run(a: TestArgs) -> u8 {
    let mesh = match crate::mesh::MeshConfig::from_flags(a.mesh_config.as_deref(), &a.istiod_env) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let options = LintOptions { default_namespace: a.namespace.clone(), mesh, ..LintOptions::default() };
    let paths = if a.paths.is_empty() { vec![PathBuf::from(".")] } else { a.paths.clone() };
    let inputs = match Inputs::read(&paths, &options.config) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    super::warn_left_out(&inputs);
    let mut cases = Vec::new();
    for f in &a.cases {
        match load_cases(f) {
            Ok(c) => cases.extend(c),
            Err(e) => return fail(e),
        }
    }
    let cx = inputs.context(&options);
    for c in &mut cases {
        if let (Expect::Validator(_), Ok(req)) = (&c.expect, &mut c.request) {
            validator_cases::choose_entry(&cx, req);
        }
    }
    let simulator = Simulator::new(&cx);
    let validator = validator_cases::Runner::new(&cx, &simulator);
    let results: Vec<(&Case, Option<String>)> = cases
        .iter()
        .map(|c| {
            let failure = match &c.request {
                Err(e) => Some(e.clone()),
                Ok(req) => {
                    // The explanation is built only for a case that expects on it.
                    let wants_trace = matches!(&c.expect, Expect::Subset(e) if e.get("trace").is_some());
                    let outcome = match &c.expect {
                        Expect::Validator(_) => validator.decide(req),
                        Expect::Subset(_) if wants_trace => simulator.run(req),
                        Expect::Subset(_) => simulator.decide(req),
                    };
                    let actual = serde_json::to_value(outcome).unwrap_or_default();
                    let failure = match &c.expect {
                        Expect::Subset(e) => mismatch(e, &actual, ""),
                        Expect::Validator(e) => validator_cases::check(&cx, e, &actual),
                    };
                    failure.map(|m| {
                        let shown = serde_json::to_string(&summary(&actual)).unwrap_or_default();
                        let mut f = format!("{m}\n      actual: {shown}");
                        if let Expect::Validator(_) = &c.expect {
                            for d in validator.dropped(req) {
                                f.push_str(&format!("\n      dropped by istiod: {d}"));
                            }
                        }
                        f
                    })
                }
            };
            (c, failure)
        })
        .collect();
    if let Some(n) = validator.note() {
        super::note(&[n]);
    }
    let failed = results.iter().filter(|(_, f)| f.is_some()).count();
    let passed = results.len() - failed;
    match a.format {
        TestFormat::Plain => {
            for (c, f) in &results {
                match f {
                    None => println!("ok   {} ({})", c.name, c.file),
                    Some(f) => println!("FAIL {} ({})\n      {f}", c.name, c.file),
                }
            }
            println!("{passed} passed, {failed} failed");
        }
        TestFormat::Junit => print!("{}", junit(&results, failed)),
    }
    if failed > 0 { exit::FINDINGS } else { exit::OK }
}

/// The fields people expect on: what happened and where it went.
fn summary(actual: &Value) -> Value {
    let keys = [
        "outcome",
        "virtual_service",
        "rule_kind",
        "rule_index",
        "match_index",
        "destinations",
        "status",
        "response_flags",
    ];
    Value::Object(keys.iter().filter_map(|k| Some((k.to_string(), actual.get(*k)?.clone()))).collect())
}

fn junit(results: &[(&Case, Option<String>)], failed: usize) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"meshctl\">\n  <testsuite name=\"meshctl test\" tests=\"{}\" failures=\"{failed}\">\n",
        results.len()
    ));
    for (c, f) in results {
        x.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\"", esc(&c.file), esc(&c.name)));
        match f {
            None => x.push_str("/>\n"),
            Some(f) => x.push_str(&format!(
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                esc(f.lines().next().unwrap_or("")),
                esc(f)
            )),
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::super::cases_schema::{CASE, VALIDATOR_CASE, VALIDATOR_REQUEST};
    use super::{load_cases, mismatch, request_of, unknown_key};
    use crate::routing::Request;
    use serde_json::{Value, json};
    use std::path::{Path, PathBuf};

    fn schema() -> Value {
        crate::schema::own_schema("meshctl-test-cases").unwrap()
    }

    fn sorted<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Vec<String> {
        let mut v: Vec<String> = names.into_iter().map(|s| s.as_ref().to_string()).collect();
        v.sort();
        v
    }

    /// The schema (`meshctl schema meshctl-test-cases`) lists exactly the fields the reader accepts.
    #[test]
    fn the_schema_has_the_fields_the_reader_accepts() {
        let schema = schema();
        let def = |name: &str| &schema["$defs"][name];
        let fields = |name: &str| sorted(def(name)["properties"].as_object().unwrap().keys());
        assert_eq!(fields("Case"), sorted(CASE));
        assert_eq!(fields("ValidatorCase"), sorted(VALIDATOR_CASE));
        assert_eq!(fields("ValidatorRequest"), sorted(VALIDATOR_REQUEST));
        // A meshctl case's request is `simulate --request`'s, plus `url`.
        let request = serde_json::to_value(Request::default()).unwrap();
        assert_eq!(
            fields("CaseRequest"),
            sorted(request.as_object().unwrap().keys().map(String::as_str).chain(["url"]))
        );
        for name in ["Case", "CaseRequest", "ValidatorCase", "ValidatorRequest"] {
            assert_eq!(def(name)["additionalProperties"], false, "{name}");
        }
    }

    /// Documents the reader accepts are valid, and those it refuses (an unknown field of a case, of
    /// a validator request or of a meshctl request) are not.
    #[test]
    fn the_schema_refuses_what_the_reader_refuses() {
        let validator = jsonschema::validator_for(&schema()).unwrap();
        let vr = json!({"authority": ["a"], "method": ["GET"], "uri": ["/"]});
        let docs = [
            (json!({"tests": [{"name": "n", "request": {"url": "http://a/"}, "expect": {"outcome": "route"}}]}), true),
            (json!({"tests": [{"name": "n", "request": {"from": "gateway", "host": "a"}, "expect": {}}]}), true),
            (json!({"tests": [{"nmae": "n", "request": {"url": "http://a/"}, "expect": {}}]}), false),
            (json!({"tests": [{"request": {"hots": "a"}, "expect": {}}]}), false),
            (
                json!({"testCases": [{"description": "d", "wantMatch": true, "request": vr, "route": [{"destination": {"host": "a"}}]}]}),
                true,
            ),
            (json!({"testCases": [{"wantmatch": true, "request": vr}]}), false),
            (
                json!({"testCases": [{"request": {"authority": ["a"], "method": ["GET"], "uri": ["/"], "header": {}}}]}),
                false,
            ),
            (json!({"cases": []}), false),
        ];
        for (doc, valid) in docs {
            let requests = doc["tests"].as_array().into_iter().flatten().map(|t| request_of(t.get("request")));
            let read = unknown_key(&doc).is_none()
                && (doc.get("tests").is_some() || doc.get("testCases").is_some())
                && requests.into_iter().all(|r| r.is_ok());
            assert_eq!(read, valid, "the reader on {doc}");
            assert_eq!(validator.is_valid(&doc), valid, "the schema on {doc}");
        }
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                out.push(path);
            }
        }
    }

    /// Every cases file of the repository is read and valid.
    #[test]
    fn every_cases_file_is_valid() {
        let validator = jsonschema::validator_for(&schema()).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&root.join("testdata"), &mut files);
        yaml_files(&root.join("tests"), &mut files);
        let mut checked = Vec::new();
        for path in files {
            let mut sources = crate::source::Sources::default();
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let id = sources.add(path.display().to_string(), text);
            let docs = crate::source::parse_file(sources.file(id));
            let is_cases = |v: &Value| v.get("tests").or_else(|| v.get("testCases")).is_some_and(Value::is_array);
            if !docs.iter().filter_map(|d| d.value.as_ref()).any(is_cases) {
                continue;
            }
            assert!(load_cases(&path).is_ok(), "{}", path.display());
            for value in docs.iter().filter_map(|d| d.value.as_ref()) {
                let errors: Vec<String> =
                    validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            }
            checked.push(path.strip_prefix(root).unwrap().display().to_string());
        }
        checked.sort();
        assert_eq!(
            checked,
            [
                "testdata/istio-config-validator/examples/virtualservice_delegate_test.yml",
                "testdata/istio-config-validator/examples/virtualservice_test.yml",
                "testdata/routing/bookinfo.cases.yaml",
                "testdata/routing/bookinfo.validator.yaml",
                "testdata/routing/gateway-api-ingress.cases.yaml",
                "testdata/routing/gateway-api-listenerset.cases.yaml",
                "testdata/routing/gateway-api-tcp.cases.yaml",
                "testdata/routing/gateway-api.cases.yaml",
                "testdata/routing/security-authn-policy-0-setup.cases.yaml",
                "testdata/routing/security-authn-policy-1-mesh-strict.cases.yaml",
                "testdata/routing/security-authn-policy-2-foo-strict.cases.yaml",
                "testdata/routing/security-authn-policy-3-httpbin-bar-strict.cases.yaml",
                "testdata/routing/security-authn-policy-4-httpbin-bar-port-8080-disable.cases.yaml",
                "testdata/routing/security-authn-policy-5-overwrite-example.cases.yaml",
                "testdata/routing/security-authn-policy-6-gateway.cases.yaml",
                "testdata/routing/security-authn-policy-7-jwt-example.cases.yaml",
                "testdata/routing/security-authn-policy-8-require-token.cases.yaml",
                "testdata/routing/security-authn-policy-9-require-token-per-path.cases.yaml",
                "testdata/routing/security-authz-deny-0-setup.cases.yaml",
                "testdata/routing/security-authz-deny-1-deny-method-get.cases.yaml",
                "testdata/routing/security-authz-deny-2-deny-get-unless-admin.cases.yaml",
                "testdata/routing/security-authz-deny-3-allow-path-ip.cases.yaml",
                "testdata/routing/security-authz-dry-run-0-setup.cases.yaml",
                "testdata/routing/security-authz-dry-run-1-dry-run-deny-headers.cases.yaml",
                "testdata/routing/security-authz-http-1-allow-nothing.cases.yaml",
                "testdata/routing/security-authz-http-2-productpage-viewer.cases.yaml",
                "testdata/routing/security-authz-http-4-reviews-viewer.cases.yaml",
                "testdata/routing/security-authz-http-5-ratings-viewer.cases.yaml",
                "testdata/routing/security-authz-ingress-0-setup.cases.yaml",
                "testdata/routing/security-authz-ingress-ipblocks-1-allow-list.cases.yaml",
                "testdata/routing/security-authz-ingress-ipblocks-2-allow-client-ip.cases.yaml",
                "testdata/routing/security-authz-ingress-ipblocks-3-deny-client-ip.cases.yaml",
                "testdata/routing/security-authz-ingress-remote-ip-blocks-1-allow-list.cases.yaml",
                "testdata/routing/security-authz-ingress-remote-ip-blocks-2-allow-client-ip.cases.yaml",
                "testdata/routing/security-authz-ingress-remote-ip-blocks-3-deny-client-ip.cases.yaml",
                "testdata/routing/security-authz-jwt-0-setup.cases.yaml",
                "testdata/routing/security-authz-jwt-1-request-authentication.cases.yaml",
                "testdata/routing/security-authz-jwt-2-require-jwt.cases.yaml",
                "testdata/routing/security-authz-jwt-3-require-groups.cases.yaml",
                "testdata/routing/security-authz-tcp-0-setup.cases.yaml",
                "testdata/routing/security-authz-tcp-1-allow-9000-9001.cases.yaml",
                "testdata/routing/security-authz-tcp-2-allow-get-on-9000.cases.yaml",
                "testdata/routing/security-authz-tcp-3-deny-get.cases.yaml",
                "testdata/routing/security-authz-tcp-4-deny-get-on-9000.cases.yaml",
                "testdata/routing/security-jwt-route-0-setup.cases.yaml",
                "testdata/routing/security-jwt-route-1-claim-routing.cases.yaml",
                "testdata/routing/security-mtls-migration-0-setup.cases.yaml",
                "testdata/routing/security-mtls-migration-1-foo-strict.cases.yaml",
                "testdata/routing/security-mtls-migration-2-mesh-strict.cases.yaml",
            ]
        );
    }

    #[test]
    fn expectations_are_subsets() {
        let actual =
            json!({"outcome": "route", "destinations": [{"host": "a", "subset": "v1", "weight": 100}], "status": null});
        assert!(mismatch(&json!({"outcome": "route"}), &actual, "").is_none());
        assert!(mismatch(&json!({"destinations": [{"host": "a"}]}), &actual, "").is_none());
        assert!(mismatch(&json!({"destination": {"subset": "v1"}}), &actual, "").is_none());
        assert!(mismatch(&json!({"destination": {"subset": "v2"}}), &actual, "").is_some());
        assert_eq!(
            mismatch(&json!({"outcome": "not_found"}), &actual, "").unwrap(),
            "/outcome: expected \"not_found\", got \"route\""
        );
        assert!(mismatch(&json!({"destinations": []}), &actual, "").is_some());
        assert!(mismatch(&json!({"destinations": [{"weight": 100.0}]}), &actual, "").is_none());
    }
}
