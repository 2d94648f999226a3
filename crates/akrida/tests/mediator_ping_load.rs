//! Issue 3's load check: 200 holders spawned at 50/s against the real ACA-Py mediator. The
//! mediator's own admin API must show the 200 granted mediations, no ping may fail, and the CSV
//! files must say what the JSON says.
//!
//! Sized for what the ACA-Py 0.12.8 mediator manages on this 2-core machine: it spends about
//! 0.16 CPU-seconds per onboarding (about 6 holders/s, so 200 need some 30 s of its time after
//! they all arrive in 4 s) and about 12 ms per ping. Hence a 60 s bound per step (the last
//! holders wait in the mediator's queue), 75 s of run time, and a ping every 5-10 s per holder
//! (~27 pings/s) that the mediator can answer while it onboards the rest.

mod common;

use common::*;

#[test]
fn two_hundred_holders_onboard_and_ping() {
    let mediator = mediator();
    let before = granted_mediations(&mediator);
    let dir = output_dir("load");
    let child = start_mediator_ping(
        &mediator,
        &dir,
        &[
            "-u",
            "200",
            "-r",
            "50",
            "-t",
            "75s",
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
    for phase in [
        "startup",
        "connect",
        "socket_open",
        "mediation_grant",
        "keylist_update",
    ] {
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
        let p95 = json["percentiles_ms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["label"] == "95%")
            .unwrap();
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
