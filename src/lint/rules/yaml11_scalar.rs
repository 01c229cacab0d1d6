use crate::lint::engine::{Context, Rule};
use crate::lint::{Diagnostic, RuleMeta, Severity};
use crate::source::Ambiguity;
use std::collections::HashSet;

pub static META: RuleMeta = RuleMeta {
    code: "MESH0007",
    name: "yaml11-scalar",
    severity: Severity::Warning,
    istio_code: None,
    summary: "A plain value that Kubernetes reads as a boolean or null though it looks like text (`on`, `yes`, `no`, `~`)",
    docs: r#"## What it finds
Unquoted values that Kubernetes' YAML reader (YAML 1.1) turns into something other than the text:
`yes`, `no`, `on`, `off`, `y`, `n` become booleans and `~` is null, as keys too (`on:` is the key
`"true"`); a number with a leading zero is octal (`port: 0755` is port 493), except in the file
modes Kubernetes writes that way (`defaultMode`, `mode`). Numbers that look like text (`1.10` is
1.1, `1_000` is 1000) are reported by the schema rules wherever text is required, with the same
explanation, and so is an octal number where text is required.

## Why it matters
A label `enabled: on` becomes `true`, and the API server refuses it where a string is required; a
version `1.10` silently becomes `1.1`; a mode `0755` becomes 493.

## Example
```yaml
metadata:
  labels:
    canary: yes
    version: 1.10
spec:
  ports:
  - port: 0755
```

## Fix
Quote the value: `canary: "yes"`, `version: "1.10"`. Where a boolean is meant, write `true`/`false`;
where a number is, write it without the leading zero (`port: 755`).
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
        Ambiguity::Null => "null".into(),
    }
}

impl Rule for Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        // Where text is required, the schema rules report a number that looks like text (a label
        // `version: 1.10`, a mode `"0755"` written bare) with this explanation.
        let schema_says: HashSet<(usize, String)> =
            cx.schema_errors().iter().map(|(i, e)| (cx.objects[*i].doc, cx.objects[*i].pointer(&e.pointer))).collect();
        for (doc, d) in cx.docs.iter().enumerate() {
            for a in d.ambiguous.iter().filter(|a| match a.kind {
                Ambiguity::Boolean | Ambiguity::Null => true,
                // Where a number is required, only a leading zero reads otherwise than it looks,
                // and file modes are octal on purpose.
                Ambiguity::Octal => {
                    let key = a.pointer.rsplit('/').next().unwrap_or_default();
                    !a.is_key
                        && key != "defaultMode"
                        && key != "mode"
                        && !schema_says.contains(&(doc, a.pointer.clone()))
                }
                Ambiguity::Underscore | Ambiguity::TrailingZero => false,
            }) {
                let what = if a.is_key { "key" } else { "value" };
                let read = reading(a.kind, &a.text);
                let help = match a.kind {
                    Ambiguity::Boolean => {
                        format!("quote it (\"{}\") for text, or write true/false for a boolean", a.text)
                    }
                    Ambiguity::Octal => {
                        let digits = a.text.trim_start_matches(['+', '-']);
                        let sign = &a.text[..a.text.len() - digits.len()];
                        format!(
                            "write `{sign}{}` for that decimal number, or quote it (\"{}\") for text",
                            digits.trim_start_matches('0'),
                            a.text
                        )
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

#[cfg(test)]
mod tests {
    use crate::lint::rules::findings;

    #[test]
    fn booleans_and_octal_numbers_but_not_file_modes() {
        let yaml = "apiVersion: v1
kind: Service
metadata:
  name: s
  labels:
    canary: yes
spec:
  ports:
  - {name: http, port: 0755}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c}]
  volumes:
  - name: v
    secret: {secretName: s, defaultMode: 0644, items: [{key: k, path: p, mode: 0600}]}
";
        let f = findings(yaml, "MESH0007");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].0, f[0].1.as_str()), (6, "the value `yes` is read by Kubernetes as the boolean true"));
        assert_eq!((f[1].0, f[1].1.as_str()), (9, "the value `0755` is read by Kubernetes as the octal number 493"));
    }

    #[test]
    fn an_octal_number_where_text_belongs_is_the_schema_rule_s() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: {version: 0755}\n";
        assert!(findings(yaml, "MESH0007").is_empty());
        assert_eq!(findings(yaml, "MESH0103").len(), 1);
    }
}
