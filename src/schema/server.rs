//! What the API server checks of a custom resource beyond its OpenAPI schema, as
//! apiextensions-apiserver's `registry/customresource/strategy.go` (`Validate`) does it, on the
//! object as the server holds it after decoding:
//!
//! 1. `null` in a field that is not `nullable` is pruned (`defaulting/prunenulls.go`), unless the
//!    field has a default, which then replaces it;
//! 2. defaults are applied (`defaulting/algorithm.go`): a field that is absent gets its schema's
//!    `default`, and the default is then defaulted further;
//! 3. `x-kubernetes-list-type: map` lists are checked for two items with the same keys
//!    (`listtype/validation.go`; a `set`'s duplicates are JSON Schema's `uniqueItems`, see
//!    `upstream.rs`);
//! 4. the CEL rules (`x-kubernetes-validations`) are evaluated (`schema/cel/validation.go`), each with
//!    `self` bound to the value of the field that carries it, unless the OpenAPI validation found a
//!    *blocking* error (a wrong type, a missing required field, a value outside its enum, a string
//!    or list too long: `hasBlockingErr`), in which case the server evaluates none of them.
//!
//! Transition rules (those that read `oldSelf`) compare an update with the stored object: the API
//! server skips them on create, and so does [`Checks::run`] without the live object. With it (`diff`
//! and `apply`), they are evaluated where the live object has a value at the same place: under a
//! list only when the list is a `map`, whose items correlate by their keys (`cel/validation.go`).
//!
//! Only custom resources get these checks: the built-in kinds are validated by the API server's Go
//! code, whose OpenAPI documents carry no CEL rules, and their list types are merge strategies.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::cel::Program;
use super::deref;

/// Programs by rule text, shared between schemas: the same rule appears many times (Istio's
/// duration rule 186 times across releases).
pub(super) type Compiled = HashMap<String, Option<Arc<Program>>>;

/// The compiled checks of one converted schema: the nodes of the schema tree that have rules,
/// defaults, list types or nullable fields, or such nodes below them.
pub(super) struct Checks {
    root: Option<Node>,
}

#[derive(Default)]
struct Node {
    rules: Vec<Rule>,
    list: Option<ListType>,
    /// Declared properties that have work below them, by name.
    properties: Vec<(String, Node)>,
    /// Defaults of declared properties.
    defaults: Vec<(String, Value)>,
    /// Declared properties that are `nullable`: their `null` stays.
    nullable: Vec<String>,
    items: Option<Box<Node>>,
    /// `additionalProperties`: the values of a map.
    values: Option<Box<Node>>,
}

/// A list whose items are keyed (`x-kubernetes-list-type: map`): its keys.
struct ListType {
    keys: Vec<String>,
}

struct Rule {
    source: String,
    program: Arc<Program>,
    message: Option<String>,
    message_expression: Option<Arc<Program>>,
    /// The rule's `fieldPath`, as a JSON pointer relative to the field that carries the rule.
    field_path: Option<String>,
    /// Whether it reads `oldSelf`.
    transition: bool,
}

/// One violation found by [`Checks::run`].
pub(super) struct Violation {
    /// JSON pointer of the field responsible.
    pub pointer: String,
    pub what: What,
}

pub(super) enum What {
    /// A CEL rule evaluated to false: the rule's message (or its default, "failed rule: …").
    Rule { rule: String, message: String },
    /// A CEL rule could not be evaluated (a runtime error, which the API server reports too).
    RuleError { rule: String, error: String },
    /// The second of two items with the same keys in a `map` list: the keys and their values.
    Duplicate { keys: String },
}

/// Deeper schemas than this are not followed (the converted schemas nest about 20 levels).
const MAX_DEPTH: usize = 64;

impl Checks {
    /// Compiles the checks of a converted schema.
    pub(super) fn compile(root: &Value, compiled: &mut Compiled) -> Checks {
        Checks { root: build(root, root, 0, compiled) }
    }

    /// Whether there is anything to check.
    pub(super) fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// Runs the checks on a document as the API server would on create; or, given `live`, only the
    /// transition rules, as it would on an update of `live`. `rules` is false when the OpenAPI
    /// validation found a blocking error: then only the list types are checked.
    pub(super) fn run(&self, doc: &Value, live: Option<&Value>, rules: bool) -> Vec<Violation> {
        let Some(root) = &self.root else { return Vec::new() };
        let mut held = doc.clone();
        prepare(Some(root), &mut held, 0);
        let old = live.map(|live| {
            let mut old = live.clone();
            prepare(Some(root), &mut old, 0);
            old
        });
        let mut walk = Walk { rules, update: old.is_some(), pointer: String::new(), out: Vec::new() };
        walk.check(root, &held, old.as_ref(), 0);
        walk.out
    }
}

