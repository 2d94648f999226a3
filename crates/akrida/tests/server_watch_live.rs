//! `--server NAME=PID` against the testbed mediator: a short `mediator-ping` run watching the
//! mediator's process (its PID from `scripts/testbed pid`, as a CI job would get it) has the
//! mediator's RSS and CPU in the JSON and the HTML, with plausible values.

mod common;

use std::time::Duration;

#[test]
#[ignore = "live"]
fn the_mediators_cpu_and_memory_are_reported() {
    let mediator = common::mediator();
    let pid = testbed::run(&["pid", "mediator"]).trim().to_owned();
    assert_eq!(
        Some(
            pid.parse::<u32>()
                .expect("scripts/testbed pid prints a pid")
        ),
        mediator.pid,
        "scripts/testbed pid agrees with the state the testbed crate reads"
    );
    let dir = common::output_dir("server-watch-live");
    let html = dir.join("report.html");
    let server = format!("mediator={pid}");
    let child = common::start_mediator_ping(
        &mediator,
        &dir,
        &common::flags(
            "-u 20 -r 10 -t 20s --min-wait 0.5 --max-wait 1",
            &["--server", &server, "--html", html.to_str().unwrap()],
        ),
    );
    let output = common::wait_bounded(child, Duration::from_secs(120));
    let report = common::parse_json(&output);
    assert!(
        common::successes(&report, "ping_mediator") > 50,
        "{}",
        report["total"]
    );
    let servers = report["servers"].as_array().expect("servers in the JSON");
    let watched = &servers[0];
    assert_eq!(watched["name"], "mediator");
    assert_eq!(watched["source"], format!("pid {pid}"));
    let rss_mb = watched["rss_peak_mb"].as_f64().unwrap();
    assert!(
        rss_mb > 50.0,
        "an ACA-Py mediator holds more than 50 MiB: {rss_mb}"
    );
    let cpu = watched["cpu_seconds"].as_f64().unwrap();
    assert!(cpu > 0.0, "the mediator worked: {watched:#}");
    let ping = common::find(&watched["cpu_per_request"], "name", "ping_mediator")
        .unwrap_or_else(|| panic!("no ping_mediator in {watched:#}"));
    let per_ping = ping["cpu_ms_per_request"].as_f64().unwrap();
    assert!(
        per_ping > 0.0 && per_ping < 1_000.0,
        "{per_ping} ms per ping"
    );
    let samples = watched["series"].as_array().unwrap().len();
    assert!(samples >= 15, "a reading a second over 20 s: {samples}");
    assert_eq!(watched["failures"], 0, "{watched:#}");

    common::assert_html_ids(
        &html,
        &[
            "servers-table",
            "servers-cpu-per-request",
            "chart-server-rss-mediator",
            "chart-server-cpu-mediator",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CPU per ping_mediator:"), "{stderr}");
}
