//! go-yaml v2's scanner, which Kubernetes reads YAML with, as far as two questions need it where
//! saphyr's YAML 1.2 scanner answers otherwise. Which tabs does it refuse (a tab at the start of a
//! line in block context, also on a blank or comment line, after `-`, `?` or an explicit key's
//! `:`, or in the indentation of a plain or block scalar's lines)? And where does the document
//! end: go-yaml's parser ends it after its root node and reads one token past it, so Kubernetes
//! reads `"x" y` as `"x"` and drops the rest, where saphyr refuses it?
//!
//! go-yaml skips tabs between tokens only where a simple key may not start (in flow context, and
//! in block context after a token that is not an indicator), so a tab where one may start is "a
//! character that cannot start any token". This is its scanner, as far as that decision needs:
//! the flow level, whether a simple key may start, the indentation stack, and the extent of every
//! scalar (a plain scalar's and a block scalar's lines have tab checks of their own). Like
//! Kubernetes, it reads only a chunk's first document, and stops where that one ends.

/// Why go-yaml refuses a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TabError {
    /// Where a token may start: "found character that cannot start any token". `after` is the
    /// indicator (`-`, `?`, `:`) before it on its line, if any.
    StartsToken { after: Option<u8> },
    /// In the indentation of a line after a plain scalar: "found a tab character that violates
    /// indentation".
    PlainIndent,
    /// In the indentation of a block scalar's line: "found a tab character where an indentation
    /// space is expected".
    BlockIndent,
}

impl TabError {
    pub(super) fn message(self) -> String {
        let (what, go) = match self {
            TabError::StartsToken { after: Some(c) } => {
                (format!("a tab after `{}`", c as char), "found character that cannot start any token")
            }
            TabError::StartsToken { after: None } => {
                ("a tab at the start of a line".into(), "found character that cannot start any token")
            }
            TabError::PlainIndent => {
                ("a tab in the indentation after a value".into(), "found a tab character that violates indentation")
            }
            TabError::BlockIndent => (
                "a tab in the indentation of a block scalar (`|`, `>`)".into(),
                "found a tab character where an indentation space is expected",
            ),
        };
        format!("{what}: Kubernetes' YAML reader refuses it (\"{go}\")")
    }
}

/// The byte offset in `chunk` of the first tab that go-yaml refuses, and why. `None` when there is
/// none, or when go-yaml stops at another error first (the document is refused for that one).
pub(super) fn refused_tab(chunk: &str) -> Option<(usize, TabError)> {
    if !chunk.contains('\t') {
        return None;
    }
    scanner(chunk).run().err()
}

/// Where go-yaml ends the document of `chunk` before the chunk's end, after its root node (and the
/// one token past it that it reads without an error); `None` when the document runs to the end, or
/// at `...`, or when go-yaml refuses it on the way.
pub(super) fn root_end(chunk: &str) -> Option<usize> {
    let mut s = scanner(chunk);
    match s.run() {
        Ok(()) if !s.failed => s.root_end,
        _ => None,
    }
}

fn scanner(chunk: &str) -> Scan<'_> {
    Scan {
        b: chunk.as_bytes(),
        i: 0,
        col: 0,
        line: 0,
        index: 0,
        flow: 0,
        allowed: true,
        indent: -1,
        indents: Vec::new(),
        keys: vec![None],
        indicator: None,
        tokens: 0,
        root_complete: false,
        last: false,
        root_end: None,
        failed: false,
    }
}

/// A place where a simple key may start.
#[derive(Clone, Copy)]
struct Key {
    line: usize,
    index: usize,
    col: isize,
}

struct Scan<'a> {
    b: &'a [u8],
    /// Byte offset.
    i: usize,
    /// Characters since the line's start.
    col: usize,
    line: usize,
    /// Characters since the chunk's start.
    index: usize,
    flow: usize,
    /// go-yaml's `simple_key_allowed`: where it is, tabs are not skipped in block context.
    allowed: bool,
    indent: isize,
    indents: Vec<isize>,
    /// The possible simple key of each flow level.
    keys: Vec<Option<Key>>,
    /// The last `-`, `?` or explicit `:` and its line, for the message.
    indicator: Option<(u8, usize)>,
    tokens: usize,
    /// A node ended with no collection open: the document's root, unless a `:` makes it a key.
    root_complete: bool,
    /// The document has ended: go-yaml's parser reads this one token past it, no further.
    last: bool,
    /// Where that token starts.
    root_end: Option<usize>,
    /// go-yaml stops at an error other than a tab.
    failed: bool,
}

