//! The census: every model runs exactly the processes and threads its name says, on
//! both jobs: the most alive at once, counted by each process from `/proc`, and every
//! thread started, counted as it starts (see src/census.rs). And memory is the whole
//! model's: the sum over its processes.

mod common;

use common::json_report;
use serde_json::Value;

const WORKERS: usize = 3;
/// Numbers (cpu) and requests (io) per run.
const TASKS: usize = 6;

fn census_by_model(report: &Value) -> Vec<(String, Vec<u64>)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let census = &row["census"];
            let threads: Vec<u64> = census["threads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_u64().unwrap())
                .collect();
            assert_eq!(census["processes"], threads.len(), "{row}");
            (row["strategy"].as_str().unwrap().to_string(), threads)
        })
        .collect()
}

/// Threads per process, the run process first, for `WORKERS` workers.
fn expected() -> Vec<(String, Vec<u64>)> {
    let n = WORKERS as u64;
    vec![
        // One thread doing the work, nothing hidden (reqwest::blocking hid a runtime
        // thread here).
        ("sequential".into(), vec![1]),
        // N workers plus the main thread.
        ("threads".into(), vec![n + 1]),
        // The runtime's N workers plus the main thread driving block_on.
        ("async".into(), vec![n + 1]),
        // N pool threads plus the main thread.
        ("rayon".into(), vec![n + 1]),
        // The run process (one thread, polling the pipes) and N single-threaded workers.
        ("processes".into(), vec![1; WORKERS + 1]),
        // The run process and one single-threaded process per task.
        ("spawn".into(), vec![1; TASKS + 1]),
    ]
}

/// Threads each process started beside its main thread, the run process first.
fn started_by_model(report: &Value) -> Vec<(String, Vec<u64>)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let started = row["census"]["threads_started"]
                .as_array()
                .unwrap_or_else(|| panic!("no threads_started in {row}"))
                .iter()
                .map(|t| t.as_u64().unwrap())
                .collect();
            (row["strategy"].as_str().unwrap().to_string(), started)
        })
        .collect()
}

/// Threads started per process, for `WORKERS` workers: however briefly a thread
/// lived, it is counted.
fn expected_started() -> Vec<(String, Vec<u64>)> {
    let n = WORKERS as u64;
    vec![
        // None: the blocking client resolves 127.0.0.1 on the calling thread (ureq's
        // own resolver started one thread per request).
        ("sequential".into(), vec![0]),
        ("threads".into(), vec![n]),
        // N probe threads, joined before the runtime is built, and N workers.
        ("async".into(), vec![2 * n]),
        ("rayon".into(), vec![n]),
        ("processes".into(), vec![0; WORKERS + 1]),
        ("spawn".into(), vec![0; TASKS + 1]),
    ]
}

#[test]
fn every_model_runs_the_threads_and_processes_its_name_says_on_cpu() {
    let workers = WORKERS.to_string();
    let report = json_report(&[
        "cpu",
        "--numbers",
        "1000,2000,3000,4000,5000,6000",
        "--workers",
        &workers,
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    assert_eq!(census_by_model(&report), expected());
    assert_eq!(started_by_model(&report), expected_started());
}

#[test]
fn every_model_runs_the_threads_and_processes_its_name_says_on_io() {
    let workers = WORKERS.to_string();
    let report = json_report(&[
        "io",
        "--requests",
        "6",
        "--latency",
        "2ms",
        "--body-bytes",
        "100",
        "--workers",
        &workers,
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    assert_eq!(census_by_model(&report), expected());
    assert_eq!(started_by_model(&report), expected_started());
}

/// The report row of the processes model at `workers` on a small cpu job.
fn processes_row(workers: usize) -> Value {
    let workers = workers.to_string();
    let report = json_report(&[
        "cpu",
        "--strategy",
        "processes",
        "--numbers",
        "1000,2000,3000,4000,5000,6000,7000,8000",
        "--workers",
        &workers,
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    report["results"][0].clone()
}

/// The memory figures of the processes model at `workers`: the sum of each process's
/// own peak, and the sum of their proportional set sizes.
fn processes_memory_both(workers: usize) -> (u64, u64) {
    let row = processes_row(workers);
    (
        row["memory_bytes"].as_u64().unwrap(),
        row["memory_pss_bytes"].as_u64().unwrap(),
    )
}

/// Worker processes of one binary share its pages: summed peaks count them in every
/// worker, the proportional sum once. The lesson "processes cost memory" survives.
#[test]
fn worker_processes_count_their_shared_pages_once() {
    let (_, one) = processes_memory_both(1);
    let (peaks, pss) = processes_memory_both(8);
    assert!(pss * 4 < peaks * 3, "8 workers: PSS {pss}, peaks {peaks}");
    assert!(pss * 2 > one * 3, "8 workers: PSS {pss}, 1 worker: {one}");
}

fn processes_memory(workers: usize) -> u64 {
    let row = processes_row(workers);
    let memory = row["memory_bytes"].as_u64().unwrap();
    assert!(memory >= row["largest_process_bytes"].as_u64().unwrap());
    memory
}

/// The classic lesson: every worker process costs its own memory. The largest single
/// process (what the table used to show) hardly moves with the pool's size.
#[test]
fn eight_worker_processes_cost_at_least_four_times_one() {
    let one = processes_memory(1);
    let eight = processes_memory(8);
    assert!(
        eight >= 4 * one,
        "8 workers: {eight} bytes, 1 worker: {one} bytes"
    );
}

/// The sequential client starts no thread, however many requests it makes; ureq's
/// own resolver started one per request, and the census (threads alive at two
/// instants) did not see them.
#[test]
fn sequential_io_starts_no_thread() {
    let report = json_report(&[
        "io",
        "--strategy",
        "sequential",
        "--requests",
        "50",
        "--latency",
        "0ms",
        "--body-bytes",
        "100",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    assert_eq!(
        started_by_model(&report),
        vec![("sequential".to_string(), vec![0])]
    );
}

/// The CPU column covers the same span as the wall time: a job of microseconds costs
/// microseconds of CPU, not the run process's start-up (which `wait4` counts, and
/// the report keeps apart as `process_cpu_s`).
#[test]
fn cpu_time_covers_the_timed_region_only() {
    let report = json_report(&[
        "cpu",
        "--strategy",
        "sequential,threads",
        "--workers",
        "2",
        "--numbers",
        "1000,2000",
        "--runs",
        "3",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    for row in report["results"].as_array().unwrap() {
        let wall = row["wall_s"]["median"].as_f64().unwrap();
        let cpu = row["cpu_s"]["median"].as_f64().unwrap();
        let process = row["process_cpu_s"]["median"].as_f64().unwrap();
        // Two threads can spend at most twice the wall time, plus the clock reads.
        assert!(cpu <= 2.0 * wall + 200e-6, "cpu {cpu} wall {wall}: {row}");
        assert!(process > cpu, "process {process} cpu {cpu}: {row}");
    }
}
