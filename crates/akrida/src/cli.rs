//! Command-line definitions. `akrida --help` and `akrida run --help` are the reference for every
//! option; each option also reads the environment variable Akrida's users already set.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::values::{parse_bool, parse_rate, parse_run_time, parse_seconds};

#[derive(Debug, Parser)]
#[command(
    name = "akrida",
    version,
    about = "Load generator for DIDComm v1 / Hyperledger Aries mediators, issuers and verifiers",
    long_about = "akrida plays thousands of simulated holders (wallets) in one process, speaking real \
DIDComm v1 to the servers under test, and reports how fast they answer and where they break.\n\n\
Options come from flags, then the environment, then a .env file (Akrida's variable names)."
)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug). AKRIDA_LOG=<filter> overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// A .env file to read variables from (those not already in the environment).
    /// Default: ./.env when it exists.
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario standalone: spawn users, drive the servers, print stats and a report.
    Run(RunArgs),
    /// Join a Locust master as a worker and run the scenario users it assigns.
    Worker(RunArgs),
    /// Speak Akrida's agent.js protocol on stdin/stdout (one JSON command / response per line).
    Agent,
    /// List the scenarios with one line on what each does.
    Scenarios,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The scenario to run (see `akrida scenarios`).
    pub scenario: String,

    /// Users (simulated holders) to reach.
    #[arg(short = 'u', long, env = "LOCUST_USERS", default_value_t = 1)]
    pub users: usize,
    /// Users started per second; fractions such as 0.4 are allowed.
    #[arg(short = 'r', long, env = "LOCUST_SPAWN_RATE", default_value = "1", value_parser = parse_rate)]
    pub spawn_rate: f64,
    /// Stop after this long (90s, 10m, 1h30m). Default: run until Ctrl-C.
    #[arg(short = 't', long, env = "LOCUST_RUN_TIME", value_parser = parse_run_time)]
    pub run_time: Option<std::time::Duration>,
    /// Shortest wait between a user's tasks, in seconds.
    #[arg(long, env = "LOCUST_MIN_WAIT", default_value = "0.1", value_parser = parse_seconds)]
    pub min_wait: f64,
    /// Longest wait between a user's tasks, in seconds (each wait is drawn uniformly).
    #[arg(long, env = "LOCUST_MAX_WAIT", default_value = "1", value_parser = parse_seconds)]
    pub max_wait: f64,

    /// The mediator's invitation URL (out-of-band `?oob=` or connections `?c_i=`), or its JSON.
    #[arg(long, env = "MEDIATION_URL", value_name = "URL")]
    pub mediation_url: Option<String>,
    /// Whether holders are mediated. mediator-ping needs true.
    #[arg(long, env = "WITH_MEDIATION", default_value = "true", value_parser = parse_bool, value_name = "BOOL")]
    pub with_mediation: bool,
    /// How mediated holders receive messages: implicit (return route on the WebSocket),
    /// pickupv2 (Message Pickup 2.0 polling) or pickupv2-live.
    #[arg(
        long,
        env = "PICKUP_STRATEGY",
        default_value = "implicit",
        value_name = "STRATEGY"
    )]
    pub pickup_strategy: scenarios::PickupStrategy,
    /// pickupv2: seconds between polls (checked before each task).
    #[arg(long, env = "PICKUP_INTERVAL_SECONDS", default_value = "5", value_parser = parse_seconds, value_name = "SECONDS")]
    pub pickup_interval: f64,
    /// Bound on every step that waits for a server, in seconds; a step that takes longer is a
    /// failure ("... no answer within Ns").
    #[arg(long = "timeout", env = "VERIFIED_TIMEOUT_SECONDS", default_value = "20", value_parser = parse_seconds, value_name = "SECONDS")]
    pub timeout: f64,
    /// Label holders present to the servers (suffixed with the user number).
    #[arg(long, env = "AKRIDA_LABEL", default_value = "akrida")]
    pub label: String,

    /// Write PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv (Locust's format).
    #[arg(long, env = "LOCUST_CSV", value_name = "PREFIX")]
    pub csv: Option<PathBuf>,
    /// Print the final statistics as JSON on stdout (the tables then go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Seconds between stats tables while the run goes.
    #[arg(long, default_value = "5", value_parser = parse_seconds, value_name = "SECONDS")]
    pub stats_interval: f64,
    /// Exit code when any request failed (Locust's default is 1; 0 ignores failures).
    #[arg(long, env = "LOCUST_EXIT_CODE_ON_ERROR", default_value_t = 1)]
    pub exit_code_on_error: u8,
    /// Print the settings the run would use (after flags, environment and .env) as JSON, and
    /// exit without sending anything.
    #[arg(long)]
    pub dry_run: bool,
}

impl RunArgs {
    /// The resolved settings, as `--dry-run` prints them and reports record them.
    pub fn settings_json(&self) -> serde_json::Value {
        serde_json::json!({
            "scenario": self.scenario,
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "run_time_seconds": self.run_time.map(|t| t.as_secs()),
            "min_wait": self.min_wait,
            "max_wait": self.max_wait,
            "mediation_url": self.mediation_url,
            "with_mediation": self.with_mediation,
            "pickup_strategy": self.pickup_strategy.to_string(),
            "pickup_interval": self.pickup_interval,
            "timeout_seconds": self.timeout,
            "label": self.label,
            "csv": self.csv,
            "exit_code_on_error": self.exit_code_on_error,
        })
    }
}

pub fn print_scenarios() {
    let catalogue = scenarios::CATALOGUE;
    let width = catalogue.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in catalogue {
        println!(
            "{:width$}  {}  (Akrida: {})",
            s.name, s.summary, s.akrida_file
        );
    }
}
