use super::kube::{KubeArgs, ManifestPaths, read_manifests};
use super::{exit, fail};
use crate::cluster::{ApplyOptions, Cluster, block_on, diff};
use crate::lint::LintOptions;
use crate::lint::config::Config;
use clap::Args;
use std::io::Write;

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub manifests: ManifestPaths,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Show the result of taking over fields another field manager owns (as `apply --force-conflicts`).
    #[arg(long)]
    pub force_conflicts: bool,
    /// The field manager meshctl applies as.
    #[arg(long, default_value = "meshctl")]
    pub field_manager: String,
}

pub fn run(a: DiffArgs) -> u8 {
    let target = a.kube.target();
    let options =
        ApplyOptions { field_manager: a.field_manager.clone(), force_conflicts: a.force_conflicts, dry_run: true };
    let result = block_on(async {
        let mut cluster = Cluster::connect(&target).await?;
        let namespace = cluster.namespace.clone();
        let manifests = read_manifests(&a.manifests.all(), &namespace)?;
        let config = std::env::current_dir()
            .map_err(|e| e.to_string())
            .and_then(|d| Config::discover(&d).map_err(|e| e.to_string()))?;
        let lint = LintOptions { default_namespace: namespace, config, ..LintOptions::default() };
        diff(&mut cluster, manifests, &options, &lint).await
    });
    let outcome = match result.and_then(|r| r) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let mut out = std::io::stdout().lock();
    let mut text = outcome.text.clone();
    for r in &outcome.refused {
        text.push_str(r);
        text.push('\n');
    }
    let lint_lines =
        [("introduced", &outcome.introduced), ("fixed", &outcome.fixed), ("unchanged", &outcome.unchanged)];
    if lint_lines.iter().any(|(_, l)| !l.is_empty()) {
        text.push_str(&format!(
            "lint: {} introduced, {} fixed, {} unchanged\n",
            outcome.introduced.len(),
            outcome.fixed.len(),
            outcome.unchanged.len()
        ));
        for (what, lines) in lint_lines {
            for l in lines {
                text.push_str(&format!("  {what}: {l}\n"));
            }
        }
    }
    if let Err(e) = out.write_all(text.as_bytes())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fail(format!("cannot write the output: {e}"));
    }
    if !outcome.refused.is_empty() {
        exit::ERROR
    } else if outcome.changed > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
