//! Generated files stay fresh: completions and man pages (schemas are checked by the library's own
//! test). `MESHCTL_BLESS=1 cargo test --test generated` rewrites them.

use clap_complete::Shell;
use std::path::{Path, PathBuf};

fn bless() -> bool {
    std::env::var_os("MESHCTL_BLESS").is_some()
}

fn generated_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

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
        let path = generated_dir("completions").join(file);
        if bless() {
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

/// An option's help with its visible aliases (`-f, --format`), which `--help` shows and
/// clap_mangen does not.
fn help_with_aliases(a: &clap::Arg) -> Option<String> {
    let shorts = a.get_visible_short_aliases().into_iter().flatten().map(|c| format!("-{c}"));
    let longs = a.get_visible_aliases().into_iter().flatten().map(|l| format!("--{l}"));
    let aliases: Vec<String> = shorts.chain(longs).collect();
    let help = a.get_long_help().or(a.get_help())?;
    (!aliases.is_empty()).then(|| format!("{help} [aliases: {}]", aliases.join(", ")))
}

/// `meshctl.1` and a page per subcommand (`meshctl-lint.1`…), rendered from the clap definitions.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn render(mut cmd: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            render(sub, pages);
        }
        let helps: Vec<_> =
            cmd.get_arguments().filter_map(|a| Some((a.get_id().clone(), help_with_aliases(a)?))).collect();
        for (id, help) in helps {
            cmd = cmd.mut_arg(id, |a| a.help(help.clone()).long_help(help));
        }
        let source = format!("meshctl {}", cmd.get_version().unwrap_or_default());
        let man = clap_mangen::Man::new(cmd).source(source);
        let mut page = Vec::new();
        man.render(&mut page).expect("rendering into memory");
        pages.push((man.get_filename(), page));
    }
    let mut cmd = meshctl::cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    render(cmd, &mut pages);
    pages.sort();
    pages
}

#[test]
fn man_pages_are_fresh() {
    let dir = generated_dir("man");
    let pages = man_pages();
    let have: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    if bless() {
        std::fs::create_dir_all(&dir).unwrap();
        for name in have.iter().filter(|h| !pages.iter().any(|(n, _)| n == *h)) {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).unwrap();
        }
        return;
    }
    let stale: Vec<&str> = pages
        .iter()
        .filter(|(name, page)| std::fs::read(dir.join(name)).ok().as_ref() != Some(page))
        .map(|(name, _)| name.as_str())
        .collect();
    let extra: Vec<&String> = have.iter().filter(|h| !pages.iter().any(|(n, _)| n == *h)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "man/: {stale:?} stale, {extra:?} not generated: run `MESHCTL_BLESS=1 cargo test --test generated`"
    );
}
