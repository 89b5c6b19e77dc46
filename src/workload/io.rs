//! The I/O job: one HTTP GET per URL, reading the whole body, and what came of it.
//!
//! Owns the unit of work shared by every model and the two HTTP clients it is done
//! with, the typed outcome of one request ([`Fetch`], [`FailureKind`]), and the
//! `--sites` file format ([`parse_sites`]). A failed request is data: it is counted by
//! kind and never aborts a run.
//!
//! Two clients, as in the classic experiment (`requests` for the blocking versions,
//! `aiohttp` for asyncio):
//!
//! - [`blocking_client`] is a `ureq` agent. It does its I/O on the calling thread
//!   and starts no thread of its own, so a blocking model runs exactly the threads it
//!   says it does. (`reqwest::blocking` hides a tokio runtime on a background
//!   thread, and ureq's own resolver starts a thread per request; concbench's
//!   [`Resolver`] starts none: see [`super::resolve`].)
//! - [`async_client`] is a `reqwest::Client`, for the async model only.
//!
//! Both get the same settings ([`ClientSettings`]): `timeout` is a deadline for the
//! whole request, from connect to the last body byte; bodies over `max_body_bytes`
//! are refused as they stream; no proxy for loopback; kept-alive connections, reused
//! for up to [`IDLE_TIMEOUT`], no compression; no TCP keep-alive probes (ureq sends
//! none, and reqwest's default of one every 15 s costs four `setsockopt` calls per
//! connection, a cost per connection that only the async model has hundreds of).
//!
//! Every body is hashed as it streams (CRC-32, [`Fetch::digest`]), so a run is
//! verified on what was read, not only on how much.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::resolve::{Resolved, Resolver};
use crate::census::monotonic_s;

/// How long an idle kept-alive connection is kept for reuse (reqwest's default).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per host and in all: enough for every request of a run to
/// find its connection again, as reqwest's unbounded pool does.
const IDLE_CONNECTIONS: usize = 1024;

/// How each model's HTTP client is built: identical settings for every model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSettings {
    /// Limit on one request, connect to last body byte.
    pub timeout: Duration,
    /// A body over this many bytes is a [`FailureKind::BodyTooLarge`] and is not kept.
    pub max_body_bytes: u64,
    /// Ignore proxy environment variables; set for the built-in loopback target, so a
    /// proxy configured for the internet is never asked for 127.0.0.1.
    pub no_proxy: bool,
    /// Host names resolved before the clock started, so that no model looks them up
    /// while it is timed (see [`resolve`](super::resolve)).
    #[serde(default)]
    pub resolved: Resolved,
}

/// Why one request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No connection: refused, unreachable, DNS.
    Connect,
    /// The request did not finish within `--timeout`.
    Timeout,
    /// The server answered with a status other than 2xx.
    Status,
    /// The body was longer than `--max-body-bytes`.
    BodyTooLarge,
    /// Anything else (a connection cut mid-body, a protocol error).
    Other,
}

impl FailureKind {
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::Timeout => "timeout",
            FailureKind::Status => "status",
            FailureKind::BodyTooLarge => "body_too_large",
            FailureKind::Other => "other",
        }
    }

    fn of_reqwest(error: &reqwest::Error) -> FailureKind {
        if error.is_timeout() {
            FailureKind::Timeout
        } else if error.is_connect() {
            FailureKind::Connect
        } else if error.is_status() {
            FailureKind::Status
        } else {
            FailureKind::Other
        }
    }

    fn of_ureq(error: &ureq::Error) -> FailureKind {
        use std::io::ErrorKind as Io;
        match error {
            ureq::Error::Timeout(_) => FailureKind::Timeout,
            ureq::Error::StatusCode(_) => FailureKind::Status,
            ureq::Error::BodyExceedsLimit(_) => FailureKind::BodyTooLarge,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => FailureKind::Connect,
            ureq::Error::Io(e) => match e.kind() {
                Io::TimedOut | Io::WouldBlock => FailureKind::Timeout,
                Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotFound => FailureKind::Connect,
                _ => FailureKind::Other,
            },
            _ => FailureKind::Other,
        }
    }

    /// The kind of an error met while reading a ureq body: ureq wraps its own errors
    /// (a timeout among them) in the `io::Error`.
    fn of_ureq_read(error: &std::io::Error) -> FailureKind {
        match error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        {
            Some(inner) => FailureKind::of_ureq(inner),
            None if matches!(
                error.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
            {
                FailureKind::Timeout
            }
            None => FailureKind::Other,
        }
    }
}

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fetch {
    /// Body bytes read (0 for a failure).
    pub bytes: u64,
    /// From sending the request to the last body byte, or to the failure, on the
    /// clock `started_s` is read from: `started_s + latency_s` is when it ended.
    pub latency_s: f64,
    /// When the request was sent, on the machine's monotonic clock
    /// ([`monotonic_s`]): with `latency_s` it tells how many requests were in flight
    /// at once, across every thread and process of a run.
    pub started_s: f64,
    /// CRC-32 of the body read; `None` for a failure.
    pub digest: Option<u32>,
    /// `None` when the request succeeded.
    pub failure: Option<FailureKind>,
}

