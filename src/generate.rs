//! `concbench completions SHELL` and `concbench man`: shell completion scripts and
//! roff man pages, generated from the clap definition in [`crate::cli`], so they
//! never drift from the flags the binary really takes.
//!
//! Both are built in memory and then written in one go: a reader that goes away
//! early (`concbench man | head`) is then an ordinary broken pipe, which exits 0,
//! where clap_complete would panic on the failed write.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell` to `out`.
pub(crate) fn completions(shell: Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut script = Vec::new();
    let mut command = without_hidden(&Cli::command());
    clap_complete::generate(shell, &mut command, "concbench", &mut script);
    out.write_all(&script)
        .and_then(|()| out.flush())
        .with_context(|| format!("writing the {shell} completions"))
}

/// A copy of `command` without its hidden subcommands and flags (the process pool's
/// `worker`, `serve --exit-with-parent`): clap_complete would offer them all, and
/// clap has no way to remove a subcommand or an argument from a command.
fn without_hidden(command: &clap::Command) -> clap::Command {
    let mut visible = clap::Command::new(command.get_name().to_string())
        .args(
            command
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .cloned(),
        )
        .subcommands(
            command
                .get_subcommands()
                .filter(|c| !c.is_hide_set())
                .map(without_hidden),
        );
    if let Some(about) = command.get_about() {
        visible = visible.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        visible = visible.version(version.to_string());
    }
    visible
}

/// Writes the man page of concbench, or of one of its [`MAN_PAGES`](crate::cli::MAN_PAGES) subcommands
/// (`concbench-cpu(1)`), to `out`.
pub(crate) fn man_page(subcommand: Option<&str>, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => command
            .find_subcommand(name)
            .with_context(|| format!("no man page for '{name}'"))?
            .clone(),
    };
    let source = format!("concbench {}", env!("CARGO_PKG_VERSION"));
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(source)
        .render(&mut roff)?;
    out.write_all(&roff)
        .and_then(|()| out.flush())
        .context("writing the man page")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn man_pages_cover_every_visible_subcommand() {
        let mut visible: Vec<String> = Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect();
        visible.sort();
        let mut pages = crate::cli::MAN_PAGES.map(String::from).to_vec();
        pages.sort();
        assert_eq!(pages, visible);
    }

    #[test]
    fn a_subcommand_page_is_named_after_it() {
        let page = text(|out| man_page(Some("serve"), out));
        assert!(page.contains("\n.TH concbench-serve 1 "), "{page}");
        assert!(page.contains("\"concbench 0."), "the version: {page}");
        assert!(page.contains("\\-\\-latency"), "{page}");
        assert!(!page.contains("exit\\-with\\-parent"), "{page}");
    }

    #[test]
    fn completions_leave_out_the_internal_subcommands_and_flags() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = text(|out| completions(shell, out));
            for visible in ["cpu", "serve", "kernel", "body-bytes", "completions"] {
                assert!(script.contains(visible), "{shell} {visible}");
            }
            for hidden in ["measure-run", "exit-with-parent"] {
                assert!(!script.contains(hidden), "{shell} {hidden}");
            }
        }
    }
}
