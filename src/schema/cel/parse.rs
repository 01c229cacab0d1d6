//! The parser: tokens to a syntax tree, by recursive descent over cel-spec's grammar
//! (`doc/langdef.md`, "Syntax"), with cel-go's limits on nesting and size.

use super::CompileError;
use super::lex::{RESERVED, Tok, lex};
use super::value::Value;

/// cel-go's default parser recursion limit (`parser.MaxRecursionDepth`): deeper nesting is a
/// compile error, so neither parsing nor evaluation can exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 250;

/// cel-go's default `ExpressionSizeCodePointLimit`.
const MAX_CODE_POINTS: usize = 100_000;

/// A syntax tree as parsed, before identifiers and functions are resolved. Operators are
/// calls of cel-go's operator functions (`_+_`, `!_`, `_?_:_`, `@in`…).
#[derive(Debug, Clone)]
pub(crate) enum Raw {
    Lit(Value),
    Ident(String),
    /// `operand.field`, or `operand.?field` if `optional`.
    Select {
        operand: Box<Raw>,
        field: String,
        optional: bool,
    },
    /// `operand[index]`, or `operand[?index]` if `optional`.
    Index {
        operand: Box<Raw>,
        index: Box<Raw>,
        optional: bool,
    },
    /// `name(args)` or, with a target, `target.name(args)`.
    Call {
        target: Option<Box<Raw>>,
        name: String,
        args: Vec<Raw>,
    },
    /// `[a, ?b]`: elements, each flagged if optional.
    List(Vec<(Raw, bool)>),
    /// `{k: v, ?k2: v2}`: entries, each flagged if optional.
    Map(Vec<(Raw, Raw, bool)>),
}

pub(crate) fn call(name: &str, args: Vec<Raw>) -> Raw {
    Raw::Call { target: None, name: name.to_string(), args }
}

