//! ldp's canonical N-Quads must be byte-for-byte what ACA-Py computes (pyld URDNA2015 with
//! ACA-Py's own offline contexts), or no signature made on one side verifies on the other.
//! The reference runs in the testbed's ACA-Py virtualenv (`tests/pyld_normalize.py`).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

const DID: &str = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";

fn pyld(docs: &[Value]) -> Vec<String> {
    let python = testbed::repo_root().join(".venv/acapy/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyld_normalize.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the testbed's ACA-Py python runs (scripts/testbed install)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(docs.to_vec()).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pyld failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     "https://w3id.org/security/bbs/v1"],
        "id": "urn:uuid:1b6a7c3e-2a0f-4c7e-9d5e-3f1f0b2d6a11",
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": {"id": DID, "name": "Test \"Issuer\"\nwith a newline ✓"},
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": {"id": DID, "name": "Alice", "age": 42, "gpa": 3.5, "alumni": true},
        "proof": {
            "type": "Ed25519Signature2018",
            "created": "2024-01-01T00:00:00+00:00",
            "verificationMethod": format!("{DID}#{}", &DID[8..]),
            "proofPurpose": "assertionMethod",
            "jws": "eyJhbGciOiAiRWREU0EiLCAiYjY0IjogZmFsc2UsICJjcml0IjogWyJiNjQiXX0..c2ln",
        },
    })
}

fn inline_context_credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     {"ex": "https://example.org/vocab#", "name": "ex:name",
                      "score": {"@id": "ex:score", "@type": "http://www.w3.org/2001/XMLSchema#integer"},
                      "nick": {"@id": "ex:nick", "@language": "en"}}],
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": [{"name": "A"}, {"name": "B", "score": 7, "nick": "bee"}],
    })
}

#[test]
#[ignore = "live"]
fn canonical_nquads_match_pyld() {
    let proof_options = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": "Ed25519Signature2018",
        "verificationMethod": format!("{DID}#{}", &DID[8..]),
        "created": "2024-05-06T07:08:09+00:00",
        "proofPurpose": "authentication",
        "challenge": "c0ffee",
        "domain": "example.org",
    });
    let presentation = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiablePresentation"],
        "holder": DID,
        "verifiableCredential": [credential(), inline_context_credential()],
    });
    let security_v2_doc = json!({
        "@context": "https://w3id.org/security/v2",
        "type": "Ed25519Signature2018",
        "created": "2024-05-06T07:08:09Z",
        "proofPurpose": "assertionMethod",
    });
    // A JSON literal (`@json`), as the presentation's `presentation_submission` is carried.
    let json_literal = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     {"@version": 1.1, "presentation_submission":
                        {"@id": "https://identity.foundation/presentation-exchange/#presentation-submission",
                         "@type": "@json"}}],
        "type": ["VerifiablePresentation"],
        "presentation_submission": {"id": "x", "definition_id": "y", "descriptor_map":
            [{"path": "$.verifiableCredential[0]", "id": "a", "format": "ldp_vc", "n": 1.0, "u": "é\u{0001}"}]},
    });
    let docs = vec![
        json_literal,
        credential(),
        inline_context_credential(),
        proof_options,
        presentation,
        security_v2_doc,
    ];
    let expected = pyld(&docs);
    for (doc, expected) in docs.iter().zip(expected) {
        let ours = ldp::canonize(doc).unwrap();
        assert!(!ours.is_empty());
        assert_eq!(ours, expected, "document: {doc:#}");
    }
}

#[test]
fn unknown_remote_context_is_a_clear_error() {
    let doc = json!({"@context": ["https://www.w3.org/2018/credentials/v1",
                                  "https://example.org/private/v1"], "type": "x"});
    let err = ldp::canonize(&doc).unwrap_err().to_string();
    assert!(err.contains("https://example.org/private/v1"), "{err}");
    assert!(err.contains("network"), "{err}");
}
