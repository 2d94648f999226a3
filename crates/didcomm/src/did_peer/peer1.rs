//! `did:peer:1`: our own, with its genesis document, for DID Exchange 1.0; and the DID that
//! names a document given to us.
//!
//! - `did:peer:1zQm…` — `z` + base58btc(multihash sha2-256 of the document without its `id`).
//!   It names the attached document; it cannot be resolved without it.
//!
//! A numalgo on top of `document` and `keys`; no other module of `did_peer` may depend on it
//! but `mod.rs`, which picks the numalgo.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::*;
use crate::keys::VerKey;

/// Builds our own `did:peer:1` and its genesis document for DID Exchange 1.0, as a Credo wallet
/// does (`createPeerDidDocumentFromServices`, numalgo 1, Credo's default for DID Exchange
/// requests through 0.5): `#key-1` the Ed25519 key embedded in `authentication`, `#key-2` its
/// X25519 form embedded in `keyAgreement`, both with controller `#id`, and one
/// `did-communication` service `#inline-0` with `recipientKeys: ["#key-1"]` and routing keys as
/// `did:key:z…#z…`. The DID is `did:peer:1` + `z` + base58btc(multihash sha2-256 of the
/// document's JSON without `id`). Returns the DID and the document (with its `id`).
pub fn create_peer1(auth: &VerKey, endpoint: &str, routing_keys: &[VerKey]) -> (String, Value) {
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "service": [{
            "id": "#inline-0",
            "serviceEndpoint": endpoint,
            "type": DIDCOMM_V1,
            "priority": 0,
            "recipientKeys": ["#key-1"],
            "routingKeys": routing_keys.iter().map(VerKey::to_did_key_with_fragment).collect::<Vec<_>>(),
        }],
        "authentication": [{
            "id": "#key-1",
            "type": "Ed25519VerificationKey2018",
            "controller": "#id",
            "publicKeyBase58": auth.to_base58(),
        }],
        "keyAgreement": [{
            "id": "#key-2",
            "type": "X25519KeyAgreementKey2019",
            "controller": "#id",
            "publicKeyBase58": bs58::encode(auth.to_x25519().as_bytes()).into_string(),
        }],
    });
    let did = peer1_did(&doc);
    doc["id"] = Value::String(did.clone());
    (did, doc)
}

/// The `did:peer:1` of a genesis document: the hash of its JSON without `id`.
pub fn peer1_did(doc: &Value) -> String {
    let mut stored = doc.clone();
    if let Value::Object(map) = &mut stored {
        map.remove("id");
    }
    let mut multihash = MULTIHASH_SHA256.to_vec();
    multihash.extend_from_slice(&Sha256::digest(stored.to_string().as_bytes()));
    format!("did:peer:1z{}", bs58::encode(multihash).into_string())
}
