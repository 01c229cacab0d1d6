use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::gateway_api::{Class, class_of};
use crate::model::Typed;
use crate::model::gateway_api::ObjectReference;
use std::collections::{HashMap, HashSet};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0226",
    name: "unused-reference-grant",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A ReferenceGrant, or an entry of one, that no reference of the input needs",
    docs: r#"## What it finds
A ReferenceGrant that allows references no object of the input makes: no route of a `from` kind
in a `from` namespace refers to anything in the grant's namespace that a `to` entry names, as
Istio's controller checks references (`gatewaycommon/references.go`: routes' backendRefs and
mirrors, Gateways' and ListenerSets' certificateRefs). Where some entries are used, each unused `from` or `to` entry
is reported; otherwise the grant once.

Only what the input shows is judged: a `from` entry counts only where the input holds objects of
that kind in that namespace (HTTPRoute, GRPCRoute, TLSRoute, a ListenerSet, a TCPRoute when
istiod's alpha kinds are on, or a Gateway that Istio programs),
and a `to` entry only when it names Services or Secrets and every `from` entry can be judged.

## Why it matters
An unused grant is usually a typo: a `from.group` that is not `gateway.networking.k8s.io`, a
wrong namespace or kind. The reference it was written for then fails with `RefNotPermitted`, and
its requests get `500`. A grant nobody needs only widens access.

## Example
```yaml
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: shop-routes, namespace: payments}
spec:
  from:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    namespace: shop
  to:
  - group: ""
    kind: Service
    name: pay
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: checkout, namespace: shop}
spec:
  rules:
  - backendRefs:
    - {name: pay, namespace: payment, port: 8080}   # the namespace is payments
```

## Fix
Correct the grant (or the reference it was meant for), or delete the grant.
"#,
};

pub struct Check;

const ROUTES: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute"];

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let grants: Vec<usize> =
            (0..cx.objects.len()).filter(|&i| matches!(&cx.typed[i], Some(Ok(Typed::ReferenceGrant(_))))).collect();
        if grants.is_empty() {
            return;
        }
        let used = &cx.gateway_api().grants_used;
        let default_ns = &cx.options.default_namespace;
        // istiod reads TCPRoutes only with its alpha kinds on (MESH0228 says so otherwise).
        let alpha = cx.mesh().config.istiod.alpha_gateway_api;
        // The kinds per namespace the input shows, and the namespaces with a Gateway Istio does
        // not program (it checks the certificates of its own Gateways only).
        let mut shown: HashSet<(&str, &str)> = HashSet::new();
        let mut foreign: HashSet<&str> = HashSet::new();
        let mut classes: HashMap<&str, bool> = HashMap::new();
        for (o, t) in cx.objects.iter().zip(cx.typed) {
            let ns = o.namespace_or(default_ns);
            shown.insert((o.kind.as_str(), ns));
            if let Some(Ok(Typed::KubernetesGateway(g))) = t {
                let class = g.spec.gateway_class_name.as_deref().unwrap_or_default();
                let istio =
                    *classes.entry(class).or_insert_with(|| class_of(cx.objects, cx.typed, class) == Class::Istio);
                if !istio {
                    foreign.insert(ns);
                }
            }
        }
        let in_sight = |f: &ObjectReference| -> bool {
            let (Some(kind), Some(ns)) = (f.kind.as_deref(), f.namespace.as_deref()) else { return false };
            let served = ROUTES.contains(&kind)
                || kind == "ListenerSet"
                || (kind == "TCPRoute" && alpha)
                || (kind == "Gateway" && !foreign.contains(ns));
            served && shown.contains(&(kind, ns))
        };
        let mut used_by: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for &(g, f, t) in used {
            used_by.entry(g).or_default().push((f, t));
        }
        for g in grants {
            let Some(Ok(Typed::ReferenceGrant(grant))) = &cx.typed[g] else { continue };
            let obj = &cx.objects[g];
            let ns = obj.namespace_or(default_ns);
            let from = grant.spec.from.as_deref().unwrap_or_default();
            let to = grant.spec.to.as_deref().unwrap_or_default();
            let judged: Vec<bool> = from.iter().map(in_sight).collect();
            if judged.is_empty() || to.is_empty() {
                continue;
            }
            let uses = used_by.get(&g).map(Vec::as_slice).unwrap_or_default();
            let from_used = |fi: usize| uses.iter().any(|&(f, _)| f == fi);
            let to_used = |ti: usize| uses.iter().any(|&(_, t)| t == ti);
            let to_judged = |t: &ObjectReference| {
                t.group.as_deref().unwrap_or_default().is_empty()
                    && matches!(t.kind.as_deref(), Some("Service" | "Secret"))
                    && judged.iter().all(|j| *j)
            };
            let name = obj.name.as_deref().unwrap_or_default();
            if uses.is_empty() {
                if !judged.iter().all(|j| *j) {
                    continue;
                }
                let froms: Vec<String> = from.iter().map(describe_from).collect();
                out.push(
                    cx.at(
                        &META,
                        obj,
                        "/spec/from",
                        format!(
                            "ReferenceGrant {ns}/{name} grants nothing the input uses: no {} refers to {} in {ns}{}",
                            froms.join(" or "),
                            to.iter().map(describe_to).collect::<Vec<_>>().join(" or "),
                            group_hint(from)
                        ),
                    )
                    .label("no reference needs this")
                    .help("correct the grant or the reference it was meant for, or delete the grant"),
                );
                continue;
            }
            for (fi, f) in from.iter().enumerate() {
                if judged[fi] && !from_used(fi) {
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &format!("/spec/from/{fi}"),
                            format!(
                                "ReferenceGrant {ns}/{name}: no {} refers to anything the grant allows{}",
                                describe_from(f),
                                group_hint(std::slice::from_ref(f))
                            ),
                        )
                        .label("unused")
                        .help("correct the entry, or remove it"),
                    );
                }
            }
            for (ti, t) in to.iter().enumerate() {
                if to_judged(t) && !to_used(ti) {
                    out.push(
                        cx.at(
                            &META,
                            obj,
                            &format!("/spec/to/{ti}"),
                            format!(
                                "ReferenceGrant {ns}/{name}: nothing the grant admits refers to {} in {ns}",
                                describe_to(t)
                            ),
                        )
                        .label("unused")
                        .help("correct the entry, or remove it"),
                    );
                }
            }
        }
    }
}

