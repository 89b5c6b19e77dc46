//! The embedded HTTP target that the I/O job talks to.
//!
//! This module owns a small HTTP/1.1 server with keep-alive that answers any
//! request (any method, any path) with `200 OK` after a set latency and a
//! deterministic body of a set size. It lets the I/O concurrency models be
//! benchmarked offline and repeatably, against a target whose cost per request
//! is known and small: the body is built once and shared, and a latency of zero
//! adds no timer at all.
//!
//! [`serve`] runs the server on a listener until a shutdown future completes;
//! [`run`] is the blocking `concbench serve` command around it: it prints the URL
//! alone on stdout's first line (for scripts, and for [`crate::target`]), and, for
//! a person, the settings and "Ctrl-C to stop" on stderr, then with `--log` one
//! line per request.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::ServeConfig;
use crate::output::format;

/// How long open connections get to finish after shutdown starts, before they
/// are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (e.g. out of file descriptors), so that a
/// persistent error does not spin the accept loop.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(5);

/// The repeating pattern every response body is cut from.
const BODY_PATTERN: &[u8; 37] = b"0123456789abcdefghijklmnopqrstuvwxyz\n";

/// Settings of the target server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerSettings {
    /// Delay before each response's headers are sent; stands in for a real site's latency.
    pub latency: Duration,
    /// Size of every response body in bytes.
    pub body_bytes: usize,
}

/// Every body of one size, for any path: the pattern repeated over `len + 37` bytes,
/// built once; [`Bodies::for_path`] cuts a path's body out of it without copying.
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
            .take(len.saturating_add(BODY_PATTERN.len()))
            .collect::<Vec<u8>>();
        Bodies {
            pattern: pattern.into(),
            len,
        }
    }

    /// The body for `path`: `len` bytes of the pattern starting at [`path_offset`].
    pub fn for_path(&self, path: &str) -> Bytes {
        let start = path_offset(path);
        self.pattern.slice(start..start + self.len)
    }
}

/// Where in the pattern a path's body starts: FNV-1a of the path, modulo the
/// pattern's length. Different paths get different bodies of the same size, so a
/// client that hands back another request's bytes is caught by its digest.
pub fn path_offset(path: &str) -> usize {
    let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % BODY_PATTERN.len() as u64) as usize
}

/// The deterministic body the server sends for `path`: byte `i` is
/// `b"0123456789abcdefghijklmnopqrstuvwxyz\n"[(path_offset(path) + i) % 37]`.
pub fn body(path: &str, len: usize) -> Bytes {
    Bodies::new(len).for_path(path)
}

