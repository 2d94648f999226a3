//! The load check: 200 holders spawned at 50/s for 30 s against the real ACA-Py
//! mediator. The mediator's own admin API must show the 200 granted mediations, no ping may
//! fail, and the CSV files must say what the JSON says.
//!
//! Sized for what the ACA-Py 0.12.8 mediator manages on this 2-core machine: about 0.1
//! CPU-seconds per onboarding through a fresh invitation, and about 12 ms per ping. The holders
//! are spread over 10 fresh invitations (20 each) because ACA-Py's cost per onboarding grows
//! with the connections already made through the same invitation (the book's mediator-ping page: "One invitation or
//! several"); through one shared invitation the 200 would need some 30-40 s of its time after
//! they all arrive in 4 s, more than the run lasts. Each holder pings every 5-10 s (~27/s in all),
//! which the mediator answers while it onboards the rest.
//!
//! The mediator runs with a 30 s WebSocket heartbeat for this test, as the book's benchmarks page advises for a
//! loaded mediator: with ACA-Py's 3 s default, its event loop, saturated by 200 onboardings in
//! a few seconds, reads some pongs later than the 1.5 s aiohttp allows and drops those sockets
//! (seen here: 1 to 9 drops per run, and a ping or keylist update cut off with them). That is
//! the mediator failing, which akrida reports; this test is about akrida failing none.
//!
//! Against both ACA-Py releases, one after the other (a lock): two such loads at once would
//! share the machine's 2 cores between two mediators and two akridas. ACA-Py 1.7.0 takes the
//! same burst more slowly: measured here (load average 9-13 from other work), all 200 connected
//! with no failure but startup took a median 26 s and 30 holders were still onboarding when a
//! 30 s run ended, so its run lasts 60 s (paced at 3/s, 1,000 holders onboarded with no failure:
//! README, *Benchmarks*).

mod common;

use std::sync::Mutex;

use common::*;

/// One load at a time in this binary.
static ONE_LOAD: Mutex<()> = Mutex::new(());

testbed::each_acapy! {
    #[test]
    #[ignore = "live"]
    fn two_hundred_holders_onboard_and_ping(acapy) {
        let _one = ONE_LOAD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        two_hundred_holders(acapy);
    }
}

fn two_hundred_holders(acapy: testbed::Acapy) {
    let name = acapy.name("mediator");
    let mediator = mediator_of(acapy);
    let _configured = Heartbeat::set(&name, "30");
    let before = granted_mediations(&mediator);
    let dir = output_dir(&format!("load-{}", acapy.version()));
    let run_time = match acapy {
        testbed::Acapy::V0_12_8 => "30s",
        testbed::Acapy::V1_7_0 => "60s",
    };
    let child = start_mediator_ping_spread(
        &name,
        &dir,
        10,
        &[
            "-u",
            "200",
            "-r",
            "50",
            "-t",
            run_time,
            "--min-wait",
            "5",
            "--max-wait",
            "10",
            "--timeout",
            "60",
        ],
    );
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);

    assert_eq!(
        report["users"]["started"], 200,
        "every holder onboarded: {:#}",
        report["users"]
    );
    let granted = granted_mediations(&mediator) - before;
    assert!(
        granted >= 200,
        "mediator granted {granted} mediations in this run"
    );
    let pings = entry(&report, "ping_mediator");
    assert!(pings["num_requests"].as_u64().unwrap() > 200, "{pings:#}");
    assert_eq!(
        pings["num_failures"], 0,
        "failures: {:#}",
        report["failures"]
    );
    for phase in ONBOARDING_PHASES {
        assert_eq!(entry(&report, phase)["num_requests"], 200, "{phase}");
    }
    assert_eq!(output.status.code(), Some(0), "no failure, exit 0");

    // The CSV rows agree with the JSON, figure by figure.
    let rows = read_csv(&dir.join("run_stats.csv"));
    for row in &rows {
        let name = &row["Name"];
        let json = if name == "Aggregated" {
            &report["total"]
        } else {
            entry(&report, name)
        };
        assert_eq!(
            row["Request Count"],
            json["num_requests"].to_string(),
            "{name}"
        );
        assert_eq!(
            row["Failure Count"],
            json["num_failures"].to_string(),
            "{name}"
        );
        assert_eq!(
            row["Median Response Time"],
            json["median_ms"].to_string(),
            "{name}"
        );
        let p95 = common::find(&json["percentiles_ms"], "label", "95%").unwrap();
        assert_eq!(row["95%"], p95["ms"].to_string(), "{name}");
    }
    assert_eq!(
        rows.len(),
        report["entries"].as_array().unwrap().len() + 1,
        "one row per entry + Aggregated"
    );
    assert!(
        read_csv(&dir.join("run_stats_history.csv")).len() >= 20,
        "a history row per second"
    );
}
