//! YAML that is not a Kubernetes resource though it sits among them: kustomize's files (the
//! kustomization, and the patches it applies) and Helm templates. They are recognised and not
//! linted as resources; each is said once (rule MESH0010), with how to lint what they produce.

use super::{Document, SourceFile, Span, lexical_absolute};
use regex::Regex;
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Why an input is not linted as resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAResource {
    /// `kustomization.yaml` (or `kind: Kustomization`/`Component`).
    Kustomization,
    /// A Helm (Go) template: `{{ .Values… }}` and the like.
    HelmTemplate,
    /// A document holding a strategic-merge patch directive (`$patch: delete`).
    Patch { directive: String },
    /// A file a kustomization in the input applies as a patch.
    KustomizePatch { kustomization: String },
}

impl NotAResource {
    /// What it is, as a noun phrase: `a Helm template`.
    pub fn describe(&self) -> String {
        match self {
            NotAResource::Kustomization => "a kustomization".into(),
            NotAResource::HelmTemplate => "a Helm template".into(),
            NotAResource::Patch { directive } => format!("a strategic-merge patch (`{directive}`)"),
            NotAResource::KustomizePatch { kustomization } => format!("a patch that {kustomization} applies"),
        }
    }
}

/// One input left out, and where.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The start of the file, or the directive of a patch document.
    pub span: Span,
    pub kind: NotAResource,
}

/// The names kustomize reads a kustomization from.
const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A Go template action as Helm charts write them: `{{ .Values.x }}`, `{{- include "…" . }}`,
/// `{{ if … }}`, `{{/* comment */}}`. A `{{name}}` in a quoted value (a Lua or mustache string) is
/// none of these.
fn template_action() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"\{\{-?\s*(?:[.$]|/\*|(?:include|template|if|else|end|range|with|define|block|toYaml|toJson|tpl|required|default|quote|printf|lookup|fail)\b)"#,
        )
        .expect("a valid regex")
    })
}

/// Whether a whole file, with its parsed documents, is not resources: a kustomization (by its name
/// or its kind), or a Helm template. A template action alone does not make a template: Istio's
/// injector ConfigMap holds `{{ .Values… }}` in a block scalar and is a resource. It is a template
/// when it sits in a chart's `templates/` folder or when its actions keep it from parsing.
pub fn file_kind(file: &SourceFile, docs: &[Document]) -> Option<NotAResource> {
    let mut parts = file.name.split(['/', '\\']);
    let base = parts.next_back().unwrap_or(&file.name);
    if KUSTOMIZATION_NAMES.contains(&base) || (!docs.is_empty() && docs.iter().all(is_kustomization)) {
        return Some(NotAResource::Kustomization);
    }
    let in_chart = parts.any(|p| p == "templates");
    let unparsable = docs.iter().any(|d| !d.problems.is_empty());
    ((in_chart || unparsable) && template_action().is_match(&file.text)).then_some(NotAResource::HelmTemplate)
}

/// Whether a parsed document is a kustomization by its kind.
fn is_kustomization(doc: &Document) -> bool {
    let Some(v) = &doc.value else { return false };
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    api.starts_with("kustomize.config.k8s.io/") && matches!(kind, "Kustomization" | "Component")
}

/// The first strategic-merge patch directive in `v`, as a JSON pointer and the directive:
/// `$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`. No resource the
/// API server stores has keys starting with `$` there.
pub fn patch_directive(v: &Value) -> Option<(String, String)> {
    fn walk(v: &Value, at: &mut String) -> Option<String> {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&super::escape_segment(k));
                    if k == "$patch"
                        || k == "$retainKeys"
                        || k.starts_with("$setElementOrder/")
                        || k.starts_with("$deleteFromPrimitiveList/")
                    {
                        return Some(k.clone());
                    }
                    if let Some(found) = walk(child, at) {
                        return Some(found);
                    }
                    at.truncate(len);
                }
                None
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&i.to_string());
                    if let Some(found) = walk(child, at) {
                        return Some(found);
                    }
                    at.truncate(len);
                }
                None
            }
            _ => None,
        }
    }
    let mut at = String::new();
    walk(v, &mut at).map(|d| (at, d))
}

