//! JSON Schemas (draft 2020-12) generated from [`crate::model`], one per kind and version, and
//! validation against them ([`validate()`]).
//!
//! The files under `schemas/` are these schemas, committed; a test keeps them in sync
//! (`MESHCTL_BLESS=1 cargo test schemas_are_fresh` rewrites them).
//!
//! Istio kinds are strict: every object with declared properties gets
//! `additionalProperties: false`, so an unknown (often misspelt or mis-indented) field is an
//! error. Kubernetes core/apps kinds are lenient: only the modelled fields are checked.

mod validate;

use std::sync::{LazyLock, OnceLock};

use indexmap::IndexMap;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::model::core::{DaemonSet, Deployment, Namespace, Pod, Secret, Service, StatefulSet};
use crate::model::kinds::{KINDS, KindId, KindInfo, split_api_version};
use crate::model::networking::{DestinationRule, Gateway, ServiceEntry, Sidecar, VirtualService, WorkloadEntry};

pub use validate::{SchemaError, SchemaErrorKind, validate};

/// One schema, generated on first use: a lint of a few files needs one or two of them.
struct Entry {
    info: &'static KindInfo,
    version: &'static str,
    schema: OnceLock<Value>,
}

impl Entry {
    fn schema(&self) -> &Value {
        self.schema.get_or_init(|| generate(self.info, self.version))
    }
}

/// All schemas by file stem, in [`KINDS`] order.
static SCHEMAS: LazyLock<IndexMap<String, Entry>> = LazyLock::new(|| {
    KINDS
        .iter()
        .flat_map(|info| info.versions.iter().map(move |version| (info, *version)))
        .map(|(info, version)| (schema_name(info, version), Entry { info, version, schema: OnceLock::new() }))
        .collect()
});

/// The file stem of a kind's schema: `<group-or-core>.<version>.<Kind>`.
pub fn schema_name(info: &KindInfo, version: &str) -> String {
    format!("{}.{version}.{}", info.group_or_core(), info.kind)
}

fn root_schema<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12().for_deserialize().into_generator().into_root_schema_for::<T>()
}

/// Generates the schema of one kind at one version.
pub fn generate(info: &KindInfo, version: &str) -> Value {
    let schema = match info.id {
        KindId::VirtualService => root_schema::<VirtualService>(),
        KindId::Gateway => root_schema::<Gateway>(),
        KindId::DestinationRule => root_schema::<DestinationRule>(),
        KindId::ServiceEntry => root_schema::<ServiceEntry>(),
        KindId::Sidecar => root_schema::<Sidecar>(),
        KindId::WorkloadEntry => root_schema::<WorkloadEntry>(),
        KindId::Namespace => root_schema::<Namespace>(),
        KindId::Service => root_schema::<Service>(),
        KindId::Secret => root_schema::<Secret>(),
        KindId::Pod => root_schema::<Pod>(),
        KindId::Deployment => root_schema::<Deployment>(),
        KindId::StatefulSet => root_schema::<StatefulSet>(),
        KindId::DaemonSet => root_schema::<DaemonSet>(),
    };
    let mut value = schema.to_value();
    if let Some(props) = value.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("apiVersion".into(), json!({"type": "string", "const": info.api_version(version)}));
        props.insert("kind".into(), json!({"type": "string", "const": info.kind}));
    }
    finish(&mut value, info.strict);
    value
}

/// Calls `f` on every schema object reachable through subschema positions (`properties`,
/// `$defs`, `items`, `additionalProperties`, `anyOf`/`oneOf`/`allOf`), but not into
/// `dependentSchemas`, whose `properties` constrain another schema's object.
fn walk(schema: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    f(obj);
    for key in ["properties", "$defs"] {
        if let Some(map) = obj.get_mut(key).and_then(Value::as_object_mut) {
            map.values_mut().for_each(|s| walk(s, f));
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = obj.get_mut(key) {
            walk(sub, f);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(|s| walk(s, f));
        }
    }
}

/// Drops serde's `default` annotations (noise: every field of the lenient model has one) and,
/// for strict kinds, closes every object that declares `properties`.
fn finish(schema: &mut Value, strict: bool) {
    walk(schema, &mut |obj| {
        obj.remove("default");
        if strict && obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), Value::Bool(false));
        }
    });
}

/// The names (file stems) of all schemas, e.g. `networking.istio.io.v1.VirtualService`.
pub fn schema_names() -> Vec<String> {
    SCHEMAS.keys().cloned().collect()
}

fn find_entry(name_or_kind: &str) -> Option<&'static Entry> {
    let wanted = name_or_kind.trim().trim_end_matches(".json");
    let dotted = wanted.replace('/', ".");
    let by_stem = |stem: &str| SCHEMAS.iter().find(|(name, _)| name.eq_ignore_ascii_case(stem)).map(|(_, e)| e);
    by_stem(&dotted).or_else(|| by_stem(&format!("core.{dotted}"))).or_else(|| {
        let info = crate::model::kinds::by_name(wanted)?;
        SCHEMAS.get(&schema_name(info, info.versions[0]))
    })
}

