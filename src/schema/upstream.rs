//! Upstream's schemas, as the API server applies them, converted to JSON Schema (draft 2020-12).
//!
//! The inputs are vendored by `scripts/vendor-schemas.sh`: the CRDs of each supported Istio
//! release and of the Gateway API release (their `openAPIV3Schema`, a *structural schema*), and
//! the Kubernetes OpenAPI v3 definitions of the core kinds meshctl reads. The conversion applies
//! what the API server does beyond plain OpenAPI validation (k8s.io/apiextensions-apiserver,
//! `pkg/apiserver/schema`):
//!
//! - pruning, read as `fieldValidation=Strict`: a field the schema does not specify is an error,
//!   unless its object has `x-kubernetes-preserve-unknown-fields: true` (`pruning/algorithm.go`);
//!   so every object schema without `additionalProperties` is closed, including one without
//!   `properties` (all of its fields would be pruned);
//! - `x-kubernetes-int-or-string`: an integer or a string;
//! - `x-kubernetes-embedded-resource`: the object has `apiVersion`, `kind` and `metadata` of its own;
//! - `null` in a field that is not `nullable` is pruned, not refused
//!   (`defaulting/prunenulls.go`), so it is accepted; `nullable: true` adds `null` to the types;
//! - `metadata` is validated as ObjectMeta (the API server checks it with its Go type), taken from
//!   the vendored Kubernetes definitions; a CRD schema cannot say more than `type: object` there;
//! - `format: byte` (`k8s.io/kube-openapi/pkg/validation/strfmt`: Go's standard base64, padded) is
//!   also a [`BASE64`] pattern, since JSON Schema has no such format;
//! - `x-kubernetes-list-type: set` is also `uniqueItems: true` (the items of a set are scalars or
//!   atomic, and the server refuses a duplicate);
//! - `x-kubernetes-validations` (CEL rules), `x-kubernetes-list-type: map`, `default` and
//!   `nullable` are kept as they are: JSON Schema does not read them, and [`super::server`] does
//!   what the API server does with them.
//!
//! Istio's "at most one of" (`oneOf: [{not: {anyOf: [{required: [a]}, …]}}, {required: [a]}, …]`,
//! protoc-gen-crd's rendering of a protobuf `oneof`) becomes the equivalent `dependentSchemas`, so
//! that an error names the two fields written together.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The text that `format: byte` accepts: standard base64 with padding.
pub const BASE64: &str = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";

/// One vendored schema source.
pub struct Source {
    /// Directory under `schemas/` for its converted schemas, e.g. `istio-1.30`.
    pub dir: &'static str,
    raw: &'static str,
    format: Format,
}

enum Format {
    Crds,
    OpenApi,
}

/// The Istio releases meshctl validates with, oldest first.
pub static ISTIO: &[Source] = &[
    Source { dir: "istio-1.30", raw: include_str!("../../vendor/istio.io/api/v1.30.8.json"), format: Format::Crds },
    Source { dir: "istio-1.31", raw: include_str!("../../vendor/istio.io/api/v1.31.4.json"), format: Format::Crds },
    Source { dir: "istio-1.32", raw: include_str!("../../vendor/istio.io/api/v1.32.0.json"), format: Format::Crds },
];

/// The Gateway API CRDs: the experimental channel is what meshctl validates with (a superset of
/// the standard one, whose schemas are published beside it).
pub static GATEWAY_API: &[Source] = &[
    Source {
        dir: "gateway-api-1.7-experimental",
        raw: include_str!("../../vendor/sigs.k8s.io/gateway-api/v1.7.0-experimental.json"),
        format: Format::Crds,
    },
    Source {
        dir: "gateway-api-1.7-standard",
        raw: include_str!("../../vendor/sigs.k8s.io/gateway-api/v1.7.0-standard.json"),
        format: Format::Crds,
    },
];

pub static KUBERNETES: Source = Source {
    dir: "kubernetes-1.36",
    raw: include_str!("../../vendor/k8s.io/kubernetes/v1.36.3.json"),
    format: Format::OpenApi,
};

