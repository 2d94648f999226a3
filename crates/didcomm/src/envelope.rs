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

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use crypto_box::aead::Aead;
use crypto_box::SalsaBox;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::b64;
use crate::keys::{KeyPair, VerKey};

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

// Writing goes through structs so that the key order matches ACA-Py's output
// (`enc, typ, alg, recipients` and `kid, sender, iv`); readers never depend on it.
#[derive(Serialize)]
struct ProtectedOut<'a> {
    enc: &'a str,
    typ: &'a str,
    alg: &'a str,
    recipients: Vec<RecipientOut>,
}

#[derive(Serialize)]
struct RecipientOut {
    encrypted_key: String,
    header: HeaderOut,
}

#[derive(Serialize)]
struct HeaderOut {
    kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iv: Option<String>,
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    protected: &'a str,
    iv: String,
    ciphertext: String,
    tag: String,
}

/// The static half of authcrypt between one of our keys and one peer key: the peer's X25519
/// form and the crypto_box key of the pair (a Diffie-Hellman). Every authcrypt message of the
/// pair needs it, in both directions; computing it once per pair instead of once per message
/// saves a conversion and a Diffie-Hellman on each side of a round trip
/// (`examples/envelope_cost.rs` prints the figures).
///
/// Packing also reuses the pair's sealed `sender` field (our verkey sealed to theirs) instead of
/// sealing it afresh for each message, which saves an ephemeral key and a Diffie-Hellman per
/// message. The recipient opens it exactly as before. It tells an observer nothing new: the
/// `kid` next to it is already in clear and names a pairwise key that only this sender writes
/// to, so "same sender as last time" is known either way.
#[derive(Clone)]
pub struct PairKey {
    ours: VerKey,
    theirs: VerKey,
    theirs_x: crypto_box::PublicKey,
    // Shared, not copied: the cipher state is not `Clone`, and caches hand out copies.
    shared: std::sync::Arc<SalsaBox>,
    /// Filled by the first pack: a pair only ever unpacked never pays for the seal.
    header: std::sync::Arc<std::sync::OnceLock<PairHeader>>,
}

/// The per-pair parts of an authcrypt recipient header, in their wire form.
struct PairHeader {
    kid: String,
    sealed_sender: String,
}

impl PairKey {
    pub fn new(ours: &KeyPair, theirs: &VerKey) -> Self {
        let theirs_x = theirs.to_x25519();
        let shared = std::sync::Arc::new(SalsaBox::new(&theirs_x, &ours.to_x25519()));
        Self {
            ours: ours.verkey(),
            theirs: *theirs,
            theirs_x,
            shared,
            header: Default::default(),
        }
    }

    fn header(&self) -> Result<&PairHeader, EnvelopeError> {
        if let Some(header) = self.header.get() {
            return Ok(header);
        }
        let sealed = self
            .theirs_x
            .seal(&mut OsRng, self.ours.to_base58().as_bytes())
            .map_err(|_| EnvelopeError::Encrypt("sealing the sender verkey"))?;
        Ok(self.header.get_or_init(|| PairHeader {
            kid: self.theirs.to_base58(),
            sealed_sender: b64::encode_url(sealed),
        }))
    }

    pub fn ours(&self) -> VerKey {
        self.ours
    }

    pub fn theirs(&self) -> VerKey {
        self.theirs
    }
}

impl std::fmt::Debug for PairKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The shared key is a secret.
        write!(f, "PairKey({} -> {})", self.ours, self.theirs)
    }
}

/// Where [`unpack_cached`] keeps the pair keys of the senders it meets.
pub trait PairCache {
    fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey>;
    fn put(&self, pair: PairKey);
}

/// A cache that keeps nothing: [`unpack`] as it always was.
pub struct NoPairCache;

impl PairCache for NoPairCache {
    fn get(&self, _: &VerKey, _: &VerKey) -> Option<PairKey> {
        None
    }
    fn put(&self, _: PairKey) {}
}

/// Packs `message` for `recipients`: Authcrypt when `sender` is given, Anoncrypt otherwise.
pub fn pack(
    message: &[u8],
    recipients: &[VerKey],
    sender: Option<&KeyPair>,
) -> Result<Vec<u8>, EnvelopeError> {
    pack_with(message, recipients, sender, ContentEnc::default())
}

