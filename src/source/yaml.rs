//! YAML (and JSON) documents from saphyr-parser's event stream, in one pass: the JSON value that
//! Kubernetes would see, and a span for every node, reachable by JSON pointer.
//!
//! Plain scalars are resolved as Kubernetes' YAML reader (sigs.k8s.io/yaml, YAML 1.1) resolves
//! them, and those that read differently than they look are remembered. A file is first split on
//! `---` lines, as kubectl splits it, so that a syntax error in one document loses only that one.

use super::{FileId, SourceFile, Span, goscan};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as YSpan};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// Nodes deeper than this are not built: no real manifest comes near it, and everything
/// downstream (typed model, schema validation) recurses.
pub const MAX_DEPTH: usize = 200;

/// Alias expansion may add at most this many nodes to a document, plus ten times its own size.
pub const ALIAS_BUDGET: usize = 100_000;

/// The spans of one node: the value itself and, for a mapping entry, its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSpan {
    pub value: Span,
    pub key: Option<Span>,
}

impl NodeSpan {
    /// Where a finding about this node points: a container at its key (its value spans many
    /// lines), a scalar at itself.
    pub fn focus(&self, is_container: bool) -> Span {
        match (is_container, self.key) {
            (true, Some(k)) => k,
            _ => self.value,
        }
    }
}

/// One node of a [`SpanIndex`]: byte offsets in the document's file, and its children as a range
/// of [`SpanIndex::children`] (for mappings: one child per entry, in the order of the value's map;
/// for sequences: one per item).
#[derive(Debug, Clone, Copy)]
struct SpanNode {
    value: (u32, u32),
    /// `NO_KEY` for a node that is not a mapping entry's value.
    key: (u32, u32),
    first_child: u32,
    child_count: u32,
}

const NO_KEY: (u32, u32) = (u32::MAX, u32::MAX);

/// JSON pointer → span for every node of one document: one flat arena per document, no
/// allocation per node.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    file: FileId,
    nodes: Vec<SpanNode>,
    children: Vec<u32>,
    root: Option<u32>,
}

impl SpanIndex {
    fn span(&self, node: u32) -> NodeSpan {
        let n = &self.nodes[node as usize];
        let span = |(start, end): (u32, u32)| Span { file: self.file, start, end };
        NodeSpan { value: span(n.value), key: (n.key != NO_KEY).then(|| span(n.key)) }
    }

    fn child(&self, node: u32, idx: usize) -> Option<u32> {
        let n = &self.nodes[node as usize];
        (idx < n.child_count as usize).then(|| self.children[n.first_child as usize + idx])
    }

    /// The spans of the node at `pointer` (RFC 6901) in `root`, the value this index was built with.
    pub fn get(&self, root: &Value, pointer: &str) -> Option<NodeSpan> {
        let mut node = self.root?;
        let mut value = root;
        if pointer.is_empty() {
            return Some(self.span(node));
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let seg = unescape(raw);
            let idx = match value {
                Value::Object(m) => {
                    let i = m.keys().position(|k| *k == seg)?;
                    value = &m[&*seg];
                    i
                }
                Value::Array(a) => {
                    let i: usize = seg.parse().ok()?;
                    value = a.get(i)?;
                    i
                }
                _ => return None,
            };
            node = self.child(node, idx)?;
        }
        Some(self.span(node))
    }

    /// The deepest node on the way to `pointer` that exists: a finding about a missing field
    /// points at the object that lacks it.
    pub fn nearest(&self, root: &Value, pointer: &str) -> Option<(String, NodeSpan)> {
        let mut p = pointer.to_string();
        loop {
            if let Some(s) = self.get(root, &p) {
                return Some((p, s));
            }
            let cut = p.rfind('/')?;
            p.truncate(cut);
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

fn unescape(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains('~') { seg.replace("~1", "/").replace("~0", "~").into() } else { seg.into() }
}

/// Escape one JSON-pointer segment.
pub fn escape_segment(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains(['~', '/']) { seg.replace('~', "~0").replace('/', "~1").into() } else { seg.into() }
}

/// A plain scalar that Kubernetes reads differently than a person would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// `yes`, `no`, `on`, `off`, `y`, `n` and their capitalisations: booleans in YAML 1.1.
    Boolean,
    /// A leading zero: `0755` is the octal number 493.
    Octal,
    /// `1_000`: underscores are dropped, it is the number 1000.
    Underscore,
    /// `1.10` is the number 1.1; a version string loses its trailing zero.
    TrailingZero,
    /// `~`, `Null`, `NULL`: null, not text.
    Null,
}

#[derive(Debug, Clone)]
pub struct AmbiguousScalar {
    pub pointer: String,
    pub span: Span,
    pub text: String,
    pub kind: Ambiguity,
    pub is_key: bool,
}

#[derive(Debug, Clone)]
pub struct DuplicateKey {
    pub pointer: String,
    pub key: String,
    /// The key that is kept (the last one).
    pub span: Span,
    /// The earlier one, which Kubernetes drops.
    pub first: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The YAML does not parse.
    Syntax,
    /// A tab character in the indentation.
    Tab,
    /// The file is not valid UTF-8.
    InvalidUtf8,
    /// Alias expansion ran over the budget.
    AliasBudget,
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A mapping key that is not a scalar.
    ComplexKey,
}

/// Something that kept (part of) a document from being read.
#[derive(Debug, Clone)]
pub struct ParseProblem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// One YAML document of a file.
#[derive(Debug)]
pub struct Document {
    pub file: FileId,
    /// 0-based position among the file's non-empty documents.
    pub index: usize,
    /// The whole document's text.
    pub range: Span,
    /// The value as Kubernetes would read it; `None` when the document could not be read.
    pub value: Option<Value>,
    pub spans: SpanIndex,
    pub ambiguous: Vec<AmbiguousScalar>,
    pub duplicates: Vec<DuplicateKey>,
    pub problems: Vec<ParseProblem>,
}

impl Document {
    /// The span to report for the node at `pointer`, or the nearest existing ancestor.
    pub fn span_of(&self, pointer: &str) -> Span {
        let Some(root) = &self.value else { return self.head() };
        match self.spans.nearest(root, pointer) {
            Some((p, ns)) => {
                let is_container = matches!(root.pointer(&p), Some(Value::Object(_)) | Some(Value::Array(_)));
                ns.focus(is_container)
            }
            None => self.head(),
        }
    }

    /// The spans of the node at `pointer`, if it exists.
    pub fn node(&self, pointer: &str) -> Option<NodeSpan> {
        self.spans.get(self.value.as_ref()?, pointer)
    }

    /// An empty span at the start of the document's content.
    pub fn head(&self) -> Span {
        Span { file: self.file, start: self.range.start, end: self.range.start }
    }
}

/// Split a file into documents and parse each one.
pub fn parse_file(file: &SourceFile) -> Vec<Document> {
    use rayon::prelude::*;
    let text = file.text.as_str();
    let json = json_stream(text);
    let from = match &json {
        Some(JsonStream { yaml_from: Some(from), .. }) => *from,
        _ => 0,
    };
    let chunks =
        if matches!(json, Some(JsonStream { yaml_from: None, .. })) { Vec::new() } else { split_documents(text, from) };
    let parse = |c: &Chunk| -> Vec<Document> {
        let chunk = &text[c.start..c.end];
        // A chunk with only directives or markers has nothing to lint.
        let mut docs: Vec<Document> = if is_blank(chunk) {
            Vec::new()
        } else {
            parse_chunk(file.id, chunk, c.start, false)
                .into_iter()
                .filter(|d| d.value.is_some() || !d.problems.is_empty())
                .collect()
        };
        let end = c.bad_separator.map_or(c.end, |(_, e)| e);
        let decoded = match docs.first() {
            Some(d) if c.bad_separator.is_none() => decoded_end(text, c, d.range.end as usize),
            _ => end,
        };
        let mut refuse = |problem: ParseProblem| match docs.first_mut() {
            Some(d) => d.problems.push(problem),
            None => docs.push(refused(file.id, Span::new(file.id, c.start, end), problem)),
        };
        if let Some((s, e)) = c.bad_separator {
            refuse(ParseProblem {
                kind: ProblemKind::Syntax,
                span: Span::new(file.id, s, e),
                message: format!(
                    "`{}`: after `---` kubectl allows only a comment, and refuses the document before it (\"invalid Yaml document separator\")",
                    &text[s..e]
                ),
                help: Some("put what follows `---` on a line of its own".into()),
            });
        }
        if let Some(at) = file.replacements.iter().map(|r| *r as usize).find(|r| (c.start..decoded).contains(r)) {
            refuse(ParseProblem {
                kind: ProblemKind::InvalidUtf8,
                span: Span::new(file.id, at, at + '\u{fffd}'.len_utf8()),
                message: "this document is not valid UTF-8: kubectl refuses it".into(),
                help: Some("save the file as UTF-8; meshctl read the invalid bytes as U+FFFD".into()),
            });
        }
        if let Some((at, why)) = goscan::refused_tab(&text[c.start..c.end]) {
            let at = c.start + at;
            refuse(ParseProblem {
                kind: ProblemKind::Tab,
                span: Span::new(file.id, at, at + 1),
                message: why.message(),
                help: Some("put spaces there: YAML indents with spaces only".into()),
            });
        }
        if let Some((at, ch)) = text[c.start..decoded].char_indices().find(|(_, ch)| !go_yaml_printable(*ch)) {
            let at = c.start + at;
            refuse(ParseProblem {
                kind: ProblemKind::Syntax,
                span: Span::new(file.id, at, at + ch.len_utf8()),
                message: format!(
                    "the control character U+{:04X}: Kubernetes' YAML reader refuses the document (\"control characters are not allowed\")",
                    ch as u32
                ),
                help: Some("remove it, or write it as an escape in a double-quoted string (`\"\\x08\"`)".into()),
            });
        }
        docs
    };
    let mut docs: Vec<Document> = Vec::new();
    if let Some(json) = &json {
        docs.extend(json.values.iter().flat_map(|&(start, end)| json_document(file, start, end)));
        if let Some(stop) = &json.stopped {
            let span = Span::new(file.id, stop.at, (stop.at + 1).min(text.len()).max(stop.at));
            let message = format!(
                "kubectl reads this file as a stream of JSON values (it starts with `{{`), and after {} values it stops here: {}",
                json.values.len(),
                stop.message
            );
            let help = Some("write the file as YAML, or as JSON values only".into());
            docs.push(refused(
                file.id,
                Span::new(file.id, stop.at, text.len()),
                ParseProblem { kind: ProblemKind::Syntax, span, message, help },
            ));
        }
    }
    // The documents of a large file are parsed in parallel; small files are not worth the threads.
    if text.len() > PARALLEL_FILE_BYTES {
        docs.extend(chunks.par_iter().flat_map_iter(parse).collect::<Vec<_>>());
    } else {
        docs.extend(chunks.iter().flat_map(parse));
    }
    tab_problems(file, &mut docs);
    for (i, d) in docs.iter_mut().enumerate() {
        d.index = i;
    }
    docs
}

/// How far kubectl looks for the `{` of a JSON stream (cli-runtime's StreamVisitor, 4096 bytes).
const JSON_SNIFF_BYTES: usize = 4096;

/// The JSON values kubectl reads first from a file whose first non-space byte (within the first
/// [`JSON_SNIFF_BYTES`]) is `{` (k8s.io/apimachinery `util/yaml` `GuessJSONStream` and
/// `YAMLOrJSONDecoder.Decode`): it decodes JSON values one after the other. When one does not
/// decode and fewer than two did, it reads the rest as YAML, from past the white space up to the
/// first line break after the last value; after two or more, the error ends the stream.
struct JsonStream {
    /// Byte ranges of the values read as JSON.
    values: Vec<(usize, usize)>,
    /// Where YAML reading takes over (`None`: it does not).
    yaml_from: Option<usize>,
    /// The error that ended the stream (after two or more values).
    stopped: Option<JsonStop>,
}

struct JsonStop {
    at: usize,
    message: String,
}

fn json_stream(text: &str) -> Option<JsonStream> {
    let mut sniff = JSON_SNIFF_BYTES.min(text.len());
    while !text.is_char_boundary(sniff) {
        sniff -= 1;
    }
    let head = &text[..sniff];
    if !head.trim_start().starts_with('{') {
        return None;
    }
    let mut values = Vec::new();
    let mut at = 0;
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    loop {
        match stream.next() {
            None => return Some(JsonStream { values, yaml_from: None, stopped: None }),
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                let start = end - text[at..end].trim_start().len();
                values.push((start, end));
                at = end;
            }
            Some(Err(e)) if values.len() > 1 => {
                let at = byte_at(text, e.line(), e.column()).max(at);
                return Some(JsonStream {
                    values,
                    yaml_from: None,
                    stopped: Some(JsonStop { at, message: e.to_string() }),
                });
            }
            Some(Err(_)) => {
                // `consumeWhitespace`: white space up to and including the first line break.
                let rest = &text[at..];
                let skip = rest
                    .char_indices()
                    .find(|&(_, c)| !c.is_whitespace() || c == '\n')
                    .map_or(rest.len(), |(i, c)| if c == '\n' { i + 1 } else { i });
                return Some(JsonStream { values, yaml_from: Some(at + skip), stopped: None });
            }
        }
    }
}

/// The byte offset of serde_json's 1-based line and column (a column counts bytes).
fn byte_at(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}

/// One JSON value of a JSON stream, as a document. Its text is read by the YAML reader (JSON is
/// YAML's flow style), for the same values and spans as any manifest, once its surrogate escapes
/// are rewritten ([`surrogates_rewritten`]); a number too large for a float64, which kubectl's
/// decoding refuses, is refused.
fn json_document(file: &SourceFile, start: usize, end: usize) -> Vec<Document> {
    let raw = &file.text[start..end];
    let checked = surrogates_rewritten(raw, false);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&checked) {
        let at = start + byte_at(&checked, e.line(), e.column());
        let problem = ParseProblem {
            kind: ProblemKind::Syntax,
            span: Span::new(file.id, at.saturating_sub(1).max(start), at),
            message: format!("kubectl reads this file as JSON values and refuses this one: {e}"),
            help: None,
        };
        return vec![refused(file.id, Span::new(file.id, start, end), problem)];
    }
    let text = surrogates_rewritten(raw, true);
    parse_chunk(file.id, &text, start, true)
        .into_iter()
        .filter(|d| d.value.is_some() || !d.problems.is_empty())
        .collect()
}

