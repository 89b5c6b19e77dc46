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
//! - STRATEGY: a model name or alias, as `--strategy` takes them (`processes`,
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
    const SHAPE: &str =
        "expected WORKLOAD.STRATEGY.METRIC OP NUMBER, e.g. cpu.processes.speedup >= 1.7";
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
    let number = &rest[symbol.len()..];

    let parts: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    let [workload, strategy, metric] = parts[..] else {
        return Err(format!(
            "'{}' is not WORKLOAD.STRATEGY.METRIC; {SHAPE}",
            path.trim()
        ));
    };
    let workload = match workload.to_ascii_lowercase().as_str() {
        "cpu" => Workload::Cpu,
        "io" => Workload::Io,
        _ => {
            return Err(format!(
                "unknown workload '{workload}' (expected cpu or io)"
            ));
        }
    };
    let strategy = Strategy::parse(strategy).ok_or_else(|| {
        let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
        format!(
            "unknown strategy '{strategy}' (expected {})",
            names.join(", ")
        )
    })?;
    let metric = Metric::parse(metric).ok_or_else(|| {
        format!("unknown metric '{metric}' (expected speedup, efficiency, median, median_s, rps or requests_per_s)")
    })?;
    if metric == Metric::RequestsPerS && workload != Workload::Io {
        return Err(format!(
            "{} is an io figure; {} rows have none",
            metric.name(),
            workload.name()
        ));
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
        return Err(format!("'{number}' is not a number"));
    }
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("'{number}' is not a number"))?;
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

/// Whether the run about to start will measure what `expectation` reads: its
/// workload, its model, and sequential for a speedup or an efficiency. The error is
/// one line, found before anything runs.
pub fn check_selection(
    expectation: &Expectation,
    workloads: &[Workload],
    strategies: &[Strategy],
) -> Result<(), String> {
    let selected: Vec<&str> = strategies.iter().map(|s| s.name()).collect();
    if !workloads.iter().any(|w| w.name() == expectation.workload) {
        let run: Vec<&str> = workloads.iter().map(|w| w.name()).collect();
        return Err(format!(
            "this run has no {} job (it runs {} only)",
            expectation.workload,
            run.join(" and ")
        ));
    }
    if !selected.contains(&expectation.strategy.as_str()) {
        return Err(format!(
            "{} is not among the models run (--strategy {})",
            expectation.strategy,
            selected.join(",")
        ));
    }
    let relative = matches!(expectation.metric, Metric::Speedup | Metric::Efficiency);
    if relative && !strategies.contains(&Strategy::Sequential) {
        return Err(format!(
            "{} is measured against sequential, which is not among the models run (--strategy {})",
            expectation.metric.name(),
            selected.join(",")
        ));
    }
    Ok(())
}

/// `Ok(None)` when the expectation holds, `Ok(Some(message))` when it fails, `Err`
/// when the report has no such row or figure (the gate cannot be evaluated, which is
/// an error, not a pass).
pub fn check(expectation: &Expectation, report: &Report) -> anyhow::Result<Option<String>> {
    let rows: Vec<&ResultRow> = report
        .results
        .iter()
        .filter(|row| {
            row.workload.name() == expectation.workload
                && row.strategy.name() == expectation.strategy
        })
        .collect();
    let row = match rows[..] {
        [row] => row,
        [] => bail!(
            "no {} row for {} in this run",
            expectation.workload,
            expectation.strategy
        ),
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
        Ok(Some(format!(
            "{} failed: measured {}",
            expectation.text,
            expectation.metric.show(measured)
        )))
    }
}

