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
use crate::output::{progress, title, verdict};
use crate::report::{CpuSettings, IoSettings, Report, ReportConfig, SCHEMA_VERSION};
use crate::runner::{self, Executor};
use crate::strategy::Strategy;
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
    // The interpreter is checked before anything runs.
    let python = config
        .python
        .as_deref()
        .map(crate::python::find)
        .transpose()?;
    if let Some(python) = &python {
        executor.set_python(python.clone());
    }
    let machine = Machine::current();
    let mut report_config = ReportConfig {
        warmup: config.warmup,
        strategies: config.strategies.clone(),
        cpu: None,
        io: None,
        python,
    };
    let mut sections: Vec<(Workload, Analysis)> = Vec::new();
    let mut allow_failures = true;
    // The rows of `--baseline-build`, measured beside this build's.
    let mut baseline_build = BaselineBuild::default();

    if let Some(cpu) = &config.cpu {
        report_config.cpu = Some(CpuSettings {
            runs: cpu.runs,
            kernel: cpu.job.kernel.name().to_string(),
            numbers: cpu.job.numbers.clone(),
            workers: cpu.workers.clone(),
        });
        let job = Job::Cpu(cpu.job.clone());
        let (models, theirs) = measure(config, "cpu", &cpu.workers, cpu.runs, &job, executor)?;
        if let Some(settings) = &mut report_config.cpu {
            settings.runs = measured_rounds(&models);
        }
        if !theirs.is_empty() {
            baseline_build.push(
                Workload::Cpu,
                analysis::cpu(&cpu.job, &theirs).rows,
                &theirs,
            );
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
        let (settings, analysis, theirs) = run_io(config, io, executor)?;
        report_config.io = Some(settings);
        if let Some((rows, runs)) = theirs {
            baseline_build.push(Workload::Io, rows, &runs);
        }
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
                    writeln!(
                        human,
                        "{}",
                        title::title(*workload, &report.config, &analysis.rows, config.wide)
                    )?;
                    writeln!(
                        human,
                        "{}",
                        table::render(*workload, &analysis.rows, &options)
                    )?;
                    let width = options.width.map_or(100, usize::from);
                    for line in verdict::lines(&analysis.rows) {
                        writeln!(human, "{}", verdict::wrap(&line, width))?;
                    }
                    human.flush()?;
                    // Beside the table they belong to.
                    for warning in &analysis.warnings {
                        crate::output::warn(warning);
                    }
                }
            }
        }
        human.flush()?;
    }
    if config.format == Format::Json {
        for warning in sections.iter().flat_map(|(_, a)| &a.warnings) {
            crate::output::warn(warning);
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
    let saved = save(config, &report, started, !problems.is_empty() || failed > 0)?;
    // The baseline build's runs, beside this build's report: what the gate compared
    // can be compared (and plotted) again.
    let baseline_build = match &config.gate.baseline_build {
        Some(binary) if !baseline_build.rows.is_empty() => {
            let theirs = baseline_build.report(&report);
            if let Some(path) = &saved {
                let path = baseline_build_path(path);
                results::save(&theirs, &path)?;
                eprintln!("saved {} (the baseline build's runs)", path.display());
            }
            Some((binary.clone(), theirs))
        }
        _ => None,
    };
    if !problems.is_empty() {
        let list: Vec<&str> = problems.iter().map(|p| p.as_str()).collect();
        bail!("wrong results: {}", list.join("; "));
    }
    if failed > 0 && !allow_failures {
        bail!("{failed} requests failed (counted in the table); pass --allow-failures to exit 0");
    }
    let gate_out: &mut dyn Write = if stdout_is_data { &mut stderr } else { out };
    match baseline_build {
        Some(baseline) => {
            let gate = gate::GateConfig {
                baseline: Some(baseline),
                ..config.gate.clone()
            };
            gate::after_run(&report, &gate, gate_out)
        }
        None => gate::after_run(&report, &config.gate, gate_out),
    }
}

/// The rows and run counts of `--baseline-build`, workload by workload.
#[derive(Default)]
struct BaselineBuild {
    rows: Vec<crate::report::ResultRow>,
    cpu_runs: Option<u32>,
    io_runs: Option<u32>,
}

impl BaselineBuild {
    fn push(
        &mut self,
        workload: Workload,
        rows: Vec<crate::report::ResultRow>,
        models: &[runner::ModelRuns],
    ) {
        let runs = Some(measured_rounds(models));
        match workload {
            Workload::Cpu => self.cpu_runs = runs,
            Workload::Io => self.io_runs = runs,
        }
        self.rows.extend(rows);
    }

    /// The baseline build's report: this build's settings and machine, its own rows.
    fn report(&self, ours: &Report) -> Report {
        let mut config = ours.config.clone();
        if let (Some(cpu), Some(runs)) = (&mut config.cpu, self.cpu_runs) {
            cpu.runs = runs;
        }
        if let (Some(io), Some(runs)) = (&mut config.io, self.io_runs) {
            io.runs = runs;
        }
        Report {
            schema_version: ours.schema_version,
            created_at: ours.created_at.clone(),
            machine: ours.machine.clone(),
            config,
            results: self.rows.clone(),
        }
    }
}

/// `results/cpu-X.json` → `results/cpu-X-baseline-build.json`.
fn baseline_build_path(report: &std::path::Path) -> std::path::PathBuf {
    let stem = report.file_stem().unwrap_or_default().to_string_lossy();
    report.with_file_name(format!("{stem}-baseline-build.json"))
}

/// Saves the report where `--output`/`--no-save` say, and as a baseline if asked and
/// the run passed its checks (`checks_failed` is false and every row is verified
/// without failed requests): a baseline that `compare` would refuse is never saved.
fn save(
    config: &BenchConfig,
    report: &Report,
    started: SystemTime,
    checks_failed: bool,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    let label = match (&config.cpu, &config.io) {
        (Some(_), Some(_)) => "all",
        (Some(_), None) => "cpu",
        _ => "io",
    };
    // `--output` replaces its file, as the user asked; a default name never replaces
    // an earlier run saved in the same second.
    let saved = match &config.save.to {
        SaveTo::Nowhere => None,
        SaveTo::Path(path) => Some(results::save(report, path).map(|()| path.clone())?),
        SaveTo::DefaultName => Some(results::save_new(
            report,
            &results::default_path(label, started),
        )?),
    };
    // Always said, terminal or not: a CI log must show where its files went.
    if let Some(path) = &saved {
        eprintln!("saved {}", path.display());
    }
    let Some(path) = &config.save.baseline else {
        return Ok(saved);
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
        return Ok(saved);
    }
    let verb = if path.exists() { "replaced" } else { "saved" };
    results::save(report, path)?;
    eprintln!("{verb} baseline {name} ({})", path.display());
    Ok(saved)
}

/// Runs every model on `job` at every worker count (sequential once, with 1),
/// interleaved, each run in a fresh process: this build's runs, and those of the
/// baseline build when there is one (else none).
fn measure(
    config: &BenchConfig,
    label: &str,
    workers: &[usize],
    runs: u32,
    job: &Job,
    executor: &mut dyn Executor,
) -> anyhow::Result<(Vec<runner::ModelRuns>, Vec<runner::ModelRuns>)> {
    let specs = specs(&config.strategies, workers, job);
    let io = match job {
        Job::Io(io) => Some((io.urls.len(), io.client.timeout)),
        Job::Cpu(_) => None,
    };
    executor.set_run_timeout(crate::config::run_timeout(config.run_timeout, io));
    let bar = progress::bar(label);
    let rounds = crate::config::StopRule::rounds(config.stop, runs);
    let planned = runner::plan(&specs, config.gate.baseline_build.is_some());
    let models = runner::run_interleaved(planned, config.warmup, rounds, executor, &bar);
    bar.finish_and_clear();
    Ok(models?
        .into_iter()
        .partition(|m| m.build == runner::Build::This))
}

/// One spec per (model, worker count), grouped by model in table order; sequential
/// once, with 1 worker, whatever the counts.
fn specs(strategies: &[Strategy], workers: &[usize], job: &Job) -> Vec<RunSpec> {
    let mut specs = Vec::new();
    for &strategy in strategies {
        let counts: &[usize] = if strategy.single() { &[1] } else { workers };
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

/// The io section: its settings, this build's analysis, and the baseline build's rows
/// and runs when there is one.
type IoSection = (
    IoSettings,
    Analysis,
    Option<(Vec<crate::report::ResultRow>, Vec<runner::ModelRuns>)>,
);

fn run_io(
    config: &BenchConfig,
    io: &IoPlan,
    executor: &mut dyn Executor,
) -> anyhow::Result<IoSection> {
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
    let mut client = io.client.clone();
    if let IoTarget::Sites { file, .. } = &io.target {
        client.resolved = resolve_sites(file, &urls, io)?;
    }
    let job = IoJob {
        urls,
        client,
        concurrency: io.concurrency,
    };
    let urls = job.urls.clone();
    let (models, theirs) = measure(config, "io", &io.workers, io.runs, &Job::Io(job), executor)?;
    settings.runs = measured_rounds(&models);
    let theirs =
        (!theirs.is_empty()).then(|| (analysis::io(&urls, &expected, &theirs).rows, theirs));
    Ok((settings, analysis::io(&urls, &expected, &models), theirs))
}

/// Resolves every host of a sites list once, before anything is timed (bounded by
/// `--timeout`), so that no model looks a name up while it is timed and all connect
/// to the same addresses. A host that does not resolve is an error naming it, before
/// any run, unless `--allow-failures`: then its requests fail at once in every model.
fn resolve_sites(
    file: &std::path::Path,
    urls: &[String],
    io: &IoPlan,
) -> anyhow::Result<crate::workload::resolve::Resolved> {
    let (resolved, failed) =
        crate::workload::resolve::resolve_before_the_clock(urls, io.client.timeout);
    if failed.is_empty() || io.allow_failures {
        return Ok(resolved);
    }
    let hosts: Vec<String> = failed
        .iter()
        .map(|f| format!("{} ({})", f.host, f.reason))
        .collect();
    anyhow::bail!(
        "{}: cannot resolve {}; io --sites needs a network that reaches these hosts \
         (--allow-failures runs anyway, and counts the failures)",
        file.display(),
        hosts.join(", ")
    )
}

/// The most measured runs of any model (past the minimum, adaptive rounds run only
/// the models whose median is not yet precise).
fn measured_rounds(models: &[runner::ModelRuns]) -> u32 {
    let rounds = models
        .iter()
        .map(|m| m.measurements.len())
        .max()
        .unwrap_or(0);
    u32::try_from(rounds).unwrap_or(u32::MAX)
}
