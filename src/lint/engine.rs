//! One lint run: read, parse, collect objects, run every rule, filter, sort.

use super::config::Config;
use super::rules::RULES;
use super::{Diagnostic, RuleMeta, Severity, suppress};
use crate::mesh::{Mesh, MeshConfig};
use crate::model::{IgnoredField, Object, Typed, collect_objects, typed_lenient};
use crate::routing::analysis::{Finding, unreachable_and_ineffective};
use crate::routing::compile::VsEntry;
use crate::schema::SchemaError;
use crate::source::{
    Collected, Document, LoadError, NotAResource, Skipped, Sources, Span, classify, collect_paths, lexical_absolute,
    parse_file, read_inputs,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// What a rule sees.
pub struct Context<'a> {
    pub sources: &'a Sources,
    pub docs: &'a [Document],
    pub objects: &'a [Object],
    /// The typed form of each object (same index): `None` for kinds meshctl does not model,
    /// `Some(Err)` when the object does not fit its kind's model.
    pub typed: &'a [Option<Result<Typed, String>>],
    pub options: &'a LintOptions,
    /// YAML of the input that is not resources, left out of `docs`.
    pub skipped: &'a [Skipped],
    schema: OnceLock<Vec<(usize, SchemaError)>>,
    mesh: OnceLock<Mesh<'a>>,
    authz: OnceLock<crate::authz::Engine<'a>>,
    gateway_api: OnceLock<crate::mesh::gateway_api::Translation>,
    virtual_services: OnceLock<Vec<VsEntry<'a>>>,
    overlaps: OnceLock<HashMap<usize, Vec<Finding>>>,
    /// What rules left unchecked because the input does not show it: namespace → references.
    unseen: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

impl<'a> Context<'a> {
    pub fn new(
        sources: &'a Sources,
        docs: &'a [Document],
        objects: &'a [Object],
        typed: &'a [Option<Result<Typed, String>>],
        skipped: &'a [Skipped],
        options: &'a LintOptions,
    ) -> Self {
        Context {
            sources,
            docs,
            objects,
            typed,
            options,
            skipped,
            schema: OnceLock::new(),
            mesh: OnceLock::new(),
            authz: OnceLock::new(),
            gateway_api: OnceLock::new(),
            virtual_services: OnceLock::new(),
            overlaps: OnceLock::new(),
            unseen: Mutex::default(),
        }
    }

    /// A rule did not check `what` (`host \`ratings.prod.svc.cluster.local\``) because the input
    /// defines nothing in namespace `ns`: out of sight, not missing. Said once per namespace after
    /// the run ([`Context::out_of_sight_notes`]).
    pub fn out_of_sight(&self, ns: &str, what: String) {
        let mut unseen = self.unseen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        unseen.entry(ns.to_string()).or_default().insert(what);
    }

    /// One sentence per namespace of what was left unchecked as out of sight.
    pub fn out_of_sight_notes(&self) -> Vec<String> {
        const SHOWN: usize = 3;
        let unseen = self.unseen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        unseen
            .iter()
            .map(|(ns, refs)| {
                let shown: Vec<&str> = refs.iter().take(SHOWN).map(String::as_str).collect();
                let more = match refs.len().saturating_sub(SHOWN) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(
                    "not checked, namespace `{ns}` is out of sight (the input defines nothing in it): {}{more}",
                    shown.join(", ")
                )
            })
            .collect()
    }

    /// The resolved mesh, built once for all cross-resource rules.
    pub fn mesh(&self) -> &Mesh<'a> {
        self.mesh.get_or_init(|| {
            Mesh::build(self.docs, self.objects, self.typed, &self.options.default_namespace, &self.options.mesh)
        })
    }

    /// The security policies, read once, for the authorization engine.
    pub fn authz(&self) -> &crate::authz::Engine<'a> {
        self.authz.get_or_init(|| crate::authz::Engine::new(self))
    }

    /// The Gateway API objects translated into Istio Gateways and VirtualServices, and their
    /// status, as istiod computes them (built once).
    pub fn gateway_api(&self) -> &crate::mesh::gateway_api::Translation {
        self.gateway_api.get_or_init(|| {
            crate::mesh::gateway_api::translate(self.objects, self.typed, &self.options.default_namespace, self.mesh())
        })
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
    /// What was passed over while finding the files (see [`Inputs::notes`]).
    pub notes: Vec<String>,
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
    /// Fields left out of an object's typed form (object index, field), so that the rest of it
    /// is still modelled; the schema rules report each.
    pub ignored: Vec<(usize, IgnoredField)>,
    /// YAML that is not resources (kustomize's files, Helm templates), left out of `docs`.
    pub skipped: Vec<Skipped>,
    /// What was passed over while finding the files, one sentence each (see [`Inputs::read`]).
    pub notes: Vec<String>,
}