/// The schema text (pretty JSON) for a file stem (`core.v1.Service`), an `apiVersion/Kind`
/// (`networking.istio.io/v1/VirtualService`, `v1/Service`) or a bare kind in any case
/// (`VirtualService`, `virtualservice`: the preferred version).
pub fn schema_text(name_or_kind: &str) -> Option<String> {
    find_entry(name_or_kind).map(|e| to_text(e.schema()))
}

/// The schema value for an `apiVersion` and `kind`, if modelled.
pub(crate) fn schema_for(api_version: &str, kind: &str) -> Option<(&'static str, &'static Value)> {
    let (group, version) = split_api_version(api_version);
    SCHEMAS
        .iter()
        .find(|(_, e)| e.info.kind == kind && e.info.group == group && e.version == version)
        .map(|(name, e)| (name.as_str(), e.schema()))
}

fn to_text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// Reads `#/$defs/...` references within one schema document.
pub(crate) fn resolve_ref<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut current = schema;
    let mut name = None;
    for _ in 0..16 {
        let Some(target) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(def) = target.strip_prefix("#/$defs/") else {
            break;
        };
        match root.get("$defs").and_then(|d| d.get(def)) {
            Some(next) => {
                current = next;
                name = Some(def);
            }
            None => break,
        }
    }
    (current, name)
}

/// Follows `$ref`s and the non-null branch of an optional (`anyOf: [X, {type: null}]`).
pub(crate) fn deref<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    let (schema, name) = resolve_ref(root, schema);
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = branches.iter().filter(|b| b.get("type") != Some(&json!("null"))).collect();
        if let [only] = non_null[..] {
            let (inner, inner_name) = resolve_ref(root, only);
            return (inner, inner_name.or(name));
        }
    }
    (schema, name)
}

/// The declared properties of an object schema, if any.
pub(crate) fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn schema_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
    }

    #[test]
    fn schemas_are_fresh() {
        let dir = schema_dir();
        let bless = std::env::var_os("MESHCTL_BLESS").is_some_and(|v| v == "1");
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut stale = Vec::new();
        for (name, entry) in SCHEMAS.iter() {
            let path = dir.join(format!("{name}.json"));
            let fresh = to_text(entry.schema());
            if bless {
                std::fs::write(&path, fresh).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(name.clone());
            }
        }
        let on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".json").map(str::to_string))
            .filter(|stem| !SCHEMAS.contains_key(stem))
            .collect();
        assert!(stale.is_empty(), "stale schemas (run MESHCTL_BLESS=1 cargo test schemas_are_fresh): {stale:?}");
        assert!(on_disk.is_empty(), "schemas on disk that meshctl no longer generates: {on_disk:?}");
    }

    #[test]
    fn names_cover_every_kind_and_version() {
        let names = schema_names();
        assert_eq!(names.len(), 6 * 3 + 4 + 3);
        for expected in [
            "networking.istio.io.v1.VirtualService",
            "networking.istio.io.v1alpha3.Sidecar",
            "core.v1.Service",
            "apps.v1.Deployment",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected}");
        }
    }

    #[test]
    fn schema_text_accepts_names_and_kinds() {
        let vs = schema_text("networking.istio.io.v1.VirtualService").unwrap();
        assert_eq!(schema_text("VirtualService").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("virtualservice").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("networking.istio.io/v1/VirtualService").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("networking.istio.io.v1.VirtualService.json").as_deref(), Some(vs.as_str()));
        assert!(
            schema_text("networking.istio.io/v1beta1/VirtualService").unwrap().contains("networking.istio.io/v1beta1")
        );
        assert_eq!(schema_text("v1/Service"), schema_text("core.v1.Service"));
        assert!(schema_text("ConfigMap").is_none());
    }

    #[test]
    fn istio_schemas_are_closed_and_kube_schemas_open() {
        let vs: Value = serde_json::from_str(&schema_text("VirtualService").unwrap()).unwrap();
        assert_eq!(vs["additionalProperties"], json!(false));
        assert_eq!(vs["$defs"]["Destination"]["additionalProperties"], json!(false));
        assert_eq!(
            vs["$defs"]["ObjectMeta"]["properties"]["labels"]["additionalProperties"],
            json!({"type": "string"})
        );
        let svc: Value = serde_json::from_str(&schema_text("Service").unwrap()).unwrap();
        assert!(svc.get("additionalProperties").is_none());
        assert!(svc["$defs"]["ServiceSpec"].get("additionalProperties").is_none());
    }
}
