//! The `concbench` binary: run, print the error, exit with its code.
//!
//! A command line clap refused is printed as clap renders it, whole; any other error
//! as its chain on one line.

use std::io::Write;

use concbench::error::{code, exit_code, is_stdout_closed};

fn main() {
    let status = match concbench::app::run(std::env::args_os()) {
        Ok(()) => code::SUCCESS,
        // Our stdout's reader went away: not a failure. Any other broken pipe is.
        Err(error) if is_stdout_closed(&error) => code::SUCCESS,
        Err(error) => match error.downcast_ref::<clap::Error>() {
            Some(refused) => {
                // Nothing useful is left to do if stderr is gone.
                let _ = refused.print();
                code::USAGE
            }
            None => {
                // Nor then: the exit code still says what happened.
                let _ = writeln!(std::io::stderr(), "error: {error:#}");
                exit_code(&error)
            }
        },
    };
    std::process::exit(status);
}
