//! Time each stage of a lint once over a generated mesh, with the process's memory after each:
//! the rows of the scaling table in BENCHMARKS.md.
//!
//! ```text
//! cargo run --release --example stages -- RESOURCES [RESOURCES...]
//! ```
//! Each size runs in a fresh process (this one re-executes itself), so that peak RSS is per size.
//! Stages as the lint runs them (in parallel where it does): parse, model (objects and typed
//! model), schema, mesh, rules (every rule), then the peak RSS of the whole run and how much the
//! resident set grew while the documents were parsed and while the typed model was built. Linux
//! only for memory (`/proc/self/status`); elsewhere it prints `-`. Last, the shadow analysis of one
//! VirtualService with 2,000 rules.

use meshctl::lint::rules::RULES;
use meshctl::lint::{Inputs, LintOptions};
use meshctl::model::{Typed, collect_objects, typed};
use meshctl::routing::analysis::unreachable_and_ineffective;
use meshctl::source::{Sources, parse_file};
use meshctl::synth::{self, SynthOptions};
use rayon::prelude::*;
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The allocator of the `meshctl` binary, so that these numbers are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Result<Vec<usize>, _> = args.iter().filter(|a| *a != "--one").map(|a| a.parse::<usize>()).collect();
    let Ok(sizes) = sizes.map_err(|e| eprintln!("stages: {e}")) else { return ExitCode::from(2) };
    if sizes.is_empty() {
        eprintln!("usage: stages RESOURCES [RESOURCES...]");
        return ExitCode::from(2);
    }
    if args.first().is_some_and(|a| a == "--one") {
        run(sizes[0]);
        return ExitCode::SUCCESS;
    }
    println!(
        "| resources | input | parse | model | schema | mesh | rules | total | resources/s | peak RSS | RSS/input | parsed | typed |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let me = std::env::current_exe().expect("own path");
    for n in sizes {
        let status = Command::new(&me).arg("--one").arg(n.to_string()).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("stages: the run for {n} failed");
            return ExitCode::FAILURE;
        }
    }
    shadow_analysis(2_000);
    ExitCode::SUCCESS
}

/// The shadow analysis (unreachable rules, ineffective matches) of one VirtualService with
/// `rules` HTTP rules: best of five.
fn shadow_analysis(rules: usize) {
    let mut sources = Sources::default();
    sources.add("long.yaml".into(), synth::long_virtual_service(rules));
    let inputs = Inputs::parse(sources);
    let Some(Some(Ok(Typed::VirtualService(vs)))) = inputs.typed.first() else {
        eprintln!("stages: the long VirtualService does not parse");
        return;
    };
    let best = (0..5)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(unreachable_and_ineffective(vs));
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!("\nshadow analysis of one VirtualService with {rules} rules: {:.1} ms", best * 1e3);
}

fn run(resources: usize) {
    let mesh = synth::generate(&SynthOptions::new(resources / 5));
    let bytes = mesh.bytes();
    let mut sources = Sources::default();
    for (name, text) in mesh.files {
        sources.add(name, text);
    }
    let base = peak_kb();
    let started = Instant::now();
    let mut last = started;
    let mut lap = || {
        let now = Instant::now();
        let ms = (now - last).as_secs_f64() * 1e3;
        last = now;
        format!("{ms:.0} ms")
    };

    let rss_before = rss_kb();
    let docs: Vec<_> = sources.files.par_iter().flat_map_iter(parse_file).collect();
    let parse = lap();
    let rss_parsed = rss_kb();
    let objects = collect_objects(&docs);
    let typed: Vec<_> = objects.par_iter().map(|o| typed(&o.api_version, &o.kind, o.value(&docs))).collect();
    let model = lap();
    let rss_typed = rss_kb();
    let grew = |from: Option<u64>, to: Option<u64>| match (from, to) {
        (Some(a), Some(b)) => format!("{:.0} MB", b.saturating_sub(a) as f64 / 1024.0),
        _ => "-".into(),
    };
    let (parsed, typed_mb) = (grew(rss_before, rss_parsed), grew(rss_parsed, rss_typed));
    let inputs = Inputs { sources, docs, objects, typed, ignored: Vec::new(), skipped: Vec::new(), notes: Vec::new() };
    let options = LintOptions::default();
    let cx = inputs.context(&options);
    cx.schema_errors();
    let schema = lap();
    cx.mesh();
    let mesh_time = lap();
    let findings: usize = RULES
        .par_iter()
        .map(|r| {
            let mut out = Vec::new();
            r.check(&cx, &mut out);
            out.len()
        })
        .sum();
    let rules = lap();
    let total = started.elapsed().as_secs_f64();
    let objects = inputs.objects.len();
    let peak = peak_kb();
    let (peak_text, ratio) = match (peak, base) {
        (Some(p), Some(b)) => {
            // The generated text is counted once, as a real run holds it once.
            let used = p.saturating_sub(b) as f64 * 1024.0 + bytes as f64;
            (format!("{:.0} MB", p as f64 / 1024.0), format!("{:.1}×", used / bytes as f64))
        }
        _ => ("-".into(), "-".into()),
    };
    println!(
        "| {objects} | {:.1} MB | {parse} | {model} | {schema} | {mesh_time} | {rules} | {:.2} s | {:.0} | {peak_text} | {ratio} | {parsed} | {typed_mb} |",
        bytes as f64 / 1e6,
        total,
        objects as f64 / total,
    );
    if findings > 0 {
        eprintln!("stages: {findings} findings on a clean mesh");
    }
}

/// The process's peak resident set (VmHWM) in KB.
fn peak_kb() -> Option<u64> {
    status_kb("VmHWM:")
}

/// The process's resident set (VmRSS) in KB.
fn rss_kb() -> Option<u64> {
    status_kb("VmRSS:")
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
