//! The command line as a newcomer meets it: help, configuration precedence (flags > environment
//! > .env), and bad input that must end in one clear sentence and exit code 2 — before any load.

use std::path::PathBuf;
use std::process::{Command, Output};

fn akrida(args: &[&str], env: &[(&str, &str)], dir: Option<&PathBuf>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_akrida"));
    command.args(args);
    // A clean slate: no variable from the developer's shell leaks into the test.
    for var in [
        "MEDIATION_URL",
        "LOCUST_MIN_WAIT",
        "LOCUST_MAX_WAIT",
        "LOCUST_USERS",
        "WITH_MEDIATION",
        "PICKUP_STRATEGY",
        "VERIFIED_TIMEOUT_SECONDS",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("akrida runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn dry_run(env: &[(&str, &str)], extra: &[&str], dir: Option<&PathBuf>) -> serde_json::Value {
    let mut args = vec!["run", "mediator-ping", "--dry-run"];
    args.extend_from_slice(extra);
    let output = akrida(&args, env, dir);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("--dry-run prints JSON")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("akrida-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
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
    let dir = temp_dir("precedence");
    std::fs::write(
        dir.join(".env"),
        "LOCUST_MIN_WAIT=3\nLOCUST_MAX_WAIT=9\nMEDIATION_URL=from-dotenv\nPICKUP_STRATEGY=pickupv2\n",
    )
    .unwrap();
    let from_dotenv = dry_run(&[], &[], Some(&dir));
    assert_eq!(from_dotenv["min_wait"], 3.0);
    assert_eq!(from_dotenv["mediation_url"], "from-dotenv");
    assert_eq!(from_dotenv["pickup_strategy"], "pickupv2");

    let env_wins = dry_run(&[("LOCUST_MIN_WAIT", "2")], &[], Some(&dir));
    assert_eq!(env_wins["min_wait"], 2.0);
    assert_eq!(
        env_wins["max_wait"], 9.0,
        ".env still fills what the environment lacks"
    );

    let flag_wins = dry_run(
        &[("LOCUST_MIN_WAIT", "2")],
        &["--min-wait", "1"],
        Some(&dir),
    );
    assert_eq!(flag_wins["min_wait"], 1.0);
}

#[test]
fn booleans_read_as_people_write_them() {
    // Akrida read WITH_MEDIATION="False" as true; here it is false.
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
    let dir = temp_dir("bad-dotenv");
    std::fs::write(
        dir.join(".env"),
        "LOCUST_MIN_WAIT=1\nthis is not a setting\n",
    )
    .unwrap();
    let output = akrida(&["run", "mediator-ping", "--dry-run"], &[], Some(&dir));
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
