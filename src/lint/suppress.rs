//! Suppression by resource annotation:
//! `meshctl.io/ignore: "MESH0201,MESH0302 reason…"` (codes, code prefixes, rule names or Istio codes,
//! in any case, matched as `--ignore` matches them) and Istio's
//! `galley.istio.io/analyze-suppress: "IST0101,IST0102"` (through each rule's `istio_code`, read as
//! istioctl reads it: exact codes, so that one annotation suppresses the same findings in both).

use super::engine::Context;
use super::rules::unused_suppression;
use super::{Diagnostic, RuleMeta};
use crate::model::Object;
use crate::source::escape_segment as esc;

pub const ANNOTATION: &str = "meshctl.io/ignore";
pub const ISTIO_ANNOTATION: &str = "galley.istio.io/analyze-suppress";

struct Suppression<'a> {
    obj: &'a Object,
    annotation: &'static str,
    /// The codes or names as written, and whether each suppressed something.
    entries: Vec<(String, bool)>,
}

/// Whether `w` is `prefix` (in any case) followed by one or more digits.
fn is_code(w: &str, prefix: &str) -> bool {
    let (Some(head), Some(digits)) = (w.get(..prefix.len()), w.get(prefix.len()..)) else { return false };
    head.eq_ignore_ascii_case(prefix) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Parse an annotation value: codes (or rule names) separated by commas or spaces; the first word
/// that is neither ends the list and starts the reason. `*` means everything.
fn parse(value: &str, istio: bool) -> Vec<String> {
    let mut out = Vec::new();
    for word in value.split([',', ' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let w = word.trim_end_matches([':', ';']);
        let is_code = if istio {
            w == "*" || (w.starts_with("IST") && w[3..].chars().all(|c| c.is_ascii_digit()))
        } else {
            w == "*"
                || is_code(w, "MESH")
                || is_code(w, "IST")
                || super::rules::all().iter().any(|m| m.name.eq_ignore_ascii_case(w))
        };
        if !is_code {
            break;
        }
        out.push(w.to_string());
        if word.ends_with(':') {
            break;
        }
    }
    out
}

fn covers(entry: &str, d: &Diagnostic, istio: bool) -> bool {
    if entry == "*" {
        return true;
    }
    if istio {
        return d.istio_code == Some(entry);
    }
    super::config::naming(entry, d.code, d.name, d.istio_code).is_some()
}

/// Drop the findings that an annotation on their resource suppresses, and report the
/// annotations that suppress nothing.
pub fn apply(cx: &Context, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut sups: Vec<Suppression> = Vec::new();
    for obj in cx.objects {
        let Some(ann) = cx.value(obj).pointer("/metadata/annotations").and_then(|a| a.as_object()) else {
            continue;
        };
        for (key, istio) in [(ANNOTATION, false), (ISTIO_ANNOTATION, true)] {
            if let Some(v) = ann.get(key).and_then(|v| v.as_str()) {
                let entries = parse(v, istio).into_iter().map(|e| (e, false)).collect();
                sups.push(Suppression { obj, annotation: key, entries });
            }
        }
    }
    if sups.is_empty() {
        return diagnostics;
    }
    let mut kept = Vec::with_capacity(diagnostics.len());
    'diag: for d in diagnostics {
        let span = d.primary.span;
        // Suppressions are in input order and objects do not overlap: only the annotations of the
        // last object that starts at or before the finding can cover it.
        let at = |s: &Suppression| (s.obj.span.file, s.obj.span.start);
        let end = sups.partition_point(|s| at(s) <= (span.file, span.start));
        let start = sups[..end].partition_point(|s| end == 0 || at(s) < at(&sups[end - 1]));
        for s in sups[start..end].iter_mut() {
            let o = s.obj.span;
            if span.file != o.file || span.start < o.start || span.end > o.end {
                continue;
            }
            let istio = s.annotation == ISTIO_ANNOTATION;
            if let Some(e) = s.entries.iter_mut().find(|(e, _)| covers(e, &d, istio)) {
                e.1 = true;
                continue 'diag;
            }
        }
        kept.push(d);
    }
    let meta: &'static RuleMeta = &unused_suppression::META;
    if cx.options.config.is_selected(meta) {
        for s in &sups {
            for (entry, used) in &s.entries {
                if !used {
                    let rel = format!("/metadata/annotations/{}", esc(s.annotation));
                    kept.push(
                        cx.at(meta, s.obj, &rel, format!("`{entry}` in `{}` suppresses nothing", s.annotation))
                            .label("suppresses nothing")
                            .help("remove it, or check the code: no finding of that code is reported on this resource"),
                    );
                }
            }
            if s.entries.is_empty() {
                let rel = format!("/metadata/annotations/{}", esc(s.annotation));
                kept.push(
                    cx.at(meta, s.obj, &rel, format!("`{}` names no rule code", s.annotation))
                        .label("no code here")
                        .help("write codes separated by commas, e.g. \"MESH0201,MESH0302\", then a reason"),
                );
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn codes_then_reason() {
        assert_eq!(parse("MESH0201,MESH0302 legacy host, see TICKET-1", false), vec!["MESH0201", "MESH0302"]);
        assert_eq!(parse("MESH0201: because", false), vec!["MESH0201"]);
        assert_eq!(parse("IST0101,IST0102", true), vec!["IST0101", "IST0102"]);
        assert!(parse("because I said so", false).is_empty());
        assert_eq!(
            parse("mesh0201 Unknown-Destination-Host ist0101 legacy", false),
            vec!["mesh0201", "Unknown-Destination-Host", "ist0101"]
        );
        assert!(parse("ist0101", true).is_empty(), "istioctl reads its annotation's codes exactly");
    }
}
