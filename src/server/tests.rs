//! The server's tests: real connections on 127.0.0.1:0, from polite clients and
//! hostile ones.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::body::BODY_PATTERN;
use super::log::log_line;
use super::*;
use tokio::io::{
    AsyncBufReadExt as _, AsyncReadExt as _, AsyncWrite as _, AsyncWriteExt as _, BufReader,
};
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
