//! The tables on fixed samples: snapshots, and the widest line of each default table
//! within 100 columns.

use super::*;
use crate::analysis;
use crate::runner::ModelRuns;
use crate::strategy::Strategy;
use crate::workload::cpu::Kernel;
use crate::workload::io::{FailureKind, Fetch};
use crate::workload::{CpuJob, Outputs};

fn model(strategy: Strategy, walls: &[f64], outputs: Outputs) -> ModelRuns {
    ModelRuns::fixture(strategy, 2, walls, outputs)
}

fn widest(table: &str) -> usize {
    table.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The default: basic style, no color, no terminal.
fn plain() -> TableOptions {
    TableOptions::plain(Style::Basic, false)
}

fn cpu_rows() -> Vec<ResultRow> {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3, 4],
    };
    let right = Outputs::Cpu(vec![5, 14]);
    analysis::cpu(
        &job,
        &[
            model(Strategy::Sequential, &[0.080, 0.078, 0.082], right.clone()),
            model(
                Strategy::Processes,
                &[0.045, 0.040, 0.050],
                Outputs::Cpu(vec![5, 15]),
            ),
        ],
    )
    .rows
}

#[test]
fn cpu_table_snapshot() {
    let expected = "\
─────────────────────────────────────────────────────────────────────────
model       workers  median ±75% CI  speedup      CPU    memory  verified
─────────────────────────────────────────────────────────────────────────
sequential        1     80.0 ms ±3%    1.00×  80.0 ms  5.00 MiB       yes
processes         2    45.0 ms ±11%    1.78×  80.0 ms  5.00 MiB        NO
─────────────────────────────────────────────────────────────────────────";
    assert_eq!(render(Workload::Cpu, &cpu_rows(), &plain()), expected);
}

/// Realistic io figures, from 65 ms (async) to 8 s (sequential), with a failure.
fn io_rows() -> Vec<ResultRow> {
    let fetch = |latency_s: f64, failure: Option<FailureKind>| Fetch {
        bytes: 10_240,
        latency_s,
        started_s: 0.0,
        digest: failure.is_none().then_some(7),
        failure,
    };
    let urls: Vec<String> = (0..2).map(|i| format!("http://127.0.0.1:1/{i}")).collect();
    let good = Outputs::Io(vec![fetch(0.0505, None), fetch(0.0514, None)]);
    let bad = Outputs::Io(vec![
        fetch(0.0556, None),
        fetch(10.0, Some(FailureKind::Timeout)),
    ]);
    let walls = |median: f64| {
        [
            median * 0.99,
            median,
            median * 1.01,
            median,
            median * 1.02,
            median,
        ]
    };
    analysis::io(
        &urls,
        &analysis::ExpectedBodies::Exactly {
            digests: vec![7, 7],
            body_bytes: 10_240,
        },
        &[
            model(Strategy::Sequential, &walls(8.08), good.clone()),
            model(Strategy::Threads, &walls(1.63), good.clone()),
            model(Strategy::Async, &walls(0.0651), bad),
            model(Strategy::Rayon, &walls(1.63), good.clone()),
            model(Strategy::Processes, &walls(1.64), good.clone()),
            model(Strategy::Spawn, &walls(1.90), good),
        ],
    )
    .rows
}

#[test]
fn default_tables_fit_100_columns() {
    let cpu = render(Workload::Cpu, &cpu_rows(), &plain());
    assert!(widest(&cpu) <= 100, "{} columns:\n{cpu}", widest(&cpu));
    let io = render(Workload::Io, &io_rows(), &plain());
    assert!(widest(&io) <= 100, "{} columns:\n{io}", widest(&io));
    let line = io.lines().find(|l| l.starts_with("async")).unwrap();
    assert!(line.contains("5.03/10.0 s"), "{line}");
    assert!(line.ends_with("NO"), "{line}");
    assert!(
        io.ends_with("\nfailed requests: async (2 workers): 6 timeout"),
        "{io}"
    );
}

