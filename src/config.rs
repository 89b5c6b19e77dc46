//! Parsed command line -> a validated, plain config. What one flag alone decides (a
//! whole number in range, a size, a duration) clap has checked already, so its error
//! carries the usage line; the rules that need more than one value or a file live
//! here, and every violation is a one-line [`UsageError`](crate::error::UsageError)
//! found before anything runs. So is a file the run would read or write and cannot
//! (a baseline, an export path): a one-line error that exits 1, before the run. The
//! engine never sees a clap type.

pub(crate) mod gate;

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{
    self, CpuArgs, EngineArgs, Format, IoArgs, KernelArg, SaveArgs, TasksArgs, WorkerCounts,
};
use crate::error::usage;
use crate::export::{Destination, ExportFormat};
use crate::gate::GateConfig;
use crate::limits::{
    DEFAULT_CONCURRENCY, DEFAULT_CPU_RUNS, DEFAULT_IO_RUNS, DEFAULT_IO_WORKERS, DEFAULT_START,
    DEFAULT_TASKS_RUNS, MAX_FIB_ARG, MAX_ITEMS, MAX_ROUNDS,
};
use crate::machine::available_parallelism;
use crate::server::ServerSettings;
use crate::strategy::Strategy;
use crate::workload::CpuJob;
use crate::workload::cpu::{FIB_ARG, Kernel};
use crate::workload::io::ClientSettings;

/// A benchmark to run: which models, how often, on which jobs.
#[derive(Debug, Clone)]
pub(crate) struct BenchConfig {
    /// The models, in table order, without duplicates.
    pub strategies: Vec<Strategy>,
    /// Unmeasured rounds before the measured ones.
    pub warmup: u32,
    /// When to stop adding measured rounds past each workload's `runs`; `None` with
    /// `--runs`, which fixes the count.
    pub stop: Option<StopRule>,
    /// `--run-timeout`: the time limit of one run; `None` for each workload's default
    /// ([`run_timeout`]).
    pub run_timeout: Option<std::time::Duration>,
    /// The interpreter of the `py-*` models (`--python`), unchecked; `None` when no
    /// Python model runs.
    pub python: Option<String>,
    pub format: Format,
    /// `--wide` and `--style`: how the tables are drawn.
    pub wide: bool,
    pub style: Option<crate::cli::Style>,
    pub cpu: Option<CpuPlan>,
    pub io: Option<IoPlan>,
    pub tasks: Option<TasksPlan>,
    pub save: SaveConfig,
    pub gate: GateConfig,
}

impl BenchConfig {
    /// The workloads run, as a report's default name starts: `cpu`, `io` or `all`.
    pub(crate) fn label(&self) -> &'static str {
        match (&self.cpu, &self.io, &self.tasks) {
            (Some(_), Some(_), _) => "all",
            (Some(_), None, _) => "cpu",
            (None, Some(_), _) => "io",
            (None, None, _) => "tasks",
        }
    }
}

/// Adaptive rounds: past the minimum, keep measuring each model until its median is
/// known to within `precision`, or its runs took `max_time`, or [`MAX_ROUNDS`] ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StopRule {
    pub precision: f64,
    /// `--max-time`, for each model's runs.
    pub max_time: Duration,
}

impl StopRule {
    /// The rounds of a workload whose minimum is `runs`.
    pub(crate) fn rounds(stop: Option<StopRule>, runs: u32) -> crate::runner::Rounds {
        match stop {
            None => crate::runner::Rounds::fixed(runs),
            Some(stop) => crate::runner::Rounds {
                min: runs,
                max: MAX_ROUNDS.max(runs),
                precision: Some(stop.precision),
                max_time: Some(stop.max_time),
            },
        }
    }
}

/// The time limit of one run of a workload: `--run-timeout`, or 10 minutes, or for io
/// at least the time every request would take to time out one after another, plus a
/// minute (sequential makes them one at a time).
pub(crate) fn run_timeout(
    given: Option<std::time::Duration>,
    io: Option<(usize, std::time::Duration)>,
) -> std::time::Duration {
    let default = crate::runner::DEFAULT_RUN_TIMEOUT;
    match (given, io) {
        (Some(limit), _) => limit,
        (None, None) => default,
        (None, Some((requests, timeout))) => {
            let all = timeout
                .saturating_mul(u32::try_from(requests).unwrap_or(u32::MAX))
                .saturating_add(std::time::Duration::from_secs(60));
            default.max(all)
        }
    }
}

