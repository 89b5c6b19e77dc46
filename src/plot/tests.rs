//! Every chart kind on fixed, hand-built reports with realistic figures (a 2-core
//! machine, five models, io medians from 65 ms to 8 s, a sweep over 1, 2, 4 and 8
//! workers): the SVG parses, names every model, labels its axes, and is the same
//! bytes every time.
//!
//! To look at the fixtures' charts:
//! `CONCBENCH_PLOT_DIR=/tmp/plots cargo test plot::tests::write_fixture_charts -- --ignored`
//! then `rsvg-convert -w 1200 X.svg -o X.png`.

use std::fs;

use super::{ChangeRow, comparison_svg, report_svg, write_svg};
use crate::compare::{Comparison, Verdict};
use crate::machine::Machine;
use crate::report::{Report, ReportConfig, ResultRow, SCHEMA_VERSION};
use crate::stats::Summary;
use crate::strategy::Strategy;
use crate::workload::Workload;

const MIB: u64 = 1 << 20;

/// A row whose median is `median` s, its interval ±4 %, five runs around it.
fn row(
    workload: Workload,
    strategy: Strategy,
    workers: usize,
    median: f64,
    speedup: Option<f64>,
    memory_mib: f64,
) -> ResultRow {
    let wall = [0.97, 0.99, 1.0, 1.02, 1.05].map(|f| f * median);
    let wall_s = Summary::of(&wall).unwrap();
    let memory = (memory_mib * MIB as f64) as u64;
    ResultRow {
        workload,
        strategy,
        workers,
        runs: wall.len(),
        setup_s: Summary::of(&[0.001; 5]).unwrap(),
        cpu_s: Summary::of(&wall).unwrap(),
        process_cpu_s: None,
        memory_bytes: memory,
        memory_pss_bytes: None,
        largest_process_bytes: memory,
        census: Default::default(),
        speedup,
        median_ci_s: [median * 0.96, median * 1.04],
        median_ci_confidence: 0.95,
        efficiency: speedup.map(|s| s / workers as f64),
        speedup_ci95: speedup.map(|s| [s * 0.96, s * 1.04]),
        outliers: Vec::new(),
        cv: wall_s.stddev / wall_s.mean,
        wall_s,
        verified: true,
        verify_note: None,
        checksum: "0".to_string(),
        kernel: None,
        tasks: None,
        io: None,
        python: None,
    }
}

fn report(results: Vec<ResultRow>) -> Report {
    let machine = Machine {
        usable_parallelism: 2,
        logical_cpus: 2,
        ..Machine::fixture()
    };
    Report {
        warnings: Vec::new(),
        schema_version: SCHEMA_VERSION,
        created_at: "2026-01-02T03:04:05Z".to_string(),
        machine,
        config: ReportConfig {
            warmup: 1,
            strategies: MODELS.to_vec(),
            cpu: None,
            tasks: None,
            io: None,
            python: None,
        },
        results,
    }
}

/// `concbench all` at one worker count: cpu at 2 workers, io at 8.
fn bars_report() -> Report {
    use Strategy::*;
    use Workload::*;
    let seq_cpu = 1.62;
    let seq_io = 8.04;
    let cpu = |s, w, m: f64, mib| row(Cpu, s, w, m, Some(seq_cpu / m), mib);
    let io = |s, w, m: f64, mib| row(Io, s, w, m, Some(seq_io / m), mib);
    report(vec![
        cpu(Sequential, 1, seq_cpu, 3.9),
        cpu(Threads, 2, 0.84, 4.1),
        cpu(Async, 2, 0.86, 4.6),
        cpu(Rayon, 2, 0.83, 4.3),
        cpu(Processes, 2, 0.91, 10.2),
        io(Sequential, 1, seq_io, 6.0),
        io(Threads, 8, 1.03, 6.8),
        io(Async, 8, 0.065, 7.5),
        io(Rayon, 8, 1.06, 6.9),
        io(Processes, 8, 1.18, 30.4),
    ])
}