#[test]
fn a_table_too_wide_at_two_spaces_a_column_stands_them_one_apart() {
    // The Python models' longer names (py-sequential, 13 letters) took the io table
    // past 100 columns.
    let urls: Vec<String> = (0..2).map(|i| format!("http://127.0.0.1:1/{i}")).collect();
    let fetch = |latency_s: f64| Fetch {
        bytes: 10_240,
        latency_s,
        started_s: 0.0,
        digest: Some(7),
        failure: None,
    };
    let good = Outputs::Io(vec![fetch(0.0505), fetch(0.0514)]);
    let walls = [8.05, 8.06, 8.04, 8.05, 8.07, 8.05];
    let rows = analysis::io(
        &urls,
        &analysis::ExpectedBodies::Exactly {
            digests: vec![7, 7],
            body_bytes: 10_240,
        },
        &[
            model(Strategy::Sequential, &walls, good.clone()),
            model(Strategy::Async, &[0.0651; 6], good.clone()),
            model(Strategy::PySequential, &walls, good.clone()),
            model(Strategy::PyAsyncio, &[0.0725; 6], good),
        ],
    )
    .rows;
    let io = render(Workload::Io, &rows, &plain());
    assert!(widest(&io) <= 100, "{} columns:\n{io}", widest(&io));
    assert!(io.contains(" failed verified"), "{io}");
    // Tables that fit keep two spaces between columns.
    let cpu = render(Workload::Cpu, &cpu_rows(), &plain());
    assert!(cpu.contains("memory  verified"), "{cpu}");
}

#[test]
fn wide_shows_every_figure() {
    let io = render(
        Workload::Io,
        &io_rows(),
        &TableOptions::plain(Style::Full, true),
    );
    for header in [
        "mean ± σ",
        "min … max",
        "speedup 95 % CI",
        "in flight",
        "setup",
        "largest process",
        "procs × threads",
        "latency p50 / p90 / p99 / max",
    ] {
        assert!(io.contains(header), "{header}:\n{io}");
    }
    assert!(!io.contains("efficiency"), "no efficiency for io:\n{io}");
    let cpu = render(
        Workload::Cpu,
        &cpu_rows(),
        &TableOptions::plain(Style::Full, true),
    );
    assert!(cpu.contains("efficiency"), "{cpu}");
}

#[test]
fn ascii_and_markdown_styles() {
    let ascii = render(
        Workload::Io,
        &io_rows(),
        &TableOptions::plain(Style::Ascii, true),
    );
    assert!(ascii.is_ascii(), "{ascii}");
    let markdown = render(
        Workload::Cpu,
        &cpu_rows(),
        &TableOptions::plain(Style::Markdown, false),
    );
    assert!(markdown.starts_with("| model"), "{markdown}");
    assert!(
        markdown.lines().nth(1).unwrap().starts_with("|-"),
        "{markdown}"
    );
}

#[test]
fn color_marks_the_fastest_and_the_slower_than_sequential() {
    let colored = TableOptions {
        color: true,
        ..plain()
    };
    let io = render(Workload::Io, &io_rows(), &colored);
    let async_line = io.lines().find(|l| l.contains("async")).unwrap();
    // async is the fastest, but failed a request: red (31) rather than green (32).
    assert!(
        async_line.contains("\u{1b}[38;5;9m") || async_line.contains("\u{1b}[31m"),
        "{async_line:?}"
    );
    let plain = render(Workload::Io, &io_rows(), &plain());
    assert!(!plain.contains('\u{1b}'));
    // Color changes no column: its escape codes take no room on screen.
    assert_eq!(console::strip_ansi_codes(&io), plain);
}

/// The table agrees with the gate: async, the fastest row, failed requests, so the
/// fastest (green) is the fastest row that passed its checks.
#[test]
fn the_fastest_row_is_one_that_passed_its_checks() {
    let rows = io_rows();
    assert_eq!(rows[2].strategy, Strategy::Async);
    assert_eq!(fastest(&rows), Some(1), "threads, not async");
    let colored = TableOptions {
        color: true,
        ..plain()
    };
    let io = render(Workload::Io, &rows, &colored);
    let threads = io.lines().find(|l| l.contains("threads")).unwrap();
    assert!(
        threads.contains("\u{1b}[38;5;10m") || threads.contains("\u{1b}[32m"),
        "{threads:?}"
    );
    // A report whose io row counts failures is NO, whatever its verified flag says.
    let mut marked = rows.clone();
    marked[2].verified = true;
    let plain = render(Workload::Io, &marked, &plain());
    let line = plain.lines().find(|l| l.starts_with("async")).unwrap();
    assert!(line.ends_with("NO"), "{line}");
}
