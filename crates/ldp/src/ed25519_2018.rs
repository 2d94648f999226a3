//! `Ed25519Signature2018` (W3C CCG), exactly as ACA-Py 0.12.8 computes it
//! (`vc/ld_proofs/suites/linked_data_signature.py`, `jws_linked_data_signature.py`):
//!
//! - verify data = SHA-256(canonical proof options) ‖ SHA-256(canonical document), where the
//!   document is without its `proof`, and the proof options are the proof without `jws` /
//!   `proofValue` / `signatureValue`, given the document's `@context`;
//! - the signature is a detached JWS with the unencoded payload option: header
//!   `{"alg":"EdDSA","b64":false,"crit":["b64"]}`, signing input `base64url(header) "." verify
//!   data`, written `base64url(header) ".." base64url(signature)`.
//!
//! Verification methods are did:key only (what ACA-Py issues from, and holders sign with).

use didcomm::{b64, KeyPair, VerKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::{canon::canonize, LdpError};

pub const PROOF_TYPE: &str = "Ed25519Signature2018";
const JWS_HEADER: &str = r#"{"alg":"EdDSA","b64":false,"crit":["b64"]}"#;

/// What a new proof says besides its signature.
#[derive(Debug, Clone)]
pub struct ProofOptions {
    /// `assertionMethod` (credentials) or `authentication` (presentations).
    pub purpose: String,
    /// The verifier's challenge (presentations).
    pub challenge: Option<String>,
    /// The verifier's domain (presentations), when it gave one.
    pub domain: Option<String>,
    /// RFC 3339 time of signing.
    pub created: String,
}

/// `document` with a new `proof` by `key` (its did:key as verification method). A proof the
/// document already had is replaced.
pub fn sign(document: &Value, key: &KeyPair, options: &ProofOptions) -> Result<Value, LdpError> {
    let mut unsigned = without_proof(document)?;
    let mut proof = json!({
        "type": PROOF_TYPE,
        "created": options.created,
        "verificationMethod": key.verkey().to_did_key_with_fragment(),
        "proofPurpose": options.purpose,
    });
    if let Some(challenge) = &options.challenge {
        proof["challenge"] = json!(challenge);
    }
    if let Some(domain) = &options.domain {
        proof["domain"] = json!(domain);
    }
    let data = verify_data(&proof, &unsigned)?;
    let header = b64::encode_url(JWS_HEADER);
    let signature = key.sign(&signing_input(&header, &data));
    proof["jws"] = json!(format!("{header}..{}", b64::encode_url(signature)));
    unsigned.insert("proof".into(), proof);
    Ok(Value::Object(unsigned))
}

/// Checks the document's one `Ed25519Signature2018` proof against the did:key it names.
/// Returns the proof (for its purpose, challenge, domain).
pub fn verify(document: &Value) -> Result<Value, LdpError> {
    let proof = document
        .get("proof")
        .filter(|p| p.is_object())
        .ok_or_else(|| LdpError::Proof("the document has no proof object".into()))?
        .clone();
    if proof["type"] != PROOF_TYPE {
        return Err(LdpError::Proof(format!(
            "proof type {} is not {PROOF_TYPE}",
            proof["type"]
        )));
    }
    let method = proof["verificationMethod"]
        .as_str()
        .ok_or_else(|| LdpError::Proof("no verificationMethod".into()))?;
    let did = method.split('#').next().unwrap_or(method);
    let key: VerKey = didcomm::did_key::parse(did)
        .map_err(|e| LdpError::Proof(format!("verificationMethod {method}: {e}")))?;
    let jws = proof["jws"]
        .as_str()
        .ok_or_else(|| LdpError::Proof("no jws".into()))?;
    let (header, signature) = jws
        .split_once("..")
        .ok_or_else(|| LdpError::Proof("jws is not detached (header..signature)".into()))?;
    check_header(header)?;
    let signature = b64::decode_any(signature)
        .map_err(|e| LdpError::Proof(format!("jws signature is not base64url: {e}")))?;

    let mut options = proof.clone();
    if let Some(fields) = options.as_object_mut() {
        for field in ["jws", "proofValue", "signatureValue"] {
            fields.remove(field);
        }
    }
    let unsigned = without_proof(document)?;
    let data = verify_data(&options, &unsigned)?;
    key.verify(&signing_input(header, &data), &signature)
        .map_err(|_| LdpError::BadSignature(method.to_string()))?;
    Ok(proof)
}

fn without_proof(document: &Value) -> Result<Map<String, Value>, LdpError> {
    let mut fields = document
        .as_object()
        .cloned()
        .ok_or_else(|| LdpError::Proof("the document is not a JSON object".into()))?;
    fields.remove("proof");
    Ok(fields)
}

/// SHA-256 of the canonical proof options (with the document's context) ‖ of the document.
fn verify_data(proof: &Value, document: &Map<String, Value>) -> Result<Vec<u8>, LdpError> {
    let mut options = proof.clone();
    options["@context"] = document
        .get("@context")
        .cloned()
        .unwrap_or_else(|| json!("https://w3id.org/security/v2"));
    let canonical_options = canonize(&options)?;
    let canonical_document = canonize(&Value::Object(document.clone()))?;
    let mut data = Sha256::digest(canonical_options.as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    Ok(data)
}

fn signing_input(encoded_header: &str, data: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(encoded_header.len() + 1 + data.len());
    input.extend_from_slice(encoded_header.as_bytes());
    input.push(b'.');
    input.extend_from_slice(data);
    input
}

/// The JWS header must be EdDSA with the unencoded payload (`b64: false`, critical).
fn check_header(encoded: &str) -> Result<(), LdpError> {
    let bytes = b64::decode_any(encoded)
        .map_err(|e| LdpError::Proof(format!("jws header is not base64url: {e}")))?;
    let header: Value = serde_json::from_slice(&bytes)
        .map_err(|e| LdpError::Proof(format!("jws header is not JSON: {e}")))?;
    if header["alg"] != "EdDSA" || header["b64"] != false {
        return Err(LdpError::Proof(format!(
            "jws header {header} is not EdDSA with b64: false"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> Value {
        json!({
            "@context": ["https://www.w3.org/2018/credentials/v1",
                         {"ex": "https://example.org/akrida#", "score": "ex:score"}],
            "type": ["VerifiableCredential"],
            "issuer": "did:key:z6MktMXbq2vNgDevZaV5qcrB51pgm7HfoSN8EW3ML14VaPTe",
            "issuanceDate": "2026-11-23T21:59:39Z",
            "credentialSubject": {"id": "did:key:z6MkfRZ3UidrkuuRFpz6q5wxCYW8Y7u1bZMMA3ERfGiohLQW",
                                  "score": "test"},
        })
    }

    fn options() -> ProofOptions {
        ProofOptions {
            purpose: "authentication".into(),
            challenge: Some("c-1".into()),
            domain: None,
            created: "2026-11-23T22:00:00Z".into(),
        }
    }

    #[test]
    fn signed_documents_verify_and_tampering_is_caught() {
        let key = KeyPair::generate();
        let signed = sign(&credential(), &key, &options()).unwrap();
        let proof = verify(&signed).unwrap();
        assert_eq!(proof["challenge"], "c-1");
        assert_eq!(proof["proofPurpose"], "authentication");

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["score"] = json!("100");
        let err = verify(&tampered).unwrap_err();
        assert!(matches!(err, LdpError::BadSignature(_)), "{err}");

        let mut other_challenge = signed.clone();
        other_challenge["proof"]["challenge"] = json!("c-2");
        assert!(verify(&other_challenge).is_err());

        // Key order does not matter: the canonical form is signed.
        let reordered: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&signed).unwrap()).unwrap();
        verify(&reordered).unwrap();
    }

    /// A credential ACA-Py 0.12.8 issued (testbed issuer, issue-credential 2.0): its proof, made
    /// with pyld's URDNA2015, verifies here — the two canonical forms agree.
    #[test]
    fn a_credential_signed_by_acapy_verifies() {
        let issued: Value =
            serde_json::from_str(include_str!("../testdata/acapy_issued_credential.json")).unwrap();
        verify(&issued).unwrap();
        let mut tampered = issued.clone();
        tampered["issuanceDate"] = json!("2026-11-23T21:59:40Z");
        assert!(verify(&tampered).is_err());
    }

    #[test]
    fn malformed_proofs_are_named() {
        let mut doc = credential();
        assert!(verify(&doc).unwrap_err().to_string().contains("no proof"));
        doc["proof"] = json!({"type": "BbsBlsSignature2020"});
        assert!(verify(&doc)
            .unwrap_err()
            .to_string()
            .contains("BbsBlsSignature2020"));
        doc["proof"] =
            json!({"type": PROOF_TYPE, "verificationMethod": "did:web:x", "jws": "a..b"});
        assert!(verify(&doc).unwrap_err().to_string().contains("did:web:x"));
    }
}
