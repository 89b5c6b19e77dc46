//! From the command line to the command that runs it.
//!
//! Parses with clap, validates into a config ([`crate::config`]), and dispatches. A
//! clap error becomes one line and a [`UsageError`](crate::error::UsageError), so
//! every bad command line exits 2 the same way.

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command};
use crate::error::usage;
use crate::runner::ChildExecutor;
use crate::{bench, config, server, worker};

/// Runs concbench on these arguments (the first is the program name).
pub fn run(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<()> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            write!(std::io::stdout().lock(), "{e}")?;
            return Ok(());
        }
        Err(e) => return Err(usage(one_line(&e.to_string()))),
    };
    match cli.command {
        Command::Worker => worker::pool::run(),
        Command::MeasureRun => worker::measure::run(),
        Command::Serve(args) => {
            let config = config::serve(&args)?;
            if config.exit_with_parent {
                worker::die_with_parent(libc::SIGTERM);
            }
            server::run(
                config.addr,
                config.settings,
                config.explicit_addr,
                config.threads,
            )
        }
        Command::Compare(args) => crate::gate::compare_command(&args),
        Command::Cpu(args) => bench_with(config::bench(&args.engine, Some(&args.cpu), None)?),
        Command::Io(args) => bench_with(config::bench(&args.engine, None, Some(&args.io))?),
        Command::All(args) => bench_with(config::bench(
            &args.engine,
            Some(&args.cpu),
            Some(&args.io),
        )?),
    }
}

fn bench_with(config: config::BenchConfig) -> anyhow::Result<()> {
    let mut executor = ChildExecutor::new()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    bench::run(&config, &mut executor, &mut out)
}

/// clap's message without its `error: ` prefix, tips and usage block, on one line.
fn one_line(message: &str) -> String {
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad command line");
    let first = first.trim().strip_prefix("error: ").unwrap_or(first.trim());
    format!("{first} (see --help)")
}
