//! Signed attachments (`~attach` with `data.jws`), as DID Exchange uses them: the responder signs
//! its DID document (1.0) or its DID (1.1, `did_rotate~attach`) with the invitation key, so the
//! requester knows the answer comes from whoever published the invitation.
//!
//! Format (what ACA-Py writes and checks): a detached JWS over `protected + "." + payload`, where
//! payload is the unpadded base64url of the attached bytes and `protected` carries the signer's
//! key as an OKP JWK whose `kid` is its did:key.

use serde_json::{json, Value};
use thiserror::Error;

use crate::b64;
use crate::keys::{KeyPair, VerKey};

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AttachmentError {
    #[error("attachment {0:?} is missing")]
    Missing(&'static str),
    #[error("attachment has no data.base64")]
    NoBase64,
    #[error("attachment data.base64 is not valid base64")]
    BadBase64,
    #[error("attachment is not signed (no data.jws)")]
    NotSigned,
    #[error("attachment JWS is malformed: {0}")]
    MalformedJws(&'static str),
    #[error("attachment signature does not verify")]
    BadSignature,
    #[error("attachment is signed by {signer}, expected {expected}")]
    WrongSigner { signer: String, expected: String },
}

/// A `~attach` object holding `bytes` as base64 and signed by `signer`.
pub fn signed_attachment(bytes: &[u8], signer: &KeyPair) -> Value {
    let verkey = signer.verkey();
    let did_key = verkey.to_did_key();
    let protected = b64::encode_url(
        json!({
            "alg": "EdDSA",
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64::encode_url(verkey.as_bytes()), "kid": did_key},
        })
        .to_string(),
    );
    let payload = b64::encode_url(bytes);
    let signature = signer.sign(format!("{protected}.{payload}").as_bytes());
    json!({
        "@id": crate::message::new_id(),
        "mime-type": "application/json",
        "data": {
            "base64": b64::encode_std(bytes),
            "jws": {"header": {"kid": did_key}, "protected": protected, "signature": b64::encode_url(signature)},
        },
    })
}

/// An unsigned `~attach` object holding `bytes` as base64.
pub fn attachment(bytes: &[u8]) -> Value {
    json!({
        "@id": crate::message::new_id(),
        "mime-type": "application/json",
        "data": {"base64": b64::encode_std(bytes)},
    })
}

/// The decoded bytes of an attachment's `data.base64`, signed or not.
pub fn attachment_bytes(attachment: &Value) -> Result<Vec<u8>, AttachmentError> {
    let data = attachment["data"]["base64"]
        .as_str()
        .ok_or(AttachmentError::NoBase64)?;
    b64::decode_any(data).map_err(|_| AttachmentError::BadBase64)
}

/// Checks the JWS of a signed attachment and returns the attached bytes and the signer.
/// With `expected_signer`, a valid signature by any other key is rejected.
pub fn verify_signed_attachment(
    attachment: &Value,
    expected_signer: Option<&VerKey>,
) -> Result<(Vec<u8>, VerKey), AttachmentError> {
    let bytes = attachment_bytes(attachment)?;
    let jws = attachment["data"]
        .get("jws")
        .ok_or(AttachmentError::NotSigned)?;
    let protected = jws["protected"]
        .as_str()
        .ok_or(AttachmentError::MalformedJws("no protected header"))?;
    let signature = jws["signature"]
        .as_str()
        .and_then(|s| b64::decode_any(s).ok())
        .ok_or(AttachmentError::MalformedJws("no signature"))?;
    let header: Value = b64::decode_any(protected)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(AttachmentError::MalformedJws(
            "protected header is not base64 JSON",
        ))?;
    let x = header["jwk"]["x"]
        .as_str()
        .and_then(|x| b64::decode_any(x).ok())
        .and_then(|x| <[u8; 32]>::try_from(x.as_slice()).ok())
        .ok_or(AttachmentError::MalformedJws("jwk.x is not a 32-byte key"))?;
    let signer =
        VerKey::from_bytes(x).map_err(|_| AttachmentError::MalformedJws("jwk.x is not a key"))?;
    let signing_input = format!("{protected}.{}", b64::encode_url(&bytes));
    signer
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| AttachmentError::BadSignature)?;
    if let Some(expected) = expected_signer {
        if *expected != signer {
            return Err(AttachmentError::WrongSigner {
                signer: signer.to_base58(),
                expected: expected.to_base58(),
            });
        }
    }
    Ok((bytes, signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let key = KeyPair::generate();
        let att = signed_attachment(b"{\"id\":\"did:sov:x\"}", &key);
        let (bytes, signer) = verify_signed_attachment(&att, Some(&key.verkey())).unwrap();
        assert_eq!(bytes, b"{\"id\":\"did:sov:x\"}");
        assert_eq!(signer, key.verkey());
    }

    #[test]
    fn tampered_or_foreign_attachments_fail() {
        let key = KeyPair::generate();
        let mut att = signed_attachment(b"payload", &key);
        let other = KeyPair::generate().verkey();
        assert!(matches!(
            verify_signed_attachment(&att, Some(&other)),
            Err(AttachmentError::WrongSigner { .. })
        ));
        att["data"]["base64"] = json!(b64::encode_std(b"payloaD"));
        assert_eq!(
            verify_signed_attachment(&att, None),
            Err(AttachmentError::BadSignature)
        );
        assert_eq!(
            verify_signed_attachment(&attachment(b"x"), None),
            Err(AttachmentError::NotSigned)
        );
        assert_eq!(
            verify_signed_attachment(&json!({"data": {}}), None),
            Err(AttachmentError::NoBase64)
        );
    }
}
