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
    #[error("nothing to read: {why}")]
    Nothing { why: String },
}

/// The files to read, and what was passed over on the way, for the user to be told.
#[derive(Debug, Default)]
pub struct Collected {
    pub files: Vec<PathBuf>,
    /// One sentence each: a symbolic link loop not followed, a file reached twice and read once, a
    /// directory with no manifest in it.
    pub notes: Vec<String>,
}

/// Expand the command-line paths into the files to read, in a deterministic order: each argument
/// in the order given, a directory's files sorted by path. Hidden folders and `target/` are
/// skipped; in a directory only `*.yaml`, `*.yml` and `*.json` are read. A file named on the
/// command line is read whatever its extension. A file is read once however many paths reach it
/// (through links, or named twice), and a link back to a folder being walked is not followed.
pub fn collect_paths(args: &[PathBuf]) -> Result<Collected, LoadError> {
    let mut walk = Walk::default();
    for a in args {
        if a.as_os_str() == "-" {
            walk.out.files.push(a.clone());
            continue;
        }
        let meta = std::fs::metadata(a).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound { path: a.display().to_string() },
            _ => LoadError::Io { path: a.display().to_string(), source: e },
        })?;
        if meta.is_dir() {
            let before = walk.out.files.len();
            walk.dir(a)?;
            if walk.out.files.len() == before {
                walk.out.notes.push(format!("{}: no *.yaml, *.yml or *.json file in it", a.display()));
            }
        } else {
            walk.file(a.clone());
        }
    }
    Ok(walk.out)
}

#[derive(Default)]
struct Walk {
    out: Collected,
    /// The canonical paths of the files taken so far.
    seen: std::collections::HashSet<PathBuf>,
    /// The canonical paths of the folders being walked, outermost first.
    ancestors: Vec<PathBuf>,
}

impl Walk {
    fn file(&mut self, path: PathBuf) {
        match std::fs::canonicalize(&path) {
            Ok(real) if !self.seen.insert(real.clone()) => {
                self.out.notes.push(format!(
                    "{}: the same file as one already read ({}); read once",
                    path.display(),
                    real.display()
                ));
            }
            _ => self.out.files.push(path),
        }
    }

    fn dir(&mut self, dir: &Path) -> Result<(), LoadError> {
        let io = |e| LoadError::Io { path: dir.display().to_string(), source: e };
        let real = std::fs::canonicalize(dir).map_err(io)?;
        if let Some(outer) = self.ancestors.iter().find(|a| **a == real) {
            self.out.notes.push(format!(
                "{}: a symbolic link back to {}, which is being read; not followed",
                dir.display(),
                outer.display()
            ));
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
        entries.sort_by_key(|e| e.file_name());
        self.ancestors.push(real);
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
                self.dir(&path)?;
            } else if is_manifest_name(&name) && !name.starts_with('.') {
                self.file(path);
            }
        }
        self.ancestors.pop();
        Ok(())
    }
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

/// `path` made absolute against the working directory, with `.` and `..` folded without
/// touching the file system.
pub fn lexical_absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
