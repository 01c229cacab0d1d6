//! The schemas of meshctl's own files — `.meshctl.yaml`, `meshctl test`'s cases and the output of
//! `meshctl lint --format json` — generated with schemars from the types that read, describe or
//! write them, for editors to complete and check the files with. They are committed under
//! `schemas/meshctl/`; a test keeps them fresh (`MESHCTL_BLESS=1 cargo test --lib
//! schema::own::tests::own_schemas_are_fresh` rewrites them).

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::cli::cases_schema::CasesFile;
use crate::lint::config::ConfigFile;
use crate::report::json::Output;

/// The folder of `schemas/` that holds them, and the prefix of their names in `meshctl schema`.
pub(super) const DIR: &str = "meshctl";

/// How one schema is generated.
type Generate = fn() -> Value;

/// Each schema's name (its file's stem) and how it is generated: the files meshctl reads are
/// described as it deserializes them, its output as it serializes it.
const OWN: [(&str, Generate); 3] = [
    ("meshctl-config", || generate::<ConfigFile>(SchemaSettings::draft2020_12().for_deserialize())),
    ("meshctl-test-cases", || generate::<CasesFile>(SchemaSettings::draft2020_12().for_deserialize())),
    ("meshctl-lint-output", || generate::<Output<'static>>(SchemaSettings::draft2020_12().for_serialize())),
];

fn generate<T: JsonSchema>(settings: SchemaSettings) -> Value {
    settings.into_generator().into_root_schema_for::<T>().to_value()
}

/// The names of meshctl's own schemas as `meshctl schema` lists them: `meshctl/meshctl-config`, …
pub fn own_schema_names() -> Vec<String> {
    OWN.iter().map(|(name, _)| format!("{DIR}/{name}")).collect()
}

/// One of meshctl's own schemas by name, with or without `meshctl/` and `.json`
/// (`meshctl-config`, `meshctl/meshctl-lint-output.json`).
pub fn own_schema(name: &str) -> Option<Value> {
    let wanted = name.trim().trim_end_matches(".json");
    let wanted = wanted.strip_prefix(DIR).and_then(|w| w.strip_prefix('/')).unwrap_or(wanted);
    OWN.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)).map(|(_, generate)| generate())
}

/// [`own_schema`] as the text of its file.
pub fn own_schema_text(name: &str) -> Option<String> {
    own_schema(name).map(|s| super::to_text(&s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas").join(DIR)
    }

    #[test]
    fn own_schemas_are_fresh() {
        let dir = dir();
        let bless = std::env::var_os("MESHCTL_BLESS").is_some_and(|v| v == "1");
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut stale = Vec::new();
        let expected: Vec<PathBuf> = OWN.iter().map(|(name, _)| dir.join(format!("{name}.json"))).collect();
        for ((name, _), path) in OWN.iter().zip(&expected) {
            let fresh = own_schema_text(name).unwrap();
            if bless {
                std::fs::write(path, fresh).unwrap();
            } else if std::fs::read_to_string(path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(*name);
            }
        }
        let extra: Vec<PathBuf> =
            std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| !expected.contains(p)).collect();
        if bless {
            extra.iter().for_each(|p| std::fs::remove_file(p).unwrap());
            return;
        }
        let hint = "run MESHCTL_BLESS=1 cargo test --lib schema::own::tests::own_schemas_are_fresh";
        assert!(stale.is_empty(), "stale schemas ({hint}): {stale:?}");
        assert!(extra.is_empty(), "files in schemas/{DIR} that meshctl does not generate ({hint}): {extra:?}");
    }

    #[test]
    fn names_in_any_spelling() {
        assert_eq!(
            own_schema_names(),
            ["meshctl/meshctl-config", "meshctl/meshctl-test-cases", "meshctl/meshctl-lint-output"]
        );
        let config = own_schema("meshctl-config").unwrap();
        assert_eq!(own_schema("meshctl/meshctl-config.json"), Some(config.clone()));
        assert_eq!(own_schema("Meshctl-Config"), Some(config));
        assert_eq!(own_schema("meshctl/VirtualService"), None);
    }

    fn validator(name: &str) -> jsonschema::Validator {
        jsonschema::validator_for(&own_schema(name).unwrap()).unwrap()
    }

    /// The schema of `.meshctl.yaml` refuses what [`ConfigFile`] refuses, and describes its fields.
    #[test]
    fn config_schema_is_the_config_file() {
        let schema = own_schema("meshctl-config").unwrap();
        assert_eq!(schema["additionalProperties"], false);
        let fields: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, ["select", "ignore", "severity", "exclude", "istioVersion"]);
        assert!(schema["properties"]["ignore"]["description"].as_str().unwrap().contains("`select`"));
        let v = validator("meshctl-config");
        let examples = [
            (
                "select: [MESH02]\nignore: [MESH0201]\nseverity: {ALL: info}\nexclude: [\"vendor/**\"]\nistioVersion: \"1.31\"\n",
                true,
            ),
            ("", true),
            ("selct: [MESH02]\n", false),
            ("severity: {ALL: fatal}\n", false),
            ("istioVersion: 1.31\n", false),
        ];
        for (text, valid) in examples {
            let mut sources = crate::source::Sources::default();
            let id = sources.add("c.yaml".into(), text.into());
            let value = crate::source::parse_file(sources.file(id)).first().and_then(|d| d.value.clone());
            let value = value.unwrap_or_else(|| serde_json::json!({}));
            let read =
                serde_json::from_value::<ConfigFile>(value.clone()).is_ok() && !value["istioVersion"].is_number();
            assert_eq!(v.is_valid(&value), valid, "{text}");
            assert_eq!(read, valid, "{text}");
        }
    }
}
