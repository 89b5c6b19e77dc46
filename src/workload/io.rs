//! The I/O job: one HTTP GET per URL, reading the whole body, and what came of it.
//!
//! Owns the unit of work shared by every model ([`fetch_blocking`] and [`fetch_async`]
//! do the same thing with the two reqwest clients), the typed outcome of one request
//! ([`Fetch`], [`FailureKind`]), and the `--sites` file format ([`parse_sites`]).
//! A failed request is data: it is counted by kind and never aborts a run.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

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

    fn of(error: &reqwest::Error) -> FailureKind {
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
}

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fetch {
    /// Body bytes read (0 for a failure).
    pub bytes: u64,
    /// From sending the request to the last body byte, or to the failure.
    pub latency_s: f64,
    /// `None` when the request succeeded.
    pub failure: Option<FailureKind>,
}

impl Fetch {
    fn ok(bytes: u64, started: Instant) -> Fetch {
        Fetch {
            bytes,
            latency_s: started.elapsed().as_secs_f64(),
            failure: None,
        }
    }

    fn failed(kind: FailureKind, started: Instant) -> Fetch {
        Fetch {
            bytes: 0,
            latency_s: started.elapsed().as_secs_f64(),
            failure: Some(kind),
        }
    }
}

/// A blocking client for the models that block a thread per request.
pub fn blocking_client(settings: &ClientSettings) -> anyhow::Result<reqwest::blocking::Client> {
    let mut builder = reqwest::blocking::Client::builder().timeout(settings.timeout);
    if settings.no_proxy {
        builder = builder.no_proxy();
    }
    builder.build().context("building the blocking HTTP client")
}

/// The async client, shared by all tasks of the async model.
pub fn async_client(settings: &ClientSettings) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().timeout(settings.timeout);
    if settings.no_proxy {
        builder = builder.no_proxy();
    }
    builder.build().context("building the async HTTP client")
}

/// Why a response must be refused before its body is read: a non-2xx status, or a
/// declared length over the cap (a body without one is checked as it streams).
fn refuse_head(
    status: reqwest::StatusCode,
    length: Option<u64>,
    max_body: u64,
) -> Option<FailureKind> {
    if !status.is_success() {
        Some(FailureKind::Status)
    } else if length.is_some_and(|len| len > max_body) {
        Some(FailureKind::BodyTooLarge)
    } else {
        None
    }
}

/// GET `url` and read the whole body into a scratch buffer, counting bytes.
pub fn fetch_blocking(client: &reqwest::blocking::Client, url: &str, max_body: u64) -> Fetch {
    let started = Instant::now();
    let mut response = match client.get(url).send() {
        Ok(response) => response,
        Err(e) => return Fetch::failed(FailureKind::of(&e), started),
    };
    if let Some(kind) = refuse_head(response.status(), response.content_length(), max_body) {
        return Fetch::failed(kind, started);
    }
    let mut buffer = [0u8; 16 * 1024];
    let mut total = 0u64;
    loop {
        match response.read(&mut buffer) {
            Ok(0) => return Fetch::ok(total, started),
            Ok(n) => {
                total += n as u64;
                if total > max_body {
                    return Fetch::failed(FailureKind::BodyTooLarge, started);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let kind = match e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                {
                    Some(inner) => FailureKind::of(inner),
                    None if e.kind() == std::io::ErrorKind::TimedOut => FailureKind::Timeout,
                    None => FailureKind::Other,
                };
                return Fetch::failed(kind, started);
            }
        }
    }
}

/// GET `url` and read the whole body chunk by chunk, counting bytes.
pub async fn fetch_async(client: &reqwest::Client, url: &str, max_body: u64) -> Fetch {
    let started = Instant::now();
    let mut response = match client.get(url).send().await {
        Ok(response) => response,
        Err(e) => return Fetch::failed(FailureKind::of(&e), started),
    };
    if let Some(kind) = refuse_head(response.status(), response.content_length(), max_body) {
        return Fetch::failed(kind, started);
    }
    let mut total = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                total += chunk.len() as u64;
                if total > max_body {
                    return Fetch::failed(FailureKind::BodyTooLarge, started);
                }
            }
            Ok(None) => return Fetch::ok(total, started),
            Err(e) => return Fetch::failed(FailureKind::of(&e), started),
        }
    }
}

/// Reads a sites file: one URL per line, blank lines and `#` comments ignored,
/// http and https only. An invalid line is an error naming file, line and text.
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