/// A sweep over 1, 2, 4 and 8 workers on 2 cores: cpu saturates at 2×, io keeps
/// scaling; processes' memory grows about 3 MiB per worker, threads' stays flat.
fn sweep_report() -> Report {
    use Strategy::*;
    use Workload::*;
    let seq_cpu = 1.62;
    let seq_io = 8.04;
    let mut rows = vec![
        row(Cpu, Sequential, 1, seq_cpu, Some(1.0), 3.9),
        row(Io, Sequential, 1, seq_io, Some(1.0), 6.0),
    ];
    let cpu_speedups: [(Strategy, [f64; 4]); 4] = [
        (Threads, [0.99, 1.93, 1.96, 1.94]),
        (Async, [0.97, 1.88, 1.92, 1.90]),
        (Rayon, [1.0, 1.95, 1.97, 1.96]),
        (Processes, [0.94, 1.80, 1.86, 1.83]),
    ];
    let io_speedups: [(Strategy, [f64; 4]); 4] = [
        (Threads, [0.99, 1.97, 3.9, 7.7]),
        (Async, [118.0, 121.0, 123.0, 122.0]),
        (Rayon, [0.98, 1.95, 3.85, 7.5]),
        (Processes, [0.95, 1.9, 3.7, 7.1]),
    ];
    for (workload, seq, table) in [(Cpu, seq_cpu, cpu_speedups), (Io, seq_io, io_speedups)] {
        for (strategy, speedups) in table {
            for (w, speedup) in [1, 2, 4, 8].into_iter().zip(speedups) {
                let memory = match strategy {
                    Processes => 4.0 + 3.0 * w as f64,
                    Async => 4.8 + 0.1 * w as f64,
                    Rayon => 4.3 + 0.05 * w as f64,
                    _ => 4.1,
                };
                rows.push(row(
                    workload,
                    strategy,
                    w,
                    seq / speedup,
                    Some(speedup),
                    memory,
                ));
            }
        }
    }
    report(rows)
}

/// The cpu sweep beside io at one worker count, without sequential: no speedups.
fn mixed_report() -> Report {
    let mut rows: Vec<ResultRow> = sweep_report()
        .results
        .into_iter()
        .filter(|r| r.workload == Workload::Cpu)
        .collect();
    rows.extend(
        bars_report()
            .results
            .into_iter()
            .filter(|r| r.workload == Workload::Io && r.strategy != Strategy::Sequential)
            .map(|r| ResultRow { speedup: None, ..r }),
    );
    report(rows)
}

fn change(workload: &str, strategy: &str, workers: usize, c: f64, ci: (f64, f64)) -> ChangeRow {
    let verdict = if ci.0 > 0.10 {
        "slower"
    } else if ci.1 < -0.10 {
        "faster"
    } else if ci.0 >= -0.10 && ci.1 <= 0.10 {
        "unchanged"
    } else {
        "inconclusive"
    };
    ChangeRow {
        workload: workload.to_string(),
        strategy: strategy.to_string(),
        workers,
        change: c,
        ci,
        confidence: 0.95,
        verdict: verdict.to_string(),
    }
}

fn change_rows() -> Vec<ChangeRow> {
    vec![
        change("cpu", "sequential", 1, 0.012, (-0.02, 0.041)),
        change("cpu", "threads", 2, -0.018, (-0.05, 0.013)),
        change("cpu", "async", 2, 0.031, (-0.004, 0.066)),
        change("cpu", "rayon", 2, 0.004, (-0.021, 0.03)),
        change("cpu", "processes", 2, 0.09, (0.021, 0.16)),
        change("io", "sequential", 1, -0.006, (-0.012, 0.001)),
        change("io", "threads", 8, 0.254, (0.18, 0.33)),
        change("io", "async", 8, -0.31, (-0.36, -0.25)),
        change("io", "rayon", 8, 0.021, (-0.03, 0.07)),
        change("io", "processes", 8, 0.047, (0.011, 0.083)),
    ]
}

/// Every `<text>` of the SVG, after checking it is well-formed XML.
fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect()
}

/// Elements drawn in `color` (`#RRGGBB`), filled or stroked.
fn in_color(svg: &str, color: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("fill") == Some(color) || n.attribute("stroke") == Some(color))
        .count()
}

