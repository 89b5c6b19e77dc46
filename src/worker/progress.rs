//! Requests done so far in a running io run, for the progress bar of the parent.
//!
//! A measured run happens in another process, and an io run can take seconds (160
//! sequential requests at 50 ms: 8 s), so the parent's bar would sit still. When, and
//! only when, the bar is drawn (stderr is a terminal), the parent shares one 8-byte
//! counter with the run: a `memfd` mapped by both sides, passed to the run process as
//! file descriptor [`FD`] and named by [`ENV`]. Each process that completes a request
//! (the run process, or a pool worker, which inherits both) adds one to it; the parent
//! reads it a few times a second.
//!
//! What this costs the measured run: one `mmap` per process, at its first request,
//! and one relaxed atomic add per request. No thread and no system call per request,
//! so the census and the CPU time are unchanged. Without the bar (pipes, CI) nothing
//! is shared and [`request_done`] is a load of an empty `OnceLock`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that tells a run process where its counter is.
pub const ENV: &str = "CONCBENCH_PROGRESS_FD";

/// The descriptor the counter is passed as.
pub const FD: i32 = 3;

/// One shared page holding the counter.
const LEN: usize = std::mem::size_of::<AtomicU64>();

/// This process's view of the counter, if the parent shared one.
fn shared() -> Option<&'static AtomicU64> {
    static COUNTER: OnceLock<Option<&'static AtomicU64>> = OnceLock::new();
    *COUNTER.get_or_init(|| {
        let fd: i32 = std::env::var(ENV).ok()?.parse().ok()?;
        map(fd).ok()
    })
}

/// Counts one finished request (success or failure) of the running io run.
pub fn request_done() {
    if let Some(counter) = shared() {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Maps the counter behind `fd`, shared; the pointer is valid until unmapped.
fn map_raw(fd: i32) -> std::io::Result<*mut AtomicU64> {
    // SAFETY: a fresh shared mapping of LEN bytes of `fd`; the kernel checks `fd`.
    let address = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            LEN,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if address == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(address.cast())
}

/// Maps the counter behind `fd` for the rest of the process (a run process's view).
fn map(fd: i32) -> std::io::Result<&'static AtomicU64> {
    // SAFETY: the mapping is page-aligned, LEN bytes long, zero-filled by the kernel
    // or written by another process as a u64 (either a valid AtomicU64), and never
    // unmapped, so it lives as long as the process.
    Ok(unsafe { &*map_raw(fd)? })
}

/// The parent's side: a counter to pass to one run process.
pub struct Counter {
    fd: std::os::fd::OwnedFd,
    /// LEN bytes mapped shared; unmapped on drop.
    value: *mut AtomicU64,
}

// SAFETY: the pointer is only read through as an AtomicU64, which is Sync, and the
// mapping lives until the Counter is dropped.
unsafe impl Send for Counter {}
// SAFETY: as above.
unsafe impl Sync for Counter {}

impl Drop for Counter {
    fn drop(&mut self) {
        // SAFETY: `value` is the start of our own LEN-byte mapping, unmapped once.
        unsafe {
            libc::munmap(self.value.cast(), LEN);
        }
    }
}

impl Counter {
    /// A new counter at zero.
    pub fn new() -> std::io::Result<Counter> {
        use std::os::fd::FromRawFd;
        // SAFETY: memfd_create takes a NUL-terminated name and flags.
        let raw = unsafe { libc::memfd_create(c"concbench-progress".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: ftruncate on our own descriptor.
        if unsafe { libc::ftruncate(raw, LEN as libc::off_t) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let value = map_raw(raw)?;
        Ok(Counter { fd, value })
    }

    /// Requests finished so far.
    pub fn get(&self) -> u64 {
        // SAFETY: `value` points into our mapping, alive while `self` is.
        unsafe { &*self.value }.load(Ordering::Relaxed)
    }

    /// Passes the counter to `command`'s process as [`FD`], named by [`ENV`].
    pub fn pass_to(&self, command: &mut std::process::Command) {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let raw = self.fd.as_raw_fd();
        command.env(ENV, FD.to_string());
        // SAFETY: dup2 and fcntl are async-signal-safe. The copy at FD has no
        // CLOEXEC, so the run process (and the pool workers it starts) keep it across
        // exec; when the memfd already is FD, dup2 would do nothing, so its CLOEXEC is
        // cleared instead.
        unsafe {
            command.pre_exec(move || {
                let rc = if raw == FD {
                    libc::fcntl(FD, libc::F_SETFD, 0)
                } else {
                    libc::dup2(raw, FD)
                };
                if rc < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_process_adds_to_the_parents_counter() {
        let counter = Counter::new().unwrap();
        assert_eq!(counter.get(), 0);
        // The child writes 3 into the shared page through the descriptor it inherited.
        let mut command = std::process::Command::new("sh");
        command.args(["-c", "printf '\\003' >&3"]);
        counter.pass_to(&mut command);
        assert!(command.status().unwrap().success());
        assert_eq!(counter.get(), 3);
    }
}
