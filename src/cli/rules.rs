use super::exit;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// A table: code, name, default severity, Istio code, summary.
    Plain,
    /// A list of `{code, name, severity, istio_code, summary}`.
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(
        long = "output",
        short = 'o',
        visible_alias = "format",
        visible_short_alias = 'f',
        value_name = "FORMAT",
        value_enum,
        default_value_t = RulesFormat::Plain
    )]
    pub format: RulesFormat,
}

pub fn run(a: RulesArgs) -> u8 {
    let rules = crate::lint::rules::all();
    match a.format {
        RulesFormat::Plain => {
            println!("{:<9} {:<34} {:<8} {:<8} SUMMARY", "CODE", "NAME", "SEVERITY", "ISTIO");
            for m in rules {
                println!(
                    "{:<9} {:<34} {:<8} {:<8} {}",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    m.istio_code.unwrap_or("-"),
                    m.summary
                );
            }
        }
        RulesFormat::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code, "name": m.name, "severity": m.severity,
                        "istio_code": m.istio_code, "summary": m.summary,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list).expect("rule metadata serializes"));
        }
    }
    exit::OK
}