/// The files a kustomization applies as patches (`patches[].path`, `patchesStrategicMerge`,
/// `patchesJson6902[].path`), as absolute paths, resolved against the kustomization's folder.
pub fn kustomize_patches(kustomization: &Value, file: &Path) -> HashSet<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut out = HashSet::new();
    let mut add = |p: &str| {
        // An inline patch (a YAML text rather than a file name) is no file.
        if !p.contains('\n') {
            out.insert(lexical_absolute(&dir.join(p)));
        }
    };
    for key in ["patches", "patchesJson6902"] {
        for p in kustomization.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(path) = p.get("path").and_then(Value::as_str) {
                add(path);
            }
        }
    }
    for p in kustomization.get("patchesStrategicMerge").and_then(Value::as_array).into_iter().flatten() {
        if let Some(path) = p.as_str() {
            add(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, parse_file};

    fn kind_of(name: &str, text: &str) -> Option<NotAResource> {
        let f = SourceFile::new(FileId(0), name.into(), text.into());
        file_kind(&f, &parse_file(&f))
    }

    #[test]
    fn kustomizations_by_name_and_kind() {
        assert_eq!(
            kind_of("overlays/prod/kustomization.yaml", "resources: [a.yaml]\n"),
            Some(NotAResource::Kustomization)
        );
        assert_eq!(kind_of("vs.yaml", "kind: VirtualService\n"), None);
        let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n";
        assert_eq!(kind_of("k.yaml", k), Some(NotAResource::Kustomization));
    }

    #[test]
    fn helm_templates_but_not_template_text_in_values() {
        assert_eq!(kind_of("t.yaml", "metadata:\n  name: {{ .Release.Name }}-vs\n"), Some(NotAResource::HelmTemplate));
        let chart = "chart/templates/svc.yaml";
        assert_eq!(
            kind_of(chart, "kind: Service\nmetadata:\n  name: \"{{ .Release.Name }}\"\n"),
            Some(NotAResource::HelmTemplate)
        );
        assert_eq!(
            kind_of("t.yaml", "{{- if .Values.enabled }}\nkind: Service\n{{- end }}\n"),
            Some(NotAResource::HelmTemplate)
        );
        // A resource whose text holds a template (Istio's injector ConfigMap) or braces.
        let cm = "kind: ConfigMap\ndata:\n  config: |-\n    image: {{ .Values.global.hub }}/proxyv2\n";
        assert_eq!(kind_of("injector.yaml", cm), None);
        assert_eq!(kind_of("t.yaml", "data:\n  script: \"return '{{name}}'\"\n"), None);
    }

    #[test]
    fn patch_directives_anywhere() {
        let v: Value = serde_json::json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}});
        assert_eq!(patch_directive(&v), Some(("/spec/template/spec/containers/0/$patch".into(), "$patch".into())));
        assert_eq!(patch_directive(&serde_json::json!({"kind": "Service", "spec": {"ports": [{"port": 80}]}})), None);
    }

    #[test]
    fn patch_files_resolve_against_the_kustomization() {
        let k = serde_json::json!({"patches": [{"path": "vs-patch.yaml"}, {"patch": "- op: remove\n  path: /spec"}],
            "patchesStrategicMerge": ["../base/dr.yaml"]});
        let found = kustomize_patches(&k, Path::new("/repo/overlays/prod/kustomization.yaml"));
        assert!(found.contains(Path::new("/repo/overlays/prod/vs-patch.yaml")), "{found:?}");
        assert!(found.contains(Path::new("/repo/overlays/base/dr.yaml")), "{found:?}");
        assert_eq!(found.len(), 2);
    }
}
