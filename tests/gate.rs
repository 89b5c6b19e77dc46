//! The gates of a benchmark run through the real binary: `--baseline`,
//! `--save-baseline` and `--expect`, and what each refuses before anything runs.
//!
//! Every run here is tiny (two numbers, a few runs); no assertion depends on how fast
//! anything ran.

mod common;

use std::path::Path;

use common::{concbench_in, stderr, stdout};

/// The job every test here measures: two models, two workers, two small numbers.
const JOB: &[&str] = &[
    "cpu",
    "--numbers",
    "1000,2000",
    "--strategy",
    "sequential,threads",
    "--workers",
    "2",
    "--warmup",
    "0",
];

/// Runs `JOB` followed by `more` in `dir`.
fn run(dir: &Path, more: &[&str]) -> std::process::Output {
    let args: Vec<&str> = JOB.iter().chain(more).copied().collect();
    concbench_in(dir, &args)
}

/// Saves a baseline `name` of `JOB` with `runs` runs in `dir`.
fn save_baseline(dir: &Path, name: &str, runs: &str) {
    let output = run(dir, &["--runs", runs, "--no-save", "--save-baseline", name]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Nothing was measured: no table, and no report saved under `results/`.
fn assert_nothing_ran(dir: &Path, output: &std::process::Output) {
    assert!(stdout(output).is_empty(), "{}", stdout(output));
    let saved: Vec<_> = std::fs::read_dir(dir.join("results"))
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        saved.iter().all(|name| name == "baselines"),
        "a report was saved: {saved:?}"
    );
}

#[test]
fn a_baseline_that_can_never_fail_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    save_baseline(dir, "three", "3");

    // 3 runs against 3 can never reach p < 0.05: a usage error, and nothing runs.
    let output = run(dir, &["--runs", "3", "--baseline", "three"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cpu")
            && err.contains("3 runs")
            && err.contains("p < 0.05")
            && err.contains("--runs 5 or more"),
        "{err}"
    );
    assert_nothing_ran(dir, &output);

    // 5 runs against the same 3 can (2 / C(8, 3) < 0.05): it runs and compares.
    let output = run(dir, &["--runs", "5", "--no-save", "--baseline", "three"]);
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("compared with"),
        "{}",
        stdout(&output)
    );

    // A stricter --significance needs more runs, and says how many.
    save_baseline(dir, "four", "4");
    let output = run(
        dir,
        &[
            "--runs",
            "4",
            "--baseline",
            "four",
            "--significance",
            "0.01",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("p < 0.01") && err.contains("--runs 6 or more"),
        "{err}"
    );
}

#[test]
fn a_run_that_failed_its_checks_is_saved_but_never_as_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A port nobody listens on: every request is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    std::fs::write(dir.join("sites.txt"), format!("{url}\n")).unwrap();
    let io = [
        "io",
        "--sites",
        "sites.txt",
        "--repeat",
        "2",
        "--strategy",
        "sequential",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--timeout",
        "2s",
        "--save-baseline",
        "main",
    ];
    for allow in [false, true] {
        let mut args = io.to_vec();
        if allow {
            args.push("--allow-failures");
        }
        let output = concbench_in(dir, &args);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(if allow { 0 } else { 1 }),
            "{err}"
        );
        assert!(
            err.contains("not saved as baseline main: the run failed its checks (io sequential had 2 failed requests)"),
            "{err}"
        );
        assert!(!dir.join("results/baselines/main.json").exists(), "{err}");
    }
    // The figures themselves are kept.
    let reports = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("io-"))
        .count();
    assert!(reports >= 1, "no io report saved");
}