/// One converted schema: a kind at the versions that share it.
#[derive(Debug)]
pub struct Converted {
    pub group: String,
    pub kind: String,
    pub versions: Vec<String>,
    /// File stem under the source's directory: `<group-or-core>.<first version>.<Kind>`.
    pub stem: String,
    pub schema: Value,
}

impl Source {
    /// Whether these are CRDs, whose objects the API server also checks with CEL rules and list
    /// types; the built-in kinds are validated by its Go code.
    pub fn is_crds(&self) -> bool {
        matches!(self.format, Format::Crds)
    }

    /// Every schema of this source, converted.
    pub fn convert(&self) -> Vec<Converted> {
        let raw: Value = serde_json::from_str(self.raw).expect("vendored schemas are JSON");
        match self.format {
            Format::Crds => convert_crds(&raw),
            Format::OpenApi => convert_openapi(&raw),
        }
    }
}

const COMPONENTS: &str = "#/components/schemas/";

/// The vendored Kubernetes definitions (`components.schemas`).
fn kube_definitions() -> &'static Map<String, Value> {
    kube_raw()["schemas"].as_object().expect("vendored definitions are an object")
}

fn kube_raw() -> &'static Value {
    static RAW: std::sync::LazyLock<Value> =
        std::sync::LazyLock::new(|| serde_json::from_str(KUBERNETES.raw).expect("vendored schemas are JSON"));
    &RAW
}

/// A Kubernetes definition with the enums the API server checks only in its Go code (vendored
/// under `go_validation` from `pkg/apis/core/validation`, e.g. a Service's `type`) written in.
fn with_go_enums(name: &str, definition: &Value) -> Value {
    let mut out = definition.clone();
    for (field, check) in kube_raw()["go_validation"].get(name).and_then(Value::as_object).into_iter().flatten() {
        if let Some(prop) = out.pointer_mut(&format!("/properties/{field}")).and_then(Value::as_object_mut) {
            prop.insert("enum".into(), check["enum"].clone());
        }
    }
    out
}

/// `io.k8s.api.core.v1.PodSpec` → `PodSpec`: the vendored definitions have no two of a name.
fn short_name(definition: &str) -> &str {
    definition.rsplit('.').next().unwrap_or(definition)
}

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

fn convert_crds(raw: &Value) -> Vec<Converted> {
    let mut out = Vec::new();
    for crd in raw["crds"].as_array().into_iter().flatten() {
        let group = crd["group"].as_str().unwrap_or_default();
        let kind = crd["kind"].as_str().unwrap_or_default();
        for shared in crd["schemas"].as_array().into_iter().flatten() {
            let versions: Vec<String> = shared["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            let mut cx = Converter { crd: true, ..Converter::default() };
            let mut schema = cx.node(&shared["openAPIV3Schema"], Position::Root);
            cx.crd = false;
            cx.want(OBJECT_META);
            let api_versions: Vec<String> = versions.iter().map(|v| format!("{group}/{v}")).collect();
            finish_root(&mut schema, &raw["source"], kind, &api_versions, &mut cx);
            out.push(Converted {
                group: group.to_string(),
                kind: kind.to_string(),
                stem: format!("{group}.{}.{kind}", versions[0]),
                versions,
                schema,
            });
        }
    }
    out
}

fn convert_openapi(raw: &Value) -> Vec<Converted> {
    let defs = kube_definitions();
    let mut out = Vec::new();
    for root in raw["roots"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let gvk = &defs[root]["x-kubernetes-group-version-kind"][0];
        let group = gvk["group"].as_str().unwrap_or_default();
        let version = gvk["version"].as_str().unwrap_or_default().to_string();
        let kind = gvk["kind"].as_str().unwrap_or_default();
        let mut cx = Converter::default();
        let mut schema = cx.node(&defs[root], Position::Root);
        let api_version = if group.is_empty() { version.clone() } else { format!("{group}/{version}") };
        finish_root(&mut schema, &raw["source"], kind, &[api_version], &mut cx);
        out.push(Converted {
            group: group.to_string(),
            kind: kind.to_string(),
            stem: format!("{}.{version}.{kind}", if group.is_empty() { "core" } else { group }),
            versions: vec![version],
            schema,
        });
    }
    out
}

/// The root of a kind's schema: its name, the `apiVersion`s and `kind` it stands for, ObjectMeta
/// with a name or generateName (the API server's `ValidateObjectMeta`), and the Kubernetes
/// definitions it refers to under `$defs`.
fn finish_root(schema: &mut Value, source: &Value, kind: &str, api_versions: &[String], cx: &mut Converter) {
    let defs = cx.definitions();
    let Some(obj) = schema.as_object_mut() else { return };
    let props = obj.entry("properties").or_insert_with(|| json!({})).as_object_mut().expect("properties is an object");
    props.insert("apiVersion".into(), json!({"type": "string", "enum": api_versions}));
    props.insert("kind".into(), json!({"type": "string", "const": kind}));
    props.insert(
        "metadata".into(),
        json!({"$ref": "#/$defs/ObjectMeta", "anyOf": [{"required": ["name"]}, {"required": ["generateName"]}]}),
    );
    let mut root = Map::new();
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root.insert("title".into(), json!(kind));
    root.insert("$comment".into(), json!(format!("converted by meshctl from {}", source.as_str().unwrap_or_default())));
    for (k, v) in std::mem::take(obj) {
        root.insert(k, v);
    }
    root.insert("required".into(), json!(["apiVersion", "kind", "metadata"]));
    root.insert("$defs".into(), Value::Object(defs));
    *obj = root;
}

/// Where a schema node sits: value positions close objects and accept `null`; the branches of
/// `allOf`/`anyOf`/`oneOf`/`not` only add value validations (a structural schema may not
/// specify types or fields there that the node itself does not) and are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Root,
    Field,
    Item,
    Branch,
}

