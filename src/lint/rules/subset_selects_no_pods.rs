use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::mesh::{Workload, nearest, selector_string, selects};
use crate::model::core::StringMap;
use std::collections::{BTreeSet, HashMap};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0213",
    name: "subset-selects-no-pods",
    severity: Severity::Error,
    istio_code: Some("IST0173"),
    summary: "A DestinationRule subset's labels select none of the workloads of its host",
    docs: r#"## What it finds
A subset of a DestinationRule whose `labels` match none of the workloads behind the rule's host.
The endpoints of a subset are the endpoints of the service (the Pods its selector picks in its
namespace, or the workloads a ServiceEntry's `workloadSelector` picks) that also carry every
subset label. Pods are augmented with the topology labels Istio adds from their Node
(`topology.kubernetes.io/region`, `topology.kubernetes.io/zone`, `topology.istio.io/subzone`,
`kubernetes.io/hostname`) when the Pod's Node is in the input; a subset on topology labels is not
judged for workloads whose Node is unknown, nor one on `topology.istio.io/cluster` or
`topology.istio.io/network` (only the running control plane knows those).

When the input defines no workload of the service at all, the check falls back to what
`istioctl analyze` does: the subset is reported when no workload anywhere in the input carries its
labels. When the input defines no workloads at all, nothing is reported.

## Why it matters
A route to the subset finds no endpoint: Envoy answers `503` with `UH` (no healthy upstream).

## Example
```yaml
kind: DestinationRule
spec:
  host: reviews
  subsets:
  - name: v3
    labels:
      version: v3      # only reviews-v1 and reviews-v2 exist
```

## Fix
Correct the subset's labels to those of the workloads (the finding names the closest ones), or
deploy the workloads the subset is for.
"#,
};

/// Labels Istio adds to an endpoint from its Node.
const NODE_TOPOLOGY: [&str; 4] = [
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.istio.io/subzone",
    "kubernetes.io/hostname",
];
/// Labels Istio adds from the cluster it runs in: unknowable offline.
const CLUSTER_TOPOLOGY: [&str; 2] = ["topology.istio.io/cluster", "topology.istio.io/network"];

pub struct Check;

/// Node name → labels, for the Nodes in the input.
fn node_labels<'c>(cx: &Context<'c>) -> HashMap<&'c str, StringMap> {
    cx.objects
        .iter()
        .filter(|o| o.kind == "Node" && o.api_version == "v1")
        .filter_map(|o| {
            let labels = cx.value(o).pointer("/metadata/labels").and_then(|l| l.as_object());
            let labels =
                labels.into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect();
            Some((o.name.as_deref()?, labels))
        })
        .collect()
}

/// A workload's labels as Istio sees them on its endpoints, with the topology labels of its Node;
/// `None` for the topology part when the workload's Node is not known (not a Pod, no `nodeName`,
/// or the Node is not in the input).
fn endpoint_labels(cx: &Context, nodes: &HashMap<&str, StringMap>, w: &Workload) -> (StringMap, bool) {
    let mut labels = w.labels.clone();
    let Some(obj) = w.obj.map(|i| &cx.objects[i]) else { return (labels, false) };
    if obj.kind != "Pod" {
        return (labels, false);
    }
    let Some(node) = cx.value(obj).pointer("/spec/nodeName").and_then(|n| n.as_str()).filter(|n| !n.is_empty()) else {
        return (labels, false);
    };
    let Some(nl) = nodes.get(node) else { return (labels, false) };
    // Istio joins region/zone/subzone into a locality and splits it again: a zone without a
    // region is kept in the region's place, a subzone without a zone is dropped.
    let get = |k: &str| nl.get(k).map(String::as_str).unwrap_or("");
    let (region, zone, sub) = (get(NODE_TOPOLOGY[0]), get(NODE_TOPOLOGY[1]), get(NODE_TOPOLOGY[2]));
    let mut locality = region.to_string();
    if !zone.is_empty() {
        locality.push('/');
        locality.push_str(zone);
        if !sub.is_empty() {
            locality.push('/');
            locality.push_str(sub);
        }
    }
    for (key, part) in NODE_TOPOLOGY[..3].iter().zip(locality.split('/')) {
        if !part.is_empty() {
            labels.insert(key.to_string(), part.to_string());
        }
    }
    labels.insert(NODE_TOPOLOGY[3].to_string(), node.to_string());
    (labels, true)
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let mesh = cx.mesh();
        if !mesh.has_workloads() {
            return;
        }
        let nodes = node_labels(cx);
        for dr in &mesh.destination_rules {
            let services = mesh.services_for(&dr.host, &dr.namespace);
            if services.is_empty() {
                continue;
            }
            // The service's own workloads, when every service under the host has them from a
            // selector; otherwise (static endpoints) the subset cannot be judged.
            let Some(own) = services.iter().map(|s| mesh.service_workloads(s)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let own: Vec<&Workload> = own.into_iter().flatten().collect();
            let fallback = own.is_empty();
            let pool: Vec<&Workload> = if fallback { mesh.workloads.iter().collect() } else { own };
            let endpoints: Vec<(StringMap, bool, Option<usize>)> = pool
                .iter()
                .map(|w| {
                    let (l, known) = endpoint_labels(cx, &nodes, w);
                    (l, known, w.obj)
                })
                .collect();
            let obj = &cx.objects[dr.obj];
            for (i, subset) in dr.subsets().enumerate() {
                let Some(labels) = subset.labels.as_ref().filter(|l| !l.is_empty()) else { continue };
                if labels.keys().any(|k| CLUSTER_TOPOLOGY.contains(&k.as_str())) {
                    continue;
                }
                let topology = labels.keys().any(|k| NODE_TOPOLOGY.contains(&k.as_str()));
                if endpoints.iter().any(|(l, known, _)| selects(labels, l) || (topology && !known)) {
                    continue;
                }
                let whose = if fallback {
                    format!("no workload in the input (the service `{}` selects none of them)", services[0].host)
                } else {
                    format!("none of the workloads of `{}`", services[0].host)
                };
                out.push(report(cx, obj, i, &subset.name, labels, &endpoints, &whose));
            }
        }
    }
}

