use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::hosts;
use crate::model::Typed;
use crate::routing::compile::{VsEntry, gateway_key};
use std::collections::{BTreeSet, HashSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0304",
    name: "match-never-applies",
    severity: Severity::Warning,
    istio_code: None,
    summary: "An HTTP match whose `gateways` or `port` can never hold where the VirtualService is used",
    docs: r#"## What it finds
An HTTP match that istiod leaves out of every route table, because its compile-time conditions can
never hold:
- `match.gateways` names none of the gateways the VirtualService is bound to (its top-level
  `gateways`, `mesh` when empty): a VirtualService is only ever applied where it is bound, so the
  match applies nowhere;
- `match.port` is none of the ports the match could be used on: the server ports of the bound
  Gateways that serve the VirtualService's hosts, and for `mesh` the ports of the services its
  hosts name. It is only reported when all of those are in the input.

## Why it matters
The route is silently missing from Envoy's configuration: requests meant for it fall through to
later rules, or get a 404.

## Example
```yaml
hosts: [reviews]            # Service reviews has only port 9080
http:
- match: [{port: 8080, uri: {prefix: /v2}}]   # never applies
  route: [{destination: {host: reviews, subset: v2}}]
```

## Fix
Bind the VirtualService to the gateway (top-level `gateways`, with `mesh` for sidecars), or correct
the port to one the gateway server or service listens on.
"#,
};

pub struct Check;

/// The listener ports a VirtualService can be used on through gateway `key` (`mesh` for
/// sidecars), or `None` when the input does not tell them all.
fn ports_for(cx: &Context, e: &VsEntry, key: &str, twice: &HashSet<(String, String)>) -> Option<BTreeSet<u32>> {
    let mesh = cx.mesh();
    if key == "mesh" {
        let mut ports = BTreeSet::new();
        for h in &e.hosts {
            let services = mesh.services_for(h, &e.namespace);
            if services.is_empty() {
                return None;
            }
            ports.extend(services.iter().flat_map(|s| s.ports.iter().map(|p| p.number)));
        }
        return (!ports.is_empty()).then_some(ports);
    }
    let (ns, name) = key.split_once('/')?;
    let id = (ns.to_string(), name.to_string());
    if twice.contains(&id) {
        // Defined twice (alternatives side by side), the servers are not known for sure.
        return None;
    }
    let idx = mesh.gateways.get(&id)?;
    let Some(Ok(Typed::Gateway(g))) = cx.typed[*idx].as_ref() else { return None };
    Some(
        g.spec
            .servers
            .iter()
            .flatten()
            .filter(|s| {
                s.hosts.iter().any(|sh| {
                    let (_, sh) = hosts::server_host(sh, ns);
                    e.hosts.iter().any(|h| hosts::matches(&sh.to_ascii_lowercase(), h))
                })
            })
            .map(|s| s.port.number)
            .collect::<BTreeSet<u32>>(),
    )
    .filter(|p| !p.is_empty())
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        // Istio Gateways defined more than once, found in one pass (not per match).
        let mut seen = HashSet::new();
        let mut twice = HashSet::new();
        for o in cx.objects.iter().filter(|o| o.kind == "Gateway" && o.api_version.starts_with("networking.istio.io/"))
        {
            let id = (o.namespace_or(&cx.options.default_namespace).to_string(), o.name.clone().unwrap_or_default());
            if !seen.insert(id.clone()) {
                twice.insert(id);
            }
        }
        for e in cx.virtual_service_entries() {
            for (i, rule) in e.vs.spec.http.iter().flatten().enumerate() {
                for (j, m) in rule.match_.iter().flatten().enumerate() {
                    let prov = e.provenance(i, Some(j));
                    let obj = &cx.objects[prov.holder()];
                    let at = prov.pointer();
                    let ns = e.rule_namespace(i);
                    let keys: Vec<String> = match m.gateways.as_deref().filter(|g| !g.is_empty()) {
                        Some(gws) => {
                            let keys: Vec<String> = gws.iter().map(|g| gateway_key(g, ns)).collect();
                            let bound: Vec<String> = keys.iter().filter(|k| e.gateways.contains(k)).cloned().collect();
                            if bound.is_empty() {
                                out.push(
                                    cx.at(
                                        &META,
                                        obj,
                                        &format!("{at}/gateways"),
                                        format!(
                                            "{prov} never applies: match.gateways [{}] names none of the gateways the \
                                             VirtualService is bound to ([{}])",
                                            keys.join(", "),
                                            e.gateways.join(", ")
                                        ),
                                    )
                                    .label("applies nowhere")
                                    .help("add the gateway to the VirtualService's top-level `gateways`"),
                                );
                                continue;
                            }
                            bound
                        }
                        None => e.gateways.clone(),
                    };
                    let Some(port) = m.port.filter(|p| *p != 0) else { continue };
                    let mut all = BTreeSet::new();
                    let mut known = true;
                    for k in &keys {
                        match ports_for(cx, e, k, &twice) {
                            Some(p) => all.extend(p),
                            None => known = false,
                        }
                    }
                    if known && !all.contains(&port) {
                        let ports: Vec<String> = all.iter().map(u32::to_string).collect();
                        out.push(
                            cx.at(
                                &META,
                                obj,
                                &format!("{at}/port"),
                                format!(
                                    "{prov} never applies: match.port {port} is not a port it can be used on ({} via {})",
                                    if ports.is_empty() { "none".into() } else { ports.join(", ") },
                                    keys.join(", ")
                                ),
                            )
                            .label("no listener on this port")
                            .help("use the port of the gateway server or of the service the request is sent to"),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    const BASE: &str = "apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [\"*\"]
---
";

    #[test]
    fn gateways_and_ports_that_never_hold() {
        let yaml = format!(
            "{BASE}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: r}}
spec:
  hosts: [reviews]
  http:
  - match: [{{port: 8080, uri: {{prefix: /v2}}}}]
    route: [{{destination: {{host: reviews}}}}]
  - match: [{{gateways: [gw], uri: {{prefix: /v3}}}}]
    route: [{{destination: {{host: reviews}}}}]
  - match: [{{port: 9080, uri: {{prefix: /ok}}}}]
    route: [{{destination: {{host: reviews}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: edge}}
spec:
  hosts: [shop.example.com]
  gateways: [gw, mesh]
  http:
  - match: [{{gateways: [gw], port: 443}}]
    route: [{{destination: {{host: reviews}}}}]
  - match: [{{gateways: [gw], port: 80}}]
    route: [{{destination: {{host: reviews}}}}]
"
        );
        let f = findings(&yaml, "MESH0304");
        let lines: Vec<u32> = f.iter().map(|x| x.0).collect();
        assert_eq!(lines, vec![22, 24, 36], "{f:?}");
        assert!(f[0].1.contains("match.port 8080 is not a port it can be used on (9080 via mesh)"), "{f:?}");
        assert!(f[1].1.contains("names none of the gateways the VirtualService is bound to ([mesh])"), "{f:?}");
        assert!(f[2].1.contains("match.port 443 is not a port it can be used on (80 via default/gw)"), "{f:?}");
    }

    #[test]
    fn unknown_services_are_not_judged() {
        let yaml = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [elsewhere]
  http:
  - match: [{port: 8080}]
    route: [{destination: {host: elsewhere}}]
";
        assert_eq!(findings(yaml, "MESH0304"), vec![]);
    }
}
