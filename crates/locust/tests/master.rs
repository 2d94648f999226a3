//! The worker against real Locust 2.x masters, the newest (`.venv/locust`) and the oldest
//! supported (`.venv/locust-2.10`), with a scenario that needs no server: the master's CSV must
//! show the worker's samples, users split between workers, and the worker must end with the
//! master's quit.

mod common;

use std::time::{Duration, Instant};

use common::*;
use locust::{Worker, WorkerEnd, WorkerEvent};

async fn headless_master_aggregates_two_workers(locust: Locust) {
    let mut run = HeadlessMaster::start(locust, "headless", 2, 10, "6s");
    let (port, master) = (run.port, &run.master);
    let started = Instant::now();
    let (a, b) = (Events::default(), Events::default());
    let worker_a = Worker::new(worker_config(port)).on_event(a.sink());
    let worker_b = Worker::new(worker_config(port)).on_event(b.sink());
    let never = std::future::pending::<()>;
    let (end_a, end_b) = tokio::time::timeout(Duration::from_secs(40), async {
        tokio::join!(worker_a.run(never()), worker_b.run(never()))
    })
    .await
    .unwrap_or_else(|_| panic!("workers did not end; master log:\n{}", master.log()));
    assert_eq!(end_a.unwrap(), WorkerEnd::Quit);
    assert_eq!(end_b.unwrap(), WorkerEnd::Quit);
    let log = run.finished(started);
    let dir = &run.dir;

    for events in [&a, &b] {
        assert_eq!(events.last_spawned(), Some(5), "{:?}", events.all());
        assert_eq!(events.count(|e| matches!(e, WorkerEvent::Quit)), 1);
        // Masters before 2.19 send no heartbeats: the worker must not count that as a loss.
        assert_eq!(
            events.count(|e| matches!(e, WorkerEvent::MasterLost { .. })),
            0
        );
        assert_eq!(
            events.count(|e| matches!(e, WorkerEvent::Malformed { .. })),
            0
        );
    }
    let rows = read_csv(&dir.join("run_stats.csv"));
    let tick = rows
        .iter()
        .find(|r| r["Name"] == "tick")
        .unwrap_or_else(|| panic!("no tick row: {rows:?}"));
    // 10 users, one sample per ~50 ms each, for about 5 s.
    let count: u64 = tick["Request Count"].parse().unwrap();
    assert!(count > 300, "{tick:?}");
    assert_eq!(tick["Failure Count"], "0");
    assert_eq!(tick["Type"], "test");
    // Every sample was 2 ms: the buckets travelled as Locust's.
    assert_eq!(tick["50%"], "2");
    assert_eq!(tick["Max Response Time"].parse::<f64>().unwrap(), 2.0);
    // The master counted both workers' users: in its history CSV, or in its log (Locust 2.10
    // flushes that CSV only every 10 s, so a run this short may leave it without the rows).
    let history = read_csv(&dir.join("run_stats_history.csv"));
    assert!(
        history.iter().any(|r| r["User Count"] == "10") || log.contains("(10 total users)"),
        "the master counted both workers' users"
    );
    assert!(!log.contains("Traceback"), "{log}");
}

testbed::each_locust!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "live"]
    async fn master_aggregates_two_workers => headless_master_aggregates_two_workers
);

/// Nobody listens on the port: retries are reported, then a clear error.
#[tokio::test]
async fn unreachable_master_is_an_error_after_retries() {
    let port = free_port();
    let events = Events::default();
    let mut config = worker_config(port);
    config.connect_timeout = Duration::from_secs(3);
    let started = Instant::now();
    let result = Worker::new(config)
        .on_event(events.sink())
        .run(std::future::pending())
        .await;
    let error = result.expect_err("no master");
    let text = error.to_string();
    assert!(text.contains(&format!("tcp://127.0.0.1:{port}")), "{text}");
    assert!(
        events.count(|e| matches!(e, WorkerEvent::JoinFailed { .. })) >= 1,
        "{:?}",
        events.all()
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}
