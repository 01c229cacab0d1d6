use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::Ambiguity;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0007",
    name: "yaml11-scalar",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A plain value that Kubernetes reads as a boolean or null though it looks like text (`on`, `yes`, `no`, `~`)",
    docs: r#"## What it finds
Unquoted values that Kubernetes' YAML reader (YAML 1.1) turns into something other than the text:
`yes`, `no`, `on`, `off`, `y`, `n` become booleans and `~` is null, as keys too (`on:` is the key
`"true"`). Numbers that look like text (`0755` is the octal number 493, `1.10` is 1.1, `1_000`
is 1000) are reported by the schema rules wherever text is required, with the same explanation.

## Why it matters
A label `enabled: on` becomes `true`, and the API server refuses it where a string is required; a
version `1.10` silently becomes `1.1`; a mode `0755` becomes 493.

## Example
```yaml
metadata:
  labels:
    canary: yes
    version: 1.10
```

## Fix
Quote the value: `canary: "yes"`, `version: "1.10"`. Where a boolean is meant, write `true`/`false`.
"#,
};

pub struct Check;

fn reading(kind: Ambiguity, text: &str) -> String {
    match kind {
        Ambiguity::Boolean => {
            let b = matches!(text, "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON");
            format!("the boolean {b}")
        }
        Ambiguity::Octal => {
            let n = crate::source::resolve_plain(text).0;
            format!("the octal number {n}")
        }
        Ambiguity::Underscore | Ambiguity::TrailingZero => {
            format!("the number {}", crate::source::resolve_plain(text).0)
        }
        Ambiguity::NotANumber => "a float that JSON cannot hold".into(),
        Ambiguity::Null => "null".into(),
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        for d in cx.docs {
            // Numbers that look like text are reported by the schema rules where text is
            // required (a label `version: 1.10`); where a number is required they mean what they say.
            for a in d
                .ambiguous
                .iter()
                .filter(|a| matches!(a.kind, Ambiguity::Boolean | Ambiguity::Null | Ambiguity::NotANumber))
            {
                let what = if a.is_key { "key" } else { "value" };
                let read = reading(a.kind, &a.text);
                let help = match a.kind {
                    Ambiguity::Boolean => {
                        format!("quote it (\"{}\") for text, or write true/false for a boolean", a.text)
                    }
                    _ => format!("quote it (\"{}\") to keep the text", a.text),
                };
                out.push(
                    Diagnostic::new(&META, a.span, format!("the {what} `{}` is read by Kubernetes as {read}", a.text))
                        .pointer(a.pointer.clone())
                        .label(format!("read as {read}"))
                        .help(help),
                );
            }
        }
    }
}
