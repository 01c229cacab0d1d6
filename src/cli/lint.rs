use super::{ColorChoice, exit, fail, use_color};
use crate::cluster::{Cluster, Identity, Istiod, Target, block_on, deciding, istiods, list_live};
use crate::lint::config::{Config, check_pattern};
use crate::lint::{Inputs, LintOptions, Outcome, Severity, lint_paths, lint_sources};
use crate::report::{Format, Report, Style, Summary, render};
use crate::source::Sources;
use clap::{Args, ValueEnum};
use std::collections::HashSet;
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
    /// Default: `.`, or none with --kube.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        visible_short_alias = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t = Format::Human
    )]
    pub format: Format,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Run only these rules: codes (MESH0201), code prefixes (MESH02), names, Istio codes (IST0101:
    /// every rule with that code) or ALL, in any case; repeatable, comma-separated. Replaces the
    /// configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Do not run these rules, named as for --select; repeatable, comma-separated. Adds to the
    /// configuration's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Configuration file (default: .meshctl.yaml found from the working directory upwards).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any .meshctl.yaml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Namespace of objects that name none (default: `default`; with --kube, the context's
    /// namespace), and the namespace --kube reads.
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Also read the live objects lint needs from the cluster (listed, never watched); a file
    /// overrides the live object of the same kind, namespace and name.
    #[arg(long)]
    pub kube: bool,
    /// With --kube: the kubeconfig context (default: its current-context).
    #[arg(long, requires = "kube")]
    pub context: Option<String>,
    /// With --kube: read every namespace.
    #[arg(long, short = 'A', requires = "kube", conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// With --kube: bound on the whole cluster read (30, 30s, 2m).
    #[arg(long, requires = "kube", default_value = "30s", value_parser = crate::cluster::parse_timeout)]
    pub timeout: std::time::Duration,
    /// Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, outbound policy,
    /// default exportTo, proxy metadata.
    #[arg(long, value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes
    /// istiod serve Gateway API TCP listeners and TCPRoutes.
    #[arg(long, value_name = "NAME=VALUE")]
    pub istiod_env: Vec<String>,
    /// Validate Istio kinds with the CRDs of this Istio release (`1.31`; default: `istioVersion` in
    /// .meshctl.yaml, else the newest).
    #[arg(long, value_name = "VERSION")]
    pub istio_version: Option<String>,
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
    for (flag, pattern) in a.select.iter().map(|p| ("--select", p)).chain(a.ignore.iter().map(|p| ("--ignore", p))) {
        if let Err(e) = check_pattern(pattern) {
            return fail(format!("{flag}: {e}"));
        }
    }
    if !a.select.is_empty() {
        config.select = Some(a.select.clone());
    }
    config.ignore.extend(a.ignore.iter().cloned());
    // The flag wins over the configuration's `istioVersion` (checked when the file was read).
    if let Some(Err(e)) =
        a.istio_version.as_deref().or(config.istio_version.as_deref()).map(crate::schema::select_istio_release)
    {
        return fail(e);
    }
    let mesh = match crate::mesh::MeshConfig::from_flags(a.mesh_config.as_deref(), &a.istiod_env) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let outcome = if a.kube {
        let pinned = a.istio_version.is_some() || config.istio_version.is_some();
        match lint_with_cluster(&a, config, mesh, pinned) {
            Ok(o) => o,
            Err(e) => return fail(e),
        }
    } else {
        let paths = if a.paths.is_empty() { vec![PathBuf::from(".")] } else { a.paths.clone() };
        let namespace = a.namespace.clone().unwrap_or_else(|| "default".into());
        let options = LintOptions { default_namespace: namespace, config, mesh };
        match lint_paths(&paths, &options) {
            Ok(o) => o,
            Err(e) => return fail(e),
        }
    };
    super::note(&outcome.notes);
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

/// Selects the Istio release the cluster runs and says which, and from what; or says that the
/// default stays, and why.
fn note_istio_release(context: &str, istiods: Result<Vec<Istiod>, String>) {
    let newest = crate::schema::istio_releases().last().copied().unwrap_or_default();
    let found = match &istiods {
        Ok(all) => deciding(all),
        Err(_) => None,
    };
    let Some(istiod) = found else {
        let why = match istiods {
            Err(e) => e,
            Ok(_) => format!("context `{context}` runs no istiod Deployment (label app=istiod) that names its release"),
        };
        eprintln!("meshctl: note: validating Istio kinds for {newest}, the newest meshctl has: {why}");
        return;
    };
    let (release, exact) = crate::schema::select_istio_release_nearest(&istiod.version);
    let what = format!(
        "istiod {} (revision {}, {}) runs Istio {}",
        istiod.deployment, istiod.revision, istiod.from, istiod.version
    );
    if exact {
        eprintln!("meshctl: note: validating Istio kinds for {release}: {what}");
    } else {
        eprintln!(
            "meshctl: note: validating Istio kinds for {release}, the nearest release meshctl has schemas for: {what}"
        );
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100)
}

/// `lint --kube`: the files plus the live objects they do not override, linted together. Unless
/// `pinned` (by `--istio-version` or `istioVersion:`), Istio kinds are validated for the release
/// the cluster's istiod runs.
fn lint_with_cluster(
    a: &LintArgs,
    config: Config,
    mesh: crate::mesh::MeshConfig,
    pinned: bool,
) -> Result<Outcome, String> {
    let target = Target { context: a.context.clone(), namespace: a.namespace.clone(), timeout: a.timeout };
    let all = a.all_namespaces;
    let read = block_on(async {
        let bounded = async {
            let mut cluster = Cluster::connect(&target).await?;
            let namespace = cluster.namespace.clone();
            let (live, missing) = list_live(&mut cluster, (!all).then_some(namespace.as_str())).await?;
            let istiods = if pinned { Ok(Vec::new()) } else { istiods(&mut cluster).await? };
            Ok::<_, String>((cluster.context, namespace, live, missing, istiods))
        };
        match tokio::time::timeout(target.timeout, bounded).await {
            Ok(r) => r,
            Err(_) => {
                Err(format!("the cluster read did not finish within {} s (--timeout)", target.timeout.as_secs_f64()))
            }
        }
    })?;
    let (context, namespace, live, missing, istiods) = read?;
    if !missing.is_empty() {
        eprintln!("meshctl: note: context `{context}` does not serve {}; linted without them", missing.join(", "));
    }
    if !pinned {
        note_istio_release(&context, istiods);
    }
    let files = Inputs::read(&a.paths, &config).map_err(|e| e.to_string())?;
    let overridden: HashSet<Identity> = files
        .objects
        .iter()
        .filter_map(|o| {
            let namespaced = crate::model::kinds::lookup(&o.api_version, &o.kind).is_none_or(|k| k.namespaced);
            Some(Identity {
                group: o.group().to_string(),
                kind: o.kind.clone(),
                namespace: namespaced.then(|| o.namespace_or(&namespace).to_string()),
                name: o.name.clone()?,
            })
        })
        .collect();
    let mut sources = Sources::default();
    for f in files.sources.files {
        sources.add(f.name, f.text);
    }
    for l in live.into_iter().filter(|l| !overridden.contains(&l.id)) {
        sources.add(l.location, l.text);
    }
    let options = LintOptions { default_namespace: namespace, config, mesh };
    let mut outcome = lint_sources(sources, &options);
    outcome.notes = files.notes;
    Ok(outcome)
}
