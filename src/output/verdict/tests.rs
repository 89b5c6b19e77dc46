//! The verdict on rows built by analysis from fixed runs (as the table's tests do):
//! its wording, its interval, and what it leaves out.

use super::*;
use crate::analysis;
use crate::runner::ModelRuns;
use crate::workload::cpu::Kernel;
use crate::workload::{CpuJob, Outputs};

fn rows(models: &[(Strategy, usize, &[f64])]) -> Vec<ResultRow> {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3],
    };
    let runs: Vec<ModelRuns> = models
        .iter()
        .map(|(s, w, walls)| ModelRuns::fixture(*s, *w, walls, Outputs::Cpu(vec![5])))
        .collect();
    analysis::cpu(&job, &runs).rows
}

#[test]
fn names_the_fastest_with_its_ratio_against_sequential_and_the_rest() {
    let lines = lines(&rows(&[
        (Strategy::Sequential, 1, &[8.0, 8.1, 7.9]),
        (Strategy::Threads, 5, &[1.6, 1.65, 1.6]),
        (Strategy::Async, 200, &[0.062, 0.0625, 0.0615]),
    ]));
    // 3 runs a side give no 95 % interval: the ratio alone.
    assert_eq!(
        lines,
        ["async ran 129× faster than sequential, 25.8× faster than threads"]
    );
}

/// The verdict prints the interval the report stores, not one of its own (it
/// bootstrapped its own with another seed, and disagreed with the JSON).
#[test]
fn the_interval_is_the_one_the_report_stores() {
    let fast = rows(&[
        (Strategy::Sequential, 1, &[8.0, 8.1, 7.9, 8.3, 7.7, 8.05]),
        (Strategy::Threads, 2, &[4.3, 4.1, 3.9, 4.05, 4.4, 3.8]),
        (
            Strategy::Async,
            200,
            &[0.062, 0.0625, 0.0615, 0.066, 0.059, 0.0631],
        ),
    ]);
    let stored = |row: &ResultRow| {
        let [low, high] = row.speedup_ci95.expect("6 runs a side reach 95 %");
        format!("{}–{}×", number(low), number(high))
    };
    let line = &lines(&fast)[0];
    let expected = format!(
        "async ran {}× (95 % CI {}) faster than sequential",
        number(fast[2].speedup.unwrap()),
        stored(&fast[2])
    );
    assert!(line.starts_with(&expected), "{line}\n{expected}");
    // Sequential the fastest: the same interval, of the inverse ratio.
    let slow = rows(&[
        (Strategy::Sequential, 1, &[1.0, 1.1, 0.9, 1.05, 0.95, 1.02]),
        (Strategy::Spawn, 2, &[2.0, 2.2, 1.8, 2.1, 1.9, 2.05]),
    ]);
    let [low, high] = slow[1].speedup_ci95.unwrap();
    assert_eq!(
        lines(&slow)[0],
        format!(
            "sequential ran {}× (95 % CI {}–{}×) faster than spawn",
            number(1.0 / slow[1].speedup.unwrap()),
            number(1.0 / high),
            number(1.0 / low)
        )
    );
}

/// 3.34× on 2 workers is what the AMD host printed when the kernel's inlined
/// copies ran at different speeds: the verdict must not state it as a fact.
#[test]
fn a_speedup_above_the_worker_count_is_never_a_plain_fact() {
    let biased = lines(&rows(&[
        (Strategy::Sequential, 1, &[0.146, 0.147, 0.145]),
        (Strategy::Threads, 2, &[0.0437, 0.0440, 0.0435]),
        (Strategy::Rayon, 2, &[0.080, 0.081, 0.079]),
    ]));
    let line = &biased[0];
    assert!(line.starts_with("threads ran 3.34× "), "{line}");
    assert!(
        line.contains(
            "But threads ran 3.34× faster than sequential with 2 workers, more than the \
             same work allows: these figures are biased"
        ),
        "{line}"
    );
    // Under the worker count, no caveat.
    let fair = lines(&rows(&[
        (Strategy::Sequential, 1, &[0.146, 0.147, 0.145]),
        (Strategy::Threads, 2, &[0.080, 0.081, 0.079]),
    ]));
    assert!(!fair[0].contains("biased"), "{}", fair[0]);
}

#[test]
fn without_sequential_the_ratios_are_against_the_fastest() {
    let three = rows(&[
        (Strategy::Threads, 2, &[0.050, 0.051, 0.049]),
        (Strategy::Rayon, 2, &[0.040, 0.041, 0.039]),
    ]);
    // No interval between two models neither of which is the other's sequential:
    // the report holds none.
    assert_eq!(lines(&three), ["rayon ran 1.25× faster than threads"]);
    let six = rows(&[
        (
            Strategy::Threads,
            2,
            &[0.050, 0.051, 0.049, 0.052, 0.048, 0.050],
        ),
        (
            Strategy::Rayon,
            2,
            &[0.040, 0.041, 0.039, 0.042, 0.038, 0.040],
        ),
    ]);
    assert_eq!(lines(&six), ["rayon ran 1.25× faster than threads"]);
}

