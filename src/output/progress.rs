//! The progress bar: on stderr, drawn only when stderr is a terminal, so pipes, CI
//! logs and `--format json` consumers never see it.

use std::io::IsTerminal;

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar for `label`, hidden unless stderr is a terminal.
pub(crate) fn bar(label: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    // Elapsed time and an estimate of what is left, from the pace of the runs done so
    // far: a long run never looks hung. The message (model, run, requests done) takes
    // the width left, cut rather than wrapped, so the line fits any terminal.
    let style = ProgressStyle::with_template(
        "{prefix:>4} [{bar:20}] {pos}/{len} {wide_msg} {elapsed} elapsed{left}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    // Nothing is known before the first run ends: no "about 0s left" then.
    .with_key(
        "left",
        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            if state.pos() > 0 {
                let _ = write!(out, ", about {:#} left", HumanDuration(state.eta()));
            }
        },
    )
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar
}
