//! The process pool cleans up after itself: no worker outlives a run.

#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

/// Pids of live processes whose environment contains `tag`.
fn processes_tagged(tag: &str) -> Vec<u32> {
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
    let tag = format!("killed-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let mut parent = Command::new(common::BIN)
        .args([
            "io",
            "--strategy",
            "processes",
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
    // The target server, the run process and its two pool workers, besides the parent.
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
