//! The command line as a newcomer meets it: help, configuration precedence (flags > environment
//! > .env), and bad input that must end in one clear sentence and exit code 2 — before any load.

mod common;

use std::path::Path;
use std::process::Output;

fn akrida(args: &[&str], env: &[(&str, &str)], dir: Option<&Path>) -> Output {
    // A clean slate: no variable from the developer's shell leaks into the test.
    let mut command = common::akrida();
    command.args(args);
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("akrida runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn dry_run(env: &[(&str, &str)], extra: &[&str], dir: Option<&Path>) -> serde_json::Value {
    let mut args = vec!["run", "mediator-ping", "--dry-run"];
    args.extend_from_slice(extra);
    let output = akrida(&args, env, dir);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("--dry-run prints JSON")
}

#[test]
fn help_lists_every_subcommand() {
    let output = akrida(&["--help"], &[], None);
    let text = String::from_utf8_lossy(&output.stdout);
    for sub in ["run", "worker", "agent", "scenarios"] {
        assert!(
            text.contains(&format!("  {sub} ")),
            "help lacks {sub}: {text}"
        );
    }
    let run_help = akrida(&["run", "--help"], &[], None);
    let text = String::from_utf8_lossy(&run_help.stdout);
    for var in [
        "MEDIATION_URL",
        "LOCUST_MIN_WAIT",
        "PICKUP_STRATEGY",
        "VERIFIED_TIMEOUT_SECONDS",
    ] {
        assert!(text.contains(var), "run --help lacks {var}");
    }
}

#[test]
fn unknown_scenario_and_missing_server_say_so_and_fail() {
    let listing = akrida(&["scenarios"], &[], None);
    let text = String::from_utf8_lossy(&listing.stdout);
    for name in ["mediator-ping", "connection", "issue", "msg", "liveness"] {
        assert!(text.contains(name), "{text}");
    }
    let output = akrida(&["run", "no-such-test"], &[], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown scenario \"no-such-test\""),
        "{}",
        stderr(&output)
    );
    let output = akrida(&["run", "msg"], &[("ISSUER_URL", "")], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("ISSUER_URL is not set"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn flags_beat_environment_beat_dotenv() {
    let dir = testbed::scratch_dir("cli-precedence");
    std::fs::write(
        dir.join(".env"),
        "LOCUST_MIN_WAIT=3\nLOCUST_MAX_WAIT=9\nMEDIATION_URL=from-dotenv\nPICKUP_STRATEGY=pickupv2\n",
    )
    .unwrap();
    let from_dotenv = dry_run(&[], &[], Some(&*dir));
    assert_eq!(from_dotenv["min_wait"], 3.0);
    assert_eq!(from_dotenv["mediation_url"], "from-dotenv");
    assert_eq!(from_dotenv["pickup_strategy"], "pickupv2");

    let env_wins = dry_run(&[("LOCUST_MIN_WAIT", "2")], &[], Some(&*dir));
    assert_eq!(env_wins["min_wait"], 2.0);
    assert_eq!(
        env_wins["max_wait"], 9.0,
        ".env still fills what the environment lacks"
    );

    let flag_wins = dry_run(
        &[("LOCUST_MIN_WAIT", "2")],
        &["--min-wait", "1"],
        Some(&*dir),
    );
    assert_eq!(flag_wins["min_wait"], 1.0);
}

#[test]
fn booleans_read_as_people_write_them() {
    // owl-akrida read WITH_MEDIATION="False" as true; here it is false.
    for (text, expected) in [
        ("False", false),
        ("false", false),
        ("0", false),
        ("True", true),
        ("yes", true),
    ] {
        let settings = dry_run(&[("WITH_MEDIATION", text)], &[], None);
        assert_eq!(settings["with_mediation"], expected, "{text}");
    }
    let output = akrida(
        &["run", "mediator-ping", "--dry-run"],
        &[("WITH_MEDIATION", "maybe")],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("\"maybe\" is not a boolean"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn invalid_values_are_named() {
    for (args, env, expected) in [
        (vec!["-t", "5x"], vec![], "\"5x\" is not a duration"),
        (vec!["-r", "0"], vec![], "must be greater than 0"),
        (
            vec![],
            vec![("PICKUP_STRATEGY", "v3")],
            "\"v3\" is not a pickup strategy",
        ),
        (vec![], vec![("LOCUST_MIN_WAIT", "-1")], "non-negative"),
    ] {
        let mut all = vec!["run", "mediator-ping", "--dry-run"];
        all.extend(args);
        let output = akrida(&all, &env, None);
        assert_eq!(output.status.code(), Some(2), "{all:?}");
        assert!(
            stderr(&output).contains(expected),
            "{all:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn malformed_dotenv_names_file_and_line() {
    let dir = testbed::scratch_dir("cli-bad-dotenv");
    std::fs::write(
        dir.join(".env"),
        "LOCUST_MIN_WAIT=1\nthis is not a setting\n",
    )
    .unwrap();
    let output = akrida(&["run", "mediator-ping", "--dry-run"], &[], Some(&*dir));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(".env:2: expected KEY=value"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn setup_problems_stop_before_any_load() {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "MEDIATION_URL is not set"),
        (
            vec![("MEDIATION_URL", "http://127.0.0.1:9?oob=!!!")],
            "MEDIATION_URL is not a usable invitation",
        ),
        (
            vec![("MEDIATION_URL", "not an invitation")],
            "MEDIATION_URL is not a usable invitation",
        ),
        (
            vec![("MEDIATION_URL", "x"), ("WITH_MEDIATION", "false")],
            "needs mediated holders",
        ),
        (
            vec![
                ("MEDIATION_URL", "x"),
                ("LOCUST_MIN_WAIT", "5"),
                ("LOCUST_MAX_WAIT", "1"),
            ],
            "greater than LOCUST_MAX_WAIT",
        ),
    ];
    for (env, expected) in cases {
        let output = akrida(&["run", "mediator-ping", "-t", "5s"], &env, None);
        assert_eq!(output.status.code(), Some(2), "{env:?}");
        assert!(
            stderr(&output).contains(expected),
            "{env:?}: {}",
            stderr(&output)
        );
    }
    let output = akrida(&["run", "no-such-scenario"], &[], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown scenario"));
}

#[test]
fn unreachable_mediator_is_a_clear_error_not_a_hang() {
    // A well-formed invitation whose endpoint nothing listens on (port 9 on loopback).
    let invitation = serde_json::json!({
        "@type": "https://didcomm.org/out-of-band/1.1/invitation",
        "@id": "4d5e1c6a-5f5e-4a65-9b36-0a8f5d0c9e11",
        "handshake_protocols": ["https://didcomm.org/didexchange/1.0"],
        "services": [{"id": "#inline", "type": "did-communication",
            "recipientKeys": ["did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"],
            "serviceEndpoint": "http://127.0.0.1:9"}]
    })
    .to_string();
    let started = std::time::Instant::now();
    let output = akrida(
        &["run", "mediator-ping", "-t", "30s"],
        &[("MEDIATION_URL", &invitation)],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is unreachable"),
        "{}",
        stderr(&output)
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "gave up quickly, did not run for 30 s"
    );
}

#[test]
fn dry_run_shows_only_the_settings_that_apply() {
    let ping = dry_run(&[], &[], None);
    for present in [
        "users",
        "spawn_rate",
        "mediation_url",
        "pickup_strategy",
        "timeout",
        "tls_verification",
        "thresholds",
    ] {
        assert!(
            ping.get(present).is_some(),
            "mediator-ping lacks {present}: {ping:#}"
        );
    }
    for absent in [
        "cred_attr",
        "cred_format",
        "issuer_type",
        "issuer_url",
        "verifier_url",
        "message",
        "connections_per_agent",
        "agent_port",
        "multitenant_url",
        "cleanup_tenants",
        "tenant_webhook_listen",
        "wallet_key_derivation",
        "agent_cmd",
        "read_timeout",
    ] {
        assert!(
            ping.get(absent).is_none(),
            "mediator-ping shows {absent}, which it never reads: {ping:#}"
        );
    }

    // An issuer scenario with direct holders shows its own settings, and no mediator's.
    let output = akrida(
        &["run", "issue", "--dry-run", "--with-mediation", "false"],
        &[],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let issue: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for present in ["issuer_url", "issuer_type", "cred_attr", "agent_port"] {
        assert!(issue.get(present).is_some(), "issue lacks {present}");
    }
    assert!(issue.get("mediation_url").is_none(), "{issue:#}");
    assert!(issue.get("multitenant_url").is_none(), "{issue:#}");
}

#[test]
fn dry_run_of_external_agents_shows_the_command_and_its_timeouts() {
    let settings = dry_run(
        &[("READ_TIMEOUT_SECONDS", "30")],
        &[
            "--agent-cmd",
            "node dist/agent.js",
            "--shutdown-timeout",
            "4",
        ],
        None,
    );
    assert_eq!(settings["agent_cmd"], "node dist/agent.js");
    assert_eq!(settings["read_timeout"], 30.0);
    assert_eq!(settings["shutdown_timeout"], 4.0);
    assert_eq!(
        settings["errors_before_restart"], 10,
        "owl-akrida's default"
    );
    // The agents hold their own pickup and label; akrida does not show them as its own.
    assert!(settings.get("pickup_strategy").is_none(), "{settings:#}");
}

/// The end of a run prints the final stats table once: a live block due when the run time is up
/// (here at 4 s, every 2 s) would repeat it while the users stop.
#[test]
#[ignore = "live"]
fn the_final_table_is_printed_once() {
    let mediator = testbed::ensure(&["mediator"]).agent("mediator").clone();
    let invitation = mediator.invitation_url.expect("mediator invitation");
    let output = akrida(
        &common::words("run mediator-ping -u 2 -r 2 -t 4s --stats-interval 2"),
        &[("MEDIATION_URL", &invitation)],
        None,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tables = |text: &str| text.matches("Response time percentiles").count();
    assert_eq!(tables(&stdout), 1, "the final table, once: {stdout}");
    assert!(stdout.contains("ping_mediator"), "{stdout}");
    // Live blocks (stderr, piped) each open with a progress line; none once the time is up.
    let log = stderr(&output);
    let blocks = log.lines().filter(|l| l.contains(" / 0m04s (")).count();
    assert_eq!(tables(&log), blocks, "one table per live block: {log}");
    assert!(
        !log.contains("0m04s / 0m04s"),
        "a live block at the end repeats the final table: {log}"
    );
}

/// `akrida capacity --dry-run` checks the search's options and prints them with the run's,
/// sending nothing (MEDIATION_URL points where nothing listens); a run option the search has
/// no use for is named in a warning.
#[test]
fn capacity_dry_run_prints_the_search_and_names_unused_options() {
    let output = akrida(
        &[
            "capacity",
            "mediator-ping",
            "--dry-run",
            "--slo",
            "ping_mediator:p95<500ms",
            "--start",
            "4",
            "--baseline",
            "previous.json",
            "--tolerance",
            "20%",
        ],
        &[("MEDIATION_URL", "http://127.0.0.1:9/?oob=x")],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let settings: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--dry-run prints JSON");
    assert_eq!(settings["search"], "users", "{settings:#}");
    assert_eq!(settings["start"], 4.0, "{settings:#}");
    assert_eq!(
        settings["slo"][0], "ping_mediator:p95<500ms",
        "{settings:#}"
    );
    assert!(
        stderr(&output).contains("--baseline, --tolerance are not used"),
        "{}",
        stderr(&output)
    );

    // A bad SLO is still refused before anything else.
    let bad = akrida(
        &[
            "capacity",
            "mediator-ping",
            "--dry-run",
            "--slo",
            "nonsense",
        ],
        &[],
        None,
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// A worker's load and reports are the master's: options for them are named in a warning.
#[test]
fn worker_names_the_options_the_master_decides() {
    let output = akrida(
        &["worker", "mediator-ping", "--dry-run", "-u", "50", "--json"],
        &[],
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("-u/--users, --json are not used"),
        "{}",
        stderr(&output)
    );
}
