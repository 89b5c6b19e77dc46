//! `concbench measure-run`: one measured run, alone in a fresh process.
//!
//! The parent ([`crate::runner`]) writes a [`RunSpec`] on stdin; this process runs the
//! model once, timing it by the rule in [`crate::strategy`], and writes a [`RunSample`]
//! on stdout. Running each sample in its own process means the operating system's
//! account of CPU time and peak memory, which the parent reads when it reaps this
//! process, belongs to exactly one model and one run, and a crash here cannot touch
//! another run.

use std::io::BufReader;

use anyhow::Context;

use super::protocol::{RunSample, RunSpec, read_message, write_message};
use crate::strategy;

/// Runs the spec read from stdin and reports on stdout.
///
/// A broken pipe while the model runs is a pool worker (or a task's process) gone:
/// an error with its message, for the parent to name ("processes run 1/3 failed:
/// writing to pool worker 0: Broken pipe"). Only a broken pipe on stdout itself is
/// quiet: the parent reads it to the end, so then it is gone or done with us.
pub fn run() -> anyhow::Result<()> {
    super::die_with_parent(libc::SIGKILL);
    let mut line = String::new();
    let spec: RunSpec = read_message(&mut BufReader::new(std::io::stdin().lock()), &mut line)?
        .context("no run spec on stdin")?;
    // The parent names the model and the run ("threads run 1/3 failed: ...").
    let timed = strategy::run_timed(spec.strategy, spec.workers, &spec.job)?;
    let sample = RunSample {
        wall_s: timed.wall.as_secs_f64(),
        setup_s: timed.setup.as_secs_f64(),
        cpu_s: Some(timed.cpu_s),
        outputs: timed.outputs,
        census: timed.census,
        python: None,
    };
    write_message(&mut std::io::stdout().lock(), &sample).map_err(crate::error::on_stdout)
}
