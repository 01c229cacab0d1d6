//! One Kubernetes object: a document, or an item of a `kind: List` document.

use crate::lint::ResourceRef;
use crate::source::{Document, Span};
use serde_json::Value;

/// One object in the input. Unknown kinds are objects too: they are kept, never dropped.
#[derive(Debug, Clone)]
pub struct Object {
    /// Index of its document in the run's document list.
    pub doc: usize,
    /// JSON pointer of the object inside its document: "" or `/items/3` for a List item.
    pub base: String,
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    /// As written; `None` when the manifest has none.
    pub namespace: Option<String>,
    /// The object's text.
    pub span: Span,
}

impl Object {
    /// API group: "" for the core group.
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn version(&self) -> &str {
        self.api_version.rsplit_once('/').map_or(self.api_version.as_str(), |(_, v)| v)
    }

    /// The pointer of a field of this object within its document.
    pub fn pointer(&self, rel: &str) -> String {
        format!("{}{}", self.base, rel)
    }

    pub fn value<'d>(&self, docs: &'d [Document]) -> &'d Value {
        let root = docs[self.doc].value.as_ref().expect("objects come from documents with a value");
        if self.base.is_empty() { root } else { root.pointer(&self.base).unwrap_or(&Value::Null) }
    }

    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone().unwrap_or_default(),
        }
    }

    /// The namespace the object lives in: as written, else the run's default.
    pub fn namespace_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(default)
    }
}

/// Every object of the documents: each document whose value is a mapping with `apiVersion` and
/// `kind`, and each item of a List. Documents that are not objects are left to the rules that
/// report them.
pub fn collect_objects(docs: &[Document]) -> Vec<Object> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let Some(v @ Value::Object(_)) = &d.value else { continue };
        let Some(obj) = object_at(i, d, v, String::new()) else { continue };
        if is_list(&obj) {
            if let Some(Value::Array(items)) = v.get("items") {
                for (j, item) in items.iter().enumerate() {
                    if let Some(o) = object_at(i, d, item, format!("/items/{j}")) {
                        out.push(o);
                    }
                }
            }
            continue;
        }
        out.push(obj);
    }
    out
}

/// `kind: List` (any group) and the typed lists such as `ServiceList` that kubectl accepts.
pub fn is_list(obj: &Object) -> bool {
    obj.kind == "List" || (obj.kind.ends_with("List") && obj.kind.len() > 4 && obj.group().is_empty())
}

fn object_at(doc: usize, d: &Document, v: &Value, base: String) -> Option<Object> {
    let m = v.as_object()?;
    let api_version = m.get("apiVersion")?.as_str()?.to_string();
    let kind = m.get("kind")?.as_str()?.to_string();
    let meta = m.get("metadata").and_then(Value::as_object);
    let text = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
    let span = if base.is_empty() { d.range } else { d.node(&base).map_or(d.range, |n| n.value) };
    Some(Object { doc, base, api_version, kind, name: text("name"), namespace: text("namespace"), span })
}
