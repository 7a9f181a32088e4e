//! One module per subcommand.

mod calibrate;
mod fit;
mod flags;
mod models;
mod population;
mod scenario;
mod simulate;
mod threads;
mod validate;

use anyhow::Result;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Models(args) => models::run(args),
        Command::Simulate(args) => simulate::run(*args),
        Command::Fit(args) => fit::run(*args),
        Command::Population(args) => population::run(*args),
        Command::Calibrate(args) => calibrate::run(*args),
        Command::Scenario(args) => scenario::run(*args),
        Command::Validate(args) => validate::run(*args),
    }
}
