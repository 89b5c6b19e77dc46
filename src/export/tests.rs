//! Every format on one fixed, hand-built report, compared in full (csv, markdown) or
//! parsed back (the JSON formats); and the atomic writes and the manager on a temp dir.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{Destination, ExportFormat, ExportManager, write_atomic, write_new};
use crate::machine::Machine;
use crate::report::{
    CpuSettings, IoFigures, IoSettings, Latency, Report, ReportConfig, ResultRow, SCHEMA_VERSION,
};
use crate::stats::Summary;
use crate::strategy::Strategy;
use crate::workload::Workload;

/// Samples are powers of two apart, so every median, mean and σ is exact in binary
/// and the full-precision outputs are short.
fn row(workload: Workload, strategy: Strategy, workers: usize, wall: &[f64]) -> ResultRow {
    let summary = |samples: &[f64]| Summary::of(samples).unwrap();
    let wall_s = summary(wall);
    ResultRow {
        workload,
        strategy,
        workers,
        runs: wall.len(),
        setup_s: summary(&[0.001, 0.002, 0.003]),
        cpu_s: summary(&wall.iter().map(|w| w * workers as f64).collect::<Vec<_>>()),
        process_cpu_s: None,
        memory_bytes: 10 << 20,
        memory_pss_bytes: None,
        largest_process_bytes: 10 << 20,
        census: Default::default(),
        speedup: None,
        median_ci_s: [wall_s.min, wall_s.max],
        median_ci_confidence: 0.95,
        efficiency: None,
        speedup_ci95: None,
        outliers: Vec::new(),
        cv: wall_s.stddev / wall_s.mean,
        wall_s,
        verified: true,
        verify_note: None,
        checksum: "12345678901234567890".to_string(),
        kernel: None,
        tasks: None,
        io: None,
        python: None,
    }
}

fn report() -> Report {
    let sequential = ResultRow {
        speedup: Some(1.0),
        efficiency: Some(1.0),
        ..row(
            Workload::Cpu,
            Strategy::Sequential,
            1,
            &[0.25, 0.125, 0.375],
        )
    };
    let threads = ResultRow {
        speedup: Some(2.0),
        efficiency: Some(1.0),
        speedup_ci95: Some([1.5, 2.5]),
        ..row(
            Workload::Cpu,
            Strategy::Threads,
            2,
            &[0.125, 0.0625, 0.1875],
        )
    };
    let io = ResultRow {
        verified: false,
        verify_note: None,
        checksum: "102400".to_string(),
        kernel: None,
        tasks: None,
        io: Some(IoFigures {
            requests: 100,
            bytes: 102_400,
            requests_per_s: 3200.0,
            latency_s: Latency {
                p50: 0.01,
                p90: 0.02,
                p99: 0.03,
                max: 0.04,
            },
            failures: BTreeMap::from([("timeout".to_string(), 1)]),
            failed: 1,
            max_in_flight: 1,
        }),
        ..row(
            Workload::Io,
            Strategy::Async,
            64,
            &[0.03125, 0.046875, 0.015625],
        )
    };
    Report {
        warnings: Vec::new(),
        schema_version: SCHEMA_VERSION,
        created_at: "2026-01-02T03:04:05Z".to_string(),
        machine: Machine::fixture(),
        config: ReportConfig {
            warmup: 1,
            strategies: vec![Strategy::Sequential, Strategy::Threads, Strategy::Async],
            cpu: Some(CpuSettings {
                runs: 3,
                kernel: "primes".to_string(),
                numbers: vec![1_000_003, 1_000_033],
                workers: vec![2],
            }),
            tasks: None,
            io: Some(IoSettings {
                runs: 3,
                target: "builtin".to_string(),
                requests: 100,
                latency_s: Some(0.01),
                body_bytes: Some(1024),
                sites_file: None,
                workers: vec![64],
                concurrency: 64,
                timeout_s: 10.0,
                max_body_bytes: 1 << 20,
            }),
            python: None,
        },
        results: vec![sequential, threads, io],
    }
}

fn export(format: ExportFormat, report: &Report) -> String {
    String::from_utf8(format.exporter().serialize(report).unwrap()).unwrap()
}

fn export_json(format: ExportFormat, report: &Report) -> Value {
    let text = export(format, report);
    assert!(text.ends_with("}\n") || text.ends_with("]\n"), "{text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn json_is_the_report_pretty_printed() {
    let report = report();
    let text = export(ExportFormat::Json, &report);
    assert!(text.starts_with("{\n  \"schema_version\": 2,\n"), "{text}");
    assert!(text.ends_with("}\n"));
    let parsed: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, report);
}