/// The documents of each file (same order as `sources.files`) without those that are not
/// resources, and what was left out.
fn resources_only(sources: &Sources, parsed: Vec<Vec<Document>>) -> (Vec<Document>, Vec<Skipped>) {
    let kinds: Vec<Option<NotAResource>> =
        sources.files.iter().zip(&parsed).map(|(f, docs)| classify::file_kind(f, docs)).collect();
    // The files a kustomization of the input applies as patches: partial objects, not resources.
    let mut patch_files = HashMap::new();
    for ((f, docs), _) in
        sources.files.iter().zip(&parsed).zip(&kinds).filter(|(_, k)| **k == Some(NotAResource::Kustomization))
    {
        for v in docs.iter().filter_map(|d| d.value.as_ref()) {
            for p in classify::kustomize_patches(v, Path::new(&f.name)) {
                patch_files.entry(p).or_insert_with(|| f.name.clone());
            }
        }
    }
    let mut skipped = Vec::new();
    let mut out = Vec::with_capacity(parsed.iter().map(Vec::len).sum());
    for ((f, docs), kind) in sources.files.iter().zip(parsed).zip(kinds) {
        let kind = kind.or_else(|| {
            let k = patch_files.get(&lexical_absolute(Path::new(&f.name)))?;
            Some(NotAResource::KustomizePatch { kustomization: k.clone() })
        });
        if let Some(kind) = kind {
            skipped.push(Skipped { span: Span::new(f.id, 0, 0), kind });
            continue;
        }
        // Only a file that spells a directive is walked for one.
        let may_patch = ["$patch", "$retainKeys", "$setElementOrder/", "$deleteFromPrimitiveList/"]
            .iter()
            .any(|d| f.text.contains(d));
        for d in docs {
            match d.value.as_ref().filter(|_| may_patch).and_then(classify::patch_directive) {
                Some((pointer, directive)) => {
                    let span = d.node(&pointer).and_then(|n| n.key).unwrap_or_else(|| d.head());
                    skipped.push(Skipped { span, kind: NotAResource::Patch { directive } });
                }
                None => out.push(d),
            }
        }
    }
    (out, skipped)
}

impl Inputs {
    /// Read the files and directories in `paths` (`-` is stdin), without those `config` excludes.
    ///
    /// Nothing to read is an error when paths were given: a folder with no manifest, or only
    /// excluded files. What was passed over is in [`Inputs::notes`].
    pub fn read(paths: &[PathBuf], config: &Config) -> Result<Inputs, LoadError> {
        let Collected { files, mut notes } = collect_paths(paths)?;
        let found = files.len();
        let (mut kept, mut walked_past) = (Vec::with_capacity(found), 0);
        for f in files {
            match config.excluded_by(&f) {
                // A file named on the command line is excluded too (as a pre-commit hook names
                // them), but never in silence.
                Some(pattern) if paths.contains(&f) => {
                    notes.push(format!("{}: excluded by `{pattern}` in {}; not read", f.display(), config.name()))
                }
                Some(_) => walked_past += 1,
                None => kept.push(f),
            }
        }
        if walked_past > 0 {
            notes.push(format!("{walked_past} of the {found} files found are excluded by {}", config.name()));
        }
        if kept.is_empty() && !paths.is_empty() {
            let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let why = if found == 0 {
                format!("no *.yaml, *.yml or *.json file in {}", shown.join(", "))
            } else {
                format!("every file in {} is excluded by {}", shown.join(", "), config.name())
            };
            return Err(LoadError::Nothing { why });
        }
        let mut sources = Sources::default();
        read_inputs(&kept, &mut sources)?;
        let mut inputs = Inputs::parse(sources);
        inputs.notes = notes;
        Ok(inputs)
    }

    /// Parse inputs already in memory.
    pub fn parse(sources: Sources) -> Inputs {
        let (docs, skipped) = resources_only(&sources, sources.files.par_iter().map(parse_file).collect());
        let objects = collect_objects(&docs);
        let (typed, ignored): (Vec<_>, Vec<_>) =
            objects.par_iter().map(|o| typed_lenient(&o.api_version, &o.kind, o.value(&docs))).unzip();
        let ignored =
            ignored.into_iter().enumerate().flat_map(|(i, fields)| fields.into_iter().map(move |f| (i, f))).collect();
        Inputs { sources, docs, objects, typed, ignored, skipped, notes: Vec::new() }
    }

    /// What the routing engine cannot see of this input, one line each as `file:line:col: what`:
    /// inputs that are not resources, documents that do not parse, objects that do not fit their kind's model, and fields left
    /// out of an object's model. `simulate` and `test` say these, so that an answer computed
    /// without them never looks like the whole story.
    pub fn left_out(&self) -> Vec<String> {
        let at = |span: Span| {
            let l = self.sources.location(span);
            format!("{}:{}:{}", l.file, l.line, l.column)
        };
        let mut out: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("{}: {}, not a resource; it is left out", at(s.span), s.kind.describe()))
            .collect();
        for d in self.docs.iter().filter(|d| d.value.is_none()) {
            let (span, why) = d.problems.first().map_or((d.head(), "it could not be read"), |p| (p.span, &p.message));
            out.push(format!("{}: this document does not parse ({why}); it is left out", at(span)));
        }
        let name = |o: &Object| {
            let n = o.name.as_deref().unwrap_or("");
            match &o.namespace {
                Some(ns) => format!("{} `{ns}/{n}`", o.kind),
                None => format!("{} `{n}`", o.kind),
            }
        };
        for (o, t) in self.objects.iter().zip(&self.typed) {
            if let Some(Err(why)) = t {
                out.push(format!("{}: {} does not fit its kind ({why}); it is left out", at(o.span), name(o)));
            }
        }
        for (i, f) in &self.ignored {
            let o = &self.objects[*i];
            let span = self.docs[o.doc].span_of(&o.pointer(&f.pointer));
            out.push(format!("{}: `{}` of {} is ignored: {}", at(span), f.pointer, name(o), f.message));
        }
        out
    }

    /// The context rules (and the routing engine) read.
    pub fn context<'a>(&'a self, options: &'a LintOptions) -> Context<'a> {
        Context::new(&self.sources, &self.docs, &self.objects, &self.typed, &self.skipped, options)
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
    let unseen = cx.out_of_sight_notes();
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
    let Inputs { sources, docs, objects, typed, mut notes, .. } = inputs;
    notes.extend(unseen);
    // Freeing a large input's trees takes a few percent of the run: a worker does it while the
    // caller renders the report (and a process that exits first need not wait for it).
    rayon::spawn(move || drop((docs, objects, typed)));
    Outcome { sources, diagnostics, resources, notes }
}
