use crate::lint::engine::{Context, Rule};
use crate::lint::schema_pass;
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::schema::SchemaErrorKind;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0102",
    name: "misindented-key",
    severity: Severity::Error,
    istio_code: Some("IST0106"),
    summary: "A key indented under the wrong parent: it is valid YAML, but the field belongs higher up",
    docs: r#"## What it finds
A field that is unknown where it stands but is a field of an enclosing object: almost always a
key indented too far, so YAML nests it one level too deep. The classic case is `route:` indented
under a `match:` item: it becomes part of the match instead of the rule.

## Why it matters
The YAML is valid, so nothing else complains; the API server drops the unknown field and the
rule ends up with no route at all (or is refused under strict validation).

## Example
```yaml
http:
- match:
  - uri:
      prefix: /v1
    route:                 # a key of the match item, not of the rule
    - destination:
        host: my-service
```

## Fix
Move the key left so that it lines up with the key of the object it belongs to (`route:` under
`match:`, at the same column). The finding says which line and column.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for (i, e) in cx.schema_errors() {
            let SchemaErrorKind::UnknownField { field, belongs_at: Some(home), .. } = &e.kind else { continue };
            if !schema_pass::is_misindented(cx, *i, e) {
                continue;
            }
            let obj = &cx.objects[*i];
            let doc = cx.doc(obj);
            // Schema pointers are relative to the object, which may be an item of a `kind: List`.
            let pointer = obj.pointer(&e.pointer);
            // The key itself, and the sibling key of the object it belongs to.
            let key_span = doc.node(&pointer).and_then(|n| n.key).unwrap_or_else(|| doc.span_of(&pointer));
            let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
            let parent_key = parent_key_pointer(parent, home).map(|p| obj.pointer(&p));
            let mut d = Diagnostic::new(
                &META,
                key_span,
                format!(
                    "`{field}:` is indented under the wrong key: it is not a field here, it belongs {}",
                    describe(home)
                ),
            )
            .pointer(pointer)
            .label("indented too far")
            .resource(Some(obj.resource_ref()));
            if let Some(sib) = parent_key.as_deref().and_then(|p| doc.node(p)).and_then(|n| n.key) {
                let loc = cx.sources.location(sib);
                let sib_name = cx.sources.file(sib.file).slice(sib).to_string();
                let here = cx.sources.location(key_span);
                d = d.related(sib, parent_key.clone(), format!("`{field}:` belongs beside this `{sib_name}:`")).help(
                    format!(
                        "move `{field}:` from column {} to column {}, the column of `{sib_name}:` (line {}), so that it belongs {}",
                        here.column,
                        loc.column,
                        loc.line,
                        describe(home)
                    ),
                );
            }
            out.push(d);
        }
    }
}

/// The pointer of the key, directly under `home`, on the way down to `parent`: the key that the
/// mis-indented field should line up with (`/spec/http/0/match` for home `/spec/http/0`).
fn parent_key_pointer(parent: &str, home: &str) -> Option<String> {
    let rest = parent.strip_prefix(home)?.strip_prefix('/')?;
    let first = rest.split('/').next()?;
    Some(format!("{home}/{first}"))
}

/// `/spec/http/0` as people write it: `spec.http[0]`.
fn describe(home: &str) -> String {
    if home.is_empty() {
        return "to the top level".into();
    }
    let mut s = String::new();
    for seg in home.trim_start_matches('/').split('/') {
        if seg.chars().all(|c| c.is_ascii_digit()) {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(seg);
        }
    }
    format!("to `{s}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_key_of_the_home_object() {
        assert_eq!(parent_key_pointer("/spec/http/0/match/0", "/spec/http/0").as_deref(), Some("/spec/http/0/match"));
        assert_eq!(
            parent_key_pointer("/spec/http/0/match/0/uri", "/spec/http/0").as_deref(),
            Some("/spec/http/0/match")
        );
        assert_eq!(parent_key_pointer("/a", "/b"), None);
        assert_eq!(describe("/spec/http/0"), "to `spec.http[0]`");
    }
}
