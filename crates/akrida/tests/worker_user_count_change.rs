//! The master changes the user count mid-run through its web API (as a person does in the web
//! UI), and the two akrida workers follow: 20 users (10 each), then 6 (3 each), then stop; the
//! workers stay joined for the next test, and leave cleanly on SIGTERM.

mod common;
mod worker_support;

use std::time::{Duration, Instant};

use worker_support::*;

#[test]
#[ignore = "live"]
fn workers_follow_the_masters_user_count() {
    let (dir, port, web_port, web) = web_master("worker-user-count");
    let started = Instant::now();
    let master = start_master(
        Locust::Newest,
        "master",
        port,
        &dir,
        &["MediatorPing"],
        Master::Web { web_port },
    );
    let mut workers = [
        start_worker("worker-a", port, &dir, &[]),
        start_worker("worker-b", port, &dir, &[]),
    ];
    let logs = |workers: &[Proc]| -> String {
        workers.iter().map(|w| w.log() + "\n").collect::<String>() + &master.log()
    };
    wait_for(Duration::from_secs(60), "two workers joined", || {
        let stats = master_stats(&web)?;
        (stats["workers"].as_array()?.len() == 2).then_some(())
    });

    let swarm = |users: u32| {
        let form = format!("user_count={users}&spawn_rate=20&host=");
        let (status, body) = http("POST", &format!("{web}/swarm"), Some(&form)).expect("swarm");
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("\"success\": true") || body.contains("\"success\":true"),
            "{body}"
        );
    };
    swarm(20);
    wait_for(Duration::from_secs(60), "10 users on each worker", || {
        (worker_user_counts(&master_stats(&web)?) == [10, 10]).then_some(())
    });
    // All 20 onboarded and reported before the cut: "running" counts users still onboarding, and
    // stopping those drops their startup unrecorded (on a slow mediator onboarding takes seconds).
    wait_for(
        Duration::from_secs(90),
        "20 startups and pings reported to the master",
        || {
            let stats = master_stats(&web)?;
            (requests_of(&stats, "startup") >= 20 && requests_of(&stats, "ping_mediator") > 0)
                .then_some(())
        },
    );
    eprintln!("20 users running after {:?}", started.elapsed());

    swarm(6);
    wait_for(Duration::from_secs(30), "3 users on each worker", || {
        (worker_user_counts(&master_stats(&web)?) == [3, 3]).then_some(())
    });
    for worker in &workers {
        let counts = running_counts(&worker.log());
        assert_eq!(counts.last(), Some(&3), "{}", worker.log());
        assert!(counts.contains(&10), "{}", worker.log());
    }
    eprintln!("down to 6 users after {:?}", started.elapsed());

    let (status, _) = http("POST", &format!("{web}/stop"), None).expect("stop");
    assert_eq!(status, 200);
    wait_for(
        Duration::from_secs(30),
        "workers stopped and ready again",
        || {
            let stats = master_stats(&web)?;
            let workers = stats["workers"].as_array()?;
            (stats["state"] == "stopped"
                && workers.len() == 2
                && workers
                    .iter()
                    .all(|w| w["state"] == "ready" && w["user_count"] == 0))
            .then_some(())
        },
    );
    let stats = master_stats(&web).unwrap();
    let failures = stats["stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["num_failures"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(failures, 0, "{:#}", stats["errors"]);
    assert!(requests_of(&stats, "startup") >= 20, "{stats:#}");

    for worker in &mut workers {
        worker.terminate();
        let exit = worker.wait_for_exit(Duration::from_secs(20));
        assert_eq!(exit, Some(Some(0)), "{}", worker.log());
        assert!(
            worker.log().contains("the master said stop"),
            "{}",
            worker.log()
        );
    }
    wait_for(
        Duration::from_secs(10),
        "the master saw both workers leave",
        || (master.log().matches("quit.").count() >= 2).then_some(()),
    );
    let all = logs(&workers);
    assert!(
        !all.contains("panicked") && !all.contains("Traceback"),
        "{all}"
    );
    eprintln!("took {:?}", started.elapsed());
}
