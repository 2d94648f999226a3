//! `akrida worker`'s options: a scenario run's, and how to reach the Locust master. Like every
//! module of `cli`, it imports no module of the binary that reads the options.

use clap::Args;

use values::parse_seconds;

use super::RunArgs;

/// `akrida worker`'s options: a scenario run's, and how to reach the Locust master.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// The scenario and its options, as for `akrida run`. -u, -r and -t are the master's to
    /// set (its web UI or its own -u/-r/-t) and are not used here; nor are the report options.
    #[command(flatten)]
    pub run: RunArgs,
    /// Host of the Locust master (`locust --master`).
    #[arg(long, env = "LOCUST_MASTER_NODE_HOST", default_value = "127.0.0.1")]
    pub master_host: String,
    /// The master's worker port (its --master-bind-port).
    #[arg(long, env = "LOCUST_MASTER_NODE_PORT", default_value_t = 5557)]
    pub master_port: u16,
    /// The Locust user class this worker runs; the master's locustfile must declare it.
    /// Default: the scenario's name in CamelCase (mediator-ping → MediatorPing).
    #[arg(long, value_name = "CLASS")]
    pub user_class: Option<String>,
    /// At start, give up (exit code 2) when no master answered for this many seconds.
    #[arg(long, default_value = "60", value_parser = parse_seconds, value_name = "SECONDS")]
    pub connect_timeout: f64,
    /// Seconds without a heartbeat from the master before it counts as gone: the users are
    /// stopped and the worker waits for the master to come back, then rejoins. Counted from the
    /// master's first heartbeat (Locust masters before 2.19 send none). Default: Locust's.
    #[arg(long, default_value = "60", value_parser = parse_seconds, value_name = "SECONDS")]
    pub heartbeat_timeout: f64,
}
