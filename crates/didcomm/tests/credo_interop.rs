//! What a Credo peer sends, read offline: signed attachments in both JWS JSON serializations
//! and DID documents in every key form and reference style.
//!
//! Fixtures under `fixtures/credo/`:
//! - made by `examples/credo_fixtures.rs` the way Credo 0.6 builds them (see there), with the
//!   invitation key from seed `[3; 32]`, the mediator's connection key `[4; 32]`, a second
//!   signer `[5; 32]`, a routing key `[2; 32]`;
//! - `from-credo-ts/`: two of Credo-TS's own did:peer test fixtures, as published in its
//!   repository (release 0.6.3, `packages/core/src/modules/dids/methods/peer/__tests__/__fixtures__`).

use didcomm::attachment::{verify_signed_attachment, AttachmentError};
use didcomm::did_peer::{self, PeerDidError};
use didcomm::diddoc::{parse_doc, DidCommService, DidDocError};
use didcomm::{b64, KeyPair, VerKey};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/credo/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn key(seed: u8) -> VerKey {
    KeyPair::from_seed(&[seed; 32]).verkey()
}

fn invitation() -> VerKey {
    key(3)
}

fn peer4() -> String {
    fixture("did_peer4.json")["did"]
        .as_str()
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// JWS forms

#[test]
fn flattened_jws_verifies() {
    let att = fixture("did_rotate_flattened.json");
    assert!(att["data"]["jws"]["signatures"].is_null());
    let signed = verify_signed_attachment(&att, Some(&invitation())).unwrap();
    assert_eq!(signed.bytes, peer4().as_bytes());
    assert_eq!(signed.signers, vec![invitation()]);
}

#[test]
fn general_jws_with_one_signature_verifies() {
    let att = fixture("did_rotate_general_one.json");
    assert_eq!(
        att["data"]["jws"]["signatures"].as_array().unwrap().len(),
        1
    );
    let signed = verify_signed_attachment(&att, Some(&invitation())).unwrap();
    assert_eq!(signed.bytes, peer4().as_bytes());
    assert_eq!(signed.signers, vec![invitation()]);
}

#[test]
fn general_jws_with_two_signatures_by_the_invitation_key_verifies() {
    // Credo's default invitation: one service per endpoint, so one signature per service.
    let att = fixture("did_rotate_general_two.json");
    let signed = verify_signed_attachment(&att, Some(&invitation())).unwrap();
    assert_eq!(signed.bytes, peer4().as_bytes());
    assert_eq!(signed.signers, vec![invitation(), invitation()]);
}

#[test]
fn general_jws_with_two_signers_needs_the_expected_one_among_them() {
    let att = fixture("did_rotate_general_two_keys.json");
    let signed = verify_signed_attachment(&att, Some(&invitation())).unwrap();
    assert_eq!(signed.signers, vec![key(5), invitation()]);
    match verify_signed_attachment(&att, Some(&key(9))) {
        Err(AttachmentError::WrongSigner { signers, expected }) => {
            assert_eq!(expected, key(9).to_base58());
            assert_eq!(signers, format!("{}, {}", key(5), invitation()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn general_jws_whose_second_signature_is_wrong_is_rejected_naming_it() {
    let att = fixture("did_rotate_general_second_bad.json");
    let err = verify_signed_attachment(&att, Some(&invitation())).unwrap_err();
    assert_eq!(
        err,
        AttachmentError::BadSignature {
            which: "2 of 2".into(),
            signer: invitation().to_base58()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "attachment JWS signature 2 of 2 (by {}) does not verify",
            invitation()
        )
    );
    // The first signature alone is fine: the second one is what is refused.
    let mut first_only = att.clone();
    let first = att["data"]["jws"]["signatures"][0].clone();
    first_only["data"]["jws"] = json!({"signatures": [first]});
    verify_signed_attachment(&first_only, Some(&invitation())).unwrap();
}

#[test]
fn malformed_signatures_say_which_and_why() {
    let att = fixture("did_rotate_general_two.json");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut att = att.clone();
        f(&mut att["data"]["jws"]);
        verify_signed_attachment(&att, Some(&invitation())).unwrap_err()
    };
    let reason_of = |err: AttachmentError| match err {
        AttachmentError::MalformedSignature { which, reason } => (which, reason),
        other => panic!("{other:?}"),
    };
    let (which, reason) = reason_of(with(&|jws| {
        jws["signatures"][1]
            .as_object_mut()
            .unwrap()
            .remove("protected")
            .map(|_| ())
            .unwrap()
    }));
    assert_eq!(
        (which.as_str(), reason.as_str()),
        ("2 of 2", "no protected header")
    );

    // A protected header with another algorithm.
    let es256 = b64::encode_url(json!({"alg": "ES256", "jwk": {"kty": "EC"}}).to_string());
    let (which, reason) = reason_of(with(&|jws| {
        jws["signatures"][0]["protected"] = json!(es256)
    }));
    assert_eq!(which, "1 of 2");
    assert!(reason.contains("ES256"), "{reason}");

    // An unprotected kid naming another key than the protected jwk.
    let other = KeyPair::from_seed(&[9; 32]).verkey().to_did_key();
    let (_, reason) = reason_of(with(&|jws| {
        jws["signatures"][1]["header"]["kid"] = json!(other)
    }));
    assert!(reason.contains("names another key than jwk.x"), "{reason}");

    assert!(matches!(
        with(&|jws| jws["signatures"] = json!([])),
        AttachmentError::MalformedJws(reason) if reason.contains("empty")
    ));
    assert!(matches!(
        with(&|jws| jws["payload"] = json!(b64::encode_url("did:peer:4zQmOther"))),
        AttachmentError::MalformedJws(reason) if reason.contains("payload differs")
    ));
}

#[test]
fn a_signer_named_only_by_a_did_key_kid_is_read() {
    // No jwk in the protected header: the did:key kid names the signer (RFC 7515 allows it).
    let signer = KeyPair::from_seed(&[3; 32]);
    let payload = b64::encode_url(b"hello");
    let protected = b64::encode_url(
        json!({"alg": "EdDSA", "kid": signer.verkey().to_did_key_with_fragment()}).to_string(),
    );
    let signature = signer.sign(format!("{protected}.{payload}").as_bytes());
    let att = json!({"data": {"base64": b64::encode_std(b"hello"), "jws": {
        "protected": protected, "signature": b64::encode_url(signature)}}});
    let signed = verify_signed_attachment(&att, Some(&invitation())).unwrap();
    assert_eq!(signed.signers, vec![invitation()]);
}

// ---------------------------------------------------------------------------------------------
// DID documents

fn service(recipient: VerKey, routing: Vec<VerKey>, endpoint: &str) -> DidCommService {
    DidCommService {
        recipient_keys: vec![recipient],
        routing_keys: routing,
        endpoint: endpoint.into(),
    }
}

#[test]
fn credo_peer4_long_form_resolves() {
    let doc = did_peer::parse(&peer4()).unwrap();
    let services: Vec<_> = doc
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.endpoint.as_str(), s.recipient_keys.clone()))
        .collect();
    assert_eq!(
        services,
        vec![
            ("#inline-0", "http://127.0.0.1:3001", vec![key(4)]),
            ("#inline-1", "ws://127.0.0.1:3002", vec![key(4)]),
        ]
    );
    assert_eq!(doc.authentication, vec![key(4)]);
    assert_eq!(doc.key_agreement, vec![*key(4).to_x25519().as_bytes()]);
}

#[test]
fn credo_peer1_response_document_resolves_relative_references() {
    let response = fixture("didexchange_response_peer1.json");
    let did = response["did"].as_str().unwrap();
    let signed =
        verify_signed_attachment(&response["did_doc~attach"], Some(&invitation())).unwrap();
    assert_eq!(signed.signers, vec![invitation(), invitation()]);
    let doc: Value = serde_json::from_slice(&signed.bytes).unwrap();
    assert_eq!(doc["service"][0]["recipientKeys"], json!(["#key-1"]));
    // The DID is the hash of the document without its id.
    assert_eq!(did_peer::peer1_did(&doc), did);
    assert_eq!(
        parse_doc(&doc, Some(did)).unwrap(),
        vec![
            service(key(4), vec![key(2)], "http://127.0.0.1:3001"),
            service(key(4), vec![key(2)], "ws://127.0.0.1:3002"),
        ]
    );
    // A did:peer:1 alone names a document it does not hold.
    assert!(matches!(
        did_peer::parse(did),
        Err(PeerDidError::Peer1WithoutDocument { .. })
    ));
}

#[test]
fn every_key_form_and_reference_style_resolves() {
    let doc = fixture("doc_key_forms.json");
    let services = parse_doc(&doc, None).unwrap();
    assert_eq!(
        services,
        vec![
            // publicKeyBase58 by a relative reference; a routing key by a relative reference
            // to a publicKeyMultibase method.
            service(key(10), vec![key(11)], "http://127.0.0.1:1"),
            // publicKeyMultibase by an absolute reference.
            service(key(11), vec![], "http://127.0.0.1:2"),
            // publicKeyJwk (OKP Ed25519).
            service(key(12), vec![], "http://127.0.0.1:3"),
            // A legacy `publicKey` entry by an absolute reference.
            service(key(13), vec![], "http://127.0.0.1:4"),
            // A raw base58 verkey; a did:key routing key.
            service(key(14), vec![key(2)], "http://127.0.0.1:5"),
            // Only an X25519 keyAgreement key listed: not a recipient key, so the document's
            // authentication key (#jwk) is used.
            service(key(12), vec![], "http://127.0.0.1:6"),
        ]
    );
}

/// The forms document with its first service's recipient keys replaced.
fn forms_with_recipient(reference: Value) -> Result<Vec<DidCommService>, DidDocError> {
    let mut doc = fixture("doc_key_forms.json");
    doc["service"][0]["recipientKeys"] = json!([reference]);
    parse_doc(&doc, None)
}

#[test]
fn malformed_references_are_typed_errors_naming_them() {
    let unknown = |reference: &str| match forms_with_recipient(json!(reference)) {
        Err(DidDocError::Invalid(PeerDidError::UnknownKeyRef {
            reference: named,
            reason,
            ..
        })) => {
            assert_eq!(named, reference);
            reason
        }
        other => panic!("{reference}: {other:?}"),
    };
    let reason = unknown("#key-9");
    assert!(
        reason.contains("no verification method") && reason.contains("#base58"),
        "{reason}"
    );
    assert!(unknown("did:example:other#base58").contains("another DID"));
    assert!(unknown("did:example:forms").contains("without a #fragment"));
    assert!(unknown("#").contains("empty"));
    assert!(unknown("0OIl").contains("base58"));

    // A reference to a method whose key cannot be read says why.
    let bad_key = |reference: &str| match forms_with_recipient(json!(reference)) {
        Err(DidDocError::Invalid(PeerDidError::BadKey { key, reason, .. })) => {
            assert_eq!(key, reference);
            reason
        }
        other => panic!("{reference}: {other:?}"),
    };
    assert!(bad_key("#rsa").contains("none of publicKeyBase58"));
    assert!(bad_key("did:key:z6Mk0OIl").contains("base58"));

    // A JWK of another curve, referenced.
    let mut doc = fixture("doc_key_forms.json");
    doc["verificationMethod"][2]["publicKeyJwk"] =
        json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"});
    match parse_doc(&doc, None) {
        Err(DidDocError::Invalid(PeerDidError::BadKey { key, reason, .. })) => {
            assert_eq!(key, "#jwk");
            assert!(
                reason.contains("publicKeyJwk") && reason.contains("EC"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }

    // A routing key that names the X25519 key.
    let mut doc = fixture("doc_key_forms.json");
    doc["service"][0]["routingKeys"] = json!(["#x25519-jwk"]);
    assert!(matches!(
        parse_doc(&doc, None),
        Err(DidDocError::Invalid(PeerDidError::BadKey { reason, .. })) if reason.contains("X25519")
    ));

    // Errors read as one sentence naming the document and the reference.
    let err = forms_with_recipient(json!("#key-9"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("\"did:example:forms\": key reference \"#key-9\" cannot be resolved"),
        "{err}"
    );
}

#[test]
fn credo_ts_own_fixtures_resolve() {
    // A long-form did:peer:4 from Credo-TS's tests: a UUID key id, referenced relatively.
    let doc = fixture("from-credo-ts/didPeer4zQmUJdJ.json");
    let did = doc["id"].as_str().unwrap();
    let resolved = did_peer::parse(did).unwrap();
    let service = resolved.didcomm_v1_service().unwrap();
    assert_eq!(service.endpoint, "https://example.com");
    assert_eq!(
        service.recipient_keys,
        vec![VerKey::from_base58("7H8ScGrunfcGBwMhhRakDMYguLAWiNWhQ2maYH84J8fE").unwrap()]
    );
    // Its resolved document, attached as is, reads the same.
    assert_eq!(
        parse_doc(&doc, Some(did)).unwrap()[0].recipient_keys,
        service.recipient_keys
    );

    // A did:peer:1 document whose key is referenced by its multibase value (`#6Mk…`).
    let doc = fixture("from-credo-ts/didPeer1zQmR-did-comm-service.json");
    let services = parse_doc(&doc, None).unwrap();
    assert_eq!(
        services,
        vec![DidCommService {
            recipient_keys: vec![VerKey::from_base58(
                "ByHnpUCFb1vAfh9CFZ8ZkmUZguURW8nSw889hy6rD8L7"
            )
            .unwrap()],
            routing_keys: vec![VerKey::parse(
                "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
            )
            .unwrap()],
            endpoint: "https://example.com/endpoint".into(),
        }]
    );
}

#[test]
fn our_peer1_request_document_reads_back() {
    let me = KeyPair::from_seed(&[7; 32]).verkey();
    let (did, doc) = did_peer::create_peer1(&me, "didcomm:transport/queue", &[key(2)]);
    assert!(
        did.starts_with("did:peer:1zQm") && did.len() == "did:peer:1".len() + 47,
        "{did}"
    );
    assert_eq!(doc["id"], json!(did));
    assert_eq!(did_peer::peer1_did(&doc), did);
    assert_eq!(
        parse_doc(&doc, Some(&did)).unwrap(),
        vec![service(me, vec![key(2)], "didcomm:transport/queue")]
    );
    let resolved = did_peer::read_document(&did, &doc).unwrap();
    assert_eq!(resolved.authentication, vec![me]);
    assert_eq!(resolved.key_agreement, vec![*me.to_x25519().as_bytes()]);
}

// ---------------------------------------------------------------------------------------------
// Nothing a peer writes makes the readers panic.

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Strings shaped like the references and keys peers write, and garbage.
    fn reference() -> impl Strategy<Value = String> {
        prop_oneof![
            "#[a-z0-9-]{0,8}",
            "did:example:forms#[a-z0-9-]{0,8}",
            "did:[a-z]{1,5}:[A-Za-z0-9]{0,10}(#[a-z0-9]{0,4})?",
            "did:key:z[1-9A-HJ-NP-Za-km-z]{0,48}(#.{0,6})?",
            "[1-9A-HJ-NP-Za-km-z]{0,46}",
            ".{0,20}",
        ]
    }

    fn json_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,12}".prop_map(Value::String),
            reference().prop_map(Value::String),
        ]
    }

    proptest! {
        #[test]
        fn document_reader(
            recipients in proptest::collection::vec(reference(), 0..4),
            routing in proptest::collection::vec(reference(), 0..3),
            method_id in reference(),
            jwk_x in json_leaf(),
            jwk_crv in json_leaf(),
            multibase in json_leaf(),
            base58 in json_leaf(),
        ) {
            let mut doc = fixture("doc_key_forms.json");
            doc["service"][0]["recipientKeys"] = json!(recipients);
            doc["service"][0]["routingKeys"] = json!(routing);
            doc["verificationMethod"][0]["id"] = json!(method_id);
            doc["verificationMethod"][0]["publicKeyBase58"] = base58;
            doc["verificationMethod"][1]["publicKeyMultibase"] = multibase;
            doc["verificationMethod"][2]["publicKeyJwk"] = json!({"kty": "OKP", "crv": jwk_crv, "x": jwk_x});
            if let Err(e) = parse_doc(&doc, None) {
                // Every error reads as a sentence.
                prop_assert!(!e.to_string().is_empty());
            }
        }

        #[test]
        fn attachment_verifier(
            protected in json_leaf(),
            signature in json_leaf(),
            kid in json_leaf(),
            payload in json_leaf(),
            general in any::<bool>(),
        ) {
            let mut att = fixture("did_rotate_general_two.json");
            let mut entry = att["data"]["jws"]["signatures"][1].clone();
            entry["protected"] = protected;
            entry["signature"] = signature;
            entry["header"]["kid"] = kid;
            att["data"]["jws"] = if general {
                json!({"signatures": [att["data"]["jws"]["signatures"][0].clone(), entry], "payload": payload})
            } else {
                entry
            };
            if let Err(e) = verify_signed_attachment(&att, Some(&invitation())) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
