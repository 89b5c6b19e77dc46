//! `concbench task-wait INDEX SECONDS`: one task of the spawn model's tasks job, in a
//! process of its own.
//!
//! It says `ready` on stdout, waits at the start gate (its stdin, a pipe shared by
//! every task process, which the parent closes once all of them are ready), sleeps
//! SECONDS on a timer, prints its index and the threads it started (`3 0`: none,
//! for the census) and exits. It dies with its parent (`PR_SET_PDEATHSIG`), so no
//! task outlives a killed run.

use std::io::{Read, Write};
use std::time::Duration;

use anyhow::Context;

/// Runs one task; see the module docs.
pub fn run(index: usize, wait_s: f64) -> anyhow::Result<()> {
    super::die_with_parent(libc::SIGKILL);
    let wait = Duration::try_from_secs_f64(wait_s).context("the wait")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    // The gate: end of input, for every task at once. Nothing is ever written.
    let mut nothing = Vec::new();
    std::io::stdin().lock().read_to_end(&mut nothing)?;
    std::thread::sleep(wait);
    // `-` where this build cannot count threads (see `census::threads_started`).
    match crate::census::threads_started() {
        Some(started) => writeln!(out, "{index} {started}")?,
        None => writeln!(out, "{index} -")?,
    }
    out.flush()?;
    Ok(())
}
