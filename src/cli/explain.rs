use super::{exit, fail};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (MESH0401) or name (duplicate-resource).
    pub code: String,
}

pub fn run(a: ExplainArgs) -> u8 {
    match crate::lint::rules::by_code(&a.code) {
        Some(m) => {
            println!("# {} {}", m.code, m.name);
            println!();
            println!("Default severity: {}", m.severity);
            if let Some(ist) = m.istio_code {
                println!("Istio equivalent: {ist} (honours `galley.istio.io/analyze-suppress: \"{ist}\"`)");
            }
            println!();
            println!("{}", m.summary);
            println!();
            print!("{}", m.docs);
            exit::OK
        }
        None => {
            let names: Vec<&str> = crate::lint::rules::all().iter().map(|m| m.name).collect();
            let near = names.iter().filter(|n| strsim::jaro_winkler(n, &a.code) > 0.85).copied().collect::<Vec<_>>();
            if near.is_empty() {
                fail(format!("no rule `{}` (see `meshctl rules`)", a.code))
            } else {
                fail(format!("no rule `{}`; did you mean {}?", a.code, near.join(" or ")))
            }
        }
    }
}
