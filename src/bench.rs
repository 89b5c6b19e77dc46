//! `concbench cpu | io | all`: from a validated config to a printed report.
//!
//! Builds one [`RunSpec`] per model, hands them to the engine, turns the samples into
//! rows, prints the table or JSON, and only then fails if a result was wrong or a
//! request failed — so the figures of a failed benchmark are never lost.

use std::io::Write;
use std::time::SystemTime;

use anyhow::{Context, bail};

use crate::analysis::{self, Analysis, ExpectedBytes};
use crate::cli::Format;
use crate::config::{BenchConfig, IoPlan, IoTarget, SaveTo};
use crate::export::{Destination, ExportManager};
use crate::machine::Machine;
use crate::output::{progress, table};
use crate::report::{CpuSettings, IoSettings, Report, ReportConfig, SCHEMA_VERSION};
use crate::runner::{self, Executor};
use crate::target::TargetServer;
use crate::worker::protocol::RunSpec;
use crate::workload::{IoJob, Job, Workload};
use crate::{compare, gate, results};

/// Runs the benchmark and writes its report to `out`.
pub fn run(
    config: &BenchConfig,
    executor: &mut dyn Executor,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let started = SystemTime::now();
    let machine = Machine::current();
    let mut report_config = ReportConfig {
        warmup: config.warmup,
        strategies: config.strategies.clone(),
        cpu: None,
        io: None,
    };
    let mut sections: Vec<(Workload, Analysis)> = Vec::new();
    let mut allow_failures = true;

    if let Some(cpu) = &config.cpu {
        report_config.cpu = Some(CpuSettings {
            runs: cpu.runs,
            kernel: cpu.job.kernel.name().to_string(),
            numbers: cpu.job.numbers.clone(),
            workers: cpu.workers,
        });
        let job = Job::Cpu(cpu.job.clone());
        let models = measure(config, "cpu", cpu.workers, cpu.runs, &job, executor)?;
        sections.push((Workload::Cpu, analysis::cpu(&cpu.job, &models)));
    }

    if let Some(io) = &config.io {
        allow_failures = io.allow_failures;
        let (settings, analysis) = run_io(config, io, executor)?;
        report_config.io = Some(settings);
        sections.push((Workload::Io, analysis));
    }

    let report = Report {
        schema_version: SCHEMA_VERSION,
        created_at: results::rfc3339_utc(started),
        machine,
        config: report_config,
        results: sections
            .iter()
            .flat_map(|(_, a)| a.rows.iter().cloned())
            .collect(),
    };

    // Tables and messages go to stdout unless an export or --format json claims it.
    let mut exports = ExportManager::new();
    for (format, destination) in &config.save.exports {
        exports.add(*format, destination.clone());
    }
    let stdout_is_data = exports.uses_stdout() || config.format == Format::Json;
    let mut stderr = std::io::stderr();
    {
        let human: &mut dyn Write = if exports.uses_stdout() {
            &mut stderr
        } else {
            &mut *out
        };
        match config.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *human, &report).context("writing the report")?;
                writeln!(human)?;
            }
            Format::Table => {
                for (workload, analysis) in &sections {
                    writeln!(human, "{}", title(workload, &report))?;
                    writeln!(human, "{}", table::render(*workload, &analysis.rows))?;
                }
            }
        }
        human.flush()?;
    }
    for warning in sections.iter().flat_map(|(_, a)| &a.warnings) {
        eprintln!("warning: {warning}");
    }
    exports.write_all(&report, out)?;
    for (format, destination) in &config.save.exports {
        if let Destination::File(path) = destination {
            eprintln!("exported {} to {}", format.name(), path.display());
        }
    }

    let problems: Vec<&String> = sections.iter().flat_map(|(_, a)| &a.problems).collect();
    let failed: u64 = sections.iter().map(|(_, a)| a.failed_requests).sum();
    // The report is saved whatever happened (figures are never lost), but a run that
    // failed its checks never becomes a baseline.
    save(config, &report, started, !problems.is_empty() || failed > 0)?;
    if !problems.is_empty() {
        let list: Vec<&str> = problems.iter().map(|p| p.as_str()).collect();
        bail!("wrong results: {}", list.join("; "));
    }
    if failed > 0 && !allow_failures {
        bail!("{failed} requests failed (counted in the table); pass --allow-failures to exit 0");
    }
    let gate_out: &mut dyn Write = if stdout_is_data { &mut stderr } else { out };
    gate::after_run(&report, &config.gate, gate_out)
}

