//! The fault check: the mediator is stopped in the middle of a run and started again.
//! The run goes on; holders notice the dropped sockets (counted), fail their pings while the
//! mediator is away (counted), reconnect with backoff once it is back, and ping successfully
//! again; nothing panics and the reports are written.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
#[ignore = "live"]
fn mediator_restart_mid_run_is_survived() {
    let mediator = mediator();
    let dir = output_dir("restart");
    let child = start_mediator_ping(
        &mediator,
        &dir,
        &common::words("-u 20 -r 20 -t 60s --min-wait 0.5 --max-wait 1 --timeout 5"),
    );
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    testbed::run(&["stop", "mediator"]);
    let stopped_at = started.elapsed();
    std::thread::sleep(Duration::from_secs(5));
    testbed::run(&["start", "mediator"]);
    let back_at = started.elapsed();

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "failures happened, so exit code 1"
    );
    let report = parse_json(&output);

    assert_eq!(report["users"]["started"], 20, "{:#}", report["users"]);
    let lost = entry(&report, "connection_lost");
    assert!(
        lost["num_failures"].as_u64().unwrap() >= 20,
        "each holder's drop counted: {lost:#}"
    );
    let pings = entry(&report, "ping_mediator");
    assert!(
        pings["num_failures"].as_u64().unwrap() > 0,
        "pings failed while it was down"
    );
    let reconnects = entry(&report, "socket_open");
    let successful_opens =
        reconnects["num_requests"].as_u64().unwrap() - reconnects["num_failures"].as_u64().unwrap();
    assert!(
        successful_opens >= 40,
        "20 first opens + 20 reconnects: {reconnects:#}"
    );

    // After the mediator came back, pings succeed again: history rows from 25 s after its
    // return (reconnect backoff is at most ~12 s, and current rates cover the last ~10 s) show
    // ping_mediator requests and no failures.
    let history = read_csv(&dir.join("run_stats_history.csv"));
    let first_ts: f64 = history[0]["Timestamp"].parse().unwrap();
    let recovered: Vec<_> = history
        .iter()
        .filter(|row| row["Name"] == "ping_mediator")
        .filter(|row| {
            row["Timestamp"].parse::<f64>().unwrap() - first_ts > back_at.as_secs_f64() + 25.0
        })
        .collect();
    assert!(
        !recovered.is_empty(),
        "history covers the time after the restart (stopped at {stopped_at:?})"
    );
    for row in recovered {
        assert!(row["Requests/s"].parse::<f64>().unwrap() > 0.0, "{row:?}");
        assert_eq!(row["Failures/s"].parse::<f64>().unwrap(), 0.0, "{row:?}");
    }
    for file in ["run_stats.csv", "run_failures.csv", "run_stats_history.csv"] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
}
