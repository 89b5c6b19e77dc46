//! The child side of concbench's two kinds of child process, and the pipe protocol
//! between parent and child.
//!
//! - [`protocol`]: the messages and their framing (newline-delimited JSON).
//! - [`pool`]: `concbench worker`, a process-pool worker fed tasks on stdin.
//! - [`parent`]: the parent's side of those workers: start, write, poll-read.
//! - [`measure`]: `concbench measure-run`, one measured run in a fresh process.
//! - [`progress`]: the requests an io run has done so far, shared with the parent's bar.
//! - [`wait`]: `concbench task-wait`, one task of the spawn model's tasks job.

pub mod measure;
pub mod parent;
pub mod pool;
pub mod progress;
pub mod protocol;
pub mod wait;

/// Asks the kernel to send `signal` to this process when its parent dies (Linux's
/// `PR_SET_PDEATHSIG`), so that no child of concbench outlives a concbench killed by
/// SIGKILL, which no cleanup code can catch. Exits at once if the parent is already
/// gone. Elsewhere it does nothing: the children still exit at end of input.
///
/// The "parent" is the thread that spawned this process; concbench spawns children
/// only from threads that outlive them.
pub fn die_with_parent(signal: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getppid has no preconditions.
        let parent = unsafe { libc::getppid() };
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong);
        }
        // The parent may have died before the call above; then we were re-parented.
        // SAFETY: as above.
        if unsafe { libc::getppid() } != parent {
            std::process::exit(1);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = signal;
}
