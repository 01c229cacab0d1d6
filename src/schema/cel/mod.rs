//! A CEL (Common Expression Language) interpreter for the `x-kubernetes-validations` rules of
//! CRDs, evaluated as the Kubernetes API server does: cel-go's language (cel-spec's
//! `doc/langdef.md`) plus the libraries Kubernetes enables in its base environment
//! (`k8s.io/apiserver/pkg/cel/environment/base.go`): cel-go's strings extension (version 2),
//! sets and optional types, two-variable comprehensions, and Kubernetes' URL, regex, lists, IP,
//! CIDR, quantity and format libraries.
//!
//! [`Program::compile`] parses a rule and resolves every identifier and function, so an
//! unknown function or wrong arity is a compile error, as in Kubernetes. There is no type
//! checker: without the schema's types every value is `dyn`, so type mismatches surface at
//! evaluation as `no such overload`.
//!
//! [`Program::eval`] binds `self` (and `oldSelf`) to JSON values the way Kubernetes'
//! `UnstructuredToVal` does, so an absent field is the error `no such key: <name>` and
//! `self.__namespace__` reads the JSON property `namespace` (property-name escaping,
//! `k8s.io/apiserver/pkg/cel/escaping.go`).
//!
//! Where this differs from the API server, for want of the schema or by choice:
//! - No type checker: `1 + 'a'` or `[1, 'a']` (Kubernetes' homogeneous aggregate literals)
//!   compile here and fail, or not, at evaluation; a field absent from the schema is
//!   `no such key` at evaluation rather than a compile error.
//! - Values are typed by their JSON alone: a `format: duration`, `date-time` or `byte` string
//!   stays a string, an integral `number` is an `int`, and lists compare in order even when
//!   their `x-kubernetes-list-type` is `set` or `map`.
//! - No cost limits (evaluation is bounded by the input's size) and no IANA time zones in the
//!   timestamp getters (`UTC` and `±hh:mm` only).
//! - Nesting beyond cel-go's parser limit of 250 is a compile error, so neither compiling
//!   nor evaluating can exhaust a 2 MiB thread stack, even in a debug build.

mod eval;
mod format;
mod lex;
mod library;
mod net;
mod parse;
mod quantity;
mod resolve;
pub(crate) mod time;
mod value;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod tests;

use std::fmt;

pub use value::Value;

/// A rule that does not compile: a syntax error, an undeclared identifier or function, a
/// wrong number of arguments, an invalid literal regex or duration.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// What is wrong, in cel-go's words where they are known.
    pub message: String,
}

/// A runtime error: `no such key: port`, `no such overload`, `division by zero`…
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    /// What went wrong, in cel-go's words where they are known.
    pub message: String,
}

impl EvalError {
    pub(crate) fn new(message: impl Into<String>) -> EvalError {
        EvalError { message: message.into() }
    }

    /// cel-go's dispatch failure: no overload of `function` takes these arguments.
    pub(crate) fn no_overload(function: &str, args: &[&Value]) -> EvalError {
        let types: Vec<&str> = args.iter().map(|a| a.type_name()).collect();
        EvalError::new(format!("no such overload: {function}({})", types.join(", ")))
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}
impl std::error::Error for EvalError {}

/// A compiled CEL expression.
#[derive(Debug)]
pub struct Program {
    expr: resolve::Expr,
    uses_old_self: bool,
}

impl Program {
    /// Parses `source` and resolves its identifiers and functions against the Kubernetes
    /// environment, whose variables are `self` and `oldSelf`.
    pub fn compile(source: &str) -> Result<Program, CompileError> {
        let raw = parse::parse(source)?;
        let (expr, uses_old_self) = resolve::resolve(&raw)?;
        Ok(Program { expr, uses_old_self })
    }

    /// Whether the rule refers to `oldSelf` (a transition rule).
    pub fn uses_old_self(&self) -> bool {
        self.uses_old_self
    }

    /// Evaluates with `self` bound to `this` and `oldSelf` to `old` (`None`: an error if the
    /// rule refers to it).
    pub fn eval(&self, this: &serde_json::Value, old: Option<&serde_json::Value>) -> Result<Value, EvalError> {
        let this = Value::from_json(this);
        let old = old.map(Value::from_json);
        eval::eval(&self.expr, &this, old.as_ref())
    }
}
