//! From the command line to the command that runs it.
//!
//! Parses with clap, validates into a config ([`crate::config`]), and dispatches.
//!
//! A command line clap refuses comes back as the [`clap::Error`] itself, unrendered, so
//! the caller prints clap's whole message: what was wrong, the possible values, "a
//! similar argument exists", the usage line. [`crate::error::UsageError`]s from our
//! own checks stay one line. Both exit 2.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, CompareArgs, PlotArgs};
use crate::error::on_stdout;
use crate::limits::{DEFAULT_ALL_TASK_COUNTS, DEFAULT_TASK_COUNTS};
use crate::runner::ChildExecutor;
use crate::{bench, config, gate, generate, results, serve, worker};

/// Runs concbench on these arguments (the first is the program name).
///
/// `--help` and `--version` print to stdout and return `Ok`. Every other command line
/// clap refuses, and a bare `concbench` (which shows the help instead, as
/// `arg_required_else_help` does), returns an error whose chain holds the
/// [`clap::Error`]: print it with [`clap::Error::print`] and exit 2
/// ([`crate::error::code::USAGE`]).
pub fn run(args: impl IntoIterator<Item = OsString>) -> anyhow::Result<()> {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            return e.print().map_err(|e| on_stdout(e.into()));
        }
        Err(e) => return Err(with_usage(e, &args).into()),
    };
    // A closed stdout is quiet only where stdout is the one pipe written to
    // (`on_stdout`); `measure-run` also writes to its pool workers, and says which
    // failed; the benchmarks and `compare` print through `UntilClosed`.
    match cli.command {
        Command::Worker => worker::pool::run().map_err(on_stdout),
        Command::MeasureRun => worker::measure::run(),
        Command::TaskWait { index, wait_s } => worker::wait::run(index, wait_s),
        Command::Serve(args) => {
            let config = config::serve(&args)?;
            if config.exit_with_parent {
                worker::die_with_parent(libc::SIGTERM);
            }
            serve::run(&config).map_err(on_stdout)
        }
        Command::Compare(args) => compare_command(&args),
        Command::Plot(args) => plot_command(&args),
        Command::Cpu(args) => bench_with(config::bench(&args.engine, Some(&args.cpu), None, None)?),
        Command::Io(args) => bench_with(config::bench(&args.engine, None, Some(&args.io), None)?),
        Command::Tasks(args) => bench_with(config::bench(
            &args.engine,
            None,
            None,
            Some((&args.tasks, &DEFAULT_TASK_COUNTS)),
        )?),
        Command::All(args) => bench_with(config::bench(
            &args.engine,
            Some(&args.cpu),
            Some(&args.io),
            Some((&args.tasks, &DEFAULT_ALL_TASK_COUNTS)),
        )?),
        Command::Completions(args) => {
            generate::completions(args.shell, &mut std::io::stdout()).map_err(on_stdout)
        }
        Command::Man(args) => {
            generate::man_page(args.command.as_deref(), &mut std::io::stdout()).map_err(on_stdout)
        }
    }
}

fn bench_with(config: config::BenchConfig) -> anyhow::Result<()> {
    let mut executor = ChildExecutor::new()?;
    if let Some(binary) = &config.gate.baseline_build {
        executor.set_baseline_build(binary.clone());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    bench::run(&config, &mut executor, &mut out)
}

/// `concbench compare BASELINE CURRENT`: judged, then printed, so that a closed stdout
/// never passes a failed comparison.
fn compare_command(args: &CompareArgs) -> anyhow::Result<()> {
    let thresholds = config::gate::thresholds(&args.thresholds)?;
    let baseline = results::load(&results::resolve(&args.baseline)?)?;
    let current = results::load(&args.current)?;
    gate::comparison(&baseline, &current, thresholds)?.print(&mut std::io::stdout().lock())
}

/// `concbench plot REPORT -o PATH.svg`, or `plot BASELINE CURRENT -o PATH.svg`.
fn plot_command(args: &PlotArgs) -> anyhow::Result<()> {
    let svg = match args.reports.as_slice() {
        [one] => crate::plot::report_svg(&results::load(&results::resolve(one)?)?)?,
        [baseline, current] => {
            let thresholds = config::gate::thresholds(&args.thresholds)?;
            let baseline = results::load(&results::resolve(baseline)?)?;
            let current = results::load(&results::resolve(current)?)?;
            let outcome = crate::compare::compare(&baseline, &current, thresholds)?;
            let rows: Vec<crate::plot::ChangeRow> = outcome
                .comparisons
                .iter()
                .map(crate::plot::ChangeRow::from)
                .collect();
            crate::plot::comparison_svg(&rows, thresholds.max_regression)?
        }
        _ => {
            return Err(crate::error::usage(
                "plot takes one report, or two to compare",
            ));
        }
    };
    crate::plot::write_svg(&args.output, &svg)?;
    crate::output::note(&format!("plotted {}", args.output.display()));
    Ok(())
}

/// Adds the usage line of the subcommand being parsed to the errors clap leaves it out
/// of (a value its parser refused, a value not among the possible ones), so every
/// usage error ends the same way: what was wrong, then how the command is called.
fn with_usage(mut error: clap::Error, args: &[OsString]) -> clap::Error {
    if error.get(ContextKind::Usage).is_some() {
        return error;
    }
    let mut command = Cli::command();
    command.build();
    // Cli has no flags of its own, so the subcommand is always the first argument.
    let subcommand = args
        .get(1)
        .and_then(|name| name.to_str())
        .and_then(|name| command.find_subcommand_mut(name));
    if let Some(subcommand) = subcommand {
        let usage = subcommand.render_usage();
        error.insert(ContextKind::Usage, ContextValue::StyledStr(usage));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> clap::Error {
        let args = std::iter::once("concbench").chain(args.iter().copied());
        let error = run(args.map(OsString::from)).unwrap_err();
        error
            .downcast::<clap::Error>()
            .expect("a command line clap refused")
    }

    #[test]
    fn clap_errors_come_back_whole_with_a_usage_line() {
        let error = refused(&["cpu", "--kernel", "fibonacci"]);
        assert_eq!(error.kind(), ErrorKind::InvalidValue);
        let message = error.render().to_string();
        assert!(
            message.contains("[possible values: squares, fib]"),
            "{message}"
        );
        assert!(
            message.contains("Usage: concbench cpu [OPTIONS]"),
            "{message}"
        );

        let message = refused(&["cpux"]).render().to_string();
        assert!(
            message.contains("tip: a similar subcommand exists: 'cpu'"),
            "{message}"
        );
    }

    #[test]
    fn bare_concbench_is_the_help_as_an_error() {
        let error = refused(&[]);
        assert_eq!(
            error.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        assert_eq!(error.exit_code(), crate::error::code::USAGE);
        assert!(error.render().to_string().contains("Commands:"));
    }
}
