//! Reported by the engine's suppression pass (`lint/suppress.rs`), which alone knows which
//! annotations suppressed something.

use crate::lint::{RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "MESH0009",
    name: "unused-suppression",
    severity: Severity::Info,
    istio_code: None,
    summary: "A `meshctl.io/ignore` or `galley.istio.io/analyze-suppress` entry that suppresses nothing",
    docs: r#"## What it finds
A code in a suppression annotation for which no finding is reported on that resource.

## Why it matters
Stale suppressions hide the next real problem of that kind, and mislead readers about what is
wrong with the resource.

## Example
```yaml
metadata:
  annotations:
    meshctl.io/ignore: "MESH0201 legacy host, removed in Q3"   # the host exists now
```

## Fix
Remove the code (or the whole annotation). Suppress with `meshctl.io/ignore: "CODE,CODE reason"`;
Istio's `galley.istio.io/analyze-suppress: "IST0101"` is honoured through each rule's Istio code.
"#,
};
