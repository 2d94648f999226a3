//! Unpacking: read an envelope from anyone (strictly: every field checked, every failure a typed
//! error), find the recipient entry for one of our keys, open the content key and the content.
//! Beside `pack`, on `pair`: it must not depend on `pack`.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use crypto_box::aead::Aead;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::*;
use crate::b64;
use crate::keys::{KeyPair, VerKey};

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

    let (cek, sender) = match &recipient.sender {
        Some((sealed_sender, box_nonce)) => {
            let pair = match pairs.get_sealed(&recipient.kid, sealed_sender) {
                Some(pair) => pair,
                None => {
                    let sender = open_sealed_sender(&ours, sealed_sender, &kid)?;
                    pairs
                        .get(&recipient.kid, &sender)
                        .unwrap_or_else(|| PairKey::new(&ours, &sender))
                        .with_sealed_by_them(sealed_sender)
                }
            };
            let cek = pair
                .shared
                .decrypt(box_nonce.into(), recipient.encrypted_key.as_slice())
                .map_err(|_| EnvelopeError::CekNotDecryptable { kid: kid() })?;
            let sender = pair.theirs();
            // Kept only once it has opened something: a forged sender key gets no cache slot.
            pairs.put(pair);
            (Zeroizing::new(cek), Some(sender))
        }
        None => {
            if parsed.authcrypt {
                return Err(EnvelopeError::AuthcryptWithoutSender { kid: kid() });
            }
            let cek = ours
                .to_x25519()
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

/// The sender's verkey, sealed to our key in an authcrypt recipient header.
fn open_sealed_sender(
    ours: &KeyPair,
    sealed_sender: &[u8],
    kid: &impl Fn() -> String,
) -> Result<VerKey, EnvelopeError> {
    let sender_bytes = ours
        .to_x25519()
        .unseal(sealed_sender)
        .map_err(|_| EnvelopeError::SenderNotDecryptable { kid: kid() })?;
    let sender_text =
        std::str::from_utf8(&sender_bytes).map_err(|_| EnvelopeError::SenderNotVerKey {
            kid: kid(),
            reason: "not UTF-8".into(),
        })?;
    VerKey::from_base58(sender_text).map_err(|e| EnvelopeError::SenderNotVerKey {
        kid: kid(),
        reason: e.to_string(),
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
    let at = |name: &'static str| RecipientField { index: i, name };
    let entry = entry.as_object().ok_or_else(|| EnvelopeError::WrongType {
        field: format!("protected.recipients[{i}]"),
        expected: "object",
    })?;
    let encrypted_key = decode(
        str_field(entry, "encrypted_key", at("encrypted_key"))?,
        at("encrypted_key"),
    )?;
    let header = entry
        .get("header")
        .ok_or_else(|| EnvelopeError::MissingField(at("header").to_string()))?
        .as_object()
        .ok_or_else(|| EnvelopeError::WrongType {
            field: at("header").to_string(),
            expected: "object",
        })?;
    let kid_text = str_field(header, "kid", at("header.kid"))?.to_string();
    let kid = VerKey::parse(&kid_text).map_err(|e| EnvelopeError::BadKid {
        kid: kid_text.clone(),
        reason: e.to_string(),
    })?;

    let sender = optional_str(header, "sender", at("header.sender"))?;
    let box_iv = optional_str(header, "iv", at("header.iv"))?;
    // Like ACA-Py: `sender` and `iv` come together (Authcrypt) or not at all (Anoncrypt). As in
    // ACA-Py, their presence (not `alg`) decides how the key is opened; `alg: Authcrypt` without
    // them is refused in `unpack`.
    let sender = match (sender, box_iv) {
        (Some(sender), Some(box_iv)) => {
            let sealed = decode(sender, at("header.sender"))?;
            let nonce = decode(box_iv, at("header.iv"))?;
            let nonce: [u8; BOX_NONCE_LEN] =
                nonce
                    .as_slice()
                    .try_into()
                    .map_err(|_| EnvelopeError::WrongLength {
                        field: at("header.iv").to_string(),
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

/// How errors name a member of a recipient entry: `protected.recipients[0].header.kid`. Only
/// written out when an error is made: every inbound message reads these members, and a
/// well-formed one should not pay for the names of errors it does not have.
#[derive(Clone, Copy)]
struct RecipientField {
    index: usize,
    name: &'static str,
}

impl std::fmt::Display for RecipientField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "protected.recipients[{}].{}", self.index, self.name)
    }
}

/// A required string member; `path` is how errors name it.
fn str_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: impl std::fmt::Display + Copy,
) -> Result<&'a str, EnvelopeError> {
    optional_str(object, key, path)?.ok_or_else(|| EnvelopeError::MissingField(path.to_string()))
}

/// An optional string member; `null` counts as absent (some JSON writers emit it).
fn optional_str<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: impl std::fmt::Display,
) -> Result<Option<&'a str>, EnvelopeError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EnvelopeError::WrongType {
            field: path.to_string(),
            expected: "string",
        }),
    }
}

fn decode(text: &str, field: impl std::fmt::Display) -> Result<Vec<u8>, EnvelopeError> {
    b64::decode_any(text).map_err(|_| EnvelopeError::BadBase64 {
        field: field.to_string(),
    })
}
