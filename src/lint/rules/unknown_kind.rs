use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::{lookup, suggest_kind};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0008",
    name: "unknown-kind",
    severity: Severity::Error,
    istio_code: None,
    summary: "A kind that does not exist in an Istio group, or a near miss of a known kind (IstioGateway)",
    docs: r#"## What it finds
An object whose `kind` (or `apiVersion`) is not one Istio or Kubernetes serves, when the group is
one of Istio's or the kind is a near miss of a kind meshctl knows: `IstioGateway`,
`Virtualservice`, `networking.istio.io/v2`. Kinds of other groups (cert-manager, Argo, your own
CRDs) are kept and not reported.

## Why it matters
The API server refuses the object ("no matches for kind"), so nothing it configures exists.

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: IstioGateway
```

## Fix
Use the kind and apiVersion the message suggests (`kind: Gateway`).
"#,
};

/// Istio kinds that exist but that meshctl does not model: never reported as unknown.
const OTHER_ISTIO_KINDS: &[(&str, &str)] = &[
    ("networking.istio.io", "EnvoyFilter"),
    ("networking.istio.io", "WorkloadGroup"),
    ("networking.istio.io", "ProxyConfig"),
    ("security.istio.io", "AuthorizationPolicy"),
    ("security.istio.io", "PeerAuthentication"),
    ("security.istio.io", "RequestAuthentication"),
    ("telemetry.istio.io", "Telemetry"),
    ("extensions.istio.io", "WasmPlugin"),
    ("extensions.istio.io", "TrafficExtension"),
    ("install.istio.io", "IstioOperator"),
    ("sailoperator.io", "Istio"),
];

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for obj in cx.objects {
            if lookup(&obj.api_version, &obj.kind).is_some() || crate::model::is_list(obj) {
                continue;
            }
            let group = obj.group();
            if OTHER_ISTIO_KINDS.iter().any(|(g, k)| *g == group && *k == obj.kind) {
                continue;
            }
            if let Some((api, kind)) = suggest_kind(&obj.api_version, &obj.kind) {
                let (rel, what) = if kind == obj.kind { ("/apiVersion", "apiVersion") } else { ("/kind", "kind") };
                out.push(
                    cx.at(
                        &META,
                        obj,
                        rel,
                        format!(
                            "unknown {what}: no `{}` `{}` exists; did you mean `{api}` `{kind}`?",
                            obj.api_version, obj.kind
                        ),
                    )
                    .label(format!("unknown {what}"))
                    .help(format!("write `apiVersion: {api}` and `kind: {kind}`")),
                );
            } else if group.ends_with("istio.io") {
                out.push(
                    cx.at(&META, obj, "/kind", format!("`{}` serves no kind `{}`", obj.api_version, obj.kind))
                        .label("unknown kind")
                        .help("Istio's kinds are listed by `kubectl api-resources --api-group=networking.istio.io`"),
                );
            }
        }
    }
}
