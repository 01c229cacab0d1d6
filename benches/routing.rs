//! The routing engine on a generated mesh: `meshctl test`-style batches of requests after loading;
//! the shadow analysis (unreachable rules, ineffective matches) of one long VirtualService.
//!
//! `cargo bench --bench routing` measures; `cargo bench --bench routing -- --test` runs each once.

use divan::Bencher;
use divan::counter::ItemsCount;
use meshctl::lint::{Inputs, LintOptions};
use meshctl::model::Typed;
use meshctl::routing::analysis::unreachable_and_ineffective;
use meshctl::routing::{Request, Simulator};
use meshctl::source::Sources;
use meshctl::synth::{self, SynthOptions};

/// The allocator of the `meshctl` binary, so that these numbers are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// Requests to the services of a mesh of `services` services (in `services / 100` namespaces),
/// from a sidecar in each service's namespace; every other one carries the header of rule 0.
fn requests(services: usize, count: usize) -> Vec<Request> {
    let namespaces = services.div_ceil(100);
    (0..count)
        .map(|k| {
            let i = k % services;
            let ns = format!("ns-{}", i % namespaces);
            let mut v = serde_json::json!({
                "from": "mesh",
                "source": {"namespace": ns, "labels": {"app": "client"}},
                "host": format!("svc-{i}.{ns}.svc.cluster.local"),
                "path": "/",
            });
            if k % 2 == 0 {
                v["headers"] = serde_json::json!({ "x-user": format!("tester-{i}") });
            }
            serde_json::from_value(v).expect("a valid request")
        })
        .collect()
}

/// A generated mesh of 1,000 services, parsed.
fn mesh_of_1000_services() -> Inputs {
    let mesh = synth::generate(&SynthOptions::new(1_000));
    let mut sources = Sources::default();
    for (name, text) in mesh.files {
        sources.add(name, text);
    }
    Inputs::parse(sources)
}

#[divan::bench(args = [10_000], sample_count = 5)]
fn simulate_1000_services(bencher: Bencher, count: usize) {
    let (inputs, options) = (mesh_of_1000_services(), LintOptions::default());
    let cx = inputs.context(&options);
    let reqs = requests(1_000, count);
    // As `meshctl test` runs: one simulator for the batch, each proxy compiled on first use.
    bencher.counter(ItemsCount::new(count)).bench(|| {
        let sim = Simulator::new(&cx);
        reqs.iter().map(|r| sim.run(r).destinations.len()).sum::<usize>()
    });
}

/// The same batch on a simulator that has already compiled every proxy the batch enters: the
/// cost per request alone, without compiling route tables; with the explanation (`run`) or
/// without it (`decide`, what `meshctl test` does for cases that do not expect on the trace).
#[divan::bench(args = ["run", "decide"], sample_count = 5)]
fn simulate_1000_services_compiled(bencher: Bencher, how: &str) {
    let (inputs, options) = (mesh_of_1000_services(), LintOptions::default());
    let cx = inputs.context(&options);
    let reqs = requests(1_000, 10_000);
    let sim = Simulator::new(&cx);
    let answer = |r| if how == "run" { sim.run(r) } else { sim.decide(r) };
    reqs.iter().for_each(|r| drop(answer(r)));
    bencher
        .counter(ItemsCount::new(reqs.len()))
        .bench_local(|| reqs.iter().map(|r| answer(r).destinations.len()).sum::<usize>());
}

/// Shadow analysis of one VirtualService with this many HTTP rules (the target: 2,000
/// rules in under 200 ms).
#[divan::bench(args = [200, 2_000], sample_count = 10)]
fn shadow_analysis(bencher: Bencher, rules: usize) {
    let mut sources = Sources::default();
    sources.add("long.yaml".into(), synth::long_virtual_service(rules));
    let inputs = Inputs::parse(sources);
    let Some(Some(Ok(Typed::VirtualService(vs)))) = inputs.typed.first() else { panic!("a VirtualService") };
    bencher.counter(ItemsCount::new(rules)).bench(|| unreachable_and_ineffective(vs).len());
}