/// Where the report is written besides stdout.
#[derive(Debug, Clone)]
pub(crate) struct SaveConfig {
    pub to: SaveTo,
    /// `results/baselines/NAME.json`, from `--save-baseline NAME`.
    pub baseline: Option<PathBuf>,
    /// `--plot PATH.svg`: draw the run.
    pub plot: Option<PathBuf>,
    /// `--export-*` flags, in the order of their formats.
    pub exports: Vec<(ExportFormat, Destination)>,
}

/// Where the report itself is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SaveTo {
    /// `results/WORKLOAD-UTCTIME.json`.
    DefaultName,
    Path(PathBuf),
    /// `--no-save`.
    Nowhere,
}

/// The CPU job and its pool size.
#[derive(Debug, Clone)]
pub(crate) struct CpuPlan {
    pub job: CpuJob,
    /// Worker counts: one, or a sweep; every model but sequential runs at each.
    pub workers: Vec<usize>,
    /// Measured rounds, the fewest (see [`BenchConfig::stop`]); each round runs every
    /// model once.
    pub runs: u32,
}

/// The tasks job: its counts, in increasing order, each run by every model that
/// holds N tasks at once.
#[derive(Debug, Clone)]
pub(crate) struct TasksPlan {
    pub counts: Vec<usize>,
    pub wait: Duration,
    /// The async model's runtime threads.
    pub workers: usize,
    /// Measured runs of each model at each count.
    pub runs: u32,
}

/// The I/O job before its target exists (the built-in server's port is only known
/// once it is started).
#[derive(Debug, Clone)]
pub(crate) struct IoPlan {
    pub target: IoTarget,
    /// Worker counts: one, or a sweep; every model but sequential runs at each.
    pub workers: Vec<usize>,
    /// Measured rounds, the fewest (see [`BenchConfig::stop`]); each round runs every
    /// model once.
    pub runs: u32,
    pub concurrency: usize,
    pub client: ClientSettings,
    /// Exit 0 even when requests failed.
    pub allow_failures: bool,
}

/// Where the I/O job sends its requests.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IoTarget {
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
pub(crate) struct ServeConfig {
    pub addr: std::net::SocketAddr,
    /// The user typed `--addr`: only then may a non-loopback address be bound.
    pub explicit_addr: bool,
    pub settings: ServerSettings,
    /// Worker threads of the server's tokio runtime.
    pub workers: usize,
    /// Print the settings and "Ctrl-C to stop" on stderr: a person started the server.
    /// Off when `concbench io` starts it as its target, whose stderr is the user's.
    pub announce: bool,
    /// Started by `concbench io` as its target: stop (SIGTERM) when it dies.
    pub exit_with_parent: bool,
}

/// Validates the flags shared by every benchmark.
pub(crate) fn bench(
    engine: &EngineArgs,
    cpu: Option<&CpuArgs>,
    io: Option<&IoArgs>,
    tasks: Option<(&TasksArgs, &[usize])>,
) -> anyhow::Result<BenchConfig> {
    // --workers (1 to MAX_WORKERS) and --runs (at least 1) are checked by clap.
    let mut strategies = parse_strategies(&engine.strategy)?;
    if engine.python.is_some() {
        for strategy in Strategy::PYTHON {
            if !strategies.contains(&strategy) {
                strategies.push(strategy);
            }
        }
    }
    // A py-* model named in --strategy needs an interpreter too: python3 by default.
    let python = engine.python.clone().or_else(|| {
        strategies
            .iter()
            .any(|s| s.is_python())
            .then(|| "python3".to_string())
    });
    // clap has checked --precision (a fraction between 0 and 1), and refuses it and
    // --max-time beside --runs, which leaves them nothing to decide.
    let stop = match engine.runs {
        Some(_) => None,
        None => Some(StopRule {
            precision: engine.precision,
            max_time: engine.max_time,
        }),
    };
    let cpu = cpu
        .map(|args| cpu_plan(args, engine.workers.as_ref(), engine.runs))
        .transpose()?;
    let io = io
        .map(|args| io_plan(args, engine.workers.as_ref(), engine.runs, &strategies))
        .transpose()?;
    let tasks = tasks
        .map(|(args, default_counts)| tasks_plan(args, default_counts, engine))
        .transpose()?;
    let mut config = BenchConfig {
        strategies,
        warmup: engine.warmup,
        stop,
        run_timeout: engine.run_timeout,
        python,
        format: engine.format,
        wide: engine.wide,
        style: engine.style,
        cpu,
        io,
        tasks,
        save: {
            let save = save(&engine.save)?;
            one_claim_on_stdout(engine.format, &save)?;
            save
        },
        gate: GateConfig::default(),
    };
    // The gates are checked against what will run: its models, workloads and runs.
    config.gate = gate::config(&engine.gate, &config)?;
    check_destinations(&config)?;
    Ok(config)
}

