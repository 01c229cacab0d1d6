//! The schemas meshctl validates with — upstream's, converted by [`upstream`] from what
//! `scripts/vendor-schemas.sh` vendors: the CRDs of the chosen Istio release (every group:
//! networking, security, telemetry, extensions), the Gateway API CRDs and the Kubernetes OpenAPI
//! definitions of the core kinds — and validation against them ([`validate()`]).
//!
//! The files under `schemas/<source>/` are these schemas, committed; a test keeps them in sync
//! with `vendor/` (`MESHCTL_BLESS=1 cargo test --lib schema::tests::schemas_are_fresh` rewrites them).

mod apimachinery;
mod builtin;
pub(crate) mod cel;
mod own;
mod server;
mod upstream;
mod validate;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value, json};

use crate::model::kinds::split_api_version;
use upstream::{Converted, GATEWAY_API, ISTIO, KUBERNETES, Source};

pub use own::{own_schema, own_schema_names, own_schema_text};
pub use validate::{SchemaError, SchemaErrorKind, validate, validate_update};

/// A converted schema and its validator, compiled on first use: a lint of a few files needs one
/// or two of them.
struct Entry {
    converted: Converted,
    validator: OnceLock<jsonschema::Validator>,
    /// The API server's checks beyond the schema, for custom resources (`None` for built-in kinds).
    checks: Option<OnceLock<server::Checks>>,
}

impl Entry {
    fn checks(&self) -> Option<&server::Checks> {
        let cell = self.checks.as_ref()?;
        let checks = cell.get_or_init(|| {
            static COMPILED: std::sync::Mutex<Option<server::Compiled>> = std::sync::Mutex::new(None);
            let mut compiled = COMPILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            server::Checks::compile(&self.converted.schema, compiled.get_or_insert_with(Default::default))
        });
        (!checks.is_empty()).then_some(checks)
    }
}

/// Each source's schemas, converted on first use.
fn entries(source: &'static Source) -> &'static [Entry] {
    static LOADED: [OnceLock<Vec<Entry>>; 6] = [const { OnceLock::new() }; 6];
    let index = sources().position(|s| std::ptr::eq(s, source)).expect("a known source");
    LOADED[index].get_or_init(|| {
        let crds = source.is_crds();
        source
            .convert()
            .into_iter()
            .map(|converted| Entry { converted, validator: OnceLock::new(), checks: crds.then(OnceLock::new) })
            .collect()
    })
}

/// Every source, in the order `meshctl schema` lists them: Istio releases, Kubernetes, Gateway API.
fn sources() -> impl Iterator<Item = &'static Source> {
    ISTIO.iter().chain(std::iter::once(&KUBERNETES)).chain(GATEWAY_API.iter())
}

/// The Istio release in force, as an index into [`ISTIO`]; the newest by default.
static ISTIO_RELEASE: AtomicUsize = AtomicUsize::new(usize::MAX);

fn istio_release() -> usize {
    ISTIO_RELEASE.load(Ordering::Relaxed).min(ISTIO.len() - 1)
}

/// The Istio releases meshctl has schemas for, oldest first (`1.30`, …).
pub fn istio_releases() -> Vec<&'static str> {
    ISTIO.iter().map(minor).collect()
}

fn minor(source: &Source) -> &'static str {
    source.dir.strip_prefix("istio-").unwrap_or(source.dir)
}

/// Validate Istio kinds with the schemas of `release` (`1.30`, or a patch of it: `1.30.2`) from
/// now on.
pub fn select_istio_release(release: &str) -> Result<(), String> {
    ISTIO_RELEASE.store(istio_release_index(release)?, Ordering::Relaxed);
    Ok(())
}

