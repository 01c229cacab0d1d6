use crate::authz::mtls::{self, Client, Server};
use crate::authz::{Sidecar, Target};
use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{ServiceSource, selects};
use crate::model::networking::ClientTLSMode;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0507",
    name: "mtls-mismatch",
    severity: Severity::Error,
    istio_code: None,
    summary: "A DestinationRule's TLS mode does not meet what the destination's workloads accept",
    docs: r#"## What it finds
A DestinationRule that sets `tls.mode` (top level, per port, or per subset) for a service whose
workloads, as the input shows them, cannot take it on that port: DISABLE, SIMPLE or MUTUAL against a
STRICT PeerAuthentication, ISTIO_MUTUAL against DISABLE or a workload without a sidecar, SIMPLE or
MUTUAL against an HTTP port of a PERMISSIVE sidecar. The server's mode is PeerAuthentication's
mesh, namespace, workload and port levels (`portLevelMtls` by the workload's port), as
`pilot/pkg/security/authn/policy_applier.go` composes them; the match is
`../shared/research/security.md` §4.4 (`filterchain_options.go`). Kiali checks the namespace- and
mesh-wide pairs by their literal hosts (KIA0207, KIA0208, KIA0505, KIA0506); this rule checks
every DestinationRule against the effective mode of each workload.

## Why it matters
Every connection of the clients that use the DestinationRule fails: the server's sidecar finds no
filter chain for what the client sends, and the client gets 503 (`UF`, upstream connect error).

## Example
```yaml
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin}}
    spec: {containers: [{name: httpbin, image: kennethreitz/httpbin}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin, namespace: foo}
spec:
  host: httpbin.foo.svc.cluster.local
  trafficPolicy:
    tls: {mode: DISABLE}
```

## Fix
Leave `tls` out so auto mTLS picks what each endpoint takes, or set the mode the workloads accept
(ISTIO_MUTUAL for STRICT), or relax the PeerAuthentication for that port.
"#,
};

pub struct Check;

fn client(m: ClientTLSMode) -> Client {
    match m {
        ClientTLSMode::Disable => Client::Disable,
        ClientTLSMode::Simple => Client::Simple,
        ClientTLSMode::Mutual => Client::Mutual,
        _ => Client::IstioMutual,
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        let engine = cx.authz();
        for dr in &mesh.destination_rules {
            self.check_record(cx, engine, dr, out);
        }
    }
}

impl Check {
    fn check_record(
        &self,
        cx: &Context,
        engine: &crate::authz::Engine,
        dr: &crate::mesh::DestinationRuleRecord,
        out: &mut Vec<Diagnostic>,
    ) {
        // Most DestinationRules leave TLS to auto mTLS: nothing to compare.
        let sets_tls = |tp: Option<&crate::model::networking::TrafficPolicy>| {
            tp.is_some_and(|tp| {
                tp.tls.as_ref().is_some_and(|t| t.mode.is_some())
                    || tp.port_level_settings.iter().flatten().any(|p| p.tls.as_ref().is_some_and(|t| t.mode.is_some()))
            })
        };
        if !sets_tls(dr.rule.spec.traffic_policy.as_deref())
            && !dr.subsets().any(|s| sets_tls(s.traffic_policy.as_deref()))
        {
            return;
        }
        let mesh = cx.mesh();
        let subsets: Vec<(&str, Option<&crate::model::core::StringMap>)> =
            std::iter::once(("", None)).chain(dr.subsets().map(|s| (s.name.as_str(), s.labels.as_ref()))).collect();
        let mut broken: Vec<String> = Vec::new();
        let mut pointer: Option<String> = None;
        for s in mesh.services_by_host(&dr.host).filter(|s| s.source == ServiceSource::Kubernetes) {
            let Some(behind) = mesh.service_workloads(s) else { continue };
            for port in &s.ports {
                // A sniffed port may be TCP: only a declared HTTP port refuses TLS without Istio's ALPN.
                let http = crate::routing::listener::protocol_of(s, port).class()
                    == Some(crate::routing::listener::Class::Http);
                for (subset, labels) in &subsets {
                    let Some(mode) = mtls::destination_rule_mode(dr, subset, port.number) else { continue };
                    for w in behind.iter().filter(|w| labels.is_none_or(|l| selects(l, w.labels))) {
                        let wport = crate::authz::workload_port(cx, port.target_port.as_deref(), Some(w), port.number);
                        let server = match crate::authz::sidecar(cx, w) {
                            Sidecar::No => Server::NoSidecar,
                            _ => engine.server_mode(
                                &Target { namespace: &w.namespace, labels: w.labels },
                                wport,
                                &mut Vec::new(),
                            ),
                        };
                        if let Err(why) = mtls::compatible(client(mode), server, http) {
                            let at = if subset.is_empty() { String::new() } else { format!(" (subset {subset})") };
                            broken.push(format!("{} port {}{at}: {why}", crate::authz::workload_name(cx, w), wport));
                            pointer.get_or_insert_with(|| mode_pointer(dr, subset, port.number));
                        }
                    }
                }
            }
        }
        let Some(pointer) = pointer else { return };
        broken.sort();
        broken.dedup();
        let obj = &cx.objects[dr.obj];
        let name = obj.name.as_deref().unwrap_or_default();
        let more = if broken.len() > 3 { format!(" (and {} more)", broken.len() - 3) } else { String::new() };
        out.push(
            cx.at(
                &META,
                obj,
                &pointer,
                format!(
                    "DestinationRule {}/{name}'s TLS mode breaks the connections of the clients that use it to {}: {}{more}",
                    dr.namespace,
                    dr.host,
                    broken.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
                ),
            )
            .label("the server does not take this")
            .help("leave tls unset so auto mTLS matches each endpoint, or set the mode the workloads accept"),
        );
    }
}

