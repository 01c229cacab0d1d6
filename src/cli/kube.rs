//! What the cluster commands share: which cluster (kubeconfig, `--context`, `-n`, `--timeout`)
//! and reading the manifests they send.

use crate::cluster::{Manifest, Target, manifests, parse_timeout};
use crate::lint::Inputs;
use crate::lint::config::Config;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct KubeArgs {
    /// The kubeconfig context to use (default: its current-context). The kubeconfig is
    /// `KUBECONFIG` or ~/.kube/config, as for kubectl.
    #[arg(long)]
    pub context: Option<String>,
    /// Namespace of objects that name none (default: the context's namespace, else `default`).
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// Bound on each request to the API server (30, 30s, 2m, 500ms).
    #[arg(long, default_value = "30s", value_parser = parse_timeout)]
    pub timeout: Duration,
}

impl KubeArgs {
    pub fn target(&self) -> Target {
        Target { context: self.context.clone(), namespace: self.namespace.clone(), timeout: self.timeout }
    }
}

/// The manifests of `render`, `diff` and `apply`: paths as arguments and as kubectl's `-f`.
#[derive(Debug, Args)]
pub struct ManifestPaths {
    /// Files and directories of manifests (directories recursively: *.yaml, *.yml, *.json); `-`
    /// reads stdin. Default: `.`, when neither these nor -f are given.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A file or directory of manifests, as kubectl's `-f` (directories are always read
    /// recursively: there is no `-R`); repeatable, read after the PATH arguments.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,
}

impl ManifestPaths {
    /// Every path given, in order, or `.`.
    pub fn all(&self) -> Vec<PathBuf> {
        let given: Vec<PathBuf> = self.paths.iter().chain(&self.filenames).cloned().collect();
        if given.is_empty() { vec![PathBuf::from(".")] } else { given }
    }
}

/// The objects in `paths`, in apply order, namespaces defaulted to `namespace`.
pub fn read_manifests(paths: &[PathBuf], namespace: &str) -> Result<Vec<Manifest>, String> {
    let inputs = Inputs::read(paths, &Config::default()).map_err(|e| e.to_string())?;
    super::note(&inputs.notes);
    manifests(&inputs, namespace)
}