fn report(
    cx: &Context,
    obj: &crate::model::Object,
    i: usize,
    name: &str,
    labels: &StringMap,
    endpoints: &[(StringMap, bool, Option<usize>)],
    whose: &str,
) -> Diagnostic {
    let wanted = selector_string(labels);
    // What the workloads have under the subset's keys: `version=v1`, `version=v2`.
    let have: BTreeSet<String> = endpoints
        .iter()
        .map(|(l, _, _)| {
            selector_string(
                &l.iter().filter(|(k, _)| labels.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
            )
        })
        .filter(|s| !s.is_empty())
        .collect();
    let ptr = format!("/spec/subsets/{i}/labels");
    let mut d = cx
        .at(&META, obj, &ptr, format!("subset `{name}` selects no pods: {whose} has the labels `{wanted}`"))
        .label("selects no pods");
    let near = nearest(&wanted, have.iter().map(String::as_str));
    let listed = |v: &[&str]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    d = match (near.as_slice(), have.is_empty()) {
        ([], true) => {
            d.help(format!("no workload has any of the keys of `{wanted}`; label the workloads or fix the keys"))
        }
        ([], false) => {
            let all: Vec<&str> = have.iter().take(5).map(String::as_str).collect();
            d.help(format!("the workloads have {}", listed(&all)))
        }
        (near, _) => d.help(format!("did you mean {}?", crate::mesh::quoted_alternatives(near))),
    };
    if let Some(o) =
        endpoints.iter().find(|(l, _, _)| near.first().is_some_and(|n| selects(&parse(n), l))).and_then(|e| e.2)
    {
        let other = &cx.objects[o];
        d = d.related(cx.span(other, "/metadata/labels"), None, format!("a workload labelled `{}`", near[0]));
    }
    d
}

/// `k1=v1,k2=v2` back into a map (values never contain `,` or `=` in what `selector_string` made here).
fn parse(s: &str) -> StringMap {
    s.split(',').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[cfg(test)]
mod tests {

    use crate::lint::rules::lint_yaml as run;

    const MESH: &str = "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v3
    labels:
      version: SUBSET
---
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector: {app: reviews}
  ports:
  - {name: http, port: 9080}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-v1
spec:
  selector:
    matchLabels: {app: reviews, version: v1}
  template:
    metadata:
      labels: {app: reviews, version: v1}
    spec:
      containers: [{name: reviews, image: reviews}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings-v3
spec:
  selector:
    matchLabels: {app: ratings, version: v3}
  template:
    metadata:
      labels: {app: ratings, version: v3}
    spec:
      containers: [{name: ratings, image: ratings}]
";

    #[test]
    fn reports_a_subset_no_workload_of_the_service_has() {
        // ratings-v3 has `version: v3` but is not behind `reviews`.
        let out = run(&MESH.replace("SUBSET", "v3"));
        let d: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "MESH0213").collect();
        assert_eq!(d.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.sources.location(d[0].primary.span).line, 12);
        assert!(d[0].message.contains("subset `v3`") && d[0].message.contains("`version=v3`"), "{}", d[0].message);
        assert!(d[0].help.as_deref().unwrap_or("").contains("`version=v1`"), "{:?}", d[0].help);
    }

    #[test]
    fn matching_subsets_and_inputs_without_workloads_are_not_reported() {
        let out = run(&MESH.replace("SUBSET", "v1"));
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0213"), "{:?}", out.diagnostics);
        let only_config = MESH.split("---").take(2).collect::<Vec<_>>().join("---").replace("SUBSET", "v3");
        let out = run(&only_config);
        assert!(out.diagnostics.iter().all(|d| d.code != "MESH0213"), "{:?}", out.diagnostics);
    }

    const TOPOLOGY: &str = "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  subsets:
  - name: west
    labels:
      topology.kubernetes.io/region: REGION
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin
spec:
  selector: {app: httpbin}
  ports:
  - {name: http, port: 8000}
---
apiVersion: v1
kind: Pod
metadata:
  name: httpbin
  labels: {app: httpbin}
spec:
  nodeName: node-1
  containers: [{name: httpbin, image: httpbin}]
NODE";

    const NODE: &str = "---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    topology.kubernetes.io/region: us-west-1
";

    #[test]
    fn topology_labels_come_from_the_node() {
        let count = |y: String| run(&y).diagnostics.iter().filter(|d| d.code == "MESH0213").count();
        assert_eq!(count(TOPOLOGY.replace("REGION", "us-west-1").replace("NODE", NODE)), 0);
        assert_eq!(count(TOPOLOGY.replace("REGION", "us-east-1").replace("NODE", NODE)), 1);
        // Without the Node, the pod's region is unknown: not judged.
        assert_eq!(count(TOPOLOGY.replace("REGION", "us-east-1").replace("NODE", "")), 0);
    }
}
