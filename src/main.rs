//! The `concbench` binary: run, print the error chain on one line, exit with its code.

use concbench::error::{code, exit_code, is_broken_pipe};

fn main() {
    let status = match concbench::app::run(std::env::args_os()) {
        Ok(()) => code::SUCCESS,
        Err(error) if is_broken_pipe(&error) => code::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            exit_code(&error)
        }
    };
    std::process::exit(status);
}
