//! Forward wrapping through mediators (Aries RFC 0094 / 0046, `routing/1.0/forward`).
//!
//! A message for a recipient behind mediators is packed for the recipient, then, for each routing
//! key in turn, put in a forward message and anoncrypt-packed for that routing key:
//!
//! ```text
//! {"@type": "https://didcomm.org/routing/1.0/forward", "@id": "…", "to": "<next key>", "msg": {…envelope…}}
//! ```
//!
//! Order, as ACA-Py's `V1PackWireFormat.pack` does it: with routing keys `[K1, K2]` the recipient
//! envelope goes into `forward(to = R)` packed for K1, and that into `forward(to = K1)` packed
//! for K2. So the *last* routing key is the outermost layer: the agent the sender talks to
//! (the service endpoint). `routing_keys[0]` is the mediator closest to the recipient.
//!
//! `to` is written as raw base58 by default, as ACA-Py does; ACA-Py's mediator normalises the
//! keys it routes for to raw base58 and looks `to` up by exact string, while Credo accepts both.
//! [`wrap_for_routing_to`] lets the caller write the innermost `to` as it was given (for example
//! a `did:key`), for a mediator that registered the key in that form.

use serde_json::{json, Value};
use thiserror::Error;

use crate::envelope::{pack_anon, EnvelopeError};
use crate::keys::{SealKey, VerKey};

/// The forward message type, in the `https://didcomm.org/` form every current mediator accepts.
pub const FORWARD_TYPE: &str = "https://didcomm.org/routing/1.0/forward";
const LEGACY_FORWARD_TYPE: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward";

/// Wraps an envelope packed for `recipient` in one forward layer per routing key (see the module
/// docs for the order). With no routing keys the envelope is returned as it is.
pub fn wrap_for_routing(
    packed: Vec<u8>,
    recipient: &VerKey,
    routing_keys: &[VerKey],
) -> Result<Vec<u8>, EnvelopeError> {
    wrap_for_routing_to(packed, &recipient.to_base58(), routing_keys)
}

/// [`wrap_for_routing`], writing the innermost `to` exactly as `recipient` is given (raw base58
/// verkey or `did:key`). Outer layers name the previous routing key in raw base58.
pub fn wrap_for_routing_to(
    packed: Vec<u8>,
    recipient: &str,
    routing_keys: &[VerKey],
) -> Result<Vec<u8>, EnvelopeError> {
    let hops: Vec<SealKey> = routing_keys.iter().map(SealKey::new).collect();
    wrap_for_hops(packed, recipient, &hops)
}

/// [`wrap_for_routing_to`] with the routing keys already prepared: what a sender relaying many
/// messages through the same mediators calls.
pub fn wrap_for_hops(
    packed: Vec<u8>,
    recipient: &str,
    hops: &[SealKey],
) -> Result<Vec<u8>, EnvelopeError> {
    let mut message = packed;
    let mut to = recipient;
    for hop in hops {
        let forward = forward_message(to, &message)?;
        // Forwards are always anoncrypt: a mediator must not learn who sent the message.
        message = pack_anon(&forward, hop)?;
        to = hop.base58();
    }
    Ok(message)
}

