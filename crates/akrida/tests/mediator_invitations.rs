//! `MEDIATION_URLS_FILE`: holders spread over several mediator invitations, in turn. The
//! mediator's own records must show each invitation used by its share of the holders; a bad
//! file must stop the run before any load with one sentence naming the line.

mod common;

use std::process::{Output, Stdio};

use common::*;

/// `akrida run mediator-ping` with only a file of invitations (no `MEDIATION_URL`).
fn run_with_file(file: &std::path::Path, extra_env: &[(&str, &str)], args: &[&str]) -> Output {
    akrida()
        .args(["run", "mediator-ping", "--json"])
        .args(args)
        .env("MEDIATION_URLS_FILE", file)
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("akrida runs")
}

/// Active connections on the mediator made through the invitation with this `@id`.
fn active_connections_of(mediator: &testbed::Agent, invitation_id: &str) -> usize {
    let url = format!(
        "{}/connections?invitation_msg_id={invitation_id}&state=active",
        mediator.admin_url
    );
    let value: serde_json::Value = serde_json::from_str(&http_get(&url)).unwrap();
    value["results"].as_array().map(Vec::len).unwrap_or(0)
}

#[test]
#[ignore = "live"]
fn holders_take_the_invitations_of_the_file_in_turn() {
    let mediator = mediator();
    // Fresh multi-use invitations, so the counts below are this run's alone.
    let urls: Vec<String> = (0..2)
        .map(|_| testbed::run(&["invite", "mediator"]))
        .collect();
    let ids: Vec<String> = urls
        .iter()
        .map(|url| didcomm::parse_invitation(url).unwrap().id)
        .collect();
    let dir = output_dir("invitations-file");
    let file = dir.join("invitations.txt");
    std::fs::write(
        &file,
        format!("# two invitations\n{}\n\n  {}  \n", urls[0], urls[1]),
    )
    .unwrap();

    let output = run_with_file(
        &file,
        &[],
        &[
            "-u",
            "6",
            "-r",
            "6",
            "-t",
            "12s",
            "--min-wait",
            "1",
            "--max-wait",
            "2",
        ],
    );
    let report = parse_json(&output);
    assert_eq!(report["users"]["started"], 6, "{:#}", report["users"]);
    assert_eq!(
        entry(&report, "ping_mediator")["num_failures"],
        0,
        "{:#}",
        report["failures"]
    );
    assert_eq!(output.status.code(), Some(0));
    // Users 0, 2, 4 took the first invitation, users 1, 3, 5 the second.
    for id in &ids {
        assert_eq!(active_connections_of(&mediator, id), 3, "invitation {id}");
    }
}

#[test]
#[ignore = "live"]
fn a_bad_file_stops_the_run_with_one_sentence() {
    let mediator = mediator();
    let good = mediator
        .invitation_url
        .clone()
        .expect("mediator invitation");
    let dir = output_dir("invitations-file-bad");

    let garbage = dir.join("garbage.txt");
    std::fs::write(&garbage, format!("{good}\nnot an invitation\n")).unwrap();
    let output = run_with_file(&garbage, &[], &["-u", "1", "-t", "5s"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("garbage.txt line 2 is not a usable invitation"),
        "{stderr}"
    );

    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "# nothing yet\n\n").unwrap();
    let output = run_with_file(&empty, &[], &["-u", "1", "-t", "5s"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no invitation URL"), "{stderr}");

    let missing = dir.join("missing.txt");
    let output = run_with_file(&missing, &[], &["-u", "1", "-t", "5s"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read it"), "{stderr}");

    let one = dir.join("one.txt");
    std::fs::write(&one, &good).unwrap();
    let output = run_with_file(&one, &[("MEDIATION_URL", &good)], &["-u", "1", "-t", "5s"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("MEDIATION_URL and MEDIATION_URLS_FILE are both set"),
        "{stderr}"
    );
}
