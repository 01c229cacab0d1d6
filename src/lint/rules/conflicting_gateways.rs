use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::selector_string;
use crate::model::networking::Gateway;
use crate::model::{Object, Typed};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0403",
    name: "conflicting-gateways",
    severity: Severity::Error,
    istio_code: Some("IST0145"),
    summary: "Two Gateways on the same workloads define the same host on the same port",
    docs: r#"## What it finds
Two Gateways that apply to the same gateway workloads (equal selectors, or a workload that both
selectors select, in any namespace) with servers on the same port number, the same `bind`, and a
host written the same way in both. Hosts are compared as written, as `istioctl analyze` and
Istio's gateway merge do: `*` and `foo.bar` do not conflict, nor do `ns/foo.bar` and `foo.bar`.
The server protocol, TLS settings and port name do not matter. Servers without a port are not
compared (the schema rules report them).

`istioctl analyze` decides that two selectors apply to the same workloads by a substring test on
their written form; meshctl asks whether some workload is selected by both, which is what the
proxy sees.

## Why it matters
When Istio merges the Gateways on one proxy, the second server for the same host and port is
dropped as a duplicate: which Gateway wins depends on creation order, and the VirtualServices
bound to the losing Gateway do not get that traffic.

## Example
```yaml
kind: Gateway
metadata: {name: alpha}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar]
---
kind: Gateway
metadata: {name: beta}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [foo.bar]          # same host, same port, same workloads
```

## Fix
Keep each host on a port in one Gateway (bind both sets of VirtualServices to it), or move one
Gateway to other workloads, another port or another host.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let gateways: Vec<(&Object, &Gateway)> = cx
            .typed_objects()
            .filter_map(|(o, t)| match t {
                Typed::Gateway(g) => Some((o, g.as_ref())),
                _ => None,
            })
            .collect();
        let key = |o: &Object| (o.namespace_or(mesh.default_namespace).to_string(), o.name.clone());
        let selected: Vec<_> = gateways.iter().map(|(_, g)| mesh.gateway_workloads(g)).collect();
        let sel_text = |g: &Gateway| g.spec.selector.as_ref().map(selector_string).unwrap_or_default();
        for (a, (obj, gw)) in gateways.iter().enumerate() {
            let partners: Vec<usize> = (0..gateways.len())
                .filter(|&b| key(gateways[b].0) != key(obj))
                .filter(|&b| {
                    sel_text(gw) == sel_text(gateways[b].1)
                        || selected[a].iter().any(|w| selected[b].iter().any(|x| std::ptr::eq(*w, *x)))
                })
                .collect();
            for (i, server) in gw.spec.servers.iter().flatten().enumerate() {
                let port = server.port.number;
                if port == 0 {
                    continue;
                }
                // (other gateway, its server index, the shared hosts)
                let mut clashes: Vec<(usize, usize, Vec<&str>)> = Vec::new();
                for &b in &partners {
                    for (j, s2) in gateways[b].1.spec.servers.iter().flatten().enumerate() {
                        if s2.port.number != port || s2.bind != server.bind {
                            continue;
                        }
                        let shared: Vec<&str> =
                            server.hosts.iter().filter(|h| s2.hosts.contains(h)).map(String::as_str).collect();
                        if !shared.is_empty() {
                            clashes.push((b, j, shared));
                        }
                    }
                }
                if clashes.is_empty() {
                    continue;
                }
                let name = |b: usize| {
                    let o = gateways[b].0;
                    format!("{}/{}", o.namespace_or(mesh.default_namespace), o.name.as_deref().unwrap_or(""))
                };
                let mut others: Vec<String> = clashes.iter().map(|(b, _, _)| name(*b)).collect();
                others.sort();
                others.dedup();
                let mut hosts: Vec<&str> = clashes.iter().flat_map(|(_, _, h)| h.iter().copied()).collect();
                hosts.sort_unstable();
                hosts.dedup();
                let sel = sel_text(gw);
                let mut d = cx
                    .at(
                        &META,
                        obj,
                        &format!("/spec/servers/{i}"),
                        format!(
                            "port {port} host{} {} also defined by Gateway {} on the same workloads (selector `{sel}`)",
                            if hosts.len() == 1 { "" } else { "s" },
                            hosts.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                            others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
                        ),
                    )
                    .label("conflicting server")
                    .help("keep each host and port in one Gateway and bind the VirtualServices to it, or separate the hosts, ports or workloads");
                for (b, j, shared) in &clashes {
                    let other = gateways[*b].0;
                    d = d.related(
                        cx.span(other, &format!("/spec/servers/{j}")),
                        Some(other.pointer(&format!("/spec/servers/{j}"))),
                        format!("Gateway `{}` defines {} on port {port} too", name(*b), shared.join(", ")),
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
            .filter(|d| d.code == "MESH0403")
            .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
            .collect()
    }

    fn gw(name: &str, selector: &str, port: u32, host: &str) -> String {
        format!(
            "apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: {name}
spec:
  selector: {selector}
  servers:
  - port: {{number: {port}, name: p, protocol: HTTP}}
    hosts: ['{host}']
---
"
        )
    }

    #[test]
    fn same_host_and_port_on_the_same_workloads() {
        let yaml = gw("alpha", "{istio: ingressgateway}", 80, "foo.bar")
            + &gw("beta", "{istio: ingressgateway}", 80, "foo.bar");
        let f = findings(&yaml);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].0, 8);
        assert!(f[0].1.contains("port 80 host `foo.bar`") && f[0].1.contains("`default/beta`"), "{}", f[0].1);
    }

    #[test]
    fn overlapping_selectors_count_through_a_shared_workload() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {istio: ingressgateway, app: gw}\n";
        let yaml = gw("alpha", "{istio: ingressgateway}", 80, "foo.bar") + &gw("beta", "{app: gw}", 80, "foo.bar");
        assert!(findings(&yaml).is_empty());
        assert_eq!(findings(&(yaml + pod)).len(), 2);
    }

    #[test]
    fn other_ports_hosts_or_wildcards_do_not_conflict() {
        let sel = "{istio: ingressgateway}";
        assert!(findings(&(gw("a", sel, 80, "foo.bar") + &gw("b", sel, 443, "foo.bar"))).is_empty());
        assert!(findings(&(gw("a", sel, 80, "foo.bar") + &gw("b", sel, 80, "bar.bar"))).is_empty());
        assert!(findings(&(gw("a", sel, 80, "*") + &gw("b", sel, 80, "foo.bar"))).is_empty());
    }
}