/// Parses a whole expression.
pub(crate) fn parse(src: &str) -> Result<Raw, CompileError> {
    let size = src.chars().count();
    if size > MAX_CODE_POINTS {
        return Err(CompileError {
            message: format!("expression code point size exceeds limit: size: {size}, limit {MAX_CODE_POINTS}"),
        });
    }
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, depth: 0, len: src.len() };
    let e = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(p.error("unexpected token"));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn peek_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.peek_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), CompileError> {
        if self.eat(p) { Ok(()) } else { Err(self.error(&format!("expected '{p}'"))) }
    }

    #[cold]
    #[inline(never)]
    fn error(&self, what: &str) -> CompileError {
        let at = self.toks.get(self.pos).map_or(self.len, |(_, at)| *at);
        let found = match self.toks.get(self.pos) {
            None => "end of input".to_string(),
            Some((t, _)) => format!("{t:?}"),
        };
        CompileError { message: format!("Syntax error at offset {at}: {what}, found {found}") }
    }

    /// Counts one more level of nesting (a nested expression or one more link of an
    /// operator chain), failing past [`MAX_DEPTH`].
    fn deeper(&mut self) -> Result<(), CompileError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(CompileError { message: format!("expression recursion limit exceeded: {MAX_DEPTH}") });
        }
        Ok(())
    }

    fn ident(&mut self) -> Result<String, CompileError> {
        match self.peek() {
            Some(Tok::Ident(name)) => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            _ => Err(self.error("expected an identifier")),
        }
    }

    // The functions on the nesting path (`expr`, `binary`, `unary`, `member`, `primary`)
    // keep their frames small: their rarer work is in functions that are never inlined, so
    // that nesting to the limit fits a debug build's 2 MiB thread stack.
    fn expr(&mut self) -> Result<Raw, CompileError> {
        let saved = self.depth;
        self.deeper()?;
        let cond = self.binary(1)?;
        let e = if self.peek_punct("?") { self.ternary(cond)? } else { cond };
        self.depth = saved;
        Ok(e)
    }

    #[inline(never)]
    fn ternary(&mut self, cond: Raw) -> Result<Raw, CompileError> {
        self.expect("?")?;
        let t = self.binary(1)?;
        self.expect(":")?;
        let f = self.expr()?;
        Ok(call("_?_:_", vec![cond, t, f]))
    }

    /// The binary operator at the cursor, with its function and precedence (higher binds
    /// tighter): `||`, `&&`, relations, `+ -`, `* / %`.
    fn binary_op(&self) -> Option<(&'static str, u8)> {
        Some(match self.peek()? {
            Tok::Punct("||") => ("_||_", 1),
            Tok::Punct("&&") => ("_&&_", 2),
            Tok::Punct("<") => ("_<_", 3),
            Tok::Punct("<=") => ("_<=_", 3),
            Tok::Punct(">") => ("_>_", 3),
            Tok::Punct(">=") => ("_>=_", 3),
            Tok::Punct("==") => ("_==_", 3),
            Tok::Punct("!=") => ("_!=_", 3),
            Tok::In => ("@in", 3),
            Tok::Punct("+") => ("_+_", 4),
            Tok::Punct("-") => ("_-_", 4),
            Tok::Punct("*") => ("_*_", 5),
            Tok::Punct("/") => ("_/_", 5),
            Tok::Punct("%") => ("_%_", 5),
            _ => return None,
        })
    }

    /// Operators of at least `min` precedence, by precedence climbing: left-associative,
    /// except that a chain of `&&` or `||` is balanced as cel-go's parser balances it.
    fn binary(&mut self, min: u8) -> Result<Raw, CompileError> {
        let lhs = self.unary()?;
        if self.binary_op().is_some_and(|(_, p)| p >= min) { self.operators(lhs, min) } else { Ok(lhs) }
    }

    #[inline(never)]
    fn operators(&mut self, mut lhs: Raw, min: u8) -> Result<Raw, CompileError> {
        let saved = self.depth;
        while let Some((name, prec)) = self.binary_op().filter(|(_, p)| *p >= min) {
            self.pos += 1;
            self.deeper()?;
            if prec <= 2 {
                let mut terms = vec![lhs, self.binary(prec + 1)?];
                while self.binary_op().is_some_and(|(n, _)| n == name) {
                    self.pos += 1;
                    self.deeper()?;
                    terms.push(self.binary(prec + 1)?);
                }
                lhs = balance(name, terms);
            } else {
                let rhs = self.binary(prec + 1)?;
                lhs = call(name, vec![lhs, rhs]);
            }
        }
        self.depth = saved;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Raw, CompileError> {
        if self.peek_punct("!") || self.peek_punct("-") { self.prefixed() } else { self.member() }
    }

    /// `!x`, `-x`, or a negative number literal.
    #[inline(never)]
    fn prefixed(&mut self) -> Result<Raw, CompileError> {
        // A minus right before a number is part of the literal (cel-go's grammar:
        // `literal: MINUS? NUM_INT | MINUS? NUM_FLOAT`), so `-9223372036854775808` is valid.
        if self.peek_punct("-")
            && matches!(
                self.toks.get(self.pos + 1).map(|(t, _)| t),
                Some(Tok::Int(_) | Tok::IntOverflow(_) | Tok::Double(_))
            )
        {
            self.pos += 1;
            let lit = match self.peek() {
                Some(Tok::Int(i)) => Value::Int(-*i),
                Some(Tok::IntOverflow(u)) if *u == 1 << 63 => Value::Int(i64::MIN),
                Some(Tok::Double(d)) => Value::Double(-*d),
                _ => return Err(self.error("invalid int literal")),
            };
            self.pos += 1;
            return self.member_suffix(Raw::Lit(lit));
        }
        let saved = self.depth;
        let name = if self.peek_punct("!") { "!_" } else { "-_" };
        self.pos += 1;
        self.deeper()?;
        let operand = self.unary()?;
        self.depth = saved;
        Ok(call(name, vec![operand]))
    }

    fn member(&mut self) -> Result<Raw, CompileError> {
        let primary = self.primary()?;
        if self.peek_punct(".") || self.peek_punct(".?") || self.peek_punct("[") {
            self.member_suffix(primary)
        } else {
            Ok(primary)
        }
    }

    #[inline(never)]
    fn member_suffix(&mut self, mut e: Raw) -> Result<Raw, CompileError> {
        let saved = self.depth;
        loop {
            if self.eat(".") || self.peek_punct(".?") {
                let optional = self.eat(".?");
                if let Some(Tok::QuotedIdent(field)) = self.peek() {
                    let field = field.clone();
                    self.pos += 1;
                    self.deeper()?;
                    e = Raw::Select { operand: Box::new(e), field, optional };
                    continue;
                }
                let field = self.ident()?;
                self.deeper()?;
                if !optional && self.eat("(") {
                    let args = self.args(")")?;
                    e = Raw::Call { target: Some(Box::new(e)), name: field, args };
                } else {
                    e = Raw::Select { operand: Box::new(e), field, optional };
                }
            } else if self.eat("[") {
                self.deeper()?;
                let optional = self.eat("?");
                let index = self.expr()?;
                self.expect("]")?;
                e = Raw::Index { operand: Box::new(e), index: Box::new(index), optional };
            } else {
                break;
            }
        }
        self.depth = saved;
        Ok(e)
    }

    /// Comma-separated expressions up to `close` (a trailing comma is allowed in lists only,
    /// but cel-go accepts it in calls too).
    fn args(&mut self, close: &str) -> Result<Vec<Raw>, CompileError> {
        let mut args = Vec::new();
        while !self.eat(close) {
            args.push(self.expr()?);
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        Ok(args)
    }

    /// A parenthesized expression here, the rest in [`Parser::literal_or_name`]: the nesting
    /// path through this function keeps a small stack frame.
    fn primary(&mut self) -> Result<Raw, CompileError> {
        if self.eat("(") {
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(e);
        }
        self.literal_or_name()
    }

    #[inline(never)]
    fn literal_or_name(&mut self) -> Result<Raw, CompileError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(self.error("unexpected end of input"));
        };
        self.pos += 1;
        Ok(match tok {
            Tok::Int(i) => Raw::Lit(Value::Int(i)),
            Tok::Uint(u) => Raw::Lit(Value::Uint(u)),
            Tok::Double(d) => Raw::Lit(Value::Double(d)),
            Tok::Str(s) => Raw::Lit(Value::str(&s)),
            Tok::Bytes(b) => Raw::Lit(Value::Bytes(b.into())),
            Tok::True => Raw::Lit(Value::Bool(true)),
            Tok::False => Raw::Lit(Value::Bool(false)),
            Tok::Null => Raw::Lit(Value::Null),
            Tok::IntOverflow(_) => {
                self.pos -= 1;
                return Err(self.error("invalid int literal"));
            }
            Tok::Ident(name) => self.ident_or_call(name)?,
            Tok::Punct(".") => {
                // A leading dot names the root scope: `.self` is `self` here, as there is no
                // container to search.
                let name = self.ident()?;
                self.ident_or_call(name)?
            }
            Tok::Punct("[") => {
                self.deeper()?;
                let mut elems = Vec::new();
                while !self.eat("]") {
                    let optional = self.eat("?");
                    elems.push((self.expr()?, optional));
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                self.depth -= 1;
                Raw::List(elems)
            }
            Tok::Punct("{") => {
                self.deeper()?;
                let mut entries = Vec::new();
                while !self.eat("}") {
                    let optional = self.eat("?");
                    let k = self.expr()?;
                    self.expect(":")?;
                    let v = self.expr()?;
                    entries.push((k, v, optional));
                    if !self.eat(",") {
                        self.expect("}")?;
                        break;
                    }
                }
                self.depth -= 1;
                Raw::Map(entries)
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("unexpected token"));
            }
        })
    }

    fn ident_or_call(&mut self, name: String) -> Result<Raw, CompileError> {
        if RESERVED.contains(&name.as_str()) {
            self.pos -= 1;
            return Err(self.error(&format!("reserved identifier: {name}")));
        }
        if self.eat("(") {
            self.deeper()?;
            let args = self.args(")")?;
            self.depth -= 1;
            return Ok(Raw::Call { target: None, name, args });
        }
        if self.peek_punct("{") {
            return Err(self.error("message construction is not supported"));
        }
        Ok(Raw::Ident(name))
    }
}

/// Builds a balanced tree of a logical operator over `terms` (at least one), as cel-go's
/// parser does, so a long chain of `&&` is not a deep tree.
fn balance(name: &str, terms: Vec<Raw>) -> Raw {
    match <[Raw; 1]>::try_from(terms) {
        Ok([only]) => only,
        Err(mut terms) => {
            // Two or more terms: both halves are non-empty.
            let right = terms.split_off(terms.len() / 2);
            call(name, vec![balance(name, terms), balance(name, right)])
        }
    }
}
