//! `--expect 'cpu.processes.speedup >= 1.7'`: a gate on the figures of the run itself.
//!
//! Where [`crate::compare`] needs a saved baseline, an expectation needs only the
//! current run: "processes must beat sequential by 1.7× on this machine", or "rayon
//! must beat processes". Ratios measured in one run (speedup, efficiency) are the
//! robust ones to gate on, as the runs of every model are interleaved and share the
//! machine's state; absolute figures (median, requests/s) are accepted too, for a
//! machine you control.
//!
//! The grammar is `FIGURE OP NUMBER` or `FIGURE OP FIGURE`, spaces optional:
//!
//! - FIGURE: `WORKLOAD.STRATEGY.METRIC`;
//! - WORKLOAD: `cpu` or `io`;
//! - STRATEGY: a model name or alias, as `--strategy` takes them (`processes`,
//!   `multiprocess`, `mp`, ...);
//! - METRIC: `speedup`, `efficiency` (a fraction; `80%` is accepted), `median` or
//!   `median_s` (wall seconds; `200ms`, `1.5s`, `800us` accepted), `rps` or
//!   `requests_per_s` (io only);
//! - OP: `>=`, `>`, `<=`, `<`;
//! - a right-hand FIGURE must have the same metric as the left one:
//!   `cpu.rayon.speedup > cpu.processes.speedup`.
//!
//! Every expectation is checked against the models and workloads selected before
//! anything runs ([`check_selection`]), and prints one line after the run:
//! `ok  cpu.rayon.efficiency 0.97 ≥ 0.8`, or `FAIL cpu.rayon.efficiency 0.50 < 0.8`.

use anyhow::anyhow;

use crate::error::quote;
use crate::output::format;
use crate::report::{Report, ResultRow};
use crate::strategy::Strategy;
use crate::workload::Workload;

#[cfg(test)]
mod tests;

/// The metric names `--expect` takes, for messages and `--help`.
pub const METRICS: &str = "speedup, efficiency, median (median_s), rps (requests_per_s)";

/// One parsed `--expect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The left-hand side: the figure under test.
    pub figure: Figure,
    pub op: Op,
    /// What the figure is compared with.
    pub bound: Bound,
    /// As the user wrote it (trimmed), for messages.
    pub text: String,
}

/// One figure of a run: `cpu.processes.speedup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub workload: Workload,
    pub strategy: Strategy,
    pub metric: Metric,
}

impl Figure {
    /// `cpu.processes.speedup`, with canonical names whatever alias was typed.
    pub fn name(&self) -> String {
        format!(
            "{}.{}.{}",
            self.workload.name(),
            self.strategy.name(),
            self.metric.name()
        )
    }
}

/// The right-hand side of an expectation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// In the metric's own unit: a ratio, a fraction, seconds, requests per second.
    Value(f64),
    /// Another figure of the same run, with the same metric.
    Figure(Figure),
}

/// A figure of a report row an expectation can gate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `speedup`: sequential's median / this median.
    Speedup,
    /// `efficiency`: speedup / workers, a fraction.
    Efficiency,
    /// `wall_s.median`, seconds.
    Median,
    /// `io.requests_per_s`.
    RequestsPerS,
}

impl Metric {
    fn parse(name: &str) -> Option<Metric> {
        Some(match name.to_ascii_lowercase().as_str() {
            "speedup" => Metric::Speedup,
            "efficiency" => Metric::Efficiency,
            "median" | "median_s" => Metric::Median,
            "rps" | "requests_per_s" => Metric::RequestsPerS,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Speedup => "speedup",
            Metric::Efficiency => "efficiency",
            Metric::Median => "median",
            Metric::RequestsPerS => "requests_per_s",
        }
    }

    /// A measured value, rounded as tables show it.
    fn show(self, value: f64) -> String {
        match self {
            Metric::Speedup | Metric::Efficiency => format!("{value:.2}"),
            Metric::Median => format::seconds(value),
            Metric::RequestsPerS => format!("{value:.0}"),
        }
    }

    /// A number the user wrote, unrounded (`0.8`, `1.525`), seconds with their unit.
    fn show_bound(self, value: f64) -> String {
        match self {
            Metric::Median => format::seconds(value),
            _ => format!("{value}"),
        }
    }

    /// Speedup and efficiency are relative to sequential (or py-sequential) in the same
    /// run.
    fn needs_sequential(self) -> bool {
        matches!(self, Metric::Speedup | Metric::Efficiency)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }

    /// The relation as a line shows it: `≥` for `>=`.
    fn sign(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Gt => ">",
            Op::Le => "≤",
            Op::Lt => "<",
        }
    }

    /// The relation that holds when this one does not: `<` for `>=`.
    fn negated(self) -> Op {
        match self {
            Op::Ge => Op::Lt,
            Op::Gt => Op::Le,
            Op::Le => Op::Gt,
            Op::Lt => Op::Ge,
        }
    }