fn describe_from(f: &ObjectReference) -> String {
    format!("{} in namespace {}", f.kind.as_deref().unwrap_or("?"), f.namespace.as_deref().unwrap_or("?"))
}

fn describe_to(t: &ObjectReference) -> String {
    let kind = t.kind.as_deref().unwrap_or("?");
    match t.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("{kind} {n}"),
        None => format!("a {kind}"),
    }
}

/// Why an entry can never match: its group is not the Gateway API's.
fn group_hint(from: &[ObjectReference]) -> String {
    match from.iter().find_map(|f| f.group.as_deref().filter(|g| *g != crate::mesh::gateway_api::GROUP)) {
        Some(g) => format!(" (`from.group` is {g:?}, not \"gateway.networking.k8s.io\": it matches nothing)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    const PAY: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: pay, namespace: payments}\nspec:\n  ports: [{port: 8080, name: http}]\n";

    #[test]
    fn the_example_is_reported_once() {
        let f = findings(&format!("{}{PAY}", docs_example(&super::META)), "MESH0226");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 5);
        assert!(f[0].1.contains("no HTTPRoute in namespace shop refers to Service pay in payments"), "{f:?}");
    }

    #[test]
    fn a_used_grant_is_not_reported() {
        let fixed = docs_example(&super::META).replace("namespace: payment,", "namespace: payments,");
        assert!(findings(&format!("{fixed}{PAY}"), "MESH0226").is_empty());
    }

    #[test]
    fn routes_out_of_sight_are_not_judged() {
        let grant = docs_example(&super::META).split("---").next().unwrap().to_string();
        assert!(findings(&grant, "MESH0226").is_empty());
    }

    #[test]
    fn a_wrong_group_is_named_and_unused_entries_are_reported_one_by_one() {
        let fixed = docs_example(&super::META).replace("namespace: payment,", "namespace: payments,");
        let wrong = fixed.replace("  to:\n", "  - group: gateway.networking.k8s.io/v1\n    kind: GRPCRoute\n    namespace: shop\n  to:\n  - {group: \"\", kind: Secret}\n");
        let grpc = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g, namespace: shop}\nspec:\n  rules:\n  - backendRefs: [{name: pay, namespace: payments, port: 8080}]\n";
        let f = findings(&format!("{wrong}{PAY}{grpc}"), "MESH0226");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].0 == 9 && f[0].1.contains("GRPCRoute in namespace shop") && f[0].1.contains("matches nothing"),
            "{f:?}"
        );
        assert!(f[1].0 == 13 && f[1].1.contains("refers to a Secret"), "{f:?}");
    }
}
