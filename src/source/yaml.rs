//! YAML (and JSON) documents from saphyr-parser's event stream, in one pass: the JSON value that
//! Kubernetes would see, and a span for every node, reachable by JSON pointer.
//!
//! Plain scalars are resolved as Kubernetes' YAML reader (sigs.k8s.io/yaml, YAML 1.1) resolves
//! them, and those that read differently than they look are remembered. A file is first split on
//! `---` lines, as kubectl splits it, so that a syntax error in one document loses only that one.

use super::{FileId, SourceFile, Span};
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
    /// `.inf`, `.nan`: no JSON value; kept as a string.
    NotANumber,
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
    let chunks = split_documents(text);
    let parse = |&(start, end): &(usize, usize)| -> Vec<Document> {
        let chunk = &text[start..end];
        if is_blank(chunk) {
            return Vec::new();
        }
        // A chunk with only directives or markers has nothing to lint.
        parse_chunk(file.id, chunk, start).into_iter().filter(|d| d.value.is_some() || !d.problems.is_empty()).collect()
    };
    // The documents of a large file are parsed in parallel; small files are not worth the threads.
    let mut docs: Vec<Document> = if text.len() > PARALLEL_FILE_BYTES {
        chunks.par_iter().flat_map_iter(parse).collect()
    } else {
        chunks.iter().flat_map(parse).collect()
    };
    tab_problems(file, &mut docs);
    for (i, d) in docs.iter_mut().enumerate() {
        d.index = i;
    }
    docs
}

/// Files larger than this have their documents parsed in parallel.
const PARALLEL_FILE_BYTES: usize = 512 * 1024;

/// Byte ranges of the `---`-separated chunks. A `---` line starts the chunk it opens.
fn split_documents(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        if pos != start && is_separator(line) {
            out.push((start, pos));
            start = pos;
        }
        pos += line.len();
    }
    out.push((start, text.len()));
    out
}

fn is_separator(line: &str) -> bool {
    line.strip_prefix("---").is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
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
        merges: Vec<(Value, u32)>,
        anchor: usize,
        start: usize,
        kids: usize,
    },
    Seq {
        node: u32,
        items: Vec<Value>,
        anchor: usize,
        start: usize,
        kids: usize,
    },
}

struct Builder<'a> {
    file: FileId,
    offsets: Offsets<'a>,
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
    ambiguous: Vec<AmbiguousScalar>,
    duplicates: Vec<DuplicateKey>,
    problems: Vec<ParseProblem>,
    root: Option<(Value, u32)>,
    too_deep: bool,
    skip_depth: usize,
}

impl<'a> Builder<'a> {
    fn span(&self, s: &YSpan) -> Span {
        Span::new(self.file, self.offsets.byte(s.start.index()), self.offsets.byte(s.end.index()))
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
            Some(Frame::Map { pending_key, merges, map, kids, .. }) => {
                let (key, kspan) = pending_key.take().expect("a value in a mapping follows its key");
                if key == "<<" {
                    merges.push((value, node));
                    return;
                }
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
        let span = self.span(ys);
        if self.skip_depth > 0 {
            return;
        }
        let plain = style == ScalarStyle::Plain;
        let forced_str =
            tag.is_some_and(|t| t.suffix == "str" && (t.handle == "!!" || t.handle == "tag:yaml.org,2002:"));
        let (value, amb) =
            if !plain || forced_str { (Value::String(text.to_string()), None) } else { resolve_plain(text) };
        self.own += 1;
        if self.expecting_key() {
            let key = match value {
                Value::String(s) => s,
                Value::Null if plain && text.is_empty() => String::new(),
                other => other.to_string(),
            };
            if let Some(kind) = amb {
                let mut p = self.pointer();
                p.push('/');
                p.push_str(&escape_segment(&key));
                self.ambiguous.push(AmbiguousScalar { pointer: p, span, text: text.to_string(), kind, is_key: true });
            }
            if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                *pending_key = Some((key, span));
            }
            return;
        }
        if let Some(kind) = amb {
            let p = self.pointer();
            self.ambiguous.push(AmbiguousScalar { pointer: p, span, text: text.to_string(), kind, is_key: false });
        }
        let node = self.new_node(span, (0, 0), 1);
        self.attach(value, node, anchor);
    }

