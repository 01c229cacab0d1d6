//! Benchmarks over synthetic meshes (`meshctl::synth`) of about 1k and 10k resources: generation,
//! parsing, and the whole lint pipeline.
//!
//! `cargo bench --bench lint` measures; `cargo bench --bench lint -- --test` runs each once.

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use meshctl::source::{FileId, Sources, parse_file};
use meshctl::synth::{self, SynthMesh, SynthOptions};

fn main() {
    divan::main();
}

/// Approximate resource counts; each service brings five resources (two versions).
const RESOURCES: [usize; 2] = [1_000, 10_000];

fn options(resources: usize) -> SynthOptions {
    SynthOptions::new(resources / 5)
}

fn load(mesh: &SynthMesh) -> (Sources, Vec<FileId>) {
    let mut sources = Sources::default();
    let ids = mesh.files.iter().map(|(name, text)| sources.add(name.clone(), text.clone())).collect();
    (sources, ids)
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn generate(bencher: Bencher, resources: usize) {
    let opts = options(resources);
    let mesh = synth::generate(&opts);
    bencher
        .counter(ItemsCount::new(mesh.resources))
        .counter(BytesCount::new(mesh.bytes()))
        .bench(|| synth::generate(&opts));
}

#[divan::bench(args = RESOURCES, sample_count = 20)]
fn parse(bencher: Bencher, resources: usize) {
    let mesh = synth::generate(&options(resources));
    let (sources, ids) = load(&mesh);
    bencher
        .counter(ItemsCount::new(mesh.resources))
        .counter(BytesCount::new(mesh.bytes()))
        .bench(|| ids.iter().map(|&id| parse_file(sources.file(id)).len()).sum::<usize>());
}

/// The whole pipeline on in-memory inputs: parse, objects, typed model, schema, every rule.
#[divan::bench(args = RESOURCES, sample_count = 10)]
fn lint(bencher: Bencher, resources: usize) {
    let mesh = synth::generate(&options(resources));
    let options = meshctl::lint::LintOptions::default();
    bencher
        .counter(ItemsCount::new(mesh.resources))
        .counter(BytesCount::new(mesh.bytes()))
        .with_inputs(|| load(&mesh).0)
        .bench_values(|sources| meshctl::lint::lint_sources(sources, &options).diagnostics.len());
}
