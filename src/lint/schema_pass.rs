//! Schema validation runs once per object (in parallel) and its errors are shared by the schema
//! rules, each of which reports one kind of error.

use super::engine::Context;
use super::{Diagnostic, RuleMeta};
use crate::schema::{SchemaError, SchemaErrorKind, validate};
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

/// Report the cached schema errors that `select` picks, as findings of `rule`.
pub fn report(
    cx: &Context,
    rule: &'static RuleMeta,
    select: impl Fn(&SchemaErrorKind) -> bool,
    label: impl Fn(&SchemaError) -> String,
    out: &mut Vec<Diagnostic>,
) {
    for (i, e) in cx.schema_errors() {
        if !select(&e.kind) {
            continue;
        }
        let obj = &cx.objects[*i];
        let doc = cx.doc(obj);
        let mut d = Diagnostic::new(rule, doc.span_of(&e.pointer), e.message.clone())
            .pointer(e.pointer.clone())
            .label(label(e))
            .resource(Some(obj.resource_ref()));
        if let Some(h) = &e.help {
            d = d.help(h.clone());
        }
        out.push(d);
    }
}
