//! The I/O job end to end, against servers on 127.0.0.1 only: the built-in target,
//! a server that answers 500, and a port nobody listens on.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{concbench, json_report, stderr};

fn rows(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["results"].as_array().unwrap()
}

#[test]
fn every_model_downloads_the_verified_byte_total() {
    let report = json_report(&[
        "io",
        "--requests",
        "24",
        "--latency",
        "5ms",
        "--body-bytes",
        "1000",
        "--workers",
        "3",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(rows(&report).len(), 6);
    // What every model must have read: the server's body for each path, hashed.
    let mut expected = crc32fast::Hasher::new();
    for i in 0..24 {
        let body = concbench::server::body(&format!("/{i}"), 1000);
        expected.update(&crc32fast::hash(&body).to_le_bytes());
    }
    let expected = format!("{:08x}", expected.finalize());
    for row in rows(&report) {
        assert_eq!(row["workload"], "io");
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["io"]["bytes"], 24_000, "{row}");
        assert_eq!(row["checksum"], expected.as_str(), "{row}");
        assert_eq!(row["io"]["failed"], 0);
        assert_eq!(row["io"]["requests"], 24);
        // Every request waited out the server's latency: a lower bound, not a speed.
        assert!(
            row["io"]["latency_s"]["p50"].as_f64().unwrap() >= 0.005,
            "{row}"
        );
    }
    assert_eq!(report["config"]["io"]["target"], "builtin");
}

/// A sequential client has one request in flight at a time: each request's span in
/// the report's figures, `started_s` to `started_s + latency_s`, ends before the next
/// one starts. With no latency the next request starts microseconds after the last
/// one ends, so a span reaching past its request's real end shows up as two.
#[test]
fn sequential_has_one_request_in_flight() {
    let report = json_report(&[
        "io",
        "--strategy",
        "sequential",
        "--latency",
        "0",
        "--requests",
        "400",
        "--runs",
        "3",
        "--warmup",
        "0",
        "--no-save",
        "--format",
        "json",
    ]);
    assert!(!rows(&report).is_empty());
    for row in rows(&report) {
        assert_eq!(row["strategy"], "sequential", "{row}");
        assert_eq!(row["io"]["max_in_flight"], 1, "{row}");
    }
}

/// A server that answers every request with 500, until the test ends.
fn always_500() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                let mut line = String::new();
                // One response per request head (a blank line ends a head).
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        let reply =
                            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\noops";
                        if stream.write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                    line.clear();
                }
            });
        }
    });
    url
}

/// A server that announces a 40-byte body and sends it one byte every 100 ms: each
/// read returns within 100 ms, so only a deadline on the whole request stops it.
fn trickle() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..40 {
                    std::thread::sleep(Duration::from_millis(100));
                    if stream
                        .write_all(b"x")
                        .and_then(|()| stream.flush())
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// `--timeout` is a deadline for the whole request, in every model: a body trickled
/// one byte at a time is a timeout, never a 4-second success.
#[test]
fn a_trickled_body_times_out_in_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.txt");
    std::fs::write(&sites, format!("{}\n", trickle())).unwrap();
    let report = json_report(&[
        "io",
        "--sites",
        sites.to_str().unwrap(),
        "--repeat",
        "2",
        "--timeout",
        "500ms",
        "--workers",
        "2",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--allow-failures",
        "--format",
        "json",
        "--no-save",
    ]);
    assert_eq!(rows(&report).len(), 6);
    for row in rows(&report) {
        assert_eq!(row["io"]["failures"]["timeout"], 2, "{row}");
        // Ended by the deadline, not by the end of the body 4 s later.
        let longest = row["io"]["latency_s"]["max"].as_f64().unwrap();
        assert!((0.5..2.0).contains(&longest), "{row}");
    }
}

/// A loopback URL with nothing listening.
fn refused() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn failed_requests_are_counted_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.txt");
    std::fs::write(
        &sites,
        format!("# failing on purpose\n{}\n{}\n", always_500(), refused()),
    )
    .unwrap();
    let sites = sites.to_str().unwrap();
    let args = [
        "io",
        "--sites",
        sites,
        "--repeat",
        "2",
        "--strategy",
        "sequential,async,processes",
    ];
    let args: Vec<&str> = args
        .iter()
        .chain(&["--runs", "1", "--warmup", "0", "--format", "json"])
        .copied()
        .collect();

    let output = concbench(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("4 requests failed")
            || stderr(&output).contains("requests failed")
    );
    // One line of error; the other says where the report was saved.
    let err = stderr(&output);
    let other: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("saved ") && !l.starts_with("warning: "))
        .collect();
    assert_eq!(other.len(), 1, "{err}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the report still appears");
    for row in rows(&report) {
        assert_eq!(row["io"]["failures"]["status"], 2, "{row}");
        assert_eq!(row["io"]["failures"]["connect"], 2, "{row}");
        assert_eq!(row["io"]["failed"], 4);
        assert_eq!(row["verified"], false);
    }

    let allowed: Vec<&str> = args.iter().copied().chain(["--allow-failures"]).collect();
    assert_eq!(concbench(&allowed).status.code(), Some(0));
}

#[test]
fn oversized_bodies_and_timeouts_are_failures_by_kind() {
    let report = concbench(&[
        "io",
        "--requests",
        "3",
        "--latency",
        "0",
        "--body-bytes",
        "5000",
        "--max-body-bytes",
        "1000",
        "--strategy",
        "threads,async",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(report.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    for row in rows(&report) {
        assert_eq!(row["io"]["failures"]["body_too_large"], 3, "{row}");
    }
    let report = concbench(&[
        "io",
        "--requests",
        "2",
        "--latency",
        "3s",
        "--timeout",
        "100ms",
        "--strategy",
        "sequential,async",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
    ]);
    assert_eq!(report.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    for row in rows(&report) {
        assert_eq!(row["io"]["failures"]["timeout"], 2, "{row}");
    }
}

#[test]
fn sites_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("bad-sites.txt");
    std::fs::write(&sites, "http://127.0.0.1:9/\n\nnot a url\n").unwrap();
    let output = concbench(&["io", "--sites", sites.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad-sites.txt:3: 'not a url'"), "{err}");

    let output = concbench(&["io", "--sites", "/no/such/sites.txt"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("/no/such/sites.txt"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn serve_prints_its_address_and_stops_on_sigint() {
    let mut server = Command::new(common::BIN)
        .args(["serve", "--latency", "0", "--body-bytes", "123"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /x HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(response.split("\r\n\r\n").nth(1).map(str::len), Some(123));

    // SAFETY: sending a signal to a child we own.
    assert_eq!(
        unsafe { libc::kill(server.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            server.kill().unwrap();
            panic!("serve did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status}");
}