    /// False for NaN, so an unmeasurable figure never passes.
    fn holds(self, measured: f64, expected: f64) -> bool {
        match self {
            Op::Ge => measured >= expected,
            Op::Gt => measured > expected,
            Op::Le => measured <= expected,
            Op::Lt => measured < expected,
        }
    }
}

/// Parses `FIGURE OP NUMBER` or `FIGURE OP FIGURE`; the error is one line.
pub fn parse(text: &str) -> Result<Expectation, String> {
    let text = text.trim();
    let Some(at) = text.find(['<', '>', '=', '!']) else {
        return Err(format!("no comparison (>=, >, <=, <); {SHAPE}"));
    };
    let (path, rest) = text.split_at(at);
    let symbol: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
    let op = match symbol.as_str() {
        ">=" => Op::Ge,
        ">" => Op::Gt,
        "<=" => Op::Le,
        "<" => Op::Lt,
        _ => {
            return Err(format!(
                "unknown comparison '{symbol}' (expected >=, >, <=, <)"
            ));
        }
    };
    let figure = parse_figure(path.trim())?;
    let right = rest[symbol.len()..].trim();
    // A figure starts with a letter and has dots; a number never both ("inf" has no dot).
    let bound = if right.starts_with(char::is_alphabetic) && right.contains('.') {
        let other = parse_figure(right)?;
        if other.metric != figure.metric {
            return Err(format!(
                "cannot compare {} with {}: both sides must be the same metric",
                figure.metric.name(),
                other.metric.name()
            ));
        }
        Bound::Figure(other)
    } else {
        Bound::Value(parse_value(right, figure.metric)?)
    };
    Ok(Expectation {
        figure,
        op,
        bound,
        text: text.to_string(),
    })
}

const SHAPE: &str = "expected WORKLOAD.STRATEGY.METRIC OP NUMBER or OP WORKLOAD.STRATEGY.METRIC, \
     e.g. cpu.processes.speedup >= 1.7";

/// `WORKLOAD.STRATEGY.METRIC`.
fn parse_figure(path: &str) -> Result<Figure, String> {
    let parts: Vec<&str> = path.split('.').map(str::trim).collect();
    let [workload, strategy, metric] = parts[..] else {
        return Err(format!(
            "{} is not WORKLOAD.STRATEGY.METRIC; {SHAPE}",
            quote(path)
        ));
    };
    let workload = match workload.to_ascii_lowercase().as_str() {
        "cpu" => Workload::Cpu,
        "io" => Workload::Io,
        _ => {
            return Err(format!(
                "unknown workload {} (expected cpu or io)",
                quote(workload)
            ));
        }
    };
    let strategy = Strategy::parse(strategy).ok_or_else(|| {
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        format!(
            "unknown strategy {} (expected {})",
            quote(strategy),
            names.join(", ")
        )
    })?;
    let metric = Metric::parse(metric)
        .ok_or_else(|| format!("unknown metric {} (expected {METRICS})", quote(metric)))?;
    // The one metric of each workload alone: rows of the other never carry it.
    let only = match metric {
        Metric::RequestsPerS => Some(Workload::Io),
        Metric::Efficiency => Some(Workload::Cpu),
        Metric::Speedup | Metric::Median => None,
    };
    if let Some(only) = only.filter(|&only| only != workload) {
        return Err(format!(
            "{} is {} {} figure; {} rows have none",
            metric.name(),
            if only == Workload::Io { "an" } else { "a" },
            only.name(),
            workload.name()
        ));
    }
    Ok(Figure {
        workload,
        strategy,
        metric,
    })
}

/// The number after the comparison, with the units its metric allows.
fn parse_value(number: &str, metric: Metric) -> Result<f64, String> {
    if number.is_empty() {
        return Err("no number after the comparison".to_string());
    }
    // A plain number first, so that 1e3 is a number and not 1 with the unit "e3".
    let split = if number.parse::<f64>().is_ok() {
        number.len()
    } else {
        number
            .find(|c: char| c.is_alphabetic() || c == '%')
            .unwrap_or(number.len())
    };
    let (digits, unit) = (number[..split].trim(), number[split..].trim());
    if digits.is_empty() {
        return Err(format!("{} is not a number", quote(number)));
    }
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("{} is not a number", quote(number)))?;
    if !value.is_finite() {
        return Err(format!("{} is not a finite number", quote(number)));
    }
    let scale = match (metric, unit) {
        (_, "") => 1.0,
        (Metric::Efficiency, "%") => 0.01,
        (Metric::Median, "s") => 1.0,
        (Metric::Median, "ms") => 1e-3,
        (Metric::Median, "us" | "µs") => 1e-6,
        _ => {
            return Err(format!(
                "unit {} does not fit {} (efficiency takes %, median takes s, ms or us)",
                quote(unit),
                metric.name()
            ));
        }
    };
    Ok(value * scale)
}

/// What a run about to start will measure: each workload with its worker counts
/// (`--workers`), and the models (`--strategy`).
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    pub workloads: &'a [(Workload, &'a [usize])],
    pub strategies: &'a [Strategy],
}