/// Validate Istio kinds for a cluster that runs Istio `version` (`1.31.2`): with that release's
/// schemas when meshctl has them, else with the nearest it has (the oldest for an older release,
/// the newest for a newer one). Returns the release chosen and whether it is the cluster's own.
pub fn select_istio_release_nearest(version: &str) -> (&'static str, bool) {
    let index = istio_release_index(version).map(|i| (i, true)).unwrap_or_else(|_| {
        let key = |v: &str| v.split('.').take(2).map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
        let newer = ISTIO.iter().position(|s| key(minor(s)) > key(version.trim_start_matches('v')));
        (newer.unwrap_or(ISTIO.len()).saturating_sub(usize::from(newer.is_none())), false)
    });
    ISTIO_RELEASE.store(index.0, Ordering::Relaxed);
    (minor(&ISTIO[index.0]), index.1)
}

/// The index of an Istio release (`1.30`, `v1.30.2`) among those meshctl has schemas for, or a
/// message that names them.
pub fn istio_release_index(release: &str) -> Result<usize, String> {
    let wanted = release.trim().trim_start_matches('v');
    ISTIO
        .iter()
        .position(|s| wanted == minor(s) || wanted.strip_prefix(minor(s)).is_some_and(|patch| patch.starts_with('.')))
        .ok_or_else(|| format!("meshctl has no schemas for Istio {wanted}; it has {}", istio_releases().join(", ")))
}

/// The source that holds a group's schemas, `istio` being the index of the Istio release.
fn source_for(group: &str, istio: usize) -> &'static Source {
    if group.ends_with(".istio.io") {
        &ISTIO[istio]
    } else if group == "gateway.networking.k8s.io" || group == "gateway.networking.x-k8s.io" {
        &GATEWAY_API[0]
    } else {
        &KUBERNETES
    }
}

fn find(source: &'static Source, group: &str, version: &str, kind: &str) -> Option<&'static Entry> {
    entries(source).iter().find(|e| {
        let c = &e.converted;
        c.kind == kind && c.group == group && c.versions.iter().any(|v| v == version)
    })
}

/// The entry for an `apiVersion` and `kind` with the Istio release at index `istio`, if upstream
/// defines it.
fn entry_for(api_version: &str, kind: &str, istio: usize) -> Option<&'static Entry> {
    let (group, version) = split_api_version(api_version);
    find(source_for(group, istio), group, version, kind)
}

/// The names of the schemas in force, `<source>/<group>.<version>.<Kind>`, e.g.
/// `istio-1.32/networking.istio.io.v1.VirtualService` (the schema of every version that shares it).
pub fn schema_names() -> Vec<String> {
    in_force().map(|(s, e)| format!("{}/{}", s.dir, e.converted.stem)).collect()
}

fn in_force() -> impl Iterator<Item = (&'static Source, &'static Entry)> {
    [&ISTIO[istio_release()], &KUBERNETES, &GATEWAY_API[0]]
        .into_iter()
        .flat_map(|s| entries(s).iter().map(move |e| (s, e)))
}

fn find_entry(name_or_kind: &str) -> Option<&'static Entry> {
    let wanted = name_or_kind.trim().trim_end_matches(".json");
    if let Some((dir, stem)) = wanted.split_once('/')
        && let Some(source) = sources().find(|s| s.dir == dir)
    {
        return entries(source).iter().find(|e| e.converted.stem.eq_ignore_ascii_case(stem));
    }
    let by_stem = |stem: &str| in_force().find(|(_, e)| e.converted.stem.eq_ignore_ascii_case(stem)).map(|(_, e)| e);
    let by_version = |api_version: &str, kind: &str| {
        let (group, version) = split_api_version(api_version);
        in_force()
            .find(|(_, e)| {
                let c = &e.converted;
                c.kind.eq_ignore_ascii_case(kind)
                    && c.group.eq_ignore_ascii_case(group)
                    && c.versions.iter().any(|v| v.eq_ignore_ascii_case(version))
            })
            .map(|(_, e)| e)
    };
    let dotted = wanted.replace('/', ".");
    by_stem(&dotted)
        .or_else(|| by_stem(&format!("core.{dotted}")))
        .or_else(|| wanted.rsplit_once('/').and_then(|(api_version, kind)| by_version(api_version, kind)))
        .or_else(|| in_force().find(|(_, e)| e.converted.kind.eq_ignore_ascii_case(wanted)).map(|(_, e)| e))
}