#[test]
fn expectations_on_what_will_not_run_are_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let only_threads = [
        "cpu",
        "--numbers",
        "1000,2000",
        "--strategy",
        "threads",
        "--warmup",
        "0",
        "--runs",
        "1",
    ];
    let cases: [(Vec<&str>, &str, &str); 3] = [
        (
            JOB.iter()
                .chain(&["--runs", "1", "--expect", "io.rayon.speedup > 1"])
                .copied()
                .collect(),
            "io.rayon.speedup > 1",
            "this run has no io job (it runs cpu only)",
        ),
        (
            JOB.iter()
                .chain(&["--runs", "1", "--expect", "cpu.rayon.speedup > 1"])
                .copied()
                .collect(),
            "cpu.rayon.speedup > 1",
            "rayon is not among the models run (--strategy sequential,threads)",
        ),
        (
            only_threads
                .iter()
                .chain(&["--expect", "cpu.threads.efficiency > 0.5"])
                .copied()
                .collect(),
            "cpu.threads.efficiency > 0.5",
            "efficiency is measured against sequential, which is not among the models run (--strategy threads)",
        ),
    ];
    for (args, expectation, why) in cases {
        let output = concbench_in(dir, &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("--expect '{expectation}': {why}")),
            "{err}"
        );
        assert_nothing_ran(dir, &output);
    }
    // A median needs no sequential.
    let args: Vec<&str> = only_threads
        .iter()
        .chain(&["--no-save", "--expect", "cpu.threads.median > 0"])
        .copied()
        .collect();
    let output = concbench_in(dir, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_baseline_that_does_not_fit_the_run_is_refused_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    save_baseline(dir, "main", "4");
    let refused = |args: &[&str], why: &str| {
        let output = concbench_in(dir, args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{args:?}: {err}");
        assert_nothing_ran(dir, &output);
    };
    let cpu = |numbers: &'static str, strategy: &'static str| -> Vec<&'static str> {
        vec![
            "cpu",
            "--numbers",
            numbers,
            "--strategy",
            strategy,
            "--workers",
            "2",
            "--warmup",
            "0",
            "--runs",
            "4",
            "--baseline",
            "main",
        ]
    };
    refused(
        &cpu("1000,2000", "rayon,processes"),
        "--baseline main does not fit this run: it shares no (workload, model) with it \
         (baseline: cpu sequential, threads; this run: cpu rayon, processes)",
    );
    refused(
        &cpu("1000,3000", "sequential,threads"),
        "--baseline main does not fit this run: the reports were measured with different \
         cpu settings (numbers differs)",
    );
    refused(
        &[
            "io",
            "--requests",
            "2",
            "--latency",
            "0",
            "--runs",
            "4",
            "--baseline",
            "main",
        ],
        "--baseline main does not fit this run: the reports share no workload \
         (baseline: cpu; current: io)",
    );
    // A baseline row that failed its checks cannot judge anything.
    let path = dir.join("results/baselines/main.json");
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    report["results"][1]["verified"] = false.into();
    std::fs::write(dir.join("broken.json"), report.to_string()).unwrap();
    let mut args = cpu("1000,2000", "sequential,threads");
    args.pop();
    args.push("broken.json");
    refused(
        &args,
        "cpu threads (2 workers) in the baseline is unverified (wrong results)",
    );
}

