//! `did:peer:2`: create ours for DID Exchange 1.1, and resolve one by decoding it.
//!
//! - `did:peer:2.Vz6Mk….Ez6LS….SeyJ…` — one `.`-separated element per key (purpose code + multibase
//!   multikey) or service (`S` + base64url of abbreviated JSON). Keys get the ids `#key-1`,
//!   `#key-2`, … in order of appearance; services without an id get `#service`, `#service-1`, …
//!   (what the `did-peer-2` library used by ACA-Py 0.12 does). Older agents name keys by their
//!   multibase value without the `z` (`#6MkqRY…`); references of that form resolve too.
//!
//! A numalgo on top of `document` and `keys`; no other module of `did_peer` may depend on it
//! but `mod.rs`, which picks the numalgo.

use serde_json::{json, Map, Value};

use super::document::{build_doc, Refs};
use super::keys::{decode_multikey, multibase_key, Method};
use super::*;
use crate::b64;
use crate::did_key;
use crate::keys::VerKey;

/// Builds our own `did:peer:2` for DID Exchange 1.1:
/// `did:peer:2.V{ed25519}.E{x25519}.S{service}`.
///
/// The shape follows what ACA-Py 0.12 creates itself (`BaseConnectionManager.create_did_peer_2`)
/// and so what its resolver and pydid's strict `DIDCommService` model accept: the Ed25519 key
/// comes first so that it is `#key-1`, the service is `did-communication` with
/// `recipientKeys: ["#key-1"]` and only the fields that model allows. The X25519 `E` key (the
/// same identity, converted) is what Credo and DIDComm v2 tooling look for in `keyAgreement`.
///
/// Routing keys are written as `did:key:z…#z…`: pydid refuses a DID URL without a fragment, and
/// ACA-Py dereferences each routing key as a verification method. A routing key we cannot read
/// as a key is kept verbatim.
pub fn create_peer2(auth: &VerKey, endpoint: &str, routing_keys: &[String]) -> String {
    let ed25519 = did_key::fingerprint(auth);
    let x25519 = multibase_key(&X25519_PUB, auth.to_x25519().as_bytes());
    let routing: Vec<String> = routing_keys
        .iter()
        .map(|k| match VerKey::parse(k) {
            Ok(key) => key.to_did_key_with_fragment(),
            Err(_) => k.clone(),
        })
        .collect();
    // Abbreviated keys (`t`, `s`, `r`) as the spec's "common string abbreviations" require.
    let service = json!({
        "id": "#didcomm-0",
        "t": DIDCOMM_V1,
        "priority": 0,
        "recipientKeys": ["#key-1"],
        "r": routing,
        "s": endpoint,
    });
    let service = b64::encode_url(service.to_string());
    format!("did:peer:2.V{ed25519}.E{x25519}.S{service}")
}

