//! Each connection's idle watchdog: what counts as progress, and how a connection
//! that makes none is ended.
//!
//! [`Watched`] wraps the connection's stream and marks [`Activity`] whenever bytes
//! move; [`Serving`] counts the request the service is working on; and
//! [`Activity::idle_for`] completes once neither has happened for the idle timeout.
//! See the server's module docs for the rule and why no hyper timer is used.

use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Looks the idle watchdog takes per idle timeout; it closes a connection after
/// this many looks in a row found it idle.
pub(super) const IDLE_CHECKS: u32 = 4;

/// What a connection's idle watchdog reads, written by its I/O ([`Watched`]) and by
/// its service ([`Serving`]). Both run in the connection's task; the atomics are
/// uncontended.
#[derive(Debug, Default)]
pub(super) struct Activity {
    /// Set when bytes move either way or a response is ready; the watchdog clears it
    /// at each look.
    progressed: AtomicBool,
    /// Requests the service is working on (at most one in HTTP/1.1).
    serving: AtomicUsize,
}

impl Activity {
    /// Marks progress. A load first: the flag is nearly always already set, and then
    /// nothing is written.
    #[inline]
    fn touch(&self) {
        if !self.progressed.load(Ordering::Relaxed) {
            self.progressed.store(true, Ordering::Relaxed);
        }
    }

    /// Completes once the connection has been idle for `timeout`: [`IDLE_CHECKS`]
    /// looks in a row, each a quarter of `timeout` after the last, found no progress
    /// and no request being served. That is at least `timeout` after the last
    /// progress, and at most about a quarter more.
    pub(super) async fn idle_for(&self, timeout: Duration) {
        let period = (timeout / IDLE_CHECKS).max(Duration::from_millis(1));
        let mut sleep = pin!(tokio::time::sleep(period));
        let mut quiet = 0;
        loop {
            sleep.as_mut().await;
            let progressed = self.progressed.swap(false, Ordering::Relaxed);
            if progressed || self.serving.load(Ordering::Relaxed) > 0 {
                quiet = 0;
            } else {
                quiet += 1;
                if quiet >= IDLE_CHECKS {
                    return;
                }
            }
            // From now, not from the deadline: looks are never closer than `period`.
            sleep.as_mut().reset(tokio::time::Instant::now() + period);
        }
    }
}

/// One request being served: counted in [`Activity::serving`] from the service's
/// call until its future completes or is dropped, and progress when it ends.
pub(super) struct Serving(Arc<Activity>);

impl Serving {
    pub(super) fn start(activity: &Arc<Activity>) -> Serving {
        activity.serving.fetch_add(1, Ordering::Relaxed);
        Serving(Arc::clone(activity))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.serving.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// A connection's stream that marks [`Activity`] whenever bytes move. Forwards
/// vectored writes, so hyper still queues bodies instead of copying them.
///
/// Dropped while a write is blocked (the client stopped reading), it resets the
/// connection instead of closing it: a plain close would leave the kernel holding
/// the unsent responses, megabytes per connection, for as long as it keeps probing
/// a client that never opens its window (minutes); a reset frees them at once, as
/// nginx's `reset_timedout_connection` does. Other connections close with a FIN.
pub(super) struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
    /// The last write found the socket's buffer full.
    write_blocked: bool,
}

impl Watched {
    pub(super) fn new(io: TcpStream, activity: Arc<Activity>) -> Watched {
        Watched {
            io,
            activity,
            write_blocked: false,
        }
    }

    /// Notes what a write did: progress, or blocked on the client.
    #[inline]
    fn wrote(&mut self, poll: &Poll<std::io::Result<usize>>) {
        self.write_blocked = poll.is_pending();
        if matches!(poll, Poll::Ready(Ok(n)) if *n > 0) {
            self.activity.touch();
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.write_blocked {
            reset_on_close(&self.io);
        }
    }
}

/// Sets `SO_LINGER` to zero, so that closing `stream` sends a reset and drops unsent
/// bytes. With a zero time, closing does not block. A failure leaves the ordinary
/// close, which is only slower to free the kernel's buffers.
fn reset_on_close(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(&poll);
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