fn hex(strategy: Strategy) -> String {
    let c = super::style::model_color(strategy);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The models of every fixture (not `Strategy::ALL`, which may grow).
const MODELS: [Strategy; 5] = [
    Strategy::Sequential,
    Strategy::Threads,
    Strategy::Async,
    Strategy::Rayon,
    Strategy::Processes,
];

/// Each fixture model is named in the legend and drawn in its own color at least
/// `min` times.
fn assert_every_model(svg: &str, texts: &[String], min: usize) {
    for strategy in MODELS {
        assert!(
            texts.iter().any(|t| t == strategy.name()),
            "no legend entry for {}",
            strategy.name()
        );
        let drawn = in_color(svg, &hex(strategy));
        assert!(drawn >= min, "{} drawn {drawn} times", strategy.name());
    }
}

fn has_text(texts: &[String], part: &str) -> bool {
    texts.iter().any(|t| t.contains(part))
}

#[test]
fn one_worker_count_gives_bars_per_workload() {
    let svg = report_svg(&bars_report()).unwrap();
    let texts = texts(&svg);
    // The swatch and the bar (and its marker) for each model.
    assert_every_model(&svg, &texts, 3);
    assert!(has_text(
        &texts,
        "cpu: median wall time, 2 workers (sequential: 1)"
    ));
    assert!(has_text(
        &texts,
        "io: median wall time, 8 workers (sequential: 1)"
    ));
    assert!(!has_text(&texts, "speedup over sequential"));
    // Axis descriptions: cpu spans 2× (linear, s), io 124× (log).
    assert!(has_text(
        &texts,
        "median wall time, s (whisker: 95 % interval)"
    ));
    assert!(has_text(&texts, "median wall time, s, log scale"));
    assert_eq!(texts.iter().filter(|t| *t == "model").count(), 2);
    // Each bar's figures.
    assert!(has_text(&texts, "65.0 ms · 124×"));
    assert!(
        texts.iter().any(|t| t == "8.04 s"),
        "sequential is the reference"
    );
}

/// `bars_report` with io async's requests all failed (the fastest bar, 65 ms, and a
/// worthless one) and cpu sequential's results wrong.
fn failed_report() -> Report {
    let mut report = bars_report();
    for row in &mut report.results {
        match (row.workload, row.strategy) {
            (Workload::Io, Strategy::Async) => {
                row.verified = false;
                row.io = Some(crate::report::IoFigures {
                    requests: 160,
                    bytes: 0,
                    requests_per_s: 160.0 / row.wall_s.median,
                    latency_s: crate::report::Latency {
                        p50: 0.001,
                        p90: 0.001,
                        p99: 0.001,
                        max: 0.001,
                    },
                    failures: [("connect".to_string(), 800)].into(),
                    failed: 800,
                    max_in_flight: 8,
                });
            }
            (Workload::Cpu, Strategy::Sequential) => row.verified = false,
            _ => {}
        }
    }
    report
}

/// A row that failed its checks is marked FAILED, with why, instead of a bar; its
/// time sets no axis, and no row gets a speedup over a sequential that failed.
#[test]
fn failed_rows_are_marked_not_drawn() {
    let svg = report_svg(&failed_report()).unwrap();
    let texts = texts(&svg);
    assert!(has_text(&texts, "FAILED: 800 failed requests"), "{texts:?}");
    assert!(has_text(&texts, "FAILED: wrong results"), "{texts:?}");
    assert!(!has_text(&texts, "65.0 ms"), "no figures for a failed row");
    // io without async spans 1.03–8.04 s: linear, where async's 65 ms made it log.
    assert!(!has_text(&texts, "log scale"), "{texts:?}");
    // cpu: sequential failed, so no bar says how many times faster than it.
    assert!(has_text(&texts, "840 ms"));
    assert!(
        !texts.iter().any(|t| t.starts_with("840 ms ·")),
        "{texts:?}"
    );
    // io: the others keep their speedups.
    assert!(has_text(&texts, "1.03 s · 7.81×"), "{texts:?}");
    // Async is drawn once fewer: its io bar, whisker and label are gone.
    let drawn = |report: &Report| in_color(&report_svg(report).unwrap(), &hex(Strategy::Async));
    assert_eq!(drawn(&failed_report()) + 1, drawn(&bars_report()));
    // The failure marks are vermillion.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let vermillion: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("fill") == Some("#D55E00"))
        .filter_map(|n| n.text().map(str::trim))
        .collect();
    assert_eq!(
        vermillion,
        ["FAILED: wrong results", "FAILED: 800 failed requests"]
    );
    // Nothing passed: the axis says there is nothing to draw.
    let mut none = failed_report();
    none.results.iter_mut().for_each(|r| r.verified = false);
    let nothing = report_svg(&none).unwrap();
    assert!(
        nothing.contains("median wall time: none to draw, as no model passed its checks"),
        "{nothing}"
    );
}

#[test]
fn several_worker_counts_give_the_sweep() {
    let svg = report_svg(&sweep_report()).unwrap();
    let texts = texts(&svg);
    // Per workload and model: four points in each of two panels.
    assert_every_model(&svg, &texts, 2);
    for workload in ["cpu", "io"] {
        assert!(has_text(
            &texts,
            &format!("{workload}: speedup over sequential")
        ));
        assert!(has_text(
            &texts,
            &format!("{workload}: memory, all processes (PSS)")
        ));
    }
    assert!(!has_text(&texts, "median wall time"));
    assert_eq!(
        texts.iter().filter(|t| *t == "workers (log scale)").count(),
        4
    );
    assert!(has_text(&texts, "speedup, × (log scale)"));
    assert!(has_text(&texts, "memory, MiB"));
    assert!(has_text(&texts, "2 usable cores"));
    assert!(has_text(&texts, "ideal: speedup = workers"));
    for threads in ["Threads", "Processes"] {
        let strategy = Strategy::parse(threads).unwrap();
        assert!(in_color(&svg, &hex(strategy)) >= 2 * 2 * 4);
    }
}

/// In a sweep, a failed row gets no point in either panel and is named; a failed
/// sequential leaves no speedup to draw.
#[test]
fn a_sweeps_failed_rows_are_named_not_drawn() {
    let mut report = sweep_report();
    for row in &mut report.results {
        if row.workload == Workload::Io && row.strategy == Strategy::Async && row.workers == 4 {
            row.verified = false;
        }
    }
    let svg = report_svg(&report).unwrap();
    let named = texts(&svg);
    assert!(
        has_text(
            &named,
            "io: speedup over sequential · FAILED, not drawn: async ×4"
        ),
        "{named:?}"
    );
    // One point fewer in each io panel: a marker and a line vertex per point.
    let drawn = |report: &Report| in_color(&report_svg(report).unwrap(), &hex(Strategy::Async));
    assert!(drawn(&report) < drawn(&sweep_report()));

    let mut report = sweep_report();
    for row in &mut report.results {
        if row.workload == Workload::Cpu && row.strategy == Strategy::Sequential {
            row.verified = false;
        }
    }
    let failed = texts(&report_svg(&report).unwrap());
    assert!(
        has_text(&failed, "no speedups: sequential failed"),
        "{failed:?}"
    );
    assert!(
        has_text(
            &failed,
            "cpu: speedup over sequential · FAILED, not drawn: sequential"
        ),
        "{failed:?}"
    );
}

#[test]
fn each_workload_gets_its_own_chart_kind() {
    let svg = report_svg(&mixed_report()).unwrap();
    let texts = texts(&svg);
    assert!(has_text(&texts, "cpu: speedup over sequential"));
    assert!(has_text(&texts, "io: median wall time, 8 workers"));
    assert!(!has_text(&texts, "sequential: 1"));
    assert!(has_text(&texts, "65.0 ms"));
    assert!(!has_text(&texts, "65.0 ms ·"));
}

#[test]
fn a_workload_sweeps_only_when_a_model_ran_at_several_counts() {
    let rows = sweep_report().results;
    let sweep: Vec<&ResultRow> = rows
        .iter()
        .filter(|r| r.workload == Workload::Cpu)
        .collect();
    assert!(super::is_sweep(&sweep));
    let bars = bars_report().results;
    let bars: Vec<&ResultRow> = bars
        .iter()
        .filter(|r| r.workload == Workload::Cpu)
        .collect();
    assert!(!super::is_sweep(&bars));
}

#[test]
fn a_comparison_shows_each_row_and_marks_the_slower_ones() {
    let rows = change_rows();
    let svg = comparison_svg(&rows, 0.10).unwrap();
    let texts = texts(&svg);
    assert_every_model(&svg, &texts, 3);
    assert!(has_text(
        &texts,
        "change in wall time, % (right: slower; bar: 95 % interval)"
    ));
    assert!(has_text(&texts, "workload · model, workers"));
    assert!(has_text(&texts, "io · threads, 8 workers"));
    assert!(has_text(&texts, "±10 % tolerance"));
    assert!(has_text(&texts, "1 of 10 rows slower"));
    // The slower row's verdict, and only it, is in vermillion.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let vermillion: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("fill") == Some("#D55E00"))
        .filter_map(|n| n.text().map(str::trim))
        .collect();
    assert_eq!(vermillion, ["+25.4 % slower"]);
    assert!(has_text(&texts, "-31.0 % faster"));
}

#[test]
fn a_change_row_is_made_from_a_comparison() {
    let comparison = Comparison {
        workload: "io".to_string(),
        strategy: "threads".to_string(),
        workers: 8,
        baseline_median_s: 1.0,
        current_median_s: 1.25,
        change: 0.25,
        change_ci: (0.18, 0.33),
        change_ci_confidence: 0.95,
        p_value: 0.001,
        verdict: Verdict::Slower,
        regression: true,
    };
    assert_eq!(
        ChangeRow::from(&comparison),
        change("io", "threads", 8, 0.25, (0.18, 0.33))
    );
}

#[test]
fn a_row_without_figures_is_listed_without_a_point() {
    let mut rows = change_rows();
    rows[0].change = f64::NAN;
    rows[0].ci = (f64::NAN, f64::NAN);
    rows[0].verdict = "inconclusive".to_string();
    let svg = comparison_svg(&rows, 0.10).unwrap();
    assert!(has_text(&texts(&svg), "no data, inconclusive"));
}

#[test]
fn charts_are_the_same_bytes_every_time_and_after_a_save() {
    for report in [bars_report(), sweep_report()] {
        let first = report_svg(&report).unwrap();
        assert_eq!(first, report_svg(&report).unwrap());
        let saved = serde_json::to_string(&report).unwrap();
        let loaded: Report = serde_json::from_str(&saved).unwrap();
        assert_eq!(first, report_svg(&loaded).unwrap());
    }
    let rows = change_rows();
    assert_eq!(
        comparison_svg(&rows, 0.1).unwrap(),
        comparison_svg(&rows, 0.1).unwrap()
    );
}

#[test]
fn nothing_to_plot_is_an_error() {
    let err = report_svg(&report(Vec::new())).unwrap_err();
    assert_eq!(err.to_string(), "the report has no results to plot");
    assert!(comparison_svg(&[], 0.1).is_err());
}

#[test]
fn write_svg_replaces_the_file_and_names_the_path_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("charts/report.svg");
    write_svg(&path, "<svg/>").unwrap();
    write_svg(&path, "<svg></svg>").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "<svg></svg>");

    let blocked = dir.path().join("charts/report.svg/x.svg");
    let err = write_svg(&blocked, "<svg/>").unwrap_err();
    assert!(format!("{err:#}").contains(&blocked.display().to_string()));
}

