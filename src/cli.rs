//! The command line, as clap sees it: subcommands, flags, defaults and help text.
//!
//! Nothing here is checked beyond its type; cross-flag rules and ranges live in
//! [`crate::config`], which turns these structs into the plain config the engine runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Run the cpu and the io job and print both tables.
    All(AllCommand),
    /// Run the built-in HTTP target server until Ctrl-C.
    Serve(ServeArgs),
    /// Compare two saved reports; exit 3 when a model got slower.
    Compare(CompareArgs),
    /// Internal: a process-pool worker fed jobs on stdin.
    #[command(hide = true)]
    Worker,
    /// Internal: one measured run, in its own process.
    #[command(hide = true, name = "measure-run")]
    MeasureRun,
}

#[derive(Debug, Args)]
pub struct CpuCommand {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub cpu: CpuArgs,
}

#[derive(Debug, Args)]
pub struct IoCommand {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub io: IoArgs,
}

#[derive(Debug, Args)]
pub struct AllCommand {
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub cpu: CpuArgs,
    #[command(flatten)]
    pub io: IoArgs,
}

/// Flags shared by every benchmarking subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Measurement")]
pub struct EngineArgs {
    /// Models to run: one name, a comma list, or `all`.
    /// Names: sequential, threads, async, rayon, processes (alias multiprocess, mp).
    #[arg(short, long, value_name = "LIST", default_value = "all")]
    pub strategy: String,

    /// Workers per model [default: cpu = available parallelism, io = 5].
    #[arg(short, long, value_name = "N")]
    pub workers: Option<usize>,

    /// Unmeasured runs of each model before the measured ones.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,

    /// Measured runs of each model, interleaved round-robin across models
    /// [default: cpu 10, io 3].
    #[arg(short, long, value_name = "N")]
    pub runs: Option<u32>,

    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

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
}

/// Gates that turn a slower result into exit code 3.
#[derive(Debug, Args)]
#[command(next_help_heading = "Regression gate")]
pub struct GateArgs {
    /// Compare with this saved report (a path, or the NAME of a saved baseline).
    #[arg(long, value_name = "FILE|NAME")]
    pub baseline: Option<String>,

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
    #[arg(long, value_name = "PERCENT", default_value = "10%")]
    pub max_regression: String,

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The versioned JSON report (see schema/report.schema.json).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KernelArg {
    /// Exact sum of i*i for i in 0..n, as u128.
    Squares,
    /// Recursive fib(35) per item.
    Fib,
}

/// The CPU job.
#[derive(Debug, Args)]
#[command(next_help_heading = "CPU job")]
pub struct CpuArgs {
    /// How many numbers: start, start+1, ...
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub count: u64,

    /// The first number [default: 5000000].
    #[arg(long, value_name = "N")]
    pub start: Option<u64>,

    /// An explicit list instead of --start/--count (comma separated).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',', conflicts_with_all = ["start"])]
    pub numbers: Option<Vec<u64>>,

    /// The work done per number.
    #[arg(long, value_enum, default_value_t = KernelArg::Squares)]
    pub kernel: KernelArg,
}

/// The I/O job.
#[derive(Debug, Args)]
#[command(next_help_heading = "I/O job")]
pub struct IoArgs {
    /// A file of URLs, one per line (# comments). Without it, a built-in local server is used.
    #[arg(long, value_name = "FILE")]
    pub sites: Option<PathBuf>,

    /// Repeat the --sites list N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub repeat: u32,

    /// Requests to the built-in server.
    #[arg(long, value_name = "N", default_value_t = 160)]
    pub requests: u32,

    /// Latency of the built-in server per request (e.g. 50ms, 0).
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration)]
    pub latency: Duration,

    /// Body size of the built-in server's responses.
    #[arg(long, value_name = "BYTES", default_value_t = 10_240)]
    pub body_bytes: usize,

    /// Timeout of each request, connect to last body byte.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// A body larger than this is a counted failure (and is never held in memory).
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: u64,

    /// Most requests in flight at once in the async model.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub concurrency: usize,

    /// Exit 0 even when some requests failed (they are still counted and reported).
    #[arg(long)]
    pub allow_failures: bool,
}

/// `concbench serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind. Only loopback unless given explicitly.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<SocketAddr>,

    /// Delay before each response.
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration)]
    pub latency: Duration,

    /// Size of each response body.
    #[arg(long, value_name = "BYTES", default_value_t = 10_240)]
    pub body_bytes: usize,

    /// Runtime worker threads [default: available parallelism].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Internal: stop when the process that started this one dies (set by `io`).
    #[arg(long, hide = true)]
    pub exit_with_parent: bool,
}

/// Parses `50ms`, `1.5s`, `200us`, `2m` or a bare `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 50ms, 1.5s or 0"))?;
    let scale = match unit {
        "" if value == 0.0 => 0.0,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(format!("'{text}' needs a unit: ns, us, ms, s or m")),
    };
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("'{text}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("200us"), Ok(Duration::from_micros(200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
