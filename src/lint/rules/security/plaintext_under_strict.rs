use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::security::MtlsMode;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0516",
    name: "plaintext-under-strict",
    severity: Severity::Info,
    istio_code: None,
    summary: "A workload PeerAuthentication takes plain text where its namespace or the mesh is STRICT",
    docs: r#"## What it finds
A workload-level PeerAuthentication whose mode, or a `portLevelMtls` entry, is PERMISSIVE or
DISABLE while the namespace- or mesh-level mode above it is STRICT (levels composed as
`pilot/pkg/security/authn/policy_applier.go` composes them). It is an information: such
exceptions are often meant, and the finding lists them where a review wants them listed.

## Why it matters
Those ports take plain text, so their callers may have no verified identity, and policies on
principals or namespaces cannot match them.

## Example
```yaml
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: foo}
spec:
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: httpbin, namespace: foo}
spec:
  selector: {matchLabels: {app: httpbin}}
  portLevelMtls:
    "8080": {mode: DISABLE}
```

## Fix
Nothing, if the exception is meant. Otherwise remove it, or narrow it to the port that needs it.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let engine = cx.authz();
        let root = engine.root_namespace.as_str();
        for p in &engine.peer {
            let Some(labels) =
                p.res.spec.selector.as_ref().and_then(|s| s.match_labels.as_ref()).filter(|m| !m.is_empty())
            else {
                continue;
            };
            if p.namespace == root {
                continue;
            }
            let probe = crate::authz::Target { namespace: &p.namespace, labels };
            let levels = engine.peer_levels(&probe);
            let above = [levels.namespace, levels.mesh]
                .into_iter()
                .flatten()
                .map(|l| (l, l.res.spec.mtls.as_ref().map(|m| m.mode()).unwrap_or_default()))
                .find(|(_, m)| !matches!(m, MtlsMode::Unset | MtlsMode::Unknown));
            let Some((strict, MtlsMode::Strict)) = above else { continue };
            let open = |m: MtlsMode| matches!(m, MtlsMode::Permissive | MtlsMode::Disable);
            let mut found: Vec<(String, String)> = Vec::new();
            if let Some(m) = p.res.spec.mtls.as_ref().map(|m| m.mode()).filter(|m| open(*m)) {
                found.push(("/spec/mtls/mode".into(), format!("sets {} for every port", m.as_str())));
            }
            for (port, m) in p.res.spec.port_level_mtls.iter().flatten() {
                if open(m.mode()) {
                    found.push((
                        format!("/spec/portLevelMtls/{}/mode", crate::source::escape_segment(port)),
                        format!("sets {} on port {port}", m.mode().as_str()),
                    ));
                }
            }
            for (pointer, what) in found {
                out.push(
                    cx.at(
                        &META,
                        &cx.objects[p.obj],
                        &pointer,
                        format!("PeerAuthentication {} {what}, under the STRICT of {}: those connections may be plain text, with no peer identity", p.key(), strict.key()),
                    )
                    .label("plain text accepted")
                    .help("keep the exception only if a plain-text caller needs it"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0516");
        assert!(f.len() == 1 && f[0].1.contains("sets DISABLE on port 8080, under the STRICT of foo/default"), "{f:?}");
    }

    #[test]
    fn strict_exceptions_and_permissive_namespaces() {
        let example = docs_example(&super::META);
        assert!(findings(&example.replace("{mode: DISABLE}", "{mode: STRICT}"), "MESH0516").is_empty());
        assert!(findings(&example.replace("mtls: {mode: STRICT}", "mtls: {mode: PERMISSIVE}"), "MESH0516").is_empty());
        let mesh = example.replace("name: default, namespace: foo", "name: default, namespace: istio-system");
        assert!(findings(&mesh, "MESH0516")[0].1.contains("STRICT of istio-system/default"));
    }
}
