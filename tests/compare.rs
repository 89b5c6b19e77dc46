//! `concbench compare` through the real binary, on fixed reports: the gate's exit
//! codes are its contract with CI.

mod common;

use std::path::Path;

use common::{concbench_in, stderr, stdout};

/// Fixed per-run wall times with ~1.5 % noise around 1 s.
const BASE: [f64; 10] = [
    1.000, 1.012, 0.991, 1.018, 0.985, 1.004, 1.009, 0.996, 1.001, 1.015,
];

/// A real report from this binary, with every row's wall times replaced by
/// `BASE × factor`, so its shape is real and its figures fixed.
fn report(dir: &Path, factor: f64) -> serde_json::Value {
    let samples: Vec<f64> = BASE.iter().map(|s| s * factor).collect();
    with_samples(&real_report(dir), &samples)
}

/// A tiny real cpu report (sequential and threads).
fn real_report(dir: &Path) -> serde_json::Value {
    let output = concbench_in(
        dir,
        &[
            "cpu",
            "--strategy",
            "sequential,threads",
            "--count",
            "3",
            "--start",
            "1000",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--format",
            "json",
            "--no-save",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `report` with every row's wall times replaced by `samples`.
fn with_samples(report: &serde_json::Value, samples: &[f64]) -> serde_json::Value {
    let mut report = report.clone();
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0;
    let mean = samples.iter().sum::<f64>() / n as f64;
    for row in report["results"].as_array_mut().unwrap() {
        row["runs"] = n.into();
        row["wall_s"] = serde_json::json!({
            "median": median, "mean": mean, "stddev": 0.01 * mean,
            "min": sorted[0], "max": sorted[n - 1], "samples": samples,
        });
    }
    for workload in ["cpu", "io"] {
        if report["config"][workload].is_object() {
            report["config"][workload]["runs"] = n.into();
        }
    }
    report
}

fn write(dir: &Path, name: &str, report: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(report).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn compare_exit_codes_on_fixed_reports() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let base = write(dir, "base.json", &report(dir, 1.0));

    let same = write(dir, "same.json", &report(dir, 1.0));
    let output = concbench_in(dir, &["compare", &base, &same]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "identical: {}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("unchanged"), "{}", stdout(&output));

    let slower = write(dir, "slower.json", &report(dir, 1.3));
    let output = concbench_in(dir, &["compare", &base, &slower]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "30 % slower: {}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("SLOWER"), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("regression") && err.contains("+30.0 %"),
        "{err}"
    );

    let nudged = write(dir, "nudged.json", &report(dir, 1.02));
    let output = concbench_in(dir, &["compare", &base, &nudged]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "2 % is no regression: {}",
        stdout(&output)
    );

    let faster = write(dir, "faster.json", &report(dir, 0.7));
    let output = concbench_in(dir, &["compare", &base, &faster]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("faster"), "{}", stdout(&output));
}

#[test]
fn compare_refuses_different_settings_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let base = write(dir, "base.json", &report(dir, 1.0));
    let mut other = report(dir, 1.0);
    other["config"]["cpu"]["numbers"] = serde_json::json!([1000, 1001, 1003]);
    let other = write(dir, "other.json", &other);
    let output = concbench_in(dir, &["compare", &base, &other]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("different cpu settings"),
        "{}",
        stderr(&output)
    );

    let output = concbench_in(dir, &["compare", &base, "missing.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("missing.json"),
        "{}",
        stderr(&output)
    );

    let output = concbench_in(dir, &["compare", &base, &base, "--max-regression", "lots"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn baselines_and_expectations_gate_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let job = [
        "cpu",
        "--strategy",
        "sequential,threads",
        "--count",
        "3",
        "--start",
        "1000",
    ];
    let run = |more: &[&str]| {
        let args: Vec<&str> = job.iter().chain(more).copied().collect();
        concbench_in(dir, &args)
    };
    let output = run(&["--runs", "4", "--save-baseline", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(dir.join("results/baselines/main.json").is_file());
    let saved: Vec<_> = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(
        saved.len(),
        2,
        "one dated report and the baselines directory"
    );

    // A comparison with itself-like settings runs and prints its table.
    let output = run(&["--runs", "4", "--baseline", "main", "--no-save"]);
    assert!(
        matches!(output.status.code(), Some(0) | Some(3)),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("compared with"),
        "{}",
        stdout(&output)
    );

    // An expectation that cannot hold exits 3 with the measured figure.
    let output = run(&[
        "--runs",
        "1",
        "--no-save",
        "--expect",
        "cpu.threads.speedup >= 1000",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cpu.threads.speedup >= 1000 failed: measured"),
        "{}",
        stderr(&output)
    );
    let output = run(&[
        "--runs",
        "1",
        "--no-save",
        "--expect",
        "cpu.threads.speedup > 0",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = run(&["--no-save", "--expect", "cpu.threads.speed > 1"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = run(&["--no-save", "--baseline", "nosuch"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn too_few_runs_to_ever_fail_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let real = real_report(dir);
    let three = |factor: f64| -> Vec<f64> { BASE[..3].iter().map(|s| s * factor).collect() };
    let base = write(dir, "base.json", &with_samples(&real, &three(1.0)));
    // 43 % slower, but 3 runs a side can never reach p < 0.05.
    let slower = write(dir, "slower.json", &with_samples(&real, &three(1.43)));
    let output = concbench_in(dir, &["compare", &base, &slower]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{}{err}", stdout(&output));
    assert!(
        err.contains("cpu sequential (1 worker) and cpu threads (2 workers) have")
            && err.contains("3 runs in the baseline and 3 in the current report")
            && err.contains("5 or more")
            && err.contains("4 or more on both sides"),
        "{err}"
    );
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));

    // 5 current runs against the 3 of the baseline can: 2 / C(8, 3) < 0.05.
    let five: Vec<f64> = BASE[..5].iter().map(|s| s * 1.43).collect();
    let five = write(dir, "five.json", &with_samples(&real, &five));
    let output = concbench_in(dir, &["compare", &base, &five]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stdout(&output).contains("SLOWER"), "{}", stdout(&output));
}

#[test]
fn every_comparison_ends_with_a_one_line_summary() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let real = real_report(dir);
    let times = |factor: f64| -> Vec<f64> { BASE.iter().map(|s| s * factor).collect() };
    let base = write(dir, "base.json", &with_samples(&real, &times(1.0)));
    let output = concbench_in(dir, &["compare", &base, &base]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(
        out.lines().last(),
        Some("2 unchanged, 0 inconclusive, 0 slower, 0 faster: pass"),
        "{out}"
    );
    let slower = write(dir, "slower.json", &with_samples(&real, &times(1.3)));
    let output = concbench_in(dir, &["compare", &base, &slower]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(
        out.lines().last(),
        Some("0 unchanged, 0 inconclusive, 2 slower, 0 faster: FAIL"),
        "{out}"
    );
}

#[test]
fn fail_on_inconclusive_turns_an_inconclusive_row_into_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let real = real_report(dir);
    let base = write(dir, "base.json", &with_samples(&real, &BASE));
    // Exactly at the 5 % tolerance: neither within it nor shown beyond it.
    let edge: Vec<f64> = BASE.iter().map(|s| s * 1.05).collect();
    let edge = write(dir, "edge.json", &with_samples(&real, &edge));
    let output = concbench_in(dir, &["compare", &base, &edge]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("0 unchanged, 2 inconclusive, 0 slower, 0 faster: pass"),
        "{}",
        stdout(&output)
    );
    let output = concbench_in(dir, &["compare", &base, &edge, "--fail-on-inconclusive"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        stdout(&output).contains("0 unchanged, 2 inconclusive, 0 slower, 0 faster: FAIL"),
        "{}",
        stdout(&output)
    );
    assert!(
        err.contains("2 inconclusive row(s) with --fail-on-inconclusive"),
        "{err}"
    );
}

#[test]
fn rows_that_failed_their_checks_are_never_compared() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let real = real_report(dir);
    let good = write(dir, "good.json", &with_samples(&real, &BASE));
    let mut wrong = with_samples(&real, &BASE);
    wrong["results"][1]["verified"] = false.into();
    let wrong = write(dir, "wrong.json", &wrong);
    for (base, current, side) in [
        (&good, &wrong, "current report"),
        (&wrong, &good, "baseline"),
    ] {
        let output = concbench_in(dir, &["compare", base, current]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{}{err}", stdout(&output));
        assert!(
            err.contains(&format!(
                "cpu threads (2 workers) in the {side} is unverified (wrong results)"
            )),
            "{err}"
        );
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    }

    // Every request failed: the run was fast, and worthless.
    let output = concbench_in(
        dir,
        &[
            "io",
            "--requests",
            "2",
            "--latency",
            "0",
            "--body-bytes",
            "16",
            "--strategy",
            "sequential,async",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--format",
            "json",
            "--no-save",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let io: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let base = write(dir, "io-base.json", &with_samples(&io, &BASE));
    let fast: Vec<f64> = BASE.iter().map(|s| s * 0.004).collect();
    let mut failed = with_samples(&io, &fast);
    let row = &mut failed["results"][1];
    row["verified"] = false.into();
    row["io"]["failed"] = 2.into();
    row["io"]["failures"] = serde_json::json!({ "connect": 2 });
    let failed = write(dir, "io-failed.json", &failed);
    let output = concbench_in(dir, &["compare", &base, &failed]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{}{err}", stdout(&output));
    assert!(
        err.contains("io async (5 workers) in the current report had 2 failed requests"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_does_not_pass_a_failed_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let base = write(dir, "base.json", &report(dir, 1.0));
    let slower = write(dir, "slower.json", &report(dir, 1.3));
    let output = common::concbench_stdout_closed(dir, &["compare", &base, &slower]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("+30.0 %"), "{err}");
}
