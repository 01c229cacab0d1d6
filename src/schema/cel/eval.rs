//! The evaluator: walks a resolved expression with `self`, `oldSelf` and the comprehension
//! variables bound, following cel-go's interpreter where semantics are subtle (see each
//! function).

use std::sync::Arc;

use super::EvalError;
use super::library;
use super::resolve::{CompKind, Comprehension, Expr};
use super::value::{Key, Map, Value};

/// Evaluates `expr` with `self` bound to `this` and `oldSelf` to `old`.
pub(crate) fn eval(expr: &Expr, this: &Value, old: Option<&Value>) -> Result<Value, EvalError> {
    Cx { this, old, locals: Vec::new() }.eval(expr)
}

struct Cx<'a> {
    this: &'a Value,
    old: Option<&'a Value>,
    locals: Vec<Value>,
}

type R = Result<Value, EvalError>;

/// Kubernetes' `Unescape` (`k8s.io/apiserver/pkg/cel/escaping.go`): the JSON property a CEL
/// field name stands for — `__dot__` is `.`, `__dash__` `-`, `__slash__` `/`,
/// `__underscores__` `__`, and `__{keyword}__` the keyword when it is the whole name.
/// A name with no valid escape is itself.
pub(crate) fn unescape(field: &str) -> std::borrow::Cow<'_, str> {
    if !field.contains("__") {
        return field.into();
    }
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(start) = rest.find("__") {
        let after = &rest[start + 2..];
        let end = after.find('_').filter(|&n| n > 0 && after[n..].starts_with("__"));
        let Some(n) = end else {
            out.push_str(&rest[..start + 2]);
            rest = after;
            continue;
        };
        let word = &after[..n];
        let replacement = match word {
            "underscores" => "__",
            "dot" => ".",
            "dash" => "-",
            "slash" => "/",
            w if super::lex::RESERVED.contains(&w) || ["true", "false", "null", "in"].contains(&w) => {
                if word.len() + 4 != field.len() {
                    return field.into();
                }
                w
            }
            _ => return field.into(),
        };
        out.push_str(&rest[..start]);
        out.push_str(replacement);
        rest = &after[n + 2..];
    }
    out.push_str(rest);
    out.into()
}

/// The value of `field` in a map, reading the JSON property an escaped name stands for.
fn field_of<'m>(map: &'m Map, field: &str) -> Option<&'m Value> {
    map.get_str(&unescape(field)).or_else(|| map.get_str(field))
}

fn bool_of(v: &Value, op: &str) -> Result<bool, EvalError> {
    v.as_bool().ok_or_else(|| EvalError::no_overload(op, &[v]))
}

