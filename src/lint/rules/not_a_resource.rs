use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::NotAResource;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0010",
    name: "not-a-resource",
    severity: Severity::Info,
    istio_code: None,
    summary: "YAML that is not a Kubernetes resource (a kustomization, a patch, a Helm template) was not linted",
    docs: r#"## What it finds
Files and documents among the manifests that are inputs of a tool rather than resources:
- `kustomization.yaml` (or a document of `kind: Kustomization` or `Component`);
- a patch: a document with a strategic-merge directive (`$patch`, `$retainKeys`,
  `$setElementOrder/…`, `$deleteFromPrimitiveList/…`), or a file that a kustomization of the input
  lists under `patches`, `patchesStrategicMerge` or `patchesJson6902`;
- a Helm template: Go template actions (`{{ .Values… }}`, `{{- if … }}`) in a chart's
  `templates/` folder, or that keep the file from parsing.

Each is said once and not linted: a patch is a partial object, and a template is not YAML until
it is rendered. A resource whose text merely holds a template (Istio's injector ConfigMap) is linted.

## Why it matters
Linted as resources, they would give false alarms (a patch has no `spec.selector`, a template
does not parse); skipped in silence, a user would think they were checked.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews}
spec:
  template:
    spec:
      containers:
      - name: debug
        $patch: delete
```

## Fix
Lint what the tool produces: `kustomize build overlays/prod | meshctl lint -`, or
`helm template CHART | meshctl lint -`.
"#,
};

pub struct Check;

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let dir_of = |file: &str| {
            let dir = std::path::Path::new(file).parent().map(|d| d.display().to_string());
            dir.filter(|d| !d.is_empty()).unwrap_or_else(|| ".".into())
        };
        for s in cx.skipped {
            let dir = dir_of(&cx.sources.file(s.span.file).name);
            let (what, help) = match &s.kind {
                NotAResource::Kustomization => {
                    ("not a resource", format!("lint what it builds: `kustomize build {dir} | meshctl lint -`"))
                }
                NotAResource::KustomizePatch { kustomization } => (
                    "not a resource on its own",
                    format!(
                        "lint what the kustomization builds: `kustomize build {} | meshctl lint -`",
                        dir_of(kustomization)
                    ),
                ),
                NotAResource::Patch { .. } => (
                    "not a resource on its own",
                    format!("lint what kustomize builds with it: `kustomize build {dir} | meshctl lint -`"),
                ),
                NotAResource::HelmTemplate => (
                    "not YAML until it is rendered",
                    "lint the rendered chart: `helm template CHART | meshctl lint -`".into(),
                ),
            };
            let message = format!("{}, {what}: not linted", s.kind.describe());
            out.push(Diagnostic::new(&META, s.span, message).label("not linted").help(help));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    #[test]
    fn the_example_patch_is_said_and_not_linted() {
        let example = &crate::lint::rules::docs_example(&super::META);
        let f = findings(example, "MESH0010");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, 9);
        assert!(f[0].1.contains("(`$patch`)"), "{}", f[0].1);
        // Not a resource: no schema finding for the partial Deployment.
        let all = crate::lint::rules::lint_yaml(example);
        assert!(all.diagnostics.iter().all(|d| d.code == "MESH0010"), "{:?}", all.diagnostics);
        assert_eq!(all.resources, 0);
    }
}