fn build(root: &Value, schema: &Value, depth: usize, compiled: &mut Compiled) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (schema, _) = deref(root, schema);
    let mut node = Node::default();
    for v in schema.get("x-kubernetes-validations").and_then(Value::as_array).into_iter().flatten() {
        let Some(source) = v.get("rule").and_then(Value::as_str) else { continue };
        let Some(compiled_rule) = program(source, compiled) else { continue };
        node.rules.push(Rule {
            transition: compiled_rule.uses_old_self(),
            source: source.to_string(),
            program: compiled_rule,
            message: v.get("message").and_then(Value::as_str).filter(|m| !m.is_empty()).map(String::from),
            message_expression: v.get("messageExpression").and_then(Value::as_str).and_then(|m| program(m, compiled)),
            field_path: v.get("fieldPath").and_then(Value::as_str).and_then(field_path_pointer),
        });
    }
    if schema.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map") {
        let keys = schema.get("x-kubernetes-list-map-keys").and_then(Value::as_array);
        node.list =
            Some(ListType { keys: keys.into_iter().flatten().filter_map(Value::as_str).map(String::from).collect() });
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let (resolved, _) = deref(root, prop);
            if let Some(default) = resolved.get("default").or_else(|| prop.get("default")) {
                node.defaults.push((name.clone(), default.clone()));
            }
            if resolved.get("nullable") == Some(&Value::Bool(true)) {
                node.nullable.push(name.clone());
            }
            if let Some(child) = build(root, prop, depth + 1, compiled) {
                node.properties.push((name.clone(), child));
            }
        }
    }
    if let Some(items) = schema.get("items") {
        node.items = build(root, items, depth + 1, compiled).map(Box::new);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        node.values = build(root, values, depth + 1, compiled).map(Box::new);
    }
    let idle = node.rules.is_empty()
        && node.list.is_none()
        && node.properties.is_empty()
        && node.defaults.is_empty()
        && node.nullable.is_empty()
        && node.items.is_none()
        && node.values.is_none();
    (!idle).then_some(node)
}

/// A rule's program, compiled once per text. Every vendored rule compiles (a test proves it), so a
/// rule that does not is impossible here; it would be skipped.
fn program(source: &str, compiled: &mut Compiled) -> Option<Arc<Program>> {
    compiled.entry(source.to_string()).or_insert_with(|| Program::compile(source).ok().map(Arc::new)).clone()
}

/// A rule's `fieldPath` (`.spec.ports`, `.a['b.c']`: a JSON path of field names, no indices) as
/// a JSON pointer suffix. `None` if it is not of that form.
fn field_path_pointer(path: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = path;
    while !rest.is_empty() {
        let name;
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            name = &after[..end];
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("['") {
            let end = after.find("']")?;
            name = &after[..end];
            rest = &after[end + 2..];
        } else {
            return None;
        }
        if name.is_empty() {
            return None;
        }
        out.push('/');
        out.push_str(&name.replace('~', "~0").replace('/', "~1"));
    }
    Some(out)
}

/// Prunes nulls and applies defaults in place, as the API server does when it decodes the object.
fn prepare(node: Option<&Node>, value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            if let Some(node) = node {
                for (name, default) in &node.defaults {
                    let nullable = node.nullable.contains(name);
                    match map.get(name) {
                        None => {
                            map.insert(name.clone(), default.clone());
                        }
                        Some(Value::Null) if !nullable => {
                            map.insert(name.clone(), default.clone());
                        }
                        Some(_) => {}
                    }
                }
            }
            map.retain(|k, v| !v.is_null() || node.is_some_and(|n| n.nullable.contains(k)));
            for (k, v) in map.iter_mut() {
                let child = node.and_then(|n| n.property(k).or(n.values.as_deref()));
                prepare(child, v, depth + 1);
            }
        }
        Value::Array(items) => {
            let child = node.and_then(|n| n.items.as_deref());
            for item in items {
                prepare(child, item, depth + 1);
            }
        }
        _ => {}
    }
}

