//! Every scenario can be run by a Locust master out of the box: the shipped locustfile declares a
//! user class for each scenario of the catalogue (`akrida scenarios`), and one master can mix
//! classes over workers of different scenarios.

mod common;
mod worker_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use worker_support::*;

/// The user classes `crates/locust/locustfiles/akrida.py` declares (`class Name(_AkridaScenario):`).
fn locustfile_classes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(locustfile()).unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("class "))
        .filter_map(|rest| rest.strip_suffix("(_AkridaScenario):"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_locustfile_declares_every_scenario() {
    let scenarios: BTreeSet<String> = scenarios::CATALOGUE
        .iter()
        .map(|s| locust::user_class_name(s.name))
        .collect();
    assert_eq!(
        locustfile_classes(),
        scenarios,
        "crates/locust/locustfiles/akrida.py must declare one class per scenario of \
         crates/scenarios/src/catalogue.rs"
    );
}

/// A master running `MediatorPing` and `Issue` deals users of both classes to both workers, blind
/// to what each runs (with 1:1 weights it may well deal each worker one class only, and that the
/// other's); each worker runs all the users it is dealt as its own class, so all 8 run, and the
/// master's CSV has both scenarios' samples.
#[test]
#[ignore = "live"]
fn one_master_mixes_classes_over_workers_of_different_scenarios() {
    testbed::ensure(&["mediator", "issuer"]);
    let dir = output_dir("worker-classes");
    let port = free_port();
    let started = Instant::now();
    let (classes, swarm) = (["MediatorPing", "Issue"], Swarm(8, 8, "20s"));
    let mut master = start_headless_master(Locust::Newest, "master", port, &dir, &classes, swarm);
    let label = format!("mix-{}", std::process::id());
    let mut workers = [
        start_worker("worker-ping", port, &dir, &[]),
        start_issue_worker(&label, "worker-issue", port, &dir, &[]),
    ];
    let master_exit = master.wait_for_exit(Duration::from_secs(90));
    let mut running = 0;
    for worker in &mut workers {
        let exit = worker.wait_for_exit(Duration::from_secs(30));
        let log = worker.log();
        assert_eq!(exit, Some(Some(0)), "worker exit; its log:\n{log}");
        assert!(!log.contains("panicked"), "{log}");
        assert!(log.contains("the master said quit"), "{log}");
        let most = running_counts(&log).into_iter().max().unwrap_or(0);
        assert!(most > 0, "its log:\n{log}");
        running += most;
    }
    assert_eq!(running, 8, "the master's users all ran");
    let master_log = master.log();
    eprintln!("took {:?}; master log:\n{master_log}", started.elapsed());
    assert_eq!(master_exit, Some(Some(0)), "{master_log}");
    assert!(!master_log.contains("Traceback"), "{master_log}");

    let rows = common::read_csv(&dir.join("master_stats.csv"));
    for name in ["ping_mediator", "receive_credential"] {
        let row = common::csv_row(&rows, name, "the master's CSV");
        let requests: u64 = row["Request Count"].parse().unwrap();
        eprintln!(
            "{name}: {requests} requests, {} failures",
            row["Failure Count"]
        );
        assert!(requests > 0, "{row:?}");
        assert_eq!(row["Failure Count"], "0", "{row:?}");
    }
}
