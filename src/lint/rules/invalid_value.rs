use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::networking::HTTPMatchRequest;
use crate::routing::matcher::{regex_error, shown};
use crate::schema::SchemaErrorKind;
use crate::source::escape_segment;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0107",
    name: "invalid-value",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A value out of range or in the wrong format (a port above 65535, a malformed duration)",
    docs: r#"## What it finds
A value of the right type that the schema still refuses: a port number above 65535, a negative
weight, a duration that is not like `1.5s` or `100ms`, a list that must not be empty, an item
repeated in a list that the CRD declares a set or a map (two Gateway listeners named `http`); a regex
that Envoy's RE2 engine does not accept (a backreference such as `(a)\1`, a lookahead such as
`(?=x)`, or an expression too large to compile). For built-in kinds also what the API server checks
in Go: a Service port name or `port`/`protocol` pair used twice, a Deployment's selector that does
not match its Pod template's labels, a container port name that is no IANA service name, a label
value with a space, a Secret key such as `..data`.

## Why it matters
The API server refuses the object.

## Example
```yaml
timeout: 10 seconds
```

## Fix
Write the value in the range or format the message names (`timeout: 10s`).
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        schema_pass::report(
            cx,
            &META,
            |_, e| {
                matches!(
                    e.kind,
                    SchemaErrorKind::Range
                        | SchemaErrorKind::Format
                        | SchemaErrorKind::Duplicate
                        | SchemaErrorKind::Other
                )
            },
            |_| "invalid value".into(),
            out,
        );
        for &(i, vs) in &cx.mesh().virtual_services {
            let obj = &cx.objects[i];
            for (k, h) in vs.spec.http.iter().flatten().enumerate() {
                for (j, m) in h.match_.iter().flatten().enumerate() {
                    for (rel, re) in match_regexes(m) {
                        check_regex(cx, obj, &format!("/spec/http/{k}/match/{j}/{rel}"), re, out);
                    }
                }
                let rewrite = h.rewrite.as_ref().and_then(|r| r.uri_regex_rewrite.as_ref());
                if let Some(re) = rewrite.and_then(|r| r.match_.as_deref()) {
                    check_regex(cx, obj, &format!("/spec/http/{k}/rewrite/uriRegexRewrite/match"), re, out);
                }
            }
        }
    }
}

/// Every `regex` of a match, with its pointer relative to the match.
fn match_regexes(m: &HTTPMatchRequest) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for (field, sm) in [("uri", &m.uri), ("scheme", &m.scheme), ("method", &m.method), ("authority", &m.authority)] {
        if let Some(re) = sm.as_ref().and_then(|s| s.regex.as_deref()) {
            out.push((format!("{field}/regex"), re));
        }
    }
    for (field, map) in
        [("headers", &m.headers), ("queryParams", &m.query_params), ("withoutHeaders", &m.without_headers)]
    {
        for (key, sm) in map.iter().flatten() {
            if let Some(re) = sm.regex.as_deref() {
                out.push((format!("{field}/{}/regex", escape_segment(key)), re));
            }
        }
    }
    out
}

fn check_regex(cx: &Context, obj: &crate::model::Object, rel: &str, re: &str, out: &mut Vec<Diagnostic>) {
    if let Some(e) = regex_error(re) {
        out.push(
            cx.at(&META, obj, rel, format!("{} is not a regex Envoy accepts (RE2 syntax): {e}", shown(re)))
                .label("invalid regex")
                .help("Envoy matches with RE2: no backreferences or lookaround; see https://github.com/google/re2/wiki/Syntax"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    #[test]
    fn regexes_envoy_refuses() {
        let yaml = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r, namespace: default}
spec:
  hosts: [r]
  http:
  - match:
    - uri: {regex: "/(a+)+$"}
    - headers:
        x-id: {regex: "(a)\\1"}
      queryParams:
        q: {regex: "(?=x)x"}
      withoutHeaders:
        x-no: {regex: "ok|fine"}
    rewrite:
      uriRegexRewrite: {match: "^/v1/(.*", rewrite: "/\\1"}
    route:
    - destination: {host: r}
"#;
        let f = findings(yaml, "MESH0107");
        let lines: Vec<u32> = f.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [10, 12, 16], "{f:?}");
        assert!(f[0].1.contains("backreferences are not supported"), "{}", f[0].1);
        assert!(f[1].1.contains("look-around"), "{}", f[1].1);
        assert!(f[2].1.contains("unclosed group"), "{}", f[2].1);
    }
}
