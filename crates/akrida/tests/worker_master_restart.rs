//! The master is killed mid-run and a new one starts on the same port: the akrida workers notice
//! the lost master (its connection closed, or its heartbeats stopped), stop their users, rejoin
//! the new master, and run its test to the end.

mod common;
mod worker_support;

use std::time::{Duration, Instant};

use worker_support::*;

#[test]
#[ignore = "live"]
fn workers_rejoin_a_restarted_master() {
    let (dir, port, web_port, web) = web_master("worker-master-restart");
    let started = Instant::now();
    let mut first = start_master(
        Locust::Newest,
        "master-1",
        port,
        &dir,
        &["MediatorPing"],
        Master::Web { web_port },
    );
    let fast = ["--heartbeat-timeout", "3"];
    let mut workers = [
        start_worker("worker-a", port, &dir, &fast),
        start_worker("worker-b", port, &dir, &fast),
    ];
    wait_for(Duration::from_secs(60), "two workers joined", || {
        let stats = master_stats(&web)?;
        (stats["workers"].as_array()?.len() == 2).then_some(())
    });
    let (status, body) = http(
        "POST",
        &format!("{web}/swarm"),
        Some("user_count=10&spawn_rate=10&host="),
    )
    .expect("swarm");
    assert_eq!(status, 200, "{body}");
    wait_for(Duration::from_secs(60), "pings on the first master", || {
        let stats = master_stats(&web)?;
        (worker_user_counts(&stats) == [5, 5] && requests_of(&stats, "ping_mediator") > 0)
            .then_some(())
    });

    first.kill();
    eprintln!("first master killed after {:?}", started.elapsed());
    let swarm = Swarm(10, 10, "15s");
    let mut second = start_headless_master(
        Locust::Newest,
        "master-2",
        port,
        &dir,
        &["MediatorPing"],
        swarm,
    );
    let second_exit = second.wait_for_exit(Duration::from_secs(90));
    eprintln!("second master ended after {:?}", started.elapsed());
    for worker in &mut workers {
        let exit = worker.wait_for_exit(Duration::from_secs(20));
        let log = worker.log();
        assert_eq!(exit, Some(Some(0)), "{log}");
        assert!(
            log.contains("the master closed the connection")
                || log.contains("no heartbeat from the master"),
            "{log}"
        );
        assert!(log.contains("users stopped, waiting to rejoin"), "{log}");
        assert!(log.contains("rejoined master"), "{log}");
        assert!(log.contains("the master said quit"), "{log}");
        assert!(!log.contains("panicked"), "{log}");
        // 5 users for the first master, then 5 again for the second.
        assert_eq!(running_counts(&log).last(), Some(&5), "{log}");
    }
    assert_eq!(second_exit, Some(Some(0)), "{}", second.log());

    let rows = common::read_csv(&dir.join("master-2_stats.csv"));
    for name in ["startup", "ping_mediator"] {
        let row = common::csv_row(&rows, name, "the second master's CSV");
        assert!(row["Request Count"].parse::<u64>().unwrap() > 0, "{row:?}");
        assert_eq!(row["Failure Count"], "0", "{row:?}");
    }
    eprintln!("took {:?}", started.elapsed());
}