/// Whether the run about to start will measure what `expectation` reads, on both
/// sides, as one figure: its workload; its model, at one worker count (a model that
/// runs at every count of a sweep has a row for each); and, for a speedup or an
/// efficiency, the model it is measured against (sequential, or py-sequential for a
/// Python model). The error is one line, found before anything runs, so that no
/// expectation can only fail after it.
pub fn check_selection(expectation: &Expectation, selection: Selection<'_>) -> Result<(), String> {
    let strategies = selection.strategies;
    let selected: Vec<&str> = strategies.iter().map(|s| s.name()).collect();
    let mut figures = vec![expectation.figure];
    if let Bound::Figure(other) = expectation.bound {
        figures.push(other);
    }
    for figure in figures {
        let Some((_, workers)) = selection
            .workloads
            .iter()
            .find(|(workload, _)| *workload == figure.workload)
        else {
            let run: Vec<&str> = selection.workloads.iter().map(|(w, _)| w.name()).collect();
            return Err(format!(
                "this run has no {} job (it runs {} only)",
                figure.workload.name(),
                run.join(" and ")
            ));
        };
        let strategy = figure.strategy;
        if !strategies.contains(&strategy) {
            return Err(format!(
                "{} is not among the models run (--strategy {})",
                strategy.name(),
                selected.join(",")
            ));
        }
        if !strategy.single() && workers.len() > 1 {
            let counts: Vec<String> = workers.iter().map(usize::to_string).collect();
            return Err(format!(
                "{} runs at {} worker counts (--workers {}), a row each, and an expectation \
                 names one figure; give --workers one count",
                strategy.name(),
                workers.len(),
                counts.join(",")
            ));
        }
        let reference = strategy.baseline();
        if figure.metric.needs_sequential() && !strategies.contains(&reference) {
            // Against sequential goes without saying; against py-sequential does not.
            let of = if reference == Strategy::Sequential {
                String::new()
            } else {
                format!(" of {}", strategy.name())
            };
            return Err(format!(
                "{}{of} is measured against {}, which is not among the models run (--strategy {})",
                figure.metric.name(),
                reference.name(),
                selected.join(",")
            ));
        }
    }
    Ok(())
}

/// An expectation checked on a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub passed: bool,
    /// `ok  cpu.rayon.efficiency 0.97 ≥ 0.8` or `FAIL cpu.rayon.efficiency 0.50 < 0.8`,
    /// printed for every expectation.
    pub line: String,
    /// `cpu.rayon.efficiency >= 0.8 failed: measured 0.50`, for the error that ends
    /// a failed gate.
    pub failure: String,
}

/// Checks `expectation` on `report`. `Err` when the report has no such row or figure:
/// the gate cannot be evaluated, which is an error, not a pass.
pub fn check(expectation: &Expectation, report: &Report) -> anyhow::Result<Checked> {
    let read = |figure: &Figure| {
        measure(figure, report).map_err(|e| anyhow!("--expect '{}': {e}", expectation.text))
    };
    let figure = &expectation.figure;
    let measured = read(figure)?;
    let (bound, shown, of_bound) = match &expectation.bound {
        Bound::Value(value) => (*value, figure.metric.show_bound(*value), String::new()),
        Bound::Figure(other) => {
            let value = read(other)?;
            let shown = format!("{} {}", other.name(), other.metric.show(value));
            (value, shown, format!(" vs {}", other.metric.show(value)))
        }
    };
    let passed = expectation.op.holds(measured, bound);
    let (mark, op) = if passed {
        ("ok ", expectation.op)
    } else {
        ("FAIL", expectation.op.negated())
    };
    let value = figure.metric.show(measured);
    Ok(Checked {
        passed,
        line: format!("{mark} {} {value} {} {shown}", figure.name(), op.sign()),
        failure: format!("{} failed: measured {value}{of_bound}", expectation.text),
    })
}

/// The value of one figure in `report`; the error is one line.
fn measure(figure: &Figure, report: &Report) -> Result<f64, String> {
    let rows: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|row| row.workload == figure.workload && row.strategy == figure.strategy)
        .collect();
    let (workload, strategy) = (figure.workload.name(), figure.strategy.name());
    let row = match rows[..] {
        [row] => row,
        [] => return Err(format!("no {workload} row for {strategy} in this run")),
        _ => {
            let workers: Vec<String> = rows.iter().map(|row| row.workers.to_string()).collect();
            return Err(format!(
                "several {workload} rows for {strategy} in this run (workers {}); --expect cannot tell which",
                workers.join(", ")
            ));
        }
    };
    let measured = match figure.metric {
        Metric::Speedup => row.speedup,
        Metric::Efficiency => row.efficiency,
        Metric::Median => Some(row.wall_s.median),
        Metric::RequestsPerS => row.io.as_ref().map(|io| io.requests_per_s),
    };
    measured.ok_or_else(|| {
        let why = if figure.metric.needs_sequential() {
            " (it needs sequential in the same run)"
        } else {
            ""
        };
        format!(
            "this run has no {} for {workload} {strategy}{why}",
            figure.metric.name()
        )
    })
}
