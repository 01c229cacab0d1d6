//! One lint run: read, parse, collect objects, run every rule, filter, sort.

use super::config::Config;
use super::rules::RULES;
use super::{Diagnostic, RuleMeta, Severity, suppress};
use crate::mesh::{Mesh, MeshConfig};
use crate::model::{Object, Typed, collect_objects, typed};
use crate::routing::analysis::{Finding, unreachable_and_ineffective};
use crate::routing::compile::VsEntry;
use crate::schema::SchemaError;
use crate::source::{Document, LoadError, Sources, Span, collect_paths, parse_file, read_inputs};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// What a rule sees.
pub struct Context<'a> {
    pub sources: &'a Sources,
    pub docs: &'a [Document],
    pub objects: &'a [Object],
    /// The typed form of each object (same index): `None` for kinds meshctl does not model,
    /// `Some(Err)` when the object does not fit its kind's model.
    pub typed: &'a [Option<Result<Typed, String>>],
    pub options: &'a LintOptions,
    schema: OnceLock<Vec<(usize, SchemaError)>>,
    mesh: OnceLock<Mesh<'a>>,
    virtual_services: OnceLock<Vec<VsEntry<'a>>>,
    overlaps: OnceLock<HashMap<usize, Vec<Finding>>>,
}

impl<'a> Context<'a> {
    pub fn new(
        sources: &'a Sources,
        docs: &'a [Document],
        objects: &'a [Object],
        typed: &'a [Option<Result<Typed, String>>],
        options: &'a LintOptions,
    ) -> Self {
        Context {
            sources,
            docs,
            objects,
            typed,
            options,
            schema: OnceLock::new(),
            mesh: OnceLock::new(),
            virtual_services: OnceLock::new(),
            overlaps: OnceLock::new(),
        }
    }

    /// The resolved mesh, built once for all cross-resource rules.
    pub fn mesh(&self) -> &Mesh<'a> {
        self.mesh
            .get_or_init(|| Mesh::build(self.objects, self.typed, &self.options.default_namespace, &self.options.mesh))
    }

    /// The VirtualServices as the routing engine sees them (hosts resolved, delegates merged, in
    /// istiod's order), built once for simulate and the routing rules.
    pub fn virtual_service_entries(&self) -> &[VsEntry<'a>] {
        self.virtual_services.get_or_init(|| crate::routing::compile::build_virtual_services(self))
    }

    /// Istio's IST0130/IST0131 analysis (unreachable rules, ineffective matches) of the
    /// VirtualService that is object `obj`, computed once for every VirtualService for the rules
    /// that read it.
    pub fn overlap_findings(&self, obj: usize) -> &[Finding] {
        let all = self.overlaps.get_or_init(|| {
            self.mesh()
                .virtual_services
                .par_iter()
                .map(|&(i, vs)| (i, unreachable_and_ineffective(vs)))
                .filter(|(_, found)| !found.is_empty())
                .collect()
        });
        all.get(&obj).map_or(&[], Vec::as_slice)
    }

    /// Schema errors of every object, computed once for all schema rules.
    pub fn schema_errors(&self) -> &[(usize, SchemaError)] {
        self.schema.get_or_init(|| super::schema_pass::errors(self))
    }

    /// The objects with their typed form, where it could be built.
    pub fn typed_objects(&self) -> impl Iterator<Item = (&'a Object, &'a Typed)> + '_ {
        self.objects.iter().zip(self.typed).filter_map(|(o, t)| Some((o, t.as_ref()?.as_ref().ok()?)))
    }

    pub fn doc(&self, obj: &Object) -> &'a Document {
        &self.docs[obj.doc]
    }

    pub fn value(&self, obj: &Object) -> &'a serde_json::Value {
        obj.value(self.docs)
    }

    /// Where to point for `rel` (a pointer relative to the object), or its nearest ancestor.
    pub fn span(&self, obj: &Object, rel: &str) -> Span {
        self.doc(obj).span_of(&obj.pointer(rel))
    }

    /// A finding about `obj` at `rel`.
    pub fn at(&self, rule: &'static RuleMeta, obj: &Object, rel: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(rule, self.span(obj, rel), message).pointer(obj.pointer(rel)).resource(Some(obj.resource_ref()))
    }
}

