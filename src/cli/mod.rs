//! Command-line interface: clap definitions, one file per subcommand.

mod apply;
pub(crate) mod cases_schema;
mod completions;
mod diff;
mod explain;
mod graph;
mod kube;
mod lint;
mod render;
mod rules;
mod schema;
mod simulate;
mod test;
mod validator_cases;

pub use simulate::{SimFormat, SimulateArgs, build_request as simulate_request, human as simulate_human};

pub use completions::completion_script;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "meshctl", version, about = "Lint Istio service-mesh manifests: every finding at file:line:col")]
#[command(propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// When to use colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests: YAML, schema and structural checks, at file:line:col.
    Lint(lint::LintArgs),
    /// Draw the mesh: gateway servers, VirtualService rules, services, subsets and workloads.
    Graph(graph::GraphArgs),
    /// List every rule: code, name, default severity, Istio equivalent.
    Rules(rules::RulesArgs),
    /// Print the documentation of one rule.
    Explain(explain::ExplainArgs),
    /// Print the JSON Schema meshctl checks a kind against, or that of one of its own files (list
    /// them without KIND).
    Schema(schema::SchemaArgs),
    /// Send one request through the compiled Istio routing and explain where it goes.
    Simulate(simulate::SimulateArgs),
    /// Run routing expectations (`tests: [{name, request, expect}]`) through the routing engine;
    /// exits 1 when one fails.
    Test(test::TestArgs),
    /// Print the objects `apply` would send, in apply order, namespaces filled in.
    Render(render::RenderArgs),
    /// Compare the live objects with what `apply` would make of them (unified diff, Secrets
    /// masked), and the lint findings the change introduces and fixes; exits 1 when they differ.
    Diff(diff::DiffArgs),
    /// Lint, check every object with a server-side dry run, then server-side apply them all, or
    /// write nothing when the server refuses one.
    Apply(apply::ApplyArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
}

/// meshctl's exit codes.
pub mod exit {
    /// Nothing at or above the failure threshold.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// meshctl could not do its job: bad flags, unreadable path, bad configuration.
    pub const ERROR: u8 = 2;
}

pub fn run(cli: Cli) -> ExitCode {
    let color = cli.color;
    let code = match cli.command {
        Command::Lint(a) => lint::run(a, color),
        Command::Graph(a) => graph::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Test(a) => test::run(a),
        Command::Render(a) => render::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Apply(a) => apply::run(a, color),
        Command::Completions(a) => completions::run(a),
    };
    ExitCode::from(code)
}

/// Print an error the way every subcommand does, and return the exit code for it.
pub(crate) fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("meshctl: error: {message}");
    exit::ERROR
}

/// Say on stderr, once each, what of the input the answer is computed without (files passed over,
/// documents that do not parse, objects or fields that do not fit their kind), for the commands that do not report
/// findings: `graph`, `simulate`, `test`.
pub(crate) fn warn_left_out(inputs: &crate::lint::Inputs) {
    note(&inputs.notes);
    for line in inputs.left_out() {
        eprintln!("meshctl: warning: {line}");
    }
}

/// What was passed over while finding the files, on stderr.
pub(crate) fn note(notes: &[String]) {
    for n in notes {
        eprintln!("meshctl: note: {n}");
    }
}

/// Whether to colour output on stdout.
pub(crate) fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The clap command, for completions and docs.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
