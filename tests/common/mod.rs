//! Helpers shared by the integration tests: run the real binary, read its JSON.

#![allow(dead_code)] // each test file uses its own subset

use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// Runs concbench with `args` in a fresh empty working directory (so the reports it
/// saves under `results/` land there, not in the repository) and returns everything
/// it did.
pub fn concbench(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("a temp dir");
    concbench_in(dir.path(), args)
}

/// Runs concbench with `args` in `dir`.
pub fn concbench_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("concbench runs")
}

/// Runs concbench with `args` in `dir`, its stdout a pipe whose reading end is closed
/// before it writes anything: a log filter that stopped reading (`| head -1`).
pub fn concbench_stdout_closed(dir: &std::path::Path, args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("concbench runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("concbench ends")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs concbench, expects exit 0, and parses its JSON report.
pub fn json_report(args: &[&str]) -> serde_json::Value {
    let output = concbench(args);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON report")
}

/// Exact sum of i*i for i in 0..n by a plain loop, independent of the crate.
pub fn sum_of_squares(n: u64) -> u128 {
    (0..u128::from(n)).map(|i| i * i).sum()
}

/// Pids of live processes whose environment contains `tag`.
pub fn processes_tagged(tag: &str) -> Vec<u32> {
    let needle = format!("CONCBENCH_TEST_TAG={tag}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|&b| b == 0)
            .any(|var| var == needle.as_bytes())
        {
            // A zombie has an empty environ, so whatever is found here is alive.
            found.push(pid);
        }
    }
    found
}
