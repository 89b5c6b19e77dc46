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
//! the connection's task looks every quarter of the timeout ([`watchdog::IDLE_CHECKS`]),
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
//! hyper's own `http1::Builder::header_read_timeout` (with a
//! `hyper_util::rt::TokioTimer`) would cover a connection that never sends, a half
//! request and an idle keep-alive connection, since it starts whenever hyper waits
//! for a request head. It misses a client that stops reading, and it allocates and
//! arms a timer for every request; so no hyper timer is set, and the watchdog
//! covers every case.
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

mod body;
mod listen;
mod log;
#[cfg(test)]
mod tests;
mod watchdog;

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use body::{Bodies, PathBody, body};
use listen::precise_sleep;
pub use listen::{LISTEN_BACKLOG, listen};
use log::LogEntry;
use watchdog::{Activity, Serving, Watched};

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

/// hyper's limit on each connection's read buffer, and on the bytes it queues for
/// writing before it flushes (a body is queued whole). Its default is ~400 KiB; a
/// request to this server is a few hundred bytes, so 64 KiB leaves room for large
/// headers and bounds what a client sending one endless header costs.
const MAX_BUF_BYTES: usize = 64 * 1024;

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