/// The surrogate escapes of a JSON text, which encoding/json reads and saphyr refuses, rewritten
/// so that every byte stays where it is: a pair (`\uD83D\uDE00`, 12 bytes) as the `\U` escape of
/// its character and an escaped line break, which reads as nothing (`\U0001F600\` and a line
/// break, 12 bytes); a lone one as `\uFFFD`, the replacement character encoding/json reads it as.
/// With `pairs` false, only the lone ones are (and the text stays JSON).
fn surrogates_rewritten(raw: &str, pairs: bool) -> std::borrow::Cow<'_, str> {
    let b = raw.as_bytes();
    let hex = |i: usize| -> Option<u32> {
        let digits = raw.get(i..i + 4)?;
        u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'u')
            && let Some(high @ 0xD800..=0xDBFF) = hex(i + 2)
            && pairs
            && b.get(i + 6) == Some(&b'\\')
            && b.get(i + 7) == Some(&b'u')
            && let Some(low @ 0xDC00..=0xDFFF) = hex(i + 8)
        {
            let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            let o = out.get_or_insert_with(|| String::with_capacity(raw.len()));
            o.push_str(&raw[copied..i]);
            o.push_str(&format!("\\U{c:08X}\\\n"));
            i += 12;
            copied = i;
            continue;
        }
        if b.get(i + 1) == Some(&b'u')
            && let Some(0xD800..=0xDFFF) = hex(i + 2)
        {
            let o = out.get_or_insert_with(|| String::with_capacity(raw.len()));
            o.push_str(&raw[copied..i]);
            o.push_str("\\uFFFD");
            i += 6;
            copied = i;
            continue;
        }
        // Any other escape: its second byte is never the start of one.
        i += 2;
    }
    match out {
        Some(mut o) => {
            o.push_str(&raw[copied..]);
            o.into()
        }
        None => raw.into(),
    }
}

/// How far into `chunk` go-yaml's reader decodes (and so checks for invalid UTF-8 and control
/// characters) when the chunk's document ends at `doc_end`. It decodes the chunk that kubectl hands
/// it (without its `---` line, with the file's byte order mark) in blocks of 512 bytes, as its
/// scanner needs them: all of it when the document runs to the chunk's end, and of a document that
/// ends early (at `...`, or at a line less indented than its root, whose rest Kubernetes drops)
/// up to the end of the block its scanner reads the next few characters in. Only that next token
/// is a guess: four characters.
fn decoded_end(text: &str, chunk: &Chunk, doc_end: usize) -> usize {
    if is_blank(&text[doc_end.min(chunk.end)..chunk.end]) {
        return chunk.end;
    }
    let go_start = if chunk.start == 3 && text.starts_with('\u{feff}') {
        0
    } else if text[chunk.start..chunk.end].starts_with("---") {
        text[chunk.start..chunk.end].find('\n').map_or(chunk.end, |n| chunk.start + n + 1)
    } else {
        chunk.start
    };
    let reach = (doc_end + 4).saturating_sub(go_start);
    let mut end = (go_start + reach.div_ceil(512) * 512).min(chunk.end);
    // A character across the block's end is decoded with the next block.
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The characters go-yaml v2's reader lets through (YAML 1.1's printable set, which keeps tab, line
/// feed, carriage return and NEL of the C0 and C1 controls); on any other it refuses the whole
/// document.
fn go_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// A document that kubectl refuses and meshctl has nothing of.
fn refused(file: FileId, range: Span, problem: ParseProblem) -> Document {
    Document {
        file,
        index: 0,
        range,
        value: None,
        spans: SpanIndex { file, ..SpanIndex::default() },
        ambiguous: Vec::new(),
        duplicates: Vec::new(),
        problems: vec![problem],
    }
}

/// Files larger than this have their documents parsed in parallel.
const PARALLEL_FILE_BYTES: usize = 512 * 1024;

/// One document's bytes as kubectl's reader cuts the file.
struct Chunk {
    start: usize,
    end: usize,
    /// The `---` line that ended this chunk with more than a comment after it: kubectl refuses
    /// the chunk.
    bad_separator: Option<(usize, usize)>,
}

/// Cut a file as kubectl's document reader (k8s.io/apimachinery's YAMLReader) does: a line that
/// starts with `---` ends the document before it, and only a comment may follow on that line. The
/// `---` line opens the next chunk when YAML reads it as a document marker too (`---` then white
/// space), so that documents start where they are written; otherwise (`---#x`) it is left out.
/// Cutting starts at byte `from` (after the JSON values kubectl read first, see [`json_stream`]).
fn split_documents(text: &str, from: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    let bom = if from == 0 && text.starts_with('\u{feff}') { 3 } else { 0 };
    let first = from + bom;
    let mut start = first;
    // Whether kubectl's buffer is empty: it holds every line since the last separator, but not
    // the separator itself.
    let mut empty = true;
    let mut pos = first;
    for line in text[first..].split_inclusive('\n') {
        let at = pos;
        pos += line.len();
        // kubectl sees a byte order mark as the start of the first line, which is then no separator.
        let rest = line.strip_prefix("---").filter(|_| bom == 0 || at != first);
        let Some(rest) = rest else {
            empty = false;
            continue;
        };
        // Go's strings.TrimSpace: Unicode white space, as Rust's trim.
        let after = rest.trim();
        if !after.is_empty() && !after.starts_with('#') {
            let end = at + line.trim_end_matches(['\n', '\r']).len();
            out.push(Chunk { start, end: at, bad_separator: Some((at, end)) });
            start = pos;
            empty = true;
            continue;
        }
        if !empty {
            out.push(Chunk { start, end: at, bad_separator: None });
        }
        empty = true;
        start = if rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']) { at } else { pos };
    }
    if !empty {
        out.push(Chunk { start, end: text.len(), bad_separator: None });
    }
    out
}

fn is_blank(chunk: &str) -> bool {
    chunk.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..." || t.starts_with("--- #")
    })
}

/// Converts saphyr's character indices into byte offsets of the file.
struct Offsets<'a> {
    base: usize,
    chunk: &'a str,
    /// Byte offset of every character, when the chunk is not ASCII.
    chars: Option<Vec<u32>>,
}

impl<'a> Offsets<'a> {
    fn new(chunk: &'a str, base: usize) -> Self {
        let chars = (!chunk.is_ascii()).then(|| {
            let mut v: Vec<u32> = chunk.char_indices().map(|(i, _)| i as u32).collect();
            v.push(chunk.len() as u32);
            v
        });
        Offsets { base, chunk, chars }
    }

    fn byte(&self, char_index: usize) -> usize {
        let local = match &self.chars {
            None => char_index.min(self.chunk.len()),
            Some(v) => *v.get(char_index).unwrap_or(&(self.chunk.len() as u32)) as usize,
        };
        self.base + local
    }
}

/// An open mapping or sequence. Its children's nodes are `Builder::child_stack[kids..]` until it
/// ends.
enum Frame {
    Map {
        node: u32,
        map: Map<String, Value>,
        pending_key: Option<(String, Span)>,
        /// The pending key is a merge key: a plain `<<`.
        merge: bool,
        /// Indices of the entries that a merge key set, which a later key replaces silently.
        merged: Vec<usize>,
        /// `{...}` rather than `key: value` lines.
        flow: bool,
        /// A single-pair mapping inside a flow sequence (`[a: b]`).
        pair: bool,
        /// A pair whose key ended with a glued `:` (`[001:db8::]`): it is that key as a scalar,
        /// as for Kubernetes.
        glued_pair: bool,
        anchor: usize,
        start: usize,
        kids: usize,
    },
    Seq {
        node: u32,
        items: Vec<Value>,
        /// `[...]` rather than `- ` items.
        flow: bool,
        anchor: usize,
        start: usize,
        kids: usize,
    },
}

struct Builder<'a> {
    file: FileId,
    /// How the chunk is read: its stand-ins, and whether it is JSON.
    reading: &'a Reading,
    offsets: Offsets<'a>,
    /// Open flow collections.
    flow: usize,
    nodes: Vec<SpanNode>,
    /// The children of finished containers, each a contiguous range.
    children: Vec<u32>,
    /// The children of the open containers, innermost last.
    child_stack: Vec<u32>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, u32, usize)>,
    /// Size of each node's subtree (for alias budgets), by node id.
    sizes: Vec<u32>,
    expanded: usize,
    own: usize,
    /// The value being attached comes from an alias.
    aliased: bool,
    ambiguous: Vec<AmbiguousScalar>,
    duplicates: Vec<DuplicateKey>,
    problems: Vec<ParseProblem>,
    root: Option<(Value, u32)>,
    too_deep: bool,
    skip_depth: usize,
}

impl<'a> Builder<'a> {
    fn new(file: FileId, chunk: &'a str, base: usize, reading: &'a Reading) -> Self {
        Builder {
            file,
            reading,
            offsets: Offsets::new(chunk, base),
            flow: 0,
            nodes: Vec::new(),
            children: Vec::new(),
            child_stack: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            sizes: Vec::new(),
            expanded: 0,
            own: 0,
            aliased: false,
            ambiguous: Vec::new(),
            duplicates: Vec::new(),
            problems: Vec::new(),
            root: None,
            too_deep: false,
            skip_depth: 0,
        }
    }

    fn span(&self, s: &YSpan) -> Span {
        Span::new(self.file, self.offsets.byte(s.start.index()), self.offsets.byte(s.end.index()))
    }

    /// The chunk's bytes, indexed by file offset less the chunk's base.
    fn local(&self, offset: usize) -> usize {
        offset - self.offsets.base
    }

