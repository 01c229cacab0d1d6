//! A synthetic mesh of any size, for benchmarks and tests: deterministic, clean except for defects
//! injected at known places.
//!
//! Per service (in namespace `ns-{i % namespaces}`, named `svc-{i}`): a Service (port 80 named
//! `http`), one Deployment per version (labels `app`, `version`), a DestinationRule with one subset
//! per version, and a VirtualService that routes one header to the newest version and splits the
//! rest by weight across all of them. Per gateway: a Gateway for `gw-{g}.example.com` and a
//! VirtualService bound to it that routes a few path prefixes to services by FQDN; when there are
//! gateways, the ingress gateway workload (Deployment + Service in `istio-system`) they select.
//!
//! One file per namespace, split every [`MAX_DOCS_PER_FILE`] documents. Every reference resolves,
//! except the injected defects, whose exact position is returned in [`SynthMesh::injected`].

use std::fmt::{self, Write as _};

/// A file holds at most this many documents; a namespace with more is split.
pub const MAX_DOCS_PER_FILE: usize = 500;

/// Defects to inject, spread evenly over the services.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defects {
    /// Destinations whose host names nothing in the mesh (`/spec/http/1/route/0/destination/host`
    /// of a service's VirtualService; that destination then has no subset).
    pub dangling_hosts: usize,
    /// Destinations whose subset no DestinationRule defines
    /// (`/spec/http/0/route/0/destination/subset` of a service's VirtualService).
    pub dangling_subsets: usize,
}

/// The shape of the mesh to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    pub services: usize,
    /// At least one is used.
    pub namespaces: usize,
    /// Deployments (and subsets) per service; at least one is used.
    pub versions: usize,
    /// Ignored when there are no services (a gateway route needs somewhere to go).
    pub gateways: usize,
    /// Route with the Gateway API instead of VirtualServices: per service an HTTPRoute whose
    /// parent is the Service (header rule to the newest version's Service, the rest split by
    /// weight across one Service per version), per gateway a Gateway API Gateway of class `istio`
    /// with an HTTPRoute; no DestinationRules, no ingress Deployment (Istio deploys it).
    pub gateway_api: bool,
    pub defects: Defects,
}

impl SynthOptions {
    /// `services` services with two versions each, a namespace per 100 services and a gateway per
    /// 200, no defects: `5 * services` resources plus a few for the gateways.
    pub fn new(services: usize) -> SynthOptions {
        SynthOptions {
            services,
            namespaces: services.div_ceil(100).max(1),
            versions: 2,
            gateways: services.div_ceil(200),
            gateway_api: false,
            defects: Defects::default(),
        }
    }
}

/// Where a defect was injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// Relative path, as in [`SynthMesh::files`].
    pub file: String,
    /// 1-based line of the injected value.
    pub line: u32,
    /// 1-based column of the first character of the injected value (the text is ASCII).
    pub column: u32,
    /// `"dangling-host"` or `"dangling-subset"`.
    pub kind: &'static str,
    /// JSON pointer of the value within its document.
    pub pointer: String,
}

/// A generated mesh.
#[derive(Debug, Clone)]
pub struct SynthMesh {
    /// (relative path, text), in generation order.
    pub files: Vec<(String, String)>,
    /// Number of documents (each one resource).
    pub resources: usize,
    pub injected: Vec<Injected>,
}

impl SynthMesh {
    /// Total size of all files in bytes.
    pub fn bytes(&self) -> usize {
        self.files.iter().map(|(_, text)| text.len()).sum()
    }
}

/// Generate the mesh described by `opts`.
pub fn generate(opts: &SynthOptions) -> SynthMesh {
    let services = opts.services;
    let namespaces = opts.namespaces.max(1);
    let versions = opts.versions.max(1);
    let gateways = if services == 0 { 0 } else { opts.gateways };
    let dangling_hosts = spread(opts.defects.dangling_hosts, services, 0);
    let dangling_subsets = spread(opts.defects.dangling_subsets, services, 1);

    let mut w = Writer { gateway_api: opts.gateway_api, ..Writer::default() };
    if gateways > 0 && !opts.gateway_api {
        w.start_namespace("istio-system");
        w.ingress_gateway();
    }
    for ns in 0..namespaces {
        w.start_namespace(&format!("ns-{ns}"));
        for i in (ns..services).step_by(namespaces) {
            let defect = ServiceDefects {
                host: dangling_hosts.binary_search(&i).is_ok(),
                subset: dangling_subsets.binary_search(&i).is_ok(),
            };
            w.service(i, ns, versions, defect);
        }
        for g in (ns..gateways).step_by(namespaces) {
            w.gateway(g, ns, services, namespaces);
        }
    }
    w.finish()
}

