//! Tests of parsing and checking `--expect`, on a hand-made report.

use std::collections::BTreeMap;

use super::*;
use crate::machine::Machine;
use crate::report::{IoFigures, Latency, ReportConfig, SCHEMA_VERSION};
use crate::stats::Summary;

fn row(workload: Workload, strategy: Strategy, median: f64, speedup: Option<f64>) -> ResultRow {
    let wall = Summary::of(&[median * 0.99, median, median * 1.01]).unwrap();
    let workers = strategy.workers(2);
    ResultRow {
        workload,
        strategy,
        workers,
        runs: 3,
        wall_s: wall.clone(),
        setup_s: Summary::of(&[0.001]).unwrap(),
        cpu_s: wall.clone(),
        process_cpu_s: None,
        memory_bytes: 1 << 20,
        memory_pss_bytes: None,
        largest_process_bytes: 1 << 20,
        census: Default::default(),
        speedup,
        median_ci_s: [median * 0.99, median * 1.01],
        median_ci_confidence: 0.95,
        efficiency: speedup.map(|s| s / workers as f64),
        speedup_ci95: None,
        outliers: Vec::new(),
        cv: 0.01,
        verified: true,
        verify_note: None,
        checksum: "1".to_string(),
        kernel: None,
        tasks: None,
        io: None,
        python: None,
    }
}

/// cpu: sequential 0.2 s, processes 1.52× (efficiency 0.76), threads without a
/// speedup; io: async at 2,000 requests per second.
fn report() -> Report {
    let io = ResultRow {
        kernel: None,
        tasks: None,
        io: Some(IoFigures {
            requests: 100,
            bytes: 102_400,
            requests_per_s: 2000.0,
            latency_s: Latency {
                p50: 0.01,
                p90: 0.02,
                p99: 0.03,
                max: 0.04,
            },
            failures: BTreeMap::new(),
            failed: 0,
            max_in_flight: 1,
        }),
        ..row(Workload::Io, Strategy::Async, 0.05, None)
    };
    Report {
        warnings: Vec::new(),
        schema_version: SCHEMA_VERSION,
        created_at: "2025-01-01T00:00:00Z".to_string(),
        machine: Machine {
            hostname: None,
            cpu_model: None,
            logical_cpus: 2,
            usable_parallelism: 2,
            memory_bytes: None,
            os: "linux".to_string(),
            arch: "x86_64".to_string(),
            kernel: None,
            load_average: None,
            concbench_version: "0.1.0".to_string(),
            git_commit: None,
        },
        config: ReportConfig {
            warmup: 1,
            strategies: vec![
                Strategy::Sequential,
                Strategy::Processes,
                Strategy::Threads,
                Strategy::Async,
            ],
            cpu: None,
            tasks: None,
            io: None,
            python: None,
        },
        results: vec![
            row(Workload::Cpu, Strategy::Sequential, 0.2, Some(1.0)),
            row(Workload::Cpu, Strategy::Processes, 0.2 / 1.52, Some(1.52)),
            row(Workload::Cpu, Strategy::Threads, 0.15, None),
            io,
        ],
    }
}

fn figure(workload: Workload, strategy: Strategy, metric: Metric) -> Figure {
    Figure {
        workload,
        strategy,
        metric,
    }
}

fn expectation(
    workload: Workload,
    strategy: Strategy,
    metric: Metric,
    op: Op,
    value: f64,
    text: &str,
) -> Expectation {
    Expectation {
        figure: figure(workload, strategy, metric),
        op,
        bound: Bound::Value(value),
        text: text.to_string(),
    }
}

/// The number on the right of a parsed expectation.
fn value(text: &str) -> f64 {
    match parse(text).unwrap().bound {
        Bound::Value(value) => value,
        Bound::Figure(other) => panic!("{text}: a figure {other:?}"),
    }
}