/// Pending connections the kernel queues for `accept`. `TcpListener::bind` uses 128,
/// and the classic job opens 160 connections at once: the overflow was dropped by
/// the kernel, and those clients waited a whole latency for another connection.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` with a [`LISTEN_BACKLOG`] deep accept queue.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
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
/// connection error is logged nowhere and never ends the server; neither does
/// a failed `accept`.
pub async fn serve(
    listener: TcpListener,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    serve_with_grace(listener, settings, false, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with the request log (`log`: one line per request on stderr) and the
/// grace period as parameters, so tests can shorten it.
async fn serve_with_grace(
    listener: TcpListener,
    settings: ServerSettings,
    log: bool,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> anyhow::Result<()> {
    let bodies = Bodies::new(settings.body_bytes);
    let latency = settings.latency;

    let mut builder = http1::Builder::new();
    // Keep-alive is the default; say so. No timer is set, so hyper arms no
    // header-read timeout and the hot path never touches the timer wheel.
    builder.keep_alive(true).pipeline_flush(true);

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
                    let service = service_fn(move |request: Request<Incoming>| {
                        let body = bodies.for_path(request.uri().path());
                        // With --log only: nothing is allocated or timed without it.
                        let entry = log.then(|| LogEntry::new(&request));
                        async move {
                            if !latency.is_zero() {
                                precise_sleep(latency).await;
                            }
                            let response = Response::new(Full::new(body));
                            if let Some(entry) = entry {
                                entry.write(&response);
                            }
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let mut stop_rx = stop_rx.clone();
                    connections.spawn(async move {
                        let mut connection = pin!(connection);
                        let stopping = tokio::select! {
                            biased;
                            // Errors (resets, malformed requests) end only this connection.
                            _ = connection.as_mut() => false,
                            // Also taken if the sender is gone: that too means "stop".
                            _ = stop_rx.wait_for(|stop| *stop) => true,
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

/// The `concbench serve` command, blocking.
///
/// Refuses a non-loopback address unless the user typed it (`explicit_addr`);
/// builds a multi-thread tokio runtime with `workers` threads; binds the address;
/// prints `http://IP:PORT/` alone as the first line of stdout and flushes it; with
/// `announce`, prints the settings and "Ctrl-C to stop" on stderr; then serves until
/// Ctrl-C (SIGINT) or SIGTERM and returns `Ok(())` after the graceful shutdown of
/// [`serve`].
pub fn run(config: &ServeConfig) -> anyhow::Result<()> {
    let addr = config.addr;
    if !config.explicit_addr && !addr.ip().to_canonical().is_loopback() {
        bail!(
            "refusing to bind non-loopback address {addr}; pass it explicitly with --addr to allow"
        );
    }
    if config.workers == 0 {
        bail!("the server needs at least 1 worker thread");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers)
        .enable_all()
        .build()
        .context("building the server's tokio runtime")?;

    runtime.block_on(async {
        let listener = listen(addr).with_context(|| format!("binding {addr}"))?;
        let local = listener
            .local_addr()
            .with_context(|| format!("reading the local address bound for {addr}"))?;
        // Install the handlers before announcing the URL, so that a signal
        // sent as soon as the URL is read is not lost.
        let stop = shutdown_signal()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "http://{local}/").context("printing the server URL")?;
        stdout.flush().context("printing the server URL")?;
        drop(stdout);
        if config.announce {
            // For a person; a closed stderr does not stop the server.
            let _ = write!(std::io::stderr().lock(), "{}", announcement(config, local));
        }
        serve_with_grace(listener, config.settings, config.log, stop, SHUTDOWN_GRACE).await
    })
}

/// What `concbench serve` tells a person on stderr once it listens on `local`.
fn announcement(config: &ServeConfig, local: SocketAddr) -> String {
    let ip = local.ip().to_canonical();
    let reach = if ip.is_loopback() {
        "loopback only: this machine alone can connect"
    } else if ip.is_unspecified() {
        "every interface: other machines can connect"
    } else {
        "other machines can connect"
    };
    let settings = config.settings;
    let log = if config.log {
        "each request is logged below: method, path, status, body bytes, time to respond"
    } else {
        "no request log (--log for one)"
    };
    format!(
        "concbench serve on http://{local}/ ({reach})\n  \
         any method and path: 200 OK with a {} body after {} latency\n  \
         {} worker thread{}; {log}\n\
         Ctrl-C to stop\n",
        format::bytes(settings.body_bytes as u64),
        format::seconds(settings.latency.as_secs_f64()),
        config.workers,
        if config.workers == 1 { "" } else { "s" },
    )
}

/// A future that completes on the first SIGINT or SIGTERM. The handlers are
/// installed when this function returns, not when the future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that completes on the first Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_with_grace(
            listener,
            settings,
            false,
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
        }
    }

    #[test]
    fn body_follows_the_fixed_pattern_from_the_path_offset() {
        assert!(body("/", 0).is_empty());
        let b = body("/7", 100);
        assert_eq!(b.len(), 100);
        let start = path_offset("/7");
        for (i, byte) in b.iter().enumerate() {
            assert_eq!(*byte, BODY_PATTERN[(start + i) % 37], "byte {i}");
        }
        assert_eq!(body("/7", 100), b, "same path and length, same bytes");
    }

    #[test]
    fn different_paths_get_different_bodies() {
        let distinct: std::collections::BTreeSet<usize> =
            (0..160).map(|i| path_offset(&format!("/{i}"))).collect();
        assert!(distinct.len() > 20, "{} offsets", distinct.len());
        assert_ne!(body("/0", 64), body("/1", 64));
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

    /// `concbench serve` on `addr` with one worker, not told the address explicitly.
    fn serve_config(addr: SocketAddr, workers: usize) -> ServeConfig {
        ServeConfig {
            addr,
            explicit_addr: false,
            settings: settings(0, 10),
            workers,
            log: false,
            announce: false,
            exit_with_parent: false,
        }
    }

    #[test]
    fn run_refuses_a_non_loopback_address_without_the_flag() {
        for addr in ["0.0.0.0:0", "192.0.2.1:8080", "[::]:0"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let err = run(&serve_config(addr, 1)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "refusing to bind non-loopback address {addr}; pass it explicitly with --addr to allow"
                )
            );
        }
    }

    #[test]
    fn run_refuses_zero_threads() {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert!(run(&serve_config(addr, 0)).is_err());
    }

    #[test]
    fn run_names_the_address_it_cannot_bind() {
        // Hold a port so that binding it again fails.
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let err = run(&serve_config(addr, 1)).unwrap_err();
        assert!(format!("{err:#}").contains(&addr.to_string()), "{err:#}");
    }

    #[test]
    fn the_announcement_gives_the_settings_and_how_to_stop() {
        let mut config = serve_config("127.0.0.1:0".parse().unwrap(), 2);
        config.settings = settings(50, 10_240);
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            announcement(&config, local),
            "concbench serve on http://127.0.0.1:8080/ (loopback only: this machine alone can connect)\n  \
             any method and path: 200 OK with a 10.0 KiB body after 50.0 ms latency\n  \
             2 worker threads; no request log (--log for one)\n\
             Ctrl-C to stop\n"
        );
        config.log = true;
        config.workers = 1;
        let text = announcement(&config, "0.0.0.0:80".parse().unwrap());
        assert!(
            text.contains("(every interface: other machines can connect)"),
            "{text}"
        );
        assert!(
            text.contains("1 worker thread; each request is logged"),
            "{text}"
        );
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
