use super::kube::{KubeArgs, ManifestPaths, read_manifests};
use super::{ColorChoice, exit, fail, use_color};
use crate::cluster::{ApplyOptions, Cluster, apply, block_on};
use crate::lint::config::Config;
use crate::lint::{LintOptions, Severity, lint_paths};
use crate::report::{Format, Report, Style, Summary, render};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Write.
    None,
    /// Let the server check every object, write nothing.
    Server,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub manifests: ManifestPaths,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// `server`: the server checks every object and nothing is written.
    #[arg(long, value_enum, default_value_t = DryRun::None)]
    pub dry_run: DryRun,
    /// Take over fields another field manager owns instead of refusing.
    #[arg(long)]
    pub force_conflicts: bool,
    /// The field manager that owns what meshctl applies.
    #[arg(long, default_value = "meshctl")]
    pub field_manager: String,
    /// Apply without linting first (by default lint errors refuse the apply).
    #[arg(long)]
    pub no_lint: bool,
}

/// Lint `paths` as `meshctl lint` would; `Err(code)` when there are errors (printed to stderr).
pub(super) fn lint_gate(paths: &[PathBuf], namespace: &str, color: ColorChoice) -> Result<(), u8> {
    let config = std::env::current_dir()
        .map_err(|e| e.to_string())
        .and_then(|d| Config::discover(&d).map_err(|e| e.to_string()))
        .map_err(fail)?;
    let options = LintOptions { default_namespace: namespace.to_string(), config, ..LintOptions::default() };
    let outcome = lint_paths(paths, &options).map_err(fail)?;
    let errors = outcome.count(Severity::Error);
    if errors == 0 {
        return Ok(());
    }
    let errors_only: Vec<_> = outcome.diagnostics.iter().filter(|d| d.severity == Severity::Error).cloned().collect();
    let rules = crate::lint::rules::all();
    let report = Report {
        diagnostics: &errors_only,
        sources: &outcome.sources,
        rules: &rules,
        summary: Summary { files: outcome.sources.files.len(), resources: outcome.resources },
    };
    let style = Style { color: use_color(color), width: 100 };
    let mut err = std::io::stderr().lock();
    let _ = render(Format::Human, &report, &style, &mut err);
    eprintln!("meshctl: {errors} lint error(s): nothing sent to the cluster (fix them, or pass --no-lint)");
    Err(exit::FINDINGS)
}

pub fn run(a: ApplyArgs, color: ColorChoice) -> u8 {
    let target = a.kube.target();
    let options = ApplyOptions {
        field_manager: a.field_manager.clone(),
        force_conflicts: a.force_conflicts,
        dry_run: a.dry_run == DryRun::Server,
    };
    let paths = a.manifests.all();
    let result = block_on(async {
        let mut cluster = Cluster::connect(&target).await?;
        let namespace = cluster.namespace.clone();
        if a.no_lint {
            eprintln!("meshctl: WARNING: --no-lint: applying without linting");
        } else if let Err(code) = lint_gate(&paths, &namespace, color) {
            return Ok(Err(code));
        }
        let manifests = read_manifests(&paths, &namespace)?;
        let mut out = std::io::stdout().lock();
        apply(&mut cluster, manifests, &options, &mut out).await.map(Ok)
    });
    match result.and_then(|r| r) {
        Ok(Ok(true)) => exit::OK,
        Ok(Ok(false)) => exit::ERROR,
        Ok(Err(code)) => code,
        Err(e) => fail(e),
    }
}
