//! Resolution: the parsed tree to the evaluable one. Expands macros (cel-go's `has`, `all`,
//! `exists`, `exists_one`, `map`, `filter`, the two-variable comprehensions and `optMap`),
//! binds identifiers to `self`, `oldSelf`, comprehension variables or type names, and resolves
//! every function by name, receiver style and arity, so an unknown function is a compile
//! error as in cel-go's checker. Literal regexes, durations and timestamps are validated here,
//! as Kubernetes' `ValidateRegexLiterals` / `ValidateDurationLiterals` do.

use std::sync::Arc;

use regex::Regex;

use super::library::{self, Imp};
use super::parse::{MAX_DEPTH, Raw};
use super::value::Value;
use super::{CompileError, library::RegexOp};

/// An expression ready to evaluate.
#[derive(Debug)]
pub(crate) enum Expr {
    Lit(Value),
    This,
    Old,
    /// A comprehension variable: its slot on the evaluator's stack of locals.
    Local(usize),
    Select {
        operand: Box<Expr>,
        field: Arc<str>,
        optional: bool,
    },
    /// `has(operand.field)`.
    Has {
        operand: Box<Expr>,
        field: Arc<str>,
    },
    Index {
        operand: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    /// A strict function: every argument is evaluated (the receiver first), then `imp`.
    Call {
        imp: Imp,
        args: Vec<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<(Expr, bool)>),
    Map(Vec<(Expr, Expr, bool)>),
    /// `matches`, `find` or `findAll` with a literal pattern, compiled once.
    Regex {
        op: RegexOp,
        args: Vec<Expr>,
        re: Arc<Regex>,
    },
    Comprehension(Box<Comprehension>),
    /// `target.optMap(v, body)` (or `optFlatMap` if `flat`), `v` at `slot`.
    OptMap {
        target: Box<Expr>,
        slot: usize,
        body: Box<Expr>,
        flat: bool,
    },
}

/// What a comprehension macro computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CompKind {
    All,
    Exists,
    ExistsOne,
    /// `map` (with `filter` set for its three-argument form) and `transformList`.
    Map,
    Filter,
    TransformMap,
    TransformMapEntry,
}

/// A comprehension over `range`. With one variable (`slots.1` is `None`) it binds each list
/// element or map key; with two, the index (or key) and the element (or value).
#[derive(Debug)]
pub(crate) struct Comprehension {
    pub kind: CompKind,
    pub range: Expr,
    pub slots: (usize, Option<usize>),
    pub filter: Option<Expr>,
    pub body: Expr,
}

/// Resolves a parsed tree; also tells whether it refers to `oldSelf`.
pub(crate) fn resolve(raw: &Raw) -> Result<(Expr, bool), CompileError> {
    let mut r = Resolver { scopes: Vec::new(), uses_old_self: false, depth: 0 };
    let e = r.expr(raw)?;
    Ok((e, r.uses_old_self))
}

fn err(message: impl Into<String>) -> CompileError {
    CompileError { message: message.into() }
}

/// Type names usable as values (`type(x) == int`).
const TYPE_NAMES: &[&str] =
    &["bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type", "optional_type"];

struct Resolver {
    /// Comprehension variables in scope, innermost last; a variable's slot is its index.
    scopes: Vec<String>,
    uses_old_self: bool,
    depth: usize,
}

impl Resolver {
    // As in the parser and the evaluator, the recursive path keeps small frames: each case
    // is in a function that is never inlined.
    fn expr(&mut self, raw: &Raw) -> Result<Expr, CompileError> {
        // The parser bounds nesting; this guards the macro expansions' own recursion too.
        self.depth += 1;
        if self.depth > 4 * MAX_DEPTH {
            return Err(err(format!("expression recursion limit exceeded: {MAX_DEPTH}")));
        }
        let e = match raw {
            Raw::Lit(v) => Ok(Expr::Lit(v.clone())),
            Raw::Ident(name) => self.ident(name),
            Raw::Select { operand, field, optional } => self.select(operand, field, *optional),
            Raw::Index { operand, index, optional } => self.index(operand, index, *optional),
            Raw::List(elems) => self.list(elems),
            Raw::Map(entries) => self.map(entries),
            Raw::Call { target, name, args } => self.call(target.as_deref(), name, args),
        };
        self.depth -= 1;
        e
    }

    fn boxed(&mut self, raw: &Raw) -> Result<Box<Expr>, CompileError> {
        Ok(Box::new(self.expr(raw)?))
    }

    #[inline(never)]
    fn select(&mut self, operand: &Raw, field: &str, optional: bool) -> Result<Expr, CompileError> {
        Ok(Expr::Select { operand: self.boxed(operand)?, field: Arc::from(field), optional })
    }

    #[inline(never)]
    fn index(&mut self, operand: &Raw, index: &Raw, optional: bool) -> Result<Expr, CompileError> {
        Ok(Expr::Index { operand: self.boxed(operand)?, index: self.boxed(index)?, optional })
    }

