//! AnonCreds (legacy Indy) scenarios against the testbed's ledger-backed ACA-Py (`issuer-indy`,
//! also the verifier): `issue`, `present-proof`, `present-proof-existing` and
//! `fraction-issue-verify` with `CRED_FORMAT=indy`, issue-credential / present-proof 1.0
//! (`ISSUER_TYPE=acapy`) and 2.0 (`acapy_v2`), mediated and direct. Every check reads the
//! issuer's own records: exchanges `done` (2.0) / `credential_acked` (1.0) with the attributes
//! as sent, presentations `verified: "true"` with the revealed value and the predicate.
//!
//! `CRED_DEF` and `SCHEMA` are the testbed's: its ledger-backed issuer writes one schema and one
//! revocable credential definition at its first start, and every run here reuses them (making
//! a revocable definition costs 15-25 s).

mod common;
mod indy_support;

use std::time::Duration;

use common::*;
use indy_support::*;
use serde_json::Value;

fn issue(issuer_type: &str, mediated: bool) {
    let servers = servers();
    let run = Run {
        scenario: "issue",
        issuer_type,
        mediated,
        users: 2,
        seconds: 12,
        extra: &[],
        ..Run::default()
    };
    let report = run.clean(&servers);
    let issued = successes(&report, "receive_credential");
    assert!(issued >= 2, "receive_credential {issued}");
    // The holder's ack reaches the issuer after its last sample: give it a moment.
    let (finished, unfinished) = credential_exchanges_once_finished(
        &servers,
        &run,
        issued,
        Duration::from_secs(10),
        Duration::from_millis(200),
    );
    // A user cut by the end of the run may leave one exchange more, finished or not.
    assert!(
        finished >= issued && finished <= issued + u64::from(run.users),
        "one finished exchange on the issuer per credential received: {finished} finished, {issued} received"
    );
    assert!(
        unfinished <= u64::from(run.users),
        "{unfinished} unfinished"
    );
}

#[test]
#[ignore = "live"]
fn issue_v2_direct() {
    issue("acapy_v2", false);
}

#[test]
#[ignore = "live"]
fn issue_v2_mediated() {
    issue("acapy_v2", true);
}

#[test]
#[ignore = "live"]
fn issue_v1_direct() {
    issue("acapy", false);
}

#[test]
#[ignore = "live"]
fn issue_v1_mediated() {
    issue("acapy", true);
}

fn prove(scenario: &str, issuer_type: &str, mediated: bool) {
    prove_with(scenario, issuer_type, mediated, &[]);
}

/// Runs a proof scenario; checks the verifier's records (`presentations`, which also checks
/// that non-revocation was asked and proven exactly when `extra` says so). The JSON report.
fn prove_with(scenario: &str, issuer_type: &str, mediated: bool, extra: &[(&str, &str)]) -> Value {
    let servers = servers();
    let run = Run {
        scenario,
        issuer_type,
        mediated,
        users: 2,
        seconds: 14,
        extra,
        ..Run::default()
    };
    let report = run.clean(&servers);
    let proven = successes(&report, "presentation_exchange");
    // fraction-issue-verify proves one iteration in four.
    let least = if scenario == "fraction-issue-verify" {
        1
    } else {
        2
    };
    assert!(proven >= least, "presentation_exchange {proven}");
    let (verified, other) = presentations(&servers, &run);
    assert!(
        verified >= proven && verified <= proven + u64::from(run.users),
        "verified {verified}, presentation_exchange {proven}"
    );
    assert!(
        other <= u64::from(run.users),
        "{other} presentations unfinished"
    );
    let received = successes(&report, "receive_credential");
    match scenario {
        // One credential per holder at start, proven again and again.
        "present-proof-existing" => assert_eq!(received, u64::from(run.users)),
        "fraction-issue-verify" => assert!(received >= 2, "receive_credential {received}"),
        _ => assert!(received >= proven, "a fresh credential per proof"),
    }
    report
}

#[test]
#[ignore = "live"]
fn present_proof_v2_mediated() {
    prove("present-proof", "acapy_v2", true);
}

#[test]
#[ignore = "live"]
fn present_proof_v1_direct() {
    prove("present-proof", "acapy", false);
}

#[test]
#[ignore = "live"]
fn present_proof_existing_v2_direct() {
    prove("present-proof-existing", "acapy_v2", false);
}

