//! The process pool and the process-per-task model clean up after themselves: no
//! worker outlives a run, not even a run whose concbench was killed.

#![cfg(target_os = "linux")]

mod common;

use common::processes_tagged;

use std::process::Command;

#[test]
fn the_detector_sees_a_tagged_process() {
    let tag = format!("detector-{}", std::process::id());
    let mut sleeper = Command::new("sleep")
        .arg("30")
        .env("CONCBENCH_TEST_TAG", &tag)
        .spawn()
        .unwrap();
    // Right after exec the kernel may not show the new environment yet; poll briefly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut seen = processes_tagged(&tag);
    while seen.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = processes_tagged(&tag);
    }
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(seen, vec![sleeper.id()]);
}

#[test]
fn processes_strategy_leaves_no_worker_behind() {
    let tag = format!("pool-{}", std::process::id());
    let output = Command::new(common::BIN)
        .args([
            "cpu",
            "--strategy",
            "processes",
            "--workers",
            "3",
            "--count",
            "6",
            "--start",
            "1000",
        ])
        .args([
            "--runs",
            "2",
            "--warmup",
            "1",
            "--format",
            "json",
            "--no-save",
        ])
        .env("CONCBENCH_TEST_TAG", &tag)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["results"][0]["verified"], true);
    assert_eq!(processes_tagged(&tag), Vec::<u32>::new());
}

/// Polls `check` every 10 ms for up to 10 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

#[test]
fn no_child_outlives_a_killed_concbench() {
    no_child_outlives_a_killed("processes");
}

#[test]
fn no_spawned_child_outlives_a_killed_concbench() {
    no_child_outlives_a_killed("spawn");
}

/// Each task in its own process comes back in input order and verified, on both jobs.
#[test]
fn spawn_returns_every_result_in_order_and_verified() {
    let numbers = [30_000u64, 10, 20_000, 5, 7, 0];
    let list: Vec<String> = numbers.iter().map(u64::to_string).collect();
    let list = list.join(",");
    let cpu = common::json_report(&[
        "cpu",
        "--strategy",
        "seq,spawn",
        "--numbers",
        &list,
        "--workers",
        "3",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    let expected: u128 = numbers.iter().map(|&n| common::sum_of_squares(n)).sum();
    let rows = cpu["results"].as_array().unwrap();
    assert_eq!(rows[1]["strategy"], "spawn");
    assert_eq!(rows[1]["verified"], true, "{}", rows[1]);
    assert_eq!(rows[1]["checksum"], expected.to_string());
    // One process per number, besides the run process.
    assert_eq!(rows[1]["census"]["processes"], numbers.len() + 1);

    let io = common::json_report(&[
        "io",
        "--strategy",
        "seq,spawn",
        "--requests",
        "7",
        "--latency",
        "1ms",
        "--body-bytes",
        "300",
        "--workers",
        "3",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    let rows = io["results"].as_array().unwrap();
    assert_eq!(rows[1]["verified"], true, "{}", rows[1]);
    assert_eq!(
        rows[1]["checksum"], rows[0]["checksum"],
        "same bodies, same order"
    );
}

fn no_child_outlives_a_killed(strategy: &str) {
    let tag = format!("killed-{strategy}-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let mut parent = Command::new(common::BIN)
        .args([
            "io",
            "--strategy",
            strategy,
            "--workers",
            "2",
            "--requests",
            "200",
        ])
        .args([
            "--latency",
            "50ms",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--no-save",
        ])
        .current_dir(dir.path())
        .env("CONCBENCH_TEST_TAG", &tag)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The target server, the run process and its two workers, besides the parent.
    let started = eventually(|| processes_tagged(&tag).len() >= 5);
    parent.kill().unwrap(); // SIGKILL: no cleanup code of the parent runs
    parent.wait().unwrap();
    assert!(
        started,
        "the run never got going: {:?}",
        processes_tagged(&tag)
    );
    assert!(
        eventually(|| processes_tagged(&tag).is_empty()),
        "left behind: {:?}",
        processes_tagged(&tag)
    );
}