    /// A double-quoted scalar's text with `'` back where [`QUOTE_STAND_IN`] stood in for `\'`:
    /// each U+2029 of the text comes, in order, from a `\P` escape or a literal U+2029 of the
    /// source, and only those at a stand-in's byte become `'`.
    fn quotes_restored(&self, text: &str, span: Span) -> String {
        let (s, e) = (self.local(span.start as usize), self.local(span.end as usize));
        let source = &self.offsets.chunk.as_bytes()[s..e.min(self.offsets.chunk.len())];
        let mut stand_ins = Vec::new();
        let mut i = 0;
        while i < source.len() {
            if source[i] == b'\\' {
                if source.get(i + 1) == Some(&b'P') {
                    stand_ins.push(self.reading.quotes.contains(&(s + i)));
                }
                i += 2;
            } else if source[i..].starts_with("\u{2029}".as_bytes()) {
                stand_ins.push(false);
                i += 3;
            } else {
                i += 1;
            }
        }
        let mut k = 0;
        text.chars()
            .map(|c| {
                if c != '\u{2029}' {
                    return c;
                }
                k += 1;
                if stand_ins.get(k - 1) == Some(&true) { '\'' } else { c }
            })
            .collect()
    }

    fn problem(&mut self, kind: ProblemKind, span: Span, message: String, help: Option<&str>) {
        self.problems.push(ParseProblem { kind, span, message, help: help.map(str::to_string) });
    }

    /// The JSON pointer of the value being built: each enclosing mapping contributes the key whose
    /// value is open, each sequence the index of the item being built.
    fn pointer(&self) -> String {
        let mut p = String::new();
        for f in &self.stack {
            match f {
                Frame::Map { pending_key: Some((k, _)), .. } => {
                    p.push('/');
                    p.push_str(&escape_segment(k));
                }
                Frame::Map { .. } => {}
                Frame::Seq { items, .. } => {
                    p.push('/');
                    p.push_str(&items.len().to_string());
                }
            }
        }
        p
    }

    /// A node whose children are `children` (a range of `self.children`).
    fn new_node(&mut self, value: Span, (first_child, child_count): (u32, u32), size: u32) -> u32 {
        let key = match self.stack.last() {
            Some(Frame::Map { pending_key: Some((_, ks)), .. }) => (ks.start, ks.end),
            _ => NO_KEY,
        };
        self.nodes.push(SpanNode { value: (value.start, value.end), key, first_child, child_count });
        self.sizes.push(size);
        (self.nodes.len() - 1) as u32
    }

    fn key_span(&self, node: u32) -> Option<Span> {
        let (start, end) = self.nodes[node as usize].key;
        (start != u32::MAX).then_some(Span { file: self.file, start, end })
    }

    fn kids_of(&self, node: u32) -> std::ops::Range<usize> {
        let n = &self.nodes[node as usize];
        n.first_child as usize..(n.first_child + n.child_count) as usize
    }

    /// Is the next scalar of the innermost mapping a key?
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending_key: None, .. }))
    }

    /// Does a `:` that Kubernetes reads as part of a plain scalar follow the one that ends at
    /// `end`? In a flow collection YAML 1.2 ends a plain scalar before a `:` that a flow indicator
    /// follows (`[a:]` is `[{a: null}]`), but go-yaml's YAML 1.1 scanner reads on (`["a:"]`), so
    /// `[2001:db8::]` is an address for Kubernetes.
    fn glued_colon(&self, end: usize) -> bool {
        let bytes = self.offsets.chunk.as_bytes();
        let i = self.local(end);
        bytes.get(i) == Some(&b':') && matches!(bytes.get(i + 1), Some(b',' | b']' | b'}'))
    }

    fn attach(&mut self, value: Value, node: u32, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), node, self.sizes[node as usize] as usize));
        }
        let (key, kspan, slot) = match self.stack.last_mut() {
            None => {
                self.root = Some((value, node));
                return;
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                self.child_stack.push(node);
                return;
            }
            Some(Frame::Map { glued_pair: true, .. }) => {
                // The empty value of `[key:]`: the pair is the scalar `key:`, and its key stays
                // pending for the pair's end.
                return;
            }
            Some(Frame::Map { pending_key, merge, .. }) if *merge => {
                *merge = false;
                let (_, kspan) = pending_key.take().expect("a value in a mapping follows its key");
                self.merge(value, node, kspan);
                return;
            }
            Some(Frame::Map { pending_key, map, merged, kids, .. }) => {
                let (key, kspan) = pending_key.take().expect("a value in a mapping follows its key");
                match map.entry(key) {
                    serde_json::map::Entry::Vacant(slot) => {
                        slot.insert(value);
                        self.child_stack.push(node);
                        return;
                    }
                    serde_json::map::Entry::Occupied(mut slot) => {
                        let key = slot.key().clone();
                        slot.insert(value);
                        let idx = map.keys().position(|k| *k == key).expect("the key is in the map");
                        if let Some(m) = merged.iter().position(|m| *m == idx) {
                            // A key after a merge replaces what the merge set: that is what merges are for.
                            merged.swap_remove(m);
                            self.child_stack[*kids + idx] = node;
                            return;
                        }
                        (key, kspan, *kids + idx)
                    }
                }
            }
        };
        // A duplicate key: the later value replaces the earlier one in place.
        let old = std::mem::replace(&mut self.child_stack[slot], node);
        let first = self.key_span(old).unwrap_or(kspan);
        let mut p = self.pointer();
        p.push('/');
        p.push_str(&escape_segment(&key));
        self.duplicates.push(DuplicateKey { pointer: p, key, span: kspan, first });
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, anchor: usize, tag: Option<&saphyr_parser::Tag>, ys: &YSpan) {
        let mut span = self.span(ys);
        if self.skip_depth > 0 {
            return;
        }
        if anchor != 0 {
            self.anchor_name(span.start as usize);
        }
        let plain = style == ScalarStyle::Plain;
        let in_flow = plain && self.flow > 0 && !text.is_empty();
        if in_flow && (text.starts_with(':') || text.chars().skip(1).any(|c| c == '?')) {
            let message = format!(
                "`{text}`: inside [ ] or {{ }}, Kubernetes' YAML 1.1 reader takes {} as an indicator and refuses the document",
                if text.starts_with(':') { "a `:` at the start of a value" } else { "a `?` in a value" }
            );
            self.problem(ProblemKind::Syntax, span, message, Some("quote the value"));
        }
        let glued = in_flow && self.glued_colon(span.end as usize);
        let stand_in = in_flow
            && !self.reading.colons.is_empty()
            && self.reading.colons.contains(&(self.local(span.end as usize) - 1));
        let owned;
        let text = if glued {
            owned = format!("{text}:");
            span.end += 1;
            owned.as_str()
        } else if stand_in {
            owned = format!("{}:", &text[..text.len() - COLON_STAND_IN.len()]);
            owned.as_str()
        } else {
            text
        };
        let restored;
        let text = if style == ScalarStyle::DoubleQuoted && !self.reading.quotes.is_empty() {
            restored = self.quotes_restored(text, span);
            restored.as_str()
        } else {
            text
        };
        if style == ScalarStyle::DoubleQuoted && !self.reading.json && text.contains('/') {
            self.slash_escape(span);
        }
        let (scalar, amb) = match tag {
            None if plain => resolve(text),
            None => (Scalar::Str, None),
            Some(t) => match tagged(t, text) {
                Ok(s) => (s, None),
                Err(why) => {
                    self.problem(ProblemKind::Syntax, span, why, None);
                    (Scalar::Str, None)
                }
            },
        };
        self.own += 1;
        if self.expecting_key() {
            let key = scalar.key(text).unwrap_or_else(|why| {
                let message = format!("the key `{text}` is {why}, which Kubernetes refuses (JSON keys are strings)");
                self.problem(ProblemKind::Syntax, span, message, Some("quote the key"));
                text.to_string()
            });
            if let Some(kind) = amb {
                let mut p = self.pointer();
                p.push('/');
                p.push_str(&escape_segment(&key));
                self.ambiguous.push(AmbiguousScalar { pointer: p, span, text: text.to_string(), kind, is_key: true });
            }
            if let Some(Frame::Map { pending_key, merge, pair, glued_pair, .. }) = self.stack.last_mut() {
                *merge = plain && tag.is_none() && key == "<<";
                *glued_pair = glued && *pair;
                *pending_key = Some((key, span));
            }
            return;
        }
        if let Some(kind) = amb {
            let p = self.pointer();
            self.ambiguous.push(AmbiguousScalar { pointer: p, span, text: text.to_string(), kind, is_key: false });
        }
        let value = scalar.value(text).unwrap_or_else(|| {
            let message = format!(
                "`{text}` is a float that JSON cannot hold (infinity or not a number): Kubernetes refuses the document"
            );
            self.problem(ProblemKind::Syntax, span, message, Some("quote it if it is text"));
            Value::String(text.to_string())
        });
        let node = self.new_node(span, (0, 0), 1);
        self.attach(value, node, anchor);
    }

    /// The anchor (`&name`) or alias (`*name`) at `at`, after a tag if there is one. go-yaml's
    /// names are ASCII letters, digits, `_` and `-`, followed by white space or one of
    /// ``?:,]}%@` ``; YAML 1.2 takes more, which Kubernetes refuses.
    fn anchor_name(&mut self, at: usize) {
        let b = self.offsets.chunk.as_bytes();
        let blank = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
        let mut i = self.local(at);
        if b.get(i) == Some(&b'!') {
            while i < b.len() && !blank(b[i]) {
                i += 1;
            }
            while i < b.len() && blank(b[i]) {
                i += 1;
            }
        }
        if !matches!(b.get(i), Some(b'&' | b'*')) {
            return;
        }
        let start = i;
        i += 1;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-')) {
            i += 1;
        }
        if i > start + 1 && b.get(i).is_none_or(|c| blank(*c) || b"?:,]}%@`".contains(c)) {
            return;
        }
        let end = self.offsets.chunk[i.min(b.len())..].find([' ', '\t', '\r', '\n']).map_or(b.len(), |n| i + n);
        let name = self.offsets.chunk[start..end].to_string();
        let span = Span::new(self.file, self.offsets.base + start, self.offsets.base + end);
        self.problem(
            ProblemKind::Syntax,
            span,
            format!("`{name}`: Kubernetes' YAML reader takes only letters, digits, `_` and `-` in a name and refuses the document (\"did not find expected alphabetic or numeric character\")"),
            Some("rename it"),
        );
    }

    /// `\/` in a double-quoted scalar: a YAML 1.2 escape that Kubernetes' YAML 1.1 reader does
    /// not know ("found unknown escape character").
    fn slash_escape(&mut self, span: Span) {
        let (s, e) = (self.local(span.start as usize), self.local(span.end as usize));
        let raw = &self.offsets.chunk.as_bytes()[s..e.min(self.offsets.chunk.len())];
        let mut i = 0;
        while i + 1 < raw.len() {
            if raw[i] == b'\\' {
                if raw[i + 1] == b'/' {
                    let at = span.start as usize + i;
                    self.problem(
                        ProblemKind::Syntax,
                        Span::new(self.file, at, at + 2),
                        "`\\/` is not an escape in YAML 1.1: Kubernetes refuses the document (\"found unknown escape character\")".into(),
                        Some("write `/` without the backslash"),
                    );
                    return;
                }
                i += 2;
            } else {
                i += 1;
            }
        }
    }

    fn start(&mut self, is_map: bool, anchor: usize, ys: &YSpan) {
        let start = self.offsets.byte(ys.start.index());
        if self.skip_depth > 0 {
            self.skip_depth += 1;
            return;
        }
        if anchor != 0 {
            self.anchor_name(start);
        }
        if self.expecting_key() {
            // A mapping or sequence used as a key: JSON has no such thing.
            let span = self.span(ys);
            self.problems.push(ParseProblem {
                kind: ProblemKind::ComplexKey,
                span,
                message: "a mapping key must be a plain value, not a mapping or a list".into(),
                help: Some("Kubernetes manifests are JSON objects: every key is a string".into()),
            });
            if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                *pending_key = Some((format!("<complex key at byte {start}>"), span));
            }
            self.skip_depth = 1;
            return;
        }
        if self.stack.len() >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.problems.push(ParseProblem {
                    kind: ProblemKind::TooDeep,
                    span: self.span(ys),
                    message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    help: Some("no Kubernetes or Istio resource nests this deep; the document is not linted".into()),
                });
            }
            self.skip_depth = 1;
            return;
        }
        self.own += 1;
        // A flow collection's event spans its bracket; a block one's, and a flow pair's, is empty.
        let bracket = self.offsets.chunk.as_bytes().get(self.local(start)).copied();
        let flow = !ys.is_empty() && matches!(bracket, Some(b'[' | b'{'));
        let pair = is_map && ys.is_empty() && matches!(self.stack.last(), Some(Frame::Seq { flow: true, .. }));
        if flow {
            self.flow += 1;
        }
        let node = self.new_node(Span::new(self.file, start, start), (0, 0), 1);
        let kids = self.child_stack.len();
        self.stack.push(if is_map {
            Frame::Map {
                node,
                map: Map::new(),
                pending_key: None,
                merge: false,
                merged: Vec::new(),
                flow,
                pair,
                glued_pair: false,
                anchor,
                start,
                kids,
            }
        } else {
            Frame::Seq { node, items: Vec::new(), flow, anchor, start, kids }
        });
    }

    fn end(&mut self, ys: &YSpan) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            if self.skip_depth == 0 {
                // The skipped node still occupies its slot.
                if self.expecting_key() {
                    return;
                }
                let span = self.span(ys);
                let node = self.new_node(span, (0, 0), 1);
                self.attach(Value::Null, node, 0);
            }
            return;
        }
        let end = self.offsets.byte(ys.end.index());
        let Some(frame) = self.stack.pop() else { return };
        match frame {
            Frame::Seq { node, mut items, flow, anchor, start, kids } => {
                self.flow -= usize::from(flow);
                self.finish_node(node, start, end, kids);
                // Every document stays in memory for the whole run: no spare capacity.
                items.shrink_to_fit();
                self.attach(Value::Array(items), node, anchor);
            }
            Frame::Map { node, glued_pair: true, pending_key: Some((key, kspan)), anchor, .. } => {
                // `[001:db8::]`: the key (its text ends with the `:`) is the item.
                self.nodes[node as usize].value = (kspan.start, kspan.end);
                self.attach(Value::String(key), node, anchor);
            }
            Frame::Map { node, mut map, flow, anchor, start, pending_key, kids, .. } => {
                self.flow -= usize::from(flow);
                if let Some((k, ks)) = pending_key {
                    // A key without a value (`key:` then end): YAML null.
                    map.insert(k, Value::Null);
                    let n = self.nodes.len() as u32;
                    self.nodes.push(SpanNode {
                        value: (end as u32, end as u32),
                        key: (ks.start, ks.end),
                        first_child: 0,
                        child_count: 0,
                    });
                    self.sizes.push(1);
                    self.child_stack.push(n);
                }
                self.finish_node(node, start, end, kids);
                // A map grows its entries to its hash table's capacity (7 for 4 keys, of about
                // 100 bytes each); collected again, it holds exactly its entries.
                let map = map.into_iter().collect();
                self.attach(Value::Object(map), node, anchor);
            }
        }
    }

    /// A merge key's value `merged` (node `mnode`, key at `kspan`), in the mapping being built.
    /// As go-yaml v2 does, the merge sets every key of the merged mapping (or of each mapping of
    /// a list, the first one winning) over the keys written before it; keys written after it
    /// replace what it set. A list given through an alias is refused, as Kubernetes refuses it.
    fn merge(&mut self, merged: Value, mnode: u32, kspan: Span) {
        let ok = match &merged {
            Value::Object(_) => true,
            Value::Array(items) => !self.aliased && items.iter().all(Value::is_object),
            _ => false,
        };
        if !ok {
            let (start, end) = self.nodes[mnode as usize].value;
            self.problem(
                ProblemKind::Syntax,
                Span { file: self.file, start, end },
                "a merge key `<<` needs a mapping, an alias of one, or a list of them".into(),
                None,
            );
            return;
        }
        let Some(Frame::Map { map, merged: set, kids, .. }) = self.stack.last_mut() else {
            unreachable!("a merge key is in a mapping")
        };
        let (mut map, mut set, kids) = (std::mem::take(map), std::mem::take(set), *kids);
        match merged {
            Value::Object(m) => self.merge_map(&mut map, &mut set, kids, m, mnode, kspan),
            Value::Array(items) => {
                let nodes: Vec<u32> = self.kids_of(mnode).map(|c| self.children[c]).collect();
                for (item, node) in items.into_iter().zip(nodes).rev() {
                    if let Value::Object(m) = item {
                        self.merge_map(&mut map, &mut set, kids, m, node, kspan);
                    }
                }
            }
            _ => unreachable!("checked above"),
        }
        if let Some(Frame::Map { map: m, merged: s, .. }) = self.stack.last_mut() {
            *m = map;
            *s = set;
        }
    }

    fn merge_map(
        &mut self,
        map: &mut Map<String, Value>,
        set: &mut Vec<usize>,
        kids: usize,
        from: Map<String, Value>,
        mnode: u32,
        kspan: Span,
    ) {
        let nodes: Vec<u32> = self.kids_of(mnode).map(|c| self.children[c]).collect();
        for ((k, v), child) in from.into_iter().zip(nodes) {
            match map.keys().position(|have| *have == k) {
                Some(i) => {
                    let old = std::mem::replace(&mut self.child_stack[kids + i], child);
                    if !set.contains(&i) {
                        // A key written before the merge: Kubernetes drops it.
                        let first = self.key_span(old).unwrap_or(kspan);
                        let mut p = self.pointer();
                        p.push('/');
                        p.push_str(&escape_segment(&k));
                        self.duplicates.push(DuplicateKey { pointer: p, key: k.clone(), span: kspan, first });
                        set.push(i);
                    }
                    map.insert(k, v);
                }
                None => {
                    set.push(map.len());
                    map.insert(k, v);
                    self.child_stack.push(child);
                }
            }
        }
    }

    /// Close a container: its children (`child_stack[kids..]`) move to the finished arena.
    fn finish_node(&mut self, node: u32, start: usize, end: usize, kids: usize) {
        let size = self.child_stack[kids..].iter().fold(1u32, |acc, c| acc.saturating_add(self.sizes[*c as usize]));
        self.sizes[node as usize] = size;
        let first_child = self.children.len() as u32;
        self.children.extend(self.child_stack.drain(kids..));
        let n = &mut self.nodes[node as usize];
        n.first_child = first_child;
        n.child_count = self.children.len() as u32 - first_child;
        let span = Span::new(self.file, start, end.max(start));
        n.value = (span.start, span.end);
    }

    fn alias(&mut self, id: usize, ys: &YSpan) {
        if self.skip_depth > 0 {
            return;
        }
        let span = self.span(ys);
        self.anchor_name(span.start as usize);
        let is_key = self.expecting_key();
        let Some((value, anode, size)) = self.anchors.get(&id).cloned() else {
            self.problems.push(ParseProblem {
                kind: ProblemKind::Syntax,
                span,
                message: "alias to an unknown anchor".into(),
                help: None,
            });
            return;
        };
        self.expanded = self.expanded.saturating_add(size);
        let (value, children) = if self.expanded > ALIAS_BUDGET + 10 * self.own {
            if !self.problems.iter().any(|p| p.kind == ProblemKind::AliasBudget) {
                self.problems.push(ParseProblem {
                    kind: ProblemKind::AliasBudget,
                    span,
                    message: format!(
                        "aliases expand to more than {} nodes; expansion stopped here",
                        ALIAS_BUDGET + 10 * self.own
                    ),
                    help: Some(
                        "this looks like an alias bomb (\"billion laughs\"); the aliases past this point read as null"
                            .into(),
                    ),
                });
            }
            (Value::Null, (0, 0))
        } else {
            let n = &self.nodes[anode as usize];
            (value, (n.first_child, n.child_count))
        };
        if is_key {
            let key = match &value {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => {
                    self.problem(
                        ProblemKind::Syntax,
                        span,
                        "this key is null, which Kubernetes refuses (JSON keys are strings)".into(),
                        None,
                    );
                    String::new()
                }
                Value::Array(_) | Value::Object(_) => {
                    self.problem(
                        ProblemKind::ComplexKey,
                        span,
                        "a mapping key must be a plain value, not a mapping or a list".into(),
                        Some("Kubernetes manifests are JSON objects: every key is a string"),
                    );
                    format!("<complex key at byte {}>", span.start)
                }
            };
            if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                *pending_key = Some((key, span));
            }
            return;
        }
        let node = self.new_node(span, children, size as u32);
        self.aliased = true;
        self.attach(value, node, 0);
        self.aliased = false;
    }
}

