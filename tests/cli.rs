//! The command line end to end, through the real binary: results, errors, exit codes.

mod common;

use common::{concbench, json_report, stderr, stdout, sum_of_squares};

const SMALL_CPU: &[&str] = &["cpu", "--count", "5", "--start", "20000", "--workers", "2"];

fn with(base: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn every_model_returns_the_verified_sum() {
    let report = json_report(&with(
        SMALL_CPU,
        &["--runs", "2", "--warmup", "0", "--format", "json"],
    ));
    let expected: u128 = (20_000..20_005).map(sum_of_squares).sum();
    let rows = report["results"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sequential",
            "threads",
            "async",
            "rayon",
            "processes",
            "spawn"
        ]
    );
    for row in rows {
        assert_eq!(row["workload"], "cpu");
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["checksum"], expected.to_string(), "{row}");
        assert_eq!(row["runs"], 2);
        assert_eq!(row["wall_s"]["samples"].as_array().unwrap().len(), 2);
        let workers = if row["strategy"] == "sequential" {
            1
        } else {
            2
        };
        assert_eq!(row["workers"], workers);
    }
}

#[test]
fn json_report_keeps_its_contract() {
    let report = json_report(&with(
        SMALL_CPU,
        &[
            "--strategy",
            "seq,mp",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--format",
            "json",
        ],
    ));
    assert_eq!(report["schema_version"], 2);
    assert!(report["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    assert_eq!(
        report["config"]["cpu"]["numbers"].as_array().unwrap().len(),
        5
    );
    let row = &report["results"][1];
    assert_eq!(row["strategy"], "processes");
    for key in [
        "workload",
        "strategy",
        "workers",
        "runs",
        "wall_s",
        "speedup",
        "efficiency",
    ] {
        assert!(row.get(key).is_some(), "missing {key}");
    }
    for key in [
        "cpu_s",
        "memory_bytes",
        "largest_process_bytes",
        "census",
        "verified",
        "checksum",
        "setup_s",
    ] {
        assert!(row.get(key).is_some(), "missing {key}");
    }
    for key in ["median", "mean", "stddev", "min", "max", "samples"] {
        assert!(
            row["wall_s"][key].is_number() || row["wall_s"][key].is_array(),
            "wall_s.{key}"
        );
    }
    assert!(row["checksum"].is_string());
    assert!(
        row["memory_bytes"].as_u64().unwrap() > row["largest_process_bytes"].as_u64().unwrap(),
        "a pool's memory is the sum over its processes"
    );
}

#[test]
fn fib_kernel_is_verified_too() {
    let report = json_report(&[
        "cpu",
        "--kernel",
        "fib",
        "--numbers",
        "20,21,22",
        "--strategy",
        "threads,processes",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
    ]);
    // fib(20) + fib(21) + fib(22) = 6765 + 10946 + 17711
    for row in report["results"].as_array().unwrap() {
        assert_eq!(row["checksum"], "35422");
        assert_eq!(row["verified"], true);
    }
}

#[test]
fn table_lists_every_model_verified() {
    let output = concbench(&with(SMALL_CPU, &["--runs", "1", "--warmup", "0"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    for model in ["sequential", "threads", "async", "rayon", "processes"] {
        let line = table
            .lines()
            .find(|l| l.contains(model))
            .unwrap_or_else(|| panic!("{model}: {table}"));
        assert!(line.trim_end_matches(['│', ' ']).ends_with("yes"), "{line}");
    }
    // Off a terminal there is no progress bar: stderr holds at most noise warnings
    // and where the report was saved.
    let err = stderr(&output);
    assert!(
        err.lines()
            .all(|l| l.starts_with("warning: ") || l.starts_with("saved results/")),
        "{err}"
    );
}

/// Values that pass clap but not our own checks. What clap refuses is printed whole,
/// with its usage line: see tests/usage.rs.
#[test]
fn bad_values_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["cpu", "--strategy", "bogus"],
        &["cpu", "--start", "10069012961345", "--count", "2"],
        &["cpu", "--kernel", "fib", "--numbers", "90"],
    ];
    for args in cases {
        let output = concbench(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let err = stderr(&concbench(&["cpu", "--strategy", "threads,bogus"]));
    assert!(err.contains("unknown strategy 'bogus'"), "{err}");
    let err = stderr(&concbench(&[
        "cpu",
        "--start",
        "10069012961345",
        "--count",
        "2",
    ]));
    assert!(err.contains("overflows u128"), "{err}");
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "--version"] {
        let output = concbench(&[flag]);
        assert_eq!(output.status.code(), Some(0));
        assert!(stdout(&output).contains("concbench"));
    }
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut child = std::process::Command::new(common::BIN)
        .args(with(
            SMALL_CPU,
            &[
                "--strategy",
                "sequential",
                "--runs",
                "1",
                "--warmup",
                "0",
                "--no-save",
            ],
        ))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before the table is written
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The printing ends, quietly; stderr still says what it would (these figures'
    // warnings), and no error.
    let err = stderr(&output);
    assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");
}

/// `--workers 1,2,3`: every model but sequential at every count, one row each,
/// grouped by model, speedups against the one sequential row.
#[test]
fn a_worker_sweep_gives_one_row_per_model_and_count() {
    let report = json_report(&[
        "cpu",
        "--strategy",
        "threads,seq,processes",
        "--workers",
        "1..=3",
        "--numbers",
        "20000,20001,20002,20003",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    assert_eq!(
        report["config"]["cpu"]["workers"],
        serde_json::json!([1, 2, 3])
    );
    let rows: Vec<(String, u64)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["verified"], true, "{r}");
            assert_eq!(r["runs"], 2, "{r}");
            (
                r["strategy"].as_str().unwrap().to_string(),
                r["workers"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, u64)> = [
        ("threads", 1),
        ("threads", 2),
        ("threads", 3),
        ("sequential", 1),
        ("processes", 1),
        ("processes", 2),
        ("processes", 3),
    ]
    .iter()
    .map(|(s, w)| (s.to_string(), *w))
    .collect();
    assert_eq!(rows, expected);
    let sequential = &report["results"][3];
    assert_eq!(sequential["speedup"], 1.0);
    let seq_median = sequential["wall_s"]["median"].as_f64().unwrap();
    for row in report["results"].as_array().unwrap() {
        let median = row["wall_s"]["median"].as_f64().unwrap();
        let speedup = row["speedup"].as_f64().unwrap();
        assert!((speedup - seq_median / median).abs() < 1e-9, "{row}");
    }
}

/// The progress bar is for a person at a terminal: never in a pipe or a CI log.
#[test]
fn progress_never_appears_when_stderr_is_not_a_terminal() {
    let output = common::concbench(&[
        "cpu",
        "--numbers",
        "20000,20001",
        "--runs",
        "3",
        "--warmup",
        "1",
        "--no-save",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let err = common::stderr(&output);
    for mark in ["\r", "\u{1b}[", "elapsed", "left", "run 1/3"] {
        assert!(!err.contains(mark), "{mark:?} in {err:?}");
    }
}