    #[inline(never)]
    fn list(&mut self, elems: &[(Raw, bool)]) -> Result<Expr, CompileError> {
        let mut out = Vec::with_capacity(elems.len());
        for (e, optional) in elems {
            out.push((self.expr(e)?, *optional));
        }
        Ok(Expr::List(out))
    }

    #[inline(never)]
    fn map(&mut self, entries: &[(Raw, Raw, bool)]) -> Result<Expr, CompileError> {
        let mut out = Vec::with_capacity(entries.len());
        for (k, v, optional) in entries {
            out.push((self.expr(k)?, self.expr(v)?, *optional));
        }
        Ok(Expr::Map(out))
    }

    fn ident(&mut self, name: &str) -> Result<Expr, CompileError> {
        if let Some(slot) = self.scopes.iter().rposition(|v| v == name) {
            return Ok(Expr::Local(slot));
        }
        match name {
            "self" => Ok(Expr::This),
            "oldSelf" => {
                self.uses_old_self = true;
                Ok(Expr::Old)
            }
            _ => match TYPE_NAMES.iter().find(|t| **t == name) {
                Some(t) => Ok(Expr::Lit(Value::Type(t))),
                None => Err(err(format!("undeclared reference to '{name}' (in container '')"))),
            },
        }
    }

    #[inline(never)]
    fn call(&mut self, target: Option<&Raw>, name: &str, args: &[Raw]) -> Result<Expr, CompileError> {
        match (target, name, args) {
            (None, "_&&_" | "_||_" | "_?_:_", _) => self.logical(name, args),
            (None, "has", [arg]) => self.has(arg),
            (Some(t), _, _) => self.member_call(t, name, args),
            (None, _, _) => self.global_call(name, args),
        }
    }

    #[inline(never)]
    fn logical(&mut self, name: &str, args: &[Raw]) -> Result<Expr, CompileError> {
        match (name, args) {
            ("_&&_", [a, b]) => Ok(Expr::And(self.boxed(a)?, self.boxed(b)?)),
            ("_||_", [a, b]) => Ok(Expr::Or(self.boxed(a)?, self.boxed(b)?)),
            ("_?_:_", [c, t, f]) => Ok(Expr::Cond(self.boxed(c)?, self.boxed(t)?, self.boxed(f)?)),
            _ => Err(no_overload(name, false, args.len())),
        }
    }

    /// `has(operand.field)`: the argument must be a field selection.
    #[inline(never)]
    fn has(&mut self, arg: &Raw) -> Result<Expr, CompileError> {
        let Raw::Select { operand, field, optional: false } = arg else {
            return Err(err("invalid argument to has() macro"));
        };
        Ok(Expr::Has { operand: self.boxed(operand)?, field: Arc::from(field.as_str()) })
    }

    #[inline(never)]
    fn member_call(&mut self, t: &Raw, name: &str, args: &[Raw]) -> Result<Expr, CompileError> {
        if let Some(e) = self.macro_call(t, name, args)? {
            return Ok(e);
        }
        // `format.dns1123Label()`, `optional.of(x)`, `sets.contains(a, b)`: a function
        // whose name is qualified, unless the qualifier is a variable.
        if let Some(q) = self.qualifier(t) {
            let qualified = format!("{q}.{name}");
            if let Some(imp) = library::lookup(&qualified, false, args.len()) {
                return self.strict(imp, None, args);
            }
        }
        if let Some(e) = self.regex_call(Some(t), name, args)? {
            return Ok(e);
        }
        match library::lookup(name, true, args.len()) {
            Some(imp) => self.strict(imp, Some(t), args),
            None => Err(no_overload(name, true, args.len())),
        }
    }

    #[inline(never)]
    fn global_call(&mut self, name: &str, args: &[Raw]) -> Result<Expr, CompileError> {
        if let Some(e) = self.regex_call(None, name, args)? {
            return Ok(e);
        }
        if let ("duration" | "timestamp", [Raw::Lit(Value::String(s))]) = (name, args) {
            let arg = [Value::String(s.clone())];
            let v = if name == "duration" { library::to_duration(&arg) } else { library::to_timestamp(&arg) };
            return v.map(Expr::Lit).map_err(|e| err(e.message));
        }
        match library::lookup(name, false, args.len()) {
            Some(imp) => self.strict(imp, None, args),
            None => Err(no_overload(name, false, args.len())),
        }
    }

    #[inline(never)]
    fn strict(&mut self, imp: Imp, target: Option<&Raw>, args: &[Raw]) -> Result<Expr, CompileError> {
        let mut resolved = Vec::with_capacity(args.len() + 1);
        if let Some(t) = target {
            resolved.push(self.expr(t)?);
        }
        for a in args {
            resolved.push(self.expr(a)?);
        }
        Ok(Expr::Call { imp, args: resolved })
    }

    /// `a.b` of an identifier chain whose root is not a variable in scope.
    fn qualifier(&self, raw: &Raw) -> Option<String> {
        match raw {
            Raw::Ident(name) if !self.scopes.iter().any(|v| v == name) && name != "self" && name != "oldSelf" => {
                Some(name.clone())
            }
            Raw::Select { operand, field, optional: false } => Some(format!("{}.{field}", self.qualifier(operand)?)),
            _ => None,
        }
    }

