use super::{exit, fail};
use crate::lint::RuleMeta;
use crate::lint::config::{Naming, naming};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (MESH0401) or name (duplicate-resource), in any case; or an Istio code
    /// (IST0101), for the rules that report it.
    #[arg(value_name = "RULE")]
    pub code: String,
}

fn print_docs(m: &RuleMeta) {
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
}

pub fn run(a: ExplainArgs) -> u8 {
    let rules = crate::lint::rules::all();
    let named = |how: &[Naming]| -> Vec<&RuleMeta> {
        let of = |m: &RuleMeta| naming(&a.code, m.code, m.name, m.istio_code);
        rules.iter().copied().filter(|m| of(m).is_some_and(|n| how.contains(&n))).collect()
    };
    let exact = named(&[Naming::Code, Naming::Name]);
    let found = if exact.is_empty() { named(&[Naming::Istio]) } else { exact };
    match found.as_slice() {
        [m] => {
            print_docs(m);
            exit::OK
        }
        [] => {
            let near: Vec<&str> =
                rules.iter().map(|m| m.name).filter(|n| strsim::jaro_winkler(n, &a.code) > 0.85).collect();
            if near.is_empty() {
                fail(format!("no rule `{}` (see `meshctl rules`)", a.code))
            } else {
                fail(format!("no rule `{}`; did you mean {}?", a.code, near.join(" or ")))
            }
        }
        several => {
            let ist = several[0].istio_code.unwrap_or_default();
            println!("{} meshctl rules report Istio's {ist}:", several.len());
            println!();
            for m in several {
                println!("  {:<9} {:<34} {}", m.code, m.name, m.summary);
            }
            println!();
            println!("`meshctl explain CODE` prints the documentation of one.");
            exit::OK
        }
    }
}