    fn start(&mut self, is_map: bool, anchor: usize, ys: &YSpan) {
        let start = self.offsets.byte(ys.start.index());
        if self.skip_depth > 0 {
            self.skip_depth += 1;
            return;
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
        let node = self.new_node(Span::new(self.file, start, start), (0, 0), 1);
        let kids = self.child_stack.len();
        self.stack.push(if is_map {
            Frame::Map { node, map: Map::new(), pending_key: None, merges: Vec::new(), anchor, start, kids }
        } else {
            Frame::Seq { node, items: Vec::new(), anchor, start, kids }
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
            Frame::Seq { node, mut items, anchor, start, kids } => {
                self.finish_node(node, start, end, kids);
                // Every document stays in memory for the whole run: no spare capacity.
                items.shrink_to_fit();
                self.attach(Value::Array(items), node, anchor);
            }
            Frame::Map { node, mut map, merges, anchor, start, pending_key, kids } => {
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
                for (merged, mnode) in merges {
                    self.merge_into(&mut map, merged, mnode);
                }
                self.finish_node(node, start, end, kids);
                // A map grows its entries to its hash table's capacity (7 for 4 keys, of about
                // 100 bytes each); collected again, it holds exactly its entries.
                let map = map.into_iter().collect();
                self.attach(Value::Object(map), node, anchor);
            }
        }
    }

    /// Merge the mapping (or list of mappings) `merged`, whose node is `mnode`, into the mapping
    /// being finished (its children are the top of `child_stack`).
    fn merge_into(&mut self, map: &mut Map<String, Value>, merged: Value, mnode: u32) {
        match merged {
            Value::Object(m) => {
                for ((k, v), child) in m.into_iter().zip(self.kids_of(mnode)) {
                    if !map.contains_key(&k) {
                        map.insert(k, v);
                        self.child_stack.push(self.children[child]);
                    }
                }
            }
            Value::Array(items) => {
                for (item, child) in items.into_iter().zip(self.kids_of(mnode)) {
                    self.merge_into(map, item, self.children[child]);
                }
            }
            _ => {
                let (start, end) = self.nodes[mnode as usize].value;
                let span = Span { file: self.file, start, end };
                self.problems.push(ParseProblem {
                    kind: ProblemKind::Syntax,
                    span,
                    message: "a merge key `<<` needs a mapping or a list of mappings".into(),
                    help: None,
                });
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
                other => other.to_string(),
            };
            if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                *pending_key = Some((key, span));
            }
            return;
        }
        let node = self.new_node(span, children, size as u32);
        self.attach(value, node, 0);
    }
}

/// Parse one `---` chunk; it may hold several documents when `...` ends one.
fn parse_chunk(file: FileId, chunk: &str, base: usize) -> Vec<Document> {
    let mut parser = Parser::new_from_str(chunk);
    let mut docs = Vec::new();
    let mut b: Option<Builder> = None;
    let mut doc_start = base;
    let new_builder = || Builder {
        file,
        offsets: Offsets::new(chunk, base),
        nodes: Vec::new(),
        children: Vec::new(),
        child_stack: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        sizes: Vec::new(),
        expanded: 0,
        own: 0,
        ambiguous: Vec::new(),
        duplicates: Vec::new(),
        problems: Vec::new(),
        root: None,
        too_deep: false,
        skip_depth: 0,
    };
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((ev, ys))) => match ev {
                Event::DocumentStart(_) => {
                    let nb = new_builder();
                    doc_start = nb.offsets.byte(ys.start.index());
                    b = Some(nb);
                }
                Event::DocumentEnd => {
                    if let Some(done) = b.take() {
                        let end = done.offsets.byte(ys.end.index()).max(doc_start);
                        docs.push(finish(done, doc_start, end));
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
                let mut done = b.take().unwrap_or_else(new_builder);
                let problem = syntax_problem(file, chunk, base, &done.offsets, &e);
                done.problems.push(problem);
                done.root = None;
                let end = base + chunk.len();
                docs.push(finish(done, doc_start, end));
                break;
            }
        }
    }
    docs
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
            if let Some(tab) = line[..ws].find('\t').filter(|_| !line.trim().is_empty()) {
                tabs.push(ParseProblem {
                    kind: ProblemKind::Tab,
                    span: Span::new(file.id, offset + tab, offset + tab + 1),
                    message: "tab character in indentation".into(),
                    help: Some("YAML indents with spaces only; replace the tab with spaces".into()),
                });
            }
            offset += line.len();
        }
        if !tabs.is_empty() {
            doc.problems.retain(|p| !(p.kind == ProblemKind::Syntax && p.message.contains("tab")));
            doc.problems.extend(tabs);
        }
    }
    // saphyr's own complaint about the same tab ("tabs disallowed within this context") would
    // report the one mistake twice; the tab problem above says it better.
    for doc in docs.iter_mut().filter(|d| d.problems.iter().any(|p| p.kind == ProblemKind::Tab)) {
        doc.problems.retain(|p| !(p.kind == ProblemKind::Syntax && p.message.contains("tabs disallowed")));
    }
}

/// Resolve a plain scalar as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) does, and say whether it
/// reads differently than it looks.
pub fn resolve_plain(text: &str) -> (Value, Option<Ambiguity>) {
    match text {
        "" | "null" => return (Value::Null, None),
        "~" | "Null" | "NULL" => return (Value::Null, Some(Ambiguity::Null)),
        "true" | "True" | "TRUE" => return (Value::Bool(true), None),
        "false" | "False" | "FALSE" => return (Value::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return (Value::Bool(true), Some(Ambiguity::Boolean));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return (Value::Bool(false), Some(Ambiguity::Boolean));
        }
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf"
        | "-.INF" => return (Value::String(text.to_string()), Some(Ambiguity::NotANumber)),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return (Value::String(text.to_string()), None);
    }
    let plain: std::borrow::Cow<str> = if text.contains('_') { text.replace('_', "").into() } else { text.into() };
    let underscore = text.contains('_');
    if let Some((n, octal)) = parse_int(&plain) {
        let amb = if octal {
            Some(Ambiguity::Octal)
        } else if underscore {
            Some(Ambiguity::Underscore)
        } else {
            None
        };
        return (Value::Number(n), amb);
    }
    if is_yaml_float(&plain)
        && let Some(n) = plain.parse::<f64>().ok().and_then(Number::from_f64)
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
        return (Value::Number(n), amb);
    }
    (Value::String(text.to_string()), None)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (and ParseUint), plus yaml.v2's `0b` form. Returns the
/// number and whether it was read as octal because of a leading zero.
fn parse_int(s: &str) -> Option<(Number, bool)> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
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
    let n = if neg {
        if mag > i64::MAX as u64 + 1 {
            return None;
        }
        Number::from((mag as i128).wrapping_neg() as i64)
    } else {
        Number::from(mag)
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
}
