//! Validation of untyped documents against the generated schemas, with errors people understand.
//!
//! jsonschema's `evaluate()` output lists every failing keyword. This module keeps the deepest,
//! most specific error per instance location, drops what another error already explains (the
//! `null` branch of an optional, the second branch of `name`-or-`generateName`, a missing field
//! whose misspelling was found), and turns each into a [`SchemaError`] with a did-you-mean.

use serde_json::{Map, Value};
use strsim::{damerau_levenshtein, jaro_winkler};

use super::server::{Violation, What};
use super::{deref, entry_for, istio_release, istio_release_declaring, minor, properties};
use crate::model::kinds::split_api_version;

/// One schema violation in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON pointer of the offending value. For an unknown field, the pointer of that field's
    /// value; for a missing field, the object that lacks it.
    pub pointer: String,
    pub kind: SchemaErrorKind,
    pub message: String,
    pub help: Option<String>,
}

/// What kind of violation a [`SchemaError`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaErrorKind {
    /// A field the schema does not declare. `belongs_at` is the pointer of an enclosing object
    /// that does declare it (a mis-indented key).
    UnknownField {
        field: String,
        suggestion: Option<String>,
        belongs_at: Option<String>,
    },
    WrongType {
        expected: String,
        found: String,
    },
    Missing {
        field: String,
    },
    /// Fields that exclude each other and were given together.
    OneOf {
        fields: Vec<String>,
    },
    Enum {
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    Range,
    Format,
    /// A CEL rule (`x-kubernetes-validations`) refused the value, or could not be evaluated on it
    /// (`failed` is then the evaluation error).
    Rule {
        rule: String,
        failed: Option<String>,
    },
    /// The second of two equal items of a list that is a set, or a map keyed by some of its fields.
    Duplicate,
    Other,
}

/// Validates a document of the given `apiVersion` and `kind` with the schemas in force. `None`
/// when meshctl has no schema for the pair; otherwise the errors (empty when the document is valid).
pub fn validate(api_version: &str, kind: &str, value: &Value) -> Option<Vec<SchemaError>> {
    validate_in(istio_release(), api_version, kind, value)
}

/// [`validate()`] with the Istio release at index `istio` of [`super::upstream::ISTIO`].
fn validate_in(istio: usize, api_version: &str, kind: &str, value: &Value) -> Option<Vec<SchemaError>> {
    let entry = entry_for(api_version, kind, istio)?;
    let schema = &entry.converted.schema;
    let validator = entry.validator.get_or_init(|| {
        jsonschema::options().should_validate_formats(true).build(schema).expect("converted schemas compile")
    });
    let explainer = Explainer { root: schema, doc: value, api_version, kind, istio };
    let checks = entry.checks();
    let valid = validator.is_valid(value);
    let go_side = super::builtin::validate(split_api_version(api_version).0, kind, value);
    if valid && checks.is_none() && go_side.is_empty() {
        return Some(Vec::new());
    }
    let raw: Vec<Raw> = if valid {
        Vec::new()
    } else {
        validator
            .evaluate(value)
            .iter_errors()
            .map(|e| Raw {
                pointer: e.instance_location.as_str().to_string(),
                schema_location: e.schema_location.to_string(),
                keyword: e.error.keyword().to_string(),
                message: e.error.message().to_string(),
            })
            .collect()
    };
    // The API server evaluates no CEL rule of an object with a wrong type, a missing field, a
    // value outside its enum or something too long (strategy.go, `hasBlockingErr`).
    let blocking = raw.iter().any(|r| {
        matches!(
            r.keyword.as_str(),
            "type" | "required" | "enum" | "const" | "maxLength" | "maxItems" | "maxProperties"
        )
    });
    let mut errors = explainer.explain(raw);
    if let Some(checks) = checks {
        // A rule about an object that has an unknown field is about what its author did not mean:
        // `prot: 80` is reported as the typo of `port`, not also as a missing port. (The API
        // server's strict decoding stops at the unknown field before it evaluates any rule.)
        let unknown: Vec<String> = errors
            .iter()
            .filter(|e| matches!(e.kind, SchemaErrorKind::UnknownField { .. }))
            .map(|e| parent(&e.pointer))
            .collect();
        let rules = checks.run(value, None, !blocking).into_iter().map(|v| explainer.server_error(v));
        errors.extend(rules.filter(|e| {
            !matches!(e.kind, SchemaErrorKind::Rule { .. }) || !unknown.iter().any(|u| is_at_or_below(u, &e.pointer))
        }));
    }
    // The Go-side checks run on the decoded object, which a value of the wrong type prevents;
    // what the schema already reports at a place is not reported twice.
    if !errors.iter().any(|e| matches!(e.kind, SchemaErrorKind::WrongType { .. })) {
        for e in go_side {
            let same = |o: &SchemaError| match (&o.kind, &e.kind) {
                (SchemaErrorKind::Missing { field: a }, SchemaErrorKind::Missing { field: b }) => {
                    o.pointer == e.pointer && a == b
                }
                (SchemaErrorKind::Missing { .. }, _) | (_, SchemaErrorKind::Missing { .. }) => false,
                _ => o.pointer == e.pointer,
            };
            if !errors.iter().any(same) {
                errors.push(e);
            }
        }
    }
    errors.sort_by_cached_key(|e| document_order(value, &e.pointer));
    Some(errors)
}