/// The clock of one request: the system-wide monotonic clock ([`monotonic_s`]), read
/// once just before the request is sent and once when it ends, and nothing else.
///
/// One clock for both ends, because the figures rebuild each request's span as
/// `started_s` to `started_s + latency_s` to count the requests in flight at once: a
/// start read from one clock and a latency from another put the span's end past the
/// request's real end by the time between the two start readings, and a sequential
/// client, whose next request starts microseconds after the last one ended, would
/// show two in flight whenever its thread is preempted between them.
struct Clock {
    /// The start reading, in seconds.
    started_s: f64,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            started_s: monotonic_s(),
        }
    }

    fn ok(self, bytes: u64, digest: u32) -> Fetch {
        let ended_s = monotonic_s();
        crate::worker::progress::request_done();
        self.ended_at(ended_s, bytes, Some(digest), None)
    }

    fn failed(self, kind: FailureKind) -> Fetch {
        let ended_s = monotonic_s();
        crate::worker::progress::request_done();
        self.ended_at(ended_s, 0, None, Some(kind))
    }

    /// The request's outcome, given the end reading `ended_s` of the same clock.
    ///
    /// `latency_s` is `ended_s - started_s`, a difference that is exact in floating
    /// point (Sterbenz's lemma) whenever the request took no longer than the machine
    /// had been up when it started, as the clock counts from boot. Then
    /// `started_s + latency_s` gives back `ended_s` exactly, and as readings never
    /// decrease, a request that starts after another ended never seems to overlap it.
    /// (A latency converted on its own, from nanoseconds, would be rounded apart from
    /// `started_s`, and their sum can land past the next request's start.)
    fn ended_at(
        self,
        ended_s: f64,
        bytes: u64,
        digest: Option<u32>,
        failure: Option<FailureKind>,
    ) -> Fetch {
        Fetch {
            bytes,
            latency_s: ended_s - self.started_s,
            started_s: self.started_s,
            digest,
            failure,
        }
    }
}

/// A truly blocking client (ureq) for the models that block a thread per request:
/// its I/O happens on the calling thread (see the module docs).
pub fn blocking_client(settings: &ClientSettings) -> ureq::Agent {
    let proxy = if settings.no_proxy {
        None
    } else {
        ureq::Proxy::try_from_env()
    };
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        .proxy(proxy)
        .max_idle_connections(IDLE_CONNECTIONS)
        .max_idle_connections_per_host(IDLE_CONNECTIONS)
        .max_idle_age(IDLE_TIMEOUT)
        .build();
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        Resolver::new(settings.resolved.clone()),
    )
}

/// The async client, shared by all tasks of the async model, for `urls`. With an
/// https URL among them, building it loads the system's root certificates (part of
/// the async model's set-up).
pub fn async_client(settings: &ClientSettings, urls: &[String]) -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a TLS provider of its own: it uses ring, as ureq does
    // (one provider, one C build). Installing it again, in a later run of the same
    // process, is refused and harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .tcp_keepalive(None)
        .tcp_keepalive_interval(None)
        .tcp_keepalive_retries(None);
    if settings.no_proxy {
        builder = builder.no_proxy();
    }
    builder = builder.dns_resolver(std::sync::Arc::new(Resolver::new(
        settings.resolved.clone(),
    )));
    if !urls.iter().any(|url| url.starts_with("https:")) {
        // No https URL: an empty root store, so building the client does not load
        // and decode the system's CA certificates (most of its set-up time) for a
        // run that never verifies one.
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder.build().context("building the async HTTP client")
}