#[derive(Default)]
struct Converter {
    /// Converting a CRD's own schema (not a Kubernetes definition it refers to).
    crd: bool,
    /// Kubernetes definitions referred to, by full name, converted on demand.
    wanted: BTreeMap<String, Option<Value>>,
}

impl Converter {
    fn want(&mut self, definition: &str) {
        self.wanted.entry(definition.to_string()).or_insert(None);
    }

    /// Every wanted definition, converted, by short name (converting one may want more).
    fn definitions(&mut self) -> Map<String, Value> {
        while let Some(name) = self.wanted.iter().find(|(_, v)| v.is_none()).map(|(k, _)| k.clone()) {
            let converted = self.node(&with_go_enums(&name, &kube_definitions()[&name]), Position::Root);
            self.wanted.insert(name, Some(converted));
        }
        std::mem::take(&mut self.wanted)
            .into_iter()
            .map(|(k, v)| (short_name(&k).to_string(), v.unwrap_or_default()))
            .collect()
    }

    fn reference(&mut self, target: &str) -> Value {
        let name = target.strip_prefix(COMPONENTS).unwrap_or(target);
        self.want(name);
        json!({"$ref": format!("#/$defs/{}", short_name(name))})
    }

    fn node(&mut self, schema: &Value, at: Position) -> Value {
        let Some(src) = schema.as_object() else { return schema.clone() };
        if let Some(target) = src.get("$ref").and_then(Value::as_str) {
            return self.nullable_ref(target, at);
        }
        // Kubernetes' OpenAPI v3 wraps a reference with a default as `allOf: [{$ref}]`.
        if let Some([only]) = src.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
            && let Some(target) = only.get("$ref").and_then(Value::as_str)
        {
            return self.nullable_ref(target, at);
        }
        let flag = |key: &str| src.get(key) == Some(&Value::Bool(true));
        let int_or_string = flag("x-kubernetes-int-or-string") || src.get("format") == Some(&json!("int-or-string"));
        let preserve = flag("x-kubernetes-preserve-unknown-fields");
        let mut out = Map::new();
        for (key, value) in src {
            match key.as_str() {
                // A CRD's `default` and `nullable` stay for the API server's checks (`server.rs`),
                // JSON Schema reads them as annotations; the built-in kinds' are their Go code's.
                "description" => {}
                "default" | "nullable" if !self.crd => {}
                "format" if int_or_string => {}
                // `anyOf`/`oneOf: [{type: integer}, {type: string}]` restate int-or-string.
                "anyOf" | "oneOf" if int_or_string => {}
                "properties" => {
                    let props = value.as_object().into_iter().flatten();
                    let converted = props.map(|(k, v)| (k.clone(), self.node(v, Position::Field))).collect();
                    out.insert(key.clone(), Value::Object(converted));
                }
                "items" => {
                    out.insert(key.clone(), self.node(value, Position::Item));
                }
                "additionalProperties" if value.is_object() => {
                    out.insert(key.clone(), self.node(value, Position::Field));
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let branches = value.as_array().into_iter().flatten();
                    out.insert(key.clone(), Value::Array(branches.map(|b| self.node(b, Position::Branch)).collect()));
                }
                "not" => {
                    out.insert(key.clone(), self.node(value, Position::Branch));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if int_or_string {
            out.insert("type".into(), json!(["integer", "string"]));
        }
        if src.get("format") == Some(&json!("byte")) && !out.contains_key("pattern") {
            out.insert("pattern".into(), json!(BASE64));
        }
        if src.get("x-kubernetes-list-type") == Some(&json!("set")) {
            out.insert("uniqueItems".into(), Value::Bool(true));
        }
        if at != Position::Branch {
            if flag("x-kubernetes-embedded-resource") {
                let props = out.entry("properties").or_insert_with(|| json!({})).as_object_mut().expect("an object");
                props.entry("apiVersion").or_insert_with(|| json!({"type": "string"}));
                props.entry("kind").or_insert_with(|| json!({"type": "string"}));
                props.entry("metadata").or_insert_with(|| json!({"$ref": "#/$defs/ObjectMeta"}));
                self.want(OBJECT_META);
            }
            if out.get("type") == Some(&json!("object")) && !preserve && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            at_most_one_of(&mut out);
            if let Some(Value::Array(all)) = out.get_mut("allOf") {
                all.iter_mut().filter_map(Value::as_object_mut).for_each(at_most_one_of);
            }
            if at == Position::Field || flag("nullable") {
                accept_null(&mut out);
            }
        }
        Value::Object(out)
    }

    fn nullable_ref(&mut self, target: &str, at: Position) -> Value {
        let reference = self.reference(target);
        if at == Position::Field { json!({"anyOf": [reference, {"type": "null"}]}) } else { reference }
    }
}

fn accept_null(schema: &mut Map<String, Value>) {
    match schema.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            schema.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&json!("null")) => types.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// Istio's rendering of a protobuf `oneof` — none or exactly one of the fields — as
/// `dependentSchemas`: each field, when present, excludes the ones after it.
fn at_most_one_of(schema: &mut Map<String, Value>) {
    let Some(fields) = schema.get("oneOf").and_then(one_of_fields) else { return };
    let mut dependent = Map::new();
    for (i, field) in fields.iter().enumerate() {
        let excluded: Map<String, Value> = fields[i + 1..].iter().map(|f| (f.clone(), Value::Bool(false))).collect();
        if !excluded.is_empty() {
            dependent.insert(field.clone(), json!({"properties": excluded}));
        }
    }
    schema.remove("oneOf");
    schema.insert("dependentSchemas".into(), Value::Object(dependent));
    schema.insert("x-one-of".into(), json!(fields));
}

/// The fields of `[{not: {anyOf: [{required: [a]}, …]}}, {required: [a]}, …]`, if it is that.
fn one_of_fields(one_of: &Value) -> Option<Vec<String>> {
    let [none, each @ ..] = one_of.as_array()?.as_slice() else { return None };
    let single = |v: &Value| -> Option<String> {
        let obj = v.as_object()?;
        let [name] = obj.get("required")?.as_array()?.as_slice() else { return None };
        (obj.len() == 1).then(|| name.as_str().map(String::from))?
    };
    let listed: Vec<String> = none.get("not")?.get("anyOf")?.as_array()?.iter().map(single).collect::<Option<_>>()?;
    let required: Vec<String> = each.iter().map(single).collect::<Option<_>>()?;
    (none.as_object()?.len() == 1 && listed == required && !listed.is_empty()).then_some(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(schema: Value) -> Value {
        Converter::default().node(&schema, Position::Field)
    }

    #[test]
    fn objects_are_closed_unless_unknown_fields_are_preserved() {
        let closed = node(json!({"type": "object", "properties": {"a": {"type": "string"}}}));
        assert_eq!(closed["additionalProperties"], json!(false));
        assert_eq!(closed["properties"]["a"]["type"], json!(["string", "null"]));
        let empty = node(json!({"type": "object"}));
        assert_eq!(empty["additionalProperties"], json!(false));
        let open = node(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}));
        assert!(open.get("additionalProperties").is_none());
        let map = node(json!({"type": "object", "additionalProperties": {"type": "string"}}));
        assert_eq!(map["additionalProperties"], json!({"type": ["string", "null"]}));
    }

    #[test]
    fn bytes_are_base64_and_sets_unique() {
        let bytes = node(json!({"type": "string", "format": "byte"}));
        assert_eq!(bytes["pattern"], json!(BASE64));
        let re = regex::Regex::new(BASE64).unwrap();
        assert!(["", "aGVsbG8=", "aGk=", "YWJj"].iter().all(|t| re.is_match(t)));
        assert!(["not base64!", "aGVsbG8", "a==="].iter().all(|t| !re.is_match(t)));
        let set = node(json!({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}));
        assert_eq!(set["uniqueItems"], json!(true));
        let map =
            node(json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}));
        assert!(map.get("uniqueItems").is_none());
    }

