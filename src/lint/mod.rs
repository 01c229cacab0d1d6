//! The lint engine: rules, their registry, configuration and suppression.

pub mod config;
mod diagnostic;
pub mod engine;
pub mod rules;
mod schema_pass;
mod suppress;

pub use diagnostic::{Diagnostic, Label, ResourceRef, Severity};
pub use engine::{Context, LintOptions, Loaded, Outcome, Rule, lint_paths, lint_sources, read_paths};

/// What a rule is, for `meshctl rules`, `meshctl explain` and SARIF's `tool.driver.rules`.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `MESHnnnn`; never reused.
    pub code: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    /// The `istioctl analyze` code for the same check, where Istio has one.
    pub istio_code: Option<&'static str>,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Markdown: what it finds, why it matters, an example, the fix.
    pub docs: &'static str,
}