impl Node {
    fn property(&self, name: &str) -> Option<&Node> {
        self.properties.iter().find(|(n, _)| n == name).map(|(_, node)| node)
    }
}

/// One pass over a document.
struct Walk {
    /// Whether to evaluate CEL rules (false after a blocking OpenAPI error).
    rules: bool,
    /// An update of a live object: only the transition rules run.
    update: bool,
    pointer: String,
    out: Vec<Violation>,
}

impl Walk {
    fn check(&mut self, node: &Node, value: &Value, old: Option<&Value>, depth: usize) {
        if depth > MAX_DEPTH || value.is_null() {
            return;
        }
        if let (Some(list), Value::Array(items), false) = (&node.list, value, self.update) {
            duplicates(list, items, &self.pointer, &mut self.out);
        }
        if self.rules {
            for rule in &node.rules {
                match (rule.transition, self.update, old) {
                    (false, false, _) => evaluate(rule, value, None, &self.pointer, &mut self.out),
                    (true, true, Some(old)) => evaluate(rule, value, Some(old), &self.pointer, &mut self.out),
                    _ => {}
                }
            }
        }
        let len = self.pointer.len();
        match value {
            Value::Object(map) => {
                let old_map = old.and_then(Value::as_object);
                for (name, child) in &node.properties {
                    if let Some(v) = map.get(name) {
                        push_token(&mut self.pointer, name);
                        self.check(child, v, old_map.and_then(|m| m.get(name)), depth + 1);
                        self.pointer.truncate(len);
                    }
                }
                if let Some(child) = &node.values {
                    for (k, v) in map {
                        push_token(&mut self.pointer, k);
                        self.check(child, v, old_map.and_then(|m| m.get(k)), depth + 1);
                        self.pointer.truncate(len);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(child) = &node.items {
                    let old_items = old.and_then(Value::as_array);
                    for (i, v) in items.iter().enumerate() {
                        // Only the items of a map list have an old value: the one with the same keys.
                        let old_item = match (&node.list, old_items) {
                            (Some(list), Some(olds)) => {
                                olds.iter().find(|o| list.keys.iter().all(|k| o.get(k) == v.get(k)))
                            }
                            _ => None,
                        };
                        self.pointer.push('/');
                        self.pointer.push_str(&i.to_string());
                        self.check(child, v, old_item, depth + 1);
                        self.pointer.truncate(len);
                    }
                }
            }
            _ => {}
        }
    }
}

fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

fn evaluate(rule: &Rule, value: &Value, old: Option<&Value>, pointer: &str, out: &mut Vec<Violation>) {
    let at = match &rule.field_path {
        Some(suffix) => format!("{pointer}{suffix}"),
        None => pointer.to_string(),
    };
    match rule.program.eval(value, old) {
        Ok(result) => match result.as_bool() {
            Some(true) => {}
            Some(false) => {
                // `messageExpression` wins over `message`; if it fails or is empty, the API server
                // falls back to `message`, then to "failed rule: <rule>" (cel/validation.go).
                let from_expression = rule
                    .message_expression
                    .as_ref()
                    .and_then(|m| m.eval(value, old).ok().and_then(|v| v.as_str().map(str::trim).map(String::from)));
                let message = from_expression
                    .filter(|m| !m.is_empty())
                    .or_else(|| rule.message.clone())
                    .unwrap_or_else(|| format!("failed rule: {}", rule.source.trim()));
                out.push(Violation { pointer: at, what: What::Rule { rule: rule.source.clone(), message } });
            }
            None => out.push(Violation {
                pointer: at,
                what: What::RuleError { rule: rule.source.clone(), error: "the rule did not give a boolean".into() },
            }),
        },
        Err(e) => {
            out.push(Violation { pointer: at, what: What::RuleError { rule: rule.source.clone(), error: e.message } })
        }
    }
}

fn duplicates(list: &ListType, items: &[Value], pointer: &str, out: &mut Vec<Violation>) {
    let key_of = |item: &Value| -> Option<Vec<Value>> {
        let map: &Map<String, Value> = item.as_object()?;
        Some(list.keys.iter().map(|k| map.get(k).cloned().unwrap_or(Value::Null)).collect())
    };
    let all: Vec<Option<Vec<Value>>> = items.iter().map(key_of).collect();
    for (i, key) in all.iter().enumerate() {
        let Some(key) = key else { continue };
        if all[..i].iter().any(|k| k.as_ref() == Some(key)) {
            let shown = list
                .keys
                .iter()
                .zip(key)
                .map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), |s| format!("\"{s}\""))))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(Violation { pointer: format!("{pointer}/{i}"), what: What::Duplicate { keys: shown } });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: Value, doc: Value) -> Vec<(String, String)> {
        let mut compiled = HashMap::new();
        let checks = Checks::compile(&schema, &mut compiled);
        checks
            .run(&doc, None, true)
            .into_iter()
            .map(|v| {
                let text = match v.what {
                    What::Rule { message, .. } => message,
                    What::RuleError { error, .. } => format!("error: {error}"),
                    What::Duplicate { keys } => format!("duplicate {keys}"),
                };
                (v.pointer, text)
            })
            .collect()
    }

    #[test]
    fn rules_see_defaults_and_not_nulls() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
            "x-kubernetes-validations": [{"rule": "self.type == 'PathPrefix' ? self.value.startsWith('/') : true", "message": "must be absolute"},
                                         {"rule": "!has(self.extra)", "message": "no extra"}],
            "properties": {"type": {"type": "string", "default": "PathPrefix"}, "value": {"type": "string", "default": "/"},
                           "extra": {"type": "string"}}}}});
        assert_eq!(run(schema.clone(), json!({"spec": {}})), []);
        assert_eq!(run(schema.clone(), json!({"spec": {"extra": null}})), []);
        assert_eq!(run(schema.clone(), json!({"spec": {"value": "x"}})), [("/spec".into(), "must be absolute".into())]);
        assert_eq!(
            run(schema.clone(), json!({"spec": {"type": null, "value": "x"}})),
            [("/spec".into(), "must be absolute".into())]
        );
        assert_eq!(
            run(schema, json!({"spec": {"type": "Exact", "value": "x", "extra": "y"}})),
            [("/spec".into(), "no extra".into())]
        );
    }

    #[test]
    fn messages_field_paths_and_errors() {
        let schema = json!({"type": "object", "x-kubernetes-validations": [
            {"rule": "self.a > 1", "fieldPath": ".a", "messageExpression": "'a is ' + string(self.a)"},
            {"rule": "self.b.startsWith('x')"},
            {"rule": "self.a == oldSelf.a"}],
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}});
        assert_eq!(
            run(schema.clone(), json!({"a": 1, "b": "y"})),
            [("/a".into(), "a is 1".into()), (String::new(), "failed rule: self.b.startsWith('x')".into())]
        );
        let errors = run(schema, json!({"a": 2}));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].1.starts_with("error: ") && errors[0].1.contains("b"), "{errors:?}");
    }

    #[test]
    fn transition_rules_run_only_on_updates_where_the_old_value_correlates() {
        let schema = json!({"type": "object", "properties": {
            "class": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}]},
            "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "properties": {"name": {"type": "string"},
                                "port": {"type": "integer", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "port is immutable"}]}}}}}});
        let mut compiled = HashMap::new();
        let checks = Checks::compile(&schema, &mut compiled);
        let doc = json!({"class": "b", "items": [{"name": "x", "port": 2}, {"name": "y", "port": 3}]});
        assert!(checks.run(&doc, None, true).is_empty());
        let live = json!({"class": "a", "items": [{"name": "y", "port": 3}, {"name": "x", "port": 1}]});
        let found: Vec<String> = checks.run(&doc, Some(&live), true).into_iter().map(|v| v.pointer).collect();
        assert_eq!(found, ["/class", "/items/0/port"]);
        let same = json!({"class": "b", "items": [{"name": "x", "port": 2}]});
        assert!(checks.run(&doc, Some(&same), true).is_empty());
    }

    #[test]
    fn map_lists_refuse_two_items_with_the_same_keys() {
        let schema = json!({"type": "object", "properties": {
            "map": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}});
        let items = json!([{"name": "x", "port": 1}, {"name": "y", "port": 1}, {"name": "x", "port": 2}]);
        assert_eq!(run(schema, json!({"map": items})), [("/map/2".into(), "duplicate name: \"x\"".into())]);
    }

    #[test]
    fn field_paths_become_pointers() {
        assert_eq!(field_path_pointer(".spec.ports").as_deref(), Some("/spec/ports"));
        assert_eq!(field_path_pointer(".a['b.c']").as_deref(), Some("/a/b.c"));
        assert_eq!(field_path_pointer("spec"), None);
        assert_eq!(field_path_pointer(".a[0]"), None);
    }
}