#[test]
fn parses_the_documented_form_and_its_variants() {
    assert_eq!(
        parse("cpu.processes.speedup >= 1.7"),
        Ok(expectation(
            Workload::Cpu,
            Strategy::Processes,
            Metric::Speedup,
            Op::Ge,
            1.7,
            "cpu.processes.speedup >= 1.7"
        ))
    );
    assert_eq!(
        parse("  cpu.mp.speedup>=1.7 "),
        Ok(expectation(
            Workload::Cpu,
            Strategy::Processes,
            Metric::Speedup,
            Op::Ge,
            1.7,
            "cpu.mp.speedup>=1.7"
        ))
    );
    let e = parse("CPU.multiprocess.Efficiency > 0.5").unwrap();
    assert_eq!(
        (e.figure.strategy, e.figure.metric, e.op, e.bound),
        (
            Strategy::Processes,
            Metric::Efficiency,
            Op::Gt,
            Bound::Value(0.5)
        )
    );
    assert_eq!(value("cpu.threads.efficiency >= 80%"), 0.8);
    let e = parse("cpu.threads.median_s <= 0.25").unwrap();
    assert_eq!(
        (e.figure.metric, e.op, e.bound),
        (Metric::Median, Op::Le, Bound::Value(0.25))
    );
    assert_eq!(value("cpu.threads.median < 200ms"), 0.2);
    assert_eq!(value("cpu.threads.median < 1.5 s"), 1.5);
    assert!((value("cpu.threads.median < 800us") - 800e-6).abs() < 1e-15);
    let e = parse("io.async.rps>1e3").unwrap();
    assert_eq!(
        (e.figure.workload, e.figure.metric, e.op, e.bound),
        (
            Workload::Io,
            Metric::RequestsPerS,
            Op::Gt,
            Bound::Value(1000.0)
        )
    );
    assert_eq!(
        parse("io.tokio.requests_per_s >= 500")
            .unwrap()
            .figure
            .strategy,
        Strategy::Async
    );
}

#[test]
fn parses_a_figure_on_the_right() {
    let e = parse("cpu.rayon.speedup > cpu.mp.speedup").unwrap();
    assert_eq!(
        e,
        Expectation {
            figure: figure(Workload::Cpu, Strategy::Rayon, Metric::Speedup),
            op: Op::Gt,
            bound: Bound::Figure(figure(Workload::Cpu, Strategy::Processes, Metric::Speedup)),
            text: "cpu.rayon.speedup > cpu.mp.speedup".to_string(),
        }
    );
    let e = parse("io.async.rps>=io.threads.requests_per_s").unwrap();
    assert_eq!(
        e.bound,
        Bound::Figure(figure(
            Workload::Io,
            Strategy::Threads,
            Metric::RequestsPerS
        ))
    );
    assert_eq!(
        parse("cpu.rayon.speedup > cpu.mp.median"),
        Err("cannot compare speedup with median: both sides must be the same metric".to_string())
    );
    assert!(
        parse("cpu.rayon.speedup > cpu.fibers.speedup")
            .unwrap_err()
            .contains("unknown strategy 'fibers'")
    );
}

#[test]
fn parse_errors_are_one_line_and_say_what_is_wrong() {
    let error = |text: &str| {
        let message = parse(text).unwrap_err();
        assert!(!message.contains('\n'), "{message}");
        message
    };
    assert!(error("cpu.processes.speedup 1.7").contains("no comparison"));
    assert!(error("cpu.processes.speedup == 1.7").contains("unknown comparison '=='"));
    assert!(error("cpu.processes.speedup => 1.7").contains("unknown comparison"));
    assert!(error("cpu.processes.speedup >== 1.7").contains("unknown comparison"));
    assert!(error("cpu.speedup >= 1.7").contains("is not WORKLOAD.STRATEGY.METRIC"));
    assert!(error("cpu.a.b.speedup >= 1.7").contains("is not WORKLOAD.STRATEGY.METRIC"));
    assert!(error("gpu.processes.speedup >= 1.7").contains("unknown workload 'gpu'"));
    assert!(error("cpu.fibers.speedup >= 1.7").contains("unknown strategy 'fibers'"));
    assert!(
        error("cpu.processes.throughput >= 1.7").contains(
            "unknown metric 'throughput' (expected speedup, efficiency, median (median_s), rps (requests_per_s))"
        )
    );
    assert!(error("cpu.processes.rps >= 100").contains("io figure"));
    assert_eq!(
        error("io.threads.efficiency >= 0.5"),
        "efficiency is a cpu figure; io rows have none"
    );
    assert!(error("cpu.processes.speedup >= ").contains("no number"));
    assert!(error("cpu.processes.speedup >= fast").contains("'fast' is not a number"));
    assert!(error("cpu.processes.speedup >= 1.7x").contains("unit 'x'"));
    assert!(error("cpu.processes.speedup >= 170%").contains("does not fit speedup"));
    assert!(error("cpu.processes.speedup >= inf").contains("not a finite number"));
    assert!(error("cpu.processes.speedup >= 1.2.3").contains("not a number"));
}

