//! `.meshctl.yaml`: which rules run, at which severity, on which files.

use super::{RuleMeta, Severity};
use crate::source::{Sources, escape_segment, lexical_absolute, parse_file};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration file's name, looked up from the working directory upwards.
pub const FILE_NAME: &str = ".meshctl.yaml";

/// `.meshctl.yaml`: which rules `meshctl lint` runs, at which severity, on which files. It is
/// looked up from the working directory upwards; the command line's flags win over it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "meshctl configuration")]
pub struct ConfigFile {
    /// Rules to run: codes (`MESH0201`), code prefixes (`MESH02`), rule names, Istio codes
    /// (`IST0101`: every rule with that Istio code) or `ALL`, in any case; all rules when absent.
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Rules not to run, named as in `select`.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides, keyed as in `select`; the most specific key that names a rule wins (code,
    /// then name, then Istio code, then the longest prefix, then `ALL`).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Glob patterns (relative to the configuration file's folder) of files not to read.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The Istio release whose CRDs validate Istio kinds (`1.31`); `--istio-version` overrides it.
    #[serde(default, rename = "istioVersion")]
    pub istio_version: Option<String>,
}

/// The configuration in force: the file's settings with the command line's on top.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    exclude: Option<GlobSet>,
    /// The `exclude` patterns as written, in the order of their globs in `exclude`.
    exclude_patterns: Vec<String>,
    base: PathBuf,
    /// Where the settings came from, for messages.
    pub path: Option<PathBuf>,
    /// `istioVersion`, checked against the releases meshctl has schemas for.
    pub istio_version: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid { path: String, line: u32, column: u32, message: String },
    #[error("{path}: invalid exclude pattern {pattern:?}: {message}")]
    Glob { path: String, pattern: String, message: String },
}

/// How a rule pattern names a rule, from the least specific to the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Naming {
    /// `ALL`.
    All,
    /// A prefix of its code (`MESH02`), of that many characters.
    Prefix(usize),
    /// Its Istio code (`IST0101`), which several rules can share.
    Istio,
    /// Its name.
    Name,
    /// Its code.
    Code,
}

/// Whether and how `pattern` names the rule `code`/`name`/`istio_code`: the one matching of
/// `--select`, `--ignore`, `.meshctl.yaml` and the `meshctl.io/ignore` annotation. Case does not
/// matter; an empty pattern names nothing.
pub fn naming(pattern: &str, code: &str, name: &str, istio_code: Option<&str>) -> Option<Naming> {
    let p = pattern;
    if p.eq_ignore_ascii_case(code) {
        Some(Naming::Code)
    } else if p.eq_ignore_ascii_case(name) {
        Some(Naming::Name)
    } else if istio_code.is_some_and(|i| p.eq_ignore_ascii_case(i)) {
        Some(Naming::Istio)
    } else if !p.is_empty() && code.get(..p.len()).is_some_and(|c| c.eq_ignore_ascii_case(p)) {
        Some(Naming::Prefix(p.len()))
    } else if p.eq_ignore_ascii_case("ALL") {
        Some(Naming::All)
    } else {
        None
    }
}

fn matches(pattern: &str, meta: &RuleMeta) -> bool {
    naming(pattern, meta.code, meta.name, meta.istio_code).is_some()
}

/// `Err` with the message when `pattern` names no rule.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if super::rules::all().iter().any(|m| matches(pattern, m)) {
        Ok(())
    } else {
        Err(format!("`{pattern}` matches no rule (see `meshctl rules`)"))
    }
}