/// [`pack`] with a chosen content cipher.
pub fn pack_with(
    message: &[u8],
    recipients: &[VerKey],
    sender: Option<&KeyPair>,
    enc: ContentEnc,
) -> Result<Vec<u8>, EnvelopeError> {
    pack_inner(message, recipients, sender, enc)
}

/// Authcrypt for the one recipient of `pair`, from `sender` (the pair's own key), with the
/// pair's precomputed crypto_box key. The envelope is the same as [`pack`] makes.
pub fn pack_for_pair(
    message: &[u8],
    sender: &KeyPair,
    pair: &PairKey,
) -> Result<Vec<u8>, EnvelopeError> {
    if pair.ours != sender.verkey() {
        return Err(EnvelopeError::Encrypt(
            "the pair key belongs to another sender",
        ));
    }
    let header = pair.header()?;
    let cek = content_key();
    let (encrypted_key, iv) = box_content_key(&cek, &pair.shared)?;
    let entry = RecipientOut {
        encrypted_key,
        header: HeaderOut {
            kid: header.kid.clone(),
            sender: Some(header.sealed_sender.clone()),
            iv: Some(iv),
        },
    };
    seal_content(message, &cek, true, vec![entry], ContentEnc::default())
}

fn pack_inner(
    message: &[u8],
    recipients: &[VerKey],
    sender: Option<&KeyPair>,
    enc: ContentEnc,
) -> Result<Vec<u8>, EnvelopeError> {
    if recipients.is_empty() {
        return Err(EnvelopeError::NoRecipientsToPack);
    }
    let cek = content_key();
    let sender_parts = sender.map(|pair| (pair.verkey().to_base58(), pair.to_x25519()));
    let mut entries = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let recipient_x = recipient.to_x25519();
        let entry = match &sender_parts {
            Some((sender_b58, sender_x)) => {
                let sealed_sender = recipient_x
                    .seal(&mut OsRng, sender_b58.as_bytes())
                    .map_err(|_| EnvelopeError::Encrypt("sealing the sender verkey"))?;
                let (encrypted_key, iv) =
                    box_content_key(&cek, &SalsaBox::new(&recipient_x, sender_x))?;
                RecipientOut {
                    encrypted_key,
                    header: HeaderOut {
                        kid: recipient.to_base58(),
                        sender: Some(b64::encode_url(sealed_sender)),
                        iv: Some(iv),
                    },
                }
            }
            None => {
                let encrypted_key = recipient_x
                    .seal(&mut OsRng, cek.as_slice())
                    .map_err(|_| EnvelopeError::Encrypt("sealing the content key"))?;
                RecipientOut {
                    encrypted_key: b64::encode_url(encrypted_key),
                    header: HeaderOut {
                        kid: recipient.to_base58(),
                        sender: None,
                        iv: None,
                    },
                }
            }
        };
        entries.push(entry);
    }
    seal_content(message, &cek, sender.is_some(), entries, enc)
}

/// A fresh content encryption key.
fn content_key() -> Zeroizing<[u8; CEK_LEN]> {
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    OsRng.fill_bytes(cek.as_mut());
    cek
}

