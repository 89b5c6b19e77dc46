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
/// first indented by two spaces. A figure and its unit stay on one line: `67.4 KiB`
/// is never `67.4` at the end of one line and `KiB` at the start of the next.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in unbroken(text) {
        let line = lines.last_mut().expect("one line at least");
        let len = line.chars().count();
        if len > 2 && len + 1 + word.chars().count() > width {
            lines.push(format!("  {word}"));
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
    }
    lines.join("\n")
}

/// The units a figure in a verdict may carry.
const UNITS: &[&str] = &[
    "B", "KiB", "MiB", "GiB", "TiB", "ns", "µs", "us", "ms", "s", "%",
];

/// `text`'s words, a unit joined to the figure before it.
fn unbroken(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(' ') {
        // `KiB),` and `KiB–47.0` start with a unit too.
        let end = word
            .find(|c: char| !(c.is_alphabetic() || c == '%'))
            .unwrap_or(word.len());
        let unit = &word[..end];
        let after_figure = words
            .last()
            .is_some_and(|last| last.ends_with(|c: char| c.is_ascii_digit()));
        match words.last_mut() {
            Some(last) if after_figure && UNITS.contains(&unit) => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
    }
    words
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
pub(crate) fn lines(rows: &[ResultRow]) -> Vec<String> {
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
    let slower: Vec<(bool, String)> = ranked
        .iter()
        .filter(|r| r.strategy != r.strategy.baseline())
        .filter_map(|r| {
            let base = ranked
                .iter()
                .find(|b| b.strategy == r.strategy.baseline())?;
            let speedup = base.wall_s.median / r.wall_s.median;
            // Slower for sure: the whole interval below 1, or with no interval a
            // ratio that prints below 1.00×. A tie is not "slower".
            let slower = match r.speedup_ci95 {
                Some([_, high]) => high < 1.0,
                None => speedup < 0.995,
            };
            slower.then(|| {
                (
                    r.strategy.is_python(),
                    format!("{} ({speedup:.2}× {})", label(r, sweep), base.strategy),
                )
            })
        })
        .collect();
    if !slower.is_empty() {
        let gil = slower.iter().any(|(python, _)| *python);
        let names: Vec<&str> = slower.iter().map(|(_, name)| name.as_str()).collect();
        lines.push(format!(
            "slower than sequential: {}. Not a bug: here start-up, contention{} cost more \
             than the parallelism saves.",
            names.join(", "),
            if gil { " or the GIL" } else { "" }
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
/// The gate's own test ([`crate::report::failed_checks`]), so that a row the gate
/// refuses to compare is never the verdict's winner either.
fn passed(row: &ResultRow) -> bool {
    failure(row).is_none()
}

/// Why a row's time cannot be trusted, `wrong results` or `3 failed requests`, by
/// the gate's test ([`crate::report::failed_checks`]); `None` when it passed its
/// checks. Charts mark such rows with it too.
pub(crate) fn failure(row: &ResultRow) -> Option<String> {
    crate::report::failed_checks(row)?;
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

pub(crate) mod tasks;

#[cfg(test)]
mod tests;