/// `count` distinct indices in `0..n`, evenly spread and sorted; `phase` shifts them so that two
/// kinds of defect do not always land on the same services.
fn spread(count: usize, n: usize, phase: usize) -> Vec<usize> {
    let count = count.min(n);
    let mut out: Vec<usize> = (0..count).map(|k| (k * n / count + phase * n / (2 * count)) % n).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[derive(Debug, Clone, Copy)]
struct ServiceDefects {
    host: bool,
    subset: bool,
}

/// Builds the files one line at a time, counting lines so defects can be located.
#[derive(Default)]
struct Writer {
    files: Vec<(String, String)>,
    namespace: String,
    part: usize,
    text: String,
    /// Lines written to `text` so far.
    line: u32,
    docs_in_file: usize,
    resources: usize,
    injected: Vec<Injected>,
    gateway_api: bool,
}

macro_rules! ln {
    ($w:expr, $($arg:tt)*) => { $w.line_fmt(format_args!($($arg)*)) };
}

impl Writer {
    fn line_fmt(&mut self, args: fmt::Arguments<'_>) {
        // Writing to a String cannot fail.
        let _ = self.text.write_fmt(args);
        self.text.push('\n');
        self.line += 1;
    }

    fn file_name(&self) -> String {
        format!("{}-{:03}.yaml", self.namespace, self.part)
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let name = self.file_name();
            self.files.push((name, std::mem::take(&mut self.text)));
        }
        self.line = 0;
        self.docs_in_file = 0;
    }

    fn start_namespace(&mut self, namespace: &str) {
        self.flush();
        self.namespace = namespace.to_string();
        self.part = 0;
    }

    /// Start a document: a new file when this one is full, a `---` separator otherwise.
    fn doc(&mut self, api_version: &str, kind: &str, name: &str, namespace: &str) {
        if self.docs_in_file == MAX_DOCS_PER_FILE {
            self.flush();
            self.part += 1;
        }
        if self.docs_in_file > 0 {
            ln!(self, "---");
        }
        self.docs_in_file += 1;
        self.resources += 1;
        ln!(self, "apiVersion: {api_version}");
        ln!(self, "kind: {kind}");
        ln!(self, "metadata:");
        ln!(self, "  name: {name}");
        ln!(self, "  namespace: {namespace}");
    }

    /// Write `{prefix}{value}` and record it as an injected defect.
    fn inject(&mut self, prefix: &str, value: &str, kind: &'static str, pointer: String) {
        ln!(self, "{prefix}{value}");
        self.injected.push(Injected {
            file: self.file_name(),
            line: self.line,
            column: prefix.len() as u32 + 1,
            kind,
            pointer,
        });
    }

    fn ingress_gateway(&mut self) {
        let ns = "istio-system";
        let name = "istio-ingressgateway";
        self.doc("apps/v1", "Deployment", name, ns);
        ln!(self, "  labels:");
        ln!(self, "    app: {name}");
        ln!(self, "    istio: ingressgateway");
        ln!(self, "spec:");
        ln!(self, "  selector:");
        ln!(self, "    matchLabels:");
        ln!(self, "      app: {name}");
        ln!(self, "      istio: ingressgateway");
        ln!(self, "  template:");
        ln!(self, "    metadata:");
        ln!(self, "      annotations:");
        ln!(self, "        inject.istio.io/templates: gateway");
        ln!(self, "      labels:");
        ln!(self, "        app: {name}");
        ln!(self, "        istio: ingressgateway");
        ln!(self, "        sidecar.istio.io/inject: \"true\"");
        ln!(self, "    spec:");
        ln!(self, "      containers:");
        ln!(self, "      - name: istio-proxy");
        ln!(self, "        image: auto");
        ln!(self, "        ports:");
        ln!(self, "        - containerPort: 80");
        ln!(self, "          protocol: TCP");

        self.doc("v1", "Service", name, ns);
        ln!(self, "  labels:");
        ln!(self, "    app: {name}");
        ln!(self, "    istio: ingressgateway");
        ln!(self, "spec:");
        ln!(self, "  type: LoadBalancer");
        ln!(self, "  selector:");
        ln!(self, "    app: {name}");
        ln!(self, "    istio: ingressgateway");
        ln!(self, "  ports:");
        ln!(self, "  - name: http2");
        ln!(self, "    port: 80");
        ln!(self, "    protocol: TCP");
    }

    fn service(&mut self, i: usize, ns: usize, versions: usize, defect: ServiceDefects) {
        let name = format!("svc-{i}");
        let namespace = format!("ns-{ns}");

        self.doc("v1", "Service", &name, &namespace);
        ln!(self, "  labels:");
        ln!(self, "    app: {name}");
        ln!(self, "spec:");
        ln!(self, "  selector:");
        ln!(self, "    app: {name}");
        ln!(self, "  ports:");
        ln!(self, "  - name: http");
        ln!(self, "    port: 80");
        ln!(self, "    targetPort: 8080");
        ln!(self, "    protocol: TCP");

        for v in 1..=versions {
            self.doc("apps/v1", "Deployment", &format!("{name}-v{v}"), &namespace);
            ln!(self, "  labels:");
            ln!(self, "    app: {name}");
            ln!(self, "    version: v{v}");
            ln!(self, "spec:");
            ln!(self, "  replicas: {}", 1 + (i + v) % 3);
            ln!(self, "  selector:");
            ln!(self, "    matchLabels:");
            ln!(self, "      app: {name}");
            ln!(self, "      version: v{v}");
            ln!(self, "  template:");
            ln!(self, "    metadata:");
            ln!(self, "      labels:");
            ln!(self, "        app: {name}");
            ln!(self, "        version: v{v}");
            ln!(self, "    spec:");
            ln!(self, "      containers:");
            ln!(self, "      - name: app");
            ln!(self, "        image: registry.example.com/{name}:{v}.0.{}", i % 10);
            ln!(self, "        ports:");
            ln!(self, "        - containerPort: 8080");
            ln!(self, "          protocol: TCP");
        }

        if self.gateway_api {
            self.http_route(i, &name, &namespace, versions, defect);
            return;
        }
        self.doc("networking.istio.io/v1", "DestinationRule", &name, &namespace);
        ln!(self, "spec:");
        ln!(self, "  host: {name}");
        ln!(self, "  subsets:");
        for v in 1..=versions {
            ln!(self, "  - name: v{v}");
            ln!(self, "    labels:");
            ln!(self, "      version: v{v}");
        }

        self.doc("networking.istio.io/v1", "VirtualService", &name, &namespace);
        ln!(self, "spec:");
        ln!(self, "  hosts:");
        ln!(self, "  - {name}");
        ln!(self, "  http:");
        // Rule 0: one header to the newest version.
        ln!(self, "  - match:");
        ln!(self, "    - headers:");
        ln!(self, "        x-user:");
        ln!(self, "          exact: tester-{i}");
        ln!(self, "    route:");
        ln!(self, "    - destination:");
        ln!(self, "        host: {name}");
        if defect.subset {
            let pointer = "/spec/http/0/route/0/destination/subset".to_string();
            self.inject("        subset: ", &format!("missing-{i}"), "dangling-subset", pointer);
        } else {
            ln!(self, "        subset: v{versions}");
        }
        // Rule 1: everything else, split by weight across all versions.
        ln!(self, "  - timeout: {}s", 1 + i % 5);
        ln!(self, "    route:");
        let share = 100 / versions;
        for v in 1..=versions {
            ln!(self, "    - destination:");
            if v == 1 && defect.host {
                let pointer = "/spec/http/1/route/0/destination/host".to_string();
                self.inject("        host: ", &format!("{name}-gone"), "dangling-host", pointer);
            } else {
                ln!(self, "        host: {name}");
                ln!(self, "        subset: v{v}");
            }
            let weight = if v == 1 { 100 - share * (versions - 1) } else { share };
            ln!(self, "      weight: {weight}");
        }
    }

    /// The Gateway API form of a service's routing: one Service per version and an HTTPRoute on
    /// the service (GAMMA).
    fn http_route(&mut self, i: usize, name: &str, namespace: &str, versions: usize, defect: ServiceDefects) {
        for v in 1..=versions {
            self.doc("v1", "Service", &format!("{name}-v{v}"), namespace);
            ln!(self, "spec:");
            ln!(self, "  selector:");
            ln!(self, "    app: {name}");
            ln!(self, "    version: v{v}");
            ln!(self, "  ports:");
            ln!(self, "  - name: http");
            ln!(self, "    port: 80");
            ln!(self, "    targetPort: 8080");
        }
        self.doc("gateway.networking.k8s.io/v1", "HTTPRoute", name, namespace);
        ln!(self, "spec:");
        ln!(self, "  parentRefs:");
        ln!(self, "  - group: \"\"");
        ln!(self, "    kind: Service");
        ln!(self, "    name: {name}");
        ln!(self, "    port: 80");
        ln!(self, "  rules:");
        ln!(self, "  - matches:");
        ln!(self, "    - headers:");
        ln!(self, "      - name: x-user");
        ln!(self, "        value: tester-{i}");
        ln!(self, "    backendRefs:");
        if defect.subset {
            let pointer = "/spec/rules/0/backendRefs/0/name".to_string();
            self.inject("    - name: ", &format!("{name}-missing"), "dangling-subset", pointer);
        } else {
            ln!(self, "    - name: {name}-v{versions}");
        }
        ln!(self, "      port: 80");
        ln!(self, "  - timeouts:");
        ln!(self, "      request: {}s", 1 + i % 5);
        ln!(self, "    backendRefs:");
        let share = 100 / versions;
        for v in 1..=versions {
            if v == 1 && defect.host {
                let pointer = "/spec/rules/1/backendRefs/0/name".to_string();
                self.inject("    - name: ", &format!("{name}-gone"), "dangling-host", pointer);
            } else {
                ln!(self, "    - name: {name}-v{v}");
            }
            ln!(self, "      port: 80");
            ln!(self, "      weight: {}", if v == 1 { 100 - share * (versions - 1) } else { share });
        }
    }

    fn gateway(&mut self, g: usize, ns: usize, services: usize, namespaces: usize) {
        let name = format!("gw-{g}");
        let namespace = format!("ns-{ns}");
        let host = format!("gw-{g}.example.com");
        if self.gateway_api {
            self.kubernetes_gateway(&name, &namespace, &host, g, services, namespaces);
            return;
        }

        self.doc("networking.istio.io/v1", "Gateway", &name, &namespace);
        ln!(self, "spec:");
        ln!(self, "  selector:");
        ln!(self, "    istio: ingressgateway");
        ln!(self, "  servers:");
        ln!(self, "  - port:");
        ln!(self, "      number: 80");
        ln!(self, "      name: http");
        ln!(self, "      protocol: HTTP");
        ln!(self, "    hosts:");
        ln!(self, "    - {host}");

        self.doc("networking.istio.io/v1", "VirtualService", &name, &namespace);
        ln!(self, "spec:");
        ln!(self, "  hosts:");
        ln!(self, "  - {host}");
        ln!(self, "  gateways:");
        ln!(self, "  - {name}");
        ln!(self, "  http:");
        let targets = services.min(3);
        for k in 0..targets {
            let s = (g * 3 + k) % services;
            ln!(self, "  - match:");
            ln!(self, "    - uri:");
            ln!(self, "        prefix: /svc-{s}/");
            ln!(self, "    route:");
            ln!(self, "    - destination:");
            ln!(self, "        host: svc-{s}.ns-{}.svc.cluster.local", s % namespaces);
            // Gateway traffic skips the mesh VirtualService: name the subset here too.
            ln!(self, "        subset: v1");
            ln!(self, "        port:");
            ln!(self, "          number: 80");
        }
    }

    /// A Gateway API Gateway and the HTTPRoute that routes a few path prefixes through it.
    fn kubernetes_gateway(
        &mut self,
        name: &str,
        namespace: &str,
        host: &str,
        g: usize,
        services: usize,
        namespaces: usize,
    ) {
        self.doc("gateway.networking.k8s.io/v1", "Gateway", name, namespace);
        ln!(self, "spec:");
        ln!(self, "  gatewayClassName: istio");
        ln!(self, "  listeners:");
        ln!(self, "  - name: http");
        ln!(self, "    port: 80");
        ln!(self, "    protocol: HTTP");
        ln!(self, "    hostname: {host}");
        ln!(self, "    allowedRoutes:");
        ln!(self, "      namespaces:");
        ln!(self, "        from: All");
        self.doc("gateway.networking.k8s.io/v1", "HTTPRoute", name, namespace);
        ln!(self, "spec:");
        ln!(self, "  parentRefs:");
        ln!(self, "  - name: {name}");
        ln!(self, "  hostnames:");
        ln!(self, "  - {host}");
        ln!(self, "  rules:");
        for k in 0..services.min(3) {
            let s = (g * 3 + k) % services;
            ln!(self, "  - matches:");
            ln!(self, "    - path:");
            ln!(self, "        type: PathPrefix");
            ln!(self, "        value: /svc-{s}");
            ln!(self, "    backendRefs:");
            ln!(self, "    - name: svc-{s}-v1");
            ln!(self, "      namespace: ns-{}", s % namespaces);
            ln!(self, "      port: 80");
        }
        // The backends live in other namespaces: each lets this route reach its Service.
        for k in 0..services.min(3) {
            let s = (g * 3 + k) % services;
            let target = format!("ns-{}", s % namespaces);
            if target == namespace {
                continue;
            }
            self.doc("gateway.networking.k8s.io/v1", "ReferenceGrant", &format!("{name}-svc-{s}"), &target);
            ln!(self, "spec:");
            ln!(self, "  from:");
            ln!(self, "  - group: gateway.networking.k8s.io");
            ln!(self, "    kind: HTTPRoute");
            ln!(self, "    namespace: {namespace}");
            ln!(self, "  to:");
            ln!(self, "  - group: \"\"");
            ln!(self, "    kind: Service");
            ln!(self, "    name: svc-{s}-v1");
        }
    }

    fn finish(mut self) -> SynthMesh {
        self.flush();
        SynthMesh { files: self.files, resources: self.resources, injected: self.injected }
    }
}

