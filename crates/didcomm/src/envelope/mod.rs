//! The RFC 0019 encryption envelope (`application/didcomm-envelope-enc`), DIDComm v1.
//!
//! An envelope is a JSON object with four base64url strings:
//!
//! ```text
//! {"protected": B64(header JSON), "iv": B64(nonce), "ciphertext": B64(ct), "tag": B64(16-byte tag)}
//! ```
//!
//! The protected header names the content cipher and lists one entry per recipient:
//!
//! ```text
//! {"enc": "xchacha20poly1305_ietf", "typ": "JWM/1.0", "alg": "Authcrypt" | "Anoncrypt",
//!  "recipients": [{"encrypted_key": B64, "header": {"kid": <base58 verkey>,
//!                                                  "sender": B64, "iv": B64}}]}
//! ```
//!
//! * The content key (CEK) is 32 random bytes; the message is encrypted with
//!   ChaCha20-Poly1305-IETF and a 12-byte nonce *despite* the `xchacha20poly1305_ietf` label
//!   (see [`ContentEnc::DidcommV1`]: Askar, hence ACA-Py and Credo, do exactly this), AAD = the ASCII bytes of the `protected` string *exactly as written in
//!   the envelope* (not re-encoded, so a peer's padding or key order never matters).
//! * Authcrypt: per recipient, `encrypted_key = crypto_box(cek)` from the sender's X25519 secret
//!   to the recipient's X25519 public key with a random 24-byte `iv`, and `sender` is the
//!   sender's base58 verkey string sealed (`crypto_box_seal`) to the recipient.
//! * Anoncrypt: per recipient, `encrypted_key = crypto_box_seal(cek)`; the header is only `kid`.
//!
//! This matches ACA-Py (Askar and the legacy indy wallet) and Credo byte for byte in layout; the
//! libsodium vectors in `tests/vectors/libsodium.json` (made with PyNaCl by
//! `scripts/interop/gen_vectors.py`) are the proof. The `crypto_box` crate lays out
//! `crypto_box_easy` output as libsodium does (16-byte tag first) and implements
//! `crypto_box_seal` as libsodium does (ephemeral public key ‖ box, nonce = BLAKE2b(epk ‖ pk)).
//!
//! On unpack the cipher is chosen from the nonce length: 12 bytes is ChaCha20-Poly1305-IETF
//! (what Askar and ACA-Py's legacy indy wallet write under the `xchacha20poly1305_ietf` label,
//! and what older indy-sdk peers write as `chacha20poly1305_ietf`), 24 bytes is XChaCha20-Poly1305
//! (libsodium-based peers that take the label at its word). `chacha20poly1305_ietf` with a
//! 24-byte nonce is refused.
//!
//! One module per job: [`pack`] and [`unpack`], both on the pair keys of `pair`; this module
//! holds the constants, the error and the types they share.

mod pack;
mod pair;
mod unpack;

use thiserror::Error;

use crate::keys::VerKey;

pub use pack::{pack, pack_anon, pack_for_pair, pack_with};
pub use pair::{NoPairCache, PairCache, PairKey};
pub use unpack::{recipient_keys, unpack, unpack_cached};

/// `enc` value of the modern content cipher (24-byte nonce).
pub const ENC_XCHACHA: &str = "xchacha20poly1305_ietf";
/// `enc` value of the older content cipher (12-byte nonce).
pub const ENC_CHACHA: &str = "chacha20poly1305_ietf";
const TYP: &str = "JWM/1.0";
const ALG_AUTH: &str = "Authcrypt";
const ALG_ANON: &str = "Anoncrypt";

const CEK_LEN: usize = 32;
const TAG_LEN: usize = 16;
const XCHACHA_NONCE_LEN: usize = 24;
const CHACHA_NONCE_LEN: usize = 12;
const BOX_NONCE_LEN: usize = 24;

