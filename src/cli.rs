//! The command line, as clap sees it: subcommands, flags, defaults and help text.
//!
//! Values are checked here as far as one flag alone can be (a whole number in range,
//! a size, a duration: the parsers are in [`values`]), so clap reports them with its
//! usage line; cross-flag rules live in [`crate::config`], which turns these structs
//! into the plain config the engine runs.

mod values;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use values::{
    TaskCounts, WorkerCounts, at_least, parse_addr, parse_body_size, parse_duration,
    parse_fraction, parse_precision, parse_size, parse_timeout, task_counts, whole_number,
    worker_counts,
};

use crate::limits::{
    DEFAULT_CPU_RUNS, DEFAULT_IO_RUNS, DEFAULT_IO_WORKERS, DEFAULT_TASKS_RUNS, MAX_ITEMS,
    MAX_TASKS, MAX_WORKERS,
};

/// Which concurrency model should this job use, and did it get slower?
///
/// Runs a CPU job and an I/O job under sequential, threads, async (tokio), rayon and a
/// process pool, each run in a fresh child process, and prints a verified timing table.
#[derive(Debug, Parser)]
#[command(name = "concbench", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sum of squares of 0..n (or recursive fib) for a list of numbers, under each model.
    Cpu(CpuCommand),
    /// Download a list of URLs under each model (by default from a built-in local server).
    Io(IoCommand),
    /// Hold N waiting tasks at once under each model: what a waiting task costs.
    Tasks(TasksCommand),
    /// Run the cpu, io and tasks jobs and print the three tables.
    All(AllCommand),
    /// Run the built-in HTTP target server until Ctrl-C.
    Serve(ServeArgs),
    /// Compare two saved reports; exit 3 when a model got slower.
    Compare(CompareArgs),
    /// Draw a saved report, or a comparison of two, as an SVG chart.
    Plot(PlotArgs),
    /// Print a shell completion script on stdout (see the README for where it goes).
    Completions(CompletionsArgs),
    /// Print the man page, in roff, on stdout: `concbench man | man -l -`.
    Man(ManArgs),
    /// Internal: a process-pool worker fed jobs on stdin.
    #[command(hide = true)]
    Worker,
    /// Internal: one measured run, in its own process.
    #[command(hide = true, name = "measure-run")]
    MeasureRun,
    /// Internal: one task of the spawn model's tasks job: wait, then print INDEX.
    #[command(hide = true, name = "task-wait")]
    TaskWait { index: usize, wait_s: f64 },
}

/// `concbench cpu`. The job's own flags come first; --workers and --runs give the cpu
/// defaults alone, where `all` gives both jobs'.
#[derive(Debug, Args)]
#[command(mut_arg("workers", |a| a.help(workers_help("available parallelism"))))]
#[command(mut_arg("runs", |a| a.help(runs_help(&DEFAULT_CPU_RUNS.to_string()))))]
pub struct CpuCommand {
    #[command(flatten)]
    pub cpu: CpuArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `concbench io`, with the io defaults of --workers and --runs.
#[derive(Debug, Args)]
#[command(mut_arg("workers", |a| a.help(workers_help(&DEFAULT_IO_WORKERS.to_string()))))]
#[command(mut_arg("runs", |a| a.help(runs_help(&DEFAULT_IO_RUNS.to_string()))))]
pub struct IoCommand {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `concbench tasks`: --workers is the async runtime's threads; every task is its
/// own unit of concurrency in every model.
#[derive(Debug, Args)]
#[command(mut_arg("workers", |a| a.help(
    "Worker threads of the async model's runtime, 1 to 1024 [default: available parallelism]; \
     threads and spawn start one thread or process per task"
)))]
#[command(mut_arg("runs", |a| a.help(format!(
    "Measured runs of each model at each count [default: {DEFAULT_TASKS_RUNS}]"
))))]
pub struct TasksCommand {
    #[command(flatten)]
    pub tasks: TasksArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `concbench all`: every job's flags, and every job's defaults.
#[derive(Debug, Args)]
#[command(mut_arg("runs", |a| a.help(format!(
    "{} The tasks job runs each model {DEFAULT_TASKS_RUNS} times at each count unless told.",
    runs_help(&format!("{DEFAULT_CPU_RUNS} for cpu and {DEFAULT_IO_RUNS} for io"))
))))]
pub struct AllCommand {
    #[command(flatten)]
    pub cpu: CpuArgs,
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub tasks: TasksArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The help of --workers with one job's default.
fn workers_help(default: &str) -> String {
    format!(
        "Workers per model, 1 to 1024, or a sweep: a list (1,2,4,8) or a range (1..=8), every \
         model at every count; sequential always runs once, with 1 [default: {default}]"
    )
}

/// The help of --runs with the fewest runs without it.
fn runs_help(fewest: &str) -> String {
    format!(
        "Exactly N measured runs of each model, interleaved round-robin across models \
         [default: at least {fewest}, then more until --precision or --max-time]"
    )
}

/// Flags shared by every benchmarking subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Measurement")]
pub struct EngineArgs {
    /// Models to run: one name, a comma list, or `all`.
    /// Names: sequential, threads, async, rayon, processes (alias multiprocess, mp).
    #[arg(short, long, value_name = "LIST", default_value = "all")]
    pub strategy: String,

