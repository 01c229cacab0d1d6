//! Typed resources: Istio networking (`v1`, `v1beta1`, `v1alpha3`) and Kubernetes core/apps.
//!
//! The model is lenient on purpose: unknown fields are ignored and every field may be absent, so
//! real-world manifests deserialize. Checking shapes and types is the job of [`crate::schema`],
//! which validates the untyped tree against upstream's schemas; a test (`drift.rs`) keeps the
//! model and those schemas in step.

pub mod certificate;
pub mod core;
#[cfg(test)]
mod drift;
pub mod gateway_api;
pub mod kinds;
pub mod networking;
pub mod object;
pub mod security;
mod string_map;

use serde::Deserialize;
use serde_json::Value;

pub use kinds::{KINDS, KindId, KindInfo, lookup, suggest_kind};
pub use object::{Object, collect_objects, is_list};

use self::core::{DaemonSet, Deployment, Namespace, ObjectMeta, Pod, Secret, Service, StatefulSet, StringMap};
use self::gateway_api as gw;
use self::networking::{DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry};

/// A resource of a modelled kind.
#[derive(Debug, Clone)]
pub enum Typed {
    VirtualService(Box<VirtualService>),
    Gateway(Box<Gateway>),
    DestinationRule(Box<DestinationRule>),
    ServiceEntry(Box<ServiceEntry>),
    Sidecar(Box<Sidecar>),
    WorkloadEntry(Box<WorkloadEntry>),
    Namespace(Box<Namespace>),
    Service(Box<Service>),
    Secret(Box<Secret>),
    Pod(Box<Pod>),
    Deployment(Box<Deployment>),
    StatefulSet(Box<StatefulSet>),
    DaemonSet(Box<DaemonSet>),
    GatewayClass(Box<gw::GatewayClass>),
    /// A Gateway API Gateway (`gateway.networking.k8s.io`); [`Typed::Gateway`] is Istio's.
    KubernetesGateway(Box<gw::Gateway>),
    HTTPRoute(Box<gw::HTTPRoute>),
    GRPCRoute(Box<gw::GRPCRoute>),
    TLSRoute(Box<gw::TLSRoute>),
    TCPRoute(Box<gw::TCPRoute>),
    UDPRoute(Box<gw::UDPRoute>),
    ReferenceGrant(Box<gw::ReferenceGrant>),
    ListenerSet(Box<gw::ListenerSet>),
    BackendTLSPolicy(Box<gw::BackendTLSPolicy>),
    AuthorizationPolicy(Box<security::AuthorizationPolicy>),
    PeerAuthentication(Box<security::PeerAuthentication>),
    RequestAuthentication(Box<security::RequestAuthentication>),
}

/// A field left out of an object's typed form because it does not fit the model (a number where
/// a duration string belongs, a map where a list belongs). The schema rules report the field
/// itself; the rest of the object is still modelled, so that the cross-resource rules and the
/// routing engine still see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredField {
    /// JSON pointer of the field, relative to the object.
    pub pointer: String,
    /// Why it does not fit.
    pub message: String,
}

/// How many fields one object may lose before it counts as not fitting at all.
const MAX_IGNORED: usize = 32;

fn de<T: for<'de> Deserialize<'de>>(value: &Value, ignored: &mut Vec<IgnoredField>) -> Result<Box<T>, String> {
    // The common case costs one pass: only an object that does not fit is copied and retried.
    let first = match T::deserialize(value) {
        Ok(t) => return Ok(Box::new(t)),
        Err(e) => e.to_string(),
    };
    let mut value = value.clone();
    while ignored.len() < MAX_IGNORED {
        let e = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(t) => return Ok(Box::new(t)),
            Err(e) => e,
        };
        let Some(pointer) = remove_failing(&mut value, e.path()) else { return Err(e.inner().to_string()) };
        ignored.push(IgnoredField { pointer, message: e.inner().to_string() });
    }
    Err(first)
}