/// Everything that can be wrong with an envelope, on the way in or out. Each variant names the
/// field or key at fault so that a failure count in a load report says what the peer got wrong.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    // --- shape of the envelope ---
    #[error("envelope is not JSON (or is truncated): {0}")]
    NotJson(String),
    #[error("envelope is not a JSON object")]
    NotObject,
    #[error("envelope field {0:?} is missing")]
    MissingField(String),
    #[error("envelope field {field:?} should be a {expected}")]
    WrongType {
        field: String,
        expected: &'static str,
    },
    #[error("envelope field {field:?} is not valid base64")]
    BadBase64 { field: String },
    #[error("protected header is not a JSON object: {0}")]
    ProtectedNotJson(String),
    #[error("unknown envelope alg {0:?} (expected Authcrypt or Anoncrypt)")]
    UnknownAlg(String),
    #[error(
        "unknown envelope enc {0:?} (expected xchacha20poly1305_ietf or chacha20poly1305_ietf)"
    )]
    UnknownEnc(String),
    #[error("envelope field {field:?} has {got} bytes, expected {expected}")]
    WrongLength {
        field: String,
        expected: &'static str,
        got: usize,
    },
    #[error("envelope has no recipients")]
    NoRecipients,
    #[error("recipient kid {kid:?} is not a valid verkey: {reason}")]
    BadKid { kid: String, reason: String },
    #[error("recipient kid {0:?} appears twice")]
    DuplicateKid(String),
    #[error("recipient {kid:?}: header has {present:?} but not {missing:?}")]
    IncompleteSenderHeader {
        kid: String,
        present: &'static str,
        missing: &'static str,
    },

    // --- keys and authentication ---
    #[error("no recipient key we hold; the envelope is for {kids:?}")]
    NoKeyForRecipients { kids: Vec<String> },
    #[error("Authcrypt envelope without a sender for recipient {kid:?}")]
    AuthcryptWithoutSender { kid: String },
    #[error("sealed sender for recipient {kid:?} does not decrypt with that key")]
    SenderNotDecryptable { kid: String },
    #[error("sealed sender for recipient {kid:?} is not a valid verkey: {reason}")]
    SenderNotVerKey { kid: String, reason: String },
    #[error("encrypted_key for recipient {kid:?} does not decrypt (wrong key, wrong sender, or tampered)")]
    CekNotDecryptable { kid: String },
    #[error("content failed authentication: ciphertext, tag, iv or protected header was altered, or the key is wrong")]
    ContentAuthentication,

    // --- packing ---
    #[error("cannot pack for an empty recipient list")]
    NoRecipientsToPack,
    #[error("encryption failed: {0}")]
    Encrypt(&'static str),
    #[error("message to forward is not a JSON object envelope: {0}")]
    InnerNotJson(String),
}

/// The result of [`unpack`].
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The plaintext (usually a JSON DIDComm message; not checked here).
    pub message: Vec<u8>,
    /// Which of our keys the envelope was opened with.
    pub recipient: VerKey,
    /// The sender's verkey for Authcrypt, `None` for Anoncrypt.
    pub sender: Option<VerKey>,
}

/// The content cipher to write. Readers accept all three (the cipher follows the nonce length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentEnc {
    /// What ACA-Py (Askar and its legacy indy wallet) and Credo actually write: the header says
    /// `xchacha20poly1305_ietf`, but the content is ChaCha20-Poly1305-IETF with a **12-byte**
    /// nonce (Askar's `C20P` key). Askar refuses a 24-byte nonce ("Invalid encryption nonce"),
    /// so this is the only form every peer reads.
    #[default]
    DidcommV1,
    /// `xchacha20poly1305_ietf` with a real 24-byte nonce: what the label promises, read by
    /// libsodium-based peers that choose the cipher by nonce length, refused by Askar.
    XChaCha20Poly1305,
    /// `chacha20poly1305_ietf`, 12-byte nonce: older indy-sdk peers.
    ChaCha20Poly1305,
}

impl ContentEnc {
    fn name(self) -> &'static str {
        match self {
            ContentEnc::DidcommV1 | ContentEnc::XChaCha20Poly1305 => ENC_XCHACHA,
            ContentEnc::ChaCha20Poly1305 => ENC_CHACHA,
        }
    }

    fn nonce_len(self) -> usize {
        match self {
            ContentEnc::XChaCha20Poly1305 => XCHACHA_NONCE_LEN,
            ContentEnc::DidcommV1 | ContentEnc::ChaCha20Poly1305 => CHACHA_NONCE_LEN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    fn lookup(pairs: &[KeyPair]) -> impl Fn(&VerKey) -> Option<KeyPair> + '_ {
        move |key| pairs.iter().find(|p| p.verkey() == *key).cloned()
    }

    #[test]
    fn authcrypt_round_trip() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let packed = pack(b"hello", &[bob.verkey()], Some(&alice)).unwrap();
        let opened = unpack(&packed, lookup(std::slice::from_ref(&bob))).unwrap();
        assert_eq!(opened.message, b"hello");
        assert_eq!(opened.recipient, bob.verkey());
        assert_eq!(opened.sender, Some(alice.verkey()));
    }

    #[test]
    fn anoncrypt_round_trip_second_recipient() {
        let one = KeyPair::generate();
        let two = KeyPair::generate();
        let packed = pack(b"hi", &[one.verkey(), two.verkey()], None).unwrap();
        let opened = unpack(&packed, lookup(std::slice::from_ref(&two))).unwrap();
        assert_eq!(opened.message, b"hi");
        assert_eq!(opened.recipient, two.verkey());
        assert_eq!(opened.sender, None);
        assert_eq!(
            recipient_keys(&packed).unwrap(),
            vec![one.verkey(), two.verkey()]
        );
    }
}