pub(super) fn parse_peer2(did: &str) -> Result<PeerDidDoc, PeerDidError> {
    let body = did.strip_prefix("did:peer:2").unwrap_or(did);
    let Some(elements) = body.strip_prefix('.') else {
        return Err(PeerDidError::BadElement {
            did: did.into(),
            element: body.chars().take(40).collect(),
            reason: "did:peer:2 must continue with '.' and an element".into(),
        });
    };
    let mut methods = Vec::new();
    let mut authentication = Vec::new();
    let mut agreement_refs = Vec::new();
    let mut raw_services = Vec::new();
    for element in elements.split('.') {
        let mut chars = element.chars();
        let purpose = chars.next();
        let value = chars.as_str();
        match purpose {
            Some('S') => {
                let service = decode_peer2_service(did, value)?;
                match service {
                    // Early numalgo 2 writers put several services in one element as an array.
                    Value::Array(items) => raw_services.extend(items),
                    other => raw_services.push(other),
                }
            }
            Some(code @ ('A' | 'E' | 'V' | 'I' | 'D')) => {
                let key = decode_multikey(value).map_err(|reason| PeerDidError::BadKey {
                    did: did.into(),
                    key: value.into(),
                    reason,
                })?;
                let id = format!("#key-{}", methods.len() + 1);
                match code {
                    'V' => authentication.push(id.clone()),
                    'E' => agreement_refs.push(id.clone()),
                    _ => {}
                }
                methods.push(Method {
                    id,
                    multibase: Some(value.to_string()),
                    key: Ok(key),
                });
            }
            _ => {
                return Err(PeerDidError::BadElement {
                    did: did.into(),
                    element: element.chars().take(40).collect(),
                    reason: "purpose code must be one of A, E, V, I, D, S".into(),
                })
            }
        }
    }
    // Services without an id are named as the did-peer-2 library names them.
    let mut unnamed = 0;
    for service in raw_services.iter_mut() {
        if let Value::Object(map) = service {
            if !map.contains_key("id") {
                let id = match unnamed {
                    0 => "#service".to_string(),
                    n => format!("#service-{n}"),
                };
                map.insert("id".into(), Value::String(id));
                unnamed += 1;
            }
        }
    }
    let refs = Refs {
        did,
        aliases: vec![did.to_string()],
        methods,
    };
    build_doc(&refs, &authentication, &agreement_refs, &raw_services)
}

/// Decodes an `S` element: base64url (padded or not) of abbreviated JSON.
fn decode_peer2_service(did: &str, value: &str) -> Result<Value, PeerDidError> {
    let bad = |reason: String| PeerDidError::BadElement {
        did: did.into(),
        element: format!("S{}", value.chars().take(40).collect::<String>()),
        reason,
    };
    let bytes =
        b64::decode_any(value).map_err(|e| bad(format!("service is not base64url: {e}")))?;
    let json: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("service is not JSON: {e}")))?;
    Ok(expand_abbreviations(json))
}

/// Undoes the did:peer:2 "common string abbreviations", recursively (a `DIDCommMessaging`
/// endpoint object abbreviates its `routingKeys` and `accept` too).
fn expand_abbreviations(value: Value) -> Value {
    fn expand_key(k: String) -> String {
        match k.as_str() {
            "t" => "type".into(),
            "s" => "serviceEndpoint".into(),
            "r" => "routingKeys".into(),
            "a" => "accept".into(),
            _ => k,
        }
    }
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (expand_key(k), expand_abbreviations(v)))
                .collect();
            if out.get("type").and_then(Value::as_str) == Some("dm") {
                out.insert("type".into(), Value::String(DIDCOMM_V2.into()));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(expand_abbreviations).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn created_peer2_resolves_to_the_same_keys_and_service() {
        let me = KeyPair::generate().verkey();
        let mediator = KeyPair::generate().verkey();
        let did = create_peer2(&me, "ws://localhost:4001", &[mediator.to_base58()]);
        assert!(did.starts_with("did:peer:2.Vz6Mk"), "{did}");
        let doc = parse(&did).unwrap();
        assert_eq!(doc.authentication, vec![me]);
        assert_eq!(doc.key_agreement, vec![*me.to_x25519().as_bytes()]);
        let service = doc.didcomm_v1_service().unwrap();
        assert_eq!(service.service_type, DIDCOMM_V1);
        assert_eq!(service.endpoint, "ws://localhost:4001");
        assert_eq!(service.recipient_keys, vec![me]);
        // Written in the fragment form ACA-Py can dereference.
        assert_eq!(
            service.routing_keys,
            vec![mediator.to_did_key_with_fragment()]
        );
        assert_eq!(service.resolve_routing_keys().unwrap(), vec![mediator]);
    }

    #[test]
    fn peer2_service_uses_only_unpadded_base64url() {
        // ACA-Py's regex for did:peer:2 allows only [A-Za-z0-9_-] in a service element.
        let me = KeyPair::generate().verkey();
        let did = create_peer2(&me, "https://example.org/a?b=c&d=~~~", &[]);
        let service = did.rsplit(".S").next().unwrap();
        assert!(service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
