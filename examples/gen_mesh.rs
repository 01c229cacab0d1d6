//! Write a synthetic mesh to a directory.
//!
//! ```text
//! cargo run --release --example gen_mesh -- --services 1000 --out DIR
//!     [--namespaces N] [--versions N] [--gateways N] [--dangling-hosts N] [--dangling-subsets N]
//!     [--gateway-api]
//! ```
//! Defaults follow `SynthOptions::new(services)`. Prints the resource count and, one per line,
//! every injected defect as `file:line:column kind pointer`.

use meshctl::synth::{self, SynthOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: gen_mesh --services N --out DIR [--namespaces N] [--versions N] \
                     [--gateways N] [--dangling-hosts N] [--dangling-subsets N] [--gateway-api]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_mesh: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut services = None;
    let mut out = None;
    let mut rest: Vec<(String, usize)> = Vec::new();
    let mut gateway_api = false;
    while let Some(flag) = args.next() {
        if flag == "--gateway-api" {
            gateway_api = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value)),
            "--services" => services = Some(number(&flag, &value)?),
            "--namespaces" | "--versions" | "--gateways" | "--dangling-hosts" | "--dangling-subsets" => {
                rest.push((flag.clone(), number(&flag, &value)?))
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    let services = services.ok_or("--services is required")?;
    let out = out.ok_or("--out is required")?;
    let mut opts = SynthOptions::new(services);
    opts.gateway_api = gateway_api;
    for (flag, n) in rest {
        match flag.as_str() {
            "--namespaces" => opts.namespaces = n,
            "--versions" => opts.versions = n,
            "--gateways" => opts.gateways = n,
            "--dangling-hosts" => opts.defects.dangling_hosts = n,
            _ => opts.defects.dangling_subsets = n,
        }
    }

    let started = Instant::now();
    let mesh = synth::generate(&opts);
    let elapsed = started.elapsed();

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    for (name, text) in &mesh.files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "{} resources in {} files ({:.1} MB) generated in {:.3} s",
        mesh.resources,
        mesh.files.len(),
        mesh.bytes() as f64 / 1e6,
        elapsed.as_secs_f64()
    );
    for d in &mesh.injected {
        println!("{}:{}:{} {} {}", d.file, d.line, d.column, d.kind, d.pointer);
    }
    Ok(())
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    value.parse().map_err(|_| format!("{flag}: not a number: {value}"))
}
