//! Traffic-policy rules: DestinationRule settings that istiod builds into clusters and endpoints
//! differently from what they say (`pilot/pkg/networking/core/cluster_traffic_policy.go`,
//! `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`).

pub mod failover_without_outlier_detection;