/// The pointer of the `tls.mode` that decides for a subset and port.
fn mode_pointer(dr: &crate::mesh::DestinationRuleRecord, subset: &str, port: u32) -> String {
    let spec = &dr.rule.spec;
    let level = |tp: Option<&crate::model::networking::TrafficPolicy>, base: String| -> Option<String> {
        let tp = tp?;
        if let Some(k) = tp.port_level_settings.iter().flatten().position(|p| {
            p.port.as_ref().and_then(|s| s.number) == Some(port) && p.tls.as_ref().and_then(|t| t.mode).is_some()
        }) {
            return Some(format!("{base}/portLevelSettings/{k}/tls/mode"));
        }
        tp.tls.as_ref().and_then(|t| t.mode).map(|_| format!("{base}/tls/mode"))
    };
    let sub = spec.subsets.iter().flatten().position(|s| !subset.is_empty() && s.name == subset).and_then(|k| {
        level(spec.subsets.as_ref()?[k].traffic_policy.as_deref(), format!("/spec/subsets/{k}/trafficPolicy"))
    });
    sub.or_else(|| level(spec.traffic_policy.as_deref(), "/spec/trafficPolicy".into()))
        .unwrap_or_else(|| "/spec".into())
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0507");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].1.contains(
                "foo/httpbin port 80: the client sends plain text to a port whose PeerAuthentication is STRICT"
            ),
            "{f:?}"
        );
        assert_eq!(f[0].0, 29, "the tls mode line");
    }

    #[test]
    fn modes_that_meet() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("tls: {mode: DISABLE}", "tls: {mode: ISTIO_MUTUAL}"), "MESH0507").is_empty());
        assert!(findings(&example.replace("mtls: {mode: STRICT}", "mtls: {mode: PERMISSIVE}"), "MESH0507").is_empty());
        // A port-level exception on the workload port lets plain text in.
        let exception = example.replace(
            "kind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec:\n  mtls: {mode: STRICT}\n",
            "kind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\nspec:\n  mtls: {mode: STRICT}\n---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: httpbin, namespace: foo}\nspec:\n  selector: {matchLabels: {app: httpbin}}\n  portLevelMtls: {\"80\": {mode: DISABLE}}\n",
        );
        assert!(findings(&exception, "MESH0507").is_empty());
        // ... but not on the Service port.
        assert_eq!(findings(&exception.replace("\"80\": {mode", "\"8000\": {mode"), "MESH0507").len(), 1);
        // ISTIO_MUTUAL to a workload without a sidecar.
        let no_sidecar = example.replace("tls: {mode: DISABLE}", "tls: {mode: ISTIO_MUTUAL}").replace(
            "metadata: {labels: {app: httpbin}}",
            "metadata: {labels: {app: httpbin, sidecar.istio.io/inject: \"false\"}}",
        );
        let f = findings(&no_sidecar, "MESH0507");
        assert!(f.len() == 1 && f[0].1.contains("without a sidecar"), "{f:?}");
    }
}
