//! apimachinery's string validations (`k8s.io/apimachinery/pkg/util/validation/validation.go`),
//! each returning the API server's own messages (empty when the value is valid). Shared by the
//! CEL format library and the Go-side checks of built-in kinds ([`super::builtin`]).

use std::sync::OnceLock;

use regex::Regex;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
const PERCENT_FMT: &str = "[0-9]+%";
const PERCENT_MSG: &str = "a valid percent string must be a numeric string followed by an ending '%'";

fn dns1123_subdomain_fmt() -> String {
    format!("{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*")
}

/// The regexes, anchored, compiled once.
struct Regexes {
    label: Regex,
    subdomain: Regex,
    dns1035: Regex,
    qualified: Regex,
    label_value: Regex,
    config_key: Regex,
    percent: Regex,
}

fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| {
        let anchored = |p: &str| Regex::new(&format!("^(?:{p})$")).expect("a valid built-in regex");
        Regexes {
            label: anchored(DNS1123_LABEL_FMT),
            subdomain: anchored(&dns1123_subdomain_fmt()),
            dns1035: anchored(DNS1035_LABEL_FMT),
            qualified: anchored(QUALIFIED_NAME_FMT),
            label_value: anchored(&format!("({QUALIFIED_NAME_FMT})?")),
            config_key: anchored(CONFIG_KEY_FMT),
            percent: anchored(PERCENT_FMT),
        }
    })
}

/// apimachinery's `RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `IsDNS1123Label`.
pub(crate) fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().label.is_match(s) {
        errs.push(regex_error(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
    }
    errs
}

/// `IsDNS1123Subdomain`.
pub(crate) fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !regexes().subdomain.is_match(s) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_MSG, &dns1123_subdomain_fmt(), &["example.com"]));
    }
    errs
}

/// `IsDNS1035Label`.
pub(crate) fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().dns1035.is_match(s) {
        errs.push(regex_error(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    errs
}

/// `IsQualifiedName`: `[prefix/]name`, the prefix a DNS subdomain (label and annotation keys).
pub(crate) fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts[..] {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            )];
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !regexes().qualified.is_match(name) {
        errs.push(format!(
            "name part {}",
            regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errs
}

/// `IsValidLabelValue`.
pub(crate) fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !regexes().label_value.is_match(s) {
        errs.push(regex_error(LABEL_VALUE_MSG, &format!("({QUALIFIED_NAME_FMT})?"), &["MyValue", "my_value", "12345"]));
    }
    errs
}

/// `IsConfigMapKey`: a key of a ConfigMap's or Secret's `data`.
pub(crate) fn config_key(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !regexes().config_key.is_match(s) {
        errs.push(regex_error(CONFIG_KEY_MSG, CONFIG_KEY_FMT, &["key.name", "KEY_NAME", "key-name"]));
    }
    if s == "." {
        errs.push("must not be '.'".into());
    } else if s == ".." {
        errs.push("must not be '..'".into());
    } else if s.starts_with("..") {
        errs.push("must not start with '..'".into());
    }
    errs
}

/// `IsValidPortName`: an IANA_SVC_NAME (RFC 6335), as container port names and named target
/// ports must be.
pub(crate) fn port_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 15 {
        errs.push(max_len_error(15));
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !s.bytes().any(|b| b.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if s.starts_with('-') || s.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

/// `IsValidPortNum`.
pub(crate) fn port_num(n: i64) -> Vec<String> {
    if (1..=65535).contains(&n) { Vec::new() } else { vec!["must be between 1 and 65535, inclusive".into()] }
}

/// `IsValidPercent`.
pub(crate) fn percent(s: &str) -> Vec<String> {
    if regexes().percent.is_match(s) { Vec::new() } else { vec![regex_error(PERCENT_MSG, PERCENT_FMT, &["1%", "93%"])] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names_follow_rfc_6335() {
        assert!(port_name("http-web").is_empty());
        assert_eq!(port_name("8080"), vec!["must contain at least one letter (a-z)"]);
        assert_eq!(port_name("a--b"), vec!["must not contain consecutive hyphens"]);
        assert_eq!(port_name("-ab"), vec!["must not begin or end with a hyphen"]);
        assert_eq!(port_name("Http"), vec!["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"]);
        assert_eq!(port_name("a-very-long-port-name"), vec!["must be no more than 15 characters"]);
    }

    #[test]
    fn config_keys() {
        assert!(config_key("tls.crt").is_empty());
        assert!(config_key(".dockerconfigjson").is_empty());
        assert_eq!(config_key("..data"), vec!["must not start with '..'"]);
        assert_eq!(config_key("."), vec!["must not be '.'"]);
        assert_eq!(config_key("my key").len(), 1);
    }

    #[test]
    fn percents_and_ports() {
        assert!(percent("25%").is_empty());
        assert_eq!(percent("25").len(), 1);
        assert!(port_num(65535).is_empty());
        assert_eq!(port_num(0).len(), 1);
    }
}
