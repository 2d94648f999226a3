//! The AnonCreds holder path, offline: indy-credx's issuer functions create the schema,
//! credential definition, offer and credential; the holder's request, storage and presentation
//! must satisfy indy-credx's verifier. No ledger, no ACA-Py.

mod common;

use akrida_anoncreds::test_issuer::{proof_request, verify, TestIssuer};
use akrida_anoncreds::{legacy_cred_def, AnonCredsError, Wallet};
use serde_json::{json, Value};
use std::sync::OnceLock;

use common::{ISSUER_DID, PROVER_DID};

const OTHER_ISSUER_DID: &str = "VsKV7grR1BUE29mG2Fm2kX";

/// Creating a credential definition takes seconds (two safe primes of 1024 bits), so the
/// tests share three issuers.
fn person_issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::new(ISSUER_DID, "person", &["name", "age"]).unwrap())
}

/// A second issuer of the same schema name and attributes.
fn other_person_issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::new(OTHER_ISSUER_DID, "person", &["name", "age"]).unwrap())
}

fn degree_issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::new(OTHER_ISSUER_DID, "degree", &["degree", "year"]).unwrap())
}

/// Offer → request → credential → stored. Returns the credential JSON as issued.
fn receive(wallet: &mut Wallet, issuer: &TestIssuer, values: &[(&str, &str)]) -> Value {
    let (request, credential) = common::request_and_issue(wallet, issuer, values);
    assert_eq!(request.request["prover_did"], PROVER_DID);
    assert_eq!(request.request["cred_def_id"], issuer.cred_def_id());
    wallet
        .store_credential(&credential, request.pending, None)
        .unwrap();
    credential
}

#[test]
fn issued_credential_proves_an_attribute_and_a_predicate() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, issuer, &[("name", "Alice"), ("age", "30")]);
    assert_eq!(wallet.credentials().len(), 1);
    assert_eq!(wallet.credentials()[0].attributes()["age"], "30");

    let request = proof_request(
        &[(
            "name_ref",
            "name",
            json!([{"cred_def_id": issuer.cred_def_id()}]),
        )],
        &[(
            "adult",
            "age",
            ">=",
            18,
            json!([{"schema_name": "person", "issuer_did": ISSUER_DID}]),
        )],
    )
    .unwrap();
    let presentation = wallet.create_presentation(&request).unwrap();
    let revealed = &presentation["requested_proof"]["revealed_attrs"]["name_ref"];
    assert_eq!(revealed["raw"], "Alice");
    assert!(presentation["requested_proof"]["predicates"]["adult"].is_object());
    assert_eq!(
        presentation["identifiers"][0]["cred_def_id"],
        issuer.cred_def_id()
    );
    assert!(verify(&request, &presentation, &[issuer]).unwrap());

    // The same presentation must not verify for another request (fresh nonce).
    let other = proof_request(
        &[("name_ref", "name", json!([]))],
        &[("adult", "age", ">=", 18, json!([]))],
    )
    .unwrap();
    assert!(!verify(&other, &presentation, &[issuer]).unwrap_or(false));
}

#[test]
fn presentation_with_a_changed_revealed_value_does_not_verify() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, issuer, &[("name", "Alice"), ("age", "30")]);
    let request = proof_request(&[("n", "name", json!([]))], &[]).unwrap();
    let presentation = wallet.create_presentation(&request).unwrap();

    // Only the raw value changed: indy-credx's verifier checks the encoding alone, so `verify`
    // compares raw and encoded values first, as ACA-Py's verifier does (`pre_verify`).
    let mut raw_only = presentation.clone();
    raw_only["requested_proof"]["revealed_attrs"]["n"]["raw"] = json!("Mallory");
    assert!(!verify(&request, &raw_only, &[issuer]).unwrap());

    // Raw and encoding changed together: the proof no longer matches.
    let mut both = presentation;
    both["requested_proof"]["revealed_attrs"]["n"]["raw"] = json!("Mallory");
    both["requested_proof"]["revealed_attrs"]["n"]["encoded"] =
        json!(akrida_anoncreds::indy_credx::utils::encode_credential_attribute("Mallory").unwrap());
    assert!(!verify(&request, &both, &[issuer]).unwrap_or(false));
}

#[test]
fn credentials_of_two_issuers_answer_one_request_with_one_link_secret() {
    let person = person_issuer();
    let degree = degree_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, person, &[("name", "Alice"), ("age", "30")]);
    receive(&mut wallet, degree, &[("degree", "MSc"), ("year", "2019")]);
    let request = proof_request(
        &[
            ("n", "name", json!([{"issuer_did": ISSUER_DID}])),
            (
                "d",
                "degree",
                json!([{"cred_def_id": degree.cred_def_id()}]),
            ),
        ],
        &[(
            "recent",
            "year",
            ">",
            2010,
            json!([{"schema_id": degree.schema_id()}]),
        )],
    )
    .unwrap();
    let presentation = wallet.create_presentation(&request).unwrap();
    assert_eq!(presentation["identifiers"].as_array().unwrap().len(), 2);
    assert!(verify(&request, &presentation, &[person, degree]).unwrap());
}

#[test]
fn restrictions_choose_between_credentials_with_the_same_attribute() {
    let first = person_issuer();
    let second = other_person_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, first, &[("name", "Alice"), ("age", "30")]);
    receive(&mut wallet, second, &[("name", "Alicia"), ("age", "31")]);
    let request = proof_request(
        &[("n", "name", json!([{"issuer_did": OTHER_ISSUER_DID}]))],
        &[],
    )
    .unwrap();
    let presentation = wallet.create_presentation(&request).unwrap();
    assert_eq!(
        presentation["requested_proof"]["revealed_attrs"]["n"]["raw"],
        "Alicia"
    );
    assert!(verify(&request, &presentation, &[first, second]).unwrap());
}