/// Why a response must be refused before its body is read: a non-2xx status, or a
/// declared length over the cap (a body without one is checked as it streams).
fn refuse_head(status: u16, length: Option<u64>, max_body: u64) -> Option<FailureKind> {
    if !(200..300).contains(&status) {
        Some(FailureKind::Status)
    } else if length.is_some_and(|len| len > max_body) {
        Some(FailureKind::BodyTooLarge)
    } else {
        None
    }
}

/// GET `url` on the calling thread and read the whole body, counting and hashing it.
pub fn fetch_blocking(agent: &ureq::Agent, url: &str, max_body: u64) -> Fetch {
    let clock = Clock::start();
    let mut response = match agent.get(url).call() {
        Ok(response) => response,
        Err(e) => return clock.failed(FailureKind::of_ureq(&e)),
    };
    let length = response.body().content_length();
    if let Some(kind) = refuse_head(response.status().as_u16(), length, max_body) {
        return clock.failed(kind);
    }
    let mut reader = response.body_mut().as_reader();
    let mut buffer = [0u8; 16 * 1024];
    let mut total = 0u64;
    let mut digest = crc32fast::Hasher::new();
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return clock.ok(total, digest.finalize()),
            Ok(n) => {
                total += n as u64;
                if total > max_body {
                    return clock.failed(FailureKind::BodyTooLarge);
                }
                digest.update(&buffer[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return clock.failed(FailureKind::of_ureq_read(&e)),
        }
    }
}

/// GET `url` and read the whole body chunk by chunk, counting and hashing it.
///
/// The URL comes parsed ([`parse_urls`]): reqwest would otherwise parse the text
/// into a `Url` on every request (with IDNA processing of the host) before it turns
/// it into an `http::Uri`, about a twentieth of the async client's CPU at latency 0.
pub async fn fetch_async(client: &reqwest::Client, url: reqwest::Url, max_body: u64) -> Fetch {
    let clock = Clock::start();
    let mut response = match client.get(url).send().await {
        Ok(response) => response,
        Err(e) => return clock.failed(FailureKind::of_reqwest(&e)),
    };
    let status = response.status().as_u16();
    if let Some(kind) = refuse_head(status, response.content_length(), max_body) {
        return clock.failed(kind);
    }
    let mut total = 0u64;
    let mut digest = crc32fast::Hasher::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                total += chunk.len() as u64;
                if total > max_body {
                    return clock.failed(FailureKind::BodyTooLarge);
                }
                digest.update(&chunk);
            }
            Ok(None) => return clock.ok(total, digest.finalize()),
            Err(e) => return clock.failed(FailureKind::of_reqwest(&e)),
        }
    }
}

/// The job's URLs parsed for reqwest, before the clock: parsing the input is not
/// the work being timed. They were checked when the job was made, so an error here
/// names the URL and means the job was built by hand.
pub fn parse_urls(urls: &[String]) -> anyhow::Result<Vec<reqwest::Url>> {
    urls.iter()
        .map(|url| reqwest::Url::parse(url).with_context(|| format!("invalid URL {url}")))
        .collect()
}

/// Reads a sites file: one URL per line, blank lines and `#` comments ignored,
/// http and https only, no control characters. An invalid line is an error naming file, line and text.
pub fn read_sites(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read sites file {}", path.display()))?;
    parse_sites(&text).map_err(|e| {
        // Line errors read `FILE:LINE: …`, like a compiler's; the rest `FILE: …`.
        let separator = if e.starts_with(|c: char| c.is_ascii_digit()) {
            ":"
        } else {
            ": "
        };
        crate::error::usage(format!("{}{separator}{e}", path.display()))
    })
}

/// The parser behind [`read_sites`]; errors read `LINE: message`.
pub fn parse_sites(text: &str) -> Result<Vec<String>, String> {
    let mut urls = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        // The URL parser would drop a tab or a carriage return inside the line and
        // join what is on either side: a file with CR line endings would be one URL.
        if line.contains(char::is_control) {
            return Err(format!(
                "{number}: {} contains a control character",
                crate::error::quote(line)
            ));
        }
        let url = reqwest::Url::parse(line)
            .map_err(|e| format!("{number}: '{line}' is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{number}: '{line}' is not an http or https URL"));
        }
        if url.host_str().is_none() {
            return Err(format!("{number}: '{line}' has no host"));
        }
        urls.push(line.to_string());
    }
    if urls.is_empty() {
        return Err("lists no URL".to_string());
    }
    Ok(urls)
}

