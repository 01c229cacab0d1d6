//! Host names as Istio resolves them (`pkg/config/host`, `pilot/pkg/model/config.go`).

/// The cluster DNS suffix of Kubernetes Services.
pub const CLUSTER_SUFFIX: &str = "svc.cluster.local";

/// A short name (no dot, not a wildcard) becomes `name.<namespace>.svc.cluster.local`; any dotted
/// name is taken as written (`reviews.prod` is not expanded).
pub fn fqdn(host: &str, namespace: &str) -> String {
    if host.contains('.') || host.starts_with('*') {
        host.to_string()
    } else {
        format!("{host}.{namespace}.{CLUSTER_SUFFIX}")
    }
}

/// The Kubernetes Service a cluster-local FQDN names: (namespace, name).
pub fn service_of(fqdn: &str) -> Option<(&str, &str)> {
    let rest = fqdn.strip_suffix(CLUSTER_SUFFIX)?.strip_suffix('.')?;
    let (name, ns) = rest.rsplit_once('.')?;
    (!name.is_empty() && !ns.is_empty()).then_some((ns, name))
}

/// Istio's `host.Name.Matches`: symmetric; `*.x.com` covers `a.x.com` but never `x.com`; `*`
/// covers everything; two wildcards match when one's suffix ends the other's.
pub fn matches(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(sa), Some(sb)) => {
            if sa.len() <= sb.len() {
                sb.ends_with(sa)
            } else {
                sa.ends_with(sb)
            }
        }
        (Some(sa), None) => b.ends_with(sa) && b.len() > sa.len(),
        (None, Some(sb)) => a.ends_with(sb) && a.len() > sb.len(),
        (None, None) => a == b,
    }
}

/// Does a host pattern `pattern` (possibly a wildcard) cover the concrete or wildcard `host`,
/// i.e. is every name `host` matches also matched by `pattern`?
pub fn covers(pattern: &str, host: &str) -> bool {
    match (pattern.strip_prefix('*'), host.strip_prefix('*')) {
        (Some(sp), Some(sh)) => sh.ends_with(sp),
        (Some(sp), None) => host.ends_with(sp) && host.len() > sp.len(),
        (None, Some(_)) => false,
        (None, None) => pattern == host,
    }
}

/// Visibility by `exportTo` (`*` all, `.` own namespace, `~` none, or namespace names). An empty
/// list is the mesh default, `*`.
pub fn visible(export_to: &[String], owner_ns: &str, from_ns: &str) -> bool {
    if export_to.is_empty() {
        return true;
    }
    export_to.iter().any(|e| match e.as_str() {
        "*" => true,
        "." => owner_ns == from_ns,
        "~" => false,
        ns => ns == from_ns,
    })
}

/// A gateway reference of a VirtualService as (namespace, name): `gw` and `./gw` are in the
/// VirtualService's namespace, `ns/gw` as written, and the legacy `gw.ns.svc.cluster.local` or
/// `gw.ns`. `None` for the reserved `mesh`.
pub fn gateway_ref(reference: &str, vs_namespace: &str) -> Option<(String, String)> {
    if reference == "mesh" {
        return None;
    }
    if let Some((ns, name)) = reference.split_once('/') {
        let ns = if ns == "." { vs_namespace } else { ns };
        return Some((ns.to_string(), name.to_string()));
    }
    if let Some((name, rest)) = reference.split_once('.') {
        let ns = rest.strip_suffix(".svc.cluster.local").unwrap_or(rest);
        if !ns.contains('.') {
            return Some((ns.to_string(), name.to_string()));
        }
    }
    Some((vs_namespace.to_string(), reference.to_string()))
}

/// A Gateway server host `ns/host`, `./host`, `*/host` or `host`: (namespace scope or None for
/// any, host).
pub fn server_host<'a>(h: &'a str, gateway_ns: &'a str) -> (Option<&'a str>, &'a str) {
    match h.split_once('/') {
        Some(("*", host)) => (None, host),
        Some((".", host)) => (Some(gateway_ns), host),
        Some((ns, host)) => (Some(ns), host),
        None => (None, h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_dotted_names() {
        assert_eq!(fqdn("reviews", "prod"), "reviews.prod.svc.cluster.local");
        assert_eq!(fqdn("reviews.prod", "x"), "reviews.prod");
        assert_eq!(fqdn("*.example.com", "x"), "*.example.com");
        assert_eq!(service_of("reviews.prod.svc.cluster.local"), Some(("prod", "reviews")));
        assert_eq!(service_of("reviews.prod"), None);
    }

    #[test]
    fn wildcards() {
        assert!(matches("*.example.com", "a.example.com"));
        assert!(!matches("*.example.com", "example.com"));
        assert!(matches("*", "anything.io"));
        assert!(matches("*.d", "*.productpage.d"));
        assert!(!matches("a.com", "b.com"));
        assert!(covers("*.example.com", "*.a.example.com"));
        assert!(!covers("*.a.example.com", "*.example.com"));
    }

    #[test]
    fn export_to() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(visible(&[], "a", "b"));
        assert!(visible(&v(&["."]), "a", "a"));
        assert!(!visible(&v(&["."]), "a", "b"));
        assert!(!visible(&v(&["~"]), "a", "a"));
        assert!(visible(&v(&["b", "c"]), "a", "c"));
    }

    #[test]
    fn gateway_references() {
        let r = |s, ns| gateway_ref(s, ns);
        assert_eq!(r("gw", "ns1"), Some(("ns1".into(), "gw".into())));
        assert_eq!(r("./gw", "ns1"), Some(("ns1".into(), "gw".into())));
        assert_eq!(r("istio-system/gw", "ns1"), Some(("istio-system".into(), "gw".into())));
        assert_eq!(r("gw.istio-system.svc.cluster.local", "ns1"), Some(("istio-system".into(), "gw".into())));
        assert_eq!(r("gw.istio-system", "ns1"), Some(("istio-system".into(), "gw".into())));
        assert_eq!(r("mesh", "ns1"), None);
    }
}
