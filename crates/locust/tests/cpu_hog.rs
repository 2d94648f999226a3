//! Users that keep every thread of the users' runtime busy must not delay the worker's session
//! with its master: it runs on a thread of its own, so the heartbeats go on every second and the
//! master never marks the worker missing. Against the newest and the oldest supported master.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use locust::{Worker, WorkerEnd, WorkerEvent};

/// Users per worker: twice the runtime's threads, so every thread burns, twice over.
const USERS: u64 = 4;

async fn hogged_worker_keeps_its_master(locust: Locust) {
    let mut run = HeadlessMaster::start(locust, "hog", 1, USERS, "15s");
    let (port, master) = (run.port, &run.master);
    let started = Instant::now();
    let events = Events::default();
    let mut config = worker_config(port);
    config.scenario = Arc::new(Burn);
    let end = tokio::time::timeout(
        Duration::from_secs(60),
        Worker::new(config)
            .on_event(events.sink())
            .run(std::future::pending()),
    )
    .await
    .unwrap_or_else(|_| panic!("the worker did not end; master log:\n{}", master.log()));
    assert_eq!(end.unwrap(), WorkerEnd::Quit);
    let log = run.finished(started);
    let dir = &run.dir;

    // The master heard the worker every second all along.
    assert!(!log.contains("failed to send heartbeat"), "{log}");
    assert!(!log.contains("missing"), "{log}");
    assert!(!log.contains("Traceback"), "{log}");
    let stalls = events.count(|e| {
        matches!(
            e,
            WorkerEvent::Stalled { .. } | WorkerEvent::MasterLost { .. }
        )
    });
    assert_eq!(stalls, 0, "{:?}", events.all());
    // The users did hog the runtime: each burned once, for the whole burn.
    let rows = read_csv(&dir.join("run_stats.csv"));
    let burn = rows
        .iter()
        .find(|r| r["Name"] == "burn")
        .unwrap_or_else(|| panic!("no burn row: {rows:?}"));
    assert_eq!(burn["Request Count"], USERS.to_string(), "{burn:?}");
    let least: f64 = burn["Min Response Time"].parse().unwrap();
    assert!(least >= BURN.as_millis() as f64, "{burn:?}");
    let tick = rows.iter().find(|r| r["Name"] == "tick").expect("tick row");
    assert!(
        tick["Request Count"].parse::<u64>().unwrap() > 0,
        "{tick:?}"
    );
}

testbed::each_locust!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "live"]
    async fn master_never_misses_a_worker_whose_users_hog_its_runtime => hogged_worker_keeps_its_master
);
