//! The verdict under each table, in words, as hyperfine ends with "Summary: X ran 2.31
//! ± 0.05 times faster than Y": a person should not have to divide medians.
//!
//! - The fastest model (the row with the lowest median), how many times faster than
//!   sequential with the 95 % interval of that ratio, and how many times faster than
//!   each other model (its best row, in a sweep).
//! - Without sequential among the models, the same ratios against the fastest.
//!
//! The interval is the one the report stores (`speedup_ci95`, computed once in
//! `analysis`), so the verdict, the JSON and the `--wide` table never disagree. It
//! exists only for a model against its own sequential; between two other models
//! (when sequential did not run) the verdict gives the ratio alone, rather than an
//! interval the report does not hold.
//! - Every parallel model slower than sequential, said plainly: that is a lesson of
//!   the experiment (start-up or contention costs more than the parallelism saves),
//!   not a bug.
//! - Only rows that passed their checks (right results, no failed request: what the
//!   gate asks) are ranked; the others are named apart, and when none is left, one
//!   line says there is no verdict, and why.

use crate::report::ResultRow;
use crate::strategy::Strategy;

/// `text` broken at spaces into lines of at most `width` columns, the lines after the
/// first indented by two spaces.
pub fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        let len = line.chars().count();
        if len > 2 && len + 1 + word.chars().count() > width {
            lines.push(format!("  {word}"));
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

/// The verdict lines for one workload's rows: the Rust models' headline, the Python
/// models' (each against its own sequential), every model slower than its
/// sequential, and, when both languages ran, which lessons of the classic experiment
/// carry over.
///
/// Only rows that passed their checks are ranked ([`passed`]): a model that returned
/// wrong results, or whose requests failed (fast, as an error is quick), has a time
/// that says nothing about the model. Such rows are named on a line of their own,
/// and a language none of whose rows passed gets one line saying there is no
/// verdict, and why.
pub fn lines(rows: &[ResultRow]) -> Vec<String> {
    let sweep = has_sweep(rows);
    let (python, rust): (Vec<ResultRow>, Vec<ResultRow>) =
        rows.iter().cloned().partition(|r| r.strategy.is_python());
    let both = !python.is_empty() && !rust.is_empty();
    let mut lines = Vec::new();
    let who = |models: &'static str| if both { models } else { "" };
    lines.extend(language(
        &rust,
        Strategy::Sequential,
        sweep,
        who(" on the Rust models"),
    ));
    lines.extend(language(
        &python,
        Strategy::PySequential,
        sweep,
        who(" on the py-* models"),
    ));
    let ranked: Vec<ResultRow> = rows.iter().filter(|r| passed(r)).cloned().collect();
    let slower: Vec<String> = ranked
        .iter()
        .filter(|r| r.strategy != r.strategy.baseline())
        .filter_map(|r| {
            let base = ranked
                .iter()
                .find(|b| b.strategy == r.strategy.baseline())?;
            (r.wall_s.median > base.wall_s.median).then(|| {
                format!(
                    "{} ({:.2}× {})",
                    label(r, sweep),
                    base.wall_s.median / r.wall_s.median,
                    base.strategy
                )
            })
        })
        .collect();
    if !slower.is_empty() {
        lines.push(format!(
            "slower than sequential: {}. Not a bug: here start-up, contention or the GIL \
             costs more than the parallelism saves.",
            slower.join(", ")
        ));
    }
    if ranked.iter().any(|r| r.strategy.is_python())
        && ranked.iter().any(|r| !r.strategy.is_python())
    {
        lines.extend(lessons(&ranked));
    }
    lines
}

/// True when a row's time can be ranked: every result right and no request failed.
/// The gate's own test ([`crate::compare::failed_checks`]), so that a row the gate
/// refuses to compare is never the verdict's winner either.
fn passed(row: &ResultRow) -> bool {
    failure(row).is_none()
}

/// Why a row's time cannot be trusted, `wrong results` or `3 failed requests`, by
/// the gate's test ([`crate::compare::failed_checks`]); `None` when it passed its
/// checks. Charts mark such rows with it too.
pub fn failure(row: &ResultRow) -> Option<String> {
    crate::compare::failed_checks(row)?;
    Some(match row.io.as_ref().map_or(0, |io| io.failed) {
        0 => "wrong results".to_string(),
        1 => "1 failed request".to_string(),
        n => format!("{n} failed requests"),
    })
}

/// One language's lines: its headline over the rows that passed, and the rows left
/// out; or, when fewer than two passed, one line saying there is no verdict and why.
/// `who` names the language when both ran (` on the Rust models`).
fn language(rows: &[ResultRow], base: Strategy, sweep: bool, who: &str) -> Vec<String> {
    let (ranked, failed): (Vec<ResultRow>, Vec<ResultRow>) = rows.iter().cloned().partition(passed);
    if failed.is_empty() {
        return headline(&ranked, base, sweep).into_iter().collect();
    }
    let left_out: Vec<String> = failed
        .iter()
        .filter_map(|r| Some(format!("{} ({})", label(r, sweep), failure(r)?)))
        .collect();
    let left_out = left_out.join(", ");
    match &ranked[..] {
        [] => {
            let listed = |item: &dyn Fn(&ResultRow) -> String| {
                failed.iter().map(item).collect::<Vec<_>>().join(", ")
            };
            let requests = |r: &ResultRow| r.io.as_ref().map_or(0, |io| io.failed);
            let line = if failed.len() == 1 {
                format!("{left_out} is the only model, and its time cannot be trusted")
            } else if failed.iter().all(|r| requests(r) > 0) {
                format!(
                    "every model had failed requests ({}), and a run timed on errors says \
                     nothing about its model",
                    listed(&|r| format!("{} {}", label(r, sweep), requests(r)))
                )
            } else if failed.iter().all(|r| requests(r) == 0) {
                format!(
                    "every model returned wrong results ({}), so no time can be trusted",
                    listed(&|r| label(r, sweep))
                )
            } else {
                format!("no model passed its checks, so no time can be trusted: {left_out}")
            };
            vec![format!("no verdict{who}: {line}")]
        }
        [only] => vec![format!(
            "no verdict{who}: only {} passed its checks, with nothing to compare it with; \
             left out: {left_out}",
            label(only, sweep)
        )],
        _ => headline(&ranked, base, sweep)
            .into_iter()
            .chain([format!(
                "left out of the verdict{who}, as their times cannot be trusted: {left_out}"
            )])
            .collect(),
    }
}

/// "X ran N× (95 % CI a–b×) faster than BASE, M× faster than Y, …" for one
/// language's rows; against the fastest when `base` did not run.
fn headline(rows: &[ResultRow], base: Strategy, sweep: bool) -> Option<String> {
    if rows.len() < 2 {
        return None;
    }
    let fastest = &rows[super::table::fastest(rows)?];
    let name = |row: &ResultRow| label(row, sweep);
    let others = best_of_each_model(rows, fastest);
    let mut line = format!("{} ran", name(fastest));
    match rows.iter().find(|r| r.strategy == base) {
        Some(b) if b.strategy != fastest.strategy => {
            line.push_str(&format!(" {} faster than {base}", times(b, fastest)));
            for r in others.iter().filter(|r| r.strategy != base) {
                line.push_str(&format!(
                    ", {} faster than {}",
                    short_times(r, fastest),
                    name(r)
                ));
            }
        }
        _ => {
            for (i, r) in others.iter().enumerate() {
                let ratio = if i == 0 {
                    times(r, fastest)
                } else {
                    short_times(r, fastest)
                };
                line.push_str(&format!(
                    "{} {ratio} faster than {}",
                    if i == 0 { "" } else { "," },
                    name(r)
                ));
            }
        }
    }
    // The same work cannot go faster than the workers that share it: say so in the
    // line itself, so that the ratio is never read as a plain fact. (Speedups are
    // against `base`: none to speak of when it was left out.)
    let has_base = rows.iter().any(|r| r.strategy == base);
    if let Some(row) = rows
        .iter()
        .filter(|r| has_base && crate::selfcheck::impossible_speedup(r))
        .max_by(|a, b| {
            a.speedup
                .unwrap_or(0.0)
                .total_cmp(&b.speedup.unwrap_or(0.0))
        })
    {
        line.push_str(&format!(
            ". But {} ran {}× faster than {base} with {} worker{}, more than the same work \
             allows: these figures are biased (code layout, frequency scaling or a busy \
             machine), not a result",
            name(row),
            number(row.speedup.unwrap_or(f64::NAN)),
            row.workers,
            if row.workers == 1 { "" } else { "s" }
        ));
    }
    Some(line)
}

/// The row of `strategy` with the best speedup (a sweep has several).
fn best(rows: &[ResultRow], strategy: Strategy) -> Option<&ResultRow> {
    rows.iter()
        .filter(|r| r.strategy == strategy)
        .min_by(|a, b| a.wall_s.median.total_cmp(&b.wall_s.median))
}

/// `slow`'s median over `fast`'s: how many times faster `fast` ran.
fn ratio(slow: &ResultRow, fast: &ResultRow) -> String {
    format!("{}×", number(slow.wall_s.median / fast.wall_s.median))
}

/// Which lessons of the Python experiment carry over, from this run's figures.
fn lessons(rows: &[ResultRow]) -> Vec<String> {
    use Strategy::*;
    let get = |s| best(rows, s);
    let mut lines = Vec::new();
    let workload = rows.first().map(|r| r.workload);
    if workload == Some(crate::workload::Workload::Cpu) {
        if let (Some(pt), Some(ps), Some(rt), Some(rs)) = (
            get(PyThreads),
            get(PySequential),
            get(Threads),
            get(Sequential),
        ) {
            lines.push(format!(
                "GIL: py-threads ran {} py-sequential's speed; Rust threads {} sequential's",
                ratio(ps, pt),
                ratio(rs, rt)
            ));
        }
    } else if let (Some(pa), Some(pt), Some(ra), Some(rt)) =
        (get(PyAsyncio), get(PyThreads), get(Async), get(Threads))
    {
        lines.push(format!(
            "asyncio vs threads: Python {} faster, Rust {} faster",
            ratio(pt, pa),
            ratio(rt, ra)
        ));
    }
    if let (Some(pp), Some(ps), Some(rp), Some(rs)) = (
        get(PyProcesses),
        get(PySequential),
        get(Processes),
        get(Sequential),
    ) {
        lines.push(format!(
            "processes pay start-up: py-processes ran {} py-sequential's speed after {} of \
             pool start; Rust processes {} sequential's after {}",
            ratio(ps, pp),
            super::format::seconds(pp.setup_s.median),
            ratio(rs, rp),
            super::format::seconds(rp.setup_s.median)
        ));
    }
    if let (Some(ps), Some(rs)) = (get(PySequential), get(Sequential)) {
        lines.push(format!(
            "language: Rust sequential ran {} faster than py-sequential",
            ratio(ps, rs)
        ));
    }
    lines
}

/// True when some model ran at more than one worker count.
fn has_sweep(rows: &[ResultRow]) -> bool {
    rows.iter().any(|a| {
        rows.iter()
            .any(|b| a.strategy == b.strategy && a.workers != b.workers)
    })
}

/// `threads`, or `threads ×4` in a sweep.
fn label(row: &ResultRow, sweep: bool) -> String {
    if sweep && !row.strategy.single() {
        format!("{} ×{}", row.strategy, row.workers)
    } else {
        row.strategy.to_string()
    }
}

/// Every model but the fastest's, by its fastest row, in table order.
fn best_of_each_model<'a>(rows: &'a [ResultRow], fastest: &ResultRow) -> Vec<&'a ResultRow> {
    let mut best: Vec<&ResultRow> = Vec::new();
    for row in rows.iter().filter(|r| r.strategy != fastest.strategy) {
        match best.iter_mut().find(|b| b.strategy == row.strategy) {
            Some(b) if row.wall_s.median < b.wall_s.median => *b = row,
            Some(_) => {}
            None => best.push(row),
        }
    }
    best
}