#[test]
fn a_parallel_model_slower_than_sequential_is_said_plainly() {
    let lines = lines(&rows(&[
        (Strategy::Sequential, 1, &[1.0, 1.0, 1.0]),
        (Strategy::Threads, 2, &[0.5, 0.5, 0.5]),
        (Strategy::Spawn, 2, &[1.25, 1.25, 1.25]),
    ]));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1].starts_with("slower than sequential: spawn (0.80× sequential)."),
        "{}",
        lines[1]
    );
}

/// A sweep's 1-worker rows tie with sequential; "threads ×1 (1.00× sequential)" was
/// named slower than sequential for a median a hair above it.
#[test]
fn a_tie_with_sequential_is_not_called_slower() {
    let runs: &[f64] = &[1.0, 1.02, 0.98, 1.01, 0.99, 1.0, 1.03, 0.97, 1.0, 1.01];
    let tied: Vec<f64> = runs.iter().map(|t| t * 1.001).collect();
    let tie = lines(&rows(&[
        (Strategy::Sequential, 1, runs),
        (Strategy::Threads, 1, &tied),
        (Strategy::Threads, 2, &[0.5; 10]),
    ]));
    assert!(
        !tie.iter().any(|l| l.starts_with("slower than sequential")),
        "{tie:?}"
    );
    // Clearly slower, with an interval below 1: named, and no GIL in a Rust-only run.
    let slow: Vec<f64> = runs.iter().map(|t| t * 1.25).collect();
    let named = lines(&rows(&[
        (Strategy::Sequential, 1, runs),
        (Strategy::Spawn, 1, &slow),
    ]));
    assert_eq!(
        named[1],
        "slower than sequential: spawn (0.80× sequential). Not a bug: here start-up, \
         contention cost more than the parallelism saves."
    );
}

#[test]
fn a_sweep_names_the_worker_count() {
    let lines = lines(&rows(&[
        (Strategy::Sequential, 1, &[1.0, 1.0, 1.0]),
        (Strategy::Threads, 1, &[1.0, 1.0, 1.0]),
        (Strategy::Threads, 2, &[0.5, 0.5, 0.5]),
    ]));
    assert!(lines[0].starts_with("threads ×2 ran 2.00×"), "{lines:?}");
}

/// With both languages: each headline against its own sequential, and the lessons.
#[test]
fn the_lessons_of_the_experiment_come_from_the_run() {
    use Strategy::*;
    let lines = lines(&rows(&[
        (Sequential, 1, &[0.08, 0.08, 0.08]),
        (Threads, 2, &[0.04, 0.04, 0.04]),
        (Processes, 2, &[0.045, 0.045, 0.045]),
        (PySequential, 1, &[8.0, 8.0, 8.0]),
        (PyThreads, 2, &[10.0, 10.0, 10.0]),
        (PyProcesses, 2, &[4.0, 4.0, 4.0]),
    ]));
    assert!(lines[0].starts_with("threads ran 2.00× "), "{lines:?}");
    assert!(lines[1].starts_with("py-processes ran 2.00× "), "{lines:?}");
    assert!(lines[1].contains("faster than py-sequential"), "{lines:?}");
    assert!(
        lines[2].starts_with("slower than sequential: py-threads (0.80× py-sequential)"),
        "{lines:?}"
    );
    assert_eq!(
        lines[3],
        "GIL: py-threads ran 0.80× py-sequential's speed; Rust threads 2.00× sequential's"
    );
    assert!(lines[4].starts_with("processes pay start-up: py-processes ran 2.00×"));
    assert_eq!(
        lines[5],
        "language: Rust sequential ran 100× faster than py-sequential"
    );
}

/// `rows`, with the given models' results made wrong, as analysis marks them.
fn wrong(mut rows: Vec<ResultRow>, models: &[Strategy]) -> Vec<ResultRow> {
    for row in rows.iter_mut().filter(|r| models.contains(&r.strategy)) {
        row.verified = false;
    }
    rows
}

/// io rows through analysis, each model's 2 requests all fine, or all timed out.
fn io_rows(models: &[(Strategy, usize, &[f64], bool)]) -> Vec<ResultRow> {
    use crate::workload::io::{FailureKind, Fetch};
    let fetch = |failed: bool| Fetch {
        bytes: if failed { 0 } else { 10 },
        latency_s: 0.05,
        started_s: 0.0,
        digest: (!failed).then_some(7),
        failure: failed.then_some(FailureKind::Timeout),
    };
    let urls: Vec<String> = (0..2).map(|i| format!("http://127.0.0.1:1/{i}")).collect();
    let runs: Vec<ModelRuns> = models
        .iter()
        .map(|(s, w, walls, failed)| {
            let outputs = Outputs::Io(vec![fetch(*failed), fetch(*failed)]);
            ModelRuns::fixture(*s, *w, walls, outputs)
        })
        .collect();
    let expected = analysis::ExpectedBodies::Exactly {
        digests: vec![7, 7],
        body_bytes: 10,
    };
    analysis::io(&urls, &expected, &runs).rows
}

