use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::{Object, Typed};
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0405",
    name: "serviceentry-conflicting-protocol",
    severity: Severity::Warning,
    istio_code: Some("IST0177"),
    summary: "ServiceEntries define the same host and port with different protocols",
    docs: r#"## What it finds
Two or more ServiceEntries that list the same host (as written) with the same port number but
different protocols, and that are visible together in some namespace (`exportTo`: `*` or none
means every namespace, `.` the own one, `~` none). Each ServiceEntry is reported once.

Protocols compare case-insensitively. A port without a protocol is TCP, as Istio treats it at
runtime, and HTTPS is TLS (a ServiceEntry port does not terminate TLS either way); `istioctl
analyze` compares the written names, so it reports missing versus `TCP` and HTTPS versus TLS,
which meshctl does not. Two versions of one resource (same namespace and name, e.g. in two
files) replace each other and are not compared.

## Why it matters
Istio merges the ServiceEntries for the host into one service, and one port has one protocol: one
of the definitions is silently ignored (which one depends on creation order), so traffic is
proxied as HTTP where TLS or raw TCP was meant, or the other way round.

## Example
```yaml
kind: ServiceEntry
metadata: {name: se-http}
spec:
  hosts: [example.com]
  ports: [{number: 8443, name: http, protocol: HTTP}]
---
kind: ServiceEntry
metadata: {name: se-https}
spec:
  hosts: [example.com]
  ports: [{number: 8443, name: https, protocol: HTTPS}]
```

## Fix
Agree on one protocol for the port, remove the duplicate definition, or narrow `exportTo` so that
no namespace sees both.
"#,
};

pub struct Check;

/// Which namespaces see a resource: every one, or these.
enum Scope {
    All,
    Some(BTreeSet<String>),
}

impl Scope {
    fn new(export_to: &[String], own: &str) -> Scope {
        if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
            return Scope::All;
        }
        let set = export_to
            .iter()
            .filter(|e| *e != "~")
            .map(|e| if e == "." { own.to_string() } else { e.clone() })
            .collect();
        Scope::Some(set)
    }

    fn overlaps(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::All, Scope::All) => true,
            (Scope::All, Scope::Some(s)) | (Scope::Some(s), Scope::All) => !s.is_empty(),
            (Scope::Some(a), Scope::Some(b)) => !a.is_disjoint(b),
        }
    }
}

struct Entry<'a> {
    obj: &'a Object,
    port_index: usize,
    protocol: String,
    /// Which ServiceEntry (an index into `scopes`).
    se: usize,
    /// (namespace, name): versions of one resource replace each other, they do not conflict.
    name: (String, String),
}

/// Protocols that Istio handles alike for a ServiceEntry port: HTTPS is TLS (not terminated).
fn class(protocol: &str) -> &str {
    if protocol == "HTTPS" { "TLS" } else { protocol }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let mut scopes = Vec::new();
        let mut by_key: BTreeMap<(&str, u32), Vec<Entry>> = BTreeMap::new();
        for (obj, t) in cx.typed_objects() {
            let Typed::ServiceEntry(se) = t else { continue };
            let ns = obj.namespace_or(mesh.default_namespace);
            let export_to = se.spec.export_to.as_deref().unwrap_or(&mesh.config.default_service_export_to);
            scopes.push(Scope::new(export_to, ns));
            for h in &se.spec.hosts {
                for (k, p) in se.spec.ports.iter().flatten().enumerate() {
                    let protocol = p.protocol.as_ref().map(|x| x.0.to_uppercase()).filter(|x| !x.is_empty());
                    by_key.entry((h.as_str(), p.number)).or_default().push(Entry {
                        obj,
                        port_index: k,
                        protocol: protocol.unwrap_or_else(|| "TCP".into()),
                        se: scopes.len() - 1,
                        name: (ns.to_string(), obj.name.clone().unwrap_or_default()),
                    });
                }
            }
        }
        let name =
            |o: &Object| format!("{}/{}", o.namespace_or(mesh.default_namespace), o.name.as_deref().unwrap_or(""));
        let mut reported: HashSet<usize> = HashSet::new();
        for ((host, port), entries) in &by_key {
            for e in entries {
                if reported.contains(&e.se) {
                    continue;
                }
                let others: Vec<&Entry> = entries
                    .iter()
                    .filter(|o| o.name != e.name && class(&o.protocol) != class(&e.protocol))
                    .filter(|o| scopes[o.se].overlaps(&scopes[e.se]))
                    .collect();
                if others.is_empty() {
                    continue;
                }
                reported.insert(e.se);
                let list = others.iter().map(|o| format!("`{}` ({})", name(o.obj), o.protocol)).collect::<Vec<_>>();
                let mut d = cx
                    .at(
                        &META,
                        e.obj,
                        &format!("/spec/ports/{}", e.port_index),
                        format!(
                            "host `{host}` port {port} is {} here but {} in {}",
                            e.protocol,
                            if others.len() == 1 { "another protocol" } else { "other protocols" },
                            list.join(", ")
                        ),
                    )
                    .label(format!("{} here", e.protocol))
                    .help("one port has one protocol: Istio keeps one of the definitions; make them agree or remove the duplicate");
                for o in others {
                    d = d.related(
                        cx.span(o.obj, &format!("/spec/ports/{}", o.port_index)),
                        Some(o.obj.pointer(&format!("/spec/ports/{}", o.port_index))),
                        format!("{} in `{}`", o.protocol, name(o.obj)),
                    );
                }
                out.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    fn findings(yaml: &str) -> Vec<(u32, String)> {
        let mut s = Sources::default();
        s.add("t.yaml".into(), yaml.into());
        let out = lint_sources(s, &LintOptions::default());
        out.diagnostics
            .iter()
            .filter(|d| d.code == "MESH0405")
            .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
            .collect()
    }

    fn se(name: &str, ns: &str, protocol: &str, export_to: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: {ns}}}
spec:
  hosts: [example.com]
  exportTo: {export_to}
  ports:
  - {{number: 8443, name: p{name}{protocol}}}
---
"
        )
    }

    #[test]
    fn different_protocols_for_one_host_and_port() {
        let f = findings(&(se("a", "x", ", protocol: HTTP", "['*']") + &se("b", "x", ", protocol: HTTPS", "['*']")));
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, 8);
        assert!(f[0].1.contains("port 8443 is HTTP here but another protocol in `x/b` (HTTPS)"), "{}", f[0].1);
    }

    #[test]
    fn same_protocol_missing_tcp_or_separate_namespaces_do_not_conflict() {
        assert!(
            findings(&(se("a", "x", ", protocol: https", "['*']") + &se("b", "x", ", protocol: HTTPS", "['*']")))
                .is_empty()
        );
        assert!(findings(&(se("a", "x", "", "['*']") + &se("b", "x", ", protocol: TCP", "['*']"))).is_empty());
        assert!(
            findings(&(se("a", "x", ", protocol: HTTP", "['.']") + &se("b", "other", ", protocol: HTTPS", "['.']")))
                .is_empty()
        );
        assert!(
            findings(&(se("a", "x", ", protocol: TLS", "['*']") + &se("b", "x", ", protocol: HTTPS", "['*']")))
                .is_empty()
        );
        assert!(
            findings(&(se("a", "x", ", protocol: TCP", "['*']") + &se("a", "x", ", protocol: HTTP", "['*']")))
                .is_empty()
        );
        assert_eq!(
            findings(&(se("a", "x", ", protocol: HTTP", "['.']") + &se("b", "other", ", protocol: HTTPS", "[x]")))
                .len(),
            2
        );
    }
}
