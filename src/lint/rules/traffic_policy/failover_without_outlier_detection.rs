use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::model::Typed;
use crate::model::networking::{LoadBalancerSettings, OutlierDetection, TrafficPolicy};
use serde_json::Value;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0306",
    name: "failover-without-outlier-detection",
    severity: Severity::Warning,
    istio_code: None,
    summary: "Locality failover is configured, but no outlierDetection applies with it, so it never fails over",
    docs: r#"## What it finds
A DestinationRule `localityLbSetting` with `failover` or `failoverPriority` where the traffic
policy that applies with it, merged as istiod merges it, has no `outlierDetection`: the top level;
each `portLevelSettings` entry (which replaces the top-level load balancer and outlier detection
for its port); each subset (whose own fields win over the top level's).

## Why it matters
istiod computes locality priorities only when outlier detection is on for that cluster
(`loadbalancer.go` `ApplyLocalityLoadBalancer`: `enableFailover`; the proto: "if no
OutlierDetection specified, this will not take effect"). Without it every endpoint has priority 0:
traffic is spread over every region, and nothing moves away from an unhealthy one. People find out
in an outage. (`distribute` is not reported: it sets weights with or without outlier detection, and
never fails over.)

## Example
```yaml
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: sample}
spec:
  host: helloworld.sample.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        enabled: true
        failover:
        - from: region1
          to: region2
```

## Fix
Add `outlierDetection` next to the load balancer, e.g. `{consecutive5xxErrors: 1, interval: 1s,
baseEjectionTime: 1m}` as Istio's locality failover task does.
"#,
};

pub struct Check;

/// Whether a load-balancer setting asks for failover: `failover` or `failoverPriority`, not
/// disabled.
fn fails_over(lb: Option<&LoadBalancerSettings>) -> bool {
    let Some(l) = lb.and_then(|l| l.locality_lb_setting.as_ref()) else { return false };
    let set = |k: &str| l.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    l.get("enabled") != Some(&Value::Bool(false)) && (set("failover") || set("failoverPriority"))
}

/// One policy that applies to some clusters: its load balancer and outlier detection, where they
/// are written, and what it applies to.
struct Applied<'p> {
    lb: Option<&'p LoadBalancerSettings>,
    lb_at: String,
    od: Option<&'p OutlierDetection>,
    scope: String,
}

/// The policies `tp` (at `base`) yields: itself, and each port-level entry, which replaces the load
/// balancer and outlier detection for its port. `inherit` is what a subset falls back to.
fn applied<'p>(
    tp: &'p TrafficPolicy,
    base: &str,
    inherit: Option<&Applied<'p>>,
    scope: &str,
    out: &mut Vec<Applied<'p>>,
) {
    let lb = tp.load_balancer.as_ref().or(inherit.and_then(|i| i.lb));
    let lb_at = match (&tp.load_balancer, inherit) {
        (None, Some(i)) => i.lb_at.clone(),
        _ => format!("{base}/loadBalancer/localityLbSetting"),
    };
    let od = tp.outlier_detection.as_ref().or(inherit.and_then(|i| i.od));
    out.push(Applied { lb, lb_at, od, scope: scope.to_string() });
    for (k, p) in tp.port_level_settings.iter().flatten().enumerate() {
        let port = p.port.as_ref().and_then(|s| s.number).map_or(String::new(), |n| format!(" port {n}"));
        out.push(Applied {
            lb: p.load_balancer.as_ref(),
            lb_at: format!("{base}/portLevelSettings/{k}/loadBalancer/localityLbSetting"),
            od: p.outlier_detection.as_ref(),
            scope: format!("{scope}{port}"),
        });
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, t) in cx.typed.iter().enumerate() {
            let Some(Ok(Typed::DestinationRule(dr))) = t else { continue };
            let mut all: Vec<Applied> = Vec::new();
            let empty = TrafficPolicy::default();
            let top = dr.spec.traffic_policy.as_deref().unwrap_or(&empty);
            applied(top, "/spec/trafficPolicy", None, "the host", &mut all);
            let top_applied =
                Applied { lb: all[0].lb, lb_at: all[0].lb_at.clone(), od: all[0].od, scope: String::new() };
            for (k, s) in dr.spec.subsets.iter().flatten().enumerate() {
                if let Some(tp) = s.traffic_policy.as_deref() {
                    applied(
                        tp,
                        &format!("/spec/subsets/{k}/trafficPolicy"),
                        Some(&top_applied),
                        &format!("subset {}", s.name),
                        &mut all,
                    );
                }
            }
            let obj = &cx.objects[i];
            let ns = obj.namespace_or(&cx.options.default_namespace);
            let name = obj.name.as_deref().unwrap_or_default();
            let mut reported: Vec<String> = Vec::new();
            for a in all.iter().filter(|a| fails_over(a.lb) && a.od.is_none()) {
                if reported.contains(&a.lb_at) {
                    continue;
                }
                reported.push(a.lb_at.clone());
                out.push(
                    cx.at(
                        &META,
                        obj,
                        &a.lb_at,
                        format!(
                            "DestinationRule {ns}/{name} sets locality failover, but no outlierDetection applies to {}: istiod computes no locality priorities, so traffic never fails over",
                            a.scope
                        ),
                    )
                    .label("failover without outlier detection")
                    .help("add outlierDetection (e.g. consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m) to the same policy"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::{docs_example, findings};

    #[test]
    fn the_example_is_reported() {
        let f = findings(&docs_example(&super::META), "MESH0306");
        assert!(f.len() == 1 && f[0].0 == 9 && f[0].1.contains("no outlierDetection applies to the host"), "{f:?}");
    }

    #[test]
    fn outlier_detection_subsets_ports_and_distribute() {
        let example = docs_example(&super::META);
        let od = example
            .replace("    loadBalancer:\n", "    outlierDetection: {consecutive5xxErrors: 1}\n    loadBalancer:\n");
        assert!(findings(&od, "MESH0306").is_empty());
        assert!(findings(&example.replace("enabled: true", "enabled: false"), "MESH0306").is_empty());
        let distribute = example.replace(
            "failover:\n        - from: region1\n          to: region2",
            "distribute: [{from: region1/*, to: {region1/*: 80, region2/*: 20}}]",
        );
        assert!(findings(&distribute, "MESH0306").is_empty());
        // A subset's own outlierDetection turns failover on for it, not for the host.
        let subset = format!(
            "{od}  subsets:\n  - name: v1\n    labels: {{version: v1}}\n    trafficPolicy: {{loadBalancer: {{localityLbSetting: {{failoverPriority: [topology.kubernetes.io/region]}}}}}}\n"
        );
        assert!(findings(&subset, "MESH0306").is_empty(), "the subset inherits the host's outlierDetection");
        let port = od.replace("  trafficPolicy:\n", "  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 5000}\n      loadBalancer: {localityLbSetting: {failover: [{from: region1, to: region3}]}}\n");
        let f = findings(&port, "MESH0306");
        assert!(
            f.len() == 1 && f[0].1.contains("applies to the host port 5000"),
            "a port-level entry replaces outlierDetection: {f:?}"
        );
    }
}
