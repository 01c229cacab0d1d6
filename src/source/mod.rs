//! Reading manifests: files, directories and stdin; documents with byte spans; line/column mapping.
//!
//! Everything downstream refers to text through [`Span`] (a byte range in one [`SourceFile`]) and
//! turns it into a human position with [`Sources::location`].

pub mod classify;
mod goscan;
mod lines;
mod load;
mod yaml;

pub use classify::{NotAResource, Skipped};
pub use lines::LineIndex;
pub use load::{Collected, LoadError, collect_paths, lexical_absolute, read_inputs};
pub use yaml::{
    Ambiguity, AmbiguousScalar, Document, DuplicateKey, NodeSpan, ParseProblem, ProblemKind, SpanIndex, escape_segment,
    parse_file, resolve_plain,
};

use serde::Serialize;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end.max(start) as u32 }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One input: a file on disk or standard input, with its whole text.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path as the user will see it (relative to where they ran meshctl when possible; `-` is
    /// shown as `<stdin>`).
    pub name: String,
    pub text: String,
    pub lines: LineIndex,
    /// Byte offset of the first invalid UTF-8 sequence, which `text` holds as U+FFFD.
    pub invalid_utf8: Option<usize>,
    /// Byte offsets in `text` of every U+FFFD that stands for invalid UTF-8, in order.
    pub replacements: Vec<u32>,
}

impl SourceFile {
    pub fn new(id: FileId, name: String, text: String) -> SourceFile {
        let lines = LineIndex::new(&text);
        SourceFile { id, name, text, lines, invalid_utf8: None, replacements: Vec::new() }
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }
}

/// A position for people: 1-based lines, 1-based columns counted in characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// Every input of one run.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: String, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(id, name, text));
        id
    }

    /// Add a file from raw bytes; invalid UTF-8 is replaced and where is remembered.
    pub fn add_bytes(&mut self, name: String, bytes: Vec<u8>) -> FileId {
        match String::from_utf8(bytes) {
            Ok(text) => self.add(name, text),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let mut text = String::with_capacity(e.as_bytes().len());
                let mut replacements = Vec::new();
                for chunk in e.as_bytes().utf8_chunks() {
                    text.push_str(chunk.valid());
                    if !chunk.invalid().is_empty() {
                        replacements.push(text.len() as u32);
                        text.push('\u{fffd}');
                    }
                }
                let id = self.add(name, text);
                let f = &mut self.files[id.0 as usize];
                f.invalid_utf8 = Some(at);
                f.replacements = replacements;
                id
            }
        }
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// `span` cut at the end of its first line (without the line break): findings point at one
    /// line, not at the whole mapping below a key.
    pub fn first_line(&self, span: Span) -> Span {
        let text = &self.file(span.file).text;
        let (s, e) = (span.start as usize, (span.end as usize).min(text.len()));
        match text.get(s..e).and_then(|t| t.find('\n')) {
            Some(i) => {
                let end = if i > 0 && text.as_bytes()[s + i - 1] == b'\r' { s + i - 1 } else { s + i };
                Span { end: end.max(s) as u32, ..span }
            }
            None => span,
        }
    }

    pub fn location(&self, span: Span) -> Location {
        let f = self.file(span.file);
        let (line, column) = f.lines.line_col(&f.text, span.start as usize);
        let (end_line, end_column) = f.lines.line_col(&f.text, span.end as usize);
        Location { file: f.name.clone(), line, column, end_line, end_column }
    }
}
