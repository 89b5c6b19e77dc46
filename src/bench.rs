//! `concbench cpu | io | all`: from a validated config to a printed report.
//!
//! Builds one [`RunSpec`] per model, hands them to the engine, turns the samples into
//! rows, prints the table or JSON, and only then fails if a result was wrong or a
//! request failed — so the figures of a failed benchmark are never lost.

use std::io::Write;
use std::time::SystemTime;

use anyhow::{Context, bail};

use crate::analysis::{self, Analysis, ExpectedBodies};
use crate::cli::Format;
use crate::config::{BenchConfig, IoPlan, IoTarget, SaveTo};
use crate::export::{Destination, ExportManager};
use crate::machine::Machine;
use crate::output::table::{self, TableOptions};
use crate::output::{progress, verdict};
use crate::report::{CpuSettings, IoSettings, Report, ReportConfig, SCHEMA_VERSION};
use crate::runner::{self, Executor};
use crate::strategy::Strategy;
use crate::target::TargetServer;
use crate::worker::protocol::RunSpec;
use crate::workload::cpu::Kernel;
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
            workers: cpu.workers.clone(),
        });
        let job = Job::Cpu(cpu.job.clone());
        let models = measure(config, "cpu", &cpu.workers, cpu.runs, &job, executor)?;
        if let Some(settings) = &mut report_config.cpu {
            settings.runs = measured_rounds(&models);
        }
        let mut analysis = analysis::cpu(&cpu.job, &models);
        let most = cpu.workers.iter().copied().max().unwrap_or(1);
        let cores = machine.usable_parallelism;
        let parallel = config.strategies.iter().any(|&s| s != Strategy::Sequential);
        if parallel && most > cores {
            analysis.warnings.push(format!(
                "cpu: {most} workers on {cores} usable cores: the parallel models are \
                 oversubscribed, and no speedup can pass {cores}×"
            ));
        }
        sections.push((Workload::Cpu, analysis));
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
                let options = TableOptions::for_stdout(config.style, config.wide);
                for (index, (workload, analysis)) in sections.iter().enumerate() {
                    if index > 0 {
                        writeln!(human)?;
                    }
                    writeln!(human, "{}", title(workload, &report.config))?;
                    writeln!(
                        human,
                        "{}",
                        table::render(*workload, &analysis.rows, &options)
                    )?;
                    for line in verdict::lines(&analysis.rows) {
                        writeln!(human, "{line}")?;
                    }
                    human.flush()?;
                    // Beside the table they belong to.
                    for warning in &analysis.warnings {
                        eprintln!("warning: {warning}");
                    }
                }
            }
        }
        human.flush()?;
    }
    if config.format == Format::Json {
        for warning in sections.iter().flat_map(|(_, a)| &a.warnings) {
            eprintln!("warning: {warning}");
        }
    }
    exports.write_all(&report, out)?;
    if let Some(path) = &config.save.plot {
        crate::plot::write_svg(path, &crate::plot::report_svg(&report)?)?;
        eprintln!("plotted {}", path.display());
    }
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

/// Runs every model on `job` at every worker count (sequential once, with 1),
/// interleaved, each run in a fresh process.
fn measure(
    config: &BenchConfig,
    label: &str,
    workers: &[usize],
    runs: u32,
    job: &Job,
    executor: &mut dyn Executor,
) -> anyhow::Result<Vec<runner::ModelRuns>> {
    let specs = specs(&config.strategies, workers, job);
    let io = match job {
        Job::Io(io) => Some((io.urls.len(), io.client.timeout)),
        Job::Cpu(_) => None,
    };
    executor.set_run_timeout(crate::config::run_timeout(config.run_timeout, io));
    let bar = progress::bar(label);
    let rounds = crate::config::StopRule::rounds(config.stop, runs);
    let models = runner::run_interleaved(&specs, config.warmup, rounds, executor, &bar);
    bar.finish_and_clear();
    models
}

