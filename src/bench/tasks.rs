//! The tasks section of a benchmark: every count, smallest first, for every model
//! that holds N tasks at once; and the counts a model is not started at.
//!
//! A count is not started when the smaller counts say the machine cannot hold it
//! ([`skip_reason`]): its memory, by the model's slope so far, would pass half of
//! what the kernel says is available, or its start-up, at the pace measured, would
//! take more than [`MAX_START`]. A model the OS refused at a smaller count is not
//! started at a larger one either. Each such count is named in the report, with the
//! estimate. A refusal part way through a run is the model's own result
//! ([`crate::workload::tasks::Refusal`]), never an error.

use std::time::Duration;

use anyhow::Context;

use crate::analysis::{self, Analysis};
use crate::config::{BenchConfig, TasksPlan};
use crate::output::{format, progress};
use crate::report::{SkippedCount, TasksSettings};
use crate::runner::{self, Executor, ModelRuns, Rounds};
use crate::strategy::Strategy;
use crate::worker::protocol::RunSpec;
use crate::workload::tasks::TasksJob;
use crate::workload::{Job, Outputs};

/// The longest a run may spend starting its tasks, by the pace of a smaller count,
/// before the count is not started: the default sweep of `concbench tasks` stays
/// within two minutes on two cores (10,000 processes would take about 15 s a run).
pub(super) const MAX_START: Duration = Duration::from_secs(5);

/// Runs the tasks job and analyses it.
pub(super) fn run(
    config: &BenchConfig,
    plan: &TasksPlan,
    executor: &mut dyn Executor,
) -> anyhow::Result<(TasksSettings, Analysis)> {
    let holders: Vec<Strategy> = config
        .strategies
        .iter()
        .copied()
        .filter(|s| s.holds_tasks())
        .collect();
    let not_held: Vec<Strategy> = config
        .strategies
        .iter()
        .copied()
        .filter(|s| !s.holds_tasks())
        .collect();
    let mut models: Vec<ModelRuns> = Vec::new();
    let mut skipped = Vec::new();
    executor.set_run_timeout(crate::config::run_timeout(config.run_timeout, None));
    for &count in &plan.counts {
        let mut specs = Vec::new();
        for &strategy in &holders {
            if let Some(reason) = skip_reason(strategy, count, &models, available_memory()) {
                skipped.push(SkippedCount {
                    strategy,
                    tasks: count,
                    reason,
                });
                continue;
            }
            specs.push(RunSpec {
                strategy,
                workers: plan.workers,
                job: Job::Tasks(TasksJob {
                    tasks: count,
                    wait: plan.wait,
                }),
            });
        }
        if specs.is_empty() {
            continue;
        }
        let bar = progress::bar(&format!("tasks {}", format::count(count)));
        let planned = runner::plan(&specs, false);
        let ran = runner::run_interleaved(
            planned,
            config.warmup,
            Rounds::fixed(plan.runs),
            executor,
            &bar,
        );
        bar.finish_and_clear();
        models.extend(ran.with_context(|| format!("the tasks job at {count} tasks"))?);
    }
    let analysis = analysis::tasks::tasks(&models, plan.wait);
    let settings = TasksSettings {
        runs: plan.runs,
        counts: plan.counts.clone(),
        wait_s: plan.wait.as_secs_f64(),
        workers: plan.workers,
        not_held,
        skipped,
    };
    Ok((settings, analysis))
}

/// Why `strategy` is not started at `count`, from what its smaller counts showed;
/// `None` to start it. For a thread or a process per task, the estimates stop at
/// the OS's limit ([`task_limit`]): a count past it is started, to find out where
/// the OS says no, as long as reaching the limit fits.
fn skip_reason(
    strategy: Strategy,
    count: usize,
    models: &[ModelRuns],
    available: Option<u64>,
) -> Option<String> {
    let ran: Vec<&ModelRuns> = models
        .iter()
        .filter(|m| m.spec.strategy == strategy)
        .collect();
    let outcomes = |m: &&ModelRuns| -> Vec<crate::workload::tasks::TasksOutcome> {
        m.measurements
            .iter()
            .filter_map(|x| match &x.outputs {
                Outputs::Tasks(o) => Some(o.clone()),
                _ => None,
            })
            .collect()
    };
    // Refused at a smaller count: a larger one would be refused too.
    for model in &ran {
        if let Some(refusal) = outcomes(model).iter().find_map(|o| o.refused.clone()) {
            return Some(format!(
                "refused at {} of {} tasks ({}), so not started at {}",
                format::count(refusal.at),
                format::count(task_count(model)),
                refusal.reason,
                format::count(count)
            ));
        }
    }
    let largest = ran.iter().max_by_key(|m| task_count(m))?;
    let held = task_count(largest) as f64;
    // A thread or a process per task: the OS refuses past its limit on processes,
    // so no more than that many are started (and the refusal is the result).
    let limit = match strategy {
        Strategy::Threads | Strategy::Spawn | Strategy::PyThreads => task_limit(),
        _ => None,
    };
    let reached = limit.map_or(count, |limit| count.min(limit));
    let memory = largest
        .measurements
        .iter()
        .map(|m| {
            m.census
                .memory_pss_bytes()
                .unwrap_or(m.census.memory_bytes())
        })
        .max()? as f64;
    // The whole memory of the smaller count over its tasks: an over-estimate of the
    // slope, on the safe side.
    let estimate = memory / held * reached as f64;
    if let Some(available) = available
        && estimate > available as f64 / 2.0
    {
        return Some(format!(
            "about {} for {} tasks ({} per task at {}), more than half of the {} \
             available",
            format::bytes(estimate as u64),
            format::count(count),
            format::bytes((memory / held) as u64),
            format::count(task_count(largest)),
            format::bytes(available)
        ));
    }
    let starts: Vec<f64> = outcomes(largest).iter().map(|o| o.start_s).collect();
    let start = crate::stats::median(&starts) / held * reached as f64;
    (start > MAX_START.as_secs_f64()).then(|| {
        format!(
            "starting {} tasks would take about {} a run ({} per task at {}), more \
             than the {} a run may spend starting its tasks",
            format::count(count),
            format::seconds(start),
            format::seconds(start / count as f64),
            format::count(task_count(largest)),
            format::seconds(MAX_START.as_secs_f64())
        )
    })
}

/// The most threads or processes the OS will give: the least of `pid_max`,
/// `threads-max` and this process's pids cgroup's `pids.max` (v1 or v2).
fn task_limit() -> Option<usize> {
    let read =
        |path: &str| -> Option<usize> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut parts = line.splitn(3, ':');
                let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                match controllers {
                    "pids" => read(&format!("/sys/fs/cgroup/pids{path}/pids.max")),
                    "" => read(&format!("/sys/fs/cgroup{path}/pids.max")),
                    _ => None,
                }
            })
        });
    [
        read("/proc/sys/kernel/pid_max"),
        read("/proc/sys/kernel/threads-max"),
        cgroup,
    ]
    .into_iter()
    .flatten()
    .min()
}

/// The tasks a model's runs held.
fn task_count(model: &ModelRuns) -> usize {
    match &model.spec.job {
        Job::Tasks(job) => job.tasks,
        _ => 0,
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line
        .trim_start_matches("MemAvailable:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}
