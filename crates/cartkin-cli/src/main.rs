//! The `cartkin` command.
//!
//! Exit codes: 0 success; 1 an error in the input or the run (the message names the file,
//! line, field and what was expected); 2 a command-line usage error (from clap).

mod args;
mod commands;
mod console;
mod figure;
mod fit_figure;
mod output;
mod plot;
mod population_figure;
mod scenario_figure;
mod validation_figure;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    output::install_interrupt_cleanup();
    let result = commands::run(cli);
    output::settle();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            errln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
