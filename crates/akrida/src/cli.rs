//! Command-line definitions. `akrida --help` must tell a newcomer what each subcommand does.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "akrida",
    version,
    about = "Load generator for DIDComm v1 / Hyperledger Aries mediators, issuers and verifiers",
    long_about = "akrida plays thousands of simulated holders (wallets) in one process, speaking real \
DIDComm v1 to the servers under test, and reports how fast they answer and where they break."
)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug). AKRIDA_LOG=<filter> overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario standalone: spawn users, drive the servers, print stats and a report.
    Run(ScenarioArgs),
    /// Join a Locust master as a worker and run the scenario users it assigns.
    Worker(ScenarioArgs),
    /// Speak Akrida's agent.js protocol on stdin/stdout (one JSON command / response per line).
    Agent,
    /// List the scenarios with one line on what each does.
    Scenarios,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario to run (see `akrida scenarios`).
    pub scenario: String,
}

/// Scenario names and what they do; the catalogue grows as scenarios land.
pub const SCENARIOS: &[(&str, &str)] = &[(
    "mediator-ping",
    "each user onboards to the mediator (DID Exchange, mediation, WebSocket) and trust-pings it",
)];

pub fn print_scenarios() {
    let width = SCENARIOS
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    for (name, what) in SCENARIOS {
        println!("{name:width$}  {what}");
    }
}
