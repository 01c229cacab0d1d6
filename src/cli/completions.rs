use super::exit;
use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(a: CompletionsArgs) -> u8 {
    let mut cmd = super::command();
    clap_complete::generate(a.shell, &mut cmd, "meshctl", &mut std::io::stdout());
    exit::OK
}

/// The completion script for `shell`, as checked into `completions/`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "meshctl", &mut out);
    out
}
