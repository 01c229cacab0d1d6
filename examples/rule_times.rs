//! CPU time of each rule, one after the other on one thread, over a generated mesh: finds the rule
//! that grows faster than the input (compare two sizes).
//!
//! ```text
//! cargo run --release --example rule_times -- RESOURCES [TOP]
//! ```
//! Prints the shared passes the rules read (schema errors, mesh index, merged VirtualServices),
//! the sum over every rule, and the `TOP` slowest rules (default 15).

use meshctl::lint::rules::RULES;
use meshctl::lint::{Inputs, LintOptions};
use meshctl::source::Sources;
use meshctl::synth::{self, SynthOptions};
use std::process::ExitCode;
use std::time::Instant;

/// The allocator of the `meshctl` binary, so that these numbers are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<usize> = match std::env::args().skip(1).map(|a| a.parse()).collect() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("rule_times: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(&resources) = args.first() else {
        eprintln!("usage: rule_times RESOURCES [TOP]");
        return ExitCode::from(2);
    };
    let top = args.get(1).copied().unwrap_or(15);
    let mesh = synth::generate(&SynthOptions::new(resources / 5));
    let mut sources = Sources::default();
    for (name, text) in mesh.files {
        sources.add(name, text);
    }
    let inputs = Inputs::parse(sources);
    let options = LintOptions::default();
    let cx = inputs.context(&options);
    let ms = |started: Instant| started.elapsed().as_secs_f64() * 1e3;
    println!("{} resources", inputs.objects.len());
    let started = Instant::now();
    cx.schema_errors();
    println!("{:9.1} ms  schema errors", ms(started));
    let started = Instant::now();
    cx.mesh();
    println!("{:9.1} ms  mesh index", ms(started));
    let started = Instant::now();
    cx.virtual_service_entries();
    println!("{:9.1} ms  merged VirtualServices", ms(started));
    let mut times: Vec<(f64, String)> = RULES
        .iter()
        .map(|r| {
            let started = Instant::now();
            let mut out = Vec::new();
            r.check(&cx, &mut out);
            (ms(started), format!("{} {}", r.meta().code, r.meta().name))
        })
        .collect();
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{:9.1} ms  every rule", times.iter().map(|t| t.0).sum::<f64>());
    for (t, rule) in times.iter().take(top) {
        println!("{t:9.1} ms  {rule}");
    }
    ExitCode::SUCCESS
}
