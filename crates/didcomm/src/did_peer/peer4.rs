//! `did:peer:4`: resolve the long form by decoding it.
//!
//! - `did:peer:4{hash}:{doc}` — `doc` is `z` + base58btc(multicodec json 0x0200 ‖ JSON input
//!   document), `hash` is `z` + base58btc(multihash sha2-256 of the `doc` string). The short form
//!   `did:peer:4{hash}` is only a name: it cannot be resolved without having seen the long form.
//!
//! A numalgo on top of `document` and `keys` (the short form, which `document` needs too, is
//! `mod.rs`'s); no other module of `did_peer` may depend on it
//! but `mod.rs`, which picks the numalgo.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::document::read_document_map;
use super::*;

pub(super) fn parse_peer4(did: &str) -> Result<PeerDidDoc, PeerDidError> {
    let body = did.strip_prefix("did:peer:4").unwrap_or(did);
    let Some((hash, encoded)) = body.split_once(':') else {
        return Err(PeerDidError::Peer4ShortForm { did: did.into() });
    };
    let computed = peer4_hash(encoded);
    if hash != computed {
        return Err(PeerDidError::Peer4HashMismatch {
            did: did.into(),
            in_did: hash.into(),
            computed,
        });
    }
    let bad = |reason: String| PeerDidError::BadDocument {
        did: did.into(),
        reason,
    };
    let b58 = encoded
        .strip_prefix('z')
        .ok_or_else(|| bad("only base58btc multibase ('z') is supported".into()))?;
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| bad("not valid base58".into()))?;
    let json = bytes
        .strip_prefix(&MULTICODEC_JSON)
        .ok_or_else(|| bad("the multicodec is not json (0x0200)".into()))?;
    let doc: Value = serde_json::from_slice(json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let doc = doc
        .as_object()
        .ok_or_else(|| bad("the document is not a JSON object".into()))?;
    read_document_map(did, doc)
}

/// `z` + base58btc(multihash sha2-256 of the encoded document string).
fn peer4_hash(encoded: &str) -> String {
    let mut multihash = MULTIHASH_SHA256.to_vec();
    multihash.extend_from_slice(&Sha256::digest(encoded.as_bytes()));
    format!("z{}", bs58::encode(multihash).into_string())
}