    /// `matches`/`find`/`findAll` whose pattern is a string literal: compiled now, so an
    /// invalid pattern is a compile error (Kubernetes' `ValidateRegexLiterals`).
    fn regex_call(&mut self, target: Option<&Raw>, name: &str, args: &[Raw]) -> Result<Option<Expr>, CompileError> {
        let (op, subject, pattern, rest) = match (target, name, args) {
            (Some(t), "matches", [p]) => (RegexOp::Matches, t, p, &[][..]),
            (None, "matches", [s, p]) => (RegexOp::Matches, s, p, &[][..]),
            (Some(t), "find", [p]) => (RegexOp::Find, t, p, &[][..]),
            (Some(t), "findAll", [p, rest @ ..]) if rest.len() <= 1 => (RegexOp::FindAll, t, p, rest),
            _ => return Ok(None),
        };
        let Raw::Lit(Value::String(pattern)) = pattern else {
            return Ok(None);
        };
        let re = library::compile_regex(pattern).map_err(|e| err(e.message))?;
        let mut resolved = vec![self.expr(subject)?];
        for r in rest {
            resolved.push(self.expr(r)?);
        }
        Ok(Some(Expr::Regex { op, args: resolved, re }))
    }

    /// Binds a macro's variable name for the resolution of `body`.
    fn var_name(raw: &Raw) -> Result<String, CompileError> {
        match raw {
            Raw::Ident(name) => Ok(name.clone()),
            _ => Err(err("argument must be a simple name")),
        }
    }

    fn with_vars<T>(
        &mut self,
        names: &[String],
        f: impl FnOnce(&mut Self) -> Result<T, CompileError>,
    ) -> Result<T, CompileError> {
        let base = self.scopes.len();
        self.scopes.extend(names.iter().cloned());
        let r = f(self);
        self.scopes.truncate(base);
        r
    }

    #[inline(never)]
    fn macro_call(&mut self, target: &Raw, name: &str, args: &[Raw]) -> Result<Option<Expr>, CompileError> {
        use CompKind::*;
        let (kind, vars, filter, body) = match (name, args) {
            ("all", [v, p]) => (All, vec![v], None, p),
            ("exists", [v, p]) => (Exists, vec![v], None, p),
            ("exists_one", [v, p]) => (ExistsOne, vec![v], None, p),
            ("map", [v, t]) => (Map, vec![v], None, t),
            ("map", [v, f, t]) => (Map, vec![v], Some(f), t),
            ("filter", [v, p]) => (Filter, vec![v], None, p),
            ("all", [k, v, p]) => (All, vec![k, v], None, p),
            ("exists", [k, v, p]) => (Exists, vec![k, v], None, p),
            ("existsOne" | "exists_one", [k, v, p]) => (ExistsOne, vec![k, v], None, p),
            ("transformList", [k, v, t]) => (Map, vec![k, v], None, t),
            ("transformList", [k, v, f, t]) => (Map, vec![k, v], Some(f), t),
            ("transformMap", [k, v, t]) => (TransformMap, vec![k, v], None, t),
            ("transformMap", [k, v, f, t]) => (TransformMap, vec![k, v], Some(f), t),
            ("transformMapEntry", [k, v, t]) => (TransformMapEntry, vec![k, v], None, t),
            ("transformMapEntry", [k, v, f, t]) => (TransformMapEntry, vec![k, v], Some(f), t),
            ("optMap" | "optFlatMap", [v, body]) => {
                let target = self.boxed(target)?;
                let var = Self::var_name(v)?;
                let slot = self.scopes.len();
                let body = self.with_vars(&[var], |r| r.boxed(body))?;
                return Ok(Some(Expr::OptMap { target, slot, body, flat: name == "optFlatMap" }));
            }
            _ => return Ok(None),
        };
        let names = vars.iter().map(|v| Self::var_name(v)).collect::<Result<Vec<_>, _>>()?;
        if names.len() == 2 && names[0] == names[1] {
            return Err(err(format!("duplicate variable name: {}", names[0])));
        }
        let range = self.expr(target)?;
        let base = self.scopes.len();
        let slots = (base, (names.len() == 2).then_some(base + 1));
        let (filter, body) = self.with_vars(&names, |r| {
            let filter = filter.map(|f| r.expr(f)).transpose()?;
            Ok((filter, r.expr(body)?))
        })?;
        Ok(Some(Expr::Comprehension(Box::new(Comprehension { kind, range, slots, filter, body }))))
    }
}

fn no_overload(name: &str, member: bool, arity: usize) -> CompileError {
    if library::is_known(name) {
        let style = if member { "receiver-style" } else { "global" };
        err(format!("found no matching overload for '{name}' as a {style} call with {arity} argument(s)"))
    } else {
        err(format!("undeclared reference to '{name}' (in container '')"))
    }
}
