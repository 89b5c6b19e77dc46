//! The `concbench` binary: run, print the error, exit with its code.
//!
//! A command line clap refused is printed as clap renders it, whole; any other error
//! as its chain on one line.

use concbench::error::{code, exit_code, is_broken_pipe};

fn main() {
    let status = match concbench::app::run(std::env::args_os()) {
        Ok(()) => code::SUCCESS,
        Err(error) if is_broken_pipe(&error) => code::SUCCESS,
        Err(error) => match error.downcast_ref::<clap::Error>() {
            Some(refused) => {
                // Nothing useful is left to do if stderr is gone.
                let _ = refused.print();
                code::USAGE
            }
            None => {
                eprintln!("error: {error:#}");
                exit_code(&error)
            }
        },
    };
    std::process::exit(status);
}
