//! The distributed check, against the newest and the oldest supported Locust master: a headless
//! master (50 users at 10/s) drives two `akrida worker mediator-ping` processes against the
//! testbed's real ACA-Py mediator. The master's CSV must have the workers' `ping_mediator` and
//! `startup` rows without failures, each worker must have run half the users and reported pings,
//! and both must exit 0 on the master's quit — with no rejoin on the way (masters before 2.19
//! send no heartbeats; a worker that took that for a lost master never ran).

mod common;
mod worker_support;

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use worker_support::*;

/// Users of the run, half on each worker.
const USERS: u64 = 50;

/// One run at a time: two onboarding bursts at once are more than the one testbed mediator on
/// 2 cores takes without dropping a WebSocket.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn master_drives_two_akrida_workers(locust: Locust) {
    testbed::ensure(&["mediator"]);
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = output_dir(&format!("worker-distributed-{}", locust.label()));
    let port = free_port();
    let started = Instant::now();
    let users = USERS.to_string();
    // 25 s: past the ramp (5 s), twice as long as the 10 s a worker once waited for a first
    // heartbeat before it gave such a master up.
    let swarm = Swarm(USERS, 10, "25s");
    let mut master = start_headless_master(locust, "master", port, &dir, &["MediatorPing"], swarm);
    let mut workers = [
        start_worker("worker-a", port, &dir, &[]),
        start_worker("worker-b", port, &dir, &[]),
    ];

    let master_exit = master.wait_for_exit(Duration::from_secs(120));
    let mut reported = Vec::new();
    for worker in &mut workers {
        let exit = worker.wait_for_exit(Duration::from_secs(20));
        let log = worker.log();
        assert_eq!(exit, Some(Some(0)), "worker exit; its log:\n{log}");
        assert!(!log.contains("panicked"), "{log}");
        assert_eq!(rejoin_lines(&log), Vec::<&str>::new(), "{log}");
        assert_eq!(
            running_counts(&log).into_iter().max(),
            Some(USERS / 2),
            "each worker runs half of the users; its log:\n{log}"
        );
        assert!(log.contains("the master said quit"), "{log}");
        let requests = requests_reported(&log).unwrap_or_else(|| panic!("{log}"));
        // Its users' startups, and pings besides.
        assert!(requests > USERS / 2 + 50, "{requests} requests; {log}");
        reported.push(requests);
    }
    let master_log = master.log();
    assert_eq!(
        master_exit,
        Some(Some(0)),
        "master exit; its log:\n{master_log}"
    );
    assert!(!master_log.contains("missing"), "{master_log}");
    eprintln!(
        "Locust {locust:?}: run took {:?}; the workers reported {reported:?} requests; master log:\n{master_log}",
        started.elapsed()
    );

    let rows = common::read_csv(&dir.join("master_stats.csv"));
    for name in ["startup", "ping_mediator"] {
        let row = common::csv_row(&rows, name, "the master's CSV");
        let requests: u64 = row["Request Count"].parse().unwrap();
        assert!(requests > 0, "{row:?}");
        assert_eq!(row["Failure Count"], "0", "{row:?}");
        eprintln!("{name}: {requests} requests, 0 failures");
    }
    let startup = rows.iter().find(|r| r["Name"] == "startup").unwrap();
    assert_eq!(
        startup["Request Count"],
        USERS.to_string(),
        "every holder onboarded once"
    );
    // The master counted both workers' reports (the last one, sent as it quits, may miss it).
    let total: u64 = rows.iter().find(|r| r["Name"] == "Aggregated").unwrap()["Request Count"]
        .parse()
        .unwrap();
    let sum: u64 = reported.iter().sum();
    assert!(
        total <= sum && total * 10 >= sum * 9,
        "master {total}, workers {reported:?}"
    );
    let failures = std::fs::read_to_string(dir.join("master_failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 1, "no failures: {failures}");
    // In its history CSV, or its log (Locust 2.10 flushes that CSV only every 10 s).
    let history = common::read_csv(&dir.join("master_stats_history.csv"));
    assert!(
        history.iter().any(|r| r["User Count"] == users)
            || master_log.contains(&format!("({users} total users)")),
        "the master counted both workers' users"
    );
}

testbed::each_locust!(
    #[test]
    #[ignore = "live"]
    fn locust_master_drives_two_akrida_workers => master_drives_two_akrida_workers
);
