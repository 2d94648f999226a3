//! DID documents carried beside a DID: what connections 1.0 and DID Exchange 1.0 attach.
//!
//! Two shapes are met on the wire:
//! - legacy (Indy-style), what ACA-Py sends in connections 1.0 and DID Exchange 1.0: an
//!   unqualified DID, `publicKey` entries with `publicKeyBase58`, and `IndyAgent` /
//!   `did-communication` services whose `recipientKeys` are raw verkeys, did:keys, or absolute
//!   references to a `publicKey` entry ([`legacy_doc`] writes ours);
//! - a `did:peer:1` genesis document, what Credo wallets send in DID Exchange: embedded
//!   verification methods `#key-1` (Ed25519, authentication) and `#key-2` (X25519,
//!   keyAgreement), a `did-communication` service with `recipientKeys: ["#key-1"]`
//!   ([`crate::did_peer::create_peer1`] writes ours).
//!
//! Both are read by the one document reader of [`crate::did_peer::read_document`], which
//! resolves every key form and reference (see there).

use serde_json::{json, Value};
use thiserror::Error;

use crate::did_peer::{self, PeerDidError};
use crate::keys::VerKey;

/// Where and how to reach a DIDComm v1 peer: encrypt for `recipient_keys`, wrap in forwards for
/// `routing_keys` (in order), deliver to `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidCommService {
    pub recipient_keys: Vec<VerKey>,
    pub routing_keys: Vec<VerKey>,
    pub endpoint: String,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DidDocError {
    #[error("DID document is not a JSON object")]
    NotObject,
    #[error("DID document has no DIDComm service")]
    NoService,
    #[error("DID document service {service:?} has no recipient keys")]
    NoRecipientKeys { service: String },
    /// A malformed service, key or reference: the inner error names it and says why.
    #[error("{0}")]
    Invalid(#[from] PeerDidError),
}

/// The unqualified DID ACA-Py and indy derive from a verkey: base58 of its first 16 bytes.
pub fn unqualified_did(verkey: &VerKey) -> String {
    bs58::encode(&verkey.as_bytes()[..16]).into_string()
}

/// Our legacy DID document: one key, one service.
pub fn legacy_doc(did: &str, verkey: &VerKey, endpoint: &str, routing_keys: &[VerKey]) -> Value {
    let qualified = format!("did:sov:{did}");
    json!({
        "@context": "https://w3id.org/did/v1",
        "id": qualified,
        "publicKey": [{
            "id": format!("{qualified}#1"),
            "type": "Ed25519VerificationKey2018",
            "controller": qualified,
            "publicKeyBase58": verkey.to_base58(),
        }],
        "authentication": [{
            "type": "Ed25519SignatureAuthentication2018",
            "publicKey": format!("{qualified}#1"),
        }],
        "service": [{
            "id": format!("{qualified};indy"),
            "type": "IndyAgent",
            "priority": 0,
            "recipientKeys": [verkey.to_base58()],
            "routingKeys": routing_keys.iter().map(VerKey::to_base58).collect::<Vec<_>>(),
            "serviceEndpoint": endpoint,
        }],
    })
}

/// Every DIDComm v1 service of an attached DID document (legacy or not), in the document's
/// order of priority, with routing keys read as verkeys. `did` is the DID the document was
/// presented under (`None`: its own `id`).
pub fn parse_doc(doc: &Value, did: Option<&str>) -> Result<Vec<DidCommService>, DidDocError> {
    if !doc.is_object() {
        return Err(DidDocError::NotObject);
    }
    let did = did.or_else(|| doc["id"].as_str()).unwrap_or_default();
    let resolved = did_peer::read_document(did, doc)?;
    let mut found = Vec::new();
    let mut keyless = None;
    for service in resolved.services.iter().filter(|s| s.speaks_didcomm_v1()) {
        if service.recipient_keys.is_empty() {
            keyless.get_or_insert_with(|| service.id.clone());
            continue;
        }
        found.push(DidCommService {
            recipient_keys: service.recipient_keys.clone(),
            routing_keys: service.resolve_routing_keys()?,
            endpoint: service.endpoint.clone(),
        });
    }
    match (found.is_empty(), keyless) {
        (true, Some(service)) => Err(DidDocError::NoRecipientKeys { service }),
        (true, None) => Err(DidDocError::NoService),
        (false, _) => Ok(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn our_doc_parses_back() {
        let key = KeyPair::generate().verkey();
        let router = KeyPair::generate().verkey();
        let did = unqualified_did(&key);
        let doc = legacy_doc(&did, &key, "http://127.0.0.1:1", &[router]);
        let services = parse_doc(&doc, None).unwrap();
        assert_eq!(
            services,
            vec![DidCommService {
                recipient_keys: vec![key],
                routing_keys: vec![router],
                endpoint: "http://127.0.0.1:1".into()
            }]
        );
    }

    #[test]
    fn references_and_did_keys_resolve() {
        let key = KeyPair::generate().verkey();
        let router = KeyPair::generate().verkey();
        let doc = json!({
            "id": "did:sov:abc",
            "publicKey": [{"id": "did:sov:abc#1", "publicKeyBase58": key.to_base58()}],
            "service": [
                {"type": "other", "serviceEndpoint": "x"},
                {"id": "did:sov:abc;indy", "type": "IndyAgent", "recipientKeys": ["did:sov:abc#1"],
                 "routingKeys": [router.to_did_key_with_fragment()], "serviceEndpoint": "ws://127.0.0.1:2"}
            ]
        });
        let services = parse_doc(&doc, None).unwrap();
        assert_eq!(services[0].recipient_keys, vec![key]);
        assert_eq!(services[0].routing_keys, vec![router]);
    }

    #[test]
    fn broken_docs_name_the_problem() {
        assert_eq!(parse_doc(&json!([]), None), Err(DidDocError::NotObject));
        assert_eq!(
            parse_doc(&json!({"service": []}), None),
            Err(DidDocError::NoService)
        );
        assert!(matches!(
            parse_doc(&json!({"service": [{"type": "IndyAgent", "recipientKeys": ["x"]}]}), None),
            Err(DidDocError::Invalid(PeerDidError::BadService { reason, .. })) if reason.contains("serviceEndpoint")
        ));
        assert!(matches!(
            parse_doc(
                &json!({"service": [{"type": "IndyAgent", "serviceEndpoint": "e", "recipientKeys": []}]}),
                None
            ),
            Err(DidDocError::NoRecipientKeys { .. })
        ));
        assert!(matches!(
            parse_doc(
                &json!({"service": [{"type": "IndyAgent", "serviceEndpoint": "e", "recipientKeys": ["0OIl"]}]}),
                None
            ),
            Err(DidDocError::Invalid(PeerDidError::UnknownKeyRef { reference, .. })) if reference == "0OIl"
        ));
    }
}
