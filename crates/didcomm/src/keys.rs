//! Ed25519 key pairs and verification keys ("verkeys"), and their X25519 forms for encryption.
//!
//! DIDComm v1 names a key three ways: a raw base58 verkey (`C1WP…`), a `did:key`
//! (`did:key:z6Mk…`), or a `did:key` with a fragment (`did:key:z6Mk…#z6Mk…`, what ACA-Py puts in
//! invitations and mediation grants). [`VerKey::parse`] reads all three; it lives in `did_key.rs`
//! beside the `did:key` codec, so that this module needs nothing from that one.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use rand::rngs::OsRng;
use thiserror::Error;

/// What can be wrong with a key someone else gave us.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("key {0:?} is not valid base58")]
    NotBase58(String),
    #[error("key {key:?} has {len} bytes, an Ed25519 key has 32")]
    WrongLength { key: String, len: usize },
    #[error("key {0:?} is not a point on the Ed25519 curve")]
    NotOnCurve(String),
    #[error("{0}")]
    DidKey(#[from] DidKeyError),
    #[error("signature is invalid")]
    BadSignature,
}

/// What can be wrong with a `did:key` (read in `did_key.rs`).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DidKeyError {
    #[error("{did:?} is not a did:key")]
    NotDidKey { did: String },
    #[error("{did:?}: only base58btc multibase ('z') is supported")]
    UnsupportedMultibase { did: String },
    #[error("{did:?}: the key is not valid base58")]
    NotBase58 { did: String },
    #[error("{did:?}: not an Ed25519 key (multicodec prefix {prefix:02x?})")]
    NotEd25519 { did: String, prefix: Vec<u8> },
    #[error("{did:?}: Ed25519 key has {len} bytes, expected 32")]
    WrongLength { did: String, len: usize },
    #[error("{did:?}: not a point on the Ed25519 curve")]
    NotOnCurve { did: String },
}

/// A public Ed25519 verification key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerKey([u8; 32]);

impl VerKey {
    /// Wraps 32 public-key bytes. Fails when the bytes are not a curve point.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| KeyError::NotOnCurve(bs58::encode(bytes).into_string()))?;
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads a raw base58 verkey.
    pub fn from_base58(text: &str) -> Result<Self, KeyError> {
        let bytes = bs58::decode(text)
            .into_vec()
            .map_err(|_| KeyError::NotBase58(text.to_string()))?;
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength {
                key: text.to_string(),
                len: bytes.len(),
            })?;
        Self::from_bytes(array)
    }

    pub fn to_base58(&self) -> String {
        bs58::encode(self.0).into_string()
    }

    /// The X25519 public key for the same identity (birational map Edwards → Montgomery).
    pub fn to_x25519(&self) -> crypto_box::PublicKey {
        let point = VerifyingKey::from_bytes(&self.0)
            .expect("VerKey invariant: bytes were checked to be a curve point when built");
        crypto_box::PublicKey::from(point.to_montgomery().to_bytes())
    }

    /// Checks an Ed25519 signature by this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| KeyError::BadSignature)?;
        VerifyingKey::from_bytes(&self.0)
            .expect("VerKey invariant: bytes were checked to be a curve point when built")
            .verify(message, &signature)
            .map_err(|_| KeyError::BadSignature)
    }
}

impl std::fmt::Debug for VerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerKey({})", self.to_base58())
    }
}

impl std::fmt::Display for VerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_base58())
    }
}

/// A public key prepared to be encrypted to again and again (a mediator's routing key): its
/// base58 text and its X25519 form, each computed once instead of once per message. Both cost a
/// few microseconds (the X25519 form decompresses a curve point), which a holder relaying many
/// messages through the same mediator would otherwise pay on every forward.
#[derive(Clone)]
pub struct SealKey {
    verkey: VerKey,
    base58: String,
    x25519: crypto_box::PublicKey,
}

impl SealKey {
    pub fn new(verkey: &VerKey) -> Self {
        Self {
            verkey: *verkey,
            base58: verkey.to_base58(),
            x25519: verkey.to_x25519(),
        }
    }

    pub fn verkey(&self) -> VerKey {
        self.verkey
    }

    pub fn base58(&self) -> &str {
        &self.base58
    }

    pub fn x25519(&self) -> &crypto_box::PublicKey {
        &self.x25519
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.base58)
    }
}

/// An Ed25519 key pair. `Debug` never shows the secret.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl KeyPair {
    /// A fresh key pair from the operating system's random source.
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::generate(&mut OsRng),
        }
    }

    /// The key pair for a 32-byte seed (the Ed25519 secret key), as libsodium's `seed_keypair`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// The 32-byte seed, to store an identity and restore it later.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn verkey(&self) -> VerKey {
        VerKey(self.signing.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The X25519 secret for the same identity, as libsodium's
    /// `crypto_sign_ed25519_sk_to_curve25519` derives it (clamped SHA-512 of the seed).
    pub fn to_x25519(&self) -> crypto_box::SecretKey {
        crypto_box::SecretKey::from(self.signing.to_scalar_bytes())
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({}, secret hidden)", self.verkey())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_round_trip_keeps_identity() {
        let pair = KeyPair::generate();
        let again = KeyPair::from_seed(&pair.seed());
        assert_eq!(pair.verkey(), again.verkey());
    }

    #[test]
    fn sign_and_verify() {
        let pair = KeyPair::generate();
        let sig = pair.sign(b"hello");
        pair.verkey().verify(b"hello", &sig).unwrap();
        assert_eq!(
            pair.verkey().verify(b"hullo", &sig),
            Err(KeyError::BadSignature)
        );
    }

    #[test]
    fn x25519_forms_agree() {
        // The public X25519 key derived from the secret must equal the one derived from the verkey.
        let pair = KeyPair::generate();
        assert_eq!(pair.to_x25519().public_key(), pair.verkey().to_x25519());
    }

    #[test]
    fn base58_errors_name_the_problem() {
        assert!(matches!(VerKey::parse("0OIl"), Err(KeyError::NotBase58(_))));
        assert!(matches!(
            VerKey::parse("3yZe7d"),
            Err(KeyError::WrongLength { len: 4, .. })
        ));
        let pair = KeyPair::generate();
        assert_eq!(
            VerKey::parse(&pair.verkey().to_base58()).unwrap(),
            pair.verkey()
        );
    }
}
