//! Packing: Authcrypt or Anoncrypt a message for its recipients, with a fresh content key, in the
//! layout (and key order) ACA-Py writes. Beside `unpack`, on `pair`: it must not depend on
//! `unpack`.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use crypto_box::aead::Aead;
use crypto_box::SalsaBox;
use rand::RngCore;
use serde::Serialize;
use zeroize::Zeroizing;

use super::*;
use crate::b64;
use crate::keys::{KeyPair, SealKey, VerKey};

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
            kid: pair.theirs.base58().to_string(),
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
        let to = SealKey::new(recipient);
        let entry = match &sender_parts {
            Some((sender_b58, sender_x)) => {
                let sealed_sender = to
                    .x25519()
                    .seal(&mut rand::thread_rng(), sender_b58.as_bytes())
                    .map_err(|_| EnvelopeError::Encrypt("sealing the sender verkey"))?;
                let (encrypted_key, iv) =
                    box_content_key(&cek, &SalsaBox::new(to.x25519(), sender_x))?;
                RecipientOut {
                    encrypted_key,
                    header: HeaderOut {
                        kid: to.base58().to_string(),
                        sender: Some(b64::encode_url(sealed_sender)),
                        iv: Some(iv),
                    },
                }
            }
            None => anon_entry(&cek, &to)?,
        };
        entries.push(entry);
    }
    seal_content(message, &cek, sender.is_some(), entries, enc)
}

/// Anoncrypt for one recipient whose key is prepared ([`SealKey`]): the envelope [`pack`]
/// makes for `[to.verkey()]` without a sender, without converting the key again.
pub fn pack_anon(message: &[u8], to: &SealKey) -> Result<Vec<u8>, EnvelopeError> {
    let cek = content_key();
    let entry = anon_entry(&cek, to)?;
    seal_content(message, &cek, false, vec![entry], ContentEnc::default())
}

/// Anoncrypt's recipient entry: the content key sealed to the recipient, and its `kid`.
fn anon_entry(cek: &[u8; CEK_LEN], to: &SealKey) -> Result<RecipientOut, EnvelopeError> {
    let encrypted_key = to
        .x25519()
        .seal(&mut rand::thread_rng(), cek.as_slice())
        .map_err(|_| EnvelopeError::Encrypt("sealing the content key"))?;
    Ok(RecipientOut {
        encrypted_key: b64::encode_url(encrypted_key),
        header: HeaderOut {
            kid: to.base58().to_string(),
            sender: None,
            iv: None,
        },
    })
}

/// A fresh content encryption key.
///
/// Per-message randomness here (content keys, nonces, the forwards' ephemeral keys) comes from
/// the thread's CSPRNG (ChaCha, seeded and reseeded from the operating system), not a system
/// call each: a relayed message needs several random values.
fn content_key() -> Zeroizing<[u8; CEK_LEN]> {
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    rand::thread_rng().fill_bytes(cek.as_mut());
    cek
}

/// Authcrypt's `encrypted_key` and its `iv`, both base64url: the content key in a crypto_box
/// of the pair.
fn box_content_key(
    cek: &[u8; CEK_LEN],
    shared: &SalsaBox,
) -> Result<(String, String), EnvelopeError> {
    let mut nonce = [0u8; BOX_NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
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
    rand::thread_rng().fill_bytes(&mut nonce);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

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
