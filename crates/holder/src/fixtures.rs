//! Test fixtures for Pickup 2.0 deliveries, shared by the tests of `pickup`, `inbox` and `ws`:
//! a holder's inbox, envelopes for it, and deliveries carrying them as ACA-Py and Credo write
//! them. Test-only, and on top of everything it uses, so no module depends on it but tests.

use didcomm::attachment::attachment;
use didcomm::message::new_message;
use didcomm::KeyPair;
use serde_json::{json, Value};

use crate::inbox::Inbox;
use crate::keyring::KeyRing;

/// A holder's inbox and the key that mediated messages are encrypted for.
pub(crate) fn holder_inbox() -> (Inbox, KeyPair) {
    let key = KeyPair::generate();
    let keys = KeyRing::default();
    keys.add(key.clone());
    (Inbox::new(keys), key)
}

/// A basic message for `key`, packed as another agent would send it.
pub(crate) fn envelope_for(key: &KeyPair, content: &str) -> Vec<u8> {
    let message = new_message(
        "https://didcomm.org/basicmessage/1.0/message",
        json!({ "content": content }),
    );
    didcomm::pack(
        message.to_string().as_bytes(),
        &[key.verkey()],
        Some(&KeyPair::generate()),
    )
    .unwrap()
}

/// The attachment as ACA-Py's pickup plugin writes it: the envelope as `data.base64`.
pub(crate) fn base64_attachment(id: &str, envelope: &[u8]) -> Value {
    let mut a = attachment(envelope);
    a["@id"] = json!(id);
    a
}

/// The attachment as Credo 0.6 writes it: the envelope object itself as `data.json`.
pub(crate) fn json_attachment(id: &str, envelope: &[u8]) -> Value {
    let object: Value = serde_json::from_slice(envelope).unwrap();
    json!({"@id": id, "lastmod_time": "2026-12-06T07:00:00.000Z", "data": {"json": object}})
}

pub(crate) fn delivery(attachments: Vec<Value>) -> Value {
    new_message(
        "https://didcomm.org/messagepickup/2.0/delivery",
        json!({ "~attach": attachments }),
    )
}