/// Remove the field at `path` from `value` and return its pointer: the field itself when its parent
/// is a mapping, else the nearest enclosing field (an element is never taken out of its list, which
/// would shift the indices every finding's pointer is built from). `None` when the path reaches no
/// field, as for an error at the top level.
fn remove_failing(value: &mut Value, path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut steps: Vec<(String, bool)> = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => steps.push((key.clone(), true)),
            Segment::Seq { index } => steps.push((index.to_string(), false)),
            Segment::Enum { .. } => {}
            Segment::Unknown => break,
        }
    }
    // The deepest mapping key on the path.
    let keep = steps.iter().rposition(|(_, is_key)| *is_key)?;
    steps.truncate(keep + 1);
    let (last, _) = steps.pop()?;
    let mut parent = &mut *value;
    for (step, is_key) in &steps {
        parent = if *is_key { parent.get_mut(step.as_str())? } else { parent.get_mut(step.parse::<usize>().ok()?)? };
    }
    parent.as_object_mut()?.shift_remove(&last)?;
    let mut pointer = String::new();
    for (step, _) in steps.iter().chain(std::iter::once(&(last, true))) {
        pointer.push('/');
        pointer.push_str(&crate::source::escape_segment(step));
    }
    Some(pointer)
}

/// Deserializes `value` as the modelled kind for `api_version`/`kind`. `None` when the pair is
/// not modelled; `Some(Err(message))` when the value does not fit even the lenient model.
pub fn typed(api_version: &str, kind: &str, value: &Value) -> Option<Result<Typed, String>> {
    typed_lenient(api_version, kind, value).0
}

/// [`typed`], and the fields it had to leave out so that the rest of the object fits the model.
pub fn typed_lenient(
    api_version: &str,
    kind: &str,
    value: &Value,
) -> (Option<Result<Typed, String>>, Vec<IgnoredField>) {
    let mut ignored = Vec::new();
    let Some(info) = lookup(api_version, kind) else { return (None, ignored) };
    let v = value;
    let i = &mut ignored;
    let typed = match info.id {
        KindId::VirtualService => de(v, i).map(Typed::VirtualService),
        KindId::Gateway => de(v, i).map(Typed::Gateway),
        KindId::DestinationRule => de(v, i).map(Typed::DestinationRule),
        KindId::ServiceEntry => de(v, i).map(Typed::ServiceEntry),
        KindId::Sidecar => de(v, i).map(Typed::Sidecar),
        KindId::WorkloadEntry => de(v, i).map(Typed::WorkloadEntry),
        KindId::Namespace => de(v, i).map(Typed::Namespace),
        KindId::Service => de(v, i).map(Typed::Service),
        KindId::Secret => de(v, i).map(Typed::Secret),
        KindId::Pod => de(v, i).map(Typed::Pod),
        KindId::Deployment => de(v, i).map(Typed::Deployment),
        KindId::StatefulSet => de(v, i).map(Typed::StatefulSet),
        KindId::DaemonSet => de(v, i).map(Typed::DaemonSet),
        KindId::GatewayClass => de(v, i).map(Typed::GatewayClass),
        KindId::KubernetesGateway => de(v, i).map(|mut g: Box<gw::Gateway>| {
            g.derive();
            Typed::KubernetesGateway(g)
        }),
        KindId::HTTPRoute => de(v, i).map(Typed::HTTPRoute),
        KindId::GRPCRoute => de(v, i).map(Typed::GRPCRoute),
        KindId::TLSRoute => de(v, i).map(Typed::TLSRoute),
        KindId::TCPRoute => de(v, i).map(Typed::TCPRoute),
        KindId::UDPRoute => de(v, i).map(Typed::UDPRoute),
        KindId::ReferenceGrant => de(v, i).map(Typed::ReferenceGrant),
        KindId::ListenerSet => de(v, i).map(Typed::ListenerSet),
        KindId::BackendTLSPolicy => de(v, i).map(Typed::BackendTLSPolicy),
        KindId::AuthorizationPolicy => de(v, i).map(Typed::AuthorizationPolicy),
        KindId::PeerAuthentication => de(v, i).map(Typed::PeerAuthentication),
        KindId::RequestAuthentication => de(v, i).map(Typed::RequestAuthentication),
    };
    if typed.is_err() {
        ignored.clear();
    }
    (Some(typed), ignored)
}

