//! Options a subcommand accepts because it flattens `akrida run`'s into its own, but has no use
//! for. Each one the user set is named once on stderr, so that nobody believes it took effect;
//! none is refused, since a shared `.env` may set them for `akrida run`.

use crate::cli::RunArgs;

/// A warning naming the run options in `flags` that were set, or None when none was.
fn warning(command: &str, why: &str, flags: &[(&str, bool)]) -> Option<String> {
    let set: Vec<&str> = flags
        .iter()
        .filter(|(_, set)| *set)
        .map(|(flag, _)| *flag)
        .collect();
    let verb = if set.len() == 1 { "is" } else { "are" };
    (!set.is_empty()).then(|| {
        format!(
            "akrida {command}: warning: {} {verb} not used: {why}",
            set.join(", ")
        )
    })
}

/// `akrida capacity` sets the load of each plateau itself and judges it by its SLOs.
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn run_args(args: &[&str]) -> RunArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            run: RunArgs,
        }
        let argv = std::iter::once("akrida").chain(args.iter().copied());
        Wrapper::try_parse_from(argv).expect("valid flags").run
    }

    #[test]
    fn nothing_set_is_no_warning() {
        let run = run_args(&["mediator-ping"]);
        assert_eq!(capacity_warning(&run), None);
        assert_eq!(worker_warning(&run), None);
    }

    #[test]
    fn capacity_names_every_unused_option_it_was_given() {
        let run = run_args(&[
            "mediator-ping",
            "-t",
            "30s",
            "--baseline",
            "old.json",
            "-u",
            "5",
        ]);
        let warning = capacity_warning(&run).expect("a warning");
        assert!(
            warning.contains("-t/--run-time, --baseline are not used"),
            "{warning}"
        );
        assert!(!warning.contains("-u"), "capacity uses -u: {warning}");
    }

    #[test]
    fn worker_names_the_load_and_report_options() {
        let run = run_args(&["mediator-ping", "-u", "50", "--json"]);
        let warning = worker_warning(&run).expect("a warning");
        assert!(
            warning.contains("-u/--users, --json are not used"),
            "{warning}"
        );
    }
}