/// How many times a chunk is parsed again after a mistake of saphyr's (YAML 1.2) that
/// Kubernetes' reader (YAML 1.1) does not make: a tab after `key:`, which saphyr refuses, and a
/// `:` glued to a value before a flow indicator (`{a: b:}`), which Kubernetes reads as part of the
/// value. Past that the chunk's error is reported as it is.
const RETRIES: usize = 256;

/// What to change in a chunk before parsing it again.
enum Retry {
    /// The tab at this byte is a separator: read it as a space.
    Tab(usize),
    /// The `:` at this byte ends a plain scalar in a flow collection.
    Colon(usize),
    /// The `\'` at this byte, in a double-quoted scalar, is go-yaml's escape of `'`.
    Quote(usize),
    /// The line break at this byte (with the `\r` before it) is white space inside a flow
    /// collection or a quoted scalar, where go-yaml does not check the next line's indentation and
    /// saphyr does: read it as spaces (see [`joinable_break`]).
    Join(usize),
    /// A comment glued to the token before it (`"x"# c`, `[1]# c`), which go-yaml reads as a
    /// comment: read these bytes, the comment to its line's end, as spaces.
    Comment(usize, usize),
}

/// Whether the line break at `at` in `chunk` may be read as spaces without changing the value.
/// Between two tokens of a flow collection (`flow`, after `[`, `{`, `,`, a closing bracket or
/// quote) any white space is the same. Elsewhere it is one break folded into one space in a plain
/// or quoted scalar, which a space reads as only when the line before it is not empty (two breaks
/// fold into one) and ends in neither a blank nor a `\` (a trailing blank or an escaped break
/// folds otherwise), the break is a line feed alone, and the next line has no indentation (which
/// folding drops). Either way the line before has no `#` (a comment would swallow the next line)
/// and the next line is no document marker.
fn joinable_break(chunk: &str, at: usize, flow: bool) -> bool {
    let b = chunk.as_bytes();
    if b.get(at) != Some(&b'\n') {
        return false;
    }
    let end = if at > 0 && b[at - 1] == b'\r' { at - 1 } else { at };
    let line = b[..end].iter().rposition(|c| *c == b'\n').map_or(0, |n| n + 1);
    let next = &b[at + 1..];
    if end == line || b[line..end].contains(&b'#') || next.starts_with(b"...") || next.starts_with(b"---") {
        return false;
    }
    let last = b[end - 1];
    (flow && matches!(last, b'[' | b'{' | b',' | b']' | b'}' | b'"' | b'\''))
        || (!matches!(last, b' ' | b'\t' | b'\\')
            && end == at
            && next.first().is_some_and(|c| !matches!(c, b' ' | b'\t')))
}

/// What meshctl says of a line of a flow collection or a quoted string left of the block collection
/// around it where it cannot take the line break before it as spaces ([`joinable_break`]).
const LEFT_OF_LIMIT: &str = "Kubernetes reads it, meshctl's YAML parser (YAML 1.2) does not";

