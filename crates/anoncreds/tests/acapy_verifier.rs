//! The holder's presentations must pass ACA-Py 0.12.8's own verifier, not only indy-credx's:
//! ACA-Py checks more before the cryptography (`IndyVerifier.pre_verify`: every referent
//! answered, raw values matching their encodings, predicate values, ...).
//!
//! Runs `scripts/interop/acapy_indy_verify.py` with the testbed venv's Python: `$AKRIDA_PYTHON`
//! if set, else `<repo>/.venv/acapy/bin/python`. Without it the test FAILS (it never skips): run
//! `scripts/testbed install`. No ledger and no agent are needed.

mod common;

use akrida_anoncreds::test_issuer::{proof_request, TestIssuer};
use akrida_anoncreds::Wallet;
use serde_json::{json, Map, Value};

/// One presentation for ACA-Py to verify.
struct Case {
    name: &'static str,
    proof_request: Value,
    presentation: Value,
    issuers: Vec<&'static TestIssuer>,
}

/// Runs ACA-Py's verifier on every case; returns `(verified, msgs)` in order.
fn acapy_verify(cases: &[Case]) -> Vec<(bool, Value)> {
    let items: Vec<Value> = cases
        .iter()
        .map(|c| {
            let mut schemas = Map::new();
            let mut cred_defs = Map::new();
            for issuer in &c.issuers {
                schemas.insert(issuer.schema_id().into(), issuer.schema_json());
                cred_defs.insert(issuer.cred_def_id().into(), issuer.cred_def_json());
            }
            json!({"name": c.name, "proof_request": c.proof_request,
                   "presentation": c.presentation, "schemas": schemas, "cred_defs": cred_defs})
        })
        .collect();
    let reply = testbed::run_interop_script("acapy_indy_verify.py", &json!({ "cases": items }));
    let results = reply["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), cases.len());
    results
        .into_iter()
        .zip(cases)
        .map(|(r, c)| {
            assert_eq!(r["name"], c.name);
            (
                r["verified"].as_bool().expect("verified is a bool"),
                r["msgs"].clone(),
            )
        })
        .collect()
}

fn issuer(
    did: &'static str,
    name: &'static str,
    attrs: &'static [&'static str],
) -> &'static TestIssuer {
    Box::leak(Box::new(TestIssuer::new(did, name, attrs).unwrap()))
}

fn receive(wallet: &mut Wallet, issuer: &TestIssuer, values: &[(&str, &str)]) {
    let (request, credential) = common::request_and_issue(wallet, issuer, values);
    wallet
        .store_credential(&credential, request.pending, None)
        .unwrap();
}

#[test]
#[ignore = "live"]
fn acapy_verifier_accepts_the_holders_presentations_and_rejects_a_changed_one() {
    let person = issuer("NcYxiDXkpYi6ov5FcYDi1e", "person", &["name", "age"]);
    let degree = issuer("VsKV7grR1BUE29mG2Fm2kX", "degree", &["degree", "year"]);
    let mut wallet = Wallet::new();
    receive(&mut wallet, person, &[("name", "Alice"), ("age", "30")]);
    receive(&mut wallet, degree, &[("degree", "MSc"), ("year", "2019")]);

    let mut cases = Vec::new();
    let request = proof_request(
        &[(
            "0_name_uuid",
            "name",
            json!([{"cred_def_id": person.cred_def_id()}]),
        )],
        &[(
            "0_age_GE_uuid",
            "age",
            ">=",
            18,
            json!([{"issuer_did": person.did}]),
        )],
    )
    .unwrap();
    let presentation = wallet.create_presentation(&request).unwrap();
    cases.push(Case {
        name: "attribute and predicate",
        proof_request: request.clone(),
        presentation: presentation.clone(),
        issuers: vec![person],
    });

    let mut changed = presentation;
    changed["requested_proof"]["revealed_attrs"]["0_name_uuid"]["raw"] = json!("Mallory");
    cases.push(Case {
        name: "changed raw value",
        proof_request: request,
        presentation: changed,
        issuers: vec![person],
    });

    // `names` (a group revealed from one credential) and two credentials in one proof.
    let mut grouped = proof_request(
        &[("d", "degree", json!([{"schema_name": "degree"}]))],
        &[("y", "year", "<", 2030, json!([]))],
    )
    .unwrap();
    grouped["requested_attributes"]["p"] =
        json!({"names": ["name", "age"], "restrictions": [{"schema_id": person.schema_id()}]});
    let presentation = wallet.create_presentation(&grouped).unwrap();
    assert!(presentation["requested_proof"]["revealed_attr_groups"]["p"].is_object());
    cases.push(Case {
        name: "group and two credentials",
        proof_request: grouped,
        presentation,
        issuers: vec![person, degree],
    });

    let results = acapy_verify(&cases);
    assert!(results[0].0, "ACA-Py rejected: {}", results[0].1);
    assert!(!results[1].0, "ACA-Py accepted a changed raw value");
    assert!(
        results[1]
            .1
            .to_string()
            .contains("Encoded representation mismatch for 'name'"),
        "ACA-Py's reason: {}",
        results[1].1
    );
    assert!(results[2].0, "ACA-Py rejected: {}", results[2].1);
}
