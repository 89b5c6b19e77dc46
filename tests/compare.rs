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
    let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let samples: Vec<f64> = BASE.iter().map(|s| s * factor).collect();
    let mut sorted = samples.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    for row in report["results"].as_array_mut().unwrap() {
        row["runs"] = samples.len().into();
        row["wall_s"] = serde_json::json!({
            "median": (sorted[4] + sorted[5]) / 2.0, "mean": mean, "stddev": 0.01 * factor,
            "min": sorted[0], "max": sorted[9], "samples": samples,
        });
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
    let output = run(&["--runs", "3", "--save-baseline", "main"]);
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
    let output = run(&["--runs", "3", "--baseline", "main", "--no-save"]);
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
