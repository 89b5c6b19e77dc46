//! The gate's flags to a checked [`GateConfig`]: `--baseline`, `--baseline-build`,
//! `--expect` and the thresholds, validated against the run the plan will make,
//! before anything runs. The gate itself ([`crate::gate`]) sees only the result.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{BenchConfig, IoTarget};
use crate::cli::{GateArgs, ThresholdArgs};
use crate::compare::{self, Thresholds, runs};
use crate::error::usage;
use crate::expect;
use crate::gate::GateConfig;
use crate::report::{CpuSettings, IoSettings, Report, ReportConfig};
use crate::results;
use crate::workload::Workload;

/// Validates the threshold flags.
pub(crate) fn thresholds(args: &ThresholdArgs) -> anyhow::Result<Thresholds> {
    let max_regression = args.max_regression;
    if !(max_regression >= 0.0 && max_regression.is_finite()) {
        return Err(usage("--max-regression must be 0 % or more"));
    }
    if !(args.significance > 0.0 && args.significance < 1.0) {
        return Err(usage("--significance must be between 0 and 1"));
    }
    Ok(Thresholds {
        max_regression,
        significance: args.significance,
        fail_on_inconclusive: args.fail_on_inconclusive,
    })
}

/// Validates `--baseline`, `--expect` and the thresholds against the run `plan` will
/// make, before anything runs: a gate that cannot work must not cost a long run first.
pub(crate) fn config(args: &GateArgs, plan: &BenchConfig) -> anyhow::Result<GateConfig> {
    let thresholds = thresholds(&args.thresholds)?;
    let workloads: Vec<(Workload, &[usize])> = [
        (
            Workload::Cpu,
            plan.cpu.as_ref().map(|cpu| cpu.workers.as_slice()),
        ),
        (
            Workload::Io,
            plan.io.as_ref().map(|io| io.workers.as_slice()),
        ),
    ]
    .into_iter()
    .filter_map(|(workload, workers)| Some((workload, workers?)))
    .collect();
    let selection = expect::Selection {
        workloads: &workloads,
        strategies: &plan.strategies,
    };
    let expectations = args
        .expect
        .iter()
        .map(|text| {
            expect::parse(text)
                .and_then(|e| expect::check_selection(&e, selection).map(|()| e))
                .map_err(|e| usage(format!("--expect '{text}': {e}")))
        })
        .collect::<anyhow::Result<_>>()?;
    let baseline = match &args.baseline {
        None => None,
        Some(text) => {
            let path = results::resolve(text)?;
            // Fail before a long run, not after it.
            let report = results::load(&path)?;
            check_baseline_fits(&report, plan)
                .with_context(|| format!("--baseline {text} does not fit this run"))?;
            check_run_counts(text, &report, plan, thresholds.significance)?;
            Some((path, report))
        }
    };
    let baseline_build = match &args.baseline_build {
        None => None,
        Some(_) if plan.strategies.iter().all(|s| s.is_python()) => {
            return Err(usage(
                "--baseline-build: every model selected runs Python, which a concbench build \
                 does not change, so there is nothing to compare; add a concbench model to \
                 --strategy",
            ));
        }
        Some(binary) => {
            check_is_concbench(binary)?;
            check_runs_a_side(plan, thresholds.significance)?;
            Some(binary.clone())
        }
    };
    Ok(GateConfig {
        baseline,
        baseline_build,
        expectations,
        thresholds,
    })
}