    /// Workers per model, 1 to 1024; sequential always runs 1
    /// [default: cpu = available parallelism, io = 5].
    #[arg(short, long, value_name = "N|LIST", value_parser = worker_counts(MAX_WORKERS))]
    pub workers: Option<WorkerCounts>,

    /// Unmeasured runs of each model before the measured ones (0 for none).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,

    /// Exactly N measured runs of each model, interleaved round-robin across models
    /// (each subcommand's help gives its own minimum).
    #[arg(short, long, value_name = "N", value_parser = at_least::<u32>(1))]
    pub runs: Option<u32>,

    /// Without --runs: add runs of each model until its median is known to within this
    /// (the half-width of its 95 % interval, as a fraction of the median). 1 % lets
    /// `compare` catch a 10 % slowdown at its 5 % tolerance.
    #[arg(
        long,
        value_name = "PERCENT",
        default_value = "1%",
        value_parser = parse_precision,
        conflicts_with = "runs"
    )]
    pub precision: f64,

    /// Kill a run (and every process it started) still going after this long, and
    /// fail [default: 10m, or for io the time all its requests could take to time
    /// out one after another, plus 1m, if longer].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub run_timeout: Option<Duration>,

    /// Without --runs: stop adding runs of a model once its runs took this long.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_duration,
        conflicts_with = "runs"
    )]
    pub max_time: Duration,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Add the classic CPython versions (py-sequential, py-threads, py-asyncio,
    /// py-processes) to the run, with this interpreter [default: python3].
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "python3")]
    pub python: Option<String>,

    /// Show every column of the table, not only those that fit 100 columns.
    #[arg(long)]
    pub wide: bool,

    /// Table borders [default: full, or ascii when the locale is not UTF-8].
    #[arg(long, value_enum, value_name = "STYLE")]
    pub style: Option<Style>,

    #[command(flatten)]
    pub save: SaveArgs,

    #[command(flatten)]
    pub gate: GateArgs,
}

/// Where the report goes besides stdout.
#[derive(Debug, Args)]
#[command(next_help_heading = "Saving and exporting")]
pub struct SaveArgs {
    /// Save the report here [default: results/WORKLOAD-UTCTIME.json].
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Do not save the report.
    #[arg(long, conflicts_with = "output")]
    pub no_save: bool,

    /// Also store the report as the baseline NAME, in results/baselines/NAME.json.
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,

    /// Export the report as JSON ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    pub export_json: Option<String>,

    /// Export one CSV row per model ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    pub export_csv: Option<String>,

    /// Export a Markdown table ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    pub export_markdown: Option<String>,

    /// Export Bencher Metric Format JSON ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    pub export_bmf: Option<String>,

    /// Export github-action-benchmark's customSmallerIsBetter JSON ('-' for stdout).
    #[arg(long, value_name = "PATH")]
    pub export_github_benchmark: Option<String>,

    /// Draw the run as an SVG chart: bars of each model's median, or, for a worker
    /// sweep, speedup and memory against workers.
    #[arg(long, value_name = "PATH.svg")]
    pub plot: Option<PathBuf>,
}

/// Gates that turn a slower result into exit code 3.
#[derive(Debug, Args)]
#[command(next_help_heading = "Regression gate")]
pub struct GateArgs {
    /// Compare with this saved report (a path, or the NAME of a saved baseline).
    #[arg(long, value_name = "FILE|NAME")]
    pub baseline: Option<String>,

