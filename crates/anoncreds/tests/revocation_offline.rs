//! Non-revocation proofs, offline: indy-credx's issuer makes a revocable credential definition
//! and a revocation registry (issuance by default, as ACA-Py does), issues to two holders and
//! revokes one; the test issuer answers registry deltas as the ledger would. Each holder plans
//! its presentation, gets the registry state it asks for, and proves; indy-credx's verifier,
//! given the registry's accumulators by time as a verifier reads them from the ledger, must
//! accept the valid credential and reject the revoked one.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use akrida_anoncreds::test_issuer::{proof_request, verify, TestIssuer};
use akrida_anoncreds::{RegistryAt, RegistryStates, Wallet};
use serde_json::{json, Value};

use common::ISSUER_DID;

/// When the registry was published, and when the second credential was revoked.
const PUBLISHED: u64 = 1_700_000_000;
const REVOKED: u64 = PUBLISHED + 1_000;

struct Fixture {
    issuer: TestIssuer,
    /// Holds index 1: never revoked.
    alice: Wallet,
    /// Holds index 2: revoked at `REVOKED`.
    bob: Wallet,
    /// The registry's tails file: its name and its bytes. The fixture lives as long as the test
    /// binary, past any scratch directory: each proof writes the file into its own.
    tails: (std::ffi::OsString, Vec<u8>),
}

/// A revocable definition takes seconds to make: the tests share one, with its holders.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = testbed::scratch_dir("revocation-offline");
        let issuer =
            TestIssuer::revocable(ISSUER_DID, "member", &["name", "age"], 10, &dir, PUBLISHED)
                .unwrap();
        let path = issuer.tails_path().unwrap();
        let tails = (
            path.file_name().expect("a tails file name").to_owned(),
            std::fs::read(&path).expect("the tails file is written"),
        );
        let alice = holder(&issuer, "Alice");
        let bob = holder(&issuer, "Bob");
        issuer.revoke(2, REVOKED).unwrap();
        Fixture {
            issuer,
            alice,
            bob,
            tails,
        }
    })
}

