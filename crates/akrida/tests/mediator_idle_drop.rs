//! Holders that are waiting between pings notice a dropped socket when it drops, not at their
//! next ping: the drop is counted and the socket reopened at once, so the holder is reachable
//! through the mediator again. Here the wait between pings (120 s) outlasts the run, so every
//! reconnect below happened while the holders were waiting.

mod common;

use std::time::{Duration, Instant};

use common::*;

const HOLDERS: u64 = 5;

#[test]
#[ignore = "live"]
fn a_drop_between_pings_is_counted_and_repaired_while_waiting() {
    let mediator = mediator();
    let dir = output_dir("idle-drop");
    let grants_before = granted_mediations(&mediator);
    let child = start_mediator_ping(
        &mediator,
        &dir,
        &[
            "-u",
            &HOLDERS.to_string(),
            "-r",
            "5",
            "-t",
            "60s",
            "--min-wait",
            "120",
            "--max-wait",
            "120",
            "--timeout",
            "10",
        ],
    );
    wait_for_grants(&mediator, grants_before + HOLDERS as usize);
    // Room for each holder's keylist update and first ping, then it only waits.
    std::thread::sleep(Duration::from_secs(3));
    testbed::run(&["stop", "mediator"]);
    std::thread::sleep(Duration::from_secs(2));
    testbed::run(&["start", "mediator"]);

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    assert_eq!(report["users"]["started"], HOLDERS, "{:#}", report["users"]);

    let pings = entry(&report, "ping_mediator");
    assert_eq!(pings["num_requests"], HOLDERS, "one ping each: {pings:#}");
    assert_eq!(pings["num_failures"], 0, "{pings:#}");
    let lost = entry(&report, "connection_lost");
    assert_eq!(
        lost["num_failures"], HOLDERS,
        "each drop counted once, without a ping to notice it: {lost:#}"
    );
    let opens = entry(&report, "socket_open");
    let successful_opens =
        opens["num_requests"].as_u64().unwrap() - opens["num_failures"].as_u64().unwrap();
    assert_eq!(
        successful_opens,
        2 * HOLDERS,
        "first opens and one reconnect each: {opens:#}"
    );
}

/// Waits (up to 60 s) until the mediator has granted `count` mediations in all.
fn wait_for_grants(mediator: &testbed::Agent, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while granted_mediations(mediator) < count {
        assert!(Instant::now() < deadline, "holders did not onboard in 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}