    /// Compare with another concbench build, measured now: each model also runs as
    /// BINARY, beside this build in the same rounds, so a busy machine slows both
    /// alike. Its report is saved beside this one, as NAME-baseline-build.json.
    #[arg(long, value_name = "BINARY", conflicts_with = "baseline")]
    pub baseline_build: Option<PathBuf>,

    /// A check on this run's own figures, WORKLOAD.MODEL.METRIC OP (NUMBER or another
    /// figure): 'cpu.processes.speedup >= 1.7', 'cpu.rayon.speedup > cpu.processes.speedup'.
    /// Metrics: speedup, efficiency (0.8 or 80%), median (s, ms, us), rps (io only).
    /// Repeatable; each prints an ok or FAIL line.
    #[arg(long, value_name = "EXPR")]
    pub expect: Vec<String>,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// How much slower counts as a regression, and what fails the gate.
#[derive(Debug, Args)]
pub struct ThresholdArgs {
    /// Slower by more than this (and significantly) is a regression.
    #[arg(long, value_name = "PERCENT", default_value = "5%", value_parser = parse_fraction)]
    pub max_regression: f64,

    /// p-value below which a difference counts as real. Both sides need enough runs to
    /// reach it (4 a side at 0.05); fewer are refused.
    #[arg(long, value_name = "P", default_value_t = 0.05)]
    pub significance: f64,

    /// Fail (exit 3) on an inconclusive row too, not only on a slower one.
    #[arg(long)]
    pub fail_on_inconclusive: bool,
}

/// `concbench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference report (a path, or the NAME of a saved baseline).
    pub baseline: String,

    /// The report to judge.
    pub current: PathBuf,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// `concbench plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// One report (a path or a baseline NAME) to draw; two to draw their comparison,
    /// the baseline first.
    #[arg(value_name = "REPORT", num_args = 1..=2, required = true)]
    pub reports: Vec<String>,

    /// Where to write the SVG.
    #[arg(short, long, value_name = "PATH.svg")]
    pub output: PathBuf,

    #[command(flatten)]
    pub thresholds: ThresholdArgs,
}

/// `concbench completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete concbench's subcommands and flags in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `concbench man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's own page (concbench-cpu(1), ...) instead of concbench's.
    #[arg(value_name = "COMMAND", value_parser = MAN_PAGES)]
    pub command: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The versioned JSON report (see schema/report.schema.json).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// Exact sum of i*i for i in 0..n, as u128, for each n of --start/--count or --numbers.
    Squares,
    /// Naive recursive fib(n): fib(35), --count times, or fib(n) for each n of --numbers
    /// (n up to 45).
    Fib,
}

/// The CPU job.
#[derive(Debug, Args)]
#[command(next_help_heading = "CPU job")]
pub struct CpuArgs {
    /// How many numbers: start, start+1, ... (squares), or how many fib(35) (fib); at
    /// most 1000000.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = whole_number::<u64>(1, MAX_ITEMS as u64))]
    pub count: u64,

    /// The first number, for squares [default: 5000000].
    #[arg(long, value_name = "N")]
    pub start: Option<u64>,

    /// The numbers themselves, comma separated, instead of --start and --count.
    #[arg(
        long,
        value_name = "A,B,C",
        value_delimiter = ',',
        conflicts_with_all = ["start", "count"]
    )]
    pub numbers: Option<Vec<u64>>,

    /// The work done per number.
    #[arg(long, value_enum, default_value_t = KernelArg::Squares)]
    pub kernel: KernelArg,
}

/// The I/O job.
#[derive(Debug, Args)]
#[command(next_help_heading = "I/O job")]
pub struct IoArgs {
    /// A file of URLs, one per line (# comments); needs the internet for real sites.
    /// Without it, a built-in server on 127.0.0.1 is used.
    #[arg(long, value_name = "FILE")]
    pub sites: Option<PathBuf>,

