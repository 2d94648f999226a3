//! Signed attachments (`~attach` with `data.jws`), as DID Exchange uses them: the responder signs
//! its DID document (1.0) or its DID (1.1, `did_rotate~attach`) with the invitation key, so the
//! requester knows the answer comes from whoever published the invitation; a requester signs
//! the DID document it attaches with its own key.
//!
//! The JWS is detached (the payload is the attachment's `data.base64`) and comes in either JSON
//! serialization of RFC 7515:
//! - flattened (§7.2.2): `{"protected", "signature", "header"?}`: one signature, what ACA-Py and
//!   a Credo agent with one invitation key write;
//! - general (§7.2.1): `{"payload"?, "signatures": [{"protected", "signature", "header"?}, …]}`:
//!   what Credo writes when it signs once per invitation service (its default invitation has an
//!   http and a ws service, so two signatures, here by the same key).
//!
//! Each signature is over `protected + "." + payload`, where payload is the unpadded base64url of
//! the attached bytes (or the JWS's own `payload` when it carries one; it must decode to the same
//! bytes). The signer's Ed25519 key is the protected header's `jwk` (OKP; its `kid`, when a
//! did:key, must name the same key — Credo writes a key-store id there instead, which is not a
//! key name and is ignored), or else a `kid` that is a did:key (protected or unprotected header).
//! Every signature must verify; one that does not is a rejection that says which, never skipped.

use serde_json::{json, Map, Value};
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
    /// RFC 0017 allows `data.base64`, `data.json` or `data.links`; links are not fetched.
    #[error("attachment has neither data.base64 nor data.json ({0})")]
    NoInlineContent(&'static str),
    #[error("attachment is not signed (no data.jws)")]
    NotSigned,
    #[error("attachment JWS is malformed: {0}")]
    MalformedJws(String),
    #[error("attachment JWS signature {which} is malformed: {reason}")]
    MalformedSignature { which: String, reason: String },
    #[error("attachment JWS signature {which} (by {signer}) does not verify")]
    BadSignature { which: String, signer: String },
    #[error("attachment is signed by {signers}, expected {expected}")]
    WrongSigner { signers: String, expected: String },
}

/// What a verified signed attachment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBytes {
    /// The attached bytes (`data.base64`, decoded).
    pub bytes: Vec<u8>,
    /// The key of each signature, in the JWS's order (a key may sign more than once).
    pub signers: Vec<VerKey>,
}

/// A `~attach` object holding `bytes` as base64 and signed by `signer` (flattened JWS).
pub fn signed_attachment(bytes: &[u8], signer: &KeyPair) -> Value {
    signed_attachment_by(bytes, std::slice::from_ref(signer))
}

/// A `~attach` object holding `bytes` as base64, signed by each of `signers` in turn: one
/// signer gives the flattened JWS, more give the general serialization (as Credo builds it,
/// adding one signature at a time). Each signature's protected header carries the signer as an
/// OKP JWK whose `kid` is its did:key (ACA-Py reads `jwk`), and its unprotected header the same
/// did:key as `kid` (Credo reads that).
pub fn signed_attachment_by(bytes: &[u8], signers: &[KeyPair]) -> Value {
    let payload = b64::encode_url(bytes);
    let mut signatures: Vec<Value> = signers
        .iter()
        .map(|signer| jws_signature(&payload, signer))
        .collect();
    let jws = match signatures.len() {
        1 => signatures.remove(0),
        _ => json!({"signatures": signatures}),
    };
    json!({
        "@id": crate::message::new_id(),
        "mime-type": "application/json",
        "data": {"base64": b64::encode_std(bytes), "jws": jws},
    })
}

/// One detached signature `{header, protected, signature}` over `payload` (base64url).
fn jws_signature(payload: &str, signer: &KeyPair) -> Value {
    let verkey = signer.verkey();
    let did_key = verkey.to_did_key();
    let protected = b64::encode_url(
        json!({
            "alg": "EdDSA",
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64::encode_url(verkey.as_bytes()), "kid": did_key},
        })
        .to_string(),
    );
    let signature = signer.sign(format!("{protected}.{payload}").as_bytes());
    json!({"header": {"kid": did_key}, "protected": protected, "signature": b64::encode_url(signature)})
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

