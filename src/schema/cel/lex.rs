//! The lexer: CEL source text to tokens, per the lexis of cel-spec's `doc/langdef.md`.

use super::CompileError;

/// One token, with the byte offset where it starts (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A backquoted field name: `` `content-type` `` (cel-spec's `ESC_IDENTIFIER`).
    QuotedIdent(String),
    Int(i64),
    /// A decimal or hex literal too large for `i64`; only valid right after a unary minus
    /// (`-9223372036854775808`), which the parser checks.
    IntOverflow(u64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    True,
    False,
    Null,
    In,
    /// A punctuator or operator.
    Punct(&'static str),
}

/// Words the grammar reserves: they may be neither identifiers nor field names
/// (langdef.md, "Syntax": `RESERVED`).
pub(crate) const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Operators, longest first so that `<=` wins over `<`.
const PUNCTS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", ".?", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")",
    "[", "]", "{", "}",
];

fn err(at: usize, message: impl std::fmt::Display) -> CompileError {
    CompileError { message: format!("Syntax error at offset {at}: {message}") }
}

/// Splits `src` into tokens with their offsets.
pub(crate) fn lex(src: &str) -> Result<Vec<(Tok, usize)>, CompileError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            i += 1;
            continue;
        }
        if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        let start = i;
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let (tok, end) = number(src, i)?;
            out.push((tok, start));
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            let word = &src[i..end];
            // String prefixes: r/R (raw), b/B (bytes), in either order.
            let lower = word.to_ascii_lowercase();
            if matches!(lower.as_str(), "r" | "b" | "rb" | "br") && matches!(bytes.get(end), Some(b'"' | b'\'')) {
                let raw = lower.contains('r');
                let is_bytes = lower.contains('b');
                let (content, after) = string(src, end, raw, is_bytes)?;
                out.push((
                    if is_bytes {
                        Tok::Bytes(content)
                    } else {
                        // `string` only produces valid UTF-8 for non-bytes literals.
                        Tok::Str(String::from_utf8(content).map_err(|_| err(start, "invalid UTF-8"))?)
                    },
                    start,
                ));
                i = after;
                continue;
            }
            let tok = match word {
                "true" => Tok::True,
                "false" => Tok::False,
                "null" => Tok::Null,
                "in" => Tok::In,
                _ => Tok::Ident(word.to_string()),
            };
            out.push((tok, start));
            i = end;
            continue;
        }
        if c == b'`' {
            let body_len = src[i + 1..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || "_.-/ ".contains(ch)))
                .unwrap_or(src.len() - i - 1);
            if body_len == 0 || bytes.get(i + 1 + body_len) != Some(&b'`') {
                return Err(err(start, "invalid quoted identifier"));
            }
            out.push((Tok::QuotedIdent(src[i + 1..i + 1 + body_len].to_string()), start));
            i += body_len + 2;
            continue;
        }
        if c == b'"' || c == b'\'' {
            let (content, after) = string(src, i, false, false)?;
            let s = String::from_utf8(content).map_err(|_| err(start, "invalid UTF-8"))?;
            out.push((Tok::Str(s), start));
            i = after;
            continue;
        }
        match PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
            Some(p) => {
                out.push((Tok::Punct(p), start));
                i += p.len();
            }
            None => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(start, format!("token recognition error at: '{ch}'")));
            }
        }
    }
    Ok(out)
}

/// A numeric literal at `i`: `123`, `0x1F`, `123u`, `1.5`, `.5`, `1e3`, `1.5e-3`.
fn number(src: &str, i: usize) -> Result<(Tok, usize), CompileError> {
    let bytes = src.as_bytes();
    let digits_end = |mut j: usize, hex: bool| {
        while j < bytes.len() && (if hex { bytes[j].is_ascii_hexdigit() } else { bytes[j].is_ascii_digit() }) {
            j += 1;
        }
        j
    };
    if src[i..].starts_with("0x") || src[i..].starts_with("0X") {
        let end = digits_end(i + 2, true);
        if end == i + 2 {
            return Err(err(i, "invalid hex literal"));
        }
        let v = u64::from_str_radix(&src[i + 2..end], 16).map_err(|_| err(i, "invalid int literal"))?;
        return int_token(v, bytes, end);
    }
    let int_end = digits_end(i, false);
    let mut end = int_end;
    let mut is_float = false;
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = digits_end(end + 1, false);
        is_float = true;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            end = digits_end(j, false);
            is_float = true;
        }
    }
    if is_float {
        let v: f64 = src[i..end].parse().map_err(|_| err(i, "invalid double literal"))?;
        return Ok((Tok::Double(v), end));
    }
    let v: u64 = src[i..int_end].parse().map_err(|_| err(i, "invalid int literal"))?;
    int_token(v, bytes, int_end)
}

fn int_token(v: u64, bytes: &[u8], end: usize) -> Result<(Tok, usize), CompileError> {
    if matches!(bytes.get(end), Some(b'u' | b'U')) {
        return Ok((Tok::Uint(v), end + 1));
    }
    Ok((i64::try_from(v).map_or(Tok::IntOverflow(v), Tok::Int), end))
}

/// A quoted literal whose opening quote is at `i`: single, double or triple quoted; `raw`
/// leaves backslashes alone; `bytes` makes `\x`/octal escapes raw bytes instead of code
/// points. Returns the content and the offset after the closing quote.
fn string(src: &str, i: usize, raw: bool, bytes: bool) -> Result<(Vec<u8>, usize), CompileError> {
    let q = src.as_bytes()[i] as char;
    let triple: String = [q; 3].iter().collect();
    let (delim, mut j) = if src[i..].starts_with(&triple) { (triple.as_str(), i + 3) } else { (&triple[..1], i + 1) };
    let mut out = Vec::new();
    loop {
        let rest = &src[j..];
        if rest.starts_with(delim) {
            return Ok((out, j + delim.len()));
        }
        let Some(ch) = rest.chars().next() else {
            return Err(err(i, "unterminated string literal"));
        };
        if delim.len() == 1 && (ch == '\n' || ch == '\r') {
            return Err(err(j, "newline in string literal"));
        }
        if ch != '\\' || raw {
            let mut buf = [0; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            j += ch.len_utf8();
            continue;
        }
        let esc_at = j;
        j += 1;
        let Some(e) = src[j..].chars().next() else {
            return Err(err(esc_at, "unterminated escape sequence"));
        };
        j += e.len_utf8();
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' | '?' | '"' | '\'' | '`' => Some(e as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let (len, radix) = match e {
            'x' | 'X' => (2, 16),
            'u' if !bytes => (4, 16),
            'U' if !bytes => (8, 16),
            '0'..='3' => (2, 8),
            _ => return Err(err(esc_at, format!("invalid escape sequence '\\{e}'"))),
        };
        let digits_start = if radix == 8 { j - 1 } else { j };
        let digits_end = digits_start + if radix == 8 { 3 } else { len };
        let digits = src
            .get(digits_start..digits_end)
            .filter(|d| d.chars().all(|c| c.is_digit(radix)))
            .ok_or_else(|| err(esc_at, "invalid escape sequence"))?;
        let v = u32::from_str_radix(digits, radix).map_err(|_| err(esc_at, "invalid escape"))?;
        j = digits_end;
        if bytes && matches!(e, 'x' | 'X' | '0'..='3') {
            out.push(v as u8);
            continue;
        }
        let c = char::from_u32(v).ok_or_else(|| err(esc_at, "invalid unicode code point"))?;
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}