/// Writes every fixture's chart to `$CONCBENCH_PLOT_DIR`, to be looked at.
#[test]
#[ignore = "writes files for a person to look at"]
fn write_fixture_charts() {
    let Ok(dir) = std::env::var("CONCBENCH_PLOT_DIR") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    write_svg(&dir.join("bars.svg"), &report_svg(&bars_report()).unwrap()).unwrap();
    write_svg(
        &dir.join("sweep.svg"),
        &report_svg(&sweep_report()).unwrap(),
    )
    .unwrap();
    write_svg(
        &dir.join("mixed.svg"),
        &report_svg(&mixed_report()).unwrap(),
    )
    .unwrap();
    write_svg(
        &dir.join("failed.svg"),
        &report_svg(&failed_report()).unwrap(),
    )
    .unwrap();
    let compare = comparison_svg(&change_rows(), 0.10).unwrap();
    write_svg(&dir.join("compare.svg"), &compare).unwrap();
}

/// Found by looking at results/python.svg: every CPython model was the same grey, and
/// their legend entries ran off both edges of the header (now left out of it).
#[test]
fn python_models_get_their_twins_color_lightened() {
    use crate::plot::style::model_color;
    let pairs = [
        (Strategy::PySequential, Strategy::Sequential),
        (Strategy::PyThreads, Strategy::Threads),
        (Strategy::PyAsyncio, Strategy::Async),
        (Strategy::PyProcesses, Strategy::Processes),
    ];
    let mut seen = std::collections::HashSet::new();
    for (python, rust) in pairs {
        let (light, dark) = (model_color(python), model_color(rust));
        assert_ne!(light, dark, "{python}");
        // Lighter in every channel, or white already.
        assert!(
            light.0 >= dark.0 && light.1 >= dark.1 && light.2 >= dark.2,
            "{python}"
        );
        assert!(
            seen.insert((light.0, light.1, light.2)),
            "{python} shares a color"
        );
    }
}

