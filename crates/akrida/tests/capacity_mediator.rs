//! `akrida capacity` against the testbed's real ACA-Py mediator: a rate search for trust pings
//! per second within a p95 budget finishes in a few minutes, reports a capacity, and stops the
//! load once the refinement is over.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[test]
fn rate_search_for_mediator_pings() {
    let mediator = common::mediator();
    let invitation = mediator
        .invitation_url
        .clone()
        .expect("mediator invitation");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_akrida"))
        .args([
            "capacity",
            "mediator-ping",
            "--search",
            "rate",
            "-u",
            "20",
            "-r",
            "10",
            "--slo",
            "ping_mediator:p95<500ms",
            "--slo",
            "total:fail_ratio<1%",
            "--start",
            "5",
            "--factor",
            "2",
            "--max",
            "400",
            "--plateau",
            "10s",
            "--warmup",
            "3s",
            "--precision",
            "10%",
            "--json",
            // A shared machine stalls akrida now and then; that is not what is measured here.
            "--max-lag",
            "400",
        ])
        .env("MEDIATION_URL", invitation)
        .env_remove("LOCUST_MIN_WAIT")
        .env_remove("LOCUST_MAX_WAIT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("akrida runs");
    let wall = started.elapsed();
    let ended_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let report = common::parse_json(&output);
    let answer = &report["answer"];
    eprintln!("mediator ping capacity in {wall:.0?}: {}", answer["text"]);
    assert_eq!(output.status.code(), Some(0), "{answer:#}");
    assert!(wall < Duration::from_secs(300), "took {wall:?}");
    let capacity = answer["capacity"].as_f64().expect("a capacity");
    assert!(capacity >= 5.0, "{answer:#}");
    let plateaus = report["plateaus"].as_array().unwrap();
    // It broke somewhere below --max and refined; the load stopped with the last plateau (the
    // users' clean stop takes a few seconds), nothing ran after it.
    assert!(
        !answer["first_breach"].is_null() || answer["reached_max"] == true,
        "{answer:#}"
    );
    let last_end = plateaus.last().unwrap()["ended_at"].as_f64().unwrap();
    assert!(
        ended_unix - last_end < 20.0,
        "akrida went on for {}s after the last plateau",
        ended_unix - last_end
    );
}
