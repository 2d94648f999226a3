//! `akrida capacity`'s options: a scenario run's, and the search's. Like every module of `cli`,
//! it imports no module of the binary that reads the options.

use clap::Args;

use values::parse_run_time;

use super::RunArgs;

/// What a capacity search grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SearchKind {
    /// Closed model: connected users (each looping task → wait → task).
    Users,
    /// Open model: task iterations per second over the pool of -u users, timed from when each
    /// was due (queueing included).
    Rate,
}

#[derive(Debug, Clone, Args)]
pub struct CapacityArgs {
    /// The scenario and its options, as for `akrida run` (-u is the pool in a rate search; -r
    /// the spawn rate of each users plateau; the load flags -t, --stages, --step-users and
    /// --arrival-rate are not used).
    #[command(flatten)]
    pub run: RunArgs,
    /// What to grow: users (closed model) or rate (open model, iterations per second).
    #[arg(long, value_enum, default_value = "users")]
    pub search: SearchKind,
    /// Service-level objective, repeatable, in the --threshold syntax: 'ping_mediator:p95<500ms',
    /// 'total:fail_ratio<1%'. A plateau passes when every one holds on its own samples.
    #[arg(long = "slo", value_name = "SPEC")]
    pub slos: Vec<String>,
    /// Load of the first plateau (users, or iterations per second).
    #[arg(long, default_value = "10", value_name = "LOAD")]
    pub start: f64,
    /// Add this much load each plateau (instead of --factor).
    #[arg(long, value_name = "LOAD", conflicts_with = "factor")]
    pub step: Option<f64>,
    /// Multiply the load by this each plateau (default 2 when --step is not given).
    #[arg(long, value_name = "FACTOR")]
    pub factor: Option<f64>,
    /// Highest load to try.
    #[arg(long, default_value = "1000", value_name = "LOAD")]
    pub max: f64,
    /// How long each plateau lasts, its warm-up included (90s, 1m).
    #[arg(long, default_value = "60s", value_parser = parse_run_time, value_name = "DURATION")]
    pub plateau: std::time::Duration,
    /// The start of each plateau that is not judged (the load settling), shorter than --plateau.
    #[arg(long, default_value = "10s", value_parser = parse_run_time, value_name = "DURATION")]
    pub warmup: std::time::Duration,
    /// Refine until the first failing load is this close above the last passing one: a load
    /// (5) or a share of the passing load (5%).
    #[arg(long, default_value = "5%", value_name = "LOAD|SHARE")]
    pub precision: String,
    /// Exit code 3 when the capacity found is below this load.
    #[arg(long, value_name = "LOAD")]
    pub expect: Option<f64>,
    /// A second in which akrida's own timers fired this late (milliseconds), or its CPU was at
    /// 90 % of its cores, is a saturated second; a plateau saturated in most of its seconds is
    /// generator-limited. Raise it on a shared machine whose other processes stall akrida at times.
    #[arg(long, default_value = "100", value_name = "MS")]
    pub max_lag: f64,
    /// Before each refinement plateau, lower the load to the first plateau's and wait, at most
    /// this long, until the servers have drained: the iterations in flight back to what the last
    /// passing plateau had, and the probe's median latency back near the first plateau's. A
    /// server that does not drain in time ends the search (exit code 3). 0 skips the wait.
    #[arg(long, default_value = "2m", value_parser = parse_run_time, value_name = "DURATION")]
    pub drain_timeout: std::time::Duration,
    /// How far above the first plateau's median latency the probe's may be for the servers to
    /// count as drained: a share (50%).
    #[arg(long, default_value = "50%", value_name = "SHARE")]
    pub drain_tolerance: String,
    /// A rate plateau is steady when the iterations it completed are within this share of those
    /// asked (and two); one that is not has its warm-up extended, up to --max-warmup.
    #[arg(long, default_value = "10%", value_name = "SHARE")]
    pub steady_tolerance: String,
    /// The longest warm-up a plateau that is not steady may get; still off then, it fails when
    /// the server fell behind (slower, every iteration started on time), else it is marked
    /// unsteady and not judged (default: --warmup plus twice the judged part of a plateau).
    #[arg(long, value_parser = parse_run_time, value_name = "DURATION")]
    pub max_warmup: Option<std::time::Duration>,
}