/// The tasks job: memory against tasks, log-log, a line per model; a refused row is
/// drawn at the tasks it held and labelled, a failed one is left out.
#[test]
fn the_tasks_job_is_memory_against_tasks_on_log_axes() {
    use crate::report::TasksFigures;
    use crate::workload::tasks::Refusal;
    let tasks_row = |strategy, count: usize, mib: f64, refused: Option<usize>| {
        let mut row = row(Workload::Tasks, strategy, count, 1.0, None, mib);
        row.verified = refused.is_none();
        row.tasks = Some(TasksFigures {
            count,
            started: refused.unwrap_or(count),
            start_s: 0.1,
            start_per_task_s: 0.1 / count as f64,
            lateness_s: Some(0.01),
            refused: refused.map(|at| Refusal {
                at,
                reason: "Resource temporarily unavailable".into(),
            }),
            memory_per_task_bytes: None,
            memory_per_task_ci95: None,
            fixed_bytes: None,
        });
        row
    };
    let mut wrong = tasks_row(Strategy::Spawn, 10_000, 900.0, None);
    wrong.verified = false;
    let mut rows = vec![
        tasks_row(Strategy::Threads, 1_000, 12.0, None),
        tasks_row(Strategy::Threads, 10_000, 96.0, None),
        tasks_row(Strategy::Threads, 100_000, 155.0, Some(16_245)),
        tasks_row(Strategy::Async, 1_000, 3.3, None),
        tasks_row(Strategy::Async, 100_000, 57.0, None),
        tasks_row(Strategy::Spawn, 1_000, 567.0, None),
    ];
    let without = report_svg(&report(rows.clone())).unwrap();
    rows.push(wrong);
    let svg = report_svg(&report(rows)).unwrap();
    let texts = texts(&svg);
    assert!(has_text(
        &texts,
        "tasks: memory of N waiting tasks, all processes (PSS)"
    ));
    assert!(
        has_text(&texts, "tasks held at once (log scale)"),
        "{texts:?}"
    );
    assert!(has_text(&texts, "memory, MiB (log scale)"));
    assert!(has_text(&texts, "threads: refused at 16,245"), "{texts:?}");
    for tick in ["1,000", "10,000", "100,000"] {
        assert!(has_text(&texts, tick), "{tick}: {texts:?}");
    }
    // The failed spawn row at 10,000 is not drawn: the chart is the one without it.
    let spawn = hex(Strategy::Spawn);
    assert_eq!(in_color(&svg, &spawn), in_color(&without, &spawn));
    assert!(in_color(&svg, &spawn) > 0);
}
