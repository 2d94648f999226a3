//! `did:peer:4`: resolve the long form by decoding it.
//!
//! - `did:peer:4{hash}:{doc}` — `doc` is `z` + base58btc(multicodec json 0x0200 ‖ JSON input
//!   document), `hash` is `z` + base58btc(multihash sha2-256 of the `doc` string). The short form
//!   `did:peer:4{hash}` is only a name: it cannot be resolved without having seen the long form.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::document::read_document_map;
use super::*;

/// The short form (`did:peer:4{hash}`) of a long-form did:peer:4; `None` if `did` is not one.
/// ACA-Py records connections under the short form once the exchange completes.
pub fn peer4_short_form(did: &str) -> Option<&str> {
    let rest = did.strip_prefix("did:peer:4")?;
    let colon = rest.find(':')?;
    Some(&did[..did.len() - rest.len() + colon])
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_of_a_long_peer4() {
        assert_eq!(
            peer4_short_form("did:peer:4zQmX:zABC"),
            Some("did:peer:4zQmX")
        );
        assert_eq!(peer4_short_form("did:peer:4zQmX"), None);
        assert_eq!(peer4_short_form("did:peer:2.Vz"), None);
    }
}