#[test]
fn a_baseline_of_the_same_settings_fits_for_io_too() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let io = [
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
        "4",
        "--warmup",
        "0",
        "--no-save",
    ];
    let with = |more: &[&'static str]| -> Vec<&str> { io.iter().chain(more).copied().collect() };
    let output = concbench_in(dir, &with(&["--save-baseline", "io"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = concbench_in(dir, &with(&["--baseline", "io"]));
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("compared with"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn where_every_file_went_is_said_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // stderr is a pipe here, not a terminal: the lines must be there all the same.
    let output = run(
        dir,
        &[
            "--runs",
            "1",
            "--save-baseline",
            "main",
            "--export-csv",
            "out.csv",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("saved results/cpu-") && l.ends_with(".json")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l == "saved baseline main (results/baselines/main.json)"),
        "{err}"
    );
    assert!(err.lines().any(|l| l == "exported csv to out.csv"), "{err}");

    let output = run(
        dir,
        &[
            "--runs",
            "1",
            "--output",
            "mine.json",
            "--save-baseline",
            "main",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.lines().any(|l| l == "saved mine.json"), "{err}");
    assert!(
        err.lines()
            .any(|l| l == "replaced baseline main (results/baselines/main.json)"),
        "{err}"
    );
}

#[test]
fn each_expectation_prints_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let output = run(
        dir,
        &[
            "--runs",
            "1",
            "--no-save",
            "--expect",
            "cpu.threads.speedup > 0",
            "--expect",
            "cpu.sequential.median >= 0s",
            "--expect",
            "cpu.threads.speedup < 0",
        ],
    );
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(3), "{err}");
    let line = |start: &str| {
        out.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?}: {out}"))
            .to_string()
    };
    assert!(line("ok  cpu.threads.speedup ").ends_with(" > 0"), "{out}");
    assert!(
        line("ok  cpu.sequential.median ").ends_with(" ≥ 0 s"),
        "{out}"
    );
    assert!(line("FAIL cpu.threads.speedup ").ends_with(" ≥ 0"), "{out}");
    assert!(
        err.contains("cpu.threads.speedup < 0 failed: measured"),
        "{err}"
    );
}

#[test]
fn an_expectation_may_compare_two_figures_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A figure equals itself, whatever the timings.
    let output = run(
        dir,
        &[
            "--runs",
            "1",
            "--no-save",
            "--expect",
            "cpu.threads.median <= cpu.threads.median",
            "--expect",
            "cpu.sequential.speedup >= cpu.sequential.speedup",
        ],
    );
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ok  cpu.threads.median ")
                && l.contains(" ≤ cpu.threads.median ")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l == "ok  cpu.sequential.speedup 1.00 ≥ cpu.sequential.speedup 1.00"),
        "{out}"
    );
    let output = run(
        dir,
        &[
            "--runs",
            "1",
            "--no-save",
            "--expect",
            "cpu.threads.speedup > cpu.threads.speedup",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .lines()
            .any(|l| l.starts_with("FAIL cpu.threads.speedup ") && l.contains(" ≤ ")),
        "{}",
        stdout(&output)
    );
    // Both sides must be the same kind of figure.
    let output = run(
        dir,
        &["--expect", "cpu.threads.speedup > cpu.threads.median"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot compare speedup with median"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn expect_help_lists_the_metric_names() {
    let output = concbench_in(Path::new("."), &["cpu", "--help"]);
    let help = stdout(&output);
    let start = help.find("--expect <EXPR>").expect("--expect in the help");
    let rest = &help[start + 1..];
    let end = rest.find("\n      --").unwrap_or(rest.len());
    let entry = &rest[..end];
    for metric in ["speedup", "efficiency", "median", "rps"] {
        assert!(entry.contains(metric), "{metric} missing: {entry}");
    }
}

#[test]
fn a_baseline_that_cannot_be_read_is_named_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    save_baseline(dir, "main", "4");
    let saved = std::fs::read_to_string(dir.join("results/baselines/main.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let variant = |name: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut copy = report.clone();
        change(&mut copy);
        std::fs::write(dir.join(name), copy.to_string()).unwrap();
    };
    variant("older.json", &|r| r["schema_version"] = 1.into());
    variant("newer.json", &|r| r["schema_version"] = 99.into());
    variant("unversioned.json", &|r| {
        r.as_object_mut().unwrap().remove("schema_version");
    });
    variant("no-results.json", &|r| {
        r.as_object_mut().unwrap().remove("results");
    });
    std::fs::write(dir.join("truncated.json"), &saved[..saved.len() / 2]).unwrap();
    std::fs::write(dir.join("text.json"), "median 1.2 s\n").unwrap();
    std::fs::write(dir.join("empty.json"), "").unwrap();

    let cases: &[(&str, &str)] = &[
        (
            "nightly",
            "error: no file and no saved baseline named 'nightly' \
             (results/baselines/nightly.json does not exist; saved: main)",
        ),
        (
            "gone.json",
            "error: cannot read report gone.json: No such file or directory",
        ),
        (
            "truncated.json",
            "error: truncated.json is not JSON: EOF while parsing",
        ),
        (
            "text.json",
            "error: text.json is not JSON: expected value at line 1 column 1",
        ),
        (
            "empty.json",
            "error: empty.json is not JSON: EOF while parsing a value",
        ),
        (
            "older.json",
            "error: older.json has schema_version 1, from an older concbench; this one \
             reads 2 (measure it again to compare)",
        ),
        (
            "newer.json",
            "error: newer.json has schema_version 99, from a newer concbench; this one reads 2",
        ),
        (
            "unversioned.json",
            "error: unversioned.json has no schema_version: not a concbench report",
        ),
        (
            "no-results.json",
            "error: no-results.json is not a concbench report: missing field `results`",
        ),
    ];
    for (baseline, message) in cases {
        let output = run(dir, &["--runs", "4", "--baseline", baseline]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{baseline}: {err}");
        assert_eq!(err.lines().count(), 1, "{baseline}: {err}");
        assert!(err.starts_with(message), "{baseline}: {err}");
        assert_nothing_ran(dir, &output);
    }
}

/// Writes an executable shell script `name` into `dir` and returns its path.
fn script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The wall times of each row of a saved report: (model, samples).
fn walls(path: &Path) -> Vec<(String, usize)> {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["strategy"].as_str().unwrap().to_string(),
                row["wall_s"]["samples"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn a_baseline_build_is_measured_beside_this_one_and_compared() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // This very binary as the baseline build; a tolerance no noise can pass, so the
    // verdict cannot depend on how the two builds' runs happened to fall.
    let output = run(
        dir,
        &[
            "--runs",
            "6",
            "--output",
            "mine.json",
            "--baseline-build",
            common::BIN,
            "--max-regression",
            "1000%",
        ],
    );
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        out.contains(&format!(
            "compared with the baseline build {}, run beside this one",
            common::BIN
        )),
        "{out}"
    );
    assert!(out.lines().any(|l| l.ends_with(": pass")), "{out}");
    assert!(
        err.lines()
            .any(|l| l == "saved mine-baseline-build.json (the baseline build's runs)"),
        "{err}"
    );
    // Both builds got the same runs of every model, and each report has its own.
    let expected = vec![("sequential".to_string(), 6), ("threads".to_string(), 6)];
    assert_eq!(walls(&dir.join("mine.json")), expected);
    assert_eq!(walls(&dir.join("mine-baseline-build.json")), expected);
    // What the gate compared can be compared again.
    let again = concbench_in(dir, &["compare", "mine-baseline-build.json", "mine.json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

#[test]
fn a_slower_build_than_the_baseline_build_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A baseline build whose every run reports 0.1 µs: this build is far slower.
    let faster = script(
        dir,
        "faster",
        &format!(
            r#"if [ "$1" = measure-run ]; then
  '{}' measure-run | sed 's/^{{"wall_s":[^,]*,"setup_s":[^,]*,/{{"wall_s":1e-7,"setup_s":0.0,/'
else
  exec '{}' "$@"
fi"#,
            common::BIN,
            common::BIN
        ),
    );
    let output = run(
        dir,
        &[
            "--runs",
            "6",
            "--no-save",
            "--baseline-build",
            faster.to_str().unwrap(),
        ],
    );
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(3), "{out}\n{err}");
    assert!(out.lines().any(|l| l.ends_with(": FAIL")), "{out}");
    assert!(
        err.contains("2 regression(s) beyond 5 %: cpu.sequential +"),
        "{err}"
    );
}

#[test]
fn a_baseline_build_that_is_not_concbench_is_named_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    script(dir, "hello", "echo hello");
    script(dir, "silent", "exit 0");
    script(dir, "failing", "echo concbench 9.9.9; exit 2");
    let cases: &[(&str, &str)] = &[
        (
            "./gone",
            "error: --baseline-build ./gone: cannot run it: No such file or directory (os error 2)",
        ),
        (
            "./hello",
            "error: --baseline-build ./hello: not a concbench build ('./hello --version' printed 'hello')",
        ),
        (
            "./silent",
            "error: --baseline-build ./silent: not a concbench build ('./silent --version' printed nothing)",
        ),
        (
            "./failing",
            "error: --baseline-build ./failing: not a concbench build ('./failing --version' failed, exit status: 2: 'concbench 9.9.9')",
        ),
    ];
    for (binary, message) in cases {
        let output = run(dir, &["--runs", "4", "--baseline-build", binary]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{binary}: {err}");
        assert_eq!(err.trim_end(), *message, "{binary}");
        assert_nothing_ran(dir, &output);
    }
}

#[test]
fn a_baseline_build_of_another_run_protocol_is_named_at_its_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // A build from before a change to the run spec: it knows the field by another name.
    let older = script(
        dir,
        "older",
        &format!(
            r#"if [ "$1" = measure-run ]; then
  sed 's/"workload"/"kind"/g' | '{}' measure-run
else
  exec '{}' "$@"
fi"#,
            common::BIN,
            common::BIN
        ),
    );
    let output = run(
        dir,
        &[
            "--runs",
            "4",
            "--no-save",
            "--baseline-build",
            older.to_str().unwrap(),
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: sequential (baseline build) run 1/"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(&format!(
            "({} speaks another version of the run protocol than this build)",
            older.display()
        )),
        "{err}"
    );
}

#[test]
fn a_baseline_build_with_too_few_runs_or_beside_a_baseline_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let output = run(dir, &["--runs", "3", "--baseline-build", common::BIN]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(
            "error: --baseline-build: cpu would have 3 runs a side, and the rank test cannot \
             reach p < 0.05 with so few (its smallest p is 0.100), so the gate could never \
             fail; pass --runs 4 or more"
        ),
        "{err}"
    );
    assert_nothing_ran(dir, &output);

    // Python models are the same under any build: nothing would be compared.
    let output = concbench_in(
        dir,
        &[
            "cpu",
            "--strategy",
            "py-threads",
            "--python",
            "python3",
            "--baseline-build",
            common::BIN,
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(
            "error: --baseline-build: every model selected runs Python, which a concbench \
             build does not change, so there is nothing to compare; add a concbench model \
             to --strategy"
        ),
        "{err}"
    );
    assert_nothing_ran(dir, &output);

    let output = run(
        dir,
        &["--baseline", "main", "--baseline-build", common::BIN],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "the argument '--baseline <FILE|NAME>' cannot be used with '--baseline-build <BINARY>'"
        ),
        "{err}"
    );
}

/// Saves a report of `JOB` with 4 runs as `name` in `dir`, then rewrites every wall
/// time in it to a fraction of a microsecond: a baseline no real run can match, so a
/// gate against it fails whatever the timings.
fn unbeatable_baseline(dir: &Path, name: &str) -> String {
    let output = run(dir, &["--runs", "4", "--output", name]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = dir.join(name);
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let samples = [1.0e-7, 1.1e-7, 1.2e-7, 1.3e-7];
    for row in report["results"].as_array_mut().unwrap() {
        row["wall_s"] = serde_json::json!({
            "median": 1.15e-7, "mean": 1.15e-7, "stddev": 1.0e-8,
            "min": 1.0e-7, "max": 1.3e-7, "samples": samples,
        });
    }
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    name.to_string()
}

#[test]
fn a_closed_stdout_neither_passes_a_failed_gate_nor_loses_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let baseline = unbeatable_baseline(dir, "base.json");
    // Open, the gate fails: the baseline is unbeatable.
    let args: Vec<&str> = JOB
        .iter()
        .chain(&[
            "--runs",
            "4",
            "--output",
            "open.json",
            "--baseline",
            &baseline,
        ])
        .copied()
        .collect();
    let output = concbench_in(dir, &args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    // Closed before anything is printed (`| head -1` gone early): the same verdict,
    // and the report is saved all the same.
    let args: Vec<&str> = JOB
        .iter()
        .chain(&[
            "--runs",
            "4",
            "--output",
            "closed.json",
            "--baseline",
            &baseline,
        ])
        .copied()
        .collect();
    let output = common::concbench_stdout_closed(dir, &args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.lines().any(|l| l == "saved closed.json"), "{err}");
    assert!(err.contains("regression(s) beyond 5 %"), "{err}");
    assert_eq!(walls(&dir.join("closed.json")).len(), 2);

    // So is an expectation that fails.
    let args: Vec<&str> = JOB
        .iter()
        .chain(&[
            "--runs",
            "1",
            "--output",
            "expect.json",
            "--expect",
            "cpu.threads.speedup < 0",
        ])
        .copied()
        .collect();
    let output = common::concbench_stdout_closed(dir, &args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(dir.join("expect.json").exists(), "{err}");
}

#[test]
fn expectations_that_could_only_fail_after_the_run_are_refused_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let cpu = |more: &[&'static str]| -> Vec<&'static str> {
        let job = [
            "cpu",
            "--numbers",
            "1000,2000",
            "--warmup",
            "0",
            "--runs",
            "1",
        ];
        job.iter().chain(more).copied().collect()
    };
    let cases: [(Vec<&str>, &str, &str); 4] = [
        (
            // A sweep: one threads row per worker count.
            cpu(&[
                "--strategy",
                "sequential,threads",
                "--workers",
                "1,2",
                "--expect",
                "cpu.threads.speedup > 0",
            ]),
            "cpu.threads.speedup > 0",
            "threads runs at 2 worker counts (--workers 1,2), a row each, and an expectation names one figure; give --workers one count",
        ),
        (
            // On the right-hand side too.
            cpu(&[
                "--strategy",
                "sequential,threads",
                "--workers",
                "1..=3",
                "--expect",
                "cpu.sequential.median < cpu.threads.median",
            ]),
            "cpu.sequential.median < cpu.threads.median",
            "threads runs at 3 worker counts (--workers 1,2,3), a row each, and an expectation names one figure; give --workers one count",
        ),
        (
            // A Python model's speedup is against py-sequential, not sequential.
            cpu(&[
                "--strategy",
                "sequential,py-threads",
                "--expect",
                "cpu.py-threads.speedup > 0",
            ]),
            "cpu.py-threads.speedup > 0",
            "speedup of py-threads is measured against py-sequential, which is not among the models run (--strategy sequential,py-threads)",
        ),
        (
            // io rows have a speedup but no efficiency.
            vec![
                "io",
                "--requests",
                "2",
                "--latency",
                "0",
                "--warmup",
                "0",
                "--runs",
                "1",
                "--strategy",
                "sequential,threads",
                "--expect",
                "io.threads.efficiency > 0",
            ],
            "io.threads.efficiency > 0",
            "efficiency is a cpu figure; io rows have none",
        ),
    ];
    for (args, expectation, why) in cases {
        let output = concbench_in(dir, &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end(),
            format!("error: --expect '{expectation}': {why}"),
            "{args:?}"
        );
        assert_nothing_ran(dir, &output);
    }
    // A model that runs once, whatever --workers says, is one row in a sweep.
    let output = concbench_in(
        dir,
        &cpu(&[
            "--strategy",
            "sequential,threads",
            "--workers",
            "1,2",
            "--no-save",
            "--expect",
            "cpu.sequential.speedup >= 1",
        ]),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