/// Errors (exit 1, naming the path) when a file the run will write plainly cannot be
/// written: the report, the baseline build's runs beside it, the baseline, the chart
/// and each export. Found now, a bad path costs nothing; found after the run, it
/// would cost the run (hyperfine creates its export files while it parses its flags).
fn check_destinations(config: &BenchConfig) -> anyhow::Result<()> {
    let report = match &config.save.to {
        SaveTo::Nowhere => None,
        SaveTo::Path(path) => Some(path.clone()),
        // The name the report would get now; its directory is what matters.
        SaveTo::DefaultName => Some(crate::results::default_path(
            config.label(),
            std::time::SystemTime::now(),
        )),
    };
    let beside = report
        .as_deref()
        .filter(|_| config.gate.baseline_build.is_some())
        .map(crate::results::baseline_build_path);
    let exports = config
        .save
        .exports
        .iter()
        .filter_map(|(_, destination)| match destination {
            Destination::File(path) => Some(path.clone()),
            Destination::Stdout => None,
        });
    report
        .into_iter()
        .chain(beside)
        .chain(config.save.baseline.clone())
        .chain(config.save.plot.clone())
        .chain(exports)
        .try_for_each(|path| crate::export::check_writable(&path))
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
        plot: args.plot.clone(),
        exports,
    })
}

/// `--format json` and an `--export-* -` both claim stdout: refuse, rather than
/// quietly moving one of them to stderr.
fn one_claim_on_stdout(format: Format, save: &SaveConfig) -> anyhow::Result<()> {
    let on_stdout = save
        .exports
        .iter()
        .find(|(_, destination)| *destination == Destination::Stdout);
    match (format, on_stdout) {
        (Format::Json, Some((export, _))) => Err(usage(format!(
            "--format json and --export-{} - both write to stdout; give the export a file \
             path, or leave out --format json",
            export.name().replace('_', "-")
        ))),
        _ => Ok(()),
    }
}

