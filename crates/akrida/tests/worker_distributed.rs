//! Issue 5's distributed check: a stock Locust master (headless, 100 users at 20/s for 30 s)
//! drives two `akrida worker mediator-ping` processes against the testbed's real ACA-Py
//! mediator. The master's CSV must have the workers' `ping_mediator` and `startup` rows without
//! failures, each worker must have run half the users, and both must exit 0 on the master's quit.

mod common;
mod worker_support;

use std::time::{Duration, Instant};

use worker_support::*;

#[test]
fn locust_master_drives_two_akrida_workers() {
    testbed::ensure(&["mediator"]);
    let dir = output_dir("worker-distributed");
    let port = free_port();
    let csv = dir.join("master");
    let started = Instant::now();
    let mut master = start_master(
        "master",
        port,
        &dir,
        &[
            "--headless",
            "--expect-workers",
            "2",
            "-u",
            "100",
            "-r",
            "20",
            "-t",
            "30s",
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    let mut workers = [
        start_worker("worker-a", port, &dir, &[]),
        start_worker("worker-b", port, &dir, &[]),
    ];

    let master_exit = master.wait_for_exit(Duration::from_secs(120));
    for worker in &mut workers {
        let exit = worker.wait_for_exit(Duration::from_secs(20));
        let log = worker.log();
        assert_eq!(exit, Some(Some(0)), "worker exit; its log:\n{log}");
        assert!(!log.contains("panicked"), "{log}");
        assert_eq!(
            running_counts(&log).into_iter().max(),
            Some(50),
            "each worker runs half of the 100 users; its log:\n{log}"
        );
        assert!(log.contains("the master said quit"), "{log}");
    }
    let master_log = master.log();
    assert_eq!(
        master_exit,
        Some(Some(0)),
        "master exit; its log:\n{master_log}"
    );
    eprintln!(
        "run took {:?}; master log:\n{master_log}",
        started.elapsed()
    );

    let rows = common::read_csv(&dir.join("master_stats.csv"));
    for name in ["startup", "ping_mediator"] {
        let row = rows
            .iter()
            .find(|r| r["Name"] == name)
            .unwrap_or_else(|| panic!("no {name} row in the master's CSV: {rows:?}"));
        let requests: u64 = row["Request Count"].parse().unwrap();
        assert!(requests > 0, "{row:?}");
        assert_eq!(row["Failure Count"], "0", "{row:?}");
    }
    let startup = rows.iter().find(|r| r["Name"] == "startup").unwrap();
    assert_eq!(
        startup["Request Count"], "100",
        "every holder onboarded once"
    );
    let failures = std::fs::read_to_string(dir.join("master_failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 1, "no failures: {failures}");
    let history = common::read_csv(&dir.join("master_stats_history.csv"));
    assert!(
        history.iter().any(|r| r["User Count"] == "100"),
        "the master counted both workers' users"
    );
}