/// One VirtualService (`namespace: ns-0`, host `long`) with `rules` HTTP rules, each matching its
/// own path prefix (`/r{k}/`, none covering another) and a header, routed to one of two subsets,
/// and a last rule without a match: the input of the shadow analysis at scale.
pub fn long_virtual_service(rules: usize) -> String {
    let mut w = Writer::default();
    w.doc("networking.istio.io/v1", "VirtualService", "long", "ns-0");
    ln!(w, "spec:");
    ln!(w, "  hosts:");
    ln!(w, "  - long");
    ln!(w, "  http:");
    for k in 0..rules {
        ln!(w, "  - name: r{k}");
        ln!(w, "    match:");
        ln!(w, "    - uri:");
        ln!(w, "        prefix: /r{k}/");
        ln!(w, "      headers:");
        ln!(w, "        x-tenant:");
        ln!(w, "          exact: t{}", k % 7);
        ln!(w, "    route:");
        ln!(w, "    - destination:");
        ln!(w, "        host: long");
        ln!(w, "        subset: v{}", 1 + k % 2);
    }
    ln!(w, "  - route:");
    ln!(w, "    - destination:");
    ln!(w, "        host: long");
    w.text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Sources, parse_file};

    fn opts(services: usize, namespaces: usize, versions: usize, gateways: usize) -> SynthOptions {
        SynthOptions { services, namespaces, versions, gateways, gateway_api: false, defects: Defects::default() }
    }

    #[test]
    fn resource_count_scales() {
        for (s, n, v, g) in [(0, 1, 2, 3), (1, 1, 1, 0), (10, 3, 2, 2), (250, 2, 3, 5), (1000, 4, 2, 5)] {
            let mesh = generate(&opts(s, n, v, g));
            let gateways = if s == 0 { 0 } else { g };
            let ingress = if gateways > 0 { 2 } else { 0 };
            assert_eq!(mesh.resources, s * (3 + v) + 2 * gateways + ingress, "{s} {n} {v} {g}");

            let mut sources = Sources::default();
            let mut docs = 0;
            for (name, text) in &mesh.files {
                let id = sources.add(name.clone(), text.clone());
                let parsed = parse_file(sources.file(id));
                assert!(parsed.len() <= MAX_DOCS_PER_FILE, "{name}");
                for d in &parsed {
                    assert!(d.problems.is_empty(), "{name}: {:?}", d.problems);
                    assert!(d.duplicates.is_empty() && d.ambiguous.is_empty(), "{name}");
                }
                docs += parsed.len();
            }
            assert_eq!(docs, mesh.resources);
        }
    }

    #[test]
    fn big_namespaces_are_split() {
        let mesh = generate(&opts(300, 1, 2, 0));
        let names: Vec<&str> = mesh.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ns-0-000.yaml", "ns-0-001.yaml", "ns-0-002.yaml"]);
    }

    #[test]
    fn injected_defects_point_at_their_values() {
        let mut o = opts(40, 3, 3, 2);
        o.defects = Defects { dangling_hosts: 5, dangling_subsets: 4 };
        let mesh = generate(&o);
        assert_eq!(mesh.injected.iter().filter(|d| d.kind == "dangling-host").count(), 5);
        assert_eq!(mesh.injected.iter().filter(|d| d.kind == "dangling-subset").count(), 4);

        let mut sources = Sources::default();
        for (name, text) in &mesh.files {
            sources.add(name.clone(), text.clone());
        }
        for inj in &mesh.injected {
            let file = sources.files.iter().find(|f| f.name == inj.file).expect("file exists");
            // The text at line:column is the injected value.
            let line = file.text.lines().nth(inj.line as usize - 1).expect("line exists");
            let value = &line[inj.column as usize - 1..];
            let expected_prefix = if inj.kind == "dangling-host" { "svc-" } else { "missing-" };
            assert!(value.starts_with(expected_prefix), "{inj:?}: {line:?}");
            // The parser agrees: some document has that value at that pointer, at that position.
            let found = parse_file(file).iter().any(|doc| {
                let Some(node) = doc.node(&inj.pointer) else {
                    return false;
                };
                let loc = sources.location(node.value);
                loc.line == inj.line && loc.column == inj.column && file.slice(node.value) == value
            });
            assert!(found, "{inj:?}");
        }
    }

    #[test]
    fn clean_mesh_has_no_defects_and_resolves() {
        let mesh = generate(&opts(30, 4, 2, 3));
        assert!(mesh.injected.is_empty());
        let all: String = mesh.files.iter().map(|(_, t)| t.as_str()).collect();
        assert!(!all.contains("missing-") && !all.contains("-gone"));
        // Every gateway VirtualService destination names a generated Service.
        for line in all.lines().filter(|l| l.contains(".svc.cluster.local")) {
            let host = line.trim().trim_start_matches("host: ");
            let (svc, rest) = host.split_once('.').expect("fqdn");
            let ns = rest.split('.').next().expect("namespace");
            let i: usize = svc.trim_start_matches("svc-").parse().expect("index");
            assert!(i < 30 && ns == format!("ns-{}", i % 4), "{host}");
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let mut o = SynthOptions::new(500);
        o.defects = Defects { dangling_hosts: 7, dangling_subsets: 3 };
        let a = generate(&o);
        let b = generate(&o);
        assert_eq!(a.files, b.files);
        assert_eq!(a.injected, b.injected);
        assert_eq!(a.resources, b.resources);
    }

    #[test]
    fn defects_are_capped_and_distinct() {
        assert_eq!(spread(10, 4, 0), vec![0, 1, 2, 3]);
        assert_eq!(spread(2, 10, 0), vec![0, 5]);
        assert_eq!(spread(2, 10, 1), vec![2, 7]);
        assert!(spread(3, 0, 1).is_empty());
    }
}
