//! Parsed command line -> a validated, plain config. Every range and cross-flag rule
//! lives here, and every violation is a one-line [`UsageError`](crate::error::UsageError)
//! found before anything runs. The engine never sees a clap type.

use std::path::PathBuf;

use crate::cli::{self, CpuArgs, EngineArgs, Format, IoArgs, KernelArg, SaveArgs};
use crate::error::usage;
use crate::export::{Destination, ExportFormat};
use crate::gate::GateConfig;
use crate::server::ServerSettings;
use crate::strategy::Strategy;
use crate::workload::CpuJob;
use crate::workload::cpu::{FIB_ARG, Kernel};
use crate::workload::io::ClientSettings;

/// The classic experiment's first number.
pub const DEFAULT_START: u64 = 5_000_000;
/// The classic experiment's thread-pool size for downloads.
pub const DEFAULT_IO_WORKERS: usize = 5;
/// Measured runs by default: the CPU job is short, the I/O job's sequential model
/// waits out 160 latencies per run.
pub const DEFAULT_CPU_RUNS: u32 = 10;
pub const DEFAULT_IO_RUNS: u32 = 3;
/// More workers than this is a typo, not an experiment.
pub const MAX_WORKERS: usize = 1024;
/// Recursive fib beyond this takes minutes per item.
pub const MAX_FIB_ARG: u64 = 45;

/// A benchmark to run: which models, how often, on which jobs.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The models, in table order, without duplicates.
    pub strategies: Vec<Strategy>,
    /// Unmeasured rounds before the measured ones.
    pub warmup: u32,
    pub format: Format,
    pub cpu: Option<CpuPlan>,
    pub io: Option<IoPlan>,
    pub save: SaveConfig,
    pub gate: GateConfig,
}

/// Where the report is written besides stdout.
#[derive(Debug, Clone)]
pub struct SaveConfig {
    pub to: SaveTo,
    /// `results/baselines/NAME.json`, from `--save-baseline NAME`.
    pub baseline: Option<PathBuf>,
    /// `--export-*` flags, in the order of their formats.
    pub exports: Vec<(ExportFormat, Destination)>,
}

/// Where the report itself is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveTo {
    /// `results/WORKLOAD-UTCTIME.json`.
    DefaultName,
    Path(PathBuf),
    /// `--no-save`.
    Nowhere,
}

/// The CPU job and its pool size.
#[derive(Debug, Clone)]
pub struct CpuPlan {
    pub job: CpuJob,
    pub workers: usize,
    /// Measured rounds; each round runs every model once.
    pub runs: u32,
}

/// The I/O job before its target exists (the built-in server's port is only known
/// once it is started).
#[derive(Debug, Clone)]
pub struct IoPlan {
    pub target: IoTarget,
    pub workers: usize,
    /// Measured rounds; each round runs every model once.
    pub runs: u32,
    pub concurrency: usize,
    pub client: ClientSettings,
    /// Exit 0 even when requests failed.
    pub allow_failures: bool,
}

/// Where the I/O job sends its requests.
#[derive(Debug, Clone, PartialEq)]
pub enum IoTarget {
    /// Start `concbench serve` on 127.0.0.1, port 0, and send it `requests` GETs.
    Builtin {
        requests: u32,
        settings: ServerSettings,
    },
    /// These URLs (already repeated), from this file.
    Sites { file: PathBuf, urls: Vec<String> },
}

/// `concbench serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: std::net::SocketAddr,
    /// The user typed `--addr`: only then may a non-loopback address be bound.
    pub explicit_addr: bool,
    pub settings: ServerSettings,
    pub threads: Option<usize>,
    /// Started by `concbench io` as its target: stop (SIGTERM) when it dies.
    pub exit_with_parent: bool,
}

/// Logical CPUs this process may use (cgroup- and affinity-aware), at least 1.
pub fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Validates the flags shared by every benchmark.
pub fn bench(
    engine: &EngineArgs,
    cpu: Option<&CpuArgs>,
    io: Option<&IoArgs>,
) -> anyhow::Result<BenchConfig> {
    let strategies = parse_strategies(&engine.strategy)?;
    if let Some(workers) = engine.workers {
        if workers == 0 {
            return Err(usage("--workers must be at least 1"));
        }
        if workers > MAX_WORKERS {
            return Err(usage(format!(
                "--workers {workers} is more than {MAX_WORKERS}"
            )));
        }
    }
    if engine.runs == Some(0) {
        return Err(usage("--runs must be at least 1"));
    }
    let cpu = cpu
        .map(|args| cpu_plan(args, engine.workers, engine.runs))
        .transpose()?;
    let io = io
        .map(|args| io_plan(args, engine.workers, engine.runs))
        .transpose()?;
    let mut config = BenchConfig {
        strategies,
        warmup: engine.warmup,
        format: engine.format,
        cpu,
        io,
        save: save(&engine.save)?,
        gate: GateConfig::default(),
    };
    // The gates are checked against what will run: its models, workloads and runs.
    config.gate = crate::gate::config(&engine.gate, &config)?;
    Ok(config)
}