/// The content of an attachment carried inline, whichever way RFC 0017 allows: `data.base64`
/// decoded, or `data.json` serialized back to bytes (Credo attaches a delivered envelope as the
/// JSON object itself). Content only reachable by `data.links` is an error: fetching it would
/// be a request to wherever the sender points.
pub fn attachment_content(attachment: &Value) -> Result<Vec<u8>, AttachmentError> {
    let data = &attachment["data"];
    match (data.get("base64"), data.get("json")) {
        (Some(Value::String(text)), _) => {
            b64::decode_any(text).map_err(|_| AttachmentError::BadBase64)
        }
        (Some(_), _) => Err(AttachmentError::BadBase64),
        (None, Some(json)) if !json.is_null() => Ok(json.to_string().into_bytes()),
        _ if data.get("links").is_some() => Err(AttachmentError::NoInlineContent(
            "only data.links, which is not fetched",
        )),
        _ if data.is_object() => Err(AttachmentError::NoInlineContent("data holds neither")),
        _ => Err(AttachmentError::NoInlineContent("no data object")),
    }
}

/// Checks every signature of a signed attachment and returns the attached bytes and the signers.
/// With `expected_signer`, at least one signature must be by that key (the others must still
/// verify: a bad one is never ignored).
pub fn verify_signed_attachment(
    attachment: &Value,
    expected_signer: Option<&VerKey>,
) -> Result<SignedBytes, AttachmentError> {
    let bytes = attachment_bytes(attachment)?;
    let jws = attachment["data"]
        .get("jws")
        .ok_or(AttachmentError::NotSigned)?;
    let jws = jws
        .as_object()
        .ok_or_else(|| malformed("data.jws is not a JSON object"))?;
    let payload = signing_payload(jws, &bytes)?;

    // General serialization: a list of signatures; flattened: the object is the one signature.
    let entries: Vec<&Map<String, Value>> = match jws.get("signatures") {
        Some(Value::Array(list)) if list.is_empty() => {
            return Err(malformed("signatures is an empty list"))
        }
        Some(Value::Array(list)) => list
            .iter()
            .map(|s| {
                s.as_object()
                    .ok_or_else(|| malformed("a member of signatures is not a JSON object"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("signatures is not a list")),
        None => vec![jws],
    };
    let count = entries.len();
    let mut signers = Vec::with_capacity(count);
    for (index, entry) in entries.into_iter().enumerate() {
        let which = match count {
            1 => "1 of 1".to_string(),
            n => format!("{} of {n}", index + 1),
        };
        signers.push(verify_one(entry, &payload, &which)?);
    }
    if let Some(expected) = expected_signer {
        if !signers.contains(expected) {
            return Err(AttachmentError::WrongSigner {
                signers: signers
                    .iter()
                    .map(VerKey::to_base58)
                    .collect::<Vec<_>>()
                    .join(", "),
                expected: expected.to_base58(),
            });
        }
    }
    Ok(SignedBytes { bytes, signers })
}

fn malformed(reason: &str) -> AttachmentError {
    AttachmentError::MalformedJws(reason.to_string())
}

/// The payload part of the signing input: the JWS's own `payload` when it has one (it must
/// hold the attached bytes), else the unpadded base64url of the attached bytes.
fn signing_payload(jws: &Map<String, Value>, bytes: &[u8]) -> Result<String, AttachmentError> {
    match jws.get("payload") {
        None | Some(Value::Null) => Ok(b64::encode_url(bytes)),
        Some(Value::String(payload)) => match b64::decode_any(payload) {
            Ok(decoded) if decoded == bytes => Ok(payload.clone()),
            Ok(_) => Err(malformed("the JWS payload differs from data.base64")),
            Err(_) => Err(malformed("the JWS payload is not base64url")),
        },
        Some(_) => Err(malformed("the JWS payload is not a string")),
    }
}

/// Verifies one `{protected, signature, header?}` and returns its signer.
fn verify_one(
    entry: &Map<String, Value>,
    payload: &str,
    which: &str,
) -> Result<VerKey, AttachmentError> {
    let bad = |reason: String| AttachmentError::MalformedSignature {
        which: which.to_string(),
        reason,
    };
    let protected = entry
        .get("protected")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no protected header".into()))?;
    let signature = entry
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no signature".into()))?;
    let signature =
        b64::decode_any(signature).map_err(|_| bad("the signature is not base64url".into()))?;
    let header: Value = b64::decode_any(protected)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .filter(Value::is_object)
        .ok_or_else(|| bad("the protected header is not base64url of a JSON object".into()))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("EdDSA") => {}
        Some(other) => return Err(bad(format!("alg {other:?} is not EdDSA"))),
        None => return Err(bad("the protected header has no alg".into())),
    }
    let unprotected = entry.get("header").unwrap_or(&Value::Null);
    let signer = signer_key(&header, unprotected).map_err(bad)?;
    signer
        .verify(format!("{protected}.{payload}").as_bytes(), &signature)
        .map_err(|_| AttachmentError::BadSignature {
            which: which.to_string(),
            signer: signer.to_base58(),
        })?;
    Ok(signer)
}

/// The signer named by a signature's headers: the protected `jwk` if there is one, else a
/// did:key `kid`. Every did:key the headers give must name that same key.
fn signer_key(protected: &Value, unprotected: &Value) -> Result<VerKey, String> {
    let from_jwk = match protected.get("jwk") {
        None => None,
        Some(jwk) => Some(ed25519_jwk(jwk)?),
    };
    let kids = [
        ("protected kid", protected.get("kid")),
        ("jwk.kid", protected.get("jwk").and_then(|j| j.get("kid"))),
        ("header kid", unprotected.get("kid")),
    ];
    let mut named = None;
    for (place, kid) in kids {
        let Some(kid) = kid.and_then(Value::as_str) else {
            continue;
        };
        // Credo's jwk.kid is a key-store id, not a key name: only did:keys name keys.
        if !kid.starts_with("did:key:") {
            continue;
        }
        let key = crate::did_key::parse(kid).map_err(|e| format!("{place}: {e}"))?;
        match (from_jwk, named) {
            (Some(jwk), _) if jwk != key => {
                return Err(format!("{place} {kid} names another key than jwk.x"))
            }
            (None, Some(first)) if first != key => {
                return Err(format!(
                    "{place} {kid} names another key than the other kid"
                ))
            }
            _ => named = Some(key),
        }
    }
    from_jwk
        .or(named)
        .ok_or_else(|| "names no signer (neither a protected jwk nor a did:key kid)".to_string())
}

/// An OKP Ed25519 JWK's key.
fn ed25519_jwk(jwk: &Value) -> Result<VerKey, String> {
    let kty = jwk.get("kty").and_then(Value::as_str);
    let crv = jwk.get("crv").and_then(Value::as_str);
    if kty != Some("OKP") || crv != Some("Ed25519") {
        return Err(format!(
            "jwk is not an OKP Ed25519 key (kty {kty:?}, crv {crv:?})"
        ));
    }
    let x = jwk
        .get("x")
        .and_then(Value::as_str)
        .and_then(|x| b64::decode_any(x).ok())
        .and_then(|x| <[u8; 32]>::try_from(x.as_slice()).ok())
        .ok_or("jwk.x is not a 32-byte base64url key")?;
    VerKey::from_bytes(x).map_err(|e| format!("jwk.x: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let key = KeyPair::generate();
        let att = signed_attachment(b"{\"id\":\"did:sov:x\"}", &key);
        assert!(
            att["data"]["jws"]["signatures"].is_null(),
            "one signer: flattened"
        );
        let signed = verify_signed_attachment(&att, Some(&key.verkey())).unwrap();
        assert_eq!(signed.bytes, b"{\"id\":\"did:sov:x\"}");
        assert_eq!(signed.signers, vec![key.verkey()]);
    }

    #[test]
    fn two_signers_give_the_general_serialization() {
        let (a, b) = (KeyPair::generate(), KeyPair::generate());
        let att = signed_attachment_by(b"did:peer:2.x", &[a.clone(), b.clone()]);
        assert_eq!(
            att["data"]["jws"]["signatures"].as_array().unwrap().len(),
            2
        );
        let signed = verify_signed_attachment(&att, Some(&b.verkey())).unwrap();
        assert_eq!(signed.signers, vec![a.verkey(), b.verkey()]);
    }

    #[test]
    fn content_comes_from_base64_or_json() {
        let envelope = json!({"protected": "p", "iv": "i", "ciphertext": "c", "tag": "t"});
        let bytes = envelope.to_string().into_bytes();
        assert_eq!(attachment_content(&attachment(&bytes)).unwrap(), bytes);
        let as_json = json!({"@id": "a", "data": {"json": envelope}});
        let opened: Value = serde_json::from_slice(&attachment_content(&as_json).unwrap()).unwrap();
        assert_eq!(opened, envelope);
        assert_eq!(
            attachment_content(&json!({"data": {"links": ["https://x/y"]}})),
            Err(AttachmentError::NoInlineContent(
                "only data.links, which is not fetched"
            ))
        );
        assert!(matches!(
            attachment_content(&json!({"data": {"sha256": "00"}})),
            Err(AttachmentError::NoInlineContent(_))
        ));
        assert!(matches!(
            attachment_content(&json!({"@id": "x"})),
            Err(AttachmentError::NoInlineContent(_))
        ));
        assert_eq!(
            attachment_content(&json!({"data": {"base64": 7}})),
            Err(AttachmentError::BadBase64)
        );
        assert_eq!(
            attachment_content(&json!({"data": {"base64": "***"}})),
            Err(AttachmentError::BadBase64)
        );
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
            Err(AttachmentError::BadSignature {
                which: "1 of 1".into(),
                signer: key.verkey().to_base58()
            })
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