/// `130× (95 % CI 127–133×)`: how many times faster `fast` ran than `slow`, with the
/// interval the report stores when one of the two is the other's sequential (the
/// ratio is then a row's speedup, or its inverse); the ratio alone otherwise, or when
/// the runs were too few for an interval.
fn times(slow: &ResultRow, fast: &ResultRow) -> String {
    let ratio = format!("{}×", number(slow.wall_s.median / fast.wall_s.median));
    match speedup_interval(slow, fast) {
        Some([low, high]) => format!("{ratio} (95 % CI {}–{}×)", number(low), number(high)),
        None => ratio,
    }
}

/// The stored interval of `slow`'s median over `fast`'s, when one row is the other's
/// baseline: `fast`'s `speedup_ci95`, or `slow`'s inverted.
fn speedup_interval(slow: &ResultRow, fast: &ResultRow) -> Option<[f64; 2]> {
    let is_baseline_of = |base: &ResultRow, row: &ResultRow| {
        base.strategy == row.strategy.baseline() && row.strategy != base.strategy
    };
    if is_baseline_of(slow, fast) {
        fast.speedup_ci95
    } else if is_baseline_of(fast, slow) {
        slow.speedup_ci95.map(|[low, high]| [1.0 / high, 1.0 / low])
    } else {
        None
    }
}

/// `26×`, without an interval.
fn short_times(slow: &ResultRow, fast: &ResultRow) -> String {
    format!("{}×", number(slow.wall_s.median / fast.wall_s.median))
}

/// Three significant digits, no more than two decimals: `130`, `26.1`, `1.97`.
fn number(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

#[cfg(test)]
mod tests {
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
}