fn save(args: &SaveArgs) -> anyhow::Result<SaveConfig> {
    let to = match (&args.output, args.no_save) {
        (_, true) => SaveTo::Nowhere,
        (Some(path), false) => SaveTo::Path(path.clone()),
        (None, false) => SaveTo::DefaultName,
    };
    let baseline = args
        .save_baseline
        .as_deref()
        .map(crate::results::baseline_path)
        .transpose()?;
    let flags = [
        (ExportFormat::Json, &args.export_json),
        (ExportFormat::Csv, &args.export_csv),
        (ExportFormat::Markdown, &args.export_markdown),
        (ExportFormat::Bmf, &args.export_bmf),
        (ExportFormat::GithubBenchmark, &args.export_github_benchmark),
    ];
    let exports: Vec<_> = flags
        .into_iter()
        .filter_map(|(format, path)| path.as_deref().map(|p| (format, Destination::parse(p))))
        .collect();
    if exports
        .iter()
        .filter(|(_, d)| *d == Destination::Stdout)
        .count()
        > 1
    {
        return Err(usage("only one --export-* may write to stdout ('-')"));
    }
    Ok(SaveConfig {
        to,
        baseline,
        exports,
    })
}

/// `all`, a name, or a comma list of names and aliases.
pub fn parse_strategies(list: &str) -> anyhow::Result<Vec<Strategy>> {
    let mut strategies = Vec::new();
    for name in list.split(',').map(str::trim) {
        if name.eq_ignore_ascii_case("all") {
            strategies.extend(Strategy::ALL);
            continue;
        }
        let strategy = Strategy::parse(name).ok_or_else(|| {
            let names: Vec<_> = Strategy::ALL.iter().map(|s| s.name()).collect();
            usage(format!(
                "unknown strategy '{name}' (expected {}, or all)",
                names.join(", ")
            ))
        })?;
        strategies.push(strategy);
    }
    let mut seen = Vec::new();
    strategies.retain(|s| {
        let new = !seen.contains(s);
        seen.push(*s);
        new
    });
    Ok(strategies)
}

fn cpu_plan(args: &CpuArgs, workers: Option<usize>, runs: Option<u32>) -> anyhow::Result<CpuPlan> {
    let kernel = match args.kernel {
        KernelArg::Squares => Kernel::Squares,
        KernelArg::Fib => Kernel::Fib,
    };
    if args.count == 0 {
        return Err(usage("--count must be at least 1"));
    }
    let numbers = match (&args.numbers, kernel) {
        (Some(numbers), _) if numbers.is_empty() => return Err(usage("--numbers is empty")),
        (Some(numbers), _) => numbers.clone(),
        (None, Kernel::Fib) => {
            if args.start.is_some() {
                return Err(usage(format!(
                    "--start applies to --kernel squares; fib runs fib({FIB_ARG}) per item"
                )));
            }
            vec![FIB_ARG; args.count as usize]
        }
        (None, Kernel::Squares) => {
            let start = args.start.unwrap_or(DEFAULT_START);
            let end = start.checked_add(args.count - 1).ok_or_else(|| {
                usage(format!(
                    "--start {start} with --count {} passes u64::MAX",
                    args.count
                ))
            })?;
            (start..=end).collect()
        }
    };
    for &n in &numbers {
        if kernel == Kernel::Fib && n > MAX_FIB_ARG {
            return Err(usage(format!(
                "fib({n}) would take hours recursively; the largest allowed is {MAX_FIB_ARG}"
            )));
        }
        if kernel.expected(n).is_none() {
            return Err(usage(format!(
                "the sum of squares below {n} overflows u128; the largest n allowed is {}",
                largest_squares_arg()
            )));
        }
    }
    let workers = workers.unwrap_or_else(available_parallelism);
    let runs = runs.unwrap_or(DEFAULT_CPU_RUNS);
    Ok(CpuPlan {
        job: CpuJob { kernel, numbers },
        workers,
        runs,
    })
}

/// The largest n whose sum of squares fits u128, by bisection on the exact formula.
pub fn largest_squares_arg() -> u64 {
    let (mut fits, mut overflows) = (1u64, u64::MAX);
    while fits + 1 < overflows {
        let mid = fits + (overflows - fits) / 2;
        if Kernel::Squares.expected(mid).is_some() {
            fits = mid
        } else {
            overflows = mid
        }
    }
    fits
}

