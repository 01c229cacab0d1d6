//! Gateway API rules: what istiod's Gateway API controller would write into a route's status, and
//! references it cannot follow. They read the one translation (`crate::mesh::gateway_api`) the
//! routing engine routes with.

pub mod backend_tls_policy_not_accepted;
pub mod foreign_gateway_class;
pub mod gateway_not_ready;
pub mod listener_not_ready;
pub mod mesh_route_and_virtual_service;
pub mod mesh_route_without_waypoint;
pub mod route_kind_not_served;
pub mod route_not_accepted;
pub mod unknown_parent;
pub mod unresolved_reference;
pub mod unused_reference_grant;
