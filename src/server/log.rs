//! `concbench serve --log`: one line per request on stderr, once it is answered.

use std::io::Write as _;
use std::time::{Duration, Instant};

use hyper::{Request, Response};

use crate::output::format;

/// One request, for the `--log` line written once it is answered.
pub(super) struct LogEntry {
    method: hyper::Method,
    /// Path and query, as the client sent them.
    target: String,
    received: Instant,
}

impl LogEntry {
    pub(super) fn new<B>(request: &Request<B>) -> LogEntry {
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
    pub(super) fn write<B: hyper::body::Body>(self, response: &Response<B>) {
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
pub(super) fn log_line(
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