/// One spec per (model, worker count), grouped by model in table order; sequential
/// once, with 1 worker, whatever the counts.
fn specs(strategies: &[Strategy], workers: &[usize], job: &Job) -> Vec<RunSpec> {
    let mut specs = Vec::new();
    for &strategy in strategies {
        let counts: &[usize] = if strategy == Strategy::Sequential {
            &[1]
        } else {
            workers
        };
        for &workers in counts {
            specs.push(RunSpec {
                strategy,
                workers,
                job: job.clone(),
            });
        }
    }
    specs
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
        workers: io.workers.clone(),
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
            let digests = server.expected_digests(*requests, target.body_bytes);
            _server = Some(server);
            settings.target = "builtin".into();
            settings.latency_s = Some(target.latency.as_secs_f64());
            settings.body_bytes = Some(target.body_bytes);
            let expected = ExpectedBodies::Exactly {
                digests,
                body_bytes: target.body_bytes as u64,
            };
            (urls, expected)
        }
        IoTarget::Sites { file, urls } => {
            settings.target = "sites".into();
            settings.sites_file = Some(file.display().to_string());
            (urls.clone(), ExpectedBodies::Consistent)
        }
    };
    settings.requests = urls.len();
    let job = IoJob {
        urls,
        client: io.client.clone(),
        concurrency: io.concurrency,
    };
    let urls = job.urls.clone();
    let models = measure(config, "io", &io.workers, io.runs, &Job::Io(job), executor)?;
    settings.runs = measured_rounds(&models);
    Ok((settings, analysis::io(&urls, &expected, &models)))
}

/// How many measured rounds ran (every model runs once per round).
fn measured_rounds(models: &[runner::ModelRuns]) -> u32 {
    let rounds = models.first().map_or(0, |m| m.measurements.len());
    u32::try_from(rounds).unwrap_or(u32::MAX)
}

/// The line above each table: what was run, and the settings that apply to the models
/// in the table — no worker count when only sequential ran (it always runs 1), no
/// async concurrency without async.
fn title(workload: &Workload, config: &ReportConfig) -> String {
    let parallel = config.strategies.iter().any(|&s| s != Strategy::Sequential);
    let runs = |n: u32| {
        format!(
            "{} + {}, each in a fresh process",
            count(n as usize, "run"),
            count(config.warmup as usize, "warmup")
        )
    };
    let mut parts = Vec::new();
    match (workload, &config.cpu, &config.io) {
        (Workload::Cpu, Some(cpu), _) => {
            parts.push(format!("cpu: {}", cpu_job(cpu)));
            if parallel {
                parts.push(worker_counts(&cpu.workers));
            }
            parts.push(runs(cpu.runs));
        }
        (Workload::Io, _, Some(io)) => {
            let target = match (io.latency_s, io.body_bytes) {
                (Some(latency), Some(body)) => format!(
                    "the built-in server, {} latency, {} bodies",
                    crate::output::format::seconds(latency),
                    crate::output::format::bytes(body as u64)
                ),
                _ => format!("sites from {}", io.sites_file.as_deref().unwrap_or("?")),
            };
            parts.push(format!("io: {} to {target}", count(io.requests, "request")));
            if parallel {
                parts.push(worker_counts(&io.workers));
            }
            if config.strategies.contains(&Strategy::Async) {
                parts.push(format!("async concurrency {}", io.concurrency));
            }
            parts.push(runs(io.runs));
        }
        _ => parts.push(workload.name().to_string()),
    }
    parts.join(", ")
}

/// What the CPU job computes: `fib(35) × 20`, `fib(n) for n = 30, 31`,
/// `squares of 20 numbers from 5000000`, `squares of n = 7, 3, 100`.
fn cpu_job(cpu: &CpuSettings) -> String {
    let numbers = &cpu.numbers;
    let first = numbers.first().copied().unwrap_or(0);
    if cpu.kernel == Kernel::Fib.name() {
        if numbers.iter().all(|&n| n == first) {
            format!("fib({first}) × {}", numbers.len())
        } else {
            format!("fib(n) for n = {}", list(numbers))
        }
    } else if numbers.windows(2).all(|w| w[1] == w[0] + 1) {
        format!(
            "{} of {} from {first}",
            cpu.kernel,
            count(numbers.len(), "number")
        )
    } else {
        format!("{} of n = {}", cpu.kernel, list(numbers))
    }
}

