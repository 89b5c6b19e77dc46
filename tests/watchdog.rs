//! A run that never ends is bounded: `--run-timeout` kills it and every process it
//! started, names it in one line, and exits 1. (This file holds only tests that start
//! concbench, so any concbench process alive after them is one they leaked.)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{BIN, concbench, stderr};

/// A server that sends headers and then one body byte a second, for an hour.
fn trickle_forever() -> String {
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
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 3600\r\n\r\n";
                let _ = stream.write_all(head.as_bytes());
                for _ in 0..3600 {
                    if stream.write_all(b"x").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        }
    });
    url
}

/// Processes running this test's concbench binary, other than zombies.
fn live_concbench_processes() -> Vec<String> {
    let bin = std::fs::canonicalize(BIN).unwrap();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(exe) = std::fs::read_link(path.join("exe")) else {
            continue;
        };
        if exe != bin {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        if !state.starts_with('Z') {
            found.push(format!("{} {}", path.display(), stat));
        }
    }
    found
}

#[test]
fn a_run_that_never_ends_is_killed_with_all_its_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.txt");
    std::fs::write(&sites, format!("{}\n", trickle_forever())).unwrap();
    let output = concbench(&[
        "io",
        "--sites",
        sites.to_str().unwrap(),
        "--repeat",
        "4",
        "--strategy",
        "processes",
        "--workers",
        "2",
        "--timeout",
        "60m",
        "--run-timeout",
        "2s",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--no-save",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(
        message.trim(),
        "error: processes run 1/1 failed: did not finish within --run-timeout 2.00 s; it \
         and every process it started were killed"
    );
    // The run process and its two pool workers are gone too.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(live_concbench_processes(), Vec::<String>::new());
}