/// How long `BINARY --version` may take before it is called no concbench.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors (exit 1, one line) unless `binary` runs and says it is concbench, so that
/// a wrong path fails before the run rather than at its first baseline run.
fn check_is_concbench(binary: &Path) -> anyhow::Result<()> {
    let name = binary.display();
    let mut child = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("--baseline-build {name}: cannot run it"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > VERSION_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "--baseline-build {name}: '{name} --version' did not finish within {} s, so it is not concbench",
                VERSION_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut said = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = (&mut stdout).take(4096).read_to_string(&mut said);
    }
    let first = said.lines().next().unwrap_or("").trim();
    if !status.success() || !first.starts_with("concbench ") {
        let answer = match (status.success(), first.is_empty()) {
            (true, true) => "printed nothing".to_string(),
            (true, false) => format!("printed {}", crate::error::quote(first)),
            (false, true) => format!("failed, {status}"),
            (false, false) => format!("failed, {status}: {}", crate::error::quote(first)),
        };
        bail!("--baseline-build {name}: not a concbench build ('{name} --version' {answer})");
    }
    Ok(())
}

/// Each workload `plan` runs, with the runs it asks for (`--runs`, the minimum).
fn planned_runs(plan: &BenchConfig) -> impl Iterator<Item = (Workload, usize)> {
    [
        (Workload::Cpu, plan.cpu.as_ref().map(|cpu| cpu.runs)),
        (Workload::Io, plan.io.as_ref().map(|io| io.runs)),
    ]
    .into_iter()
    .filter_map(|(workload, runs)| Some((workload, runs? as usize)))
}

/// A usage error when a workload's runs a side could never reach `significance`
/// (both builds get the same runs), so the gate could never fail.
fn check_runs_a_side(plan: &BenchConfig, significance: f64) -> anyhow::Result<()> {
    for (workload, runs) in planned_runs(plan) {
        if !runs::can_reach(runs, runs, significance) {
            return Err(usage(format!(
                "--baseline-build: {} would have {} a side, and the rank test cannot reach p < {significance} with so few (its smallest p is {}), so the gate could never fail; pass --runs {}",
                workload.name(),
                runs::count(runs),
                runs::show_p(runs::smallest_p(runs, runs)),
                runs::or_more(runs::needed_a_side(significance))
            )));
        }
    }
    Ok(())
}

/// Errors (a file problem, exit 1) when the baseline cannot judge the run `plan`
/// describes: other workload settings, no (workload, model) in common, or a row in
/// common that failed its checks.
fn check_baseline_fits(baseline: &Report, plan: &BenchConfig) -> anyhow::Result<()> {
    let planned = planned_settings(plan);
    compare::check_settings(&baseline.config, &planned)?;
    let runs = |workload: Workload| match workload {
        Workload::Cpu => planned.cpu.is_some(),
        Workload::Io => planned.io.is_some(),
        Workload::Tasks => planned.tasks.is_some(),
    };
    let shared: Vec<_> = baseline
        .results
        .iter()
        .filter(|row| runs(row.workload) && plan.strategies.contains(&row.strategy))
        .collect();
    if shared.is_empty() {
        let baseline_rows: Vec<_> = baseline
            .results
            .iter()
            .map(|row| (row.workload, row.strategy))
            .collect();
        let planned_rows: Vec<_> = [Workload::Cpu, Workload::Io]
            .into_iter()
            .filter(|&w| runs(w))
            .flat_map(|w| plan.strategies.iter().map(move |&s| (w, s)))
            .collect();
        bail!(
            "it shares no (workload, model) with it (baseline: {}; this run: {})",
            models(&baseline_rows),
            models(&planned_rows)
        );
    }
    let failed: Vec<String> = shared
        .iter()
        .filter_map(|row| {
            let why = crate::report::failed_checks(row)?;
            Some(format!("{} in the baseline {why}", compare::label(row)))
        })
        .collect();
    if !failed.is_empty() {
        bail!(
            "refusing to compare runs that failed their checks: {}",
            failed.join("; ")
        );
    }
    Ok(())
}

/// `cpu sequential, threads and io async`: models grouped by workload.
fn models(rows: &[(Workload, crate::strategy::Strategy)]) -> String {
    let groups: Vec<String> = [Workload::Cpu, Workload::Io]
        .into_iter()
        .filter_map(|workload| {
            let names: Vec<&str> = rows
                .iter()
                .filter(|(w, _)| *w == workload)
                .map(|(_, s)| s.name())
                .collect();
            (!names.is_empty()).then(|| format!("{} {}", workload.name(), names.join(", ")))
        })
        .collect();
    if groups.is_empty() {
        "nothing".to_string()
    } else {
        groups.join(" and ")
    }
}

