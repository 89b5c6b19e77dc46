//! The embedded HTTP target that the I/O job talks to.
//!
//! This module owns a small HTTP/1.1 server with keep-alive that answers any
//! request (any method, any path) with `200 OK` after a set latency and a
//! deterministic body of a set size that begins with its path, so every path's body
//! is its own ([`Bodies::for_path`]). It lets the I/O concurrency models be
//! benchmarked offline and repeatably, against a target whose cost per request
//! is known and small: the bulk of every body is built once and shared, and a
//! latency of zero adds no timer at all.
//!
//! [`serve`] runs the server on a listener until a shutdown future completes,
//! with [`ServerSettings`] of its own and no flags; with `log`, one line per request
//! on stderr. The `concbench serve` command around it (the flags, the URL on stdout,
//! the announcement, the signals) is [`crate::serve`].
//!
//! # Hostile and forgetful clients
//!
//! A connection that makes no progress for [`ServerSettings::idle_timeout`] while no
//! request is being served is closed: one that never sends a byte, one that stops
//! in the middle of a request head, a keep-alive connection left idle between
//! requests, and one that stops reading its responses (the server's writes block,
//! which is no progress either). A request being served is never cut, however long
//! its `latency`: only idle time counts, and finishing a response restarts it.
//!
//! Each connection's I/O goes through [`Watched`], which sets a flag whenever bytes
//! move either way; the service counts the requests it is working on. A watchdog in
//! the connection's task looks every quarter of the timeout ([`IDLE_CHECKS`]),
//! clears the flag, and ends the connection after four looks in a row that found
//! neither progress nor a request in progress: between 1 and 1¼ timeouts after the
//! connection went idle, never sooner. A connection ended while its write is blocked
//! is reset rather than closed, so the kernel drops the unsent responses at once.
//!
//! The hot path stays cheap, as the I/O job measures this server's latency: a read
//! or write costs one relaxed load of the flag (and a store only on the first
//! progress after a look), a request two relaxed counter updates, an `Arc` clone
//! and a copy of its path for the body's header; there is no per-request timer, and
//! the watchdog's one sleep per connection is re-armed four times per timeout, not
//! per read.
//!
//! hyper's own `http1::Builder::header_read_timeout` (hyper 1.12, with a
//! `hyper_util::rt::TokioTimer`) would cover a connection that never sends, a half
//! request and an idle keep-alive connection, since it starts whenever hyper waits
//! for a request head (since hyper 1.4 also before the first byte). It misses a
//! client that stops reading, and it allocates and arms a timer for every request;
//! so no hyper timer is set, and the watchdog covers every case.
//!
//! # Memory
//!
//! Each connection's memory is bounded: hyper's read buffer starts at 8 KiB and
//! never grows past [`MAX_BUF_BYTES`] (a longer request head is answered `431` and
//! the connection closed; bytes that are not HTTP, `400`); a body is its path's
//! header and a slice of one shared buffer, both queued for a vectored write, the
//! slice not copied; and hyper starts on the next pipelined request only once at
//! most [`MAX_BUF_BYTES`] (or one body) waits unsent, so the requests of a client
//! that never reads stay in the kernel's socket buffers until the watchdog resets
//! it. The number of connections is bounded by the open-file limit (`ulimit -n`):
//! at that limit `accept` fails and is retried after [`ACCEPT_BACKOFF`], while the
//! watchdog frees the idle ones.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::output::format;

/// How long open connections get to finish after shutdown starts, before they
/// are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (e.g. out of file descriptors), so that a
/// persistent error does not spin the accept loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(5);

/// How long a connection may sit idle (no bytes moving either way, no request being
/// served) before the server closes it, unless `--idle-timeout` says otherwise.
///
/// Two minutes: longer than the 90 s that common HTTP clients keep an idle
/// connection pooled for reuse (reqwest, hyper-util, Go's net/http, and concbench's
/// own I/O clients, [`crate::workload::io::IDLE_TIMEOUT`]), so that the client
/// always gives up on a pooled connection first and never sends a request onto one
/// the server is closing at that moment, which would show up as a failed request
/// in the benchmark. Servers' keep-alive defaults are shorter (nginx 75 s, hyper's
/// header-read timeout 30 s) and invite that race with such clients. Two minutes
/// still reclaims a connection a client forgot or lost without closing it.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

const _: () = assert!(
    DEFAULT_IDLE_TIMEOUT.as_secs() > crate::workload::io::IDLE_TIMEOUT.as_secs(),
    "the server must keep an idle connection longer than concbench's clients pool one"
);