impl Cx<'_> {
    /// Dispatches on the expression. Each case's work is in a function that is never
    /// inlined, so this frame — one per nesting level — stays small.
    fn eval(&mut self, e: &Expr) -> R {
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::This => Ok(self.this.clone()),
            Expr::Old => self.old_self(),
            Expr::Local(slot) => self.local(*slot),
            Expr::Select { operand, field, optional } => self.select(operand, field, *optional),
            Expr::Has { operand, field } => self.has(operand, field),
            Expr::Index { operand, index, optional } => self.index(operand, index, *optional),
            Expr::Call { imp, args } => self.call(*imp, args),
            Expr::And(a, b) => self.logic(a, b, false),
            Expr::Or(a, b) => self.logic(a, b, true),
            Expr::Cond(c, t, f) => self.cond(c, t, f),
            Expr::List(elems) => self.list(elems),
            Expr::Map(entries) => self.map(entries),
            Expr::Regex { op, args, re } => self.regex(*op, args, re),
            Expr::Comprehension(c) => self.comprehension(c),
            Expr::OptMap { target, slot, body, flat } => self.opt_map(target, *slot, body, *flat),
        }
    }

    #[inline(never)]
    fn old_self(&self) -> R {
        self.old.cloned().ok_or_else(|| EvalError::new("no such attribute: oldSelf"))
    }

    #[inline(never)]
    fn local(&self, slot: usize) -> R {
        self.locals.get(slot).cloned().ok_or_else(|| EvalError::new("unbound comprehension variable"))
    }

    #[inline(never)]
    fn select(&mut self, operand: &Expr, field: &str, optional: bool) -> R {
        let v = self.eval(operand)?;
        select_field(v, field, optional)
    }

    #[inline(never)]
    fn has(&mut self, operand: &Expr, field: &str) -> R {
        has_field(&self.eval(operand)?, field)
    }

    #[inline(never)]
    fn index(&mut self, operand: &Expr, index: &Expr, optional: bool) -> R {
        let v = self.eval(operand)?;
        let i = self.eval(index)?;
        index_of(v, &i, optional)
    }

    fn args(&mut self, args: &[Expr]) -> Result<Vec<Value>, EvalError> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.eval(a)?);
        }
        Ok(vals)
    }

    #[inline(never)]
    fn call(&mut self, imp: library::Imp, args: &[Expr]) -> R {
        let vals = self.args(args)?;
        imp(&vals)
    }

    #[inline(never)]
    fn cond(&mut self, c: &Expr, t: &Expr, f: &Expr) -> R {
        let c = self.eval(c)?;
        if bool_of(&c, "_?_:_")? { self.eval(t) } else { self.eval(f) }
    }

    #[inline(never)]
    fn list(&mut self, elems: &[(Expr, bool)]) -> R {
        let mut out = Vec::with_capacity(elems.len());
        for (e, optional) in elems {
            let v = self.eval(e)?;
            if *optional {
                match v {
                    Value::Optional(Some(v)) => out.push(*v),
                    Value::Optional(None) => {}
                    other => return Err(EvalError::no_overload("?_", &[&other])),
                }
            } else {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    }

    #[inline(never)]
    fn map(&mut self, entries: &[(Expr, Expr, bool)]) -> R {
        let mut out: Vec<(Key, Value)> = Vec::with_capacity(entries.len());
        for (k, v, optional) in entries {
            let k = Key::from_value(&self.eval(k)?)?;
            let v = match (self.eval(v)?, optional) {
                (Value::Optional(Some(v)), true) => *v,
                (Value::Optional(None), true) => continue,
                (other, true) => return Err(EvalError::no_overload("?_", &[&other])),
                (v, false) => v,
            };
            insert_unique(&mut out, k, v)?;
        }
        Ok(Value::Map(Arc::new(Map::from_entries(out))))
    }

    #[inline(never)]
    fn regex(&mut self, op: library::RegexOp, args: &[Expr], re: &regex::Regex) -> R {
        let vals = self.args(args)?;
        library::regex_op(op, re, &vals)
    }

    #[inline(never)]
    fn opt_map(&mut self, target: &Expr, slot: usize, body: &Expr, flat: bool) -> R {
        match self.eval(target)? {
            Value::Optional(None) => Ok(Value::Optional(None)),
            Value::Optional(Some(v)) => {
                let r = self.bound(slot, &[*v], |cx| cx.eval(body))?;
                match (r, flat) {
                    (r @ Value::Optional(_), true) => Ok(r),
                    (r, true) => Err(EvalError::no_overload("optFlatMap", &[&r])),
                    (r, false) => Ok(Value::Optional(Some(Box::new(r)))),
                }
            }
            other => Err(EvalError::no_overload("optMap", &[&other])),
        }
    }

    /// `&&` (`or` false) and `||` (`or` true), commutative as in cel-go's `evalAnd`/`evalOr`:
    /// a deciding value on either side wins over an error on the other (`error && false` is
    /// `false`); otherwise the left error, then the right one, is the result.
    #[inline(never)]
    fn logic(&mut self, a: &Expr, b: &Expr, or: bool) -> R {
        let op = if or { "_||_" } else { "_&&_" };
        let l = self.eval(a);
        if matches!(l, Ok(Value::Bool(x)) if x == or) {
            return Ok(Value::Bool(or));
        }
        let r = self.eval(b);
        if matches!(r, Ok(Value::Bool(x)) if x == or) {
            return Ok(Value::Bool(or));
        }
        match (l, r) {
            (Ok(Value::Bool(_)), Ok(Value::Bool(_))) => Ok(Value::Bool(!or)),
            (Err(e), _) => Err(e),
            (_, Err(e)) => Err(e),
            (Ok(Value::Bool(_)), Ok(r)) => Err(EvalError::no_overload(op, &[&r])),
            (Ok(l), Ok(_)) => Err(EvalError::no_overload(op, &[&l])),
        }
    }

    /// Runs `f` with `vals` bound from `slot` on; the locals stack is restored afterwards.
    fn bound<T>(&mut self, slot: usize, vals: &[Value], f: impl FnOnce(&mut Self) -> T) -> T {
        self.locals.truncate(slot);
        self.locals.extend_from_slice(vals);
        let r = f(self);
        self.locals.truncate(slot);
        r
    }

    /// The comprehension macros as cel-go expands them (`parser/macro.go`): `all` folds with
    /// `&&` and stops at the first `false`, `exists` with `||` and stops at the first `true`
    /// (so an error on one element is absorbed by a deciding one elsewhere); `exists_one`,
    /// `map`, `filter` and the transforms propagate any error.
    #[inline(never)]
    fn comprehension(&mut self, c: &Comprehension) -> R {
        let range = self.eval(&c.range)?;
        let items: Vec<Vec<Value>> = match (&range, c.slots.1) {
            (Value::List(l), None) => l.iter().map(|v| vec![v.clone()]).collect(),
            (Value::List(l), Some(_)) => {
                l.iter().enumerate().map(|(i, v)| vec![Value::Int(i as i64), v.clone()]).collect()
            }
            (Value::Map(m), None) => m.iter().map(|(k, _)| vec![k.to_value()]).collect(),
            (Value::Map(m), Some(_)) => m.iter().map(|(k, v)| vec![k.to_value(), v.clone()]).collect(),
            (other, _) => {
                return Err(EvalError::new(format!(
                    "expression of type '{}' cannot be range of a comprehension",
                    other.type_name()
                )));
            }
        };
        let slot = c.slots.0;
        match c.kind {
            CompKind::All | CompKind::Exists => {
                let decisive = c.kind == CompKind::Exists;
                let op = if decisive { "_||_" } else { "_&&_" };
                let mut acc: R = Ok(Value::Bool(!decisive));
                for item in &items {
                    let r = self.bound(slot, item, |cx| cx.eval(&c.body));
                    match r {
                        Ok(Value::Bool(b)) if b == decisive => return Ok(Value::Bool(decisive)),
                        Ok(Value::Bool(_)) => {}
                        Ok(other) => {
                            if acc.is_ok() {
                                acc = Err(EvalError::no_overload(op, &[&other]));
                            }
                        }
                        Err(e) => {
                            if acc.is_ok() {
                                acc = Err(e);
                            }
                        }
                    }
                }
                acc
            }
            CompKind::ExistsOne => {
                let mut count = 0usize;
                for item in &items {
                    let r = self.bound(slot, item, |cx| cx.eval(&c.body))?;
                    if bool_of(&r, "_?_:_")? {
                        count += 1;
                    }
                }
                Ok(Value::Bool(count == 1))
            }
            CompKind::Map | CompKind::Filter => {
                let mut out = Vec::new();
                for item in &items {
                    let keep = match &c.filter {
                        Some(f) => {
                            let r = self.bound(slot, item, |cx| cx.eval(f))?;
                            bool_of(&r, "_?_:_")?
                        }
                        None => true,
                    };
                    if !keep {
                        continue;
                    }
                    let r = self.bound(slot, item, |cx| cx.eval(&c.body))?;
                    if c.kind == CompKind::Filter {
                        if bool_of(&r, "_?_:_")? {
                            out.push(item[0].clone());
                        }
                    } else {
                        out.push(r);
                    }
                }
                Ok(Value::list(out))
            }
            CompKind::TransformMap | CompKind::TransformMapEntry => {
                let mut out: Vec<(Key, Value)> = Vec::new();
                for item in &items {
                    if let Some(f) = &c.filter {
                        let r = self.bound(slot, item, |cx| cx.eval(f))?;
                        if !bool_of(&r, "_?_:_")? {
                            continue;
                        }
                    }
                    let r = self.bound(slot, item, |cx| cx.eval(&c.body))?;
                    if c.kind == CompKind::TransformMap {
                        insert_unique(&mut out, Key::from_value(&item[0])?, r)?;
                        continue;
                    }
                    let Value::Map(entry) = r else {
                        return Err(EvalError::no_overload("transformMapEntry", &[&r]));
                    };
                    for (k, v) in entry.iter() {
                        insert_unique(&mut out, k.clone(), v.clone())?;
                    }
                }
                Ok(Value::Map(Arc::new(Map::from_entries(out))))
            }
        }
    }
}

fn insert_unique(out: &mut Vec<(Key, Value)>, k: Key, v: Value) -> Result<(), EvalError> {
    let kv = k.to_value();
    if out.iter().any(|(existing, _)| super::value::equals(&existing.to_value(), &kv)) {
        return Err(EvalError::new(format!("Failed with repeated key: {}", library::display(&kv))));
    }
    out.push((k, v));
    Ok(())
}

/// `has(v.field)`; on an optional, whether it has a value with the field.
fn has_field(v: &Value, field: &str) -> R {
    match v {
        Value::Map(m) => Ok(Value::Bool(field_of(m, field).is_some())),
        Value::Optional(None) => Ok(Value::Bool(false)),
        Value::Optional(Some(inner)) => has_field(inner, field),
        other => Err(EvalError::new(format!("invalid type for field selection: {}", other.type_name()))),
    }
}

/// `v.field` (`v.?field` if `optional`). Selecting on an optional continues the optional
/// chain, as cel-go does after a `.?`.
fn select_field(v: Value, field: &str, optional: bool) -> R {
    match v {
        Value::Map(m) => match field_of(&m, field) {
            Some(x) if optional => Ok(Value::Optional(Some(Box::new(x.clone())))),
            Some(x) => Ok(x.clone()),
            None if optional => Ok(Value::Optional(None)),
            None => Err(EvalError::new(format!("no such key: {field}"))),
        },
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => select_field(*inner, field, true),
        other => Err(EvalError::new(format!("type '{}' does not support field selection", other.type_name()))),
    }
}

/// `v[i]` (`v[?i]` if `optional`). Indexing an optional continues the optional chain.
fn index_of(v: Value, i: &Value, optional: bool) -> R {
    let wrap = |found: Value| {
        if optional { Value::Optional(Some(Box::new(found))) } else { found }
    };
    match &v {
        Value::List(l) => {
            let n = match i {
                Value::Int(n) => Some(*n),
                Value::Uint(n) => i64::try_from(*n).ok(),
                Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.2e18 => Some(*d as i64),
                other => return Err(EvalError::no_overload("_[_]", &[&v, other])),
            };
            match n.and_then(|n| usize::try_from(n).ok()).and_then(|n| l.get(n)) {
                Some(x) => Ok(wrap(x.clone())),
                None if optional => Ok(Value::Optional(None)),
                None => Err(EvalError::new(format!("index out of range: {}", library::display(i)))),
            }
        }
        Value::Map(m) => match m.get(i) {
            Some(x) => Ok(wrap(x.clone())),
            None if optional => Ok(Value::Optional(None)),
            None => Err(EvalError::new(format!("no such key: {}", library::display(i)))),
        },
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => index_of((**inner).clone(), i, true),
        other => Err(EvalError::no_overload("_[_]", &[other, i])),
    }
}
