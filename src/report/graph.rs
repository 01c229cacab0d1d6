//! Renderings of the mesh graph: Graphviz DOT, Mermaid and JSON. Nodes and edges come out in the
//! graph's order (sorted by id), so the output is deterministic.

use crate::lint::{Inputs, ResourceRef};
use crate::mesh::graph::{Edge, EdgeKind, MeshGraph, Node, NodeCondition, NodeKind};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

fn shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::GatewayServer => "invhouse",
        NodeKind::Listener => "invtrapezium",
        NodeKind::Rule => "box",
        NodeKind::Service => "ellipse",
        NodeKind::Subset => "hexagon",
        NodeKind::Workload => "box3d",
    }
}

fn edge_label(e: &Edge) -> Option<String> {
    if let Some(sec) = &e.security {
        return Some(match &sec.denied {
            Some(d) => format!("mTLS {}; {d}", sec.mtls),
            None => format!("mTLS {}", sec.mtls),
        });
    }
    match (e.kind, e.weight, e.reason) {
        (EdgeKind::Mirrors, _, Some(r)) => Some(format!("mirror ({r})")),
        (EdgeKind::Mirrors, _, None) => Some("mirror".into()),
        (_, Some(w), Some(r)) => Some(format!("{w}% ({r})")),
        (_, Some(w), None) => Some(format!("{w}%")),
        (_, None, Some(r)) => Some(r.to_string()),
        _ => None,
    }
}

/// A DOT double-quoted string: quotes and backslashes escaped, line breaks as `\n`.
fn dot_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn by_namespace(g: &MeshGraph) -> BTreeMap<&str, Vec<&Node>> {
    let mut m: BTreeMap<&str, Vec<&Node>> = BTreeMap::new();
    for n in g.graph.node_weights() {
        m.entry(n.namespace.as_str()).or_default().push(n);
    }
    m
}

/// Graphviz DOT: one cluster per namespace; dangling nodes red and dashed, conflicting ones orange.
/// `newrank` because dot's default ranking fails ("trouble in init_rank") on larger meshes with
/// edges across namespace clusters.
pub fn dot(g: &MeshGraph) -> String {
    let mut out =
        String::from("digraph mesh {\n  rankdir=LR;\n  newrank=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (ns, nodes) in by_namespace(g) {
        let _ = writeln!(out, "  subgraph {} {{\n    label={};", dot_str(&format!("cluster_{ns}")), dot_str(ns));
        for n in nodes {
            let mut attrs = vec![format!("label={}", dot_str(&n.label)), format!("shape={}", shape(n.kind))];
            if n.dangling {
                attrs.push("color=red, fontcolor=red, style=dashed".into());
            } else if n.conflict {
                attrs.push("color=orange, penwidth=2".into());
            }
            let _ = writeln!(out, "    {} [{}];", dot_str(&n.id), attrs.join(", "));
        }
        out.push_str("  }\n");
    }
    for e in g.graph.edge_indices() {
        let (a, b) = g.graph.edge_endpoints(e).expect("edge of this graph");
        let w = &g.graph[e];
        let mut attrs = Vec::new();
        if let Some(l) = edge_label(w) {
            attrs.push(format!("label={}", dot_str(&l)));
        }
        match w.kind {
            EdgeKind::Mirrors => attrs.push("style=dashed".into()),
            EdgeKind::Selects => attrs.push("style=dotted, arrowhead=none".into()),
            EdgeKind::Refuses => attrs.push("color=red, fontcolor=red, style=dashed, arrowhead=tee".into()),
            EdgeKind::Binds | EdgeKind::RoutesTo => {}
        }
        if (w.reason.is_some() && w.kind != EdgeKind::Refuses)
            || w.security.as_ref().is_some_and(|s| s.denied.is_some())
        {
            attrs.push("color=red, fontcolor=red".into());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(out, "  {} -> {}{attrs};", dot_str(&g.graph[a].id), dot_str(&g.graph[b].id));
    }
    out.push_str("}\n");
    out
}

/// A Mermaid identifier: ASCII letters, digits and `_` only, unique within the chart.
fn mermaid_ids(g: &MeshGraph) -> Vec<String> {
    let mut used = HashSet::new();
    g.graph
        .node_weights()
        .map(|n| {
            let base: String = n.id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            let mut id = base.clone();
            let mut k = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}_{k}");
                k += 1;
            }
            id
        })
        .collect()
}

/// Mermaid label text: quotes and angle brackets as entities, line breaks as `<br/>`.
fn mermaid_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' => out.push_str("<br/>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mermaid_node(kind: NodeKind, label: &str) -> String {
    let l = mermaid_str(label);
    match kind {
        NodeKind::GatewayServer => format!("[/{l}\\]"),
        NodeKind::Listener => format!("[\\{l}/]"),
        NodeKind::Rule => format!("[{l}]"),
        NodeKind::Service => format!("([{l}])"),
        NodeKind::Subset => format!("{{{{{l}}}}}"),
        NodeKind::Workload => format!("[[{l}]]"),
    }
}

