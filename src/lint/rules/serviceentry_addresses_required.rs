use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0406",
    name: "serviceentry-addresses-required",
    severity: Severity::Warning,
    istio_code: Some("IST0134"),
    summary: "A ServiceEntry has a TCP port but no addresses",
    docs: r#"## What it finds
A ServiceEntry without `addresses` (and without addresses allocated in its `status`) that has a
port whose protocol is TCP or missing (which is TCP). One finding per such port. Nothing is
reported when the MeshConfig turns on DNS capture with address auto-allocation
(`defaultConfig.proxyMetadata`: `ISTIO_META_DNS_CAPTURE: "true"` and
`ISTIO_META_DNS_AUTO_ALLOCATE: "true"` or `PILOT_ENABLE_IP_AUTOALLOCATE: "true"`; pass it with
`--mesh-config`), as `istioctl analyze` does.

## Why it matters
For HTTP, Istio routes by the Host header; for raw TCP it has only the destination address and
port. Without an address the sidecar's listener for the port matches every destination IP: all
TCP traffic on that port is sent to this ServiceEntry's hosts, or, when another service uses the
port, the two clash.

## Example
```yaml
kind: ServiceEntry
spec:
  hosts: [db.example.com]
  ports:
  - {number: 5432, name: tcp-postgres, protocol: TCP}   # no addresses
  resolution: DNS
```

## Fix
Add the service's `addresses` (IPs or CIDRs), or enable DNS proxying with address
auto-allocation in the mesh, or use an application protocol (HTTP, HTTPS, TLS) when it is one.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        if cx.options.mesh.dns_auto_allocate() {
            return;
        }
        for (obj, t) in cx.typed_objects() {
            let Typed::ServiceEntry(se) = t else { continue };
            let has_addresses = se.spec.addresses.as_ref().is_some_and(|a| !a.is_empty())
                || se
                    .status
                    .as_ref()
                    .and_then(|s| s.get("addresses"))
                    .and_then(|a| a.as_array())
                    .is_some_and(|a| !a.is_empty());
            if has_addresses {
                continue;
            }
            for (k, p) in se.spec.ports.iter().flatten().enumerate() {
                let protocol = p.protocol.as_ref().map(|x| x.0.as_str()).unwrap_or("");
                if !(protocol.is_empty() || protocol.eq_ignore_ascii_case("TCP")) {
                    continue;
                }
                let what =
                    if protocol.is_empty() { "no protocol (TCP)".to_string() } else { format!("protocol {protocol}") };
                let hosts = se.spec.hosts.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
                out.push(
                    cx.at(
                        &META,
                        obj,
                        &format!("/spec/ports/{k}"),
                        format!("ServiceEntry port {} has {what} but the ServiceEntry has no `addresses` for {hosts}", p.number),
                    )
                    .label("TCP port without addresses")
                    .help("add `addresses`, enable DNS auto-allocation in the mesh (`--mesh-config`), or set the port's application protocol (HTTP, HTTPS, TLS)"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    const SE: &str = "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: x}
spec:
  hosts: [db.example.com]
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  - {number: 5432, name: tcp, protocol: tcp}
  - {number: 22, name: ssh}
  resolution: DNS
";

    fn findings(yaml: &str, options: &LintOptions) -> Vec<(u32, String)> {
        let mut s = Sources::default();
        s.add("t.yaml".into(), yaml.into());
        let out = lint_sources(s, options);
        out.diagnostics
            .iter()
            .filter(|d| d.code == "MESH0406")
            .map(|d| (out.sources.location(d.primary.span).line, d.message.clone()))
            .collect()
    }

    #[test]
    fn tcp_and_protocolless_ports_without_addresses() {
        let f = findings(SE, &LintOptions::default());
        assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), vec![8, 9], "{f:?}");
        assert!(f[1].1.contains("port 22 has no protocol (TCP)"), "{}", f[1].1);
    }

    #[test]
    fn addresses_status_addresses_or_auto_allocation_silence_it() {
        let with = SE.replace("  resolution: DNS", "  addresses: [10.0.0.1]");
        assert!(findings(&with, &LintOptions::default()).is_empty());
        let status = format!("{SE}status:\n  addresses:\n  - {{host: db.example.com, value: 240.240.0.1}}\n");
        assert!(findings(&status, &LintOptions::default()).is_empty());
        let mut options = LintOptions::default();
        for k in ["ISTIO_META_DNS_CAPTURE", "ISTIO_META_DNS_AUTO_ALLOCATE"] {
            options.mesh.default_config.proxy_metadata.insert(k.into(), "true".into());
        }
        assert!(findings(SE, &options).is_empty());
    }
}
