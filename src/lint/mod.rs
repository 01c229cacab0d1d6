//! The lint engine: rules, their registry, configuration and suppression.

pub mod config;
mod diagnostic;
pub mod engine;
pub mod rules;
mod schema_pass;
mod suppress;

pub use diagnostic::{Diagnostic, Label, ResourceRef, Severity};
pub use engine::{Context, Inputs, LintOptions, Outcome, Rule, lint_paths, lint_sources};

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

impl RuleMeta {
    /// The rule's whole documentation in Markdown, as `meshctl explain` prints it (tests/cli.rs
    /// holds the two equal) and SARIF carries it as the rule's help: title, default severity,
    /// Istio equivalent, summary, docs.
    pub fn explain(&self) -> String {
        let mut text = format!("# {} {}\n\nDefault severity: {}\n", self.code, self.name, self.severity);
        if let Some(ist) = self.istio_code {
            text.push_str(&format!(
                "Istio equivalent: {ist} (honours `galley.istio.io/analyze-suppress: \"{ist}\"`)\n"
            ));
        }
        text.push_str(&format!("\n{}\n\n{}", self.summary, self.docs));
        text
    }
}