impl Config {
    /// Find `.meshctl.yaml` from `start` upwards and load it; the default config when none exists.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io { path: shown.clone(), source: e })?;
        let mut sources = Sources::default();
        let id = sources.add(shown.clone(), text);
        let docs = parse_file(sources.file(id));
        let invalid = |span, message: String| {
            let loc = sources.location(span);
            ConfigError::Invalid { path: shown.clone(), line: loc.line, column: loc.column, message }
        };
        let file: ConfigFile = match docs.first() {
            None => ConfigFile::default(),
            Some(d) => {
                if let Some(p) = d.problems.first() {
                    return Err(invalid(p.span, p.message.clone()));
                }
                let v = d.value.clone().unwrap_or(serde_json::Value::Null);
                if let Some(n) = v.get("istioVersion").filter(|n| n.is_number()) {
                    let span = d.node("/istioVersion").map_or(d.head(), |n| n.value);
                    let message =
                        format!("quote the version (YAML reads this as the number {n}): istioVersion: \"1.30\"");
                    return Err(invalid(span, message));
                }
                let file = ConfigFile::deserialize(&v).map_err(|e| invalid(d.head(), e.to_string()))?;
                let select = file.select.iter().flatten().enumerate().map(|(i, p)| (p, format!("/select/{i}"), false));
                let ignore = file.ignore.iter().enumerate().map(|(i, p)| (p, format!("/ignore/{i}"), false));
                let severity = file.severity.keys().map(|k| (k, format!("/severity/{}", escape_segment(k)), true));
                for (pattern, pointer, is_key) in select.chain(ignore).chain(severity) {
                    if let Err(message) = check_pattern(pattern) {
                        let node = d.node(&pointer);
                        let span = node.map_or(d.head(), |n| if is_key { n.key.unwrap_or(n.value) } else { n.value });
                        return Err(invalid(span, message));
                    }
                }
                if let Some(Err(message)) = file.istio_version.as_deref().map(crate::schema::istio_release_index) {
                    let span = d.node("/istioVersion").map_or(d.head(), |n| n.value);
                    return Err(invalid(span, message));
                }
                file
            }
        };
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let base = lexical_absolute(base);
        let mut cfg = Config::from_file(file, base).map_err(|(pattern, message)| ConfigError::Glob {
            path: shown.clone(),
            pattern,
            message,
        })?;
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    pub fn from_file(file: ConfigFile, base: PathBuf) -> Result<Config, (String, String)> {
        let exclude = if file.exclude.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for p in &file.exclude {
                b.add(Glob::new(p).map_err(|e| (p.clone(), e.to_string()))?);
                // `dir` excludes everything below it too.
                b.add(Glob::new(&format!("{}/**", p.trim_end_matches('/'))).map_err(|e| (p.clone(), e.to_string()))?);
            }
            Some(b.build().map_err(|e| (String::new(), e.to_string()))?)
        };
        Ok(Config {
            select: file.select,
            ignore: file.ignore,
            severity: file.severity,
            exclude,
            exclude_patterns: file.exclude,
            base,
            path: None,
            istio_version: file.istio_version,
        })
    }

    pub fn is_selected(&self, meta: &RuleMeta) -> bool {
        let selected = self.select.as_ref().is_none_or(|s| s.iter().any(|p| matches(p, meta)));
        selected && !self.ignore.iter().any(|p| matches(p, meta))
    }

    /// The severity the configuration sets for a rule: that of its most specific key.
    pub fn severity_for(&self, code: &str, name: &str, istio_code: Option<&str>) -> Option<Severity> {
        self.severity
            .iter()
            .filter_map(|(k, s)| Some((naming(k, code, name, istio_code)?, *s)))
            .max_by_key(|(n, _)| *n)
            .map(|(_, s)| s)
    }

    /// The configuration file as messages name it.
    pub fn name(&self) -> String {
        self.path.as_deref().unwrap_or(Path::new(FILE_NAME)).display().to_string()
    }

    /// The `exclude` pattern that matches this file, if any. Patterns are relative to the
    /// configuration file's folder wherever meshctl runs from: both sides are made absolute
    /// (`..` folded) before they are compared, and again with links resolved.
    pub fn excluded_by(&self, path: &Path) -> Option<&str> {
        let set = self.exclude.as_ref()?;
        if path.as_os_str() == "-" {
            return None;
        }
        let relative = |base: &Path, file: &Path| file.strip_prefix(base).ok().map(Path::to_path_buf);
        let mut candidates: Vec<PathBuf> =
            relative(&lexical_absolute(&self.base), &lexical_absolute(path)).into_iter().collect();
        if let (Ok(base), Ok(file)) = (std::fs::canonicalize(&self.base), std::fs::canonicalize(path)) {
            candidates.extend(relative(&base, &file));
        }
        // Each pattern is two globs: itself and everything below it.
        let hit = candidates.iter().find_map(|c| set.matches(c).first().copied())?;
        self.exclude_patterns.get(hit / 2).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Severity;

    static META: RuleMeta = RuleMeta {
        code: "MESH0201",
        name: "unknown-destination-host",
        severity: Severity::Error,
        istio_code: None,
        summary: "",
        docs: "",
    };

    #[test]
    fn select_ignore_by_code_prefix_and_name() {
        let mut c = Config::default();
        assert!(c.is_selected(&META));
        c.select = Some(vec!["MESH02".into()]);
        assert!(c.is_selected(&META));
        c.select = Some(vec!["MESH01".into()]);
        assert!(!c.is_selected(&META));
        c.select = None;
        c.ignore = vec!["unknown-destination-host".into()];
        assert!(!c.is_selected(&META));
    }

    #[test]
    fn bad_config_names_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "select: [MESH01]\nignroe: [x]\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("ignroe"), "{err}");
        std::fs::write(&p, "exclude: [\"vendor/**\"]\nseverity: {MESH0007: info}\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert!(c.excluded_by(&dir.path().join("vendor/a/b.yaml")).is_some());
        assert!(c.excluded_by(&dir.path().join("src/b.yaml")).is_none());
        assert_eq!(c.severity_for("MESH0007", "x", None), Some(Severity::Info));
    }

    #[test]
    fn patterns_in_any_case_and_by_istio_code() {
        let meta = RuleMeta { istio_code: Some("IST0101"), ..META };
        for p in ["mesh0201", "Mesh02", "UNKNOWN-destination-host", "ist0101", "IST0101", "all"] {
            assert!(matches(p, &meta), "{p}");
        }
        for p in ["", "IST0102", "IST01", "MESH0202", "unknown"] {
            assert!(!matches(p, &meta), "{p}");
        }
        assert!(check_pattern("ist0101").is_ok());
        assert_eq!(check_pattern("MESH9999").unwrap_err(), "`MESH9999` matches no rule (see `meshctl rules`)");
    }

    #[test]
    fn the_most_specific_severity_key_wins() {
        let mut c = Config::default();
        let keys = [("ALL", Severity::Info), ("mesh02", Severity::Warning), ("IST0101", Severity::Error)];
        c.severity = keys.into_iter().map(|(k, s)| (k.to_string(), s)).collect();
        assert_eq!(c.severity_for("MESH0201", "unknown-destination-host", Some("IST0101")), Some(Severity::Error));
        assert_eq!(c.severity_for("MESH0201", "unknown-destination-host", None), Some(Severity::Warning));
        assert_eq!(c.severity_for("MESH0301", "x", None), Some(Severity::Info));
        c.severity.insert("unknown-destination-host".into(), Severity::Info);
        c.severity.insert("MESH0201".into(), Severity::Warning);
        assert_eq!(c.severity_for("MESH0201", "unknown-destination-host", Some("IST0101")), Some(Severity::Warning));
    }

    #[test]
    fn an_unknown_code_is_named_at_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let at = |text: &str| {
            std::fs::write(&p, text).unwrap();
            let e = Config::load(&p).unwrap_err().to_string();
            e.strip_prefix(&p.display().to_string()).unwrap_or(&e).to_string()
        };
        assert_eq!(at("select: [MESH01, MESH9999]\n"), ":1:18: `MESH9999` matches no rule (see `meshctl rules`)");
        assert_eq!(at("ignore:\n  - yaml11-scalar\n  - nope\n"), ":3:5: `nope` matches no rule (see `meshctl rules`)");
        assert_eq!(
            at("severity:\n  MESH0204: error\n  IST9: info\n"),
            ":3:3: `IST9` matches no rule (see `meshctl rules`)"
        );
        std::fs::write(&p, "select: [mesh02, ist0101]\nseverity: {all: info}\n").unwrap();
        assert!(Config::load(&p).is_ok());
    }

    #[test]
    fn istio_version_is_checked_where_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "select: [ALL]\nistioVersion: \"1.27\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.ends_with(":2:15: meshctl has no schemas for Istio 1.27; it has 1.30, 1.31, 1.32"), "{e}");
        std::fs::write(&p, "istioVersion: 1.30\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains(":1:15: quote the version (YAML reads this as the number 1.3)"), "{e}");
        std::fs::write(&p, "istioVersion: 1.31.4\n").unwrap();
        assert_eq!(Config::load(&p).unwrap().istio_version.as_deref(), Some("1.31.4"));
    }
}
