//! meshctl's own finding type. Renderers in `report` turn it into text, JSON, SARIF and the rest.

use crate::source::Span;
use serde::{Deserialize, Serialize};

/// How serious a finding is; `meshctl lint` exits 1 on an `error` (`--fail-on` moves the threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which resource a finding is about, as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct ResourceRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    /// The namespace as written; `None` when the manifest has none.
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A place in the input: a byte span and, where known, the JSON pointer of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub pointer: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The primary location; its `message` is the short label under the underline.
    pub primary: Label,
    /// Other places that explain the finding, possibly in other files.
    pub related: Vec<Label>,
    pub help: Option<String>,
    pub istio_code: Option<&'static str>,
    pub resource: Option<ResourceRef>,
}

impl Diagnostic {
    /// A finding of `rule` at `span`, with the rule's default severity.
    pub fn new(rule: &'static super::RuleMeta, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: rule.code,
            name: rule.name,
            severity: rule.severity,
            message: message.into(),
            primary: Label { span, pointer: None, message: String::new() },
            related: Vec::new(),
            help: None,
            istio_code: rule.istio_code,
            resource: None,
        }
    }

    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.primary.pointer = Some(pointer.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.primary.message = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn resource(mut self, resource: Option<ResourceRef>) -> Self {
        self.resource = resource;
        self
    }

    pub fn related(mut self, span: Span, pointer: Option<String>, message: impl Into<String>) -> Self {
        self.related.push(Label { span, pointer, message: message.into() });
        self
    }

    /// The order of findings in every output: file, position, code.
    pub fn sort_key(&self) -> (u32, u32, &'static str, u32) {
        (self.primary.span.file.0, self.primary.span.start, self.code, self.primary.span.end)
    }
}