#[test]
fn csv_has_one_row_per_result_with_every_figure() {
    let text = export(ExportFormat::Csv, &report());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 36);
    for line in &lines[1..] {
        assert_eq!(line.split(',').count(), header.len(), "{line}");
    }
    let cell = |line: usize, name: &str| {
        let column = header.iter().position(|h| *h == name).unwrap();
        lines[line].split(',').nth(column).unwrap().to_string()
    };
    assert_eq!(cell(1, "median_s"), "0.25");
    assert_eq!(cell(1, "requests_per_s"), "", "not applicable to cpu");
    assert_eq!(cell(3, "efficiency"), "", "not applicable to io");
    assert_eq!(cell(3, "requests_per_s"), "3200");
    assert_eq!(cell(3, "failed"), "1");
    assert_eq!(
        (cell(2, "speedup_ci_low"), cell(2, "speedup_ci_high")),
        ("1.5".to_string(), "2.5".to_string())
    );
    assert_eq!(cell(1, "speedup_ci_low"), "", "none for sequential");
}

#[test]
fn csv_numbers_carry_no_float_noise() {
    let mut report = report();
    report.results.truncate(1);
    report.results[0].wall_s.median = 0.045253999999999996;
    let text = export(ExportFormat::Csv, &report);
    assert!(
        text.lines().nth(1).unwrap().contains(",0.045254,"),
        "{text}"
    );
}

#[test]
fn csv_quotes_cells_per_rfc_4180() {
    let mut report = report();
    report.results.truncate(1);
    report.results[0].verify_note = Some("a,\"b\"\nc".to_string());
    let text = export(ExportFormat::Csv, &report);
    let line = text.lines().nth(1).unwrap();
    assert!(line.ends_with(",\"a,\"\"b\"\""), "{text}");
    assert!(text.ends_with("\nc\"\n"), "{text}");

    assert_eq!(super::csv::quote("plain"), "plain");
    assert_eq!(super::csv::quote("x\ry"), "\"x\ry\"");
    assert_eq!(super::csv::quote(""), "");
}

#[test]
fn markdown_carries_the_wide_table_and_the_verdict() {
    let text = export(ExportFormat::Markdown, &report());
    assert!(text.starts_with("**cpu: "), "{text}");
    assert!(text.contains("\n**io: "), "{text}");
    for header in [
        "| model",
        "speedup 95 % CI",
        "efficiency",
        "in flight",
        "req/s",
        "failures",
    ] {
        assert!(text.contains(header), "{header}:\n{text}");
    }
    // The verdict's interval is the report's.
    assert!(
        text.contains("threads ran 2.00× (95 % CI 1.50–2.50×) faster than sequential"),
        "the verdict line:\n{text}"
    );
    assert!(text.contains(" 1.50–2.50× |"), "the wide column:\n{text}");
}

#[test]
fn bmf_latency_in_nanoseconds_and_throughput_for_io() {
    let report = report();
    let bmf = export_json(ExportFormat::Bmf, &report);
    let object = bmf.as_object().unwrap();
    let names: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(names, ["cpu/sequential/1", "cpu/threads/2", "io/async/64"]);

    for row in &report.results {
        let measures = &bmf[super::bmf::benchmark_name(row)];
        let latency = &measures["latency"];
        assert_eq!(latency["value"], row.wall_s.median * 1e9);
        assert_eq!(latency["lower_value"], row.wall_s.min * 1e9);
        assert_eq!(latency["upper_value"], row.wall_s.max * 1e9);
    }
    assert_eq!(bmf["cpu/threads/2"]["latency"]["value"], 125_000_000.0);
    assert_eq!(
        bmf["io/async/64"]["throughput"],
        serde_json::json!({ "value": 3200.0 })
    );
    assert!(bmf["cpu/threads/2"].get("throughput").is_none());
}

#[test]
fn bmf_refuses_two_rows_with_one_name() {
    let mut report = report();
    report.results.push(report.results[0].clone());
    let err = ExportFormat::Bmf.exporter().serialize(&report).unwrap_err();
    assert_eq!(
        err.to_string(),
        "two results share the benchmark name cpu/sequential/1"
    );
}

#[test]
fn github_benchmark_entries() {
    let report = report();
    let entries = export_json(ExportFormat::GithubBenchmark, &report);
    assert_eq!(entries.as_array().unwrap().len(), 3);
    assert_eq!(
        entries[1],
        serde_json::json!({
            "name": "cpu threads (2 workers)",
            "unit": "s",
            "value": 0.125,
            "range": "± 0.0625",
            "extra": "runs: 3; 0.0625 … 0.1875 s",
        })
    );
    assert_eq!(entries[2]["name"], "io async (64 workers)");
    assert_eq!(entries[2]["value"], 0.03125);
}

#[test]
fn significant_digits() {
    use super::github_benchmark::significant;
    assert_eq!(significant(0.001_527_525), "0.001528");
    assert_eq!(significant(1.234_567), "1.235");
    assert_eq!(significant(1234.5678), "1235");
    assert_eq!(significant(0.125), "0.125");
    assert_eq!(significant(2.0), "2");
    assert_eq!(significant(1500.0), "1500");
    assert_eq!(significant(0.0), "0");
}

