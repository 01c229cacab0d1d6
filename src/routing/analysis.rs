//! Unreachable rules (IST0130) and ineffective matches (IST0131), as Istio's VirtualService
//! validation finds them (`analyzeUnreachable{HTTP,TCP,TLS}Rules`, `validation.go`).

use crate::model::networking::{HTTPMatchRequest, StringMatch, VirtualService};
use std::collections::{BTreeMap, HashMap};

/// What is wrong with a rule or a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// IST0130: the whole rule is never used.
    UnreachableRule,
    /// IST0131: one match of a rule is never used.
    IneffectiveMatch,
}

/// One finding, with pointers relative to the VirtualService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub pointer: String,
    pub message: String,
    /// The earlier rule (or match) responsible, when there is one.
    pub related: Option<(String, String)>,
}

/// `http[1]`, or `http[1] ("reviews-v2")` for a named rule: the 0-based index as every other
/// finding and the trace write it (Istio's own message says `#1`, or only the name).
fn rule_name(section: &str, name: Option<&String>, i: usize) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{section}[{i}] ({n:?})"),
        _ => format!("{section}[{i}]"),
    }
}

/// One route list (`http`, `tcp` or `tls`) reduced to what the analysis needs.
struct Rule {
    name: String,
    /// JSON of each match with `name` cleared.
    keys: Vec<String>,
    match_names: Vec<String>,
}

fn analyze(kind: &str, rules: &[Rule], out: &mut Vec<Finding>) -> HashMap<(usize, usize), bool> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut empty_at: Option<usize> = None;
    let mut dup = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        let rule_ptr = format!("/spec/{kind}/{i}");
        if r.keys.is_empty() {
            if let Some(e) = empty_at {
                out.push(Finding {
                    kind: FindingKind::UnreachableRule,
                    pointer: rule_ptr,
                    message: format!(
                        "VirtualService rule {} not used (only the last rule can have no matches).",
                        r.name
                    ),
                    related: Some((format!("/spec/{kind}/{e}"), format!("rule {} has no matches", rules[e].name))),
                });
            }
            empty_at = Some(i);
            continue;
        }
        if let Some(e) = empty_at {
            out.push(Finding {
                kind: FindingKind::UnreachableRule,
                pointer: rule_ptr,
                message: format!("VirtualService rule {} not used (route without matches defined before).", r.name),
                related: Some((format!("/spec/{kind}/{e}"), format!("rule {} matches every request", rules[e].name))),
            });
            continue;
        }
        let mut dups = 0;
        for (j, key) in r.keys.iter().enumerate() {
            match seen.get(key.as_str()) {
                Some(&first) => {
                    dups += 1;
                    dup.insert((i, j), true);
                    out.push(Finding {
                        kind: FindingKind::IneffectiveMatch,
                        pointer: format!("/spec/{kind}/{i}/match/{j}"),
                        message: format!(
                            "VirtualService rule {} match {} is not used (duplicate/overlapping match in rule {}).",
                            r.name, r.match_names[j], rules[first].name
                        ),
                        related: Some((format!("/spec/{kind}/{first}"), "the same match, earlier".into())),
                    });
                }
                None => {
                    seen.insert(key, i);
                }
            }
        }
        if dups == r.keys.len() {
            out.push(Finding {
                kind: FindingKind::UnreachableRule,
                pointer: rule_ptr,
                message: format!("VirtualService rule {} not used (all matches used by prior rules).", r.name),
                related: None,
            });
        }
    }
    dup
}

fn key<T: serde::Serialize>(m: &T) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

/// Istio's reduction of a StringMatch for the prefix-overlap pass.
fn exact_or_prefix(sm: Option<&StringMatch>) -> String {
    match sm {
        Some(StringMatch { exact: Some(e), .. }) if !e.is_empty() => format!("exact:{e}"),
        Some(StringMatch { prefix: Some(p), .. }) if !p.is_empty() => format!("prefix:{p}"),
        _ => String::new(),
    }
}

struct PrefixEntry {
    rule: usize,
    rule_name: String,
    match_index: usize,
    match_name: String,
    prefix: String,
    port: Option<u32>,
    method: String,
    authority: String,
    maps: [BTreeMap<String, String>; 3],
}