/// The errors that the API server's transition rules (those that read `oldSelf`, such as a field
/// kept immutable) give an update of `live` to `value`. Empty for a kind without them.
pub fn validate_update(api_version: &str, kind: &str, value: &Value, live: &Value) -> Vec<SchemaError> {
    let istio = istio_release();
    let Some(entry) = entry_for(api_version, kind, istio) else { return Vec::new() };
    let Some(checks) = entry.checks() else { return Vec::new() };
    let explainer = Explainer { root: &entry.converted.schema, doc: value, api_version, kind, istio };
    checks.run(value, Some(live), true).into_iter().map(|v| explainer.server_error(v)).collect()
}

/// One error as jsonschema reports it.
struct Raw {
    pointer: String,
    schema_location: String,
    keyword: String,
    message: String,
}

struct Explainer<'a> {
    root: &'a Value,
    doc: &'a Value,
    api_version: &'a str,
    kind: &'a str,
    istio: usize,
}

impl<'a> Explainer<'a> {
    fn explain(&self, raw: Vec<Raw>) -> Vec<SchemaError> {
        let kept: Vec<&Raw> = raw.iter().filter(|r| !self.superseded(r, &raw)).collect();
        let mut errors: Vec<SchemaError> = kept.iter().flat_map(|r| self.convert(r)).collect();

        // A missing field explained by a misspelt one next to it is reported once, as the typo.
        let suggested: Vec<(String, String)> = errors
            .iter()
            .filter_map(|e| match &e.kind {
                SchemaErrorKind::UnknownField { suggestion: Some(s), .. } => Some((parent(&e.pointer), s.clone())),
                _ => None,
            })
            .collect();
        errors.retain(|e| match &e.kind {
            SchemaErrorKind::Missing { field } => !suggested.iter().any(|(p, s)| *p == e.pointer && s == field),
            _ => true,
        });

        // Once per location: the first (deepest in schema terms) error at a pointer wins, except
        // that several missing fields of one object are all reported.
        let mut seen: Vec<(String, Option<String>)> = Vec::new();
        errors.retain(|e| {
            let key = match &e.kind {
                SchemaErrorKind::Missing { field } => (e.pointer.clone(), Some(field.clone())),
                _ => (e.pointer.clone(), None),
            };
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
        errors.sort_by_cached_key(|e| document_order(self.doc, &e.pointer));
        errors
    }

    /// Whether another error explains this one better.
    fn superseded(&self, r: &Raw, all: &[Raw]) -> bool {
        // The `{type: null}` branch of an optional field: the other branch says what is wrong.
        if r.keyword == "type"
            && self.node(&r.schema_location).and_then(|n| n.get("type")) == Some(&Value::from("null"))
        {
            return all.iter().any(|o| !std::ptr::eq(o, r) && is_at_or_below(&o.pointer, &r.pointer));
        }
        // A later branch of an `anyOf` when its first branch failed at the same place.
        if let Some((prefix, branch)) = anyof_branch(&r.schema_location)
            && branch > 0
        {
            let first = format!("{prefix}/anyOf/0/");
            return all.iter().any(|o| o.pointer == r.pointer && o.schema_location.starts_with(&first));
        }
        // Combinators fail because something inside failed; report that instead.
        if matches!(r.keyword.as_str(), "anyOf" | "oneOf" | "allOf" | "not" | "$ref" | "dependentSchemas") {
            return all.iter().any(|o| !std::ptr::eq(o, r) && is_at_or_below(&o.pointer, &r.pointer));
        }
        false
    }

    /// The schema object containing the keyword at `schema_location`.
    fn node(&self, schema_location: &str) -> Option<&'a Value> {
        let (parent, _) = schema_location.rsplit_once('/')?;
        self.root.pointer(parent)
    }

    fn convert(&self, r: &Raw) -> Vec<SchemaError> {
        let node = self.node(&r.schema_location);
        let instance = self.doc.pointer(&r.pointer);
        match r.keyword.as_str() {
            "additionalProperties" | "unevaluatedProperties" => self.unknown_fields(r, node, instance),
            "required" => vec![self.missing(r)],
            "type" => vec![self.wrong_type(r, node, instance)],
            "enum" | "const" => vec![self.not_allowed(r, node, instance)],
            "falseSchema" => vec![self.one_of(r)],
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                vec![self.range(r, node, instance)]
            }
            "pattern" | "format" => vec![self.format(r, instance)],
            "minItems" if node.and_then(|n| n.get("minItems")) == Some(&Value::from(1)) => {
                vec![SchemaError {
                    pointer: r.pointer.clone(),
                    kind: SchemaErrorKind::Other,
                    message: format!("{} must not be empty", self.context(&r.pointer)),
                    help: None,
                }]
            }
            _ => vec![SchemaError {
                pointer: r.pointer.clone(),
                kind: SchemaErrorKind::Other,
                message: format!("{}: {}", self.context(&r.pointer), r.message),
                help: None,
            }],
        }
    }