/// The byte after the quoted scalar that starts with the quote at `start` (or the chunk's end).
fn quoted_end(chunk: &str, start: usize) -> usize {
    let b = chunk.as_bytes();
    let Some(&quote) = b.get(start) else { return b.len() };
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// How a chunk is read: what stands in for what saphyr refuses, and whether it is a JSON value.
#[derive(Default)]
struct Reading {
    /// Chunk bytes where a glued `:` has a stand-in ([`COLON_STAND_IN`]).
    colons: Vec<usize>,
    /// Chunk bytes where `\'` has the stand-in [`QUOTE_STAND_IN`].
    quotes: Vec<usize>,
    /// A value of a JSON stream, which encoding/json reads: `\/` is an escape there.
    json: bool,
}

/// Stands in for go-yaml's escape `\'` (see [`Retry::Quote`]), which saphyr refuses: a YAML 1.2
/// escape of the same length, for U+2029, which the scalar turns back into `'`.
const QUOTE_STAND_IN: &str = "\\P";

/// Stands in for a glued `:` (see [`Retry::Colon`]) while saphyr reads the chunk: a character a
/// plain scalar may hold anywhere. The scalar that ends with it gets its `:` back.
const COLON_STAND_IN: &str = "x";

/// Parse one `---` chunk. Like Kubernetes (go-yaml reads one document per chunk), only its first
/// document is read: whatever follows a `...` in the same chunk is ignored.
fn parse_chunk(file: FileId, chunk: &str, base: usize, json: bool) -> Vec<Document> {
    let docs = parse_retrying(file, chunk, base, json);
    // saphyr refused the chunk: where go-yaml ends the document after its root node, before what
    // saphyr refused (`"x" y`, `x #c\ny`), Kubernetes reads the root and drops the rest.
    let refused =
        docs.first().is_some_and(|d| d.value.is_none() && d.problems.iter().any(|p| p.kind == ProblemKind::Syntax));
    if refused && let Some(end) = goscan::root_end(chunk) {
        let root = parse_retrying(file, &chunk[..end], base, json);
        if root.first().is_some_and(|d| d.value.is_some()) {
            return root;
        }
    }
    docs
}

/// [`parse_text`] until saphyr reads the chunk, or refuses it for more than one of its mistakes.
fn parse_retrying(file: FileId, chunk: &str, base: usize, json: bool) -> Vec<Document> {
    let mut text = std::borrow::Cow::Borrowed(chunk);
    let mut reading = Reading { json, ..Reading::default() };
    for _ in 0..RETRIES {
        match parse_text(file, &text, base, &reading) {
            Err(Retry::Tab(at)) => text.to_mut().replace_range(at..at + 1, " "),
            Err(Retry::Comment(from, to)) => text.to_mut().replace_range(from..to, &" ".repeat(to - from)),
            Err(Retry::Join(at)) => {
                let from = if at > 0 && text.as_bytes()[at - 1] == b'\r' { at - 1 } else { at };
                text.to_mut().replace_range(from..at + 1, &" ".repeat(at + 1 - from));
            }
            Err(Retry::Colon(at)) => {
                text.to_mut().replace_range(at..at + 1, COLON_STAND_IN);
                reading.colons.push(at);
            }
            Err(Retry::Quote(at)) => {
                text.to_mut().replace_range(at..at + 2, QUOTE_STAND_IN);
                reading.quotes.push(at);
            }
            Ok(docs) => return docs,
        }
    }
    parse_text(file, &text, base, &reading).unwrap_or_default()
}

/// The document of `chunk` (where the glued `:` at each byte of `colons` has a stand-in), or what
/// to change for Kubernetes' reading when saphyr stops at one of its mistakes.
fn parse_text(file: FileId, chunk: &str, base: usize, reading: &Reading) -> Result<Vec<Document>, Retry> {
    let mut parser = Parser::new_from_str(chunk);
    let mut b: Option<Builder> = None;
    let mut doc_start = base;
    loop {
        match parser.next_event() {
            None => return Ok(Vec::new()),
            Some(Ok((ev, ys))) => match ev {
                Event::DocumentStart(_) => {
                    let nb = Builder::new(file, chunk, base, reading);
                    doc_start = nb.offsets.byte(ys.start.index());
                    b = Some(nb);
                }
                Event::DocumentEnd => {
                    if let Some(done) = b.take() {
                        let end = done.offsets.byte(ys.end.index()).max(doc_start);
                        return Ok(vec![finish(done, doc_start, end)]);
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    if let Some(b) = b.as_mut() {
                        b.scalar(&text, style, anchor, tag.as_deref(), &ys);
                    }
                }
                Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                    let is_map = matches!(ev, Event::MappingStart(..));
                    if let Some(b) = b.as_mut() {
                        b.start(is_map, anchor, &ys);
                    }
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    if let Some(b) = b.as_mut() {
                        b.end(&ys);
                    }
                }
                Event::Alias(id) => {
                    if let Some(b) = b.as_mut() {
                        b.alias(id, &ys);
                    }
                }
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            },
            Some(Err(e)) => {
                let mut done = b.take().unwrap_or_else(|| Builder::new(file, chunk, base, reading));
                if e.info().contains("found unknown escape character") {
                    // saphyr marks the scalar's opening quote; go-yaml reads `\'` as `'`.
                    let bytes = chunk.as_bytes();
                    let mut i = done.offsets.byte(e.marker().index()) - base;
                    if bytes.get(i) == Some(&b'"') {
                        i += 1;
                        while i < bytes.len() && bytes[i] != b'"' {
                            if bytes[i] == b'\\' {
                                if bytes.get(i + 1) == Some(&b'\'') {
                                    return Err(Retry::Quote(i));
                                }
                                i += 1;
                            }
                            i += 1;
                        }
                    }
                }
                if done.root.is_some() && e.info().contains("did not find expected <document start>") {
                    // Content after the root node, less indented than it (`  a: 1\nb: 2`): go-yaml
                    // ends the document there, and Kubernetes reads the root and drops the rest
                    // of the chunk, as after a `...`.
                    let end = done.offsets.byte(e.marker().index()).max(doc_start);
                    return Ok(vec![finish(done, doc_start, end)]);
                }
                if e.info().contains("comments must be separated from other tokens by whitespace") {
                    let at = (done.offsets.byte(e.marker().index()) - base).min(chunk.len());
                    let line_end = chunk[at..].find(['\r', '\n']).map_or(chunk.len(), |n| at + n);
                    if let Some(hash) = chunk[at..line_end].find('#') {
                        return Err(Retry::Comment(at + hash, line_end));
                    }
                }
                if e.info() == "invalid indentation" && done.flow > 0 {
                    // A line of a flow collection left of the block collection around it.
                    let at = done.offsets.byte(e.marker().index()) - base;
                    if let Some(nl) =
                        chunk[..at.min(chunk.len())].rfind('\n').filter(|nl| joinable_break(chunk, *nl, true))
                    {
                        return Err(Retry::Join(nl));
                    }
                }
                if e.info() == "invalid indentation in quoted scalar" {
                    // A continuation line left of the block collection around the scalar, which
                    // starts at the error.
                    let start = done.offsets.byte(e.marker().index()) - base;
                    let end = quoted_end(chunk, start);
                    if let Some(nl) =
                        (start..end).find(|i| chunk.as_bytes()[*i] == b'\n' && joinable_break(chunk, *i, false))
                    {
                        return Err(Retry::Join(nl));
                    }
                }
                if e.info() == "tab cannot be used as indentation" {
                    // In a quoted scalar's continuation line, where go-yaml skips a tab as any
                    // blank: the line's leading white space is no part of the value, so a space
                    // reads the same.
                    let at = done.offsets.byte(e.marker().index()) - base;
                    if chunk.as_bytes().get(at) == Some(&b'\t') {
                        return Err(Retry::Tab(at));
                    }
                }
                if e.info().contains("must be followed by a valid YAML whitespace") {
                    // The error is past the tab(s) after the `:`.
                    let bytes = chunk.as_bytes();
                    let mut at = (done.offsets.byte(e.marker().index()) - base).min(bytes.len());
                    while at > 0 && matches!(bytes[at - 1], b'\t' | b' ') {
                        at -= 1;
                    }
                    // Not after the `:` of an explicit value (at the start of a line), where
                    // Kubernetes refuses the tab too.
                    let line = bytes[..at.saturating_sub(1)].iter().rposition(|b| *b == b'\n').map_or(0, |n| n + 1);
                    let explicit = bytes[line..at.saturating_sub(1)].iter().all(|b| *b == b' ');
                    if at > 0 && bytes[at - 1] == b':' && bytes.get(at) == Some(&b'\t') && !explicit {
                        return Err(Retry::Tab(at));
                    }
                }
                if e.info().contains("did not find expected ','") {
                    let bytes = chunk.as_bytes();
                    let at = done.offsets.byte(e.marker().index()) - base;
                    let glued =
                        at > 0 && !matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b']' | b'}');
                    if glued && bytes.get(at) == Some(&b':') && matches!(bytes.get(at + 1), Some(b',' | b']' | b'}')) {
                        return Err(Retry::Colon(at));
                    }
                }
                let mut problem = syntax_problem(file, chunk, base, &done.offsets, &e);
                let left_of = match e.info() {
                    "invalid indentation" if done.flow > 0 => Some("a flow collection (`[ ]`, `{ }`)"),
                    "invalid indentation in quoted scalar" => Some("a quoted string"),
                    _ => None,
                };
                if let Some(what) = left_of {
                    // The line break before the line could not be read as spaces (see
                    // `Retry::Join`): one of meshctl's limits.
                    problem.message =
                        format!("{what} continues on a line left of the collection around it: {LEFT_OF_LIMIT}");
                    problem.help = Some("indent that line at least as far as the key it belongs to".into());
                }
                done.problems.push(problem);
                done.root = None;
                let end = base + chunk.len();
                return Ok(vec![finish(done, doc_start, end)]);
            }
        }
    }
}

fn finish(b: Builder, start: usize, end: usize) -> Document {
    let (value, root) = match b.root {
        Some((v, n)) if !b.too_deep => (Some(v), Some(n)),
        _ => (None, None),
    };
    // A document with only `---` and comments has a null root: nothing to lint.
    let value = value.filter(|v| !v.is_null() || !b.problems.is_empty());
    Document {
        file: b.file,
        index: 0,
        range: Span::new(b.file, start, end),
        spans: SpanIndex {
            file: b.file,
            nodes: if value.is_some() { b.nodes } else { Vec::new() },
            children: if value.is_some() { b.children } else { Vec::new() },
            root: if value.is_some() { root } else { None },
        },
        value,
        ambiguous: b.ambiguous,
        duplicates: b.duplicates,
        problems: b.problems,
    }
}

fn syntax_problem(file: FileId, chunk: &str, base: usize, offsets: &Offsets, e: &ScanError) -> ParseProblem {
    let at = offsets.byte(e.marker().index());
    let local = at - base;
    // Point at the whole offending token (or at least one character).
    let line_end = chunk[local.min(chunk.len())..].find('\n').map_or(chunk.len(), |i| local + i);
    let token_end = chunk[local.min(chunk.len())..line_end]
        .find([' ', '\t', '\r'])
        .map_or(line_end, |i| local + i)
        .max((local + 1).min(chunk.len()));
    let info = e.info();
    if info.contains("recursion limit") {
        return ParseProblem {
            kind: ProblemKind::TooDeep,
            span: Span::new(file, at, at + 1),
            message: "nesting too deep: the YAML parser stops here".into(),
            help: Some("no Kubernetes or Istio resource nests this deep; the document is not linted".into()),
        };
    }
    let help = indentation_hint(chunk, local);
    let message = match info {
        i if i.contains("mapping values are not allowed") => {
            "a key where none can be: this line is not aligned with the mapping above it".to_string()
        }
        i if i.contains("did not find expected key") => {
            "this line is not aligned with any key of the mapping it should belong to".to_string()
        }
        i if i.contains("did not find expected '-'") => {
            "a list item that is not aligned with the other items of its list".to_string()
        }
        i => format!("YAML syntax error: {i}"),
    };
    let message = if message.starts_with("YAML") { message } else { format!("{message} ({info})") };
    ParseProblem { kind: ProblemKind::Syntax, span: Span::new(file, at, base + token_end.max(local)), message, help }
}