/// Mermaid `flowchart LR`: one subgraph per namespace; `dangling` and `conflict` classes.
pub fn mermaid(g: &MeshGraph) -> String {
    let ids = mermaid_ids(g);
    let id_of: BTreeMap<&str, &str> =
        g.graph.node_weights().zip(&ids).map(|(n, id)| (n.id.as_str(), id.as_str())).collect();
    let mut out = String::from("flowchart LR\n");
    for (k, (ns, nodes)) in by_namespace(g).into_iter().enumerate() {
        let _ = writeln!(out, "  subgraph ns{k}[{}]", mermaid_str(ns));
        for n in nodes {
            let _ = writeln!(out, "    {}{}", id_of[n.id.as_str()], mermaid_node(n.kind, &n.label));
        }
        out.push_str("  end\n");
    }
    for e in g.graph.edge_indices() {
        let (a, b) = g.graph.edge_endpoints(e).expect("edge of this graph");
        let w = &g.graph[e];
        let arrow = match w.kind {
            EdgeKind::Binds | EdgeKind::RoutesTo => "-->",
            EdgeKind::Mirrors | EdgeKind::Selects => "-.->",
            EdgeKind::Refuses => "--x",
        };
        // A backend reference that does not resolve ends in a cross too.
        let denied = w.security.as_ref().is_some_and(|s| s.denied.is_some());
        let arrow = if (w.reason.is_some() && w.kind != EdgeKind::Selects) || denied { "--x" } else { arrow };
        let label = edge_label(w).map(|l| format!("|{}|", mermaid_str(&l))).unwrap_or_default();
        let _ = writeln!(out, "  {} {arrow}{label} {}", ids[a.index()], ids[b.index()]);
    }
    out.push_str("  classDef dangling stroke:#d00,stroke-width:2px,stroke-dasharray:5 5,color:#d00\n");
    out.push_str("  classDef conflict stroke:#f90,stroke-width:3px\n");
    for (class, pick) in
        [("dangling", (|n: &Node| n.dangling) as fn(&Node) -> bool), ("conflict", |n| n.conflict && !n.dangling)]
    {
        let marked: Vec<&str> =
            g.graph.node_weights().zip(&ids).filter(|(n, _)| pick(n)).map(|(_, id)| id.as_str()).collect();
        if !marked.is_empty() {
            let _ = writeln!(out, "  class {} {class}", marked.join(","));
        }
    }
    out
}

#[derive(Serialize)]
struct JsonGraph<'g> {
    version: u32,
    nodes: Vec<JsonNode<'g>>,
    edges: Vec<JsonEdge<'g>>,
}

#[derive(Serialize)]
struct JsonNode<'g> {
    id: &'g str,
    kind: NodeKind,
    label: &'g str,
    namespace: &'g str,
    dangling: bool,
    conflict: bool,
    resource: Option<ResourceRef>,
    location: Option<JsonLocation>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    conditions: &'g [NodeCondition],
}

#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: u32,
    column: u32,
    pointer: String,
}

#[derive(Serialize)]
struct JsonEdge<'g> {
    from: &'g str,
    to: &'g str,
    kind: EdgeKind,
    weight: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security: Option<&'g crate::mesh::graph::EdgeSecurity>,
}

/// JSON: `{version, nodes: [{id, kind, label, namespace, dangling, conflict, resource, location,
/// conditions?}], edges: [{from, to, kind, weight, reason?, security?: {mtls, denied?}}]}`; `conditions` (Gateway API
/// listeners and route rules: `{parent?, type, status, reason, message}`) and `reason` (a refused
/// route, an unresolved backendRef) only where they apply. `resource` and `location` are null for nodes no object
/// defines (dangling references, the implicit ingress gateway).
pub fn json(g: &MeshGraph, inputs: &Inputs) -> String {
    let nodes = g
        .graph
        .node_weights()
        .map(|n| {
            let (resource, location) = match &n.origin {
                Some((i, rel)) => {
                    let obj = &inputs.objects[*i];
                    let pointer = obj.pointer(rel);
                    let span = inputs.docs[obj.doc].span_of(&pointer);
                    let loc = inputs.sources.location(span);
                    let location = JsonLocation { file: loc.file, line: loc.line, column: loc.column, pointer };
                    (Some(obj.resource_ref()), Some(location))
                }
                None => (None, None),
            };
            JsonNode {
                id: &n.id,
                kind: n.kind,
                label: &n.label,
                namespace: &n.namespace,
                dangling: n.dangling,
                conflict: n.conflict,
                resource,
                location,
                conditions: &n.conditions,
            }
        })
        .collect();
    let edges = g
        .graph
        .edge_indices()
        .map(|e| {
            let (a, b) = g.graph.edge_endpoints(e).expect("edge of this graph");
            let w = &g.graph[e];
            JsonEdge {
                from: &g.graph[a].id,
                to: &g.graph[b].id,
                kind: w.kind,
                weight: w.weight,
                reason: w.reason,
                security: w.security.as_ref(),
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&JsonGraph { version: 1, nodes, edges }).expect("serializable");
    s.push('\n');
    s
}
