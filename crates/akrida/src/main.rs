//! `akrida`: the command line. It parses arguments, loads configuration and wires the library
//! crates together; protocol and statistics logic live in those crates, not here.

mod capacity;
mod cli;
mod exit;
mod limits;
mod observe;

// Generates the book's configuration reference; run as a test (see the module).
#[cfg(test)]
mod reference;
mod run;
mod settings;
mod setup;
mod unused;
mod worker;
// What watches a run from outside (the live view and its page, the terminal's progress,
// /metrics, the trace listener, akrida's self-watch) is the `akrida-web` crate's; the subcommands
// name its modules by these paths.
use akrida_web::{metrics, page, progress as live, selfwatch, server as web, trace_listen};

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use values::dotenv::DotenvError;

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

// Configuration: command-line flags, then the environment, then a `.env` file — the variable
// names owl-akrida's users already have in their `.env` files (`MEDIATION_URL`, `LOCUST_MIN_WAIT`,
// …). clap reads flags and environment; [`load_dotenv`] fills in, before clap runs, only the
// variables the environment does not already set, which gives exactly that precedence.

/// `--env-file PATH` (which must exist) or `./.env` (if it exists).
fn load_env_file() -> Result<(), DotenvError> {
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
        Some(path) => load_dotenv(&path).map(|_| ()),
        None if Path::new(".env").is_file() => load_dotenv(Path::new(".env")).map(|_| ()),
        None => Ok(()),
    }
}

/// Reads `path` and sets each variable the process environment does not already have.
/// Returns the names it set. Must run before any thread starts (it calls `set_var`).
fn load_dotenv(path: &Path) -> Result<Vec<String>, DotenvError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DotenvError::Unreadable {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let mut set = Vec::new();
    for (key, value) in values::dotenv::parse(&text, &shown)? {
        if std::env::var_os(&key).is_none() {
            std::env::set_var(&key, value);
            set.push(key);
        }
    }
    Ok(set)
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