/// Found by tests/properties.rs: a newline in the text made the message two lines.
#[test]
fn typed_control_characters_are_escaped_in_errors() {
    assert_eq!(
        parse("cpu.s\nquential.speedup >= 1").unwrap_err(),
        "unknown strategy 's\\nquential' (expected sequential, threads, async, rayon, processes, spawn)"
    );
    let error = parse("processes\nprocesses >=").unwrap_err();
    assert!(
        error.starts_with("'processes\\nprocesses' is not"),
        "{error}"
    );
    assert_eq!(
        parse("cpu.rayon.median >= 1\r\x1b[2J").unwrap_err(),
        "'1\\r\\u{1b}[2J' is not a number"
    );
}

#[test]
fn check_passes_and_fails_with_one_line_each() {
    let report = report();
    let check = |text: &str| super::check(&parse(text).unwrap(), &report).unwrap();
    let passed = |text: &str, line: &str| {
        let checked = check(text);
        assert!(checked.passed, "{text}: {checked:?}");
        assert_eq!(checked.line, line);
    };
    let failed = |text: &str, line: &str, failure: &str| {
        let checked = check(text);
        assert!(!checked.passed, "{text}: {checked:?}");
        assert_eq!(
            (checked.line.as_str(), checked.failure.as_str()),
            (line, failure)
        );
    };
    passed(
        "cpu.processes.speedup >= 1.5",
        "ok  cpu.processes.speedup 1.52 ≥ 1.5",
    );
    failed(
        "cpu.processes.speedup >= 1.7",
        "FAIL cpu.processes.speedup 1.52 < 1.7",
        "cpu.processes.speedup >= 1.7 failed: measured 1.52",
    );
    failed(
        "cpu.mp.speedup > 1.52",
        "FAIL cpu.processes.speedup 1.52 ≤ 1.52",
        "cpu.mp.speedup > 1.52 failed: measured 1.52",
    );
    passed(
        "cpu.processes.efficiency >= 75%",
        "ok  cpu.processes.efficiency 0.76 ≥ 0.75",
    );
    failed(
        "cpu.processes.efficiency < 0.7",
        "FAIL cpu.processes.efficiency 0.76 ≥ 0.7",
        "cpu.processes.efficiency < 0.7 failed: measured 0.76",
    );
    passed(
        "cpu.sequential.median <= 250ms",
        "ok  cpu.sequential.median 200 ms ≤ 250 ms",
    );
    failed(
        "cpu.sequential.median < 150ms",
        "FAIL cpu.sequential.median 200 ms ≥ 150 ms",
        "cpu.sequential.median < 150ms failed: measured 200 ms",
    );
    passed(
        "io.async.rps >= 1500",
        "ok  io.async.requests_per_s 2000 ≥ 1500",
    );
    failed(
        "io.async.rps >= 2500",
        "FAIL io.async.requests_per_s 2000 < 2500",
        "io.async.rps >= 2500 failed: measured 2000",
    );
}

#[test]
fn check_compares_two_figures_of_the_run() {
    let report = report();
    let check = |text: &str| super::check(&parse(text).unwrap(), &report).unwrap();
    let checked = check("cpu.processes.speedup > cpu.sequential.speedup");
    assert!(checked.passed);
    assert_eq!(
        checked.line,
        "ok  cpu.processes.speedup 1.52 > cpu.sequential.speedup 1.00"
    );
    let checked = check("cpu.sequential.median <= cpu.threads.median");
    assert!(!checked.passed);
    assert_eq!(
        checked.line,
        "FAIL cpu.sequential.median 200 ms > cpu.threads.median 150 ms"
    );
    assert_eq!(
        checked.failure,
        "cpu.sequential.median <= cpu.threads.median failed: measured 200 ms vs 150 ms"
    );
    let error = super::check(
        &parse("cpu.processes.speedup > cpu.rayon.speedup").unwrap(),
        &report,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "--expect 'cpu.processes.speedup > cpu.rayon.speedup': no cpu row for rayon in this run"
    );
}

