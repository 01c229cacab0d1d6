//! Schema validation runs once per object (in parallel) and its errors are shared by the schema
//! rules, each of which reports one kind of error.

use super::engine::Context;
use super::{Diagnostic, RuleMeta};
use crate::schema::{SchemaError, SchemaErrorKind, validate};
use crate::source::Ambiguity;
use rayon::prelude::*;

/// Every schema error of the input: (object index, error).
pub fn errors(cx: &Context) -> Vec<(usize, SchemaError)> {
    cx.objects
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, obj)| {
            validate(&obj.api_version, &obj.kind, cx.value(obj)).unwrap_or_default().into_iter().map(move |e| (i, e))
        })
        .collect()
}

/// Is this unknown field a key indented one level too deep? It is when a field of that name
/// belongs to an enclosing object that does not have it already, and the object it landed in is
/// otherwise whole (no required field missing: an object missing its own fields is more likely
/// written for another version of the API, e.g. `destination: {name: reviews}`).
pub fn is_misindented(cx: &Context, obj: usize, e: &SchemaError) -> bool {
    let SchemaErrorKind::UnknownField { field, belongs_at: Some(home), .. } = &e.kind else { return false };
    let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
    // The errors are in object order: look at this object's only.
    let all = cx.schema_errors();
    let first = all.partition_point(|(i, _)| *i < obj);
    let parent_incomplete = all[first..]
        .iter()
        .take_while(|(i, _)| *i == obj)
        .any(|(_, other)| other.pointer == parent && matches!(other.kind, SchemaErrorKind::Missing { .. }));
    let o = &cx.objects[obj];
    let already_there = cx.value(o).pointer(&format!("{home}/{}", crate::source::escape_segment(field))).is_some();
    !parent_incomplete && !already_there
}

/// Report the cached schema errors that `select` picks, as findings of `rule`.
pub fn report(
    cx: &Context,
    rule: &'static RuleMeta,
    select: impl Fn(usize, &SchemaError) -> bool,
    label: impl Fn(&SchemaError) -> String,
    out: &mut Vec<Diagnostic>,
) {
    for (i, e) in cx.schema_errors() {
        if !select(*i, e) {
            continue;
        }
        let obj = &cx.objects[*i];
        let doc = cx.doc(obj);
        // Schema pointers are relative to the object, which may be an item of a `kind: List`.
        let pointer = obj.pointer(&e.pointer);
        // An unknown field is its name: point at the key, not at its value.
        let key = match e.kind {
            SchemaErrorKind::UnknownField { .. } => doc.node(&pointer).and_then(|n| n.key),
            _ => None,
        };
        let span = key.unwrap_or_else(|| doc.span_of(&pointer));
        let mut d = Diagnostic::new(rule, span, e.message.clone())
            .pointer(pointer.clone())
            .label(label(e))
            .resource(Some(obj.resource_ref()));
        let yaml = doc.ambiguous.iter().find(|a| a.pointer == pointer && !a.is_key);
        match (yaml, &e.help) {
            (Some(a), _) => d = d.help(format!(
                "YAML 1.1, which Kubernetes reads, takes the unquoted `{}` as a {}; quote it (\"{}\") to keep the text",
                a.text,
                if a.kind == Ambiguity::Boolean { "boolean" } else { "number" },
                a.text
            )),
            // "check its indentation" only where the key is mis-indented (MESH0102 says so).
            (None, Some(_))
                if matches!(e.kind, SchemaErrorKind::UnknownField { belongs_at: Some(_), .. })
                    && !is_misindented(cx, *i, e) => {}
            (None, Some(h)) => d = d.help(h.clone()),
            (None, None) => {}
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_sources};
    use crate::source::Sources;

    /// Schema findings inside an item of a `kind: List` point into that item, not at the List.
    #[test]
    fn list_items_are_located_inside_the_item() {
        const YAML: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata:
    name: web
    namespace: default
  spec:
    host: web
    trafficPolicy:
      tls:
        mode: MUTUAL_ISTIO
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    name: web
    namespace: default
  spec:
    hosts:
    - web
    http:
    - match:
      - uri:
          prefix: /a
        route:
        - destination:
            host: web.example.com
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata:
    name: other
    namespace: default
  spec:
    hostx: web
";
        let mut s = Sources::default();
        s.add("t.yaml".into(), YAML.into());
        let out = lint_sources(s, &LintOptions::default());
        let at = |code: &str| -> Vec<(u32, u32, Option<String>)> {
            out.diagnostics
                .iter()
                .filter(|d| d.code == code)
                .map(|d| {
                    let loc = out.sources.location(d.primary.span);
                    (loc.line, loc.column, d.primary.pointer.clone())
                })
                .collect()
        };
        assert_eq!(at("MESH0105"), [(13, 15, Some("/items/0/spec/trafficPolicy/tls/mode".into()))]);
        // An unknown field is underlined at its name, not its value.
        assert_eq!(at("MESH0101"), [(35, 5, Some("/items/2/spec/hostx".into()))]);
        let mis = at("MESH0102");
        assert_eq!(mis, [(26, 9, Some("/items/1/spec/http/0/match/0/route".into()))]);
        let d = out.diagnostics.iter().find(|d| d.code == "MESH0102").unwrap();
        assert_eq!(out.sources.location(d.related[0].span).line, 23, "{d:?}");
    }
}