/// For an error at `at` (byte offset in `chunk`), look at the indentation of the offending
/// line and of the enclosing keys above it, and say where the line would belong.
fn indentation_hint(chunk: &str, at: usize) -> Option<String> {
    let line_start = chunk[..at.min(chunk.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = chunk[line_start..].lines().next()?;
    let indent = line.len() - line.trim_start_matches(' ').len();
    let content = line.trim_start();
    let item = content.starts_with("- ");
    let key = key_of(content.trim_start_matches("- "))?;
    // Walk up: collect the keys that open each enclosing level.
    let mut levels: Vec<(usize, String, usize)> = Vec::new();
    let mut min_indent = usize::MAX;
    let before = &chunk[..line_start];
    let line_no_base = before.matches('\n').count() + 1;
    for (back, l) in before.lines().rev().enumerate() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut ind = l.len() - t.len();
        let mut body = t;
        // A `- key:` line opens a mapping at the column after the dash.
        while let Some(rest) = body.strip_prefix("- ") {
            ind += 2;
            body = rest.trim_start();
            ind += rest.len() - body.len();
        }
        if ind < min_indent {
            if let Some(k) = key_of(body) {
                levels.push((ind, k.to_string(), line_no_base - back - 1));
            }
            min_indent = min_indent.min(ind);
        }
        if ind == 0 {
            break;
        }
    }
    let col = indent + if item { 2 } else { 0 };
    if levels.iter().any(|(i, _, _)| *i == col) {
        return None;
    }
    let (best_indent, best_key, best_line) = levels.iter().min_by_key(|(i, _, _)| i.abs_diff(col))?.clone();
    Some(format!(
        "`{key}:` starts at column {}, but no mapping above has keys there; the nearest is `{best_key}:` at column {} (line {best_line}). Indent `{key}:` to column {} to put it beside `{best_key}:`",
        col + 1,
        best_indent + 1,
        best_indent + 1
    ))
}

fn key_of(s: &str) -> Option<&str> {
    let i = s.find(':')?;
    let k = &s[..i];
    (!k.is_empty() && !k.contains(' ') && s[i + 1..].chars().next().is_none_or(|c| c == ' ')).then_some(k)
}

/// Tabs in indentation: YAML forbids them in block context, and saphyr's message points
/// elsewhere. Inside flow collections (JSON) they are plain white space, so only documents that
/// failed to parse are searched, and a tab found there explains the failure better than the
/// parser's own message.
fn tab_problems(file: &SourceFile, docs: &mut [Document]) {
    if !file.text.contains('\t') {
        return;
    }
    for doc in docs.iter_mut().filter(|d| d.problems.iter().any(|p| p.kind == ProblemKind::Syntax)) {
        let (start, end) = (doc.range.start as usize, doc.range.end as usize);
        let mut offset = start;
        let mut tabs = Vec::new();
        for line in file.text[start..end].split_inclusive('\n') {
            let ws = line.len() - line.trim_start_matches([' ', '\t']).len();
            let at = line[..ws].find('\t').filter(|_| !line.trim().is_empty()).map(|tab| offset + tab);
            // A tab the reader's own check (`goscan`) reported already.
            if let Some(at) =
                at.filter(|at| !doc.problems.iter().any(|p| p.kind == ProblemKind::Tab && p.span.start as usize == *at))
            {
                tabs.push(ParseProblem {
                    kind: ProblemKind::Tab,
                    span: Span::new(file.id, at, at + 1),
                    message: "tab character in indentation".into(),
                    help: Some("YAML indents with spaces only; replace the tab with spaces".into()),
                });
            }
            offset += line.len();
        }
        doc.problems.extend(tabs);
    }
    // saphyr's own complaint about a tab reported as one would report the one mistake twice.
    for doc in docs.iter_mut().filter(|d| d.problems.iter().any(|p| p.kind == ProblemKind::Tab)) {
        doc.problems.retain(|p| !(p.kind == ProblemKind::Syntax && p.message.contains("tab")));
    }
}

/// A scalar as go-yaml v2 resolves it, before sigs.k8s.io/yaml turns it into JSON.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    /// Go's `int`.
    Int(i64),
    /// Above `i64::MAX`: Go's `uint64`.
    Uint(u64),
    /// Go's `float64`, infinities and NaN included.
    Float(f64),
    /// The scalar's text.
    Str,
    /// Text other than the scalar's (a `!!binary` scalar's bytes).
    Text(String),
}

impl Scalar {
    /// The JSON value Kubernetes sends, or `None` for a float JSON cannot hold (sigs.k8s.io/yaml's
    /// json.Marshal fails). Numbers are what Kubernetes reads back from its own JSON: a float with
    /// no fraction is written without a point and read as an integer, and an integer beyond
    /// `i64` is read as a float.
    fn value(self, text: &str) -> Option<Value> {
        Some(match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::Uint(u) => Value::Number(Number::from_f64(u as f64)?),
            // Exact below 2^53; above, Go writes the shortest digits and then zeros, as Rust does.
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => Value::from(f as i64),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e19 => match format!("{f}").parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => Value::Number(Number::from_f64(f)?),
            },
            Scalar::Float(f) => Value::Number(Number::from_f64(f)?),
            Scalar::Str => Value::String(text.to_string()),
            Scalar::Text(s) => Value::String(s),
        })
    }

    /// The JSON key sigs.k8s.io/yaml makes of this scalar as a mapping key, or why it refuses it.
    fn key(self, text: &str) -> Result<String, &'static str> {
        match self {
            Scalar::Str => Ok(text.to_string()),
            Scalar::Text(s) => Ok(s),
            Scalar::Bool(b) => Ok(b.to_string()),
            Scalar::Int(i) => Ok(i.to_string()),
            Scalar::Float(f) => Ok(go_float32_key(f)),
            Scalar::Null => Err("null"),
            Scalar::Uint(_) => Err("an integer above 2^63 - 1 (a Go uint64)"),
        }
    }
}

/// strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml writes a float key, with its names for
/// infinities and NaN: the shortest digits of the float32, with an exponent below 1e-4 and from
/// 1e6 (`1e3` is `1000`, `1e7` is `1e+07`, `3.14159265358979` is `3.1415927`).
fn go_float32_key(f: f64) -> String {
    let f = f as f32;
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} writes an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if f < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()));
    } else if exp >= 0 {
        let whole = exp as usize + 1;
        if digits.len() <= whole {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', whole - digits.len()));
        } else {
            out.push_str(&digits[..whole]);
            out.push('.');
            out.push_str(&digits[whole..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    }
    out
}

/// A scalar with a tag, as go-yaml v2 reads it: `!!str` and unknown or local tags (`!foo`, `!`)
/// keep the text, `!!binary` decodes base64, and `!!int`, `!!float`, `!!bool`, `!!null` and
/// `!!timestamp` resolve the text (quoted or not) and must get their kind, or the document is
/// refused.
fn tagged(tag: &saphyr_parser::Tag, text: &str) -> Result<Scalar, String> {
    const CORE: &str = "tag:yaml.org,2002:";
    let full = format!("{}{}", tag.handle, tag.suffix);
    let Some(kind) = full.strip_prefix(CORE) else { return Ok(Scalar::Str) };
    let want = match kind {
        "binary" => {
            return base64(text)
                .map(|b| Scalar::Text(go_lossy(&b)))
                .ok_or_else(|| "`!!binary` value contains invalid base64 data".into());
        }
        "timestamp" if is_timestamp(text) => return Ok(Scalar::Str),
        "int" | "float" | "bool" | "null" | "timestamp" => kind,
        _ => return Ok(Scalar::Str),
    };
    let got = if text.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') && is_timestamp(text) {
        // Only a plain or `!!timestamp` scalar is tried as a timestamp; the rest read on as text.
        Scalar::Str
    } else {
        resolve(text).0
    };
    let got = match (want, got) {
        ("int", s @ (Scalar::Int(_) | Scalar::Uint(_))) => return Ok(s),
        ("float", Scalar::Int(i)) => return Ok(Scalar::Float(i as f64)),
        ("float", s @ Scalar::Float(_)) | ("bool", s @ Scalar::Bool(_)) | ("null", s @ Scalar::Null) => return Ok(s),
        (_, Scalar::Null) => "null",
        (_, Scalar::Bool(_)) => "bool",
        (_, Scalar::Int(_) | Scalar::Uint(_)) => "int",
        (_, Scalar::Float(_)) => "float",
        (_, Scalar::Str | Scalar::Text(_)) => "str",
    };
    Err(format!(
        "Kubernetes cannot read `{text}` as a !!{want}: it is a !!{got} (\"cannot decode !!{got} as a !!{want}\")"
    ))
}

/// Go's base64.StdEncoding.DecodeString, which skips line breaks.
fn base64(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !matches!(b, b'\r' | b'\n')).collect();
    if !digits.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    for (q, quad) in digits.chunks(4).enumerate() {
        let last = q + 1 == digits.len() / 4;
        let pad = quad.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n: u32 = 0;
        for (i, b) in quad.iter().enumerate() {
            let v = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if i >= 4 - pad => 0,
                _ => return None,
            };
            n = n << 6 | u32::from(v);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// Bytes as a JSON string, as Go's encoding/json writes them: each byte of invalid UTF-8 is one
/// U+FFFD.
fn go_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).expect("valid up to here"));
                out.push('\u{fffd}');
                rest = &bad[1..];
            }
        }
    }
    out
}

