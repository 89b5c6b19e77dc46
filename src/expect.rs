//! `--expect 'cpu.processes.speedup >= 1.7'`: a gate on one figure of the run itself.
//!
//! Where [`crate::compare`] needs a saved baseline, an expectation needs only the
//! current run: "processes must beat sequential by 1.7× on this machine". Ratios
//! measured in one run (speedup, efficiency) are the robust ones to gate on, as the
//! runs of every model are interleaved and share the machine's state; absolute
//! figures (median, requests/s) are accepted too, for a machine you control.
//!
//! The grammar is `WORKLOAD.STRATEGY.METRIC OP NUMBER`, spaces optional:
//!
//! - WORKLOAD: `cpu` or `io`;
//! - STRATEGY: a model name or alias, as `--strategies` takes them (`processes`,
//!   `multiprocess`, `mp`, ...);
//! - METRIC: `speedup`, `efficiency` (a fraction; `80%` is accepted), `median` or
//!   `median_s` (wall seconds; `200ms`, `1.5s`, `800us` accepted), `rps` or
//!   `requests_per_s` (io only);
//! - OP: `>=`, `>`, `<=`, `<`.

use anyhow::bail;

use crate::output::format;
use crate::report::{Report, ResultRow};
use crate::strategy::Strategy;
use crate::workload::Workload;

/// One parsed `--expect`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub workload: String,
    pub strategy: String,
    pub metric: Metric,
    pub op: Op,
    /// In the metric's own unit: a ratio, a fraction, seconds, requests per second.
    pub value: f64,
    /// As the user wrote it (trimmed), for messages.
    pub text: String,
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

    /// A measured value as the failure message shows it.
    fn show(self, value: f64) -> String {
        match self {
            Metric::Speedup | Metric::Efficiency => format!("{value:.2}"),
            Metric::Median => format::seconds(value),
            Metric::RequestsPerS => format!("{value:.0}"),
        }
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

/// Parses `WORKLOAD.STRATEGY.METRIC OP NUMBER`; the error is one line.
pub fn parse(text: &str) -> Result<Expectation, String> {
    const SHAPE: &str = "expected WORKLOAD.STRATEGY.METRIC OP NUMBER, e.g. cpu.processes.speedup >= 1.7";
    let text = text.trim();
    let Some(at) = text.find(['<', '>', '=', '!']) else {
        return Err(format!("no comparison (>=, >, <=, <); {SHAPE}"));
    };
    let (path, rest) = text.split_at(at);
    let (op, number) = if let Some(number) = rest.strip_prefix(">=") {
        (Op::Ge, number)
    } else if let Some(number) = rest.strip_prefix("<=") {
        (Op::Le, number)
    } else if let Some(number) = rest.strip_prefix('>') {
        (Op::Gt, number)
    } else if let Some(number) = rest.strip_prefix('<') {
        (Op::Lt, number)
    } else {
        let op: String = rest.chars().take_while(|c| "<>=!".contains(*c)).collect();
        return Err(format!("unknown comparison '{op}' (expected >=, >, <=, <)"));
    };
    if number.trim_start().starts_with(['<', '>', '=']) {
        return Err(format!("unknown comparison '{}' (expected >=, >, <=, <)", rest.split_whitespace().next().unwrap_or(rest)));
    }

    let parts: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    let [workload, strategy, metric] = parts[..] else {
        return Err(format!("'{}' is not WORKLOAD.STRATEGY.METRIC; {SHAPE}", path.trim()));
    };
    let workload = match workload.to_ascii_lowercase().as_str() {
        "cpu" => Workload::Cpu,
        "io" => Workload::Io,
        _ => return Err(format!("unknown workload '{workload}' (expected cpu or io)")),
    };
    let strategy = Strategy::parse(strategy).ok_or_else(|| {
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        format!("unknown strategy '{strategy}' (expected {})", names.join(", "))
    })?;
    let metric = Metric::parse(metric).ok_or_else(|| {
        format!("unknown metric '{metric}' (expected speedup, efficiency, median, median_s, rps or requests_per_s)")
    })?;
    if metric == Metric::RequestsPerS && workload != Workload::Io {
        return Err(format!("{} is an io figure; {} rows have none", metric.name(), workload.name()));
    }
    let value = parse_value(number.trim(), metric)?;
    Ok(Expectation {
        workload: workload.name().to_string(),
        strategy: strategy.name().to_string(),
        metric,
        op,
        value,
        text: text.to_string(),
    })
}

/// The number after the comparison, with the units its metric allows.
fn parse_value(number: &str, metric: Metric) -> Result<f64, String> {
    // A plain number first, so that 1e3 is a number and not 1 with the unit "e3".
    let split = if number.parse::<f64>().is_ok() {
        number.len()
    } else {
        number.find(|c: char| c.is_alphabetic() || c == '%').unwrap_or(number.len())
    };
    let (digits, unit) = (number[..split].trim(), number[split..].trim());
    if digits.is_empty() {
        return Err("no number after the comparison".to_string());
    }
    let value: f64 = digits.parse().map_err(|_| format!("'{number}' is not a number"))?;
    if !value.is_finite() {
        return Err(format!("'{number}' is not a finite number"));
    }
    let scale = match (metric, unit) {
        (_, "") => 1.0,
        (Metric::Efficiency, "%") => 0.01,
        (Metric::Median, "s") => 1.0,
        (Metric::Median, "ms") => 1e-3,
        (Metric::Median, "us" | "µs") => 1e-6,
        _ => {
            return Err(format!(
                "unit '{unit}' does not fit {} (efficiency takes %, median takes s, ms or us)",
                metric.name()
            ));
        }
    };
    Ok(value * scale)
}

/// `Ok(None)` when the expectation holds, `Ok(Some(message))` when it fails, `Err`
/// when the report has no such row or figure (the gate cannot be evaluated, which is
/// an error, not a pass).
pub fn check(expectation: &Expectation, report: &Report) -> anyhow::Result<Option<String>> {
    let rows: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|row| {
            row.workload.name() == expectation.workload && row.strategy.name() == expectation.strategy
        })
        .collect();
    let row = match rows[..] {
        [row] => row,
        [] => bail!("no {} row for {} in this run", expectation.workload, expectation.strategy),
        _ => {
            let workers: Vec<String> = rows.iter().map(|row| row.workers.to_string()).collect();
            bail!(
                "several {} rows for {} in this run (workers {}); --expect cannot tell which",
                expectation.workload,
                expectation.strategy,
                workers.join(", ")
            )
        }
    };
    let measured = match expectation.metric {
        Metric::Speedup => row.speedup,
        Metric::Efficiency => row.efficiency,
        Metric::Median => Some(row.wall_s.median),
        Metric::RequestsPerS => row.io.as_ref().map(|io| io.requests_per_s),
    };
    let Some(measured) = measured else {
        let why = match expectation.metric {
            Metric::Speedup | Metric::Efficiency => " (it needs sequential in the same run)",
            _ => "",
        };
        bail!(
            "{}: this run has no {} for {} {}{why}",
            expectation.text,
            expectation.metric.name(),
            expectation.workload,
            expectation.strategy
        );
    };
    if expectation.op.holds(measured, expectation.value) {
        Ok(None)
    } else {
        Ok(Some(format!("{} failed: measured {}", expectation.text, expectation.metric.show(measured))))
    }
}