    fn server_error(&self, v: Violation) -> SchemaError {
        let context = self.context(&v.pointer);
        match v.what {
            What::Rule { rule, message } => SchemaError {
                message: format!("{context}: {message}"),
                help: Some(format!("the API server refuses it by the CRD's validation rule `{}`", one_line(&rule))),
                pointer: v.pointer,
                kind: SchemaErrorKind::Rule { rule, failed: None },
            },
            What::RuleError { rule, error } => SchemaError {
                message: format!("{context}: the validation rule `{}` fails on this value: {error}", one_line(&rule)),
                help: Some("the API server refuses an object whose validation rule cannot be evaluated".into()),
                pointer: v.pointer,
                kind: SchemaErrorKind::Rule { rule, failed: Some(error) },
            },
            What::Duplicate { keys } => SchemaError {
                message: format!("{context} repeats the item with {keys}; each must be unique"),
                help: None,
                pointer: v.pointer,
                kind: SchemaErrorKind::Duplicate,
            },
        }
    }

    fn unknown_fields(&self, r: &Raw, node: Option<&Value>, instance: Option<&Value>) -> Vec<SchemaError> {
        let (Some(node), Some(Value::Object(object))) = (node, instance) else {
            return Vec::new();
        };
        if node.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Vec::new();
        }
        let declared = properties(node).cloned().unwrap_or_default();
        let context = self.context(&r.pointer);
        object
            .keys()
            .filter(|key| !declared.contains_key(*key))
            .map(|key| {
                let pointer = format!("{}/{}", r.pointer, escape(key));
                if let Some((release, newer)) =
                    istio_release_declaring(self.istio, self.api_version, self.kind, &r.pointer, key)
                {
                    let current = minor(&super::upstream::ISTIO[self.istio]);
                    let message = if newer {
                        format!("\"{key}\" in {context} needs Istio {release}; validating for {current}")
                    } else {
                        format!("\"{key}\" in {context} was removed after Istio {release}; validating for {current}")
                    };
                    return SchemaError {
                        pointer,
                        kind: SchemaErrorKind::UnknownField { field: key.clone(), suggestion: None, belongs_at: None },
                        message,
                        help: Some(format!("run with --istio-version {release} if the mesh runs Istio {release}")),
                    };
                }
                let belongs_at = self.belongs_at(&r.pointer, key);
                let suggestion = if belongs_at.is_some() { None } else { closest_field(key, &declared, object) };
                let mut message = format!("unknown field \"{key}\" in {context}");
                if let Some(s) = &suggestion {
                    message.push_str(&format!("; did you mean \"{s}\"?"));
                }
                let help = match &belongs_at {
                    Some(at) => Some(format!(
                        "\"{key}\" is a field of {} (at {}); check its indentation",
                        self.type_name(at),
                        if at.is_empty() { "the top level" } else { at.as_str() }
                    )),
                    None if suggestion.is_none() => Some(format!(
                        "{context} accepts: {}",
                        declared.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                    )),
                    None => None,
                };
                SchemaError {
                    pointer,
                    kind: SchemaErrorKind::UnknownField { field: key.clone(), suggestion, belongs_at },
                    message,
                    help,
                }
            })
            .collect()
    }

    /// The nearest enclosing object of `pointer` whose schema declares `key`.
    fn belongs_at(&self, pointer: &str, key: &str) -> Option<String> {
        let trail = self.trail(pointer);
        let tokens = tokens(pointer);
        (0..tokens.len()).rev().find_map(|depth| {
            let ancestor = join(&tokens[..depth]);
            let (schema, _) = trail.get(depth)?;
            let is_object = self.doc.pointer(&ancestor).is_some_and(Value::is_object);
            (is_object && properties(schema).is_some_and(|p| p.contains_key(key))).then_some(ancestor)
        })
    }

    fn missing(&self, r: &Raw) -> SchemaError {
        let field = r
            .message
            .strip_suffix(" is a required property")
            .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
            .unwrap_or_else(|| r.message.clone());
        let help = (field == "name" && r.schema_location.contains("/anyOf/"))
            .then(|| "set metadata.name (or metadata.generateName)".to_string());
        SchemaError {
            pointer: r.pointer.clone(),
            message: format!("missing required field \"{field}\" in {}", self.context(&r.pointer)),
            kind: SchemaErrorKind::Missing { field },
            help,
        }
    }

    fn wrong_type(&self, r: &Raw, node: Option<&Value>, instance: Option<&Value>) -> SchemaError {
        let expected: Vec<&str> = match node.and_then(|n| n.get("type")) {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
            _ => Vec::new(),
        };
        let expected_text = expected.iter().map(|t| type_phrase(t)).collect::<Vec<_>>().join(" or ");
        let found = instance.map(describe).unwrap_or_else(|| "nothing".into());
        let help = match (instance, expected.as_slice()) {
            (Some(Value::String(s)), ["integer"]) if s.parse::<i64>().is_ok() => {
                Some(format!("remove the quotes: {s}"))
            }
            _ => None,
        };
        SchemaError {
            pointer: r.pointer.clone(),
            message: format!("expected {expected_text}, found {found}"),
            kind: SchemaErrorKind::WrongType {
                expected: expected.join(" or "),
                found: instance.map(json_type).unwrap_or("nothing").to_string(),
            },
            help,
        }
    }

    fn not_allowed(&self, r: &Raw, node: Option<&Value>, instance: Option<&Value>) -> SchemaError {
        let mut allowed: Vec<String> = Vec::new();
        let options = match node {
            Some(n) if r.keyword == "const" => n.get("const").into_iter().cloned().collect(),
            Some(n) => n.get("enum").and_then(Value::as_array).cloned().unwrap_or_default(),
            None => Vec::new(),
        };
        for option in options.into_iter().filter(|o| !o.is_null()) {
            let text = option.as_str().map(str::to_string).unwrap_or_else(|| option.to_string());
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&text)) {
                allowed.push(text);
            }
        }
        let value = match instance {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        enum_error(r.pointer.clone(), &field_name(&r.pointer), value, allowed)
    }

    fn one_of(&self, r: &Raw) -> SchemaError {
        // `…/dependentSchemas/<present>/properties/<excluded>`.
        let parts: Vec<&str> = r.schema_location.rsplitn(4, '/').collect();
        let (excluded, present, holder) = match parts.as_slice() {
            [excluded, "properties", present, rest] => (*excluded, *present, rest.strip_suffix("/dependentSchemas")),
            _ => ("", "", None),
        };
        let holder = holder.and_then(|h| self.root.pointer(h));
        let all: Vec<String> = holder
            .and_then(|h| h.get("x-one-of"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        SchemaError {
            pointer: r.pointer.clone(),
            message: format!(
                "{} takes only one of {}; found {present} and {excluded}",
                self.context(&parent(&r.pointer)),
                all.join(", ")
            ),
            help: Some(format!("remove \"{present}\" or \"{excluded}\"")),
            kind: SchemaErrorKind::OneOf { fields: vec![present.to_string(), excluded.to_string()] },
        }
    }

    fn range(&self, r: &Raw, node: Option<&Value>, instance: Option<&Value>) -> SchemaError {
        let bound = |k: &str| node.and_then(|n| n.get(k)).map(Value::to_string);
        let limits = match (bound("minimum"), bound("maximum")) {
            (Some(min), Some(max)) => format!("between {min} and {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => r.message.clone(),
        };
        let value = instance.map(Value::to_string).unwrap_or_default();
        SchemaError {
            pointer: r.pointer.clone(),
            message: format!("{value} is out of range: {} must be {limits}", field_name(&r.pointer)),
            kind: SchemaErrorKind::Range,
            help: None,
        }
    }

    fn format(&self, r: &Raw, instance: Option<&Value>) -> SchemaError {
        let value = instance.map(Value::to_string).unwrap_or_default();
        let message = format!("{value} is not a valid {}: {}", field_name(&r.pointer), r.message);
        SchemaError { pointer: r.pointer.clone(), kind: SchemaErrorKind::Format, message, help: None }
    }

    /// The schema (after `$ref` and optional unwrapping) and its definition name for every
    /// prefix of `pointer`, from the root down, as far as the schema describes it.
    fn trail(&self, pointer: &str) -> Vec<(&'a Value, Option<&'a str>)> {
        let root_name = self.root.get("title").and_then(Value::as_str);
        let mut trail = vec![(self.root, root_name)];
        for token in tokens(pointer) {
            let (current, _) = *trail.last().expect("trail starts with the root");
            let next = properties(current)
                .and_then(|p| p.get(&token))
                .or_else(|| current.get("items").filter(|_| token.parse::<usize>().is_ok()))
                .or_else(|| current.get("additionalProperties").filter(|a| a.is_object()));
            match next {
                Some(schema) => trail.push(deref(self.root, schema)),
                None => break,
            }
        }
        trail
    }

    /// How to name the place at `pointer` in a message: the nearest enclosing named type and
    /// the path from it, e.g. `HTTPRouteDestination.destination` or `HTTPRoute.match[0]`.
    fn context(&self, pointer: &str) -> String {
        let tokens = tokens(pointer);
        if tokens.is_empty() {
            return self.root.get("title").and_then(Value::as_str).unwrap_or("the document").to_string();
        }
        let trail = self.trail(pointer);
        let named = (0..tokens.len()).rev().find_map(|d| trail.get(d).and_then(|(_, n)| *n).map(|n| (d, n)));
        let (depth, name) = named.unwrap_or((0, "document"));
        let mut text = name.to_string();
        for token in &tokens[depth..] {
            if token.parse::<usize>().is_ok() {
                text.push_str(&format!("[{token}]"));
            } else {
                text.push('.');
                text.push_str(token);
            }
        }
        text
    }

    /// The type name of the object at `pointer`, or its [`Self::context`] when it has none.
    fn type_name(&self, pointer: &str) -> String {
        match self.trail(pointer).get(tokens(pointer).len()) {
            Some((_, Some(name))) => name.to_string(),
            _ => self.context(pointer),
        }
    }
}

/// `(prefix, n)` for a schema location that passes through `<prefix>/anyOf/<n>/`.
fn anyof_branch(schema_location: &str) -> Option<(&str, usize)> {
    let at = schema_location.rfind("/anyOf/")?;
    let rest = &schema_location[at + "/anyOf/".len()..];
    let n = rest.split('/').next()?.parse().ok()?;
    Some((&schema_location[..at], n))
}

/// The position of `pointer` in `doc` in document order: per level, the index of the key (maps
/// keep their written order) or of the list item.
fn document_order(doc: &Value, pointer: &str) -> Vec<usize> {
    let mut current = Some(doc);
    tokens(pointer)
        .iter()
        .map(|token| {
            let (index, next) = match current {
                Some(Value::Object(map)) => (map.keys().position(|k| k == token), map.get(token.as_str())),
                Some(Value::Array(items)) => {
                    let i = token.parse::<usize>().ok();
                    (i, i.and_then(|i| items.get(i)))
                }
                _ => (None, None),
            };
            current = next;
            index.unwrap_or(usize::MAX)
        })
        .collect()
}

fn is_at_or_below(pointer: &str, ancestor: &str) -> bool {
    pointer == ancestor || pointer.strip_prefix(ancestor).is_some_and(|rest| rest.starts_with('/'))
}

/// A rule's text on one line, its runs of whitespace as one space.
fn one_line(rule: &str) -> String {
    rule.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect()
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn join(tokens: &[String]) -> String {
    tokens.iter().map(|t| format!("/{}", escape(t))).collect()
}

fn parent(pointer: &str) -> String {
    pointer.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// The field a value at `pointer` belongs to: its key, or the list's key for a list item.
fn field_name(pointer: &str) -> String {
    tokens(pointer).into_iter().rev().find(|t| t.parse::<usize>().is_err()).unwrap_or_else(|| "value".into())
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_phrase(json_type: &str) -> &'static str {
    match json_type {
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "boolean" => "a boolean (true or false)",
        "array" => "a list",
        "object" => "a mapping (an object)",
        _ => "a value of another type",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null (an empty value)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("the number {n}"),
        Value::Number(n) => format!("the integer {n}"),
        Value::String(s) => format!("the string {}", Value::from(s.as_str())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn quoted_list(items: &[String], conjunction: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// Declared fields close to an unknown `key`, best first; fields already present are skipped.
fn closest_field(key: &str, declared: &Map<String, Value>, present: &Map<String, Value>) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    declared
        .keys()
        .filter(|d| !present.contains_key(*d))
        .filter_map(|d| {
            let dl = d.to_ascii_lowercase();
            let score = jaro_winkler(&lower, &dl);
            (dl == lower || score >= 0.85 || damerau_levenshtein(&lower, &dl) <= 2.min(d.len() / 3))
                .then_some((score, d))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, d)| d.clone())
}

/// A value of `field` at `pointer` outside `allowed`, with the allowed values closest to it.
pub(super) fn enum_error(pointer: String, field: &str, value: String, allowed: Vec<String>) -> SchemaError {
    let close = close_values(&value, &allowed);
    let best = close.first().cloned();
    let close: Vec<String> = allowed.iter().filter(|a| close.contains(a)).cloned().collect();
    let mut message = format!("\"{value}\" is not a valid {field}");
    if close.is_empty() {
        message.push_str(&format!("; expected one of {}", quoted_list(&allowed, "or")));
    } else {
        message.push_str(&format!("; did you mean {}?", quoted_list(&close, "or")));
    }
    SchemaError {
        pointer,
        message,
        help: (!close.is_empty()).then(|| format!("{field} is one of {}", quoted_list(&allowed, "or"))),
        kind: SchemaErrorKind::Enum { value, allowed, suggestion: best },
    }
}

/// Allowed values close to `value`, best first (at most three).
fn close_values(value: &str, allowed: &[String]) -> Vec<String> {
    let upper = value.to_ascii_uppercase();
    let mut scored: Vec<(f64, &String)> = allowed
        .iter()
        .filter_map(|a| {
            let candidate = a.to_ascii_uppercase();
            let score = jaro_winkler(&upper, &candidate);
            let edits = damerau_levenshtein(&upper, &candidate);
            (score >= 0.85 || edits <= (candidate.len() / 4).max(1)).then_some((score, a))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, a)| a.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: &str = "networking.istio.io/v1";

    fn check(kind: &str, doc: Value) -> Vec<SchemaError> {
        let api_version = doc["apiVersion"].as_str().unwrap().to_string();
        let errors = validate(&api_version, kind, &doc).expect("schema exists");
        let mut pointers: Vec<&str> = errors
            .iter()
            .filter(|e| !matches!(e.kind, SchemaErrorKind::Missing { .. }))
            .map(|e| e.pointer.as_str())
            .collect();
        pointers.sort();
        let before = pointers.len();
        pointers.dedup();
        assert_eq!(before, pointers.len(), "one error per pointer: {errors:#?}");
        errors
    }

    fn one(kind: &str, doc: Value) -> SchemaError {
        let errors = check(kind, doc);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        errors.into_iter().next().unwrap()
    }

    fn vs(http: Value) -> Value {
        json!({"apiVersion": V1, "kind": "VirtualService", "metadata": {"name": "reviews"},
               "spec": {"hosts": ["reviews"], "http": http}})
    }

    fn reviews_route() -> Value {
        json!({"destination": {"host": "reviews", "subset": "v1"}})
    }

    #[test]
    fn bookinfo_virtual_service_is_valid() {
        let doc = vs(json!([
            {"match": [{"headers": {"end-user": {"exact": "jason"}, "x-canary": {}}, "uri": {"prefix": "/reviews"}}],
             "route": [{"destination": {"host": "reviews", "subset": "v2", "port": {"number": 9080}}}],
             "timeout": "10s", "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"}},
            {"route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                       {"destination": {"host": "reviews", "subset": "v3"}, "weight": 20}],
             "fault": {"delay": {"fixedDelay": "7s", "percentage": {"value": 100}}},
             "corsPolicy": {"allowOrigins": [{"exact": "https://example.com"}], "maxAge": "24h"},
             "headers": {"request": {"set": {"x-a": "b"}}, "response": {"remove": ["server"]}}}
        ]));
        assert_eq!(check("VirtualService", doc), vec![]);
        let delegate = json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
            "metadata": {"generateName": "d-", "labels": null},
            "spec": {"http": [{"match": [{"uri": {"prefix": "/a"}}], "delegate": {"name": "a", "namespace": "x"}}]}});
        assert_eq!(check("VirtualService", delegate), vec![]);
    }

    #[test]
    fn no_schema_for_unmodelled_kinds() {
        assert!(validate("v1", "ConfigMap", &json!({})).is_none());
        assert!(validate("networking.istio.io/v2", "VirtualService", &json!({})).is_none());
    }

    #[test]
    fn unknown_field_with_suggestion() {
        let e = one("VirtualService", vs(json!([{"route": [{"destination": {"hostz": "reviews"}}]}])));
        assert_eq!(e.pointer, "/spec/http/0/route/0/destination/hostz");
        assert_eq!(
            e.kind,
            SchemaErrorKind::UnknownField { field: "hostz".into(), suggestion: Some("host".into()), belongs_at: None }
        );
        assert_eq!(
            e.message,
            r#"unknown field "hostz" in VirtualService.spec.http[0].route[0].destination; did you mean "host"?"#
        );
    }

    #[test]
    fn unknown_field_that_belongs_higher_up() {
        let e = one(
            "VirtualService",
            vs(json!([{"match": [{"uri": {"prefix": "/"}, "route": [reviews_route()]}], "timeout": "5s"}])),
        );
        assert_eq!(e.pointer, "/spec/http/0/match/0/route");
        let SchemaErrorKind::UnknownField { field, belongs_at, .. } = &e.kind else { panic!("{e:?}") };
        assert_eq!((field.as_str(), belongs_at.as_deref()), ("route", Some("/spec/http/0")));
        assert!(e.message.contains("VirtualService.spec.http[0].match[0]"), "{}", e.message);
        assert_eq!(
            e.help.as_deref(),
            Some(r#""route" is a field of VirtualService.spec.http[0] (at /spec/http/0); check its indentation"#)
        );

        let sidecar = json!({"apiVersion": V1, "kind": "Sidecar", "metadata": {"name": "s"},
            "spec": {"egress": [{"hosts": ["./*"], "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}]}});
        let e = one("Sidecar", sidecar);
        let SchemaErrorKind::UnknownField { belongs_at, .. } = &e.kind else { panic!("{e:?}") };
        assert_eq!(belongs_at.as_deref(), Some("/spec"));
    }

    #[test]
    fn unknown_field_without_a_near_name_lists_the_fields() {
        let e = one("VirtualService", vs(json!([{"route": [reviews_route()], "canary": true}])));
        assert_eq!(
            e.kind,
            SchemaErrorKind::UnknownField { field: "canary".into(), suggestion: None, belongs_at: None }
        );
        assert!(e.help.unwrap().contains("corsPolicy"));
    }

    #[test]
    fn wrong_type() {
        let e = one("VirtualService", vs(json!([{"route": [{"destination": {"host": "reviews"}, "weight": "20"}]}])));
        assert_eq!(e.pointer, "/spec/http/0/route/0/weight");
        assert_eq!(e.kind, SchemaErrorKind::WrongType { expected: "integer".into(), found: "string".into() });
        assert_eq!(e.message, r#"expected an integer, found the string "20""#);

        let e = one("VirtualService", vs(json!([{"route": [{"destination": "reviews"}]}])));
        assert_eq!(e.pointer, "/spec/http/0/route/0/destination");
        assert!(matches!(e.kind, SchemaErrorKind::WrongType { .. }), "{e:?}");
    }

    #[test]
    fn missing_required_fields() {
        let dr = json!({"apiVersion": V1, "kind": "DestinationRule", "metadata": {"name": "r"},
            "spec": {"subsets": [{"labels": {"version": "v1"}}]}});
        let errors = check("DestinationRule", dr);
        let missing: Vec<(&str, &str)> = errors
            .iter()
            .filter_map(|e| match &e.kind {
                SchemaErrorKind::Missing { field } => Some((e.pointer.as_str(), field.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(missing, vec![("/spec", "host"), ("/spec/subsets/0", "name")]);
        assert_eq!(errors[0].message, r#"missing required field "host" in DestinationRule.spec"#);
        // Istio's CRD requires a port's name, which meshctl's own model did not.

        let gw = json!({"apiVersion": V1, "kind": "Gateway", "metadata": {"namespace": "x"},
            "spec": {"servers": [{"hosts": ["*"], "port": {"number": 80}}]}});
        let errors = check("Gateway", gw);
        let fields: Vec<(&str, &SchemaErrorKind)> = errors.iter().map(|e| (e.pointer.as_str(), &e.kind)).collect();
        assert_eq!(
            fields,
            vec![
                ("/metadata", &SchemaErrorKind::Missing { field: "name".into() }),
                ("/spec/servers/0/port", &SchemaErrorKind::Missing { field: "protocol".into() }),
                ("/spec/servers/0/port", &SchemaErrorKind::Missing { field: "name".into() }),
            ]
        );
    }

    #[test]
    fn one_of_string_match_and_route_actions() {
        let e = one(
            "VirtualService",
            vs(json!([{"match": [{"uri": {"exact": "/a", "prefix": "/a"}}], "route": [reviews_route()]}])),
        );
        assert_eq!(e.pointer, "/spec/http/0/match/0/uri/prefix");
        assert_eq!(e.kind, SchemaErrorKind::OneOf { fields: vec!["exact".into(), "prefix".into()] });
        assert_eq!(
            e.message,
            "VirtualService.spec.http[0].match[0].uri takes only one of exact, prefix, regex; found exact and prefix"
        );

        // A protobuf oneof inside an `allOf` of them (LoadBalancerSettings has two).
        let dr = json!({"apiVersion": V1, "kind": "DestinationRule", "metadata": {"name": "r"},
            "spec": {"host": "r", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN",
                     "consistentHash": {"httpHeaderName": "x"}}}}});
        let e = one("DestinationRule", dr);
        assert_eq!(e.pointer, "/spec/trafficPolicy/loadBalancer/consistentHash");
        assert_eq!(e.kind, SchemaErrorKind::OneOf { fields: vec!["simple".into(), "consistentHash".into()] });
        // Route and redirect together is refused by istiod's webhook, not by the CRD's schema.
        assert_eq!(check("VirtualService", vs(json!([{"route": [reviews_route()], "redirect": {"uri": "/b"}}]))), []);
    }

    #[test]
    fn enum_values_with_close_candidates() {
        let se = json!({"apiVersion": V1, "kind": "ServiceEntry", "metadata": {"name": "ext"},
            "spec": {"hosts": ["api.example.com"], "location": "MESH_INTERNET", "resolution": "DNS",
                     "ports": [{"number": 443, "name": "https", "protocol": "https"}]}});
        let e = one("ServiceEntry", se);
        assert_eq!(e.pointer, "/spec/location");
        assert_eq!(
            e.message,
            r#""MESH_INTERNET" is not a valid location; did you mean "MESH_EXTERNAL" or "MESH_INTERNAL"?"#
        );
        let SchemaErrorKind::Enum { value, allowed, suggestion } = e.kind else { panic!() };
        assert_eq!(value, "MESH_INTERNET");
        assert_eq!(allowed, vec!["MESH_EXTERNAL", "MESH_INTERNAL"]);
        assert!(suggestion.is_some());

        let gw = json!({"apiVersion": V1, "kind": "Gateway", "metadata": {"name": "g"},
            "spec": {"servers": [{"hosts": ["*"], "port": {"number": 443, "protocol": "tpc", "name": "tcp"},
                                  "tls": {"mode": "simple", "credentialName": "c"}}]}});
        // Istio's CRD has no enum for a port's protocol (any string is accepted there), and it
        // matches TLS modes case-sensitively.
        let e = one("Gateway", gw);
        let SchemaErrorKind::Enum { suggestion, allowed, .. } = &e.kind else { panic!() };
        assert_eq!(suggestion.as_deref(), Some("SIMPLE"));
        assert!(!allowed.contains(&"simple".to_string()));
    }

    #[test]
    fn range_and_format() {
        // Istio's CRD bounds a port number as a uint32; 1-65535 and durations are CEL rules.
        let port = json!({"destination": {"host": "r", "port": {"number": 4294967296_u64}}});
        let e = one("VirtualService", vs(json!([{"route": [port]}])));
        assert_eq!(e.pointer, "/spec/http/0/route/0/destination/port/number");
        assert_eq!(e.kind, SchemaErrorKind::Range);
        assert_eq!(e.message, "4294967296 is out of range: number must be between 0 and 4294967295");

        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d",
            "creationTimestamp": "yesterday"}, "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": {
            "metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "d", "image": "d"}]}}}});
        let e = one("Deployment", deploy);
        assert_eq!(e.pointer, "/metadata/creationTimestamp");
        assert_eq!(e.kind, SchemaErrorKind::Format);
    }

    #[test]
    fn other_errors() {
        let se = json!({"apiVersion": V1, "kind": "ServiceEntry", "metadata": {"name": "ext"}, "spec": {"hosts": []}});
        let e = one("ServiceEntry", se);
        assert_eq!((e.pointer.as_str(), &e.kind), ("/spec/hosts", &SchemaErrorKind::Other));
        assert_eq!(e.message, "ServiceEntry.spec.hosts must not be empty");
    }

    /// Kubernetes kinds are checked against upstream's OpenAPI, as strictly as the API server's
    /// `fieldValidation=Strict`, plus the enums its Go validation checks (`type: Loadbalancer`).
    #[test]
    fn kubernetes_kinds_are_strict() {
        let svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "reviews", "labels": {"app": "reviews"}},
            "spec": {"sessionAffinity": "None", "ports": [{"port": 9080, "name": "http", "targetPort": "http"}],
                     "selector": {"app": "reviews"}}});
        assert_eq!(check("Service", svc.clone()), vec![]);
        let mut bad = svc;
        bad["metadata"]["somethingNew"] = json!(1);
        bad["spec"]["ports"][0]["port"] = json!("9080");
        bad["spec"]["type"] = json!("Loadbalancer");
        bad["spec"]["ports"][0]["protocol"] = json!("HTTP");
        let errors = check("Service", bad);
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(matches!(&errors[0].kind, SchemaErrorKind::UnknownField { field, .. } if field == "somethingNew"));
        assert!(matches!(errors[1].kind, SchemaErrorKind::WrongType { .. }));
        assert_eq!(errors[2].pointer, "/spec/ports/0/protocol");
        assert_eq!(errors[2].message, r#""HTTP" is not a valid protocol; expected one of "SCTP", "TCP" or "UDP""#);
        assert_eq!(errors[3].message, r#""Loadbalancer" is not a valid type; did you mean "LoadBalancer"?"#);

        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"app": "d"}}, "strategy": {"type": "RollingUpdate"},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}],
                                                           "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}}}});
        assert_eq!(check("Deployment", deploy), vec![]);
    }

    fn dr_with_keepalive() -> Value {
        json!({"apiVersion": V1, "kind": "DestinationRule", "metadata": {"name": "r"},
            "spec": {"host": "r", "trafficPolicy": {"connectionPool": {"http": {"http2KeepAlive": {"interval": "10s"}}}}}})
    }

    #[test]
    fn a_field_of_another_release_says_which() {
        let doc = dr_with_keepalive();
        assert_eq!(validate_in(1, V1, "DestinationRule", &doc), Some(vec![]));
        let errors = validate_in(0, V1, "DestinationRule", &doc).unwrap();
        let [e] = errors.as_slice() else { panic!("{errors:#?}") };
        assert_eq!(e.pointer, "/spec/trafficPolicy/connectionPool/http/http2KeepAlive");
        assert_eq!(
            e.message,
            r#""http2KeepAlive" in DestinationRule.spec.trafficPolicy.connectionPool.http needs Istio 1.31; validating for 1.30"#
        );
        assert!(matches!(&e.kind, SchemaErrorKind::UnknownField { suggestion: None, belongs_at: None, .. }));
        assert_eq!(e.help.as_deref(), Some("run with --istio-version 1.31 if the mesh runs Istio 1.31"));
    }

    #[test]
    fn every_istio_group_gateway_api_and_core_kinds_are_validated() {
        let ap = json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "a"},
            "spec": {"action": "ALLOWW", "rules": [{"from": [{"source": {"principal": ["x"]}}]}]}});
        let errors = check("AuthorizationPolicy", ap);
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(matches!(&errors[0].kind, SchemaErrorKind::Enum { suggestion: Some(s), .. } if s == "ALLOW"));
        assert!(
            matches!(&errors[1].kind, SchemaErrorKind::UnknownField { suggestion: Some(s), .. } if s == "principals")
        );

        let telemetry = json!({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"name": "t"},
            "spec": {"tracing": [{"randomSamplingPercentage": "10"}]}});
        assert!(matches!(one("Telemetry", telemetry).kind, SchemaErrorKind::WrongType { .. }));

        let route = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
            "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "svc", "prot": 80}]}]}});
        let e = one("HTTPRoute", route);
        assert_eq!(e.pointer, "/spec/rules/0/backendRefs/0/prot");
        assert!(matches!(&e.kind, SchemaErrorKind::UnknownField { suggestion: Some(s), .. } if s == "port"), "{e:?}");

        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": "http"}], "selectr": {"app": "s"}}});
        let e = one("Service", svc);
        assert!(
            matches!(&e.kind, SchemaErrorKind::UnknownField { suggestion: Some(s), .. } if s == "selector"),
            "{e:?}"
        );
    }

    #[test]
    fn validators_are_shared_across_threads() {
        let doc = vs(json!([{"route": [reviews_route()]}]));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| assert_eq!(validate(V1, "VirtualService", &doc), Some(vec![])));
            }
        });
    }

    /// `cargo test --release -- --ignored --nocapture validate_many` prints the time for 10,000.
    #[test]
    #[ignore = "timing; run in release"]
    fn validate_many() {
        let docs: Vec<Value> = (0..10_000)
            .map(|i| {
                vs(json!([
                    {"match": [{"uri": {"prefix": format!("/svc{i}")}, "headers": {"end-user": {"exact": "jason"}}}],
                     "route": [{"destination": {"host": format!("svc{i}"), "subset": "v2"}}], "timeout": "5s"},
                    {"route": [{"destination": {"host": format!("svc{i}"), "subset": "v1"}, "weight": 90},
                               {"destination": {"host": format!("svc{i}"), "subset": "v3"}, "weight": 10}]}
                ]))
            })
            .collect();
        validate(V1, "VirtualService", &docs[0]);
        let start = std::time::Instant::now();
        let valid = docs.iter().filter(|d| validate(V1, "VirtualService", d).is_some_and(|e| e.is_empty())).count();
        let elapsed = start.elapsed();
        assert_eq!(valid, docs.len());
        let mut bad = docs.clone();
        bad.iter_mut().for_each(|d| d["spec"]["http"][1]["route"][0]["weight"] = json!("90"));
        let start = std::time::Instant::now();
        let invalid = bad.iter().filter(|d| validate(V1, "VirtualService", d).is_some_and(|e| e.len() == 1)).count();
        let elapsed_invalid = start.elapsed();
        assert_eq!(invalid, docs.len());
        println!("10,000 valid VirtualServices: {elapsed:?}; 10,000 with one error each: {elapsed_invalid:?}");
    }
}