/// The schema text (pretty JSON) for a schema name (`istio-1.32/networking.istio.io.v1.VirtualService`
/// or its stem), an `apiVersion/Kind` (`networking.istio.io/v1beta1/VirtualService`, `v1/Service`)
/// or a bare kind in any case (`VirtualService`, `virtualservice`: Istio's, then Kubernetes',
/// then Gateway API's).
pub fn schema_text(name_or_kind: &str) -> Option<String> {
    find_entry(name_or_kind).map(|e| to_text(&e.converted.schema))
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

/// The schema of the object at `pointer` in `doc` (after `$ref`s and optional unwrapping), as
/// far as `root` describes it.
fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut current = deref(root, root).0;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = properties(current)
            .and_then(|p| p.get(&token))
            .or_else(|| current.get("items").filter(|_| token.parse::<usize>().is_ok()))
            .or_else(|| current.get("additionalProperties").filter(|a| a.is_object()))?;
        current = deref(root, next).0;
    }
    Some(current)
}

/// For an Istio field that the release at index `current` does not declare at `parent`: the nearest other
/// release that does, and whether it is newer.
fn istio_release_declaring(
    current: usize,
    api_version: &str,
    kind: &str,
    parent: &str,
    field: &str,
) -> Option<(&'static str, bool)> {
    let (group, version) = split_api_version(api_version);
    if !std::ptr::eq(source_for(group, current), &ISTIO[current]) {
        return None;
    }
    let newer = (current + 1..ISTIO.len()).map(|i| (i, true));
    let older = (0..current).rev().map(|i| (i, false));
    newer.chain(older).find_map(|(i, is_newer)| {
        let entry = find(&ISTIO[i], group, version, kind)?;
        let node = schema_at(&entry.converted.schema, parent)?;
        properties(node).is_some_and(|p| p.contains_key(field)).then(|| (minor(&ISTIO[i]), is_newer))
    })
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
        let mut stale = Vec::new();
        let mut expected = Vec::new();
        for source in sources() {
            let sub = dir.join(source.dir);
            if bless {
                std::fs::create_dir_all(&sub).unwrap();
            }
            for e in entries(source) {
                let path = sub.join(format!("{}.json", e.converted.stem));
                let fresh = to_text(&e.converted.schema);
                if bless {
                    std::fs::write(&path, fresh).unwrap();
                } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                    stale.push(format!("{}/{}", source.dir, e.converted.stem));
                }
                expected.push(path);
            }
        }
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            // meshctl's own schemas, which `own` generates and checks.
            if path == dir.join(own::DIR) {
                continue;
            }
            let files: Vec<PathBuf> = if path.is_dir() {
                std::fs::read_dir(&path).unwrap().flatten().map(|e| e.path()).collect()
            } else {
                vec![path]
            };
            on_disk.extend(files.into_iter().filter(|p| !expected.contains(p)));
        }
        if bless {
            on_disk.iter().for_each(|p| std::fs::remove_file(p).unwrap());
            return;
        }
        let hint = "run MESHCTL_BLESS=1 cargo test --lib schema::tests::schemas_are_fresh";
        assert!(stale.is_empty(), "stale schemas ({hint}): {stale:?}");
        assert!(on_disk.is_empty(), "schemas on disk that meshctl no longer generates ({hint}): {on_disk:?}");
    }

    /// The CEL rules (`x-kubernetes-validations`) kept in a schema.
    fn cel_rules(schema: &Value) -> usize {
        match schema {
            Value::Object(map) => map
                .iter()
                .map(
                    |(k, v)| {
                        if k == "x-kubernetes-validations" { v.as_array().map_or(0, Vec::len) } else { cel_rules(v) }
                    },
                )
                .sum(),
            Value::Array(items) => items.iter().map(cel_rules).sum(),
            _ => 0,
        }
    }

    /// `cargo test --lib schema::tests::counts -- --nocapture` prints what each source holds.
    #[test]
    fn counts() {
        for source in sources() {
            let entries = entries(source);
            let versions: usize = entries.iter().map(|e| e.converted.versions.len()).sum();
            let cel: usize = entries.iter().map(|e| cel_rules(&e.converted.schema)).sum();
            let kinds: std::collections::BTreeSet<&str> = entries.iter().map(|e| e.converted.kind.as_str()).collect();
            println!("{}: {} kinds, {versions} kind-versions, {cel} CEL rules", source.dir, kinds.len());
            assert!(versions >= kinds.len() && !kinds.is_empty());
        }
        let vs = find(&ISTIO[0], "networking.istio.io", "v1beta1", "VirtualService").unwrap();
        assert!(cel_rules(&vs.converted.schema) > 0);
        assert!(find(&ISTIO[0], "security.istio.io", "v1", "AuthorizationPolicy").is_some());
        assert!(find(&ISTIO[0], "telemetry.istio.io", "v1", "Telemetry").is_some());
        assert!(find(&ISTIO[0], "extensions.istio.io", "v1alpha1", "WasmPlugin").is_some());
        assert!(find(&GATEWAY_API[0], "gateway.networking.k8s.io", "v1", "HTTPRoute").is_some());
        assert!(find(&KUBERNETES, "apps", "v1", "Deployment").is_some());
    }

    #[test]
    fn names_cover_every_source() {
        let names = schema_names();
        for expected in [
            "istio-1.32/networking.istio.io.v1.VirtualService",
            "istio-1.32/security.istio.io.v1.AuthorizationPolicy",
            "kubernetes-1.36/core.v1.Service",
            "kubernetes-1.36/apps.v1.Deployment",
            "gateway-api-1.7-experimental/gateway.networking.k8s.io.v1.HTTPRoute",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
        }
    }

    #[test]
    fn schema_text_accepts_names_and_kinds() {
        let vs = schema_text("istio-1.32/networking.istio.io.v1.VirtualService").unwrap();
        assert_eq!(schema_text("networking.istio.io.v1.VirtualService").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("VirtualService").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("virtualservice").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("networking.istio.io/v1/VirtualService").as_deref(), Some(vs.as_str()));
        assert_eq!(schema_text("networking.istio.io/v1beta1/VirtualService").as_deref(), Some(vs.as_str()));
        assert!(vs.contains("networking.istio.io/v1beta1"));
        assert!(schema_text("istio-1.30/networking.istio.io.v1.VirtualService").is_some_and(|t| t != vs));
        assert_eq!(schema_text("v1/Service"), schema_text("core.v1.Service"));
        assert!(schema_text("gateway.networking.k8s.io/v1/Gateway").unwrap().contains("gatewayClassName"));
        assert!(schema_text("ConfigMap").is_none());
    }

    #[test]
    fn objects_are_closed_and_metadata_is_object_meta() {
        let vs: Value = serde_json::from_str(&schema_text("VirtualService").unwrap()).unwrap();
        assert_eq!(vs["properties"]["spec"]["additionalProperties"], json!(false));
        assert_eq!(vs["$defs"]["ObjectMeta"]["additionalProperties"], json!(false));
        assert_eq!(
            vs["$defs"]["ObjectMeta"]["properties"]["labels"]["additionalProperties"],
            json!({"type": ["string", "null"]})
        );
        let svc: Value = serde_json::from_str(&schema_text("Service").unwrap()).unwrap();
        assert_eq!(svc["$defs"]["ServiceSpec"]["additionalProperties"], json!(false));
        assert_eq!(svc["$defs"]["IntOrString"]["type"], json!(["integer", "string"]));
    }

    #[test]
    fn releases_are_selected_by_minor_or_patch() {
        assert_eq!(istio_releases(), ["1.30", "1.31", "1.32"]);
        assert!(select_istio_release("1.27").unwrap_err().contains("1.30, 1.31, 1.32"));
        assert!(select_istio_release("1.3").is_err());
    }
}