#[cfg(test)]
mod tests {
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
            cpu_s: wall,
            peak_rss_bytes: 1 << 20,
            speedup,
            median_ci95_s: [median * 0.99, median * 1.01],
            efficiency: speedup.map(|s| s / workers as f64),
            speedup_ci95: None,
            outliers: Vec::new(),
            cv: 0.01,
            verified: true,
            checksum: "1".to_string(),
            io: None,
        }
    }

    /// cpu: sequential 0.2 s, processes 1.52× (efficiency 0.76), threads without a
    /// speedup; io: async at 2,000 requests per second.
    fn report() -> Report {
        let io = ResultRow {
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
            }),
            ..row(Workload::Io, Strategy::Async, 0.05, None)
        };
        Report {
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
                io: None,
            },
            results: vec![
                row(Workload::Cpu, Strategy::Sequential, 0.2, Some(1.0)),
                row(Workload::Cpu, Strategy::Processes, 0.2 / 1.52, Some(1.52)),
                row(Workload::Cpu, Strategy::Threads, 0.15, None),
                io,
            ],
        }
    }

    fn expectation(
        workload: &str,
        strategy: &str,
        metric: Metric,
        op: Op,
        value: f64,
        text: &str,
    ) -> Expectation {
        Expectation {
            workload: workload.to_string(),
            strategy: strategy.to_string(),
            metric,
            op,
            value,
            text: text.to_string(),
        }
    }

    #[test]
    fn parses_the_documented_form_and_its_variants() {
        assert_eq!(
            parse("cpu.processes.speedup >= 1.7"),
            Ok(expectation(
                "cpu",
                "processes",
                Metric::Speedup,
                Op::Ge,
                1.7,
                "cpu.processes.speedup >= 1.7"
            ))
        );
        assert_eq!(
            parse("  cpu.mp.speedup>=1.7 "),
            Ok(expectation(
                "cpu",
                "processes",
                Metric::Speedup,
                Op::Ge,
                1.7,
                "cpu.mp.speedup>=1.7"
            ))
        );
        let e = parse("CPU.multiprocess.Efficiency > 0.5").unwrap();
        assert_eq!(
            (e.strategy.as_str(), e.metric, e.op, e.value),
            ("processes", Metric::Efficiency, Op::Gt, 0.5)
        );
        assert_eq!(parse("cpu.threads.efficiency >= 80%").unwrap().value, 0.8);
        let e = parse("cpu.threads.median_s <= 0.25").unwrap();
        assert_eq!((e.metric, e.op, e.value), (Metric::Median, Op::Le, 0.25));
        assert_eq!(parse("cpu.threads.median < 200ms").unwrap().value, 0.2);
        assert_eq!(parse("cpu.threads.median < 1.5 s").unwrap().value, 1.5);
        assert!((parse("cpu.threads.median < 800us").unwrap().value - 800e-6).abs() < 1e-15);
        let e = parse("io.async.rps>1e3").unwrap();
        assert_eq!(
            (e.workload.as_str(), e.metric, e.op, e.value),
            ("io", Metric::RequestsPerS, Op::Gt, 1000.0)
        );
        assert_eq!(
            parse("io.tokio.requests_per_s >= 500").unwrap().strategy,
            "async"
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
        assert!(error("cpu.processes.throughput >= 1.7").contains("unknown metric 'throughput'"));
        assert!(error("cpu.processes.rps >= 100").contains("io figure"));
        assert!(error("cpu.processes.speedup >= ").contains("no number"));
        assert!(error("cpu.processes.speedup >= fast").contains("'fast' is not a number"));
        assert!(error("cpu.processes.speedup >= 1.7x").contains("unit 'x'"));
        assert!(error("cpu.processes.speedup >= 170%").contains("does not fit speedup"));
        assert!(error("cpu.processes.speedup >= inf").contains("not a finite number"));
        assert!(error("cpu.processes.speedup >= 1.2.3").contains("not a number"));
    }

    #[test]
    fn check_passes_and_fails_with_the_measured_value() {
        let report = report();
        let check = |text: &str| super::check(&parse(text).unwrap(), &report).unwrap();
        assert_eq!(check("cpu.processes.speedup >= 1.5"), None);
        assert_eq!(
            check("cpu.processes.speedup >= 1.7"),
            Some("cpu.processes.speedup >= 1.7 failed: measured 1.52".to_string())
        );
        assert_eq!(
            check("cpu.processes.speedup > 1.52"),
            Some("cpu.processes.speedup > 1.52 failed: measured 1.52".to_string())
        );
        assert_eq!(check("cpu.processes.efficiency >= 75%"), None);
        assert_eq!(
            check("cpu.processes.efficiency < 0.7"),
            Some("cpu.processes.efficiency < 0.7 failed: measured 0.76".to_string())
        );
        assert_eq!(check("cpu.sequential.median <= 250ms"), None);
        assert_eq!(
            check("cpu.sequential.median < 150ms"),
            Some("cpu.sequential.median < 150ms failed: measured 200 ms".to_string())
        );
        assert_eq!(check("io.async.rps >= 1500"), None);
        assert_eq!(
            check("io.async.rps >= 2500"),
            Some("io.async.rps >= 2500 failed: measured 2000".to_string())
        );
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
            "no cpu row for rayon in this run"
        );
        assert_eq!(
            error("io.processes.rps >= 1"),
            "no io row for processes in this run"
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
}
