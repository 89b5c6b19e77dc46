//! `concbench cpu | io | tasks | all`: from a validated config to a printed report.
//!
//! Builds one [`RunSpec`] per model, hands them to the engine and turns the samples
//! into rows and a report. Then, in this order: keeps the report (saved first, then
//! the baseline, the chart and the exports), judges it (the gates' verdict), prints
//! the table or JSON, and only then fails if a file could not be written, a result
//! was wrong or a request failed, or returns the gates' verdict. So the figures of a
//! failed benchmark are never lost, and neither a bad export path nor a closed
//! stdout can lose the report or pass a failed gate.

use std::io::Write;
use std::time::SystemTime;

use anyhow::{Context, bail};

use crate::analysis::{self, Analysis, ExpectedBodies, Warning};
use crate::cli::Format;
use crate::config::{BenchConfig, IoPlan, IoTarget, SaveTo};
use crate::error::UntilClosed;
use crate::export::ExportManager;
use crate::machine::Machine;
use crate::output::table::{self, TableOptions};
use crate::output::{progress, title, verdict};
use crate::report::{CpuSettings, IoSettings, Report, ReportConfig, SCHEMA_VERSION};
use crate::runner::{self, Executor};
use crate::strategy::Strategy;
use crate::target::TargetServer;
use crate::worker::protocol::RunSpec;
use crate::workload::{IoJob, Job, Workload};
use crate::{gate, results};

mod tasks;

/// Runs the benchmark and writes its report to `out`.
pub(crate) fn run(
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
        tasks: None,
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
            analysis.warn(Warning::Oversubscribed {
                workers: most,
                cores,
            });
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

    if let Some(plan) = &config.tasks {
        let (settings, analysis) = tasks::run(config, plan, executor)?;
        report_config.tasks = Some(settings);
        sections.push((Workload::Tasks, analysis));
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
        warnings: sections
            .iter()
            .flat_map(|(_, a)| a.warnings.iter().map(Warning::record))
            .collect(),
    };

    let mut exports = ExportManager::new();
    for (format, destination) in &config.save.exports {
        exports.add(*format, destination.clone());
    }
    let problems: Vec<&String> = sections.iter().flat_map(|(_, a)| &a.problems).collect();
    let failed: u64 = sections.iter().map(|(_, a)| a.failed_requests).sum();
    // The baseline build's runs, beside this build's report: what the gate compared
    // can be compared (and plotted) again.
    let baseline_build = match &config.gate.baseline_build {
        Some(binary) if !baseline_build.rows.is_empty() => {
            Some((binary.clone(), baseline_build.report(&report)))
        }
        _ => None,
    };

    // Keep, judge, and only then print: whatever becomes of the printing (a closed
    // stdout), the figures are saved and the verdict stands.
    let theirs = baseline_build.as_ref().map(|(_, theirs)| theirs);
    let checks_failed = !problems.is_empty() || failed > 0;
    let kept = keep(config, &report, &exports, theirs, started, checks_failed);
    let judged = match baseline_build {
        Some(baseline) => gate::judge(
            &report,
            &gate::GateConfig {
                baseline: Some(baseline),
                ..config.gate.clone()
            },
        ),
        None => gate::judge(&report, &config.gate),
    };

    let mut out = UntilClosed::new(out);
    let mut stderr = UntilClosed::new(std::io::stderr());
    let printed = print(config, &report, &sections, &exports, &mut out, &mut stderr);
    // Always said, terminal or not: a CI log must show where its files went.
    for note in &kept.notes {
        let _ = writeln!(stderr, "{note}");
    }
    kept.result()?;
    if !problems.is_empty() {
        let list: Vec<&str> = problems.iter().map(|p| p.as_str()).collect();
        bail!("wrong results: {}", list.join("; "));
    }
    if failed > 0 && !allow_failures {
        bail!("{failed} requests failed (counted in the table); pass --allow-failures to exit 0");
    }
    // Beside the report's figures: on stdout, unless it holds data.
    let stdout_is_data = exports.uses_stdout() || config.format == Format::Json;
    let gate_out: &mut dyn Write = if stdout_is_data {
        &mut stderr
    } else {
        &mut out
    };
    let verdict = judged.print(gate_out);
    verdict.and(printed)
}

/// Prints the run: each workload's title, table, verdict lines and warnings (or the
/// JSON report, with `--format json`), then the export that goes to stdout, if any,
/// which then takes stdout from the tables.
fn print(
    config: &BenchConfig,
    report: &Report,
    sections: &[(Workload, Analysis)],
    exports: &ExportManager,
    out: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    let human: &mut dyn Write = if exports.uses_stdout() {
        &mut *stderr
    } else {
        &mut *out
    };
    match config.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *human, report).context("writing the report")?;
            writeln!(human)?;
            human.flush()?;
            for warning in sections.iter().flat_map(|(_, a)| &a.warnings) {
                crate::output::warn(&warning.to_string());
            }
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
                let lines = match workload {
                    Workload::Tasks => {
                        verdict::tasks::lines(&analysis.rows, report.config.tasks.as_ref())
                    }
                    _ => verdict::lines(&analysis.rows),
                };
                for line in lines {
                    writeln!(human, "{}", verdict::wrap(&line, width))?;
                }
                human.flush()?;
                // Beside the table they belong to.
                for warning in &analysis.warnings {
                    crate::output::warn(&warning.to_string());
                }
            }
        }
    }
    exports.write_stdout(report, out)
}

