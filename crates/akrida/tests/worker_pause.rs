//! A worker paused mid-run (SIGSTOP for 8 s, then SIGCONT), against the newest and the oldest
//! supported Locust master: the master marks it missing (its `HEARTBEAT_LIVENESS` of 3 beats; no
//! option changes it), then takes it back at its next heartbeat ("self-healed"), and the worker
//! goes on with its users on the same session: no rejoin. The pings it reports after the pause
//! reach the master's CSV.
//!
//! The paused holders miss the mediator's WebSocket heartbeats, so the mediator drops some of
//! their sockets: those drops are failures of the run (and the master exits 1 for them), not of
//! the worker; the holders reopen their sockets and ping on.

mod common;
mod worker_support;

use std::time::{Duration, Instant};

use worker_support::*;

const PAUSE: Duration = Duration::from_secs(8);

fn paused_worker_heals(locust: Locust) {
    testbed::ensure(&["mediator"]);
    let dir = output_dir(&format!("worker-pause-{}", locust.label()));
    let port = free_port();
    let started = Instant::now();
    // Two workers: the master keeps its test running while one is missing.
    let swarm = Swarm(10, 10, "55s");
    let mut master = start_headless_master(locust, "master", port, &dir, &["MediatorPing"], swarm);
    // 55 s: a ping in flight over the pause may wait out its 20 s answer timeout on a socket the
    // mediator dropped meanwhile, before its holder reconnects; pings follow.
    let mut steady = start_worker("worker-a", port, &dir, &[]);
    let mut paused = start_worker("worker-b", port, &dir, &[]);
    // Pings first (the master writes its CSV every second), then the pause.
    let stats = dir.join("master_stats.csv");
    wait_for(Duration::from_secs(60), "pings in the master's CSV", || {
        // Read as it is being rewritten: a torn file is simply not there yet.
        let text = std::fs::read_to_string(&stats).ok()?;
        let row = text
            .lines()
            .find_map(|line| line.strip_prefix("didcomm,ping_mediator,"))?;
        let requests: u64 = row.split(',').next()?.parse().ok()?;
        (requests >= 10).then_some(())
    });
    assert!(running_counts(&paused.log()).contains(&5));
    paused.signal(libc::SIGSTOP);
    eprintln!("worker-b paused after {:?}", started.elapsed());
    std::thread::sleep(PAUSE);
    paused.signal(libc::SIGCONT);
    eprintln!("worker-b resumed after {:?}", started.elapsed());

    let master_exit = master.wait_for_exit(Duration::from_secs(90));
    let mut reported = Vec::new();
    for worker in [&mut steady, &mut paused] {
        let exit = worker.wait_for_exit(Duration::from_secs(20));
        let log = worker.log();
        assert_eq!(exit, Some(Some(0)), "worker exit; its log:\n{log}");
        assert!(!log.contains("panicked"), "{log}");
        assert_eq!(rejoin_lines(&log), Vec::<&str>::new(), "{log}");
        assert!(log.contains("the master said quit"), "{log}");
        reported.push(requests_reported(&log).unwrap_or_else(|| panic!("{log}")));
    }
    let master_log = master.log();
    eprintln!(
        "Locust {locust:?}: took {:?}; master log:\n{master_log}",
        started.elapsed()
    );
    assert!(
        master_exit.is_some(),
        "the master did not end: {master_log}"
    );

    // The master gave the paused worker up, then took it back; never the steady one.
    let paused_log = paused.log();
    let paused_id = client_id(&paused_log);
    let steady_id = client_id(&steady.log());
    let missing = format!("Worker {paused_id} failed to send heartbeat, setting state to missing");
    assert!(master_log.contains(&missing), "{master_log}");
    let healed = format!("Worker {paused_id} self-healed with heartbeat");
    assert!(master_log.contains(&healed), "{master_log}");
    assert!(!master_log.contains(&format!("Worker {steady_id} failed")));
    // The worker saw its own stall, and reported pings after it.
    let at_stall = reported_at_stalls(&paused_log);
    assert_eq!(at_stall.len(), 1, "{paused_log}");
    let after_pause = reported[1] - at_stall[0];
    eprintln!(
        "the workers reported {reported:?} requests; the paused one {after_pause} after the pause"
    );
    assert!(after_pause >= 10, "{paused_log}");

    // The master's CSV has them: its total is what both workers reported, less at most their
    // last reports as it quit (a few requests) — far fewer than the paused worker's requests after
    // the pause, which it would lack had it not taken them.
    let rows = common::read_csv(&dir.join("master_stats.csv"));
    let total: u64 = rows.iter().find(|r| r["Name"] == "Aggregated").unwrap()["Request Count"]
        .parse()
        .unwrap();
    let sum: u64 = reported.iter().sum();
    eprintln!("the master's CSV counts {total} requests");
    assert!(
        total <= sum && sum - total < after_pause,
        "master {total}, workers {reported:?}, {after_pause} after the pause"
    );
    let ping = rows
        .iter()
        .find(|r| r["Name"] == "ping_mediator")
        .unwrap_or_else(|| panic!("no ping_mediator row: {rows:?}"));
    eprintln!(
        "ping_mediator: {} requests, {} failures",
        ping["Request Count"], ping["Failure Count"]
    );
    assert!(ping["Request Count"].parse::<u64>().unwrap() > after_pause);
}

testbed::each_locust!(
    #[test]
    #[ignore = "live"]
    fn locust_master_takes_back_a_paused_worker => paused_worker_heals
);

/// The client id a worker joined as (its first line: "... joining tcp://... as <id>").
fn client_id(worker_log: &str) -> String {
    worker_log
        .lines()
        .filter(|line| line.contains(", joining "))
        .find_map(|line| line.rsplit_once(" as ").map(|(_, id)| id.trim().to_owned()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no client id in {worker_log}"))
}
