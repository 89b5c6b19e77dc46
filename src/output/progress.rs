//! The progress bar: on stderr, drawn only when stderr is a terminal, so pipes, CI
//! logs and `--format json` consumers never see it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for `label`, hidden unless stderr is a terminal.
pub fn bar(label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    // Elapsed time and an estimate of what is left, from the pace of the runs done so
    // far: a long run never looks hung.
    let style = ProgressStyle::with_template(
        "{prefix:>4} [{bar:30}] {pos}/{len} {msg} · {elapsed} elapsed, about {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar
}
