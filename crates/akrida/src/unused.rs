//! Options a subcommand accepts because it flattens `akrida run`'s into its own, but has no use
//! for. Each one the user set is named once on stderr, so that nobody believes it took effect;
//! none is refused, since a shared `.env` may set them for `akrida run`.

use crate::cli::RunArgs;

/// A warning naming the run options in `flags` that were set, or None when none was.
fn warning(command: &str, why: &str, flags: &[(&str, bool)]) -> Option<String> {
    let set: Vec<&str> = flags.iter().filter(|f| f.1).map(|f| f.0).collect();
    let (list, verb) = (set.join(", "), if set.len() == 1 { "is" } else { "are" });
    (!set.is_empty()).then(|| format!("akrida {command}: warning: {list} {verb} not used: {why}"))
}

/// `akrida capacity` sets the load of each plateau itself and judges it by its SLOs.
/// `--tolerance`, `--stats-interval` and `--exit-code-on-error` have defaults, so only a value
/// other than the default shows that they were set.
pub fn capacity_warning(run: &RunArgs) -> Option<String> {
    warning(
        "capacity",
        "the search sets each plateau's load and judges it by --slo and --threshold",
        &[
            ("-t/--run-time", run.run_time.is_some()),
            ("--stages", run.stages.is_some()),
            ("--step-users", run.step_users.is_some()),
            ("--arrival-rate", run.arrival_rate.is_some()),
            ("--baseline", run.baseline.is_some()),
            ("--abort-on-threshold", run.abort_on_threshold),
            ("--tolerance", run.tolerance != 0.1),
            ("--stats-interval", run.stats_interval != 5.0),
            ("--exit-code-on-error", run.exit_code_on_error != 1),
            ("--metrics-addr", run.metrics_addr.is_some()),
            ("--trace-listen", run.trace_listen.is_some()),
        ],
    )
}

/// `akrida worker` runs the users the Locust master asks for; the master keeps the statistics.
/// -u and -r have defaults, so only a value other than the default shows that they were set.
pub fn worker_warning(run: &RunArgs) -> Option<String> {
    warning(
        "worker",
        "the Locust master sets the users, the spawn rate and the run time, and writes the reports",
        &[
            ("-u/--users", run.users != 1),
            ("-r/--spawn-rate", run.spawn_rate != 1.0),
            ("-t/--run-time", run.run_time.is_some()),
            ("--stages", run.stages.is_some()),
            ("--step-users", run.step_users.is_some()),
            ("--arrival-rate", run.arrival_rate.is_some()),
            ("--json", run.json),
            ("--csv", run.csv.is_some()),
            ("--html", run.html.is_some()),
            ("--baseline", run.baseline.is_some()),
            ("--threshold", !run.thresholds.is_empty()),
            ("--abort-on-threshold", run.abort_on_threshold),
        ],
    )
}