impl Typed {
    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Typed::VirtualService(r) => &r.metadata,
            Typed::Gateway(r) => &r.metadata,
            Typed::DestinationRule(r) => &r.metadata,
            Typed::ServiceEntry(r) => &r.metadata,
            Typed::Sidecar(r) => &r.metadata,
            Typed::WorkloadEntry(r) => &r.metadata,
            Typed::Namespace(r) => &r.metadata,
            Typed::Service(r) => &r.metadata,
            Typed::Secret(r) => &r.metadata,
            Typed::Pod(r) => &r.metadata,
            Typed::Deployment(r) => &r.metadata,
            Typed::StatefulSet(r) => &r.metadata,
            Typed::DaemonSet(r) => &r.metadata,
            Typed::GatewayClass(r) => &r.metadata,
            Typed::KubernetesGateway(r) => &r.metadata,
            Typed::HTTPRoute(r) => &r.metadata,
            Typed::GRPCRoute(r) => &r.metadata,
            Typed::TLSRoute(r) => &r.metadata,
            Typed::TCPRoute(r) => &r.metadata,
            Typed::UDPRoute(r) => &r.metadata,
            Typed::ReferenceGrant(r) => &r.metadata,
            Typed::ListenerSet(r) => &r.metadata,
            Typed::BackendTLSPolicy(r) => &r.metadata,
            Typed::AuthorizationPolicy(r) => &r.metadata,
            Typed::PeerAuthentication(r) => &r.metadata,
            Typed::RequestAuthentication(r) => &r.metadata,
        }
    }

    /// Which kind this is.
    pub fn kind_id(&self) -> KindId {
        match self {
            Typed::VirtualService(_) => KindId::VirtualService,
            Typed::Gateway(_) => KindId::Gateway,
            Typed::DestinationRule(_) => KindId::DestinationRule,
            Typed::ServiceEntry(_) => KindId::ServiceEntry,
            Typed::Sidecar(_) => KindId::Sidecar,
            Typed::WorkloadEntry(_) => KindId::WorkloadEntry,
            Typed::Namespace(_) => KindId::Namespace,
            Typed::Service(_) => KindId::Service,
            Typed::Secret(_) => KindId::Secret,
            Typed::Pod(_) => KindId::Pod,
            Typed::Deployment(_) => KindId::Deployment,
            Typed::StatefulSet(_) => KindId::StatefulSet,
            Typed::DaemonSet(_) => KindId::DaemonSet,
            Typed::GatewayClass(_) => KindId::GatewayClass,
            Typed::KubernetesGateway(_) => KindId::KubernetesGateway,
            Typed::HTTPRoute(_) => KindId::HTTPRoute,
            Typed::GRPCRoute(_) => KindId::GRPCRoute,
            Typed::TLSRoute(_) => KindId::TLSRoute,
            Typed::TCPRoute(_) => KindId::TCPRoute,
            Typed::UDPRoute(_) => KindId::UDPRoute,
            Typed::ReferenceGrant(_) => KindId::ReferenceGrant,
            Typed::ListenerSet(_) => KindId::ListenerSet,
            Typed::BackendTLSPolicy(_) => KindId::BackendTLSPolicy,
            Typed::AuthorizationPolicy(_) => KindId::AuthorizationPolicy,
            Typed::PeerAuthentication(_) => KindId::PeerAuthentication,
            Typed::RequestAuthentication(_) => KindId::RequestAuthentication,
        }
    }

    /// The labels of the pods this object is or creates: a Pod's own labels, a controller's
    /// `spec.template.metadata.labels`. `None` for other kinds.
    pub fn pod_template_labels(&self) -> Option<&StringMap> {
        let spec = match self {
            Typed::Pod(pod) => return pod.metadata.labels.as_ref(),
            Typed::Deployment(r) => r.spec.as_ref(),
            Typed::StatefulSet(r) => r.spec.as_ref(),
            Typed::DaemonSet(r) => r.spec.as_ref(),
            _ => return None,
        };
        spec?.template.metadata.as_ref()?.labels.as_ref()
    }

    /// The annotations and spec of the pods this object is or creates (a Pod's own, a
    /// controller's `spec.template`); `None` for other kinds.
    pub fn pod_template(&self) -> Option<(Option<&StringMap>, Option<&core::PodSpec>)> {
        let spec = match self {
            Typed::Pod(pod) => return Some((pod.metadata.annotations.as_ref(), pod.spec.as_ref())),
            Typed::Deployment(r) => r.spec.as_ref(),
            Typed::StatefulSet(r) => r.spec.as_ref(),
            Typed::DaemonSet(r) => r.spec.as_ref(),
            _ => return None,
        };
        let template = &spec?.template;
        Some((template.metadata.as_ref().and_then(|m| m.annotations.as_ref()), template.spec.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::networking::{ClientTLSMode, Location, Resolution, ServerTLSMode};
    use crate::source::{FileId, SourceFile, parse_file};

    const BOOKINFO: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts:
  - reviews
  http:
  - name: jason
    match:
    - headers:
        end-user:
          exact: jason
        x-debug: {}
      uri:
        prefix: /reviews
    route:
    - destination:
        host: reviews
        subset: v2
        port:
          number: 9080
    timeout: 10s
    retries:
      attempts: 3
      perTryTimeout: 2s
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 75
    - destination:
        host: reviews
        subset: v3
      weight: 25
    fault:
      abort:
        httpStatus: 503
        percentage:
          value: 0.1
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - bookinfo.example.com
    tls:
      mode: SIMPLE
      credentialName: bookinfo-cert
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews.bookinfo.svc.cluster.local
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    portLevelSettings:
    - port:
        number: 9080
      loadBalancer:
        simple: LEAST_REQUEST
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      connectionPool:
        http:
          http2MaxRequests: 100
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external-api
spec:
  hosts:
  - api.example.com
  ports:
  - number: 443
    name: https
    protocol: TLS
  location: MESH_EXTERNAL
  resolution: DNS
  endpoints:
  - address: api.example.com
    ports:
      https: 443
"#;

    fn docs(text: &str) -> Vec<Value> {
        let file = SourceFile::new(FileId(0), "test.yaml".into(), text.to_string());
        parse_file(&file).into_iter().map(|d| d.value.expect("valid YAML")).collect()
    }

    fn typed_doc(doc: &Value) -> Typed {
        let api_version = doc["apiVersion"].as_str().unwrap();
        let kind = doc["kind"].as_str().unwrap();
        typed(api_version, kind, doc).expect("known kind").expect("deserializes")
    }

    #[test]
    fn bookinfo_resources_deserialize() {
        let docs = docs(BOOKINFO);
        let Typed::VirtualService(vs) = typed_doc(&docs[0]) else { panic!("not a VirtualService") };
        assert_eq!(vs.metadata.namespace.as_deref(), Some("bookinfo"));
        assert_eq!(vs.spec.hosts.as_deref(), Some(&["reviews".to_string()][..]));
        let http = vs.spec.http.as_ref().unwrap();
        let m = &http[0].match_.as_ref().unwrap()[0];
        assert_eq!(m.uri.as_ref().unwrap().prefix.as_deref(), Some("/reviews"));
        let headers = m.headers.as_ref().unwrap();
        assert_eq!(headers["end-user"].exact.as_deref(), Some("jason"));
        assert_eq!(headers["x-debug"], Default::default());
        let dest = &http[0].route.as_ref().unwrap()[0].destination;
        assert_eq!((dest.host.as_str(), dest.subset.as_deref()), ("reviews", Some("v2")));
        assert_eq!(dest.port.as_ref().unwrap().number, Some(9080));
        assert_eq!(http[0].timeout.as_ref().unwrap().0, "10s");
        let weights: Vec<Option<i32>> = http[1].route.as_ref().unwrap().iter().map(|r| r.weight).collect();
        assert_eq!(weights, vec![Some(75), Some(25)]);
        assert_eq!(http[1].fault.as_ref().unwrap().abort.as_ref().unwrap().http_status, Some(503));

        let Typed::Gateway(gw) = typed_doc(&docs[1]) else { panic!("not a Gateway") };
        let server = &gw.spec.servers.as_ref().unwrap()[0];
        assert_eq!((server.port.number, server.port.protocol.0.as_str()), (443, "HTTPS"));
        assert_eq!(server.tls.as_ref().unwrap().mode, Some(ServerTLSMode::Simple));

        let Typed::DestinationRule(dr) = typed_doc(&docs[2]) else { panic!("not a DestinationRule") };
        assert_eq!(dr.spec.host, "reviews.bookinfo.svc.cluster.local");
        let subsets = dr.spec.subsets.as_ref().unwrap();
        assert_eq!(subsets.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);
        assert_eq!(subsets[1].labels.as_ref().unwrap()["version"], "v2");
        let policy = dr.spec.traffic_policy.as_ref().unwrap();
        assert_eq!(policy.tls.as_ref().unwrap().mode, Some(ClientTLSMode::IstioMutual));

        let Typed::ServiceEntry(se) = typed_doc(&docs[3]) else { panic!("not a ServiceEntry") };
        assert_eq!(se.spec.location, Some(Location::MeshExternal));
        assert_eq!(se.spec.resolution, Some(Resolution::Dns));
        assert_eq!(se.spec.endpoints.as_ref().unwrap()[0].ports.as_ref().unwrap()["https"], 443);

        for doc in &docs {
            let api_version = doc["apiVersion"].as_str().unwrap();
            let kind = doc["kind"].as_str().unwrap();
            assert_eq!(crate::schema::validate(api_version, kind, doc), Some(vec![]), "{kind}");
        }
    }

    #[test]
    fn deserialization_is_lenient() {
        let docs = docs(
            r#"
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: x
  creationTimestamp: "2024-01-01T00:00:00Z"
spec:
  hosts: [a.example.com]
  location: MESH_INTERNET
  somethingNew: true
  ports:
  - number: 80
    protocol: http
status:
  observedGeneration: 3
"#,
        );
        let Typed::ServiceEntry(se) = typed_doc(&docs[0]) else { panic!() };
        assert_eq!(se.spec.location, Some(Location::Unknown));
        assert_eq!(se.spec.ports.as_ref().unwrap()[0].number, 80);
        assert!(typed("v1", "ConfigMap", &docs[0]).is_none());
        let svc = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"type": "Loadbalancer", "ports": [{"port": 80, "protocol": "tcp", "targetPort": "http"}]}});
        let Some(Ok(Typed::Service(svc))) = typed("v1", "Service", &svc) else { panic!() };
        let spec = svc.spec.unwrap();
        assert_eq!(spec.type_, Some(self::core::ServiceType::Unknown));
        assert_eq!(spec.ports.unwrap()[0].protocol, Some(self::core::PortProtocol::Unknown));
        let broken = serde_json::json!({"apiVersion": "v1", "kind": "Service", "spec": "nope"});
        let (t, ignored) = typed_lenient("v1", "Service", &broken);
        let Some(Ok(Typed::Service(svc))) = t else { panic!("{t:?}") };
        assert!(svc.spec.is_none());
        assert_eq!(ignored[0].pointer, "/spec");
        assert!(typed("v1", "Service", &serde_json::json!("nope")).unwrap().is_err());
    }

    #[test]
    fn a_field_that_does_not_fit_leaves_the_rest_modelled() {
        // `timeout: 5` is a number where a duration string belongs: only that field is lost, so the
        // route beside it is still checked.
        let vs = serde_json::json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "r"}, "spec": {"hosts": ["r"], "http": [
                {"route": [{"destination": {"host": "r", "port": {"number": 81}}}]},
                {"timeout": 5, "route": [{"destination": {"host": "r", "port": {"number": 9999}}}]}]}});
        let (t, ignored) = typed_lenient("networking.istio.io/v1", "VirtualService", &vs);
        let Some(Ok(Typed::VirtualService(vs))) = t else { panic!("{t:?}") };
        let http = vs.spec.http.as_ref().unwrap();
        assert_eq!(http.len(), 2, "no element is taken out of its list");
        assert!(http[1].timeout.is_none());
        assert_eq!(http[1].route.as_ref().unwrap()[0].destination.port.as_ref().unwrap().number, Some(9999));
        assert_eq!(ignored.len(), 1);
        assert_eq!(ignored[0].pointer, "/spec/http/1/timeout");
        assert!(ignored[0].message.contains("invalid type"), "{}", ignored[0].message);
    }

    #[test]
    fn workloads_and_secrets() {
        let docs = docs(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
spec:
  replicas: 1
  selector:
    matchLabels: {app: reviews, version: v1}
  template:
    metadata:
      labels: {app: reviews, version: v1}
    spec:
      serviceAccountName: bookinfo-reviews
      containers:
      - name: reviews
        image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2
        ports:
        - containerPort: 9080
---
apiVersion: v1
kind: Secret
metadata:
  name: bookinfo-cert
  namespace: istio-system
type: kubernetes.io/tls
data:
  tls.crt: c2VjcmV0LWNlcnQ=
  tls.key: c2VjcmV0LWtleQ==
"#,
        );
        let deployment = typed_doc(&docs[0]);
        assert_eq!(deployment.kind_id(), KindId::Deployment);
        assert_eq!(deployment.metadata().name.as_deref(), Some("reviews-v1"));
        assert_eq!(deployment.pod_template_labels().unwrap()["version"], "v1");
        let secret = typed_doc(&docs[1]);
        assert!(secret.pod_template_labels().is_none());
        let debug = format!("{secret:?}");
        assert!(debug.contains("tls.key") && debug.contains("<redacted>"));
        assert!(!debug.contains("c2VjcmV0"), "{debug}");
    }
}