/// What [`keep`] wrote and what it could not.
#[derive(Default)]
struct Kept {
    /// Where each file went (`saved results/cpu-….json`, `exported csv to out.csv`),
    /// for stderr, terminal or not: a CI log must show where its files went.
    notes: Vec<String>,
    /// Each write that failed; the others were made all the same.
    failures: Vec<anyhow::Error>,
}

impl Kept {
    /// `Ok` when every file was written; else the failure, or all of them on one line.
    fn result(self) -> anyhow::Result<()> {
        let mut failures = self.failures;
        match failures.len() {
            0 => Ok(()),
            1 => Err(failures.remove(0)),
            _ => {
                let all: Vec<String> = failures.iter().map(|e| format!("{e:#}")).collect();
                bail!("{}", all.join("; "))
            }
        }
    }
}

/// Writes every file of a finished run, the report first: then the baseline build's
/// runs beside it, the baseline (unless the run failed its checks: `checks_failed`),
/// the chart and the exports. A write that fails costs only its own file, so a bad
/// export path never loses the report. The destinations were checked before the run
/// ([`crate::config`]); this is for what can still go wrong (a full disk).
fn keep(
    config: &BenchConfig,
    report: &Report,
    exports: &ExportManager,
    baseline_build: Option<&Report>,
    started: SystemTime,
    checks_failed: bool,
) -> Kept {
    let mut kept = Kept::default();
    let saved = match save(config, report, started) {
        Ok(saved) => saved,
        Err(e) => {
            kept.failures.push(e);
            None
        }
    };
    if let Some(path) = &saved {
        kept.notes.push(format!("saved {}", path.display()));
    }
    if let Some(path) = &config.save.baseline {
        match save_baseline(report, path, checks_failed) {
            Ok(note) => kept.notes.push(note),
            Err(e) => kept.failures.push(e),
        }
    }
    if let (Some(theirs), Some(path)) = (baseline_build, &saved) {
        let path = results::baseline_build_path(path);
        match results::save(theirs, &path) {
            Ok(()) => kept.notes.push(format!(
                "saved {} (the baseline build's runs)",
                path.display()
            )),
            Err(e) => kept.failures.push(e),
        }
    }
    if let Some(path) = &config.save.plot {
        let plotted =
            crate::plot::report_svg(report).and_then(|svg| crate::plot::write_svg(path, &svg));
        match plotted {
            Ok(()) => kept.notes.push(format!("plotted {}", path.display())),
            Err(e) => kept.failures.push(e),
        }
    }
    for (format, path, written) in exports.write_files(report) {
        match written {
            Ok(()) => kept
                .notes
                .push(format!("exported {} to {}", format.name(), path.display())),
            Err(e) => kept.failures.push(e),
        }
    }
    kept
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
            // The tasks job is not run by a baseline build.
            Workload::Tasks => {}
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
            warnings: Vec::new(),
            schema_version: ours.schema_version,
            created_at: ours.created_at.clone(),
            machine: ours.machine.clone(),
            config,
            results: self.rows.clone(),
        }
    }
}

/// Saves the report where `--output`/`--no-save` say; returns where.
fn save(
    config: &BenchConfig,
    report: &Report,
    started: SystemTime,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    // `--output` replaces its file, as the user asked; a default name never replaces
    // an earlier run saved in the same second.
    Ok(match &config.save.to {
        SaveTo::Nowhere => None,
        SaveTo::Path(path) => {
            results::save(report, path)?;
            Some(path.clone())
        }
        SaveTo::DefaultName => Some(results::save_new(
            report,
            &results::default_path(config.label(), started),
        )?),
    })
}

/// Saves the report as the baseline at `path` if the run passed its checks
/// (`checks_failed` is false and every row is verified without failed requests): a
/// baseline that `compare` would refuse is never saved. Returns the line that says
/// what became of it.
fn save_baseline(
    report: &Report,
    path: &std::path::Path,
    checks_failed: bool,
) -> anyhow::Result<String> {
    let name = path.file_stem().unwrap_or_default().to_string_lossy();
    let mut failures: Vec<String> = report
        .results
        .iter()
        .filter_map(|row| {
            let why = crate::report::failed_checks(row)?;
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
        return Ok(format!(
            "not saved as baseline {name}: the run failed its checks ({})",
            failures.join(", ")
        ));
    }
    let verb = if path.exists() { "replaced" } else { "saved" };
    results::save(report, path)?;
    Ok(format!("{verb} baseline {name} ({})", path.display()))
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
        Job::Cpu(_) | Job::Tasks(_) => None,
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

#[cfg(test)]
mod tests;