    /// Repeat the --sites list N times.
    // The conflicts as well as the requirement: clap excuses a missing --sites when
    // a flag that conflicts with it is given, so `--repeat 3 --requests 2` would pass.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = at_least::<u32>(1),
        requires = "sites",
        conflicts_with_all = ["requests", "latency", "body_bytes"]
    )]
    pub repeat: u32,

    /// Requests to the built-in server, per run of each model; at most 1000000.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 160,
        value_parser = whole_number::<u32>(1, MAX_ITEMS as u64),
        conflicts_with = "sites"
    )]
    pub requests: u32,

    /// Latency of the built-in server per request: 50ms, 1.5s, 200us, 0.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "50ms",
        value_parser = parse_duration,
        conflicts_with = "sites"
    )]
    pub latency: Duration,

    /// Body size of the built-in server's responses: bytes, or KiB, MiB, GiB; at most 1GiB.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "10KiB",
        value_parser = parse_body_size,
        conflicts_with = "sites"
    )]
    pub body_bytes: usize,

    /// Timeout of each request, connect to last body byte: 10s, 500ms.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// A body larger than this is a counted failure (and is never held in memory):
    /// bytes, or KiB, MiB, GiB.
    #[arg(long, value_name = "SIZE", default_value = "4MiB", value_parser = parse_size)]
    pub max_body_bytes: u64,

    /// Most requests in flight at once in the async and py-asyncio models, 1 to 65536
    /// [default: 256].
    #[arg(long, value_name = "N", value_parser = whole_number::<usize>(1, 65_536))]
    pub concurrency: Option<usize>,

    /// Exit 0 even when some requests failed (they are still counted and reported).
    #[arg(long)]
    pub allow_failures: bool,
}

/// The tasks job.
#[derive(Debug, Args)]
#[command(next_help_heading = "Tasks job")]
pub struct TasksArgs {
    /// Tasks held at once: one count or a sweep (1000,10000,100000), every model at
    /// every count [default: 1000,10000,100000; in `all`, 1000,10000].
    #[arg(long, value_name = "N|LIST", value_parser = task_counts(MAX_TASKS))]
    pub tasks: Option<TaskCounts>,

    /// How long each task waits on its timer once all are started: 1s, 200ms.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub wait: Duration,
}

/// `concbench serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind: IP:PORT, :PORT, localhost:PORT or a bare PORT. Without an IP it
    /// is 127.0.0.1; 0.0.0.0:8080 serves every interface [default: 127.0.0.1, a free port].
    #[arg(long, value_name = "ADDR", value_parser = parse_addr, conflicts_with = "port")]
    pub addr: Option<SocketAddr>,

    /// Port to bind on 127.0.0.1; 0 picks a free one [default: 0].
    #[arg(short, long, value_name = "N", value_parser = whole_number::<u16>(0, 65_535))]
    pub port: Option<u16>,

    /// Delay before each response: 50ms, 1.5s, 200us, 0.
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration)]
    pub latency: Duration,

    /// Size of each response body: bytes, or KiB, MiB, GiB; at most 1GiB.
    #[arg(long, value_name = "SIZE", default_value = "10KiB", value_parser = parse_body_size)]
    pub body_bytes: usize,

    /// Close a connection after this long with no bytes moving and no request being
    /// served (a request's latency never counts): 2m, 30s; 0 never closes one.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Worker threads of the server's runtime, 1 to 1024 [default: available parallelism].
    #[arg(
        short,
        long,
        alias = "threads",
        value_name = "N",
        value_parser = whole_number::<usize>(1, MAX_WORKERS as u64)
    )]
    pub workers: Option<usize>,

    /// Log every request on stderr: method, path, status, body bytes, time to respond.
    #[arg(long)]
    pub log: bool,

    /// Internal: stop when the process that started this one dies (set by `io`).
    #[arg(long, hide = true)]
    pub exit_with_parent: bool,
}

/// The border style of a table (`--style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// Box-drawing borders around every cell.
    Full,
    /// Rules above, under the header and below; columns two spaces apart (the
    /// default: the lightest that stays readable, and the one that fits 100 columns).
    Basic,
    /// Plain ASCII borders and symbols, for terminals that are not UTF-8.
    Ascii,
    /// A GitHub-flavoured Markdown table.
    Markdown,
}

/// The subcommands with a man page of their own: every visible one but `help`.
pub const MAN_PAGES: [&str; 9] = [
    "cpu",
    "io",
    "tasks",
    "all",
    "serve",
    "compare",
    "plot",
    "completions",
    "man",
];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_arrive_in_bytes() {
        let cli = Cli::try_parse_from(["concbench", "io", "--body-bytes", "64KiB"]).unwrap();
        let Command::Io(io) = cli.command else {
            panic!("io")
        };
        assert_eq!(io.io.body_bytes, 64 << 10);
        assert_eq!(io.io.max_body_bytes, 4 << 20, "the default");
    }
}
