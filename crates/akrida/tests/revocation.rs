//! `issue-revoke` against the testbed's ledger-backed ACA-Py (`issuer-indy`, also the verifier)
//! on its 4-node Indy pool: each iteration issues a credential, proves it with a non-revoked
//! interval, revokes it (published to the ledger) and proves it again. Judged on the verifier's
//! own records: the proofs before revocation `verified: "true"`, the ones after `"false"`, every
//! one of them with a timestamp (a non-revocation proof); and on the tails server's count of
//! downloads: the holders fetched the registry's tails file once, not once per holder.
//!
//! Also: a revocable definition without the ledger's genesis, and a ledger that does not
//! answer, stop the run before any load with one sentence.

mod common;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const CRED_ATTR: &str = r#"[{"name": "score", "value": "test"}, {"name": "level", "value": "7"}]"#;

fn issuer() -> (testbed::Agent, testbed::Ledger) {
    let tb = testbed::ensure(&[testbed::LEDGER_ISSUER]);
    (
        tb.agent(testbed::LEDGER_ISSUER).clone(),
        tb.ledger().clone(),
    )
}

fn get(issuer: &testbed::Agent, path: &str) -> Value {
    serde_json::from_str(&http_get(&format!("{}{path}", issuer.admin_url))).expect("JSON")
}

/// `akrida run issue-revoke` (direct holders, 2.0 protocols) with `env`; its output.
fn run(
    issuer: &testbed::Agent,
    label: &str,
    users: u32,
    seconds: u32,
    env: &[(&str, &str)],
) -> Output {
    let users = users.to_string();
    let mut command = akrida();
    command
        .args(["run", "issue-revoke", "--json", "--stats-interval", "60"])
        .args(["-u", &users, "-r", &users, "--timeout", "40"])
        .args(["--min-wait", "0.2", "--max-wait", "0.5"])
        .args(["-t", &format!("{seconds}s")])
        .env("AKRIDA_LABEL", label)
        .env("ISSUER_URL", &issuer.admin_url)
        .env("ISSUER_TYPE", "acapy_v2")
        .env("VERIFIER_TYPE", "acapy_v2")
        .env("CRED_FORMAT", "indy")
        .env("CRED_DEF", issuer.cred_def_id.as_deref().unwrap())
        .env("CRED_ATTR", CRED_ATTR)
        .env("WITH_MEDIATION", "false")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("akrida starts");
    wait_bounded(child, Duration::from_secs(u64::from(seconds) + 150))
}

/// The verifier's 2.0 presentation records of this run's users: (verified, rejected), each
/// checked to be a non-revocation proof (an interval asked, a timestamp given).
fn verdicts(issuer: &testbed::Agent, label: &str, users: u32) -> (u64, u64) {
    let (mut verified, mut rejected) = (0, 0);
    for user in 0..users {
        let connections = get(issuer, &format!("/connections?alias={label}-{user}"));
        for connection in connections["results"].as_array().unwrap() {
            let id = connection["connection_id"].as_str().unwrap();
            let records = get(
                issuer,
                &format!("/present-proof-2.0/records?connection_id={id}"),
            );
            for record in records["results"].as_array().unwrap() {
                let request = &record["by_format"]["pres_request"]["indy"];
                assert!(
                    request["non_revoked"]["to"].is_u64(),
                    "a non-revoked interval was asked: {request:#}"
                );
                match record["verified"].as_str() {
                    Some("true") => verified += 1,
                    Some("false") => rejected += 1,
                    _ => continue, // cut by the end of the run
                }
                let identifiers = &record["by_format"]["pres"]["indy"]["identifiers"];
                assert!(
                    identifiers[0]["timestamp"].is_u64()
                        && identifiers[0]["rev_reg_id"].is_string(),
                    "the holder proved non-revocation at a ledger time: {identifiers:#}"
                );
            }
        }
    }
    (verified, rejected)
}

#[test]
#[ignore = "live"]
fn revoked_credentials_fail_verification_and_valid_ones_pass() {
    let (issuer, ledger) = issuer();
    let genesis = ledger.genesis_file.to_string_lossy().into_owned();
    let label = format!("it-revoke-{}", std::process::id());
    let users = 3;
    let downloads_before = ledger.tails_server.downloads();
    let output = run(&issuer, &label, users, 25, &[("GENESIS_FILE", &genesis)]);
    let report = parse_json(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        report["total"]["num_failures"], 0,
        "failures: {:#}\nstderr:\n{stderr}",
        report["failures"]
    );
    let (proven, revoked, rejected) = (
        successes(&report, "presentation_exchange"),
        successes(&report, "revoke_credential"),
        successes(&report, "revoked_presentation"),
    );
    assert!(rejected >= 1, "at least one full iteration: {report:#}");
    assert!(
        proven >= revoked && revoked >= rejected,
        "{proven} {revoked} {rejected}"
    );

    // The verifier's own verdicts: one "false" per revoked proof, one "true" per valid one.
    // A user cut by the end of the run may leave one proof that the verifier judged after
    // akrida stopped waiting for it: a sample akrida never recorded. One per user at most,
    // "true" or "false": an iteration proves again only after its first proof's sample.
    let (verified, refused) = verdicts(&issuer, &label, users);
    assert!(
        refused >= rejected && verified >= proven,
        "every proof akrida recorded has the verifier's verdict: {refused} refused for \
         {rejected} revoked proofs, {verified} accepted for {proven} valid ones"
    );
    assert!(
        (refused - rejected) + (verified - proven) <= u64::from(users),
        "at most one verdict more than akrida's samples per user cut by the end of the run: \
         {refused} refused for {rejected} revoked proofs, {verified} accepted for {proven} valid ones"
    );

    // One tails file, downloaded once for the whole run (not once per holder).
    let counters = &report["counters"];
    assert_eq!(counters["tails_downloads"], 1, "{counters:#}");
    assert_eq!(ledger.tails_server.downloads() - downloads_before, 1);
    assert_eq!(
        counters["revocation_registry_reads"].as_u64(),
        Some(proven + rejected),
        "one registry delta read from the ledger per proof"
    );
}

#[test]
#[ignore = "live"]
fn a_revocable_definition_needs_the_ledger_and_a_silent_ledger_stops_the_run() {
    let (issuer, ledger) = issuer();
    let output = run(&issuer, "it-revoke-nogenesis", 1, 5, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("supports revocation") && stderr.contains("--genesis"),
        "{stderr}"
    );

    // A genesis whose nodes' client ports are closed.
    let text = std::fs::read_to_string(&ledger.genesis_file).unwrap();
    let mut silent = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut txn: Value = serde_json::from_str(line).unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        txn["txn"]["data"]["data"]["client_port"] = closed.local_addr().unwrap().port().into();
        silent.push_str(&format!("{txn}\n"));
    }
    let dir = output_dir("revocation-silent-ledger");
    let path = dir.join("genesis.txn");
    std::fs::write(&path, silent).unwrap();
    let started = Instant::now();
    let output = run(
        &issuer,
        "it-revoke-silent",
        1,
        5,
        &[
            ("GENESIS_FILE", path.to_str().unwrap()),
            ("LEDGER", "silent"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("LEDGER silent: the Indy ledger of") && stderr.contains("did not answer"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(90));
}
