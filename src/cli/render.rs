use super::fail;
use super::kube::{ManifestPaths, read_manifests};
use crate::cluster::{mask_secret, yaml::to_yaml};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// One YAML document per object.
    Yaml,
    /// A `kind: List` holding the objects.
    Json,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub manifests: ManifestPaths,
    /// Namespace of objects that name none.
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Output format.
    #[arg(long, short = 'o', value_name = "FORMAT", value_enum, default_value_t = RenderFormat::Yaml)]
    pub output: RenderFormat,
    /// Print Secret `data`/`stringData` values instead of `***`.
    #[arg(long)]
    pub show_secrets: bool,
}

pub fn run(a: RenderArgs) -> u8 {
    let manifests = match read_manifests(&a.manifests.all(), &a.namespace) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let mut values: Vec<Value> = manifests.into_iter().map(|m| m.value).collect();
    if !a.show_secrets {
        for v in &mut values {
            mask_secret(v, None, "");
        }
    }
    let text = match a.output {
        RenderFormat::Yaml => values.iter().map(to_yaml).collect::<Vec<_>>().join("---\n"),
        RenderFormat::Json => {
            let list = json!({"apiVersion": "v1", "kind": "List", "items": values});
            serde_json::to_string_pretty(&list).map(|s| s + "\n").unwrap_or_default()
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => fail(format!("cannot write the output: {e}")),
        _ => super::exit::OK,
    }
}
