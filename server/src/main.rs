//! `toex`: the HTTP server and the command-line tools of the toex analytics service.

use std::process::ExitCode;

use clap::Parser;
use toex::cli;

fn main() -> ExitCode {
    // Before any thread allocates: inference's large buffers stay on the heap.
    toex_inference::keep_buffers_on_heap();
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`toex hotspots … | head`): not an error, as in ripgrep.
        Err(err)
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            // One line, never a panic or a backtrace: the chain of causes joined by ": ".
            eprintln!("toex: error: {err:#}");
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
