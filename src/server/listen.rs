//! The listening socket and the timer that stands in for a site's latency.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

/// Pending connections the kernel queues for `accept`. `TcpListener::bind` uses 128,
/// and the classic job opens 160 connections at once: the overflow was dropped by
/// the kernel, and those clients waited a whole latency for another connection.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` with a [`LISTEN_BACKLOG`] deep accept queue.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Waits `duration` on the kernel's high-resolution timer (a non-blocking timerfd
/// watched by tokio), because `tokio::time::sleep` rounds every sleep up to its next
/// millisecond tick: ~1 ms too long per request on average, which is 2 % of a 50 ms
/// latency and would push every model's time off its floor. Falls back to tokio's
/// timer if a timerfd cannot be had.
#[cfg(target_os = "linux")]
pub(super) async fn precise_sleep(duration: Duration) {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use tokio::io::unix::AsyncFd;

    fn armed_timer(duration: Duration) -> std::io::Result<AsyncFd<OwnedFd>> {
        // SAFETY: timerfd_create takes flags only; a negative result is an error.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: duration.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(duration.subsec_nanos() as i32),
            },
        };
        // SAFETY: `fd` is a valid timerfd and `spec` a live itimerspec; no old value.
        if unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: an OwnedFd keeps its descriptor open, and always the same one, for as
        // long as the AsyncFd owns it.
        unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    match armed_timer(duration) {
        // Readable means expired; the descriptor is closed on drop, unread.
        Ok(timer) => {
            if timer.readable().await.is_err() {
                tokio::time::sleep(duration).await;
            }
        }
        Err(_) => tokio::time::sleep(duration).await,
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) async fn precise_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
