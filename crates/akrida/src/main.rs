//! `akrida`: the command line. It parses arguments, loads configuration and wires the library
//! crates together; protocol and statistics logic live in those crates, not here.

mod capacity;
mod cli;
mod config;
mod exit;
mod limits;
mod load_shape;
mod observe;

// Generates the book's configuration reference; run as a test (see the module).
#[cfg(test)]
mod reference;
mod run;
mod settings;
mod setup;
mod worker;
// What watches a run from outside (the live view and its page, the terminal's progress,
// /metrics, the trace listener, akrida's self-watch) is the `akrida-web` crate's; the subcommands
// name its modules by these paths.
use akrida_web::{metrics, page, progress as live, selfwatch, server as web, trace_listen};

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // The .env file must be read before clap parses, so that clap sees its variables as part of
    // the environment (flags > environment > .env). Its path may itself be a flag.
    if let Err(e) = load_env_file() {
        eprintln!("akrida: {e}");
        return ExitCode::from(exit::BAD_SETUP);
    }
    let cli = Cli::parse();
    init_logging(cli.verbose);
    match cli.command {
        Command::Scenarios => {
            cli::print_scenarios();
            ExitCode::SUCCESS
        }
        Command::Run(args) => run::run(args),
        Command::Capacity(args) => capacity::capacity(args),
        Command::Worker(args) => worker::worker(args),
        Command::Agent => agent(),
    }
}

/// `akrida agent`: the agent.js protocol on stdin/stdout, until the controller says `shutdown` or
/// closes stdin.
fn agent() -> ExitCode {
    match agent_protocol::serve_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("akrida agent: cannot start the async runtime: {e}");
            ExitCode::from(exit::BAD_SETUP)
        }
    }
}

/// `--env-file PATH` (which must exist) or `./.env` (if it exists).
fn load_env_file() -> Result<(), config::dotenv::DotenvError> {
    let args: Vec<String> = std::env::args().collect();
    let explicit = args.iter().enumerate().find_map(|(i, arg)| {
        arg.strip_prefix("--env-file=")
            .map(PathBuf::from)
            .or_else(|| {
                (arg == "--env-file")
                    .then(|| args.get(i + 1).map(PathBuf::from))
                    .flatten()
            })
    });
    match explicit {
        Some(path) => config::dotenv::load(&path).map(|_| ()),
        None if Path::new(".env").is_file() => config::dotenv::load(Path::new(".env")).map(|_| ()),
        None => Ok(()),
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