/// A model that returned wrong results is never the winner, nor slower than
/// sequential: it is named apart, with why.
#[test]
fn rows_that_failed_their_checks_are_left_out_and_named() {
    use Strategy::*;
    let wrong_models = wrong(
        rows(&[
            (Sequential, 1, &[8.0, 8.1, 7.9]),
            (Threads, 8, &[1.6, 1.6, 1.6]),
            (Async, 8, &[2.0, 2.0, 2.0]),
            (Spawn, 8, &[9.0, 9.0, 9.0]),
        ]),
        &[Threads, Spawn],
    );
    assert_eq!(
        lines(&wrong_models),
        [
            "async ran 4.00× faster than sequential",
            "left out of the verdict, as their times cannot be trusted: threads (wrong \
             results), spawn (wrong results)"
        ]
    );
    // Without its sequential, the ratios are against the fastest that passed, and
    // no speedup against the wrong sequential is called biased.
    let wrong_sequential = wrong(
        rows(&[
            (Sequential, 1, &[8.0, 8.0, 8.0]),
            (Threads, 2, &[1.6, 1.6, 1.6]),
            (Async, 2, &[2.0, 2.0, 2.0]),
        ]),
        &[Sequential],
    );
    assert_eq!(
        lines(&wrong_sequential),
        [
            "threads ran 1.25× faster than async",
            "left out of the verdict, as their times cannot be trusted: sequential \
             (wrong results)"
        ]
    );
}

/// A run whose requests all failed is the fastest and worthless: when every model's
/// did, one line says there is no verdict, and why.
#[test]
fn no_verdict_when_every_model_failed() {
    use Strategy::*;
    let failed = io_rows(&[
        (Sequential, 1, &[0.01, 0.01, 0.01], true),
        (Threads, 4, &[0.003, 0.003, 0.003], true),
        (Async, 4, &[0.001, 0.001, 0.001], true),
    ]);
    assert_eq!(
        lines(&failed),
        [
            "no verdict: every model had failed requests (sequential 6, threads 6, async \
             6), and a run timed on errors says nothing about its model"
        ]
    );
    let alone = io_rows(&[(Async, 4, &[0.001, 0.001, 0.001], true)]);
    assert_eq!(
        lines(&alone),
        [
            "no verdict: async (6 failed requests) is the only model, and its time cannot \
          be trusted"
        ]
    );
    // One model left: nothing to rank it against.
    let one = io_rows(&[
        (Sequential, 1, &[0.1, 0.1, 0.1], false),
        (Async, 4, &[0.001, 0.001, 0.001], true),
    ]);
    assert_eq!(
        lines(&one),
        [
            "no verdict: only sequential passed its checks, with nothing to compare it \
             with; left out: async (6 failed requests)"
        ]
    );
    let cpu = wrong(
        rows(&[
            (Sequential, 1, &[1.0, 1.0, 1.0]),
            (Threads, 2, &[0.5, 0.5, 0.5]),
        ]),
        &[Sequential, Threads],
    );
    assert_eq!(
        lines(&cpu),
        [
            "no verdict: every model returned wrong results (sequential, threads), so no \
          time can be trusted"
        ]
    );
}

/// The lessons compare only rows that passed: a py-threads whose results were
/// wrong teaches nothing about the GIL.
#[test]
fn the_lessons_rank_only_rows_that_passed() {
    use Strategy::*;
    let both = wrong(
        rows(&[
            (Sequential, 1, &[0.08, 0.08, 0.08]),
            (Threads, 2, &[0.04, 0.04, 0.04]),
            (PySequential, 1, &[8.0, 8.0, 8.0]),
            (PyThreads, 2, &[2.0, 2.0, 2.0]),
        ]),
        &[PyThreads],
    );
    assert_eq!(
        lines(&both),
        [
            "threads ran 2.00× faster than sequential",
            "no verdict on the py-* models: only py-sequential passed its checks, with \
             nothing to compare it with; left out: py-threads (wrong results)",
            "language: Rust sequential ran 100× faster than py-sequential"
        ]
    );
}

#[test]
fn long_lines_wrap_at_spaces() {
    let text = "async ran 10.7× faster than sequential, 2.21× faster than threads";
    assert_eq!(
        wrap(text, 40),
        "async ran 10.7× faster than sequential,\n  2.21× faster than threads"
    );
    assert_eq!(wrap("short", 40), "short");
}

/// Found in the tasks verdict at 100 columns: "(95 % CI −67.4" ended one line and
/// "KiB–47.0 KiB)" began the next.
#[test]
fn a_figure_and_its_unit_stay_on_one_line() {
    let text = "async −10.2 KiB (95 % CI −67.4 KiB–47.0 KiB), threads 453 B.";
    for width in 10..text.len() {
        let wrapped = wrap(text, width);
        for line in wrapped.lines() {
            let first = line.trim_start().split(' ').next().unwrap();
            assert!(
                !["KiB", "B.", "%", "KiB–47.0", "B"].contains(&first),
                "width {width}: {wrapped}"
            );
        }
    }
    assert_eq!(wrap("a 5 ms", 40), "a 5 ms");
}