fn io_plan(args: &IoArgs, workers: Option<usize>, runs: Option<u32>) -> anyhow::Result<IoPlan> {
    if args.concurrency == 0 {
        return Err(usage("--concurrency must be at least 1"));
    }
    if args.timeout.is_zero() {
        return Err(usage("--timeout must be more than 0"));
    }
    let target = match &args.sites {
        Some(file) => {
            if args.repeat == 0 {
                return Err(usage("--repeat must be at least 1"));
            }
            let sites = crate::workload::io::read_sites(file)?;
            let urls = (0..args.repeat)
                .flat_map(|_| sites.iter().cloned())
                .collect();
            IoTarget::Sites {
                file: file.clone(),
                urls,
            }
        }
        None => {
            if args.requests == 0 {
                return Err(usage("--requests must be at least 1"));
            }
            IoTarget::Builtin {
                requests: args.requests,
                settings: ServerSettings {
                    latency: args.latency,
                    body_bytes: args.body_bytes,
                },
            }
        }
    };
    let no_proxy = match &target {
        IoTarget::Builtin { .. } => true,
        IoTarget::Sites { urls, .. } => crate::workload::io::all_loopback(urls),
    };
    Ok(IoPlan {
        target,
        workers: workers.unwrap_or(DEFAULT_IO_WORKERS),
        runs: runs.unwrap_or(DEFAULT_IO_RUNS),
        concurrency: args.concurrency,
        client: ClientSettings {
            timeout: args.timeout,
            max_body_bytes: args.max_body_bytes,
            no_proxy,
        },
        allow_failures: args.allow_failures,
    })
}

/// Validates `concbench serve`.
pub fn serve(args: &cli::ServeArgs) -> anyhow::Result<ServeConfig> {
    if args.threads == Some(0) {
        return Err(usage("--threads must be at least 1"));
    }
    let default = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    Ok(ServeConfig {
        addr: args.addr.unwrap_or(default),
        explicit_addr: args.addr.is_some(),
        settings: ServerSettings {
            latency: args.latency,
            body_bytes: args.body_bytes,
        },
        threads: args.threads,
        exit_with_parent: args.exit_with_parent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UsageError;

    fn usage_message(result: anyhow::Result<impl std::fmt::Debug>) -> String {
        let error = result.unwrap_err();
        error
            .downcast_ref::<UsageError>()
            .expect("a usage error")
            .0
            .clone()
    }

    #[test]
    fn strategy_lists() {
        assert_eq!(parse_strategies("all").unwrap(), Strategy::ALL.to_vec());
        assert_eq!(
            parse_strategies("mp, threads,multiprocess").unwrap(),
            vec![Strategy::Processes, Strategy::Threads]
        );
        let message = usage_message(parse_strategies("threads,bogus"));
        assert!(message.starts_with("unknown strategy 'bogus'"), "{message}");
    }

    fn cpu_args(start: Option<u64>, count: u64, kernel: KernelArg) -> CpuArgs {
        CpuArgs {
            count,
            start,
            numbers: None,
            kernel,
        }
    }

    #[test]
    fn cpu_defaults_are_the_classic_experiment() {
        let plan = cpu_plan(&cpu_args(None, 20, KernelArg::Squares), Some(2), None).unwrap();
        assert_eq!(plan.job.numbers.first(), Some(&5_000_000));
        assert_eq!(plan.job.numbers.last(), Some(&5_000_019));
        assert_eq!(plan.workers, 2);
        let fib = cpu_plan(&cpu_args(None, 3, KernelArg::Fib), None, None).unwrap();
        assert_eq!(fib.job.numbers, vec![35, 35, 35]);
    }

    #[test]
    fn cpu_refuses_overflow_and_nonsense() {
        let top = largest_squares_arg();
        assert!(cpu_plan(&cpu_args(Some(top), 1, KernelArg::Squares), None, None).is_ok());
        let message = usage_message(cpu_plan(
            &cpu_args(Some(top), 2, KernelArg::Squares),
            None,
            None,
        ));
        assert!(message.contains("overflows u128"), "{message}");
        assert!(
            usage_message(cpu_plan(&cpu_args(None, 0, KernelArg::Squares), None, None))
                .contains("--count")
        );
        assert!(
            usage_message(cpu_plan(
                &cpu_args(Some(u64::MAX), 2, KernelArg::Squares),
                None,
                None
            ))
            .contains("u64::MAX")
        );
        assert!(
            usage_message(cpu_plan(&cpu_args(Some(1), 2, KernelArg::Fib), None, None))
                .contains("--start")
        );
    }
}
