//! Generated files stay fresh: completions (schemas are checked by the library's own test).
//! `MESHCTL_BLESS=1 cargo test` rewrites them.

use clap_complete::Shell;

#[test]
fn completions_are_fresh() {
    let mut stale = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "meshctl.bash"),
        (Shell::Zsh, "_meshctl"),
        (Shell::Fish, "meshctl.fish"),
        (Shell::PowerShell, "_meshctl.ps1"),
        (Shell::Elvish, "meshctl.elv"),
    ] {
        let want = meshctl::cli::completion_script(shell);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions").join(file);
        if std::env::var_os("MESHCTL_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read(&path).unwrap_or_default();
        if have != want {
            stale.push(file);
        }
    }
    assert!(stale.is_empty(), "completions/{stale:?} are stale: run `MESHCTL_BLESS=1 cargo test --test generated`");
}
