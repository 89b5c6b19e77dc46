//! One name for one failure: every model, against the same failing target, counts the
//! same kind; and a sites list whose hosts do not resolve is refused before any run.
//!
//! Targets are loopback servers of this test process, or `.invalid` names (RFC 2606),
//! which never resolve, with or without a network.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;

use common::{concbench, stderr, stdout};
use serde_json::Value;

/// Every Rust model.
const MODELS: [&str; 6] = [
    "sequential",
    "threads",
    "async",
    "rayon",
    "processes",
    "spawn",
];

/// Writes a sites file of `urls` in `dir`.
fn sites(dir: &Path, urls: &[&str]) -> String {
    let path = dir.join("sites.txt");
    std::fs::write(&path, urls.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs every model once on `urls` with `--allow-failures` and returns, per model,
/// its failures by kind; also checks that nothing was verified.
fn failures_by_model(urls: &[&str]) -> BTreeMap<String, BTreeMap<String, u64>> {
    failures_by_model_with(urls, &[])
}

/// [`failures_by_model`] with more flags.
fn failures_by_model_with(
    urls: &[&str],
    extra: &[&str],
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let dir = tempfile::tempdir().unwrap();
    let sites = sites(dir.path(), urls);
    let mut args = vec!["io", "--sites", &sites];
    args.extend(extra);
    let output = concbench(
        &[
            args.as_slice(),
            &[
                "--timeout",
                "400ms",
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
            ],
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert_eq!(row["verified"], false, "{row}");
            let failures = row["io"]["failures"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(kind, n)| (kind.clone(), n.as_u64().unwrap()))
                .collect();
            (row["strategy"].as_str().unwrap().to_string(), failures)
        })
        .collect()
}

/// Every model counted `requests` failures, all of `kind`.
fn assert_every_model_says(
    failures: &BTreeMap<String, BTreeMap<String, u64>>,
    kind: &str,
    requests: u64,
) {
    let expected: BTreeMap<String, BTreeMap<String, u64>> = MODELS
        .iter()
        .map(|m| {
            (
                m.to_string(),
                BTreeMap::from([(kind.to_string(), requests)]),
            )
        })
        .collect();
    assert_eq!(failures, &expected);
}

/// A host that does not resolve is named before any run, in one line, exit 1.
#[test]
fn a_sites_host_that_does_not_resolve_is_refused_before_any_run() {
    let dir = tempfile::tempdir().unwrap();
    let sites = sites(
        dir.path(),
        &[
            "https://www.concbench-test.invalid/",
            "http://127.0.0.1:9/",
            "http://other.invalid/dice",
            "https://www.concbench-test.invalid/again",
        ],
    );
    let output = concbench(&["io", "--sites", &sites, "--no-save"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {sites}: cannot resolve www.concbench-test.invalid ("
        )),
        "{err}"
    );
    assert!(err.contains("), other.invalid ("), "{err}");
    assert!(
        err.contains("io --sites needs a network that reaches these hosts"),
        "{err}"
    );
    // Nothing ran: no table, no report.
    assert_eq!(stdout(&output), "");
}

/// With `--allow-failures` the run goes ahead, and a name that does not resolve is
/// the same kind in every model (the blocking models called it `other`, async
/// `connect`).
#[test]
fn a_name_that_does_not_resolve_is_connect_in_every_model() {
    let failures = failures_by_model(&["http://nowhere.invalid/a", "http://nowhere.invalid/b"]);
    assert_every_model_says(&failures, "connect", 2);
}

/// The CPython models call it `connect` too (their clients' own lookup errors).
/// Uses the machine's `python3`, as tests/python.rs does.
#[test]
fn a_name_that_does_not_resolve_is_connect_in_the_python_models_too() {
    let failures = failures_by_model_with(
        &["http://nowhere.invalid/a", "http://nowhere.invalid/b"],
        &[
            "--python",
            "--strategy",
            "py-sequential,py-threads,py-asyncio,py-processes",
        ],
    );
    let expected: BTreeMap<String, BTreeMap<String, u64>> =
        ["py-sequential", "py-threads", "py-asyncio", "py-processes"]
            .iter()
            .map(|m| (m.to_string(), BTreeMap::from([("connect".to_string(), 2)])))
            .collect();
    assert_eq!(failures, expected);
}

/// Nothing listening: `connect` in every model.
#[test]
fn a_refused_connection_is_connect_in_every_model() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let failures = failures_by_model(&[&url, &url]);
    assert_every_model_says(&failures, "connect", 2);
}

/// An https URL: every model builds its TLS client (both on rustls with ring, which
/// reqwest is not given by its own features) and counts the refused connection.
/// (reqwest without a crypto provider panicked building the client.)
#[test]
fn an_https_url_gets_a_tls_client_in_every_model() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    drop(listener);
    let failures = failures_by_model(&[&url, &url]);
    assert_every_model_says(&failures, "connect", 2);
}

/// A server that accepts and never answers: `timeout` in every model.
#[test]
fn a_server_that_never_answers_is_timeout_in_every_model() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // kept open, never answered
        }
    });
    let failures = failures_by_model(&[&url, &url]);
    assert_every_model_says(&failures, "timeout", 2);
}

/// A server that reads the request and resets the connection: `other` in every
/// model (a connection cut before the response).
#[test]
fn a_reset_connection_is_other_in_every_model() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            // Linger 0: close sends RST rather than FIN.
            let socket = socket2::SockRef::from(&stream);
            let _ = socket.set_linger(Some(std::time::Duration::ZERO));
            drop(stream);
        }
    });
    let failures = failures_by_model(&[&url, &url]);
    assert_every_model_says(&failures, "other", 2);
}
