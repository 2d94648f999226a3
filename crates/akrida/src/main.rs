//! `akrida`: the command line. It parses arguments, loads configuration and wires the library
//! crates together; protocol and statistics logic live in those crates, not here.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Scenarios => {
            cli::print_scenarios();
            ExitCode::SUCCESS
        }
        Command::Run(_) => not_built("run", "the mediator load test (issue 3)"),
        Command::Worker(_) => not_built("worker", "Locust worker mode (issue 5)"),
        Command::Agent => not_built("agent", "the agent.js-compatible mode (issue 6)"),
    }
}

/// Logs go to stderr: stdout belongs to what the command produces (tables, JSON, agent lines).
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AKRIDA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn not_built(command: &str, what: &str) -> ExitCode {
    eprintln!("akrida {command}: not built yet — {what} is still being written.");
    ExitCode::from(2)
}
