use super::{exit, fail};
use crate::lint::Inputs;
use crate::lint::config::Config;
use crate::mesh::graph::MeshGraph;
use crate::report::graph;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (Markdown, GitHub).
    Mermaid,
    /// Nodes and edges with their resources and locations.
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Files and directories to read (directories recursively: *.yaml, *.yml, *.json); `-` reads stdin.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        visible_short_alias = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t = GraphFormat::Dot
    )]
    pub format: GraphFormat,
    /// Keep only what leads to or from this host (short names resolve in -n) or Gateway (NS/NAME or NAME).
    #[arg(long, value_name = "HOST_OR_GATEWAY")]
    pub focus: Option<String>,
    /// Namespace of objects that name none.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Istio MeshConfig (YAML or JSON, or the istio ConfigMap): root namespace, default exportTo.
    #[arg(long, value_name = "FILE")]
    pub mesh_config: Option<PathBuf>,
    /// An istiod setting, NAME=VALUE (repeatable): `PILOT_ENABLE_ALPHA_GATEWAY_API=true` makes
    /// istiod serve Gateway API TCP listeners and TCPRoutes.
    #[arg(long, value_name = "NAME=VALUE")]
    pub istiod_env: Vec<String>,
}

pub fn run(a: GraphArgs) -> u8 {
    let config = match crate::mesh::MeshConfig::from_flags(a.mesh_config.as_deref(), &a.istiod_env) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let inputs = match Inputs::read(&a.paths, &Config::default()) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    super::warn_left_out(&inputs);
    let options =
        crate::lint::LintOptions { default_namespace: a.namespace.clone(), mesh: config, ..Default::default() };
    let cx = inputs.context(&options);
    let mut g = MeshGraph::build_secured(&cx);
    if let Some(target) = &a.focus {
        match g.focus(target, &a.namespace) {
            Some(f) => g = f,
            None => return fail(format!("--focus `{target}`: no host or Gateway of that name in the graph")),
        }
    }
    let text = match a.format {
        GraphFormat::Dot => graph::dot(&g),
        GraphFormat::Mermaid => graph::mermaid(&g),
        GraphFormat::Json => graph::json(&g, &inputs),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = std::io::Write::write_all(&mut out, text.as_bytes()).and_then(|_| std::io::Write::flush(&mut out))
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fail(format!("cannot write the graph: {e}"));
    }
    exit::OK
}