/// `all`, a name, or a comma list of names and aliases.
pub(crate) fn parse_strategies(list: &str) -> anyhow::Result<Vec<Strategy>> {
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

fn cpu_plan(
    args: &CpuArgs,
    workers: Option<&WorkerCounts>,
    runs: Option<u32>,
) -> anyhow::Result<CpuPlan> {
    let kernel = match args.kernel {
        KernelArg::Squares => Kernel::Squares,
        KernelArg::Fib => Kernel::Fib,
    };
    // clap refuses --count 0 already; this keeps cpu_plan total on its own.
    if args.count == 0 {
        return Err(usage("--count must be at least 1"));
    }
    let numbers = match (&args.numbers, kernel) {
        (Some(numbers), _) if numbers.is_empty() => return Err(usage("--numbers is empty")),
        (Some(numbers), _) if numbers.len() > MAX_ITEMS => {
            return Err(usage(format!(
                "--numbers lists {} numbers; at most {MAX_ITEMS}",
                numbers.len()
            )));
        }
        (Some(numbers), _) => numbers.clone(),
        (None, Kernel::Fib) => {
            if args.start.is_some() {
                return Err(usage(format!(
                    "--start applies to --kernel squares; fib runs fib({FIB_ARG}) --count times, \
                     or fib(n) for each n of --numbers"
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
    let workers = workers.map_or_else(|| vec![available_parallelism()], |w| w.0.clone());
    let runs = runs.unwrap_or(DEFAULT_CPU_RUNS);
    Ok(CpuPlan {
        job: CpuJob { kernel, numbers },
        workers,
        runs,
    })
}

/// The largest n whose sum of squares fits u128, by bisection on the exact formula.
pub(crate) fn largest_squares_arg() -> u64 {
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

/// The I/O job. clap has checked every number (--concurrency, --repeat and
/// --requests are at least 1 and --timeout is more than 0), that --repeat comes with
/// --sites, and that the built-in server's flags do not.
fn io_plan(
    args: &IoArgs,
    workers: Option<&WorkerCounts>,
    runs: Option<u32>,
    strategies: &[Strategy],
) -> anyhow::Result<IoPlan> {
    let limited = [Strategy::Async, Strategy::PyAsyncio];
    if let Some(concurrency) = args.concurrency
        && !strategies.iter().any(|s| limited.contains(s))
    {
        return Err(usage(format!(
            "--concurrency {concurrency} limits the async and py-asyncio models, and \
             neither is run (--strategy {}): leave it out, or add async",
            strategies
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(",")
        )));
    }
    let target = match &args.sites {
        Some(file) => {
            let sites = crate::workload::io::read_sites(file)?;
            let total = sites.len().saturating_mul(args.repeat as usize);
            if total > MAX_ITEMS {
                return Err(usage(format!(
                    "--repeat {} of {} sites makes {total} requests; at most {MAX_ITEMS}",
                    args.repeat,
                    sites.len()
                )));
            }
            let urls = (0..args.repeat)
                .flat_map(|_| sites.iter().cloned())
                .collect();
            IoTarget::Sites {
                file: file.clone(),
                urls,
            }
        }
        None => IoTarget::Builtin {
            requests: args.requests,
            settings: ServerSettings {
                latency: args.latency,
                body_bytes: args.body_bytes,
                idle_timeout: crate::server::DEFAULT_IDLE_TIMEOUT,
                log: false,
            },
        },
    };
    let no_proxy = match &target {
        IoTarget::Builtin { .. } => true,
        IoTarget::Sites { urls, .. } => crate::workload::io::all_loopback(urls),
    };
    Ok(IoPlan {
        target,
        workers: workers.map_or_else(|| vec![DEFAULT_IO_WORKERS], |w| w.0.clone()),
        runs: runs.unwrap_or(DEFAULT_IO_RUNS),
        concurrency: args.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        client: ClientSettings {
            timeout: args.timeout,
            max_body_bytes: args.max_body_bytes,
            no_proxy,
            resolved: Default::default(),
        },
        allow_failures: args.allow_failures,
    })
}

/// The tasks job: counts (clap has checked each, and sorted them), the wait, and
/// the async runtime's threads, one count only: every task is its own unit of
/// concurrency, so there is no worker sweep.
fn tasks_plan(
    args: &TasksArgs,
    default_counts: &[usize],
    engine: &EngineArgs,
) -> anyhow::Result<TasksPlan> {
    let workers = match &engine.workers {
        None => available_parallelism(),
        Some(counts) if counts.0.len() == 1 => counts.0[0],
        Some(_) => {
            return Err(usage(
                "the tasks job takes one --workers count (the async runtime's threads), \
                 not a sweep; sweep the tasks with --tasks",
            ));
        }
    };
    Ok(TasksPlan {
        counts: args
            .tasks
            .as_ref()
            .map_or_else(|| default_counts.to_vec(), |c| c.0.clone()),
        wait: args.wait,
        workers,
        runs: engine.runs.unwrap_or(DEFAULT_TASKS_RUNS),
    })
}

/// Validates `concbench serve`. clap has checked each value; `--port` and `--addr`
/// exclude each other.
pub(crate) fn serve(args: &cli::ServeArgs) -> anyhow::Result<ServeConfig> {
    let addr = args
        .addr
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], args.port.unwrap_or(0))));
    Ok(ServeConfig {
        addr,
        explicit_addr: args.addr.is_some(),
        settings: ServerSettings {
            latency: args.latency,
            body_bytes: args.body_bytes,
            idle_timeout: args.idle_timeout,
            log: args.log,
        },
        workers: args.workers.unwrap_or_else(available_parallelism),
        announce: !args.exit_with_parent,
        exit_with_parent: args.exit_with_parent,
    })
}

#[cfg(test)]
mod tests;
