use super::{ColorChoice, exit, fail, use_color};
use crate::lint::config::Config;
use crate::lint::{LintOptions, Severity, lint_paths};
use crate::report::{Format, Report, Style, Summary, render};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and directories to lint (directories recursively: *.yaml, *.yml, *.json); `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Run only these rules (codes, code prefixes such as MESH02, or names); repeatable, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules (codes, code prefixes or names); repeatable, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Configuration file (default: .meshctl.yaml found from the working directory upwards).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Ignore any .meshctl.yaml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Namespace of objects that name none.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy,
    /// default exportTo, proxy metadata.
    #[arg(long)]
    pub mesh_config: Option<PathBuf>,
}

pub fn run(a: LintArgs, color: ColorChoice) -> u8 {
    let mut config = if a.no_config {
        Config::default()
    } else if let Some(p) = &a.config {
        match Config::load(p) {
            Ok(c) => c,
            Err(e) => return fail(e),
        }
    } else {
        match std::env::current_dir()
            .map_err(|e| e.to_string())
            .and_then(|d| Config::discover(&d).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => return fail(e),
        }
    };
    if !a.select.is_empty() {
        config.select = Some(a.select.clone());
    }
    config.ignore.extend(a.ignore.iter().cloned());
    for pattern in config.select.iter().flatten().chain(&config.ignore).chain(config.severity.keys()) {
        if pattern != "ALL"
            && !crate::lint::rules::all().iter().any(|m| m.code.starts_with(pattern.as_str()) || m.name == pattern)
        {
            return fail(format!("`{pattern}` matches no rule (see `meshctl rules`)"));
        }
    }
    let mesh = match &a.mesh_config {
        Some(p) => match crate::mesh::MeshConfig::load(p) {
            Ok(m) => m,
            Err(e) => return fail(e),
        },
        None => crate::mesh::MeshConfig::default(),
    };
    let options = LintOptions { default_namespace: a.namespace.clone(), config, mesh };
    let outcome = match lint_paths(&a.paths, &options) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let rules = crate::lint::rules::all();
    let report = Report {
        diagnostics: &outcome.diagnostics,
        sources: &outcome.sources,
        rules: &rules,
        summary: Summary { files: outcome.sources.files.len(), resources: outcome.resources },
    };
    let style = Style { color: a.format == Format::Human && use_color(color), width: terminal_width() };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Err(e) = render(a.format, &report, &style, &mut out).and_then(|_| std::io::Write::flush(&mut out))
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fail(format!("cannot write the report: {e}"));
    }
    let threshold = match a.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    match (threshold, outcome.worst()) {
        (Some(t), Some(w)) if w >= t => exit::FINDINGS,
        _ => exit::OK,
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100)
}
