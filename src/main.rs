use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    meshctl::cli::run(meshctl::cli::Cli::parse())
}
