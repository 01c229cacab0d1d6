use clap::Parser;
use std::process::ExitCode;

/// mimalloc: the lint of a large mesh allocates millions of small nodes and strings from several
/// threads, where it is faster than the system allocator and holds less memory (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    meshctl::cli::run(meshctl::cli::Cli::parse())
}
