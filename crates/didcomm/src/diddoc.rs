//! Legacy (Indy-style) DID documents, as connections 1.0 and DID Exchange 1.0 carry them:
//! an unqualified DID, `publicKey` entries with `publicKeyBase58`, and `IndyAgent` /
//! `did-communication` services whose `recipientKeys` are raw verkeys, did:keys, or references
//! to a `publicKey` entry.

use serde_json::{json, Value};
use thiserror::Error;

use crate::keys::{KeyError, VerKey};

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
    #[error("DID document service {service:?} has no serviceEndpoint")]
    NoEndpoint { service: String },
    #[error("DID document service {service:?} has no recipient keys")]
    NoRecipientKeys { service: String },
    #[error("DID document key {reference:?} cannot be resolved: {source}")]
    BadKey { reference: String, source: KeyError },
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

/// Every DIDComm v1 service of a legacy DID document, in the document's order.
pub fn parse_legacy_doc(doc: &Value) -> Result<Vec<DidCommService>, DidDocError> {
    if !doc.is_object() {
        return Err(DidDocError::NotObject);
    }
    let services = doc["service"].as_array().cloned().unwrap_or_default();
    let mut found = Vec::new();
    for service in &services {
        let kind = service["type"].as_str().unwrap_or_default();
        if !matches!(kind, "IndyAgent" | "did-communication") {
            continue;
        }
        let name = service["id"].as_str().unwrap_or(kind).to_string();
        let endpoint = service["serviceEndpoint"]
            .as_str()
            .ok_or_else(|| DidDocError::NoEndpoint {
                service: name.clone(),
            })?
            .to_string();
        let recipient_keys = resolve_keys(doc, &service["recipientKeys"])?;
        if recipient_keys.is_empty() {
            return Err(DidDocError::NoRecipientKeys { service: name });
        }
        let routing_keys = resolve_keys(doc, &service["routingKeys"])?;
        found.push(DidCommService {
            recipient_keys,
            routing_keys,
            endpoint,
        });
    }
    if found.is_empty() {
        return Err(DidDocError::NoService);
    }
    Ok(found)
}

/// Keys listed by value (raw base58 or did:key) or by reference to a `publicKey` entry.
fn resolve_keys(doc: &Value, list: &Value) -> Result<Vec<VerKey>, DidDocError> {
    let Some(list) = list.as_array() else {
        return Ok(Vec::new());
    };
    list.iter()
        .filter_map(Value::as_str)
        .map(|reference| {
            let by_value = if reference.starts_with("did:") && !reference.starts_with("did:key:") {
                lookup_public_key(doc, reference)
            } else {
                Some(reference.to_string())
            };
            let text = by_value.unwrap_or_else(|| reference.to_string());
            VerKey::parse(&text).map_err(|source| DidDocError::BadKey {
                reference: reference.to_string(),
                source,
            })
        })
        .collect()
}

fn lookup_public_key(doc: &Value, reference: &str) -> Option<String> {
    doc["publicKey"]
        .as_array()?
        .iter()
        .find(|k| k["id"].as_str() == Some(reference))
        .and_then(|k| k["publicKeyBase58"].as_str())
        .map(str::to_string)
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
        let services = parse_legacy_doc(&doc).unwrap();
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
        let services = parse_legacy_doc(&doc).unwrap();
        assert_eq!(services[0].recipient_keys, vec![key]);
        assert_eq!(services[0].routing_keys, vec![router]);
    }

    #[test]
    fn broken_docs_name_the_problem() {
        assert_eq!(parse_legacy_doc(&json!([])), Err(DidDocError::NotObject));
        assert_eq!(
            parse_legacy_doc(&json!({"service": []})),
            Err(DidDocError::NoService)
        );
        assert!(matches!(
            parse_legacy_doc(&json!({"service": [{"type": "IndyAgent", "recipientKeys": ["x"]}]})),
            Err(DidDocError::NoEndpoint { .. })
        ));
        assert!(matches!(
            parse_legacy_doc(
                &json!({"service": [{"type": "IndyAgent", "serviceEndpoint": "e", "recipientKeys": []}]})
            ),
            Err(DidDocError::NoRecipientKeys { .. })
        ));
        assert!(matches!(
            parse_legacy_doc(
                &json!({"service": [{"type": "IndyAgent", "serviceEndpoint": "e", "recipientKeys": ["0OIl"]}]})
            ),
            Err(DidDocError::BadKey { .. })
        ));
    }
}