/// True when every URL points at a loopback address (127.0.0.0/8, ::1, localhost).
pub fn all_loopback(urls: &[String]) -> bool {
    urls.iter().all(|url| {
        reqwest::Url::parse(url)
            .ok()
            .is_some_and(|url| match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                None => false,
            })
    })
}

/// Total body bytes of the successful requests.
pub fn total_bytes(fetches: &[Fetch]) -> u64 {
    fetches.iter().map(|f| f.bytes).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_skip_comments_and_blanks() {
        let text = "# classic\n\nhttps://www.jython.org\n  http://olympus.realpython.org/dice  \n";
        assert_eq!(
            parse_sites(text).unwrap(),
            vec![
                "https://www.jython.org",
                "http://olympus.realpython.org/dice"
            ]
        );
    }

    #[test]
    fn bad_site_lines_are_named_by_number_and_text() {
        let err = parse_sites("http://ok.example\n\nnot a url\n").unwrap_err();
        assert!(err.starts_with("3: 'not a url'"), "{err}");
        let err = parse_sites("ftp://files.example/x\n").unwrap_err();
        assert!(
            err.starts_with("1: 'ftp://files.example/x' is not an http"),
            "{err}"
        );
        assert!(parse_sites("# only a comment\n").is_err());
    }

    /// Found by tests/properties.rs: the URL parser drops tabs and carriage returns,
    /// so a file with CR line endings was one URL made of all its lines (here host
    /// a.example, path /xhttp://b.example/y), and the error for a bad one was two
    /// lines.
    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            parse_sites("http://a.example/x\rhttp://b.example/y\r"),
            Err("1: 'http://a.example/x\\rhttp://b.example/y' contains a control character".into())
        );
        let err = parse_sites("# tabs\nhttp://exa\tmple.org/\n").unwrap_err();
        assert!(
            err.starts_with("2: 'http://exa\\tmple.org/' contains"),
            "{err}"
        );
        assert!(parse_sites("localhost\rlocalhost").is_err());
        // CRLF line endings are line endings.
        assert_eq!(
            parse_sites("http://a.example/\r\n\thttps://b.example/ \r\n").unwrap(),
            vec!["http://a.example/", "https://b.example/"]
        );
    }

    /// A reading of the monotonic clock `ns` nanoseconds after boot, as
    /// [`monotonic_s`] makes it from `clock_gettime`'s seconds and nanoseconds.
    fn reading(ns: u64) -> f64 {
        (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 * 1e-9
    }

    /// The spans the figures rebuild from a sequential client's fetches (each request
    /// sent at or after the reading that ended the one before) never overlap, and each
    /// is exactly its request's two readings: on a machine up ten seconds, a day or a
    /// year, with requests and gaps from 0 ns to a second.
    #[test]
    fn spans_of_requests_one_after_another_never_overlap() {
        let steps_ns = [
            0,
            1,
            3,
            30,
            250,
            1_000,
            47_123,
            999_999,
            12_345_678,
            1 << 30,
        ];
        for boot_ns in [
            10_000_000_000u64,
            86_400_000_000_001,
            31_557_600_123_456_789,
        ] {
            let mut now = boot_ns;
            let mut fetches = Vec::new();
            let mut readings = Vec::new();
            for i in 0..500 {
                let started = now;
                now += steps_ns[i % steps_ns.len()];
                let fetch = Clock {
                    started_s: reading(started),
                }
                .ended_at(reading(now), 10, Some(7), None);
                fetches.push(fetch);
                readings.push((reading(started), reading(now)));
                // The gap before the next request: none at all, now and then.
                now += steps_ns[(i * 7 + 3) % steps_ns.len()] / 2;
            }
            // As crate::analysis::io builds them for `max_in_flight`.
            let spans: Vec<(f64, f64)> = fetches
                .iter()
                .map(|f| (f.started_s, f.started_s + f.latency_s))
                .collect();
            assert_eq!(spans, readings, "booted {boot_ns} ns ago");
            assert_eq!(
                crate::stats::max_overlap(&spans),
                1,
                "booted {boot_ns} ns ago"
            );
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(all_loopback(&[
            "http://127.0.0.1:8080/".into(),
            "http://localhost/x".into()
        ]));
        assert!(all_loopback(&["http://[::1]:80/".into()]));
        assert!(!all_loopback(&[
            "http://127.0.0.1/".into(),
            "https://example.org/".into()
        ]));
    }
}
