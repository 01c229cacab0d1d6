//! meshctl: lint, graph, simulate and apply Istio service-mesh manifests.
//!
//! Data flows one way: [`source`] → [`model`] → [`lint`] → [`report`].

pub mod lint;
pub mod source;
pub mod synth;