/// go-yaml v2's timestamps: `2006-1-2`, then optionally `T`/`t` and `15:4:5`, a fraction and a
/// zone (`Z` or `±07:00`), or a space, the time and a fraction without a zone.
fn is_timestamp(s: &str) -> bool {
    fn num(s: &mut &[u8], min: usize, max: usize) -> Option<u32> {
        let n = s.iter().take(max).take_while(|b| b.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v = s[..n].iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        *s = &s[n..];
        Some(v)
    }
    fn eat(s: &mut &[u8], c: u8) -> bool {
        let ok = s.first() == Some(&c);
        if ok {
            *s = &s[1..];
        }
        ok
    }
    let mut b = s.as_bytes();
    let Some((year, month, day)) = (|| {
        let y = num(&mut b, 4, 4)?;
        eat(&mut b, b'-').then_some(())?;
        let m = num(&mut b, 1, 2)?;
        eat(&mut b, b'-').then_some(())?;
        Some((y, m, num(&mut b, 1, 2)?))
    })() else {
        return false;
    };
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > days[month as usize - 1] {
        return false;
    }
    if b.is_empty() {
        return true;
    }
    let zoned = match b[0] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    b = &b[1..];
    let time = (|| {
        let h = num(&mut b, 1, 2)?;
        eat(&mut b, b':').then_some(())?;
        let m = num(&mut b, 1, 2)?;
        eat(&mut b, b':').then_some(())?;
        let s = num(&mut b, 1, 2)?;
        (h < 24 && m < 60 && s < 60).then_some(())
    })();
    if time.is_none() {
        return false;
    }
    if eat(&mut b, b'.') && num(&mut b, 1, 9).is_none() {
        return false;
    }
    if !zoned {
        return b.is_empty();
    }
    if eat(&mut b, b'Z') {
        return b.is_empty();
    }
    if !(eat(&mut b, b'+') || eat(&mut b, b'-')) {
        return false;
    }
    let zone = (|| {
        let h = num(&mut b, 2, 2)?;
        eat(&mut b, b':').then_some(())?;
        let m = num(&mut b, 2, 2)?;
        (h < 24 && m < 60).then_some(())
    })();
    zone.is_some() && b.is_empty()
}

/// Resolve a plain scalar as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) does, and say whether it
/// reads differently than it looks. `.inf` and `.nan`, which JSON cannot hold, stay text here.
pub fn resolve_plain(text: &str) -> (Value, Option<Ambiguity>) {
    let (s, amb) = resolve(text);
    (s.value(text).unwrap_or_else(|| Value::String(text.to_string())), amb)
}

fn resolve(text: &str) -> (Scalar, Option<Ambiguity>) {
    match text {
        "" | "null" => return (Scalar::Null, None),
        "~" | "Null" | "NULL" => return (Scalar::Null, Some(Ambiguity::Null)),
        "true" | "True" | "TRUE" => return (Scalar::Bool(true), None),
        "false" | "False" | "FALSE" => return (Scalar::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return (Scalar::Bool(true), Some(Ambiguity::Boolean));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return (Scalar::Bool(false), Some(Ambiguity::Boolean));
        }
        ".nan" | ".NaN" | ".NAN" => return (Scalar::Float(f64::NAN), None),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return (Scalar::Float(f64::INFINITY), None),
        "-.inf" | "-.Inf" | "-.INF" => return (Scalar::Float(f64::NEG_INFINITY), None),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return (Scalar::Str, None);
    }
    let underscore = text.contains('_');
    let plain: std::borrow::Cow<str> = if underscore { text.replace('_', "").into() } else { text.into() };
    if first == b'.' {
        // go-yaml reads these with strconv.ParseFloat alone, which takes an underscore only
        // between two digits.
        let b = text.as_bytes();
        let underscores_ok = (0..b.len()).all(|i| {
            b[i] != b'_' || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        return match plain.parse::<f64>() {
            Ok(f) if underscores_ok && is_yaml_float(&plain) && f.is_finite() => {
                let amb = if underscore {
                    Some(Ambiguity::Underscore)
                } else {
                    (!text.contains(['e', 'E']) && text.ends_with('0')).then_some(Ambiguity::TrailingZero)
                };
                (Scalar::Float(f), amb)
            }
            _ => (Scalar::Str, None),
        };
    }
    if let Some((n, octal)) = parse_int(&plain) {
        let amb = if octal {
            Some(Ambiguity::Octal)
        } else if underscore {
            Some(Ambiguity::Underscore)
        } else {
            None
        };
        return (n, amb);
    }
    if is_yaml_float(&plain)
        && let Some(f) = plain.parse::<f64>().ok().filter(|f| f.is_finite())
    {
        let amb = if underscore {
            Some(Ambiguity::Underscore)
        } else if plain.contains('.') && !plain.contains(['e', 'E']) && plain.ends_with('0') {
            Some(Ambiguity::TrailingZero)
        } else if plain.len() > 1 && plain.starts_with('0') && !plain.starts_with("0.") {
            Some(Ambiguity::Octal)
        } else {
            None
        };
        return (Scalar::Float(f), amb);
    }
    (Scalar::Str, None)
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then ParseUint (which takes no sign), as go-yaml v2 tries
/// them. Returns the number and whether it was read as octal because of a leading zero.
fn parse_int(s: &str) -> Option<(Scalar, bool)> {
    let (neg, signed, digits) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body, octal) = if let Some(r) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, r, false)
    } else if let Some(r) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, r, false)
    } else if let Some(r) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        (8, r, false)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..], true)
    } else {
        (10, digits, false)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(body, radix).ok()?;
    let n = match (neg, i64::try_from(mag)) {
        (false, Ok(i)) => Scalar::Int(i),
        (true, _) if mag <= i64::MAX as u64 + 1 => Scalar::Int((mag as i128).wrapping_neg() as i64),
        // ParseUint takes no sign: `+18446744073709551615` is read as a float.
        (false, Err(_)) if !signed => Scalar::Uint(mag),
        _ => return None,
    };
    Some((n, octal))
}