#[test]
fn format_names_are_distinct() {
    let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["json", "csv", "markdown", "bmf", "github-benchmark"]
    );
}

#[test]
fn destination_parse() {
    assert_eq!(Destination::parse("-"), Destination::Stdout);
    assert_eq!(
        Destination::parse("out/x.json"),
        Destination::File("out/x.json".into())
    );
    assert_eq!(Destination::parse("./-"), Destination::File("./-".into()));
}

/// Every entry of `dir`, by name, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_atomic_writes_and_replaces_without_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results").join("x.json");

    write_atomic(&path, b"first").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first");

    write_atomic(&path, b"second, longer").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second, longer");
    write_atomic(&path, b"3").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"3");

    assert_eq!(entries(dir.path()), ["results"]);
    assert_eq!(entries(&dir.path().join("results")), ["x.json"]);
}

#[test]
fn write_atomic_fails_naming_the_path_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"not a directory").unwrap();

    let path = blocker.join("x.json");
    let err = write_atomic(&path, b"data").unwrap_err();
    let message = format!("{err:#}");
    assert_eq!(
        message,
        format!(
            "writing {}: {} is not a directory",
            path.display(),
            blocker.display()
        )
    );
    assert_eq!(entries(dir.path()), ["file"]);
    assert_eq!(fs::read(&blocker).unwrap(), b"not a directory");

    // The target is a directory: the temp file is made, the rename fails, and the
    // temp file is removed again.
    let target = dir.path().join("target");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside"), b"").unwrap();
    let err = write_atomic(&target, b"data").unwrap_err();
    assert!(format!("{err:#}").starts_with(&format!("writing {}: ", target.display())));
    assert_eq!(entries(dir.path()), ["file", "target"]);
}

#[test]
fn write_new_never_replaces_and_takes_the_next_free_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu-20261123T083248Z.json");

    assert_eq!(write_new(&path, b"first").unwrap(), path);
    let second = write_new(&path, b"second").unwrap();
    let third = write_new(&path, b"third").unwrap();

    assert_eq!(second, dir.path().join("cpu-20261123T083248Z-2.json"));
    assert_eq!(third, dir.path().join("cpu-20261123T083248Z-3.json"));
    assert_eq!(fs::read(&path).unwrap(), b"first");
    assert_eq!(fs::read(&second).unwrap(), b"second");
    assert_eq!(fs::read(&third).unwrap(), b"third");
    assert_eq!(
        entries(dir.path()),
        [
            "cpu-20261123T083248Z-2.json",
            "cpu-20261123T083248Z-3.json",
            "cpu-20261123T083248Z.json"
        ]
    );
}

#[test]
fn manager_writes_to_stdout_and_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out").join("results.csv");
    let report = report();

    let mut manager = ExportManager::new();
    assert!(manager.is_empty());
    assert!(!manager.uses_stdout());
    manager.add(ExportFormat::Csv, Destination::File(path.clone()));
    assert!(!manager.is_empty());
    assert!(!manager.uses_stdout());
    manager.add(ExportFormat::Markdown, Destination::parse("-"));
    assert!(manager.uses_stdout());

    let mut stdout = Vec::new();
    manager.write_all(&report, &mut stdout).unwrap();
    assert_eq!(
        String::from_utf8(stdout).unwrap(),
        export(ExportFormat::Markdown, &report)
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        export(ExportFormat::Csv, &report)
    );
    assert_eq!(entries(&dir.path().join("out")), ["results.csv"]);
}

#[test]
fn manager_reports_a_failed_file_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"").unwrap();
    let path = blocker.join("x.json");

    let mut manager = ExportManager::new();
    manager.add(ExportFormat::Json, Destination::File(path.clone()));
    let err = manager.write_all(&report(), &mut Vec::new()).unwrap_err();
    assert!(format!("{err:#}").contains(&format!("writing {}", path.display())));
}

#[test]
fn a_destination_is_checked_without_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let file = dir.join("file");
    fs::write(&file, b"").unwrap();
    // A new file, in directories that do not exist yet: fine, and none is made.
    super::check_writable(&dir.join("a").join("b").join("x.json")).unwrap();
    super::check_writable(&file).unwrap();
    assert_eq!(entries(dir), ["file"]);

    let refused = |path: &Path| format!("{:#}", super::check_writable(path).unwrap_err());
    let (d, f) = (dir.display(), file.display());
    assert_eq!(
        refused(&file.join("x.csv")),
        format!("writing {f}/x.csv: {f} is not a directory")
    );
    assert_eq!(
        refused(&file.join("deeper").join("x.csv")),
        format!("writing {f}/deeper/x.csv: {f} is not a directory")
    );
    assert_eq!(refused(dir), format!("writing {d}: {d} is a directory"));
    assert_eq!(
        refused(Path::new("..")),
        "writing ..: the path names no file"
    );
}
