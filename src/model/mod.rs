//! Resources: every Kubernetes object in the input, typed where meshctl knows the kind.

mod object;

pub use object::{Object, collect_objects};