fn gen_prefix(i: usize, rule_name: &str, j: usize, match_name: &str, m: &HTTPMatchRequest) -> Option<PrefixEntry> {
    let prefix = m.uri.as_ref()?.prefix.clone().filter(|p| !p.is_empty())?;
    let reduce = |mm: &Option<BTreeMap<String, StringMatch>>| {
        mm.iter().flatten().map(|(k, v)| (k.clone(), exact_or_prefix(Some(v)))).collect::<BTreeMap<_, _>>()
    };
    let method = match exact_or_prefix(m.method.as_ref()) {
        s if s.is_empty() => "exact:GET".to_string(),
        s => s,
    };
    Some(PrefixEntry {
        rule: i,
        rule_name: rule_name.to_string(),
        match_index: j,
        match_name: match_name.to_string(),
        prefix,
        port: m.port,
        method,
        authority: exact_or_prefix(m.authority.as_ref()),
        maps: [reduce(&m.headers), reduce(&m.query_params), reduce(&m.without_headers)],
    })
}

/// Istio's `coveredValidation`: does the earlier `a` shadow the later `b`?
fn covered(a: &PrefixEntry, b: &PrefixEntry) -> bool {
    let starts = |x: &str, y: &str| x == y || x.starts_with(y);
    b.prefix.starts_with(&a.prefix)
        && a.port == b.port
        && starts(&a.method, &b.method)
        && starts(&a.authority, &b.authority)
        && a.maps
            .iter()
            .zip(&b.maps)
            .all(|(ma, mb)| ma.len() == mb.len() && ma.iter().all(|(k, va)| mb.get(k).is_some_and(|vb| starts(va, vb))))
}

/// Every IST0130/IST0131 finding of one VirtualService, in Istio's order.
pub fn unreachable_and_ineffective(vs: &VirtualService) -> Vec<Finding> {
    let mut out = Vec::new();
    let http = vs.spec.http.as_deref().unwrap_or_default();
    let rules: Vec<Rule> = http
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let ms = r.match_.as_deref().unwrap_or_default();
            Rule {
                name: rule_name("http", r.name.as_ref(), i),
                keys: ms.iter().map(|m| key(&HTTPMatchRequest { name: None, ..m.clone() })).collect(),
                match_names: ms.iter().enumerate().map(|(j, m)| rule_name("match", m.name.as_ref(), j)).collect(),
            }
        })
        .collect();
    let dup = analyze("http", &rules, &mut out);
    let mut prefixes = Vec::new();
    let mut after_empty = false;
    for (i, r) in http.iter().enumerate() {
        let ms = r.match_.as_deref().unwrap_or_default();
        if ms.is_empty() {
            after_empty = true;
            continue;
        }
        if after_empty {
            continue;
        }
        for (j, m) in ms.iter().enumerate() {
            if dup.contains_key(&(i, j)) {
                continue;
            }
            if let Some(e) = gen_prefix(i, &rules[i].name, j, &rules[i].match_names[j], m) {
                prefixes.push(e);
            }
        }
    }
    for (ai, a) in prefixes.iter().enumerate() {
        for b in &prefixes[ai + 1..] {
            if a.prefix != b.prefix && covered(a, b) {
                out.push(Finding {
                    kind: FindingKind::IneffectiveMatch,
                    pointer: format!("/spec/http/{}/match/{}", b.rule, b.match_index),
                    message: format!(
                        "VirtualService rule {} match {} of prefix {} is not used (duplicate/overlapping match in rule {} of prefix {} on {}).",
                        b.rule_name, b.match_name, b.prefix, a.match_name, a.prefix, a.rule_name
                    ),
                    related: Some((
                        format!("/spec/http/{}/match/{}", a.rule, a.match_index),
                        format!("prefix {} covers it", a.prefix),
                    )),
                });
            }
        }
    }
    let tcp: Vec<Rule> = vs
        .spec
        .tcp
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| {
            let ms = r.match_.as_deref().unwrap_or_default();
            Rule {
                name: rule_name("tcp", None, i),
                keys: ms.iter().map(key).collect(),
                match_names: (0..ms.len()).map(|j| rule_name("match", None, j)).collect(),
            }
        })
        .collect();
    analyze("tcp", &tcp, &mut out);
    let tls: Vec<Rule> = vs
        .spec
        .tls
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| Rule {
            name: rule_name("tls", None, i),
            keys: r.match_.iter().map(key).collect(),
            match_names: (0..r.match_.len()).map(|j| rule_name("match", None, j)).collect(),
        })
        .collect();
    analyze("tls", &tls, &mut out);
    out
}