    #[test]
    fn int_or_string_nullable_and_embedded_resources() {
        let ios = node(json!({"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}));
        assert_eq!(ios, json!({"x-kubernetes-int-or-string": true, "type": ["integer", "string", "null"]}));
        let item = Converter::default().node(&json!({"type": "string", "nullable": true}), Position::Item);
        assert_eq!(item["type"], json!(["string", "null"]));
        let enumerated = node(json!({"type": "string", "enum": ["A", "B"]}));
        assert_eq!(enumerated["enum"], json!(["A", "B", null]));
        let mut cx = Converter::default();
        let embedded = cx.node(&json!({"type": "object", "x-kubernetes-embedded-resource": true}), Position::Item);
        assert_eq!(embedded["properties"]["metadata"], json!({"$ref": "#/$defs/ObjectMeta"}));
        assert!(cx.definitions().contains_key("ObjectMeta"));
    }

    #[test]
    fn istio_oneof_becomes_dependent_schemas_and_cel_is_kept() {
        let one_of = json!([{"not": {"anyOf": [{"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]}},
                            {"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]);
        let cel = json!([{"rule": "self.a != ''", "message": "a"}]);
        let mut cx = Converter::default();
        let s = cx.node(
            &json!({"type": "object", "oneOf": one_of, "x-kubernetes-validations": cel,
                    "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}}),
            Position::Item,
        );
        assert!(s.get("oneOf").is_none());
        assert_eq!(s["x-one-of"], json!(["a", "b", "c"]));
        assert_eq!(
            s["dependentSchemas"],
            json!({"a": {"properties": {"b": false, "c": false}}, "b": {"properties": {"c": false}}})
        );
        assert_eq!(s["x-kubernetes-validations"], cel);
        // Any other oneOf is kept as written.
        let other = json!([{"required": ["a"]}, {"required": ["b"]}]);
        assert_eq!(node(json!({"type": "object", "oneOf": other.clone()}))["oneOf"], other);
    }

    #[test]
    fn kubernetes_references_become_local_definitions() {
        let mut cx = Converter::default();
        let s = cx.node(
            &json!({"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}], "default": {}}),
            Position::Field,
        );
        assert_eq!(s, json!({"anyOf": [{"$ref": "#/$defs/IntOrString"}, {"type": "null"}]}));
        let defs = cx.definitions();
        assert_eq!(defs["IntOrString"]["type"], json!(["integer", "string"]));
    }
}
