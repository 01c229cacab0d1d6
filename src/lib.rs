//! meshctl: lint, graph, simulate and apply Istio service-mesh manifests.
//!
//! Data flows one way: [`source`] → [`model`] → [`mesh`] → [`lint`] → [`report`].

pub mod authz;
pub mod cli;
pub mod cluster;
pub mod lint;
pub mod mesh;
pub mod model;
pub mod report;
pub mod routing;
pub mod schema;
pub mod source;
pub mod synth;