/// Looks the idle watchdog takes per idle timeout; it closes a connection after
/// this many looks in a row found it idle.
const IDLE_CHECKS: u32 = 4;

/// hyper's limit on each connection's read buffer, and on the bytes it queues for
/// writing before it flushes (a body is queued whole). Its default is ~400 KiB; a
/// request to this server is a few hundred bytes, so 64 KiB leaves room for large
/// headers and bounds what a client sending one endless header costs.
const MAX_BUF_BYTES: usize = 64 * 1024;

/// The repeating pattern that fills every response body after its path's header.
const BODY_PATTERN: &[u8; 37] = b"0123456789abcdefghijklmnopqrstuvwxyz\n";

/// Settings of the target server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSettings {
    /// Delay before each response's headers are sent; stands in for a real site's latency.
    pub latency: Duration,
    /// Size of every response body in bytes.
    pub body_bytes: usize,
    /// A connection with no bytes moving and no request being served for this long
    /// is closed; zero never closes one. See the module docs.
    pub idle_timeout: Duration,
    /// One line per request on stderr once it is answered: method, path, status,
    /// body bytes, time to respond (`concbench serve --log`).
    pub log: bool,
}

/// What a connection's idle watchdog reads, written by its I/O ([`Watched`]) and by
/// its service ([`Serving`]). Both run in the connection's task; the atomics are
/// uncontended.
#[derive(Debug, Default)]
struct Activity {
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
    async fn idle_for(&self, timeout: Duration) {
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
struct Serving(Arc<Activity>);

impl Serving {
    fn start(activity: &Arc<Activity>) -> Serving {
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
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
    /// The last write found the socket's buffer full.
    write_blocked: bool,
}

impl Watched {
    fn new(io: TcpStream, activity: Arc<Activity>) -> Watched {
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
/// bytes. With a zero time, closing does not block.
#[cfg(unix)]
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is the stream's, open for as long as `stream` is
    // borrowed; `linger` is a live libc::linger of the size passed. A failure leaves
    // the ordinary close, which is only slower to free the kernel's buffers.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

#[cfg(not(unix))]
fn reset_on_close(_stream: &TcpStream) {}

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

/// Every body of one size, for any path, built once: the pattern repeated over `len`
/// bytes. [`Bodies::for_path`] puts the path's header in front of a slice of it.
#[derive(Debug, Clone)]
pub struct Bodies {
    pattern: Bytes,
    len: usize,
}

impl Bodies {
    pub fn new(len: usize) -> Bodies {
        let pattern = BODY_PATTERN
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect::<Vec<u8>>();
        Bodies {
            pattern: pattern.into(),
            len,
        }
    }

    /// The body for `path`: `path`, a newline, then the pattern repeated from its
    /// start, cut to `len` bytes. The header (the path and its newline) is copied,
    /// once per request; the rest is a slice of the shared pattern, not copied.
    ///
    /// The header makes the body name its path: two paths get different bodies
    /// whenever the body is longer than the shorter of the two paths (an HTTP path
    /// holds no newline, so where one path's header ends in `\n` the other's holds a
    /// byte of its path, or the two differ before that). A client that hands back
    /// another request's bytes is then caught by its digest. A body too short for
    /// that is the first `len` bytes of each path, shared by two paths whose first
    /// `len` bytes agree (at 2 bytes `/1` and `/10` both get `/1`); at 0 bytes every
    /// body is empty and only its length is checked. The paths of a run, `/0` to
    /// `/159`, get 160 different bodies from 4 bytes up.
    pub fn for_path(&self, path: &str) -> PathBody {
        let header = self.len.min(path.len() + 1);
        let mut head = Vec::with_capacity(header);
        head.extend(path.bytes().chain([b'\n']).take(header));
        PathBody {
            head: head.into(),
            tail: self.pattern.slice(..self.len - header),
        }
    }
}

/// One path's body as the server sends it, in two frames: the path's header and a
/// slice of the shared pattern. Its exact size gives the response its
/// `Content-Length`, and hyper queues both frames for one vectored write.
#[derive(Debug, Clone)]
pub struct PathBody {
    head: Bytes,
    tail: Bytes,
}

impl PathBody {
    /// The body's bytes in one buffer (a copy); for clients and tests.
    pub fn to_bytes(&self) -> Bytes {
        [&self.head[..], &self.tail[..]].concat().into()
    }

    /// The CRC-32 of the body, as a client that read it whole computes it.
    pub fn crc32(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&self.head);
        hasher.update(&self.tail);
        hasher.finalize()
    }
}

impl hyper::body::Body for PathBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let next = if !this.head.is_empty() {
            std::mem::take(&mut this.head)
        } else if !this.tail.is_empty() {
            std::mem::take(&mut this.tail)
        } else {
            return Poll::Ready(None);
        };
        Poll::Ready(Some(Ok(hyper::body::Frame::data(next))))
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_empty() && self.tail.is_empty()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact((self.head.len() + self.tail.len()) as u64)
    }
}

/// The deterministic body the server sends for `path`, in one buffer: `path`, `\n`,
/// then `b"0123456789abcdefghijklmnopqrstuvwxyz\n"` repeated, cut to `len` bytes.
/// See [`Bodies::for_path`] for when two paths' bodies differ.
pub fn body(path: &str, len: usize) -> Bytes {
    Bodies::new(len).for_path(path).to_bytes()
}

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
async fn precise_sleep(duration: Duration) {
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
async fn precise_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// One request, for the `--log` line written once it is answered.
struct LogEntry {
    method: hyper::Method,
    /// Path and query, as the client sent them.
    target: String,
    received: Instant,
}

impl LogEntry {
    fn new<B>(request: &Request<B>) -> LogEntry {
        LogEntry {
            method: request.method().clone(),
            target: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().to_string(), |p| p.to_string()),
            received: Instant::now(),
        }
    }

    /// Writes the line to stderr; a closed stderr is not worth failing a request for.
    fn write<B: hyper::body::Body>(self, response: &Response<B>) {
        let line = log_line(
            &self.method,
            &self.target,
            response.status().as_u16(),
            response.body().size_hint().exact(),
            self.received.elapsed(),
        );
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// `GET /3 200 10240 bytes 50.1 ms`: method, path, status, body bytes, and the time
/// from the request's head to the response's.
fn log_line(
    method: &hyper::Method,
    target: &str,
    status: u16,
    bytes: Option<u64>,
    elapsed: Duration,
) -> String {
    let bytes = bytes.map_or_else(|| "?".to_string(), |b| b.to_string());
    let time = format::seconds(elapsed.as_secs_f64());
    format!("{method} {target} {status} {bytes} bytes {time}")
}

/// Serve HTTP/1.1 on `listener` until `shutdown` completes, then stop
/// accepting, tell every open connection to finish (hyper graceful shutdown:
/// idle keep-alive connections close at once, in-flight responses complete),
/// and wait for them for at most 5 s, after which the remaining connections
/// are dropped.
///
/// Any method and path gets `200 OK` with [`body`] and `Content-Length` after
/// `settings.latency` (a latency of zero does not touch the timer). A
/// connection idle for `settings.idle_timeout` is closed (see the module docs). A
/// connection error is logged nowhere and never ends the server; neither does
/// a failed `accept`.
pub async fn serve(
    listener: TcpListener,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    serve_with_grace(listener, settings, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with the grace period as a parameter, so tests can shorten it.
async fn serve_with_grace(
    listener: TcpListener,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> anyhow::Result<()> {
    let bodies = Bodies::new(settings.body_bytes);
    let latency = settings.latency;
    let idle_timeout = settings.idle_timeout;
    let log = settings.log;

    let mut builder = http1::Builder::new();
    // Keep-alive is the default; say so. No timer is set, so hyper arms no
    // header-read timeout and the hot path never touches the timer wheel: the
    // idle watchdog below covers that and more (see the module docs).
    // No `pipeline_flush`: in hyper 1 it switches to copying every body into one
    // flat write buffer, and lets that buffer grow without limit, so a client that
    // pipelined 1,000 requests for 1 MiB and read nothing had the server hold 1 GB.
    // Without it bodies are queued for a vectored write, uncopied, and hyper reads
    // the next request only once at most MAX_BUF_BYTES (or one body) waits unsent.
    builder
        .keep_alive(true)
        .pipeline_flush(false)
        .max_buf_size(MAX_BUF_BYTES);

    // `true` is sent once, when shutdown starts; every connection watches it.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);

    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Small responses must not wait for Nagle's algorithm.
                    let _ = stream.set_nodelay(true);
                    let bodies = bodies.clone();
                    let activity = Arc::new(Activity::default());
                    let watched = Watched::new(stream, Arc::clone(&activity));
                    let serving = Arc::clone(&activity);
                    let service = service_fn(move |request: Request<Incoming>| {
                        let body = bodies.for_path(request.uri().path());
                        // With --log only: nothing is allocated or timed without it.
                        let entry = log.then(|| LogEntry::new(&request));
                        let serving = Serving::start(&serving);
                        async move {
                            // Dropped when the response is ready (or the request is
                            // abandoned): from then on the connection may go idle.
                            let _serving = serving;
                            if !latency.is_zero() {
                                precise_sleep(latency).await;
                            }
                            let response = Response::new(body);
                            if let Some(entry) = entry {
                                entry.write(&response);
                            }
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let connection = builder.serve_connection(TokioIo::new(watched), service);
                    let mut stop_rx = stop_rx.clone();
                    connections.spawn(async move {
                        let mut connection = pin!(connection);
                        let stopping = tokio::select! {
                            biased;
                            // Errors (resets, malformed requests) end only this connection.
                            _ = connection.as_mut() => false,
                            // Also taken if the sender is gone: that too means "stop".
                            _ = stop_rx.wait_for(|stop| *stop) => true,
                            // Idle too long: dropping the connection closes it.
                            () = activity.idle_for(idle_timeout), if !idle_timeout.is_zero() => false,
                        };
                        if stopping {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    });
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    let _ = stop_tx.send(true);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        connections.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::TcpStream;
    use tokio::net::tcp::OwnedWriteHalf;
    use tokio::sync::oneshot;
    use tokio::task::JoinHandle;

    /// A server on 127.0.0.1:0 with a shutdown trigger.
    struct TestServer {
        addr: SocketAddr,
        stop: Option<oneshot::Sender<()>>,
        task: JoinHandle<anyhow::Result<()>>,
    }

    async fn start(settings: ServerSettings, grace: Duration) -> TestServer {
        // The real server's deep accept queue: 1,000 connections may arrive at once.
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_with_grace(
            listener,
            settings,
            async {
                let _ = stopped.await;
            },
            grace,
        ));
        TestServer {
            addr,
            stop: Some(stop),
            task,
        }
    }

    impl TestServer {
        async fn stop(mut self) -> anyhow::Result<()> {
            self.stop.take().unwrap().send(()).unwrap();
            self.task.await.unwrap()
        }
    }

    struct Client {
        reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    /// One parsed response: status code, Content-Length, body.
    struct Reply {
        status: u16,
        content_length: usize,
        body: Vec<u8>,
    }

    impl Client {
        async fn connect(addr: SocketAddr) -> Self {
            let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
            Client {
                reader: BufReader::new(read),
                writer,
            }
        }

        async fn send(&mut self, method: &str, path: &str) {
            let request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            self.writer.write_all(request.as_bytes()).await.unwrap();
        }

        /// Reads one response; `None` if the server closed the connection first.
        async fn read_reply(&mut self) -> Option<Reply> {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await.unwrap() == 0 {
                return None;
            }
            let status = line.split(' ').nth(1).unwrap().parse().unwrap();
            let mut content_length = None;
            loop {
                line.clear();
                self.reader.read_line(&mut line).await.unwrap();
                if line == "\r\n" {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = Some(value.trim().parse().unwrap());
                }
            }
            let content_length = content_length.expect("response has no Content-Length");
            let mut body = vec![0; content_length];
            self.reader.read_exact(&mut body).await.unwrap();
            Some(Reply {
                status,
                content_length,
                body,
            })
        }

        async fn get(&mut self, path: &str) -> Reply {
            self.send("GET", path).await;
            self.read_reply()
                .await
                .expect("connection closed before a response")
        }

        /// True if the server closed the connection (EOF) without sending more.
        async fn closed_by_server(&mut self) -> bool {
            let mut rest = Vec::new();
            self.reader.read_to_end(&mut rest).await.is_ok() && rest.is_empty()
        }
    }

    fn settings(latency_ms: u64, body_bytes: usize) -> ServerSettings {
        ServerSettings {
            latency: Duration::from_millis(latency_ms),
            body_bytes,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            log: false,
        }
    }

    /// The idle timeout of the tests of hostile clients.
    const IDLE: Duration = Duration::from_millis(200);

    /// How long a test waits for what should happen within about 1¼ × [`IDLE`]
    /// before calling it a failure (not a hang); generous for a loaded machine.
    const LIMIT: Duration = Duration::from_secs(3);

    fn with_idle_timeout(mut settings: ServerSettings, idle_timeout: Duration) -> ServerSettings {
        settings.idle_timeout = idle_timeout;
        settings
    }

    /// Reads and discards until the server closes `stream`: EOF, or a reset (the
    /// server closing with bytes of ours unread). The bytes read before that, or
    /// `None` if the connection was still open after `limit`.
    async fn read_until_closed(
        stream: &mut (impl tokio::io::AsyncRead + Unpin),
        limit: Duration,
    ) -> Option<Vec<u8>> {
        let read = async {
            let mut got = Vec::new();
            let mut buf = [0; 16 * 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        };
        tokio::time::timeout(limit, read).await.ok()
    }

    /// True once the server has closed `stream` (FIN or reset), found without reading
    /// a byte: a reader would let the server make progress. False after `limit`.
    async fn closed_without_reading(stream: &TcpStream, limit: Duration) -> bool {
        let closed = async {
            loop {
                // An error polling readiness is not a close: `unwrap_or` keeps looking.
                let ready = stream.ready(tokio::io::Interest::READABLE).await;
                if ready.is_ok_and(|r| r.is_read_closed() || r.is_error()) {
                    return;
                }
                // Readable with data we do not read: look again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(limit, closed).await.is_ok()
    }

    /// A normal client on a fresh connection gets its whole body.
    async fn assert_serves_others(addr: SocketAddr, body_bytes: usize, context: &str) {
        let reply = tokio::time::timeout(LIMIT, async {
            let mut client = Client::connect(addr).await;
            client.get("/ok").await
        })
        .await
        .unwrap_or_else(|_| panic!("{context}: a normal client got no answer"));
        assert_eq!(reply.status, 200, "{context}");
        assert!(
            reply.body == body("/ok", body_bytes),
            "{context}: wrong body"
        );
    }

    /// This process's resident memory, from /proc/self/status (Linux).
    fn resident_bytes() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// Raises this process's soft open-file limit towards `wanted` (never past the hard
    /// limit); returns the soft limit now in force.
    // rlim_t is u64 on Linux, not everywhere.
    #[allow(clippy::unnecessary_cast)]
    fn raise_open_file_limit(wanted: u64) -> u64 {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the rlimit we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return 0;
        }
        if (limit.rlim_cur as u64) < wanted {
            let raised = libc::rlimit {
                rlim_cur: (wanted as libc::rlim_t).min(limit.rlim_max),
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the rlimit we pass; a soft limit up to the hard
            // one needs no privilege.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        limit.rlim_cur as u64
    }

    /// xorshift64: the same "random" bytes on every run.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    #[tokio::test]
    async fn garbage_gets_a_400_or_a_close_and_others_are_still_served() {
        // The default idle timeout (2 min): these connections must end on their own
        // bytes, not on the watchdog.
        let server = start(settings(0, 100), SHUTDOWN_GRACE).await;
        let endless_line = [b"GET /".as_slice(), &[b'a'; 1 << 20]].concat();
        // The answer, if the server's close does not reset it away first.
        let cases: [(&str, Vec<u8>, &str); 4] = [
            ("64 KiB of noise", noise(64 << 10), "HTTP/1.1 400 "),
            ("64 KiB of zeros", vec![0; 64 << 10], "HTTP/1.1 400 "),
            (
                "a TLS ClientHello's start",
                vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
                "HTTP/1.1 400 ",
            ),
            (
                "a 1 MiB request line that never ends",
                endless_line,
                "HTTP/1.1 431 ",
            ),
        ];
        for (case, bytes, status_line) in cases {
            let mut hostile = TcpStream::connect(server.addr).await.unwrap();
            // The server may close while we write: a reset or broken pipe is fine.
            let _ = tokio::time::timeout(LIMIT, hostile.write_all(&bytes)).await;
            let answer = read_until_closed(&mut hostile, LIMIT)
                .await
                .unwrap_or_else(|| panic!("{case}: the server kept the connection open"));
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.is_empty() || answer.starts_with(status_line),
                "{case}: {answer}"
            );
            assert_serves_others(server.addr, 100, case).await;
        }
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn idle_and_half_finished_connections_are_closed_after_the_idle_timeout() {
        let server = start(with_idle_timeout(settings(0, 100), IDLE), SHUTDOWN_GRACE).await;
        let cases: [(&str, &[u8]); 3] = [
            ("never sends a byte", b""),
            ("half a request head", b"GET / HTTP/1.1\r\nHost: x\r\n"),
            (
                "idle after a keep-alive response",
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            ),
        ];
        for (case, bytes) in cases {
            // Taken before the server can see anything of ours: it may close no
            // sooner than IDLE after this.
            let since = Instant::now();
            let mut client = Client::connect(server.addr).await;
            client.writer.write_all(bytes).await.unwrap();
            if bytes.ends_with(b"\r\n\r\n") {
                let reply = client.read_reply().await.expect("the request is answered");
                assert_eq!(reply.status, 200, "{case}");
            }
            assert_serves_others(server.addr, 100, case).await;
            let rest = read_until_closed(&mut client.reader, LIMIT).await;
            assert_eq!(
                rest.as_deref(),
                Some(&[][..]),
                "{case}: still open {LIMIT:?} later, or sent bytes"
            );
            assert!(
                since.elapsed() >= IDLE,
                "{case}: closed before the idle timeout"
            );
        }
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn a_thousand_idle_connections_leave_others_served_and_are_all_closed() {
        // Each connection costs this process two descriptors, client and server.
        let wanted = 1_000;
        let limit = raise_open_file_limit(2 * wanted + 500);
        // Fewer if the hard limit is lower, leaving room for the rest of the tests.
        let count = wanted.min(limit.saturating_sub(500) / 2);
        assert!(
            count >= 100,
            "open-file limit {limit} too low for this test"
        );
        // Long enough that opening them all on a busy machine does not race it.
        let idle = Duration::from_secs(1);
        let server = start(with_idle_timeout(settings(0, 100), idle), SHUTDOWN_GRACE).await;
        let addr = server.addr;

        let since = Instant::now();
        let mut connecting = JoinSet::new();
        for _ in 0..count {
            connecting.spawn(TcpStream::connect(addr));
        }
        let mut idlers = Vec::new();
        while let Some(stream) = connecting.join_next().await {
            idlers.push(stream.unwrap().expect("connect"));
        }

        assert_serves_others(addr, 100, "with a thousand idle connections").await;
        if since.elapsed() < idle {
            // None can have been closed yet: the server keeps each one `idle` at least.
            let mut buf = [0; 1];
            for stream in &idlers {
                let read = stream.try_read(&mut buf);
                assert!(
                    matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
                    "closed early: {read:?}"
                );
            }
        }

        let deadline = tokio::time::Instant::now() + idle + LIMIT;
        let mut open = 0;
        for stream in &mut idlers {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if read_until_closed(stream, left).await.is_none() {
                open += 1;
            }
        }
        assert_eq!(open, 0, "of {count} idle connections, {open} still open");
        assert!(since.elapsed() >= idle);
        assert_serves_others(addr, 100, "after they were closed").await;
        server.stop().await.unwrap();
    }

    /// The most a TCP socket's send buffer grows to (tcp_wmem's maximum), or 4 MiB.
    fn send_buffer_max() -> usize {
        std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
            .ok()
            .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(4 << 20)
    }

    #[tokio::test]
    async fn a_client_that_never_reads_is_closed_and_memory_stays_bounded() {
        const MIB: usize = 1 << 20;
        // (case, body bytes, requests sent at once, the client's receive buffer)
        let cases = [
            // 1000 MiB asked for: were the responses buffered in the server, it
            // would show. Closing with requests unread resets the connection.
            ("1,000 pipelined requests for 1 MiB", MIB, 1_000, None),
            // One response larger than the server's socket buffer can take while the
            // client's is tiny: the server's write blocks with all requests read, and
            // only a reset (not a FIN queued behind megabytes) ends it at once.
            (
                "one request for more than the socket buffers hold",
                send_buffer_max() + MIB,
                1,
                Some(4096),
            ),
        ];
        for (case, body_bytes, requests, receive_buffer) in cases {
            let server = start(
                with_idle_timeout(settings(0, body_bytes), IDLE),
                SHUTDOWN_GRACE,
            )
            .await;
            // The server is up and has built its body once before the baseline.
            assert_serves_others(server.addr, body_bytes, case).await;
            let baseline = resident_bytes();

            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            if let Some(bytes) = receive_buffer {
                socket.set_recv_buffer_size(bytes).unwrap();
            }
            let mut stalled = socket.connect(server.addr).await.unwrap();
            let pipeline = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n".repeat(requests);
            let _ = tokio::time::timeout(LIMIT, stalled.write_all(pipeline.as_bytes())).await;

            assert_serves_others(server.addr, body_bytes, case).await;

            // Watch for the close without reading; note the memory meanwhile.
            let mut peak = resident_bytes();
            let closed = tokio::time::timeout(LIMIT, async {
                while !closed_without_reading(&stalled, Duration::from_millis(50)).await {
                    peak = peak.max(resident_bytes());
                }
            })
            .await
            .is_ok();
            assert!(closed, "{case}: a client that never reads was kept open");

            // What may show: the normal client's body, hyper's buffers of one
            // connection, and what the other tests of this process allocate
            // meanwhile. The kernel's socket buffers are not ours.
            if let (Some(baseline), Some(peak)) = (baseline, peak) {
                let grew = peak.saturating_sub(baseline);
                assert!(
                    grew < 64 * MIB as u64,
                    "{case}: resident memory grew by {grew} bytes"
                );
            }
            assert_serves_others(server.addr, body_bytes, case).await;
            server.stop().await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_request_served_longer_than_the_idle_timeout_is_not_cut() {
        // Three idle timeouts of latency; the watchdog looks four times meanwhile.
        let latency = 3 * IDLE;
        let server = start(
            with_idle_timeout(settings(latency.as_millis() as u64, 100), IDLE),
            SHUTDOWN_GRACE,
        )
        .await;
        let mut client = Client::connect(server.addr).await;
        let started = Instant::now();
        let reply = tokio::time::timeout(LIMIT, client.get("/slow"))
            .await
            .expect("no answer");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, body("/slow", 100));
        assert!(started.elapsed() >= latency);
        // Once answered, the connection is idle like any other.
        let rest = read_until_closed(&mut client.reader, LIMIT).await;
        assert_eq!(rest.as_deref(), Some(&[][..]), "not closed once idle");
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn an_idle_timeout_of_zero_never_closes() {
        let server = start(
            with_idle_timeout(settings(0, 10), Duration::ZERO),
            SHUTDOWN_GRACE,
        )
        .await;
        let mut client = Client::connect(server.addr).await;
        assert_eq!(client.get("/").await.status, 200);
        let still_open = read_until_closed(&mut client.reader, 3 * IDLE).await;
        assert!(still_open.is_none(), "closed with no idle timeout");
        assert_eq!(client.get("/").await.status, 200);
        drop(client);
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn the_watched_stream_keeps_vectored_writes() {
        // Without them hyper would copy every body into its write buffer.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let plain = stream.is_write_vectored();
        let watched = Watched::new(stream, Arc::default());
        assert!(plain);
        assert_eq!(watched.is_write_vectored(), plain);
        assert!(hyper::rt::Write::is_write_vectored(&TokioIo::new(watched)));
    }

    #[test]
    fn a_body_is_its_path_a_newline_and_the_pattern() {
        let b = body("/7", 100);
        assert_eq!(b.len(), 100);
        assert_eq!(&b[..3], b"/7\n");
        for (i, byte) in b[3..].iter().enumerate() {
            assert_eq!(*byte, BODY_PATTERN[i % 37], "byte {}", i + 3);
        }
        assert_eq!(body("/7", 100), b, "same path and length, same bytes");
        let served = Bodies::new(100).for_path("/7");
        assert_eq!(served.to_bytes(), b);
        assert_eq!(served.crc32(), crc32fast::hash(&b));
    }

    /// The paths of a default run, `/0` to `/159`, at the default size and at sizes
    /// down to the least at which they all differ.
    #[test]
    fn every_path_of_a_run_gets_its_own_body() {
        for len in [10 << 10, 1000, 64, 37, 4] {
            let bodies: std::collections::BTreeSet<Bytes> =
                (0..160).map(|i| body(&format!("/{i}"), len)).collect();
            assert_eq!(bodies.len(), 160, "{len}-byte bodies");
        }
        assert_ne!(body("/", 2), body("/x", 2), "longer than the shorter path");
        assert_ne!(body("/1", 3), body("/10", 3));
    }

    /// A body shorter than its header is the header's first bytes: distinct only
    /// as far as those are; at 0 bytes every body is empty.
    #[test]
    fn tiny_bodies_are_the_first_bytes_of_the_path() {
        assert!(body("/", 0).is_empty());
        assert_eq!(body("/1", 0), body("/2", 0));
        assert_eq!(&body("/123", 1)[..], b"/");
        assert_eq!(&body("/123", 3)[..], b"/12");
        assert_eq!(&body("/123", 5)[..], b"/123\n");
        assert_eq!(&body("/1", 5)[..], b"/1\n01");
        assert_eq!(body("/1", 2), body("/10", 2));
        for len in 0..8 {
            let served = Bodies::new(len).for_path("/123");
            assert_eq!(served.to_bytes().len(), len);
            assert_eq!(
                hyper::body::Body::size_hint(&served).exact(),
                Some(len as u64)
            );
        }
    }

    #[tokio::test]
    async fn get_returns_200_and_exactly_the_body() {
        let server = start(settings(0, 10_240), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        let reply = client.get("/").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_length, 10_240);
        assert_eq!(reply.body, body("/", 10_240));
        drop(client);
        server.stop().await.unwrap();
    }

    /// A body is sent as the path's header and the shared pattern: each part, both,
    /// or neither, always under its exact Content-Length.
    #[tokio::test]
    async fn each_path_is_served_its_own_body_at_any_size() {
        for len in [0, 1, 3, 4, 100] {
            let server = start(settings(0, len), SHUTDOWN_GRACE).await;
            let mut client = Client::connect(server.addr).await;
            for path in ["/10", "/11"] {
                let reply = client.get(path).await;
                assert_eq!(reply.status, 200);
                assert_eq!(reply.content_length, len, "{path}");
                assert_eq!(reply.body, body(path, len), "{path}");
            }
            drop(client);
            server.stop().await.unwrap();
        }
    }

    #[tokio::test]
    async fn any_method_and_path_get_the_body() {
        let server = start(settings(0, 50), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        for (method, path) in [("GET", "/some/where?q=1"), ("HEAD", "/"), ("DELETE", "/x")] {
            client.send(method, path).await;
            if method == "HEAD" {
                // A HEAD response has headers only; read them and move on.
                let mut line = String::new();
                client.reader.read_line(&mut line).await.unwrap();
                assert!(line.starts_with("HTTP/1.1 200"), "{line}");
                while line != "\r\n" {
                    line.clear();
                    client.reader.read_line(&mut line).await.unwrap();
                }
                continue;
            }
            let reply = client.read_reply().await.unwrap();
            assert_eq!(reply.status, 200, "{method} {path}");
            assert_eq!(
                reply.body,
                body(path.split('?').next().unwrap(), 50),
                "{method} {path}"
            );
        }
        drop(client);
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn empty_body_has_content_length_zero() {
        let server = start(settings(0, 0), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        let reply = client.get("/").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_length, 0);
        drop(client);
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn two_requests_on_one_connection_both_succeed() {
        let server = start(settings(0, 1_000), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        for _ in 0..2 {
            let reply = client.get("/").await;
            assert_eq!(reply.status, 200);
            assert_eq!(reply.body, body("/", 1_000));
        }
        drop(client);
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn latency_is_applied_to_every_request() {
        let latency = Duration::from_millis(20);
        let server = start(settings(20, 10), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        for _ in 0..2 {
            let started = Instant::now();
            let reply = client.get("/").await;
            assert!(started.elapsed() >= latency, "{:?}", started.elapsed());
            assert_eq!(reply.status, 200);
        }
        drop(client);
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_returns_ok_and_closes_idle_connections() {
        let server = start(settings(0, 10), SHUTDOWN_GRACE).await;
        let addr = server.addr;
        let mut idle = Client::connect(addr).await;
        assert_eq!(idle.get("/").await.status, 200);
        server.stop().await.unwrap();
        assert!(idle.closed_by_server().await);
        // The listener is gone too.
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn shutdown_with_no_connection_ever_returns_ok() {
        let server = start(settings(0, 10), SHUTDOWN_GRACE).await;
        server.stop().await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_lets_an_in_flight_response_finish() {
        let server = start(settings(300, 100), SHUTDOWN_GRACE).await;
        let mut client = Client::connect(server.addr).await;
        client.send("GET", "/").await;
        // The server reads the request at once and then sleeps 300 ms; stop it
        // in the middle of that sleep.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stopped = tokio::spawn(server.stop());
        let reply = client
            .read_reply()
            .await
            .expect("in-flight response was cut");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, body("/", 100));
        assert!(client.closed_by_server().await);
        stopped.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn connections_still_open_after_the_grace_period_are_dropped() {
        // A response that would take an hour; the grace period is 50 ms.
        let server = start(settings(3_600_000, 10), Duration::from_millis(50)).await;
        let mut client = Client::connect(server.addr).await;
        client.send("GET", "/").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.stop().await.unwrap();
        assert!(client.read_reply().await.is_none());
    }

    #[tokio::test]
    async fn a_broken_connection_does_not_end_the_server() {
        let server = start(settings(0, 10), SHUTDOWN_GRACE).await;
        let mut garbage = TcpStream::connect(server.addr).await.unwrap();
        garbage.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
        let mut rest = Vec::new();
        let _ = garbage.read_to_end(&mut rest).await;
        drop(garbage);
        let mut client = Client::connect(server.addr).await;
        assert_eq!(client.get("/").await.status, 200);
        drop(client);
        server.stop().await.unwrap();
    }

    #[test]
    fn a_log_line_gives_method_path_status_bytes_and_time() {
        let line = log_line(
            &hyper::Method::GET,
            "/3?x=1",
            200,
            Some(10_240),
            Duration::from_micros(50_100),
        );
        assert_eq!(line, "GET /3?x=1 200 10240 bytes 50.1 ms");
        let unknown = log_line(&hyper::Method::HEAD, "/", 200, None, Duration::ZERO);
        assert_eq!(unknown, "HEAD / 200 ? bytes 0 s");
    }
}
