//! Typed resources: Istio networking (`v1`, `v1beta1`, `v1alpha3`) and Kubernetes core/apps.
//!
//! The model is lenient on purpose: unknown fields are ignored and every field may be absent, so
//! real-world manifests deserialize. Checking shapes and types is the job of [`crate::schema`],
//! which validates the untyped tree against schemas generated from these types.

pub mod core;
pub mod kinds;
pub mod networking;
pub mod object;

use serde::Deserialize;
use serde_json::Value;

pub use kinds::{KINDS, KindId, KindInfo, lookup, suggest_kind};
pub use object::{Object, collect_objects, is_list};

use self::core::{DaemonSet, Deployment, Namespace, ObjectMeta, Pod, Secret, Service, StatefulSet, StringMap};
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
}

fn de<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<Box<T>, String> {
    T::deserialize(value).map(Box::new).map_err(|e| e.to_string())
}

/// Deserializes `value` as the modelled kind for `api_version`/`kind`. `None` when the pair is
/// not modelled; `Some(Err(message))` when the value does not fit even the lenient model.
pub fn typed(api_version: &str, kind: &str, value: &Value) -> Option<Result<Typed, String>> {
    let info = lookup(api_version, kind)?;
    Some(match info.id {
        KindId::VirtualService => de(value).map(Typed::VirtualService),
        KindId::Gateway => de(value).map(Typed::Gateway),
        KindId::DestinationRule => de(value).map(Typed::DestinationRule),
        KindId::ServiceEntry => de(value).map(Typed::ServiceEntry),
        KindId::Sidecar => de(value).map(Typed::Sidecar),
        KindId::WorkloadEntry => de(value).map(Typed::WorkloadEntry),
        KindId::Namespace => de(value).map(Typed::Namespace),
        KindId::Service => de(value).map(Typed::Service),
        KindId::Secret => de(value).map(Typed::Secret),
        KindId::Pod => de(value).map(Typed::Pod),
        KindId::Deployment => de(value).map(Typed::Deployment),
        KindId::StatefulSet => de(value).map(Typed::StatefulSet),
        KindId::DaemonSet => de(value).map(Typed::DaemonSet),
    })
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
}
