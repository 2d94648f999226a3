//! Command-line definitions: every argument type of the binary, and nothing else (no module that
//! reads them is imported here). `akrida --help`, `akrida run --help` and the book's
//! configuration reference (generated from these definitions) list every option; each option
//! also reads the environment variable owl-akrida's users already set.
//!
//! One module per subcommand's options (`run`, `capacity`, `worker`); this one holds the command
//! line itself, the help headings and the scenario list.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod capacity;
mod run;
mod worker;

pub use capacity::{CapacityArgs, SearchKind};
pub use run::RunArgs;
pub use worker::WorkerArgs;

/// The help headings that group `RunArgs`' options, in `--help`, in the book's configuration
/// reference, and in the settings a run shows (`crate::settings` shows a heading's options only
/// when they apply to the scenario run).
pub mod heading {
    pub const LOAD: &str = "Load";
    pub const MEDIATOR: &str = "Mediator";
    pub const HOLDERS: &str = "Holders";
    pub const DIRECT: &str = "Holders without mediation";
    pub const ISSUER: &str = "Issuer";
    pub const VERIFIER: &str = "Verifier";
    pub const CREDENTIALS: &str = "Credentials";
    pub const CONNECTIONS: &str = "Scenario connection";
    pub const MESSAGES: &str = "Scenario msg";
    pub const MULTITENANT: &str = "Scenario multitenant-mediation";
    pub const RELAY: &str = "Scenario mediator-relay";
    pub const SLEEP: &str = "Wallets that sleep";
    pub const SERVERS: &str = "Servers and TLS";
    pub const REPORTS: &str = "Reports and pass/fail criteria";
    pub const AGENTS: &str = "External agents (--agent-cmd)";
    pub const FAULTS: &str = "Timed events and server resources";
}

#[derive(Debug, Parser)]
#[command(
    name = "akrida",
    version,
    about = "Load generator for DIDComm v1 / Hyperledger Aries mediators, issuers and verifiers",
    long_about = "akrida plays thousands of simulated holders (wallets) in one process, speaking real \
DIDComm v1 to the servers under test, and reports how fast they answer and where they break.\n\n\
Options come from flags, then the environment, then a .env file (owl-akrida's variable names)."
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
    /// Find how much load the servers hold within an SLO: plateaus of growing load, judged
    /// each on its own samples, refined between the last passing and the first failing one.
    Capacity(CapacityArgs),
    /// Join a Locust master as a worker and run the scenario users it assigns.
    Worker(WorkerArgs),
    /// Speak owl-akrida's agent.js protocol on stdin/stdout (one JSON command / response per line).
    /// Like agent.js it takes no flags: it reads MEDIATION_URL, WITH_MEDIATION, AGENT_IP,
    /// PICKUP_STRATEGY, VERIFIED_TIMEOUT_SECONDS, AKRIDA_LABEL, AKRIDA_CA_CERT and
    /// AKRIDA_TLS_INSECURE from the environment (or .env), as `akrida run` does.
    Agent,
    /// List the scenarios with one line on what each does.
    Scenarios,
}

pub fn print_scenarios() {
    let catalogue = scenarios::CATALOGUE;
    let width = catalogue.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in catalogue {
        println!(
            "{:width$}  {}  (owl-akrida: {})",
            s.name, s.summary, s.akrida_file
        );
    }
}