/// Authcrypt's `encrypted_key` and its `iv`, both base64url: the content key in a crypto_box
/// of the pair.
fn box_content_key(
    cek: &[u8; CEK_LEN],
    shared: &SalsaBox,
) -> Result<(String, String), EnvelopeError> {
    let mut nonce = [0u8; BOX_NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    // crypto_box_easy layout: 16-byte tag ‖ ciphertext.
    let encrypted_key = shared
        .encrypt(&nonce.into(), cek.as_slice())
        .map_err(|_| EnvelopeError::Encrypt("boxing the content key"))?;
    Ok((b64::encode_url(encrypted_key), b64::encode_url(nonce)))
}

/// The envelope around `message`: the protected header made of `recipients`, and the content
/// encrypted under `cek` with that header as associated data.
fn seal_content(
    message: &[u8],
    cek: &[u8; CEK_LEN],
    authcrypt: bool,
    recipients: Vec<RecipientOut>,
    enc: ContentEnc,
) -> Result<Vec<u8>, EnvelopeError> {
    let header = ProtectedOut {
        enc: enc.name(),
        typ: TYP,
        alg: if authcrypt { ALG_AUTH } else { ALG_ANON },
        recipients,
    };
    let header_json = serde_json::to_vec(&header)
        .map_err(|_| EnvelopeError::Encrypt("serialising the header"))?;
    let protected = b64::encode_url(header_json);

    let mut nonce = vec![0u8; enc.nonce_len()];
    OsRng.fill_bytes(&mut nonce);
    let mut buffer = message.to_vec();
    let tag = match enc {
        ContentEnc::XChaCha20Poly1305 => XChaCha20Poly1305::new(cek.into())
            .encrypt_in_place_detached(nonce.as_slice().into(), protected.as_bytes(), &mut buffer),
        ContentEnc::DidcommV1 | ContentEnc::ChaCha20Poly1305 => ChaCha20Poly1305::new(cek.into())
            .encrypt_in_place_detached(nonce.as_slice().into(), protected.as_bytes(), &mut buffer),
    }
    .map_err(|_| EnvelopeError::Encrypt("encrypting the content"))?;

    serde_json::to_vec(&EnvelopeOut {
        protected: &protected,
        iv: b64::encode_url(&nonce),
        ciphertext: b64::encode_url(&buffer),
        tag: b64::encode_url(tag),
    })
    .map_err(|_| EnvelopeError::Encrypt("serialising the envelope"))
}

/// The recipient keys (`kid`s) of an envelope, in order, without decrypting anything: lets a
/// shared inbound listener hand the envelope to the holder that owns one of them.
pub fn recipient_keys(envelope: &[u8]) -> Result<Vec<VerKey>, EnvelopeError> {
    Ok(Parsed::read(envelope)?
        .recipients
        .into_iter()
        .map(|r| r.kid)
        .collect())
}

/// Opens an envelope with the first recipient key that `find_key` knows.
///
/// `find_key` is asked about each `kid` in order and returns our key pair for it, if we hold it.
pub fn unpack(
    envelope: &[u8],
    find_key: impl Fn(&VerKey) -> Option<KeyPair>,
) -> Result<Unpacked, EnvelopeError> {
    unpack_cached(envelope, find_key, &NoPairCache)
}

/// [`unpack`], taking the crypto_box key of (our key, sender) from `pairs` when it is there,
/// and leaving it there for the next message of the pair.
pub fn unpack_cached(
    envelope: &[u8],
    find_key: impl Fn(&VerKey) -> Option<KeyPair>,
    pairs: &impl PairCache,
) -> Result<Unpacked, EnvelopeError> {
    let parsed = Parsed::read(envelope)?;
    let (recipient, ours) = parsed
        .recipients
        .iter()
        .find_map(|r| find_key(&r.kid).map(|pair| (r, pair)))
        .ok_or_else(|| EnvelopeError::NoKeyForRecipients {
            kids: parsed
                .recipients
                .iter()
                .map(|r| r.kid_text.clone())
                .collect(),
        })?;
    let kid = || recipient.kid_text.clone();
    let our_x = ours.to_x25519();

    let (cek, sender) = match &recipient.sender {
        Some((sealed_sender, box_nonce)) => {
            let sender_bytes = our_x
                .unseal(sealed_sender)
                .map_err(|_| EnvelopeError::SenderNotDecryptable { kid: kid() })?;
            let sender_text =
                std::str::from_utf8(&sender_bytes).map_err(|_| EnvelopeError::SenderNotVerKey {
                    kid: kid(),
                    reason: "not UTF-8".into(),
                })?;
            let sender =
                VerKey::from_base58(sender_text).map_err(|e| EnvelopeError::SenderNotVerKey {
                    kid: kid(),
                    reason: e.to_string(),
                })?;
            let pair = pairs
                .get(&recipient.kid, &sender)
                .unwrap_or_else(|| PairKey::new(&ours, &sender));
            let cek = pair
                .shared
                .decrypt(box_nonce.into(), recipient.encrypted_key.as_slice())
                .map_err(|_| EnvelopeError::CekNotDecryptable { kid: kid() })?;
            // Kept only once it has opened something: a forged sender key gets no cache slot.
            pairs.put(pair);
            (Zeroizing::new(cek), Some(sender))
        }
        None => {
            if parsed.authcrypt {
                return Err(EnvelopeError::AuthcryptWithoutSender { kid: kid() });
            }
            let cek = our_x
                .unseal(&recipient.encrypted_key)
                .map_err(|_| EnvelopeError::CekNotDecryptable { kid: kid() })?;
            (Zeroizing::new(cek), None)
        }
    };
    let cek: &[u8; CEK_LEN] =
        cek.as_slice()
            .try_into()
            .map_err(|_| EnvelopeError::WrongLength {
                field: format!("decrypted encrypted_key for {}", kid()),
                expected: "32",
                got: cek.len(),
            })?;

    let mut buffer = parsed.ciphertext;
    let aad = parsed.protected.as_bytes();
    let tag = (&parsed.tag).into();
    match &parsed.iv {
        ContentNonce::XChaCha(nonce) => XChaCha20Poly1305::new(cek.into())
            .decrypt_in_place_detached(nonce.into(), aad, &mut buffer, tag),
        ContentNonce::ChaCha(nonce) => ChaCha20Poly1305::new(cek.into()).decrypt_in_place_detached(
            nonce.into(),
            aad,
            &mut buffer,
            tag,
        ),
    }
    .map_err(|_| EnvelopeError::ContentAuthentication)?;

    Ok(Unpacked {
        message: buffer,
        recipient: recipient.kid,
        sender,
    })
}

/// One entry of `recipients`, decoded but not decrypted.
struct ParsedRecipient {
    kid: VerKey,
    /// The `kid` as the peer wrote it, for error messages.
    kid_text: String,
    encrypted_key: Vec<u8>,
    /// Authcrypt only: (sealed sender verkey, 24-byte crypto_box nonce).
    sender: Option<(Vec<u8>, [u8; BOX_NONCE_LEN])>,
}

/// The content nonce: 24 bytes means XChaCha20-Poly1305, 12 bytes ChaCha20-Poly1305-IETF.
enum ContentNonce {
    XChaCha([u8; XCHACHA_NONCE_LEN]),
    ChaCha([u8; CHACHA_NONCE_LEN]),
}

/// An envelope whose structure has been checked; nothing decrypted yet.
struct Parsed {
    /// The `protected` string exactly as received: it is the AAD.
    protected: String,
    authcrypt: bool,
    recipients: Vec<ParsedRecipient>,
    /// The content nonce; its length picks the cipher.
    iv: ContentNonce,
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl Parsed {
    fn read(envelope: &[u8]) -> Result<Self, EnvelopeError> {
        let value: Value =
            serde_json::from_slice(envelope).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        let outer = value.as_object().ok_or(EnvelopeError::NotObject)?;

        let protected = str_field(outer, "protected", "protected")?.to_string();
        let header_bytes = decode(&protected, "protected")?;
        let header: Value = serde_json::from_slice(&header_bytes)
            .map_err(|e| EnvelopeError::ProtectedNotJson(e.to_string()))?;
        let header = header
            .as_object()
            .ok_or_else(|| EnvelopeError::ProtectedNotJson("not an object".into()))?;

        let authcrypt = match str_field(header, "alg", "protected.alg")? {
            ALG_AUTH => true,
            ALG_ANON => false,
            other => return Err(EnvelopeError::UnknownAlg(other.to_string())),
        };
        // `xchacha20poly1305_ietf` admits a 12-byte nonce too (ACA-Py's legacy wallet writes
        // that; see the module docs); `chacha20poly1305_ietf` only 12 bytes.
        let xchacha_label = match str_field(header, "enc", "protected.enc")? {
            ENC_XCHACHA => true,
            ENC_CHACHA => false,
            other => return Err(EnvelopeError::UnknownEnc(other.to_string())),
        };

        let list = header
            .get("recipients")
            .ok_or_else(|| EnvelopeError::MissingField("protected.recipients".into()))?
            .as_array()
            .ok_or_else(|| EnvelopeError::WrongType {
                field: "protected.recipients".into(),
                expected: "array",
            })?;
        if list.is_empty() {
            return Err(EnvelopeError::NoRecipients);
        }
        let mut recipients: Vec<ParsedRecipient> = Vec::with_capacity(list.len());
        for (i, entry) in list.iter().enumerate() {
            let recipient = read_recipient(i, entry)?;
            if recipients.iter().any(|r| r.kid == recipient.kid) {
                return Err(EnvelopeError::DuplicateKid(recipient.kid_text));
            }
            recipients.push(recipient);
        }

        let iv_bytes = decode(str_field(outer, "iv", "iv")?, "iv")?;
        let iv_len = iv_bytes.len();
        let iv = match (iv_bytes.len(), xchacha_label) {
            (XCHACHA_NONCE_LEN, true) => iv_bytes.try_into().map(ContentNonce::XChaCha).ok(),
            (CHACHA_NONCE_LEN, _) => iv_bytes.try_into().map(ContentNonce::ChaCha).ok(),
            _ => None,
        }
        .ok_or_else(|| EnvelopeError::WrongLength {
            field: "iv".into(),
            expected: if xchacha_label { "24 (or 12)" } else { "12" },
            got: iv_len,
        })?;
        let ciphertext = decode(str_field(outer, "ciphertext", "ciphertext")?, "ciphertext")?;
        let tag = decode(str_field(outer, "tag", "tag")?, "tag")?;
        let tag_len = tag.len();
        let tag = tag.try_into().map_err(|_| EnvelopeError::WrongLength {
            field: "tag".into(),
            expected: "16",
            got: tag_len,
        })?;
        Ok(Self {
            protected,
            authcrypt,
            recipients,
            iv,
            ciphertext,
            tag,
        })
    }
}

fn read_recipient(i: usize, entry: &Value) -> Result<ParsedRecipient, EnvelopeError> {
    let at = |name: &str| format!("protected.recipients[{i}].{name}");
    let entry = entry.as_object().ok_or_else(|| EnvelopeError::WrongType {
        field: format!("protected.recipients[{i}]"),
        expected: "object",
    })?;
    let encrypted_key = decode(
        str_field(entry, "encrypted_key", &at("encrypted_key"))?,
        &at("encrypted_key"),
    )?;
    let header = entry
        .get("header")
        .ok_or_else(|| EnvelopeError::MissingField(at("header")))?
        .as_object()
        .ok_or_else(|| EnvelopeError::WrongType {
            field: at("header"),
            expected: "object",
        })?;
    let kid_text = str_field(header, "kid", &at("header.kid"))?.to_string();
    let kid = VerKey::parse(&kid_text).map_err(|e| EnvelopeError::BadKid {
        kid: kid_text.clone(),
        reason: e.to_string(),
    })?;

    let sender = optional_str(header, "sender", &at("header.sender"))?;
    let box_iv = optional_str(header, "iv", &at("header.iv"))?;
    // Like ACA-Py: `sender` and `iv` come together (Authcrypt) or not at all (Anoncrypt). As in
    // ACA-Py, their presence (not `alg`) decides how the key is opened; `alg: Authcrypt` without
    // them is refused in `unpack`.
    let sender = match (sender, box_iv) {
        (Some(sender), Some(box_iv)) => {
            let sealed = decode(sender, &at("header.sender"))?;
            let nonce = decode(box_iv, &at("header.iv"))?;
            let nonce: [u8; BOX_NONCE_LEN] =
                nonce
                    .as_slice()
                    .try_into()
                    .map_err(|_| EnvelopeError::WrongLength {
                        field: at("header.iv"),
                        expected: "24",
                        got: nonce.len(),
                    })?;
            Some((sealed, nonce))
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(EnvelopeError::IncompleteSenderHeader {
                kid: kid_text,
                present: "sender",
                missing: "iv",
            })
        }
        (None, Some(_)) => {
            return Err(EnvelopeError::IncompleteSenderHeader {
                kid: kid_text,
                present: "iv",
                missing: "sender",
            })
        }
    };
    Ok(ParsedRecipient {
        kid,
        kid_text,
        encrypted_key,
        sender,
    })
}

/// A required string member; `path` is how errors name it.
fn str_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, EnvelopeError> {
    optional_str(object, key, path)?.ok_or_else(|| EnvelopeError::MissingField(path.into()))
}

/// An optional string member; `null` counts as absent (some JSON writers emit it).
fn optional_str<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, EnvelopeError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EnvelopeError::WrongType {
            field: path.into(),
            expected: "string",
        }),
    }
}