/// A rule: metadata plus a check over the whole input.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>);
}

#[derive(Debug, Clone)]
pub struct LintOptions {
    /// The namespace of objects that name none (`-n`).
    pub default_namespace: String,
    pub config: Config,
    /// Mesh-wide settings (`--mesh-config`).
    pub mesh: MeshConfig,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions { default_namespace: "default".into(), config: Config::default(), mesh: MeshConfig::default() }
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub sources: Sources,
    pub diagnostics: Vec<Diagnostic>,
    pub resources: usize,
}

impl Outcome {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }
}

/// The parsed input of a run, shared by every command that reads manifests (`lint`, `graph`,
/// `simulate`): the files, their documents, the objects in them and each object's typed form
/// (same index).
pub struct Inputs {
    pub sources: Sources,
    pub docs: Vec<Document>,
    pub objects: Vec<Object>,
    pub typed: Vec<Option<Result<Typed, String>>>,
}

impl Inputs {
    /// Read the files and directories in `paths` (`-` is stdin), without those `config` excludes.
    pub fn read(paths: &[PathBuf], config: &Config) -> Result<Inputs, LoadError> {
        let files = collect_paths(paths)?;
        let files: Vec<PathBuf> = files.into_iter().filter(|p| !config.is_excluded(p)).collect();
        let mut sources = Sources::default();
        read_inputs(&files, &mut sources)?;
        Ok(Inputs::parse(sources))
    }

    /// Parse inputs already in memory.
    pub fn parse(sources: Sources) -> Inputs {
        let docs: Vec<Document> = sources.files.par_iter().flat_map_iter(parse_file).collect();
        let objects = collect_objects(&docs);
        let typed = objects.par_iter().map(|o| typed(&o.api_version, &o.kind, o.value(&docs))).collect();
        Inputs { sources, docs, objects, typed }
    }

    /// The context rules (and the routing engine) read.
    pub fn context<'a>(&'a self, options: &'a LintOptions) -> Context<'a> {
        Context::new(&self.sources, &self.docs, &self.objects, &self.typed, options)
    }
}

/// Lint the files and directories in `paths` (`-` is stdin).
pub fn lint_paths(paths: &[PathBuf], options: &LintOptions) -> Result<Outcome, LoadError> {
    Ok(lint_inputs(Inputs::read(paths, &options.config)?, options))
}

/// Lint inputs already in memory.
pub fn lint_sources(sources: Sources, options: &LintOptions) -> Outcome {
    lint_inputs(Inputs::parse(sources), options)
}

fn lint_inputs(inputs: Inputs, options: &LintOptions) -> Outcome {
    let cx = inputs.context(options);
    let selected: Vec<&dyn Rule> = RULES.iter().copied().filter(|r| options.config.is_selected(r.meta())).collect();
    let diagnostics: Vec<Diagnostic> = selected
        .par_iter()
        .flat_map_iter(|r| {
            let mut out = Vec::new();
            r.check(&cx, &mut out);
            out
        })
        .collect();
    let mut diagnostics = suppress::apply(&cx, diagnostics);
    for d in &mut diagnostics {
        d.primary.span = inputs.sources.first_line(d.primary.span);
        for r in &mut d.related {
            r.span = inputs.sources.first_line(r.span);
        }
        if let Some(sev) = options.config.severity_for(d.code, d.name, d.istio_code) {
            d.severity = sev;
        }
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.code == b.code && a.primary.span == b.primary.span && a.message == b.message);
    let resources = inputs.objects.len();
    drop(cx);
    let Inputs { sources, docs, objects, typed } = inputs;
    // Freeing a large input's trees takes a few percent of the run: a worker does it while the
    // caller renders the report (and a process that exits first need not wait for it).
    rayon::spawn(move || drop((docs, objects, typed)));
    Outcome { sources, diagnostics, resources }
}
