//! Benchmarks over synthetic meshes (`meshctl::synth`) of about 1k and 10k resources, one per
//! stage of a lint: parse (one thread), model (objects and typed model), schema, mesh, graph, rules
//! (every rule, mesh and schema errors already built), and the whole in-memory lint.
//!
//! `cargo bench --bench lint` measures; `cargo bench --bench lint -- --test` runs each once. The
//! 100k-resource numbers of BENCHMARKS.md come from `cargo run --release --example stages`.

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use meshctl::lint::rules::RULES;
use meshctl::lint::{Context, Inputs, LintOptions};
use meshctl::mesh::Mesh;
use meshctl::mesh::graph::MeshGraph;
use meshctl::model::{collect_objects, typed};
use meshctl::source::{FileId, Sources, parse_file};
use meshctl::synth::{self, SynthMesh, SynthOptions};
use rayon::prelude::*;

/// The allocator of the `meshctl` binary, so that these numbers are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// Approximate resource counts; each service brings five resources (two versions).
const RESOURCES: [usize; 2] = [1_000, 10_000];

fn mesh(resources: usize) -> SynthMesh {
    synth::generate(&SynthOptions::new(resources / 5))
}

fn load(mesh: &SynthMesh) -> (Sources, Vec<FileId>) {
    let mut sources = Sources::default();
    let ids = mesh.files.iter().map(|(name, text)| sources.add(name.clone(), text.clone())).collect();
    (sources, ids)
}

fn counted<'a, 'b>(bencher: Bencher<'a, 'b>, mesh: &SynthMesh) -> Bencher<'a, 'b> {
    bencher.counter(ItemsCount::new(mesh.resources)).counter(BytesCount::new(mesh.bytes()))
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn generate(bencher: Bencher, resources: usize) {
    let opts = SynthOptions::new(resources / 5);
    counted(bencher, &synth::generate(&opts)).bench(|| synth::generate(&opts));
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn parse(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let (sources, ids) = load(&mesh);
    counted(bencher, &mesh).bench(|| ids.iter().map(|&id| parse_file(sources.file(id)).len()).sum::<usize>());
}

/// Objects and their typed form, from parsed documents (one thread).
#[divan::bench(args = RESOURCES, sample_count = 20)]
fn model(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let inputs = Inputs::parse(load(&mesh).0);
    counted(bencher, &mesh).bench(|| {
        let objects = collect_objects(&inputs.docs);
        objects.iter().filter(|o| typed(&o.api_version, &o.kind, o.value(&inputs.docs)).is_some()).count()
    });
}

/// Schema validation of every object (in parallel, as the lint runs it).
#[divan::bench(args = RESOURCES, sample_count = 20)]
fn schema(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let inputs = Inputs::parse(load(&mesh).0);
    let options = LintOptions::default();
    counted(bencher, &mesh).bench(|| inputs.context(&options).schema_errors().len());
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn mesh_index(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let inputs = Inputs::parse(load(&mesh).0);
    let options = LintOptions::default();
    counted(bencher, &mesh).bench(|| {
        Mesh::build(&inputs.docs, &inputs.objects, &inputs.typed, &options.default_namespace, &options.mesh)
            .services
            .len()
    });
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn graph(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let inputs = Inputs::parse(load(&mesh).0);
    let options = LintOptions::default();
    let cx = inputs.context(&options);
    counted(bencher, &mesh).bench(|| MeshGraph::build(cx.mesh(), &inputs.objects, &inputs.typed));
}

/// Every rule, in parallel as the engine runs them, with the mesh and the schema errors built.
#[divan::bench(args = RESOURCES, sample_count = 10)]
fn rules(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let inputs = Inputs::parse(load(&mesh).0);
    let options = LintOptions::default();
    let cx: Context = inputs.context(&options);
    cx.mesh();
    cx.schema_errors();
    counted(bencher, &mesh).bench(|| {
        RULES
            .par_iter()
            .map(|r| {
                let mut out = Vec::new();
                r.check(&cx, &mut out);
                out.len()
            })
            .sum::<usize>()
    });
}

/// The whole pipeline on in-memory inputs: parse, objects, typed model, schema, every rule.
#[divan::bench(args = RESOURCES, sample_count = 10)]
fn lint(bencher: Bencher, resources: usize) {
    let mesh = mesh(resources);
    let options = LintOptions::default();
    counted(bencher, &mesh)
        .with_inputs(|| load(&mesh).0)
        .bench_values(|sources| meshctl::lint::lint_sources(sources, &options).diagnostics.len());
}