fn decode(text: &str, field: &str) -> Result<Vec<u8>, EnvelopeError> {
    b64::decode_any(text).map_err(|_| EnvelopeError::BadBase64 {
        field: field.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembers every pair put, and counts the hits.
    #[derive(Default)]
    struct Remember {
        pairs: std::sync::Mutex<Vec<PairKey>>,
        hits: std::sync::atomic::AtomicUsize,
    }

    impl PairCache for Remember {
        fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey> {
            let found = self
                .pairs
                .lock()
                .unwrap()
                .iter()
                .find(|p| p.ours == *ours && p.theirs == *theirs)
                .cloned();
            if found.is_some() {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            found
        }
        fn put(&self, pair: PairKey) {
            let mut pairs = self.pairs.lock().unwrap();
            pairs.retain(|p| !(p.ours == pair.ours && p.theirs == pair.theirs));
            pairs.push(pair);
        }
    }

    #[test]
    fn pair_keys_make_the_same_envelopes_as_fresh_keys() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let pair = PairKey::new(&alice, &bob.verkey());
        let find_bob = |kid: &VerKey| (*kid == bob.verkey()).then(|| bob.clone());
        let cache = Remember::default();
        for i in 0..3 {
            let message = format!("message {i}");
            let envelope = pack_for_pair(message.as_bytes(), &alice, &pair).unwrap();
            // Readable without any cache (as a peer reads it) and with one.
            let plain = unpack(&envelope, find_bob).unwrap();
            let cached = unpack_cached(&envelope, find_bob, &cache).unwrap();
            assert_eq!(plain.message, message.as_bytes());
            assert_eq!(cached.message, message.as_bytes());
            assert_eq!(cached.sender, Some(alice.verkey()));
        }
        assert_eq!(
            cache.hits.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "the first message computes the pair, the next ones reuse it"
        );
        // The sealed sender is made once per pair; the content key, its box nonce and the
        // content nonce are fresh per message.
        let headers = |envelope: &[u8]| {
            let outer: Value = serde_json::from_slice(envelope).unwrap();
            let protected = b64::decode_any(outer["protected"].as_str().unwrap()).unwrap();
            let inner: Value = serde_json::from_slice(&protected).unwrap();
            (inner["recipients"][0].clone(), outer["iv"].clone())
        };
        let (first, first_iv) = headers(&pack_for_pair(b"a", &alice, &pair).unwrap());
        let (second, second_iv) = headers(&pack_for_pair(b"b", &alice, &pair).unwrap());
        assert_eq!(first["header"]["sender"], second["header"]["sender"]);
        assert_ne!(first["header"]["iv"], second["header"]["iv"]);
        assert_ne!(first["encrypted_key"], second["encrypted_key"]);
        assert_ne!(first_iv, second_iv);
        let carol = KeyPair::generate();
        assert!(
            pack_for_pair(b"x", &carol, &pair).is_err(),
            "another sender's pair"
        );
    }

    #[test]
    fn a_tampered_envelope_is_refused_with_a_cached_pair() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let find_bob = |kid: &VerKey| (*kid == bob.verkey()).then(|| bob.clone());
        let cache = Remember::default();
        let envelope = pack(b"first", &[bob.verkey()], Some(&alice)).unwrap();
        unpack_cached(&envelope, find_bob, &cache).unwrap();
        let mut value: Value = serde_json::from_slice(&envelope).unwrap();
        value["ciphertext"] = Value::String(b64::encode_url(b"tampered!"));
        let tampered = serde_json::to_vec(&value).unwrap();
        assert!(unpack_cached(&tampered, find_bob, &cache).is_err());
    }

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

    #[test]
    fn header_looks_like_acapy() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let packed = pack(b"x", &[bob.verkey()], Some(&alice)).unwrap();
        let outer: Value = serde_json::from_slice(&packed).unwrap();
        let protected = outer["protected"].as_str().unwrap();
        assert!(!protected.contains('='), "writes unpadded base64url");
        let header = String::from_utf8(b64::decode_any(protected).unwrap()).unwrap();
        assert!(
            header.starts_with(r#"{"enc":"xchacha20poly1305_ietf","typ":"JWM/1.0","alg":"Authcrypt","recipients":[{"encrypted_key":"#),
            "{header}"
        );
        let header: Value = serde_json::from_str(&header).unwrap();
        let h = &header["recipients"][0]["header"];
        assert_eq!(h["kid"], bob.verkey().to_base58());
        assert_eq!(
            b64::decode_any(h["iv"].as_str().unwrap()).unwrap().len(),
            24
        );
        // 32-byte cek + 16-byte tag.
        let ek = header["recipients"][0]["encrypted_key"].as_str().unwrap();
        assert_eq!(b64::decode_any(ek).unwrap().len(), 48);
        assert_eq!(
            b64::decode_any(outer["tag"].as_str().unwrap())
                .unwrap()
                .len(),
            16
        );
    }

    #[test]
    fn packing_for_nobody_is_an_error() {
        assert_eq!(
            pack(b"x", &[], None).unwrap_err(),
            EnvelopeError::NoRecipientsToPack
        );
    }
}