fn is_yaml_float(s: &str) -> bool {
    // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > s
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    } else {
        if !digits(&mut i) {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn parse(text: &str) -> (Sources, Vec<Document>) {
        let mut s = Sources::default();
        let id = s.add("t.yaml".into(), text.into());
        let docs = parse_file(s.file(id));
        (s, docs)
    }

    fn at<'a>(s: &'a Sources, d: &Document, p: &str) -> &'a str {
        s.file(d.file).slice(d.node(p).unwrap().value)
    }

    #[test]
    fn every_node_has_a_span() {
        let text = "apiVersion: v1\nkind: X\nspec:\n  http:\n  - route:\n    - destination: {host: reviews, port: {number: 9080}}\n      weight: 20\n";
        let (s, docs) = parse(text);
        assert_eq!(docs.len(), 1);
        let d = &docs[0];
        assert_eq!(at(&s, d, "/kind"), "X");
        assert_eq!(at(&s, d, "/spec/http/0/route/0/destination/host"), "reviews");
        assert_eq!(at(&s, d, "/spec/http/0/route/0/destination/port/number"), "9080");
        assert_eq!(at(&s, d, "/spec/http/0/route/0/weight"), "20");
        let spec = d.node("/spec").unwrap();
        assert_eq!(s.file(d.file).slice(spec.key.unwrap()), "spec");
        assert_eq!(d.value.as_ref().unwrap().pointer("/spec/http/0/route/0/weight"), Some(&Value::from(20)));
        assert!(d.node("/spec/nope").is_none());
        assert_eq!(s.location(d.span_of("/spec/http/0/route/0/destination/host")).line, 6);
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let text = "a: é\nb: ü\nc: x\n";
        let (s, docs) = parse(text);
        let d = &docs[0];
        assert_eq!(at(&s, d, "/b"), "ü");
        assert_eq!(at(&s, d, "/c"), "x");
    }

    #[test]
    fn documents_are_split_and_a_broken_one_loses_only_itself() {
        let text = "a: 1\n---\nb: {c: 1\n---\nd: 2\n";
        let (_, docs) = parse(text);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].value.is_some());
        assert!(docs[1].value.is_none());
        assert_eq!(docs[1].problems[0].kind, ProblemKind::Syntax);
        assert_eq!(docs[2].value.as_ref().unwrap()["d"], Value::from(2));
        assert_eq!(docs[2].index, 2);
    }

    #[test]
    fn empty_documents_are_skipped() {
        let (_, docs) = parse("---\n# only a comment\n---\n---\na: 1\n---\n");
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn yaml11_scalars_resolve_like_kubernetes() {
        assert_eq!(resolve_plain("yes"), (Value::Bool(true), Some(Ambiguity::Boolean)));
        assert_eq!(resolve_plain("off"), (Value::Bool(false), Some(Ambiguity::Boolean)));
        assert_eq!(resolve_plain("0755"), (Value::from(493), Some(Ambiguity::Octal)));
        assert_eq!(resolve_plain("0x1F"), (Value::from(31), None));
        assert_eq!(resolve_plain("1_000"), (Value::from(1000), Some(Ambiguity::Underscore)));
        assert_eq!(resolve_plain("1.10").1, Some(Ambiguity::TrailingZero));
        assert_eq!(resolve_plain("-12"), (Value::from(-12), None));
        assert_eq!(resolve_plain("1e3").0.as_f64(), Some(1000.0));
        assert_eq!(resolve_plain("v1"), (Value::from("v1"), None));
        assert_eq!(resolve_plain("1.2.3"), (Value::from("1.2.3"), None));
        assert_eq!(resolve_plain("~"), (Value::Null, Some(Ambiguity::Null)));
        assert_eq!(resolve_plain("true"), (Value::Bool(true), None));
        assert_eq!(resolve_plain("08").0.as_f64(), Some(8.0));
    }

    #[test]
    fn yaml11_keys_resolve_too() {
        // go-yaml v2 reads the key `y` as the boolean true; Kubernetes then sees "true".
        let (_, docs) = parse("y: 1\non: 2\n");
        let v = docs[0].value.as_ref().unwrap();
        assert_eq!(v["true"], Value::from(2));
        assert_eq!(docs[0].duplicates.len(), 1);
        assert!(docs[0].ambiguous.iter().all(|a| a.is_key));
    }

    #[test]
    fn pointers_of_nested_findings() {
        let (_, docs) = parse("a:\n- b: yes\n  c: [1, no]\nd: {e: 1, e: 2}\n");
        let ptrs: Vec<&str> = docs[0].ambiguous.iter().map(|a| a.pointer.as_str()).collect();
        assert_eq!(ptrs, vec!["/a/0/b", "/a/0/c/1"]);
        assert_eq!(docs[0].duplicates[0].pointer, "/d/e");
    }

    #[test]
    fn quoted_scalars_stay_strings_and_ambiguity_is_recorded() {
        let (_, docs) = parse("a: \"yes\"\nb: yes\nc: !!str 0755\n");
        let d = &docs[0];
        let v = d.value.as_ref().unwrap();
        assert_eq!(v["a"], Value::from("yes"));
        assert_eq!(v["b"], Value::Bool(true));
        assert_eq!(v["c"], Value::from("0755"));
        assert_eq!(d.ambiguous.len(), 1);
        assert_eq!(d.ambiguous[0].pointer, "/b");
    }

    #[test]
    fn duplicate_keys_keep_the_last_and_are_reported() {
        let (s, docs) = parse("a: 1\nb: 2\na: 3\n");
        let d = &docs[0];
        assert_eq!(d.value.as_ref().unwrap()["a"], Value::from(3));
        assert_eq!(d.duplicates.len(), 1);
        assert_eq!(s.location(d.duplicates[0].first).line, 1);
        assert_eq!(s.location(d.duplicates[0].span).line, 3);
        assert_eq!(at(&s, d, "/a"), "3");
        assert_eq!(at(&s, d, "/b"), "2");
    }

    #[test]
    fn aliases_and_merge_keys() {
        let (s, docs) = parse("base: &b {p: 1, q: 2}\nother:\n  <<: *b\n  q: 3\nlist: &l [1]\ncopy: *l\n");
        let d = &docs[0];
        let v = d.value.as_ref().unwrap();
        assert_eq!(v["other"]["p"], Value::from(1));
        assert_eq!(v["other"]["q"], Value::from(3));
        assert_eq!(v["copy"], serde_json::json!([1]));
        assert_eq!(at(&s, d, "/other/q"), "3");
        assert_eq!(at(&s, d, "/other/p"), "1");
        assert_eq!(at(&s, d, "/copy"), "*l");
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let (_, docs) = parse(&text);
        assert!(docs[0].problems.iter().any(|p| p.kind == ProblemKind::AliasBudget));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let (_, docs) = parse(&text);
        assert!(docs[0].value.is_none());
        assert!(docs[0].problems.iter().any(|p| p.kind == ProblemKind::TooDeep));
    }

    #[test]
    fn a_character_across_the_decoded_block_of_a_dropped_tail() {
        // The yaml_oracle fuzz target's first panic: the tail after a document that ends early is
        // checked up to 512 bytes, and the snowman spans bytes 511 to 514.
        let text = format!("  a: b\nc: d\n{}\u{2603}\u{1}\n", "#".repeat(499));
        let (_, docs) = parse(&text);
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value, Some(serde_json::json!({"a": "b"})));
        assert!(docs[0].problems.is_empty(), "{:?}", docs[0].problems);
    }

    #[test]
    fn lines_left_of_their_collection_as_go_yaml_reads_them() {
        // go-yaml does not look at the indentation of a quoted string's or a flow collection's
        // lines; saphyr refuses those left of the block collection around them.
        assert_eq!(
            value("a:\n  b: \"x\ny\"\n  c: {\n}\n  d: [1,\r\n2]\n"),
            serde_json::json!({"a": {"b": "x y", "c": {}, "d": [1, 2]}})
        );
        for text in [
            "a:\n  b: \"x\n\ny\"\n",
            "a:\n  b: [1, # c\n2]\n",
            "a:\n  b: 'x  \ny'\n",
            // The yaml_oracle fuzz target: read as `"  "`, where Kubernetes reads `" "`.
            "  - \"\n \"",
            "a:\n  b: \"x\r\ny\"\n",
        ] {
            let (_, docs) = parse(text);
            assert!(docs[0].problems[0].message.ends_with(LEFT_OF_LIMIT), "{text:?}: {:?}", docs[0].problems);
        }
    }

    #[test]
    fn anchor_names_are_go_yaml_names() {
        assert_eq!(value("a: &x-1_Z b\nc: *x-1_Z\nd: !t &y [1]\n"), serde_json::json!({"a": "b", "c": "b", "d": [1]}));
        for text in ["a: &x.y b\n", "a: &é b\n", "a: !t &x.y\n  b: 1\n"] {
            assert!(refused(text), "{text:?}");
        }
    }

    #[test]
    fn a_comment_glued_to_a_quote_or_a_bracket_is_a_comment() {
        let (s, docs) = parse("a: \"x\"# c\nb: [1]#é\nc: 'y'#\n");
        assert_eq!(docs[0].value, Some(serde_json::json!({"a": "x", "b": [1], "c": "y"})));
        assert_eq!(s.location(docs[0].node("/c").unwrap().value).line, 3);
    }

    #[test]
    fn tabs_crlf_and_bom() {
        let (s, docs) = parse("a:\n\tb: 1\n");
        let tab = docs[0].problems.iter().find(|p| p.kind == ProblemKind::Tab).unwrap();
        assert_eq!(s.location(tab.span).line, 2);
        assert_eq!(docs[0].problems.len(), 1, "one tab, one problem: {:?}", docs[0].problems);
        let (s, docs) = parse("\u{feff}a: 1\r\nb: x\r\n");
        let d = &docs[0];
        assert_eq!(d.value.as_ref().unwrap()["b"], Value::from("x"));
        assert_eq!(s.location(d.node("/b").unwrap().value).line, 2);
    }

    #[test]
    fn misindented_key_gets_a_hint() {
        let text = "spec:\n  http:\n  - match:\n    - uri:\n        prefix: /\n   route:\n    - x: 1\n";
        let (s, docs) = parse(text);
        let p = &docs[0].problems[0];
        assert_eq!(s.location(p.span).line, 6);
        let help = p.help.as_deref().unwrap();
        assert!(help.contains("`route:`"), "{help}");
        assert!(help.contains("`match:`"), "{help}");
    }

    fn value(text: &str) -> Value {
        let (_, docs) = parse(text);
        assert_eq!(docs.len(), 1, "{text:?}: {docs:?}");
        assert!(docs[0].problems.is_empty(), "{text:?}: {:?}", docs[0].problems);
        docs[0].value.clone().unwrap()
    }

    fn refused(text: &str) -> bool {
        let (_, docs) = parse(text);
        docs.len() == 1 && !docs[0].problems.is_empty()
    }

    #[test]
    fn documents_are_cut_as_kubectl_cuts_them() {
        // More than a comment after `---`: kubectl refuses the document before it.
        let (_, docs) = parse("a: 1\n--- b\nc: 2\n");
        assert_eq!(docs.len(), 2);
        assert!(docs[0].problems[0].message.contains("`--- b`"), "{:?}", docs[0].problems);
        assert_eq!(docs[1].value.as_ref().unwrap()["c"], Value::from(2));
        let (_, docs) = parse("--- |\n  text\n");
        assert!(docs[0].value.is_none() && !docs[0].problems.is_empty());
        assert_eq!(docs[1].value, Some(Value::from("text")), "kubectl reads on after the separator");
        // `---#c` and `----`: a separator for kubectl, though not a YAML marker.
        let (_, docs) = parse("a: 1\n---# c\nb: 2\n----\nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].problems.is_empty() && docs[2].problems.is_empty());
        assert!(!docs[1].problems.is_empty(), "`----` has more than a comment after `---`");
        let (_, docs) = parse("a: 1\n---# c\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert!(docs.iter().all(|d| d.problems.is_empty()));
        // After a byte order mark the first line is no separator, and YAML reads its marker.
        assert_eq!(value("\u{feff}--- x\n"), Value::from("x"));
    }

    #[test]
    fn a_json_stream_is_read_value_by_value() {
        // Two glued objects, the second with a surrogate pair: both read, at their bytes.
        let (s, docs) = parse("{\"a\": 1}{\"b\": \"\\ud83d\\ude00\", \"c\": 2}\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value, Some(serde_json::json!({"b": "\u{1f600}", "c": 2})));
        assert_eq!(at(&s, &docs[1], "/c"), "2");
        assert_eq!(at(&s, &docs[1], "/b"), "\"\\ud83d\\ude00\"");
        // After two values an error ends the stream; after one, YAML reads on from the next line.
        let (_, docs) = parse("{\"a\": 1}\n{\"b\": 2}\nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[2].value.is_none() && docs[2].problems[0].message.contains("after 2 values it stops here"));
        let (_, docs) = parse("{\"a\": 1}\n---\nc: 3\n");
        let values: Vec<_> = docs.iter().map(|d| d.value.clone().unwrap()).collect();
        assert_eq!(values, vec![serde_json::json!({"a": 1}), serde_json::json!({"c": 3})]);
        // A YAML flow mapping at the start is no JSON: the file is YAML, as before.
        assert_eq!(value("{a: 1}\n"), serde_json::json!({"a": 1}));
        // kubectl's decoding refuses a number beyond a float64.
        let (_, docs) = parse("{\"a\": 1e400}");
        assert!(docs[0].problems[0].message.contains("refuses this one"), "{:?}", docs[0].problems);
    }

    #[test]
    fn only_the_first_document_of_a_chunk_is_read() {
        // go-yaml reads one document per chunk: past `...`, until the next `---`, nothing counts.
        let (_, docs) = parse("a: 1\n...\nb: 2\n---\nc: 3\n...\n]\n");
        let values: Vec<_> = docs.iter().map(|d| d.value.clone().unwrap()).collect();
        assert_eq!(values, vec![serde_json::json!({"a": 1}), serde_json::json!({"c": 3})]);
    }

    #[test]
    fn each_document_with_invalid_utf8_is_refused() {
        let mut s = Sources::default();
        let id = s.add_bytes("t.yaml".into(), b"a: 1\n---\nb: caf\xe9\n---\nc: \xff\xfe\n---\nd: 4\n".to_vec());
        let docs = parse_file(s.file(id));
        let kinds: Vec<Vec<ProblemKind>> =
            docs.iter().map(|d| d.problems.iter().map(|p| p.kind.clone()).collect()).collect();
        assert_eq!(kinds, vec![vec![], vec![ProblemKind::InvalidUtf8], vec![ProblemKind::InvalidUtf8], vec![]]);
        assert_eq!(docs[1].value.as_ref().unwrap()["b"], Value::from("caf\u{fffd}"), "still linted");
    }

    #[test]
    fn a_colon_before_a_flow_indicator_belongs_to_the_value() {
        assert_eq!(value("a: [1.2.3.4, 001:db8::]\n")["a"], serde_json::json!(["1.2.3.4", "001:db8::"]));
        assert_eq!(value("a: {b:, c: 1}\n")["a"], serde_json::json!({"b:": null, "c": 1}));
        assert_eq!(value("a: {b: c:}\n")["a"], serde_json::json!({"b": "c:"}));
        assert_eq!(value("a: [b: c, d:]\n")["a"], serde_json::json!([{"b": "c"}, "d:"]));
        let (s, docs) = parse("a: [x, 001:db8::]\n");
        assert_eq!(at(&s, &docs[0], "/a/1"), "001:db8::");
        // A `:` or `?` that Kubernetes reads as an indicator inside a flow collection.
        assert!(refused("a: [::1]\n"));
        assert!(refused("a: [http://x/?q=1]\n"));
        assert_eq!(value("a: http://x/?q=1\n")["a"], Value::from("http://x/?q=1"));
    }

    #[test]
    fn tabs_where_kubernetes_allows_them_and_not() {
        assert_eq!(value("a:\tb\nc:\t\t1\nd: {e:\tf}\n"), serde_json::json!({"a": "b", "c": 1, "d": {"e": "f"}}));
        assert_eq!(value("a: \"x:\ty\"\n")["a"], Value::from("x:\ty"));
        let (_, docs) = parse("a:\n-\tb\n");
        assert_eq!(docs[0].problems.len(), 1);
        assert_eq!(docs[0].problems[0].kind, ProblemKind::Tab);
        assert!(refused("? a\n:\tb\n"));
        assert!(!refused("a:\n- b\tc\n"));
    }

    #[test]
    fn floats_json_cannot_hold_are_refused() {
        for text in ["a: .inf\n", "a: -.Inf\n", "a: [.NaN]\n", "a: !!float .inf\n"] {
            assert!(refused(text), "{text:?}");
        }
        // As keys sigs.k8s.io/yaml names them.
        assert_eq!(value(".Inf: a\n-.INF: b\n.NaN: c\n"), serde_json::json!({".inf": "a", "-.inf": "b", ".nan": "c"}));
    }

    #[test]
    fn numbers_are_what_kubernetes_reads_back_from_its_json() {
        let v = value("a: 1.0\nb: 1e3\nc: -0.0\nd: 18446744073709551615\ne: 1e20\nf: .1_0\ng: 1.5\n");
        assert_eq!(v["a"], Value::from(1));
        assert_eq!(v["b"], Value::from(1000));
        assert_eq!(v["c"], Value::from(0));
        assert_eq!(v["d"].as_f64(), Some(18446744073709551615.0));
        assert!(v["d"].is_f64() && v["e"].is_f64());
        assert_eq!(v["f"], Value::from(0.1));
        assert_eq!(v["g"], Value::from(1.5));
        // Go writes 2^60 as its shortest digits and zeros, and reads that back as an integer.
        assert_eq!(value("a: 1152921504606846976.0\n")["a"], Value::from(1152921504606847000i64));
    }

    #[test]
    fn keys_become_strings_as_sigs_k8s_io_yaml_writes_them() {
        let v = value(
            "1.5: a\n1.0: b\n1e3: c\n3.14159265358979: d\n1e7: e\n0.00001: f\n123456789.0: g\n0x10: h\n-0.0: i\n",
        );
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["1.5", "1", "1000", "3.1415927", "1e+07", "1e-05", "1.2345679e+08", "16", "-0"]);
        assert!(refused("~: a\n"));
        assert!(refused("? \n: a\n"));
        assert!(refused("18446744073709551615: a\n"));
    }

    #[test]
    fn merge_keys_as_go_yaml_v2_merges() {
        // The merge replaces keys written before it; keys after it replace what it set.
        let (_, docs) = parse("b: &b {p: 1, q: 2}\nm:\n  q: 3\n  <<: *b\n  p: 4\n");
        assert_eq!(docs[0].value.as_ref().unwrap()["m"], serde_json::json!({"q": 2, "p": 4}));
        assert_eq!(docs[0].duplicates.len(), 1, "the q written before the merge is dropped");
        assert_eq!(docs[0].duplicates[0].pointer, "/m/q");
        // In a list the first mapping wins.
        assert_eq!(
            value("a: &a {p: 1}\nb: &b {p: 2, q: 2}\nm:\n  <<: [*a, *b]\n")["m"],
            serde_json::json!({"p": 1, "q": 2})
        );
        // A quoted `<<` is a key; a list through an alias is refused.
        assert_eq!(value("a: &a {p: 1}\nm:\n  \"<<\": *a\n")["m"], serde_json::json!({"<<": {"p": 1}}));
        assert!(refused("l: &l [{p: 1}]\nm:\n  <<: *l\n"));
        assert!(refused("m:\n  <<: [[{p: 1}]]\n"));
    }

    #[test]
    fn tags_as_go_yaml_v2_reads_them() {
        let v = value(
            "a: !!binary aGVsbG8=\nb: !!int \"3\"\nc: !!float 1\nd: !!bool 'yes'\ne: !!null ''\nf: !foo 12\ng: ! 12\nh: !!timestamp 2001-12-14\ni: !<tag:yaml.org,2002:str> 12\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a": "hello", "b": 3, "c": 1, "d": true, "e": null, "f": "12", "g": "12", "h": "2001-12-14", "i": "12"})
        );
        assert_eq!(value("a: !!binary |\n  aGVs\n  bG8=\n")["a"], Value::from("hello"));
        assert_eq!(value("a: !!binary /w==\n")["a"], Value::from("\u{fffd}"));
        for text in ["a: !!binary 'no!'\n", "a: !!int three\n", "a: !!float yes\n", "a: !!timestamp 2001-13-01\n"] {
            assert!(refused(text), "{text:?}");
        }
    }

    #[test]
    fn a_slash_escape_is_refused() {
        assert!(refused("a: \"x\\/y\"\n"));
        assert_eq!(value("a: \"x\\\\/y\"\n")["a"], Value::from("x\\/y"));
        assert_eq!(value("a: \"http://x/y\"\n")["a"], Value::from("http://x/y"));
    }
}