#[test]
fn selection_is_checked_on_both_sides() {
    let e = |text: &str| parse(text).unwrap();
    let seq_threads = [Strategy::Sequential, Strategy::Threads];
    let cpu: [(Workload, &[usize]); 1] = [(Workload::Cpu, &[4])];
    let check = |text: &str, strategies: &[Strategy]| {
        check_selection(
            &e(text),
            Selection {
                workloads: &cpu,
                strategies,
            },
        )
    };
    assert_eq!(check("cpu.threads.speedup > 1", &seq_threads), Ok(()));
    assert_eq!(
        check("io.threads.median < 1s", &seq_threads),
        Err("this run has no io job (it runs cpu only)".to_string())
    );
    assert_eq!(
        check("cpu.threads.speedup > cpu.rayon.speedup", &seq_threads),
        Err("rayon is not among the models run (--strategy sequential,threads)".to_string())
    );
    assert_eq!(
        check("cpu.threads.median < 1s", &[Strategy::Threads]),
        Ok(())
    );
    assert_eq!(
        check("cpu.threads.speedup > 1", &[Strategy::Threads]),
        Err(
            "speedup is measured against sequential, which is not among the models run (--strategy threads)"
                .to_string()
        )
    );
}

/// What could only fail after the run, were it not refused before it: a figure of
/// a worker sweep, and a Python model's speedup without py-sequential.
#[test]
fn selection_needs_one_row_and_the_right_reference() {
    let e = |text: &str| parse(text).unwrap();
    let sweep: [(Workload, &[usize]); 2] = [(Workload::Cpu, &[1, 2, 4]), (Workload::Io, &[5])];
    let check = |text: &str, strategies: &[Strategy]| {
        check_selection(
            &e(text),
            Selection {
                workloads: &sweep,
                strategies,
            },
        )
    };
    let seq_threads = [Strategy::Sequential, Strategy::Threads];
    let sweep_error = "threads runs at 3 worker counts (--workers 1,2,4), a row each, and an \
                       expectation names one figure; give --workers one count";
    assert_eq!(
        check("cpu.threads.speedup > 1", &seq_threads),
        Err(sweep_error.to_string())
    );
    assert_eq!(
        check("cpu.sequential.median < cpu.threads.median", &seq_threads),
        Err(sweep_error.to_string())
    );
    // Sequential runs once whatever the sweep; io has one count here.
    assert_eq!(check("cpu.sequential.median < 1s", &seq_threads), Ok(()));
    assert_eq!(check("io.threads.speedup > 1", &seq_threads), Ok(()));

    let python = [
        Strategy::Sequential,
        Strategy::PyThreads,
        Strategy::PyAsyncio,
    ];
    assert_eq!(
        check("io.py-threads.speedup > 1", &python),
        Err(
            "speedup of py-threads is measured against py-sequential, which is not among the \
             models run (--strategy sequential,py-threads,py-asyncio)"
                .to_string()
        )
    );
    // py-asyncio runs once, as py-sequential does.
    assert_eq!(check("cpu.py-asyncio.median < 1s", &python), Ok(()));
    let with_reference = [Strategy::PySequential, Strategy::PyThreads];
    assert_eq!(check("io.py-threads.speedup > 1", &with_reference), Ok(()));
}

#[test]
fn check_errors_when_the_row_or_figure_is_absent() {
    let report = report();
    let error = |text: &str| {
        super::check(&parse(text).unwrap(), &report)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("cpu.rayon.speedup >= 1.7"),
        "--expect 'cpu.rayon.speedup >= 1.7': no cpu row for rayon in this run"
    );
    assert_eq!(
        error("io.processes.rps >= 1"),
        "--expect 'io.processes.rps >= 1': no io row for processes in this run"
    );
    assert!(
        error("cpu.threads.speedup >= 1.7")
            .contains("no speedup for cpu threads (it needs sequential")
    );

    let mut twice = report.clone();
    let mut other = twice.results[1].clone();
    other.workers = 8;
    twice.results.push(other);
    let message = super::check(&parse("cpu.mp.speedup >= 1").unwrap(), &twice)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("several cpu rows for processes in this run (workers 2, 8)"),
        "{message}"
    );
}
