//! Finding and reading inputs: files, directories (recursive), and `-` for stdin.

use super::Sources;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Expand the command-line paths into the files to read, in a deterministic order: each argument
/// in the order given, a directory's files sorted by path. Hidden folders and `target/` are
/// skipped; in a directory only `*.yaml`, `*.yml` and `*.json` are read. A file named on the
/// command line is read whatever its extension.
pub fn collect_paths(args: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for a in args {
        if a.as_os_str() == "-" {
            out.push(a.clone());
            continue;
        }
        let meta = std::fs::metadata(a).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound { path: a.display().to_string() },
            _ => LoadError::Io { path: a.display().to_string(), source: e },
        })?;
        if meta.is_dir() {
            walk(a, &mut out)?;
        } else {
            out.push(a.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |e| LoadError::Io { path: dir.display().to_string(), source: e };
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let path = e.path();
        let ft = e.file_type().map_err(|err| LoadError::Io { path: path.display().to_string(), source: err })?;
        let is_dir = ft.is_dir() || (ft.is_symlink() && path.is_dir());
        if is_dir {
            if name.starts_with('.') || name == "target" {
                continue;
            }
            walk(&path, out)?;
        } else if is_manifest_name(&name) {
            out.push(path);
        }
    }
    Ok(())
}

pub fn is_manifest_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Read every path into `sources`. Invalid UTF-8 is replaced (and remembered by the file), so
/// nothing is lost and the rest of the file is still read.
pub fn read_inputs(paths: &[PathBuf], sources: &mut Sources) -> Result<(), LoadError> {
    let mut stdin_read = false;
    for p in paths {
        let (name, bytes) = if p.as_os_str() == "-" {
            let mut buf = Vec::new();
            if !stdin_read {
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .map_err(|e| LoadError::Io { path: "<stdin>".into(), source: e })?;
                stdin_read = true;
            }
            ("<stdin>".to_string(), buf)
        } else {
            let bytes = std::fs::read(p).map_err(|e| LoadError::Io { path: p.display().to_string(), source: e })?;
            (display_name(p), bytes)
        };
        sources.add_bytes(name, bytes);
    }
    Ok(())
}

fn display_name(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