/// The plaintext forward message asking the next hop to pass `envelope` on to `to`.
///
/// `msg` is the envelope as a JSON object, not a string: what RFC 0094 and ACA-Py write. The
/// envelope's bytes go in as they are, after a check that they are one JSON object (a check that
/// builds nothing): parsing the envelope into a tree only to write it out again cost every
/// forward an allocation per field and a copy of its largest strings.
pub fn forward_message(to: &str, envelope: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let inner = envelope.trim_ascii();
    serde_json::from_slice::<serde::de::IgnoredAny>(inner)
        .map_err(|e| EnvelopeError::InnerNotJson(e.to_string()))?;
    if inner.first() != Some(&b'{') {
        return Err(EnvelopeError::InnerNotJson("not a JSON object".into()));
    }
    let head = json!({
        "@type": FORWARD_TYPE,
        "@id": uuid::Uuid::new_v4().to_string(),
        "to": to,
    });
    let mut message =
        serde_json::to_vec(&head).map_err(|_| EnvelopeError::Encrypt("serialising forward"))?;
    message.reserve(inner.len() + 8);
    // `head` is an object with fields, so it ends in `}`: replace that with `,"msg":{…}}`.
    message.pop();
    message.extend_from_slice(br#","msg":"#);
    message.extend_from_slice(inner);
    message.push(b'}');
    Ok(message)
}

/// A received forward message: what a mediator (or a test playing one) reads after unpacking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    pub id: Option<String>,
    /// The next key, as the sender wrote it.
    pub to: String,
    /// The inner envelope, serialised back to JSON bytes.
    pub msg: Vec<u8>,
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ForwardError {
    #[error("forward message is not JSON: {0}")]
    NotJson(String),
    #[error("not a forward message (@type {0:?})")]
    NotForward(String),
    #[error("forward message field {0:?} is missing or has the wrong type")]
    MissingField(&'static str),
}

/// Reads a plaintext forward message. `msg` may be an object (RFC 0094) or a JSON string
/// holding one (what some older agents wrote; ACA-Py accepts both).
pub fn parse_forward(plaintext: &[u8]) -> Result<Forward, ForwardError> {
    let value: Value =
        serde_json::from_slice(plaintext).map_err(|e| ForwardError::NotJson(e.to_string()))?;
    let message_type = value
        .get("@type")
        .and_then(Value::as_str)
        .ok_or(ForwardError::MissingField("@type"))?;
    if message_type != FORWARD_TYPE && message_type != LEGACY_FORWARD_TYPE {
        return Err(ForwardError::NotForward(message_type.to_string()));
    }
    let to = value
        .get("to")
        .and_then(Value::as_str)
        .ok_or(ForwardError::MissingField("to"))?
        .to_string();
    let msg = match value.get("msg") {
        Some(object @ Value::Object(_)) => object.to_string().into_bytes(),
        Some(Value::String(text)) => text.clone().into_bytes(),
        _ => return Err(ForwardError::MissingField("msg")),
    };
    Ok(Forward {
        id: value.get("@id").and_then(Value::as_str).map(str::to_string),
        to,
        msg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{pack, unpack};
    use crate::keys::KeyPair;

    #[test]
    fn last_routing_key_is_outermost_like_acapy() {
        let sender = KeyPair::generate();
        let recipient = KeyPair::generate();
        let near = KeyPair::generate(); // routing_keys[0]: the recipient's mediator
        let far = KeyPair::generate(); // routing_keys[1]: the endpoint the sender talks to
        let packed = pack(b"hi", &[recipient.verkey()], Some(&sender)).unwrap();
        let wire =
            wrap_for_routing(packed, &recipient.verkey(), &[near.verkey(), far.verkey()]).unwrap();

        let outer = unpack(&wire, |k| (*k == far.verkey()).then(|| far.clone())).unwrap();
        assert_eq!(outer.sender, None, "forwards are anoncrypt");
        let hop = parse_forward(&outer.message).unwrap();
        assert_eq!(hop.to, near.verkey().to_base58());

        let middle = unpack(&hop.msg, |k| (*k == near.verkey()).then(|| near.clone())).unwrap();
        let hop = parse_forward(&middle.message).unwrap();
        assert_eq!(hop.to, recipient.verkey().to_base58());

        let inner = unpack(&hop.msg, |k| {
            (*k == recipient.verkey()).then(|| recipient.clone())
        })
        .unwrap();
        assert_eq!(inner.message, b"hi");
        assert_eq!(inner.sender, Some(sender.verkey()));
    }

    #[test]
    fn to_can_be_written_as_did_key() {
        let recipient = KeyPair::generate();
        let mediator = KeyPair::generate();
        let did = recipient.verkey().to_did_key();
        let packed = pack(b"x", &[recipient.verkey()], None).unwrap();
        let wire = wrap_for_routing_to(packed, &did, &[mediator.verkey()]).unwrap();
        let outer = unpack(&wire, |_| Some(mediator.clone())).unwrap();
        assert_eq!(parse_forward(&outer.message).unwrap().to, did);
    }

    #[test]
    fn no_routing_keys_is_identity() {
        let r = KeyPair::generate();
        let packed = pack(b"x", &[r.verkey()], None).unwrap();
        assert_eq!(
            wrap_for_routing(packed.clone(), &r.verkey(), &[]).unwrap(),
            packed
        );
    }

    #[test]
    fn the_envelope_goes_in_as_an_object_and_only_an_object() {
        let envelope = br#" {"protected":"eyJ9","iv":"a","ciphertext":"b","tag":"c"} "#;
        let forward: Value =
            serde_json::from_slice(&forward_message("K", envelope).unwrap()).unwrap();
        assert_eq!(forward["@type"], FORWARD_TYPE);
        assert_eq!(forward["to"], "K");
        assert_eq!(forward["msg"]["ciphertext"], "b");
        assert!(forward["@id"].is_string());
        for bad in [&b"[1]"[..], b"\"text\"", b"{\"a\":1} trailing", b"{\"a\":"] {
            assert!(
                matches!(
                    forward_message("K", bad),
                    Err(EnvelopeError::InnerNotJson(_))
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bad_inputs_are_typed() {
        let key = KeyPair::generate().verkey();
        assert!(matches!(
            wrap_for_routing(b"nope".to_vec(), &key, &[key]),
            Err(EnvelopeError::InnerNotJson(_))
        ));
        assert!(matches!(parse_forward(b"{"), Err(ForwardError::NotJson(_))));
        assert_eq!(
            parse_forward(br#"{"@type":"https://didcomm.org/trust_ping/1.0/ping"}"#),
            Err(ForwardError::NotForward(
                "https://didcomm.org/trust_ping/1.0/ping".into()
            ))
        );
        assert_eq!(
            parse_forward(br#"{"@type":"https://didcomm.org/routing/1.0/forward","msg":{}}"#),
            Err(ForwardError::MissingField("to"))
        );
        let legacy = br#"{"@type":"did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/routing/1.0/forward","to":"a","msg":"{\"x\":1}"}"#;
        assert_eq!(parse_forward(legacy).unwrap().msg, br#"{"x":1}"#);
    }
}
