//! `did:key` for Ed25519 keys: `did:key:z` + base58btc(multicodec 0xed01 ‖ 32 key bytes).
//!
//! The optional `#fragment` (ACA-Py writes `did:key:z6Mk…#z6Mk…`) is accepted and ignored.

use crate::keys::{DidKeyError, KeyError, VerKey};

/// Multicodec varint prefix of an Ed25519 public key.
const ED25519_PUB_MULTICODEC: [u8; 2] = [0xed, 0x01];

/// The multibase form of an Ed25519 key: `z6Mk…`. Also the fingerprint Credo uses.
pub fn fingerprint(key: &VerKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB_MULTICODEC);
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

pub fn encode(key: &VerKey) -> String {
    format!("did:key:{}", fingerprint(key))
}

pub fn encode_with_fragment(key: &VerKey) -> String {
    let fp = fingerprint(key);
    format!("did:key:{fp}#{fp}")
}

/// Reads a multibase Ed25519 key (`z6Mk…`) as found in did:key and did:peer.
pub fn parse_fingerprint(multibase: &str, whole: &str) -> Result<VerKey, DidKeyError> {
    let encoded = multibase
        .strip_prefix('z')
        .ok_or_else(|| DidKeyError::UnsupportedMultibase { did: whole.into() })?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| DidKeyError::NotBase58 { did: whole.into() })?;
    if bytes.len() < 2 || bytes[..2] != ED25519_PUB_MULTICODEC {
        return Err(DidKeyError::NotEd25519 {
            did: whole.into(),
            prefix: bytes.iter().take(2).copied().collect(),
        });
    }
    let key: [u8; 32] = bytes[2..]
        .try_into()
        .map_err(|_| DidKeyError::WrongLength {
            did: whole.into(),
            len: bytes.len() - 2,
        })?;
    VerKey::from_bytes(key).map_err(|e| match e {
        KeyError::NotOnCurve(_) => DidKeyError::NotOnCurve { did: whole.into() },
        _ => DidKeyError::NotOnCurve { did: whole.into() },
    })
}

/// Reads `did:key:z…` with or without a `#fragment`.
pub fn parse(did: &str) -> Result<VerKey, DidKeyError> {
    let rest = did
        .strip_prefix("did:key:")
        .ok_or_else(|| DidKeyError::NotDidKey { did: did.into() })?;
    let multibase = rest.split('#').next().unwrap_or(rest);
    parse_fingerprint(multibase, did)
}

/// The names peers write a key by, beside the `did:key` codec they use.
impl VerKey {
    /// Reads any of the forms peers use: raw base58, `did:key:z…`, or `did:key:z…#fragment`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.starts_with("did:key:") {
            Ok(parse(text)?)
        } else {
            Self::from_base58(text)
        }
    }

    /// `did:key:z6Mk…` (no fragment).
    pub fn to_did_key(&self) -> String {
        encode(self)
    }

    /// `did:key:z6Mk…#z6Mk…`, the form ACA-Py writes in invitations and grants.
    pub fn to_did_key_with_fragment(&self) -> String {
        encode_with_fragment(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn round_trip_with_and_without_fragment() {
        let key = KeyPair::generate().verkey();
        assert_eq!(parse(&encode(&key)).unwrap(), key);
        assert_eq!(parse(&encode_with_fragment(&key)).unwrap(), key);
        assert!(encode(&key).starts_with("did:key:z6Mk"));
    }

    #[test]
    fn known_vector_from_the_did_key_spec() {
        // did:key test vector (w3c-ccg did-method-key, Ed25519 section).
        let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        let key = parse(did).unwrap();
        assert_eq!(encode(&key), did);
    }

    #[test]
    fn malformed_did_keys_say_what_is_wrong() {
        assert!(matches!(
            parse("did:peer:2abc"),
            Err(DidKeyError::NotDidKey { .. })
        ));
        assert!(matches!(
            parse("did:key:uABC"),
            Err(DidKeyError::UnsupportedMultibase { .. })
        ));
        assert!(matches!(
            parse("did:key:z0OIl"),
            Err(DidKeyError::NotBase58 { .. })
        ));
        // An X25519 did:key (prefix 0xec01) is not an Ed25519 key.
        let x = format!(
            "did:key:z{}",
            bs58::encode([0xec, 0x01, 1, 2, 3]).into_string()
        );
        assert!(matches!(parse(&x), Err(DidKeyError::NotEd25519 { .. })));
        let short = format!(
            "did:key:z{}",
            bs58::encode([0xed, 0x01, 1, 2, 3]).into_string()
        );
        assert!(matches!(
            parse(&short),
            Err(DidKeyError::WrongLength { len: 3, .. })
        ));
    }
}