#[test]
#[ignore = "live"]
fn present_proof_existing_v1_mediated() {
    prove("present-proof-existing", "acapy", true);
}

#[test]
#[ignore = "live"]
fn fraction_issue_verify_v2_mediated() {
    prove("fraction-issue-verify", "acapy_v2", true);
}

/// `PROOF_NON_REVOKED=true`: the verifier asks for non-revocation now; each proof reads the
/// registry's state from the ledger and names its time, and the verifier accepts it (checked
/// on its records, 2.0 and 1.0). Without the setting (the tests above) nothing is asked.
#[test]
#[ignore = "live"]
fn proofs_of_non_revocation_when_the_verifier_asks() {
    for (scenario, issuer_type) in [
        ("present-proof", "acapy_v2"),
        ("present-proof-existing", "acapy"),
    ] {
        let report = prove_with(
            scenario,
            issuer_type,
            false,
            &[("PROOF_NON_REVOKED", "true")],
        );
        let proven = successes(&report, "presentation_exchange");
        let reads = report["counters"]["revocation_registry_reads"]
            .as_u64()
            .unwrap_or(0);
        assert!(
            reads >= proven,
            "{scenario}: a registry read from the ledger per proof: {reads} reads, {proven} proofs"
        );
    }
}

/// A non-revocation proof cannot be asked of JSON-LD credentials: said before any load.
#[test]
#[ignore = "live"]
fn non_revocation_is_refused_for_json_ld_credentials() {
    let servers = servers();
    let run = Run {
        scenario: "present-proof",
        extra: &[("PROOF_NON_REVOKED", "true"), ("CRED_FORMAT", "ld_proof")],
        ..Run::default()
    };
    let output = run.start(&servers);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a setup error: {stderr}");
    assert!(
        stderr.contains("PROOF_NON_REVOKED") && stderr.contains("CRED_FORMAT indy or anoncreds"),
        "{stderr}"
    );
}

/// Proof requests the holder cannot satisfy (`PROOF_REQUEST`): a predicate its credential does
/// not meet, and a restriction to a credential definition it holds nothing of (a tampered
/// request). Each presentation is a counted failure with the holder's reason; the verifier
/// never records a verified presentation.
#[test]
#[ignore = "live"]
fn unsatisfiable_proof_requests_fail_with_the_holders_reason() {
    let servers = servers();
    let cred_def = servers.issuer.cred_def_id.as_deref().unwrap();
    let too_high = format!(
        r#"{{"requested_predicates": {{"level": {{"name": "level", "p_type": ">=", "p_value": 100,
            "restrictions": [{{"cred_def_id": "{cred_def}"}}]}}}}}}"#
    );
    let other_issuer = r#"{"requested_attributes": {"score": {"name": "score",
        "restrictions": [{"cred_def_id": "Th7MpTaRZVRYnPiabds81Y:3:CL:1:other"}]}}}"#;
    for (issuer_type, request) in [("acapy_v2", too_high.as_str()), ("acapy", other_issuer)] {
        let extra = [("PROOF_REQUEST", request)];
        let run = Run {
            scenario: "present-proof-existing",
            issuer_type,
            mediated: false,
            users: 1,
            seconds: 8,
            extra: &extra,
            ..Run::default()
        };
        let output = run.start(&servers);
        let report = parse_json(&output);
        let exchanges = entry(&report, "presentation_exchange");
        let failed = exchanges["num_failures"].as_u64().unwrap();
        assert!(failed >= 1, "{report:#}");
        assert_eq!(
            exchanges["num_requests"].as_u64(),
            Some(failed),
            "none succeeded"
        );
        assert_eq!(output.status.code(), Some(1), "failures make exit code 1");
        let reasons: Vec<&str> = report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["name"] == "presentation_exchange")
            .filter_map(|f| f["error"].as_str())
            .collect();
        assert!(
            !reasons.is_empty()
                && reasons
                    .iter()
                    .all(|r| r.to_lowercase().contains("credential")),
            "the holder's reason: {reasons:?}"
        );
        // The credential itself was issued (the setup worked); nothing was verified.
        assert_eq!(successes(&report, "receive_credential"), 1);
        let (verified, _) = presentations(&servers, &run);
        assert_eq!(verified, 0);
    }
}