/// The fixture's tails file, written into a scratch directory of its own (tests prove in
/// parallel): the directory and the file's path in it.
fn tails_file() -> (testbed::ScratchDir, std::path::PathBuf) {
    static PROOFS: AtomicUsize = AtomicUsize::new(0);
    let proof = PROOFS.fetch_add(1, Ordering::Relaxed);
    let dir = testbed::scratch_dir(&format!("revocation-offline-proof-{proof}"));
    let (name, bytes) = &fixture().tails;
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn holder(issuer: &TestIssuer, name: &str) -> Wallet {
    let mut wallet = Wallet::new();
    let (request, credential) =
        common::request_and_issue(&mut wallet, issuer, &[("name", name), ("age", "30")]);
    assert_eq!(credential["rev_reg_id"], issuer.rev_reg_id().unwrap());
    wallet
        .store_credential(
            &credential,
            request.pending,
            Some(&issuer.rev_reg_def_json().unwrap()),
        )
        .unwrap();
    wallet
}

/// A request for `name` and `age >= 18` of the fixture's definition.
fn request_with(non_revoked: Option<Value>) -> Value {
    let issuer = &fixture().issuer;
    let mut request = proof_request(
        &[(
            "name_ref",
            "name",
            json!([{"cred_def_id": issuer.cred_def_id()}]),
        )],
        &[("age_ref", "age", ">=", 18, json!([]))],
    )
    .unwrap();
    if let Some(interval) = non_revoked {
        request["non_revoked"] = interval;
    }
    request
}

/// Plans, reads what the plan needs from the issuer-as-ledger, and presents.
fn prove(wallet: &Wallet, request: &Value) -> Result<Value, akrida_anoncreds::AnonCredsError> {
    let issuer = &fixture().issuer;
    let (_tails_dir, tails) = tails_file();
    let plan = wallet.plan_presentation(request, REVOKED + 5_000)?;
    let mut states = RegistryStates::new();
    for need in plan.needs() {
        let (delta, timestamp) = issuer.delta_at(need.to)?;
        // Through the ledger's shape and back, as a holder reading the ledger gets it.
        let (delta, timestamp) =
            akrida_anoncreds::revocation::delta_from_ledger(&as_ledger_answers(&delta, timestamp))?;
        states.insert(
            need,
            RegistryAt {
                definition: issuer.rev_reg_def_json()?,
                delta,
                timestamp,
                tails: tails.clone(),
            },
        );
    }
    wallet.present(&plan, &states)
}

/// A delta (indy-credx's JSON) as the ledger's GET_REVOC_REG_DELTA answers it.
fn as_ledger_answers(delta: &Value, timestamp: u64) -> Value {
    json!({"revocDefType": "CL_ACCUM", "value": {
        "accum_to": {"txnTime": timestamp, "value": {"accum": delta["value"]["accum"]}},
        "issued": delta["value"]["issued"], "revoked": delta["value"]["revoked"]}})
}

fn verified(request: &Value, presentation: &Value) -> bool {
    verify(request, presentation, &[&fixture().issuer]).unwrap_or(false)
}

#[test]
fn a_valid_credential_proves_non_revocation_now() {
    let request = request_with(Some(json!({"to": REVOKED + 100})));
    let plan = fixture()
        .alice
        .plan_presentation(&request, REVOKED + 5_000)
        .unwrap();
    let needs = plan.needs();
    assert_eq!(needs.len(), 1, "one registry state for both referents");
    assert_eq!(needs[0].to, REVOKED + 100);
    let presentation = prove(&fixture().alice, &request).unwrap();
    assert_eq!(
        presentation["identifiers"][0]["timestamp"], REVOKED,
        "the accumulator's ledger time"
    );
    assert!(verified(&request, &presentation));
}

#[test]
fn a_revoked_credential_fails_verification() {
    let request = request_with(Some(json!({"from": REVOKED, "to": REVOKED + 100})));
    // The holder does not know it was revoked: it builds its proof from a witness that no
    // longer fits the accumulator (as a real wallet would send it), and the verifier rejects it.
    let presentation = prove(&fixture().bob, &request).unwrap();
    assert_eq!(presentation["identifiers"][0]["timestamp"], REVOKED);
    let outcome = verify(&request, &presentation, &[&fixture().issuer]);
    assert_eq!(
        outcome,
        Ok(false),
        "the proof itself must fail, not the request"
    );
}

#[test]
fn a_revoked_credential_still_proves_an_interval_before_its_revocation() {
    let request = request_with(Some(json!({"to": REVOKED - 1})));
    let presentation = prove(&fixture().bob, &request).unwrap();
    assert_eq!(presentation["identifiers"][0]["timestamp"], PUBLISHED);
    assert!(verified(&request, &presentation));
}

#[test]
fn an_open_interval_is_proven_at_the_holders_now() {
    let request = request_with(Some(json!({"from": PUBLISHED})));
    let plan = fixture()
        .alice
        .plan_presentation(&request, REVOKED + 5_000)
        .unwrap();
    assert_eq!(plan.needs()[0].to, REVOKED + 5_000);
    let presentation = prove(&fixture().alice, &request).unwrap();
    assert!(verified(&request, &presentation));
}

#[test]
fn an_attribute_level_interval_gives_only_that_referent_a_timestamp() {
    let mut request = request_with(None);
    request["requested_attributes"]["name_ref"]["non_revoked"] = json!({"to": REVOKED + 100});
    let presentation = prove(&fixture().alice, &request).unwrap();
    let identifiers = presentation["identifiers"].as_array().unwrap();
    assert_eq!(identifiers.len(), 2, "one sub-proof with, one without");
    let timestamps: Vec<&Value> = identifiers.iter().map(|i| &i["timestamp"]).collect();
    assert!(timestamps.contains(&&json!(REVOKED)), "{timestamps:?}");
    assert!(timestamps.contains(&&Value::Null), "{timestamps:?}");
    assert!(verified(&request, &presentation));

    // The revoked holder fails on the attribute that asks, even though the predicate does not.
    let presentation = prove(&fixture().bob, &request).unwrap();
    assert!(!verified(&request, &presentation));
}

#[test]
fn without_an_interval_no_registry_is_read() {
    let request = request_with(None);
    let plan = fixture()
        .bob
        .plan_presentation(&request, REVOKED + 5_000)
        .unwrap();
    assert!(plan.needs().is_empty());
    let presentation = fixture().bob.create_presentation(&request).unwrap();
    assert_eq!(presentation["identifiers"][0]["timestamp"], Value::Null);
    assert!(verified(&request, &presentation));
}

#[test]
fn a_missing_registry_state_is_named() {
    let request = request_with(Some(json!({"to": REVOKED})));
    let e = fixture()
        .alice
        .create_presentation(&request)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&fixture().issuer.rev_reg_id().unwrap()) && e.contains("ledger"),
        "{e}"
    );
    let plan = fixture().alice.plan_presentation(&request, 0).unwrap();
    let e = fixture()
        .alice
        .present(&plan, &RegistryStates::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no state of revocation registry"), "{e}");
}

#[test]
fn a_wrong_registry_definition_is_refused_at_storage() {
    let issuer = &fixture().issuer;
    let mut wallet = Wallet::new();
    let (request, credential) =
        common::request_and_issue(&mut wallet, issuer, &[("name", "Carol"), ("age", "40")]);
    let mut other = issuer.rev_reg_def_json().unwrap();
    other["id"] = json!(format!("{}:4:other", ISSUER_DID));
    let e = wallet
        .store_credential(&credential, request.pending, Some(&other))
        .unwrap_err()
        .to_string();
    assert!(e.contains("revocation registry"), "{e}");
}
