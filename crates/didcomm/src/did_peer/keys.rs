//! The keys of a DID document's verification methods, in whatever form a document writes them,
//! and the multikey form we write ours in. Below `document` and the numalgos: it must not
//! depend on them.

use serde_json::{Map, Value};

use super::*;
use crate::b64;
use crate::keys::VerKey;

/// Reads one verification method. Its key may be unreadable (another key type, a malformed
/// value): that is an error only for a reference that resolves to it.
///
/// Forms: `publicKeyMultibase` (Multikey, Ed25519VerificationKey2020,
/// X25519KeyAgreementKey2020), `publicKeyBase58` (the 2018/2019 suites; the type tells whether
/// the raw bytes are Ed25519 or X25519), `publicKeyJwk` (JsonWebKey2020: OKP Ed25519 / X25519).
pub(super) fn read_method(vm: &Map<String, Value>) -> Method {
    let id = vm
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let is_x25519 = vm
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("X25519"));
    if let Some(mb) = vm.get("publicKeyMultibase").and_then(Value::as_str) {
        return Method {
            id,
            multibase: Some(mb.into()),
            key: decode_multikey(mb).map_err(|r| format!("publicKeyMultibase {mb:?}: {r}")),
        };
    }
    let key = if let Some(b58) = vm.get("publicKeyBase58").and_then(Value::as_str) {
        decode_base58_key(b58, is_x25519).map_err(|r| format!("publicKeyBase58 {b58:?}: {r}"))
    } else if let Some(jwk) = vm.get("publicKeyJwk") {
        decode_jwk(jwk).map_err(|r| format!("publicKeyJwk: {r}"))
    } else {
        Err(
            "the verification method has none of publicKeyBase58, publicKeyMultibase, publicKeyJwk"
                .into(),
        )
    };
    Method {
        id,
        multibase: None,
        key,
    }
}

fn decode_base58_key(b58: &str, is_x25519: bool) -> Result<Key, String> {
    if !is_x25519 {
        return VerKey::from_base58(b58)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string());
    }
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| "not valid base58".to_string())?;
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an X25519 key has 32 bytes".to_string())?;
    Ok(Key::X25519(raw))
}

/// An OKP JWK: `crv` Ed25519 or X25519, `x` the base64url key.
fn decode_jwk(jwk: &Value) -> Result<Key, String> {
    let kty = jwk.get("kty").and_then(Value::as_str);
    let crv = jwk.get("crv").and_then(Value::as_str);
    if kty != Some("OKP") {
        return Err(format!("kty {kty:?} is not OKP"));
    }
    let raw: [u8; 32] = jwk
        .get("x")
        .and_then(Value::as_str)
        .and_then(|x| b64::decode_any(x).ok())
        .and_then(|x| x.try_into().ok())
        .ok_or("x is not a 32-byte base64url key")?;
    match crv {
        Some("Ed25519") => VerKey::from_bytes(raw)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string()),
        Some("X25519") => Ok(Key::X25519(raw)),
        other => Err(format!("crv {other:?} is neither Ed25519 nor X25519")),
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Key {
    Ed25519(VerKey),
    X25519([u8; 32]),
}

/// A verification method: its id as written (`#key-1`, or absolute) and its key, or why it
/// cannot be read.
pub(super) struct Method {
    pub(super) id: String,
    /// The multibase value, for the legacy `#6Mk…` style of reference.
    pub(super) multibase: Option<String>,
    pub(super) key: Result<Key, String>,
}

pub(super) fn multibase_key(codec: &[u8; 2], key: &[u8; 32]) -> String {
    let mut bytes = codec.to_vec();
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Reads a multibase multikey: `z6Mk…` (Ed25519) or `z6LS…` (X25519).
pub(super) fn decode_multikey(multibase: &str) -> Result<Key, String> {
    let b58 = multibase
        .strip_prefix('z')
        .ok_or("only base58btc multibase ('z') is supported")?;
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| "not valid base58".to_string())?;
    let (codec, raw) = bytes.split_at(bytes.len().min(2));
    let raw: [u8; 32] = raw.try_into().map_err(|_| {
        format!(
            "key has {} bytes after the multicodec, expected 32",
            raw.len()
        )
    })?;
    if codec == ED25519_PUB {
        VerKey::from_bytes(raw)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string())
    } else if codec == X25519_PUB {
        Ok(Key::X25519(raw))
    } else {
        Err(format!(
            "multicodec {codec:02x?} is neither Ed25519 (ed01) nor X25519 (ec01)"
        ))
    }
}