/// Saves the report where `--output`/`--no-save` say, and as a baseline if asked and
/// the run passed its checks (`checks_failed` is false and every row is verified
/// without failed requests): a baseline that `compare` would refuse is never saved.
fn save(
    config: &BenchConfig,
    report: &Report,
    started: SystemTime,
    checks_failed: bool,
) -> anyhow::Result<()> {
    let label = match (&config.cpu, &config.io) {
        (Some(_), Some(_)) => "all",
        (Some(_), None) => "cpu",
        _ => "io",
    };
    let path = match &config.save.to {
        SaveTo::Nowhere => None,
        SaveTo::Path(path) => Some(path.clone()),
        SaveTo::DefaultName => Some(results::default_path(label, started)),
    };
    // Always said, terminal or not: a CI log must show where its files went.
    if let Some(path) = &path {
        results::save(report, path)?;
        eprintln!("saved {}", path.display());
    }
    let Some(path) = &config.save.baseline else {
        return Ok(());
    };
    let name = path.file_stem().unwrap_or_default().to_string_lossy();
    let mut failures: Vec<String> = report
        .results
        .iter()
        .filter_map(|row| {
            let why = compare::failed_checks(row)?;
            Some(format!(
                "{} {} {why}",
                row.workload.name(),
                row.strategy.name()
            ))
        })
        .collect();
    if checks_failed && failures.is_empty() {
        failures.push("wrong results".to_string());
    }
    if !failures.is_empty() {
        eprintln!(
            "not saved as baseline {name}: the run failed its checks ({})",
            failures.join(", ")
        );
        return Ok(());
    }
    let verb = if path.exists() { "replaced" } else { "saved" };
    results::save(report, path)?;
    eprintln!("{verb} baseline {name} ({})", path.display());
    Ok(())
}

/// Runs every model on `job`, interleaved, each run in a fresh process.
fn measure(
    config: &BenchConfig,
    label: &str,
    workers: usize,
    runs: u32,
    job: &Job,
    executor: &mut dyn Executor,
) -> anyhow::Result<Vec<runner::ModelRuns>> {
    let specs: Vec<RunSpec> = config
        .strategies
        .iter()
        .map(|&strategy| RunSpec {
            strategy,
            workers,
            job: job.clone(),
        })
        .collect();
    let bar = progress::bar(label);
    let models = runner::run_interleaved(&specs, config.warmup, runs, executor, &bar);
    bar.finish_and_clear();
    models
}

fn run_io(
    config: &BenchConfig,
    io: &IoPlan,
    executor: &mut dyn Executor,
) -> anyhow::Result<(IoSettings, Analysis)> {
    let mut settings = IoSettings {
        runs: io.runs,
        target: String::new(),
        requests: 0,
        latency_s: None,
        body_bytes: None,
        sites_file: None,
        workers: io.workers,
        concurrency: io.concurrency,
        timeout_s: io.client.timeout.as_secs_f64(),
        max_body_bytes: io.client.max_body_bytes,
    };
    // The server, when there is one, lives until this function returns, on any path.
    let mut _server = None;
    let (urls, expected) = match &io.target {
        IoTarget::Builtin {
            requests,
            settings: target,
        } => {
            let server = TargetServer::start(*target)?;
            let urls = server.urls(*requests);
            _server = Some(server);
            settings.target = "builtin".into();
            settings.latency_s = Some(target.latency.as_secs_f64());
            settings.body_bytes = Some(target.body_bytes);
            let bytes = u64::from(*requests) * target.body_bytes as u64;
            (urls, ExpectedBytes::Exactly(bytes))
        }
        IoTarget::Sites { file, urls } => {
            settings.target = "sites".into();
            settings.sites_file = Some(file.display().to_string());
            (urls.clone(), ExpectedBytes::Consistent)
        }
    };
    settings.requests = urls.len();
    let job = IoJob {
        urls,
        client: io.client.clone(),
        concurrency: io.concurrency,
    };
    let count = job.urls.len();
    let models = measure(config, "io", io.workers, io.runs, &Job::Io(job), executor)?;
    Ok((settings, analysis::io(count, expected, &models)))
}

/// The line above each table: what was run.
fn title(workload: &Workload, report: &Report) -> String {
    let c = &report.config;
    let runs = |n: u32| format!("{n} runs + {} warmup, each in a fresh process", c.warmup);
    match (workload, &c.cpu, &c.io) {
        (Workload::Cpu, Some(cpu), _) => {
            let runs = runs(cpu.runs);
            let first = cpu.numbers.first().copied().unwrap_or(0);
            format!(
                "cpu: {} of {} numbers from {first}, {} workers, {runs}",
                cpu.kernel,
                cpu.numbers.len(),
                cpu.workers
            )
        }
        (Workload::Io, _, Some(io)) => {
            let runs = runs(io.runs);
            let target = match (io.latency_s, io.body_bytes) {
                (Some(latency), Some(body)) => format!(
                    "built-in server, {} latency, {} bodies",
                    crate::output::format::seconds(latency),
                    crate::output::format::bytes(body as u64)
                ),
                _ => format!("sites from {}", io.sites_file.as_deref().unwrap_or("?")),
            };
            format!(
                "io: {} requests to the {target}, {} workers, async concurrency {}, {runs}",
                io.requests, io.workers, io.concurrency
            )
        }
        _ => workload.name().to_string(),
    }
}