/// `2 workers`, or a sweep's `1, 2, 4, 8 workers`.
fn worker_counts(workers: &[usize]) -> String {
    match workers {
        [one] => count(*one, "worker"),
        many => {
            let counts: Vec<String> = many.iter().map(usize::to_string).collect();
            format!("{} workers", counts.join(", "))
        }
    }
}

/// `1 run`, `10 runs`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `30, 31, 32`, or the first six and how many there are.
fn list(numbers: &[u64]) -> String {
    const SHOWN: usize = 6;
    let shown: Vec<String> = numbers.iter().take(SHOWN).map(u64::to_string).collect();
    if numbers.len() > SHOWN {
        format!("{}, … ({} numbers)", shown.join(", "), numbers.len())
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(kernel: Kernel, numbers: Vec<u64>, strategies: &[Strategy]) -> ReportConfig {
        ReportConfig {
            warmup: 1,
            strategies: strategies.to_vec(),
            cpu: Some(CpuSettings {
                runs: 10,
                kernel: kernel.name().to_string(),
                numbers,
                workers: vec![2],
            }),
            io: None,
        }
    }

    fn io(strategies: &[Strategy]) -> ReportConfig {
        ReportConfig {
            warmup: 0,
            strategies: strategies.to_vec(),
            cpu: None,
            io: Some(IoSettings {
                runs: 1,
                target: "builtin".into(),
                requests: 160,
                latency_s: Some(0.05),
                body_bytes: Some(10_240),
                sites_file: None,
                workers: vec![5],
                concurrency: 256,
                timeout_s: 10.0,
                max_body_bytes: 4 << 20,
            }),
        }
    }

    #[test]
    fn the_cpu_title_says_what_runs() {
        let all = Strategy::ALL;
        let squares = cpu(Kernel::Squares, (5_000_000..5_000_020).collect(), &all);
        assert_eq!(
            title(&Workload::Cpu, &squares),
            "cpu: squares of 20 numbers from 5000000, 2 workers, 10 runs + 1 warmup, each in a fresh process"
        );
        let fib = cpu(Kernel::Fib, vec![35; 20], &all);
        assert_eq!(
            title(&Workload::Cpu, &fib),
            "cpu: fib(35) × 20, 2 workers, 10 runs + 1 warmup, each in a fresh process"
        );
        let listed = cpu(Kernel::Fib, vec![30, 31], &all);
        assert!(
            title(&Workload::Cpu, &listed).starts_with("cpu: fib(n) for n = 30, 31, 2 workers"),
            "{}",
            title(&Workload::Cpu, &listed)
        );
        let scattered = cpu(Kernel::Squares, vec![7, 3, 100, 1, 2, 3, 4], &all);
        assert!(
            title(&Workload::Cpu, &scattered)
                .starts_with("cpu: squares of n = 7, 3, 100, 1, 2, 3, … (7 numbers), "),
            "{}",
            title(&Workload::Cpu, &scattered)
        );
    }

    #[test]
    fn a_title_gives_only_the_settings_of_the_models_that_ran() {
        let sequential = cpu(Kernel::Squares, vec![10, 11], &[Strategy::Sequential]);
        assert_eq!(
            title(&Workload::Cpu, &sequential),
            "cpu: squares of 2 numbers from 10, 10 runs + 1 warmup, each in a fresh process"
        );
        assert_eq!(
            title(&Workload::Io, &io(&Strategy::ALL)),
            "io: 160 requests to the built-in server, 50.0 ms latency, 10.0 KiB bodies, \
             5 workers, async concurrency 256, 1 run + 0 warmups, each in a fresh process"
        );
        let threads = title(&Workload::Io, &io(&[Strategy::Threads]));
        assert!(threads.contains(", 5 workers, 1 run"), "{threads}");
        let sequential = title(&Workload::Io, &io(&[Strategy::Sequential]));
        assert!(
            sequential.ends_with("10.0 KiB bodies, 1 run + 0 warmups, each in a fresh process"),
            "{sequential}"
        );
    }
}
