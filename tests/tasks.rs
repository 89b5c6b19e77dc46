//! `concbench tasks`: the rows of each model that holds N tasks appear and verify, a
//! waiting thread costs more memory than a waiting tokio task, and a refusal by the
//! OS (a pids cgroup) is recorded, cleaned up and exits 0.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{BIN, concbench, json_report, stderr, stdout};
use serde_json::Value;

/// The rows of `report` for `strategy`, by count.
fn rows<'a>(report: &'a Value, strategy: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["workload"] == "tasks" && r["strategy"] == strategy)
        .collect()
}

#[test]
fn every_model_that_holds_tasks_gets_a_verified_row_per_count() {
    let report = json_report(&[
        "tasks",
        "--tasks",
        "20,60",
        "--wait",
        "20ms",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    for strategy in ["threads", "async", "spawn"] {
        let rows = rows(&report, strategy);
        let counts: Vec<u64> = rows
            .iter()
            .map(|r| r["tasks"]["count"].as_u64().unwrap())
            .collect();
        assert_eq!(counts, [20, 60], "{strategy}");
        for row in &rows {
            assert_eq!(row["verified"], true, "{strategy}: {row}");
            assert_eq!(row["workers"], row["tasks"]["count"]);
            assert_eq!(row["tasks"]["started"], row["tasks"]["count"]);
        }
    }
    // A process per task: 1 + N processes; a thread per task: N threads started.
    let spawn = rows(&report, "spawn");
    assert_eq!(spawn[1]["census"]["processes"], 61);
    // And the census proves each task process single-threaded: each counts the
    // threads it started and says so (it was unknown, `null`, for the task processes).
    assert_eq!(
        spawn[1]["census"]["threads_started"],
        serde_json::json!(vec![0; 61]),
        "{}",
        spawn[1]["census"]
    );
    let threads = rows(&report, "threads");
    assert_eq!(
        threads[1]["census"]["threads_started"],
        serde_json::json!([60])
    );
    // The models that queue items on a fixed set of workers are named, not run.
    let not_held = &report["config"]["tasks"]["not_held"];
    assert_eq!(
        not_held,
        &serde_json::json!(["sequential", "rayon", "processes"]),
        "{not_held}"
    );
}

#[test]
fn a_waiting_thread_costs_more_memory_than_a_waiting_tokio_task() {
    let report = json_report(&[
        "tasks",
        "--strategy",
        "threads,async",
        "--tasks",
        "100,1000",
        "--wait",
        "10ms",
        "--runs",
        "3",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    let per_task = |strategy: &str| {
        rows(&report, strategy)[0]["tasks"]["memory_per_task_bytes"]
            .as_f64()
            .unwrap_or_else(|| panic!("{strategy} has a memory per task"))
    };
    let (threads, tokio) = (per_task("threads"), per_task("async"));
    assert!(threads > tokio, "threads {threads} B, async {tokio} B");
    // A thread touches at least a page of its stack and its thread-local storage.
    assert!(threads > 4096.0, "threads {threads} B");
}

#[test]
fn the_table_says_what_a_waiting_task_costs_and_what_was_not_run() {
    let output = concbench(&[
        "tasks",
        "--strategy",
        "all",
        "--tasks",
        "10,30",
        "--wait",
        "10ms",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--no-save",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(out.contains("A waiting task costs (the slope"), "{out}");
    assert!(
        out.contains("Not run: sequential, rayon, processes hold no N tasks at once"),
        "{out}"
    );
}

/// A pids cgroup for one test: created under the v1 `pids` hierarchy or the v2
/// unified one, with `pids.max`; removed when dropped (it must be empty by then).
struct PidsCgroup(PathBuf);

impl PidsCgroup {
    /// `None` when this process may not create one (not root, no pids controller).
    fn new(max: usize) -> Option<PidsCgroup> {
        let v1 = Path::new("/sys/fs/cgroup/pids");
        let v2 = Path::new("/sys/fs/cgroup");
        let root = if v1.join("pids.max").exists() || v1.join("cgroup.procs").exists() {
            v1
        } else if std::fs::read_to_string(v2.join("cgroup.subtree_control"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "pids"))
        {
            v2
        } else {
            return None;
        };
        let dir = root.join(format!("concbench-test-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let cgroup = PidsCgroup(dir);
        std::fs::write(cgroup.0.join("pids.max"), max.to_string()).ok()?;
        Some(cgroup)
    }

    fn processes(&self) -> String {
        std::fs::read_to_string(self.0.join("cgroup.procs")).unwrap_or_default()
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_pids_limit_is_a_recorded_refusal_with_nothing_left_running() {
    let Some(cgroup) = PidsCgroup::new(40) else {
        eprintln!("skipped: cannot create a pids cgroup here (CI runs as root, and does)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The shell puts itself in the cgroup, then becomes concbench: every process
    // and thread of the run counts against its 40.
    let script = format!(
        "echo $$ > {} && exec {BIN} tasks --strategy threads --tasks 200 --wait 20ms \
         --runs 1 --warmup 0 --format json --no-save",
        cgroup.0.join("cgroup.procs").display()
    );
    let output = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "a refusal is a result: {err}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let row = rows(&report, "threads")[0];
    let refused = &row["tasks"]["refused"];
    let at = refused["at"].as_u64().expect("a refusal");
    assert!(0 < at && at < 200, "{row}");
    assert_eq!(row["tasks"]["started"], at);
    assert_eq!(row["verified"], false);
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("Resource temporarily unavailable"),
        "{refused}"
    );
    // Everything the run started was released and reaped.
    assert_eq!(cgroup.processes().trim(), "", "left in the cgroup");
}

#[test]
fn python_rows_appear_for_the_models_that_hold_tasks() {
    let report = json_report(&[
        "tasks",
        "--python",
        "--strategy",
        "async",
        "--tasks",
        "20,60",
        "--wait",
        "10ms",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    for strategy in ["py-threads", "py-asyncio"] {
        let rows = rows(&report, strategy);
        assert_eq!(rows.len(), 2, "{strategy}");
        for row in rows {
            assert_eq!(row["verified"], true, "{strategy}: {row}");
        }
    }
    let not_held = &report["config"]["tasks"]["not_held"];
    assert_eq!(
        not_held,
        &serde_json::json!(["py-sequential", "py-processes"])
    );
}
