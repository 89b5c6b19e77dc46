//! The line above each table: what ran, and the settings that apply to the models in
//! it. The default fits 100 columns — `io: 160 × GET built-in server, 50.0 ms latency,
//! 10.0 KiB, 5 workers, 6 runs`; `--wide` adds the rest (async concurrency, warmups,
//! that each run is a fresh process).

use crate::report::{CpuSettings, ReportConfig, ResultRow};
use crate::strategy::Strategy;
use crate::workload::Workload;
use crate::workload::cpu::Kernel;

/// The line above each table: what was run, and the settings that apply to the models
/// in the table — no worker count when only sequential ran (it always runs 1), no
/// async concurrency without async.
///
/// The runs are the rows' own counts: adaptive rounds stop adding runs of a model
/// once its median is precise, so they may differ (`6–52 runs`); without rows, the
/// settings' count.
pub(crate) fn title(
    workload: Workload,
    config: &ReportConfig,
    rows: &[ResultRow],
    wide: bool,
) -> String {
    let parallel = config.strategies.iter().any(|&s| s != Strategy::Sequential);
    let runs = |n: u32| {
        let fewest = rows.iter().map(|r| r.runs).min().unwrap_or(n as usize);
        let most = rows.iter().map(|r| r.runs).max().unwrap_or(n as usize);
        let counted = if fewest == most {
            count(most, "run")
        } else {
            format!("{fewest}–{most} runs")
        };
        if wide {
            format!(
                "{counted} + {}, each in a fresh process",
                count(config.warmup as usize, "warmup")
            )
        } else {
            counted
        }
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
                    "built-in server, {} latency, {}",
                    super::format::seconds(latency),
                    super::format::bytes(body as u64)
                ),
                _ => format!("sites from {}", io.sites_file.as_deref().unwrap_or("?")),
            };
            parts.push(format!("io: {} × GET {target}", io.requests));
            if parallel {
                parts.push(worker_counts(&io.workers));
            }
            if wide && config.strategies.contains(&Strategy::Async) {
                parts.push(format!("async concurrency {}", io.concurrency));
            }
            parts.push(runs(io.runs));
        }
        _ => match (workload, &config.tasks) {
            (Workload::Tasks, Some(tasks)) => {
                let counts: Vec<String> = tasks
                    .counts
                    .iter()
                    .map(|&n| super::format::count(n))
                    .collect();
                parts.push(format!(
                    "tasks: {} tasks, each waiting {}",
                    counts.join(", "),
                    super::format::seconds(tasks.wait_s)
                ));
                if config.strategies.contains(&Strategy::Async) {
                    parts.push(format!(
                        "async on {}",
                        count(tasks.workers, "runtime thread")
                    ));
                }
                parts.push(runs(tasks.runs));
            }
            _ => parts.push(workload.name().to_string()),
        },
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
    use crate::report::IoSettings;

    fn title(workload: &Workload, config: &ReportConfig) -> String {
        super::title(*workload, config, &[], true)
    }

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
            tasks: None,
            io: None,
            python: None,
        }
    }

    fn io(strategies: &[Strategy]) -> ReportConfig {
        ReportConfig {
            warmup: 0,
            strategies: strategies.to_vec(),
            cpu: None,
            tasks: None,
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
            python: None,
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
    fn a_title_gives_the_runs_each_model_got() {
        use crate::runner::ModelRuns;
        use crate::workload::{CpuJob, Outputs};
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3],
        };
        let model = |strategy, runs: usize| {
            ModelRuns::fixture(strategy, 2, &vec![0.1; runs], Outputs::Cpu(vec![5]))
        };
        let config = cpu(Kernel::Squares, vec![3], &Strategy::ALL);
        let even = crate::analysis::cpu(
            &job,
            &[model(Strategy::Sequential, 6), model(Strategy::Threads, 6)],
        )
        .rows;
        assert!(super::title(Workload::Cpu, &config, &even, false).ends_with(", 6 runs"));
        let adaptive = crate::analysis::cpu(
            &job,
            &[model(Strategy::Sequential, 6), model(Strategy::Threads, 52)],
        )
        .rows;
        let title = super::title(Workload::Cpu, &config, &adaptive, false);
        assert!(title.ends_with(", 6–52 runs"), "{title}");
        let title = super::title(Workload::Cpu, &config, &adaptive, true);
        assert!(
            title.ends_with(", 6–52 runs + 1 warmup, each in a fresh process"),
            "{title}"
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
            "io: 160 × GET built-in server, 50.0 ms latency, 10.0 KiB, 5 workers, async \
             concurrency 256, 1 run + 0 warmups, each in a fresh process"
        );
        assert_eq!(
            super::title(Workload::Io, &io(&Strategy::ALL), &[], false),
            "io: 160 × GET built-in server, 50.0 ms latency, 10.0 KiB, 5 workers, 1 run"
        );
        let threads = title(&Workload::Io, &io(&[Strategy::Threads]));
        assert!(threads.contains(", 5 workers, 1 run"), "{threads}");
        let sequential = title(&Workload::Io, &io(&[Strategy::Sequential]));
        assert!(
            sequential.ends_with("10.0 KiB, 1 run + 0 warmups, each in a fresh process"),
            "{sequential}"
        );
    }
}