/// The settings the report of the run `plan` describes will carry, known before it
/// runs. They must equal what [`crate::bench`] writes into the report, or a baseline
/// of the very same settings would be refused; `tests/gate.rs` checks both jobs.
fn planned_settings(plan: &BenchConfig) -> ReportConfig {
    let cpu = plan.cpu.as_ref().map(|cpu| CpuSettings {
        runs: cpu.runs,
        kernel: cpu.job.kernel.name().to_string(),
        numbers: cpu.job.numbers.clone(),
        workers: cpu.workers.clone(),
    });
    let io = plan.io.as_ref().map(|io| {
        let (target, requests, latency_s, body_bytes, sites_file) = match &io.target {
            IoTarget::Builtin { requests, settings } => (
                "builtin",
                *requests as usize,
                Some(settings.latency.as_secs_f64()),
                Some(settings.body_bytes),
                None,
            ),
            IoTarget::Sites { file, urls } => (
                "sites",
                urls.len(),
                None,
                None,
                Some(file.display().to_string()),
            ),
        };
        IoSettings {
            runs: io.runs,
            target: target.to_string(),
            requests,
            latency_s,
            body_bytes,
            sites_file,
            workers: io.workers.clone(),
            concurrency: io.concurrency,
            timeout_s: io.client.timeout.as_secs_f64(),
            max_body_bytes: io.client.max_body_bytes,
        }
    });
    ReportConfig {
        warmup: plan.warmup,
        strategies: plan.strategies.clone(),
        cpu,
        io,
        tasks: plan
            .tasks
            .as_ref()
            .map(|tasks| crate::report::TasksSettings {
                runs: tasks.runs,
                counts: tasks.counts.clone(),
                wait_s: tasks.wait.as_secs_f64(),
                workers: tasks.workers,
                not_held: Vec::new(),
                skipped: Vec::new(),
            }),
        python: None,
    }
}

/// A usage error when, for some workload, this run's `--runs` against the baseline's
/// runs could never reach `significance`, so the gate could never fail (see
/// [`compare::runs`]). Says how many runs would.
fn check_run_counts(
    name: &str,
    baseline: &Report,
    plan: &BenchConfig,
    significance: f64,
) -> anyhow::Result<()> {
    let mut short = Vec::new();
    let mut fewest_baseline = usize::MAX;
    for (workload, runs) in planned_runs(plan) {
        let Some(theirs) = baseline
            .results
            .iter()
            .filter(|row| row.workload == workload && plan.strategies.contains(&row.strategy))
            .map(|row| row.wall_s.samples.len())
            .min()
        else {
            continue;
        };
        if !runs::can_reach(runs, theirs, significance) {
            short.push(format!(
                "{} has {} in the baseline and {runs} in this run, and the rank test cannot reach p < {significance} with so few (its smallest p is {})",
                workload.name(),
                runs::count(theirs),
                runs::show_p(runs::smallest_p(runs, theirs))
            ));
            fewest_baseline = fewest_baseline.min(theirs);
        }
    }
    if short.is_empty() {
        return Ok(());
    }
    let needed = runs::needed_against(fewest_baseline, significance);
    let a_side = runs::needed_a_side(significance);
    let advice = match needed {
        Some(n) if a_side.is_some_and(|k| k < n) => format!(
            "pass --runs {}, or {} after saving the baseline again with as many",
            runs::or_more(needed),
            runs::or_more(a_side)
        ),
        Some(_) => format!("pass --runs {}", runs::or_more(needed)),
        None => format!(
            "this baseline has too few runs for any --runs: save it again with --runs {}",
            runs::or_more(a_side)
        ),
    };
    Err(usage(format!(
        "--baseline {name}: {}, so the gate could never fail; {advice}",
        short.join("; ")
    )))
}