/// `Err` carries the refused tab; `Ok` is the end of the scan (the document's end, or another
/// error).
type Step = Result<(), (usize, TabError)>;

impl Scan<'_> {
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// go-yaml stops here with an error that is not about a tab.
    fn fail(&mut self) {
        self.failed = true;
        self.i = self.b.len();
    }

    fn end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn blank_at(&self, k: usize) -> bool {
        matches!(self.at(k), b' ' | b'\t')
    }

    /// A line break: CR, LF, and NEL, LS and PS, which go-yaml takes as breaks too.
    fn break_at(&self, k: usize) -> bool {
        match self.at(k) {
            b'\r' | b'\n' => true,
            0xC2 => self.at(k + 1) == 0x85,
            0xE2 => self.at(k + 1) == 0x80 && matches!(self.at(k + 2), 0xA8 | 0xA9),
            _ => false,
        }
    }

    fn blankz_at(&self, k: usize) -> bool {
        self.blank_at(k) || self.break_at(k) || self.i + k >= self.b.len()
    }

    fn skip(&mut self) {
        let width = match self.at(0) {
            c if c < 0x80 => 1,
            c if c >= 0xF0 => 4,
            c if c >= 0xE0 => 3,
            _ => 2,
        };
        self.i = (self.i + width).min(self.b.len());
        self.col += 1;
        self.index += 1;
    }

    fn skip_line(&mut self) {
        if self.at(0) == b'\r' && self.at(1) == b'\n' {
            self.i += 2;
            self.index += 2;
        } else {
            self.skip();
        }
        self.col = 0;
        self.line += 1;
    }

    fn document_indicator(&self) -> bool {
        self.col == 0
            && (self.b[self.i..].starts_with(b"---") || self.b[self.i..].starts_with(b"..."))
            && self.blankz_at(3)
    }

    fn col(&self) -> isize {
        self.col as isize
    }

    fn save_key(&mut self) {
        if self.allowed {
            let key = Key { line: self.line, index: self.index, col: self.col() };
            *self.keys.last_mut().expect("a key slot per flow level") = Some(key);
        }
    }

    fn remove_key(&mut self) {
        *self.keys.last_mut().expect("a key slot per flow level") = None;
    }

    fn roll(&mut self, col: isize) {
        if self.flow == 0 && self.indent < col {
            self.indents.push(self.indent);
            self.indent = col;
        }
    }

    fn unroll(&mut self, col: isize) {
        if self.flow > 0 {
            return;
        }
        while self.indent > col {
            self.indent = self.indents.pop().unwrap_or(-1);
            if self.indent == -1 {
                // The root collection has ended: this token is the one go-yaml reads past it.
                self.last = true;
            }
        }
    }

    /// A node ended: with nothing open, it is the root.
    fn node_end(&mut self) {
        if self.flow == 0 && self.indent == -1 {
            self.root_complete = true;
        }
    }

    fn run(&mut self) -> Step {
        loop {
            self.skip_to_next_token();
            if self.end() {
                return Ok(());
            }
            if self.root_complete {
                self.root_complete = false;
                let value = self.at(0) == b':' && self.blankz_at(1) && self.valid_key().is_some();
                if !value {
                    self.last = true;
                }
            }
            self.unroll(self.col());
            if self.document_indicator() {
                if self.tokens > 0 || self.at(0) == b'.' {
                    return Ok(());
                }
                // The chunk's own `---`.
                self.unroll(-1);
                self.last = false;
                self.remove_key();
                self.allowed = false;
                self.i += 3;
                self.col += 3;
                self.index += 3;
                continue;
            }
            let last = self.last;
            if last {
                self.root_end = Some(self.i);
            }
            self.token()?;
            self.tokens += 1;
            if last {
                return Ok(());
            }
        }
    }

    /// go-yaml's `scan_to_next_token`: spaces, and tabs where no simple key may start, comments
    /// and line breaks.
    fn skip_to_next_token(&mut self) {
        loop {
            if self.col == 0 && self.b[self.i..].starts_with("\u{feff}".as_bytes()) {
                self.skip();
            }
            while self.at(0) == b' ' || ((self.flow > 0 || !self.allowed) && self.at(0) == b'\t') {
                self.skip();
            }
            if self.at(0) == b'#' {
                while !self.break_at(0) && !self.end() {
                    self.skip();
                }
            }
            if self.break_at(0) {
                self.skip_line();
                if self.flow == 0 {
                    self.allowed = true;
                }
            } else {
                return;
            }
        }
    }

    fn valid_key(&self) -> Option<Key> {
        let k = (*self.keys.last()?)?;
        (k.line == self.line && k.index + 1024 >= self.index).then_some(k)
    }

    fn token(&mut self) -> Step {
        let c = self.at(0);
        let block = self.flow == 0;
        match c {
            b'%' if self.col == 0 => {
                self.remove_key();
                self.allowed = false;
                while !self.break_at(0) && !self.end() {
                    self.skip();
                }
            }
            b'[' | b'{' => {
                self.save_key();
                self.flow += 1;
                self.keys.push(None);
                self.allowed = true;
                self.skip();
            }
            b']' | b'}' => {
                self.remove_key();
                if self.flow > 0 {
                    self.flow -= 1;
                    self.keys.pop();
                }
                self.allowed = false;
                self.skip();
                self.node_end();
            }
            b',' => {
                self.remove_key();
                self.allowed = true;
                self.skip();
            }
            b'-' if self.blankz_at(1) => {
                self.roll(self.col());
                self.remove_key();
                self.allowed = true;
                self.indicator = Some((c, self.line));
                self.skip();
            }
            b'?' if !block || self.blankz_at(1) => {
                self.roll(self.col());
                self.remove_key();
                self.allowed = block;
                self.indicator = Some((c, self.line));
                self.skip();
            }
            b':' if !block || self.blankz_at(1) => {
                match self.valid_key() {
                    Some(k) => {
                        self.roll(k.col);
                        self.remove_key();
                        self.allowed = false;
                    }
                    // "mapping values are not allowed in this context"
                    None if block && !self.allowed => {
                        self.fail();
                        return Ok(());
                    }
                    None => {
                        self.roll(self.col());
                        self.allowed = block;
                        self.indicator = Some((c, self.line));
                    }
                }
                self.skip();
            }
            b'*' | b'&' => {
                self.save_key();
                self.allowed = false;
                self.skip();
                let name = self.i;
                while self.at(0).is_ascii_alphanumeric() || matches!(self.at(0), b'_' | b'-') {
                    self.skip();
                }
                if self.i == name || !(self.blankz_at(0) || b"?:,]}%@`".contains(&self.at(0))) {
                    // "did not find expected alphabetic or numeric character"
                    self.fail();
                    return Ok(());
                }
                if c == b'*' {
                    self.node_end();
                }
            }
            b'!' => {
                self.save_key();
                self.allowed = false;
                while !self.blankz_at(0) {
                    self.skip();
                }
            }
            b'|' | b'>' if block => {
                self.remove_key();
                self.allowed = true;
                self.block_scalar()?;
                self.node_end();
            }
            b'\'' | b'"' => {
                self.save_key();
                self.allowed = false;
                if !self.flow_scalar(c == b'\'') {
                    self.fail();
                    return Ok(());
                }
                self.node_end();
            }
            _ if self.plain_start() => {
                self.save_key();
                self.allowed = false;
                self.plain_scalar()?;
                self.node_end();
            }
            b'\t' => {
                let after = self.indicator.filter(|(_, line)| *line == self.line).map(|(c, _)| c);
                return Err((self.i, TabError::StartsToken { after }));
            }
            // Another error: the document is refused for it.
            _ => self.fail(),
        }
        Ok(())
    }

    fn plain_start(&self) -> bool {
        let c = self.at(0);
        !(self.blankz_at(0) || b"-?:,[]{}#&*!|>'\"%@`".contains(&c))
            || (c == b'-' && !self.blank_at(1))
            || (self.flow == 0 && matches!(c, b'?' | b':') && !self.blankz_at(1))
    }

    /// go-yaml's `scan_plain_scalar`, for its extent and its tab check.
    fn plain_scalar(&mut self) -> Step {
        let indent = self.indent + 1;
        let mut leading_blanks = false;
        loop {
            if self.document_indicator() || self.at(0) == b'#' {
                break;
            }
            while !self.blankz_at(0) {
                let c = self.at(0);
                if (c == b':' && self.blankz_at(1)) || (self.flow > 0 && b",?[]{}".contains(&c)) {
                    break;
                }
                leading_blanks = false;
                self.skip();
            }
            if !(self.blank_at(0) || self.break_at(0)) {
                break;
            }
            while self.blank_at(0) || self.break_at(0) {
                if self.blank_at(0) {
                    if leading_blanks && self.col() < indent && self.at(0) == b'\t' {
                        return Err((self.i, TabError::PlainIndent));
                    }
                    self.skip();
                } else {
                    self.skip_line();
                    leading_blanks = true;
                }
            }
            if self.flow == 0 && self.col() < indent {
                break;
            }
        }
        if leading_blanks {
            self.allowed = true;
        }
        Ok(())
    }

    /// go-yaml's `scan_flow_scalar`, for its extent: `false` where it fails.
    fn flow_scalar(&mut self, single: bool) -> bool {
        let quote = if single { b'\'' } else { b'"' };
        self.skip();
        loop {
            if self.document_indicator() || self.end() {
                return false;
            }
            while !self.blankz_at(0) {
                match self.at(0) {
                    b'\'' if single && self.at(1) == b'\'' => {
                        self.skip();
                        self.skip();
                    }
                    c if c == quote => break,
                    b'\\' if !single && self.break_at(1) => {
                        self.skip();
                        self.skip_line();
                        break;
                    }
                    b'\\' if !single => {
                        self.skip();
                        if self.end() {
                            return false;
                        }
                        self.skip();
                    }
                    _ => self.skip(),
                }
            }
            if self.at(0) == quote {
                self.skip();
                return true;
            }
            while self.blank_at(0) || self.break_at(0) {
                if self.blank_at(0) { self.skip() } else { self.skip_line() }
            }
        }
    }

    /// go-yaml's `scan_block_scalar`, for its extent and its tab checks.
    fn block_scalar(&mut self) -> Step {
        self.skip();
        if self.at(0) == b'0' || (matches!(self.at(0), b'+' | b'-') && self.at(1) == b'0') {
            // "found an indentation indicator equal to 0"
            self.fail();
            return Ok(());
        }
        let mut increment = 0;
        if matches!(self.at(0), b'+' | b'-') {
            self.skip();
            if self.at(0).is_ascii_digit() {
                increment = self.at(0) - b'0';
                self.skip();
            }
        } else if self.at(0).is_ascii_digit() {
            increment = self.at(0) - b'0';
            self.skip();
            if matches!(self.at(0), b'+' | b'-') {
                self.skip();
            }
        }
        while self.blank_at(0) {
            self.skip();
        }
        if self.at(0) == b'#' {
            while !self.break_at(0) && !self.end() {
                self.skip();
            }
        }
        if !(self.break_at(0) || self.end()) {
            // "did not find expected comment or line break"
            self.fail();
            return Ok(());
        }
        if self.break_at(0) {
            self.skip_line();
        }
        let mut indent = match increment {
            0 => 0,
            n if self.indent >= 0 => self.indent + isize::from(n),
            n => isize::from(n),
        };
        self.block_breaks(&mut indent)?;
        while self.col() == indent && !self.end() {
            while !self.break_at(0) && !self.end() {
                self.skip();
            }
            if self.break_at(0) {
                self.skip_line();
            }
            self.block_breaks(&mut indent)?;
        }
        Ok(())
    }

    /// go-yaml's `scan_block_scalar_breaks`: the indentation and empty lines of a block scalar,
    /// and its indentation when the header gives none.
    fn block_breaks(&mut self, indent: &mut isize) -> Step {
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.col() < *indent) && self.at(0) == b' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.col());
            if (*indent == 0 || self.col() < *indent) && self.at(0) == b'\t' {
                return Err((self.i, TabError::BlockIndent));
            }
            if !self.break_at(0) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<TabError> {
        refused_tab(text).map(|(at, why)| {
            assert_eq!(text.as_bytes()[at], b'\t', "{text:?}: {at}");
            why
        })
    }

    /// Each verdict is kubectl's (scripts/yaml-oracle), on the same text.
    #[test]
    fn tabs_where_go_yaml_takes_them() {
        for text in [
            "a:\tb\n",
            "a: \t b\n",
            "a: [1,\n\t2]\n",
            "a: &x\tb\n",
            "a: !t\tb\n",
            "a: b\n \tc\n",
            "a: b\n  \tc\n",
            "a: |\n  x\n  \t\nb: 1\n",
            "[b\n\t]\n",
            "hello\n\t\n",
            "a: \"x\n\ty\"\n",
            "a: 'x\n\ty'\n",
            "a: b\tc\n",
            "a: 1\n...\n\tb\n",
            "a: {b: 1}\t# c\n",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn tabs_go_yaml_refuses() {
        let starts = TabError::StartsToken { after: None };
        for (text, why) in [
            ("\ta: b\n", starts),
            ("  \ta: b\n", starts),
            ("\t# c\na: 1\n", starts),
            ("\t\na: 1\n", starts),
            ("\t[1]\n", starts),
            ("a:\n  \tb: 1\n", starts),
            ("a:\n  b:\n\t\n  c: 1\n", starts),
            ("a: [1]\n\t\n", starts),
            ("a: {b: 1}\t\n\t\n", starts),
            ("a: b #c\n\tx: 1\n", starts),
            ("---\n\ta: 1\n", starts),
            ("-\tb\n", TabError::StartsToken { after: Some(b'-') }),
            ("-\t# c\n  b\n", TabError::StartsToken { after: Some(b'-') }),
            ("a:\n  - b\n  -\tc\n", TabError::StartsToken { after: Some(b'-') }),
            ("? a\n:\tb\n", TabError::StartsToken { after: Some(b':') }),
            ("a: b\n\t\nc: d\n", TabError::PlainIndent),
            ("a: 1\n\t# c\n", TabError::PlainIndent),
            ("x: 1\n\ty: 2\n", TabError::PlainIndent),
            ("- a\n\t\n- b\n", TabError::PlainIndent),
            ("a: [b\n\t]\n", TabError::PlainIndent),
            ("a:\n  b: x\n \ty\n", TabError::PlainIndent),
            ("a: |\n  x\n\tb: 1\n", TabError::BlockIndent),
            ("a: |\n  x\n\t\nb: 1\n", TabError::BlockIndent),
            ("a: |\n \t\n  x\n", TabError::BlockIndent),
            ("a: >\n  x\n\n\t\n", TabError::BlockIndent),
        ] {
            assert_eq!(refused(text), Some(why), "{text:?}");
        }
    }

    #[test]
    fn only_one_token_past_the_root() {
        // go-yaml ends the document where a line is less indented than the root, and reads one
        // token of what follows.
        assert_eq!(refused("  a: b\nc:\t\td\n"), None);
        assert_eq!(refused("  a: b\nc\n\t\n"), None);
        assert_eq!(refused("  a: b\n\tc\n"), Some(TabError::PlainIndent));
    }

    #[test]
    fn the_document_ends_after_its_root() {
        for (text, end) in [
            ("\"x\" y\n", Some(4)),
            ("S #\ne\n", Some(4)),
            ("\"\"\n}\n", Some(3)),
            ("  a: b\nc: d\n", Some(7)),
            ("[1]\n[2]\n", Some(4)),
            ("a: b\nc: d\n", None),
            ("- a\n- b\n", None),
            ("\"x\"\n", None),
            ("\"x\": y\n", None),
            // The token past the root is read, and go-yaml refuses these.
            ("\"x\" @\n", None),
            (" r:\n*\n", None),
            (" r:\n*a.b\n", None),
        ] {
            assert_eq!(root_end(text), end, "{text:?}");
        }
    }
}