#[test]
fn changed_raw_value_is_refused_at_storage() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    let (request, mut credential) =
        common::request_and_issue(&mut wallet, issuer, &[("name", "Alice"), ("age", "17")]);
    credential["values"]["age"]["raw"] = json!("21");
    let err = wallet
        .store_credential(&credential, request.pending, None)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("attribute 'age': the raw value does not match its encoding"),
        "{err}"
    );
    assert!(wallet.credentials().is_empty());
}

#[test]
fn changed_signed_value_is_refused_at_storage() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    let (request, mut credential) =
        common::request_and_issue(&mut wallet, issuer, &[("name", "Alice"), ("age", "17")]);
    // Raw and encoding agree, but the issuer signed "17": the signature check must catch it.
    credential["values"]["age"] = json!({"raw": "21", "encoded": "21"});
    let err = wallet
        .store_credential(&credential, request.pending, None)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AnonCredsError::Refused {
                step: "checking the credential signature",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn credential_for_another_definition_is_refused() {
    let issuer = person_issuer();
    let other = other_person_issuer();
    let mut wallet = Wallet::new();
    let offer = issuer.offer().unwrap();
    // The offer and the definition given must agree.
    let err = wallet
        .create_request(&offer, &other.cred_def_json(), PROVER_DID)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the offer is for credential definition"),
        "{err}"
    );

    let request = wallet
        .create_request(&offer, &issuer.cred_def_json(), PROVER_DID)
        .unwrap();
    let (_, foreign) =
        common::request_and_issue(&mut Wallet::new(), other, &[("name", "Eve"), ("age", "50")]);
    let err = wallet
        .store_credential(&foreign, request.pending, None)
        .unwrap_err();
    assert!(err.to_string().contains("the request was for"), "{err}");
}

#[test]
fn unsatisfied_predicate_is_a_clear_error() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, issuer, &[("name", "Bob"), ("age", "17")]);
    let request = proof_request(&[], &[("adult", "age", ">=", 18, json!([]))]).unwrap();
    let err = wallet.create_presentation(&request).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no stored credential satisfies predicate 'age >= 18' (1 credential(s) have 'age' and meet the restrictions)"
    );
}

#[test]
fn attribute_no_credential_has_is_a_clear_error() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    receive(&mut wallet, issuer, &[("name", "Bob"), ("age", "40")]);
    let request = proof_request(&[("e", "email", json!([]))], &[]).unwrap();
    let err = wallet.create_presentation(&request).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no stored credential has attribute 'email'"
    );

    let request = proof_request(&[], &[("p", "height", ">", 100, json!([]))]).unwrap();
    let err = wallet.create_presentation(&request).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no stored credential has attribute 'height'"
    );

    let request = proof_request(
        &[("n", "name", json!([{"cred_def_id": "Nope:3:CL:1:x"}]))],
        &[],
    )
    .unwrap();
    let err = wallet.create_presentation(&request).unwrap_err();
    assert!(
        err.to_string()
            .contains("meets the restrictions of requested attribute 'n'"),
        "{err}"
    );
}

#[test]
fn bad_peer_json_is_named_not_a_panic() {
    let issuer = person_issuer();
    let mut wallet = Wallet::new();
    let err = wallet
        .create_request(
            &json!({"schema_id": 1}),
            &issuer.cred_def_json(),
            PROVER_DID,
        )
        .unwrap_err();
    assert!(
        err.to_string().starts_with("credential offer is not valid"),
        "{err}"
    );
    let err = wallet
        .create_request(&issuer.offer().unwrap(), &json!({"id": "x"}), PROVER_DID)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("credential definition is not valid"),
        "{err}"
    );
    let err = wallet
        .create_presentation(&json!({"nonce": "1"}))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("proof request is not valid"),
        "{err}"
    );
    let empty = Wallet::new();
    let request = proof_request(&[("n", "name", json!([]))], &[]).unwrap();
    let err = empty.create_presentation(&request).unwrap_err();
    assert!(err.to_string().contains("no credential is stored"), "{err}");
}

#[test]
fn link_secret_is_made_once_and_is_small() {
    let mut wallet = Wallet::new();
    let first = wallet.link_secret_json().unwrap();
    assert_eq!(first, wallet.link_secret_json().unwrap());
    assert!(first.len() < 200, "{} bytes", first.len());
    assert_ne!(first, Wallet::new().link_secret_json().unwrap());
}

#[test]
fn wallet_can_move_between_tasks() {
    fn is_send<T: Send + Sync>() {}
    is_send::<Wallet>();
}

#[test]
fn cred_def_in_the_anoncreds_shape_is_accepted_after_conversion() {
    let issuer = person_issuer();
    let legacy = issuer.cred_def_json();
    // The shape of ACA-Py's GET /anoncreds/credential-definition/{id}: no ver, no id.
    let anoncreds_shape = json!({"issuerId": ISSUER_DID, "schemaId": issuer.schema_id(),
        "type": legacy["type"], "tag": legacy["tag"], "value": legacy["value"]});
    let converted = legacy_cred_def(issuer.cred_def_id(), &anoncreds_shape).unwrap();
    let mut wallet = Wallet::new();
    let offer = issuer.offer().unwrap();
    let request = wallet
        .create_request(&offer, &converted, PROVER_DID)
        .unwrap();
    let credential = issuer
        .issue(
            &offer,
            &request.request,
            &[("name", "Alice"), ("age", "30")],
        )
        .unwrap();
    wallet
        .store_credential(&credential, request.pending, None)
        .unwrap();
    let err = legacy_cred_def("x", &json!({"schemaId": "s"})).unwrap_err();
    assert!(err.to_string().contains("no \"type\""), "{err}");
}
