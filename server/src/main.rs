//! `toex`: the HTTP server and the command-line tools of the toex analytics service.

use std::process::ExitCode;

use clap::Parser;
use toex::cli;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, never a panic or a backtrace: the chain of causes joined by ": ".
            eprintln!("toex: error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
