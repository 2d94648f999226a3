//! Sending: pack a plaintext message for a peer's service (authcrypt, then one forward layer per
//! routing key) and deliver it over HTTP. A reply that comes back in the HTTP response body
//! (return route) is handed to the inbox like any other inbound envelope.

use didcomm::diddoc::DidCommService;
use didcomm::forward::wrap_for_routing;
use didcomm::KeyPair;
use serde_json::Value;

use crate::error::HolderError;
use crate::inbox::Inbox;

/// The media type of RFC 0019 envelopes. ACA-Py also accepts `application/ssi-agent-wire`.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/didcomm-envelope-enc";

/// Packs `message` from `sender` for `service`, wrapped for its routing keys.
pub fn pack_for_service(
    message: &Value,
    sender: &KeyPair,
    service: &DidCommService,
) -> Result<Vec<u8>, HolderError> {
    let plaintext = serde_json::to_vec(message).expect("a serde_json::Value always serialises");
    let packed = didcomm::pack(&plaintext, &service.recipient_keys, Some(sender))?;
    // The forward's `to` names the first recipient key: one key is what a mediator routes on.
    let first_recipient = service
        .recipient_keys
        .first()
        .ok_or_else(|| HolderError::Protocol("peer service has no recipient key".into()))?;
    Ok(wrap_for_routing(
        packed,
        first_recipient,
        &service.routing_keys,
    )?)
}

/// [`pack_for_service`] for a service with one recipient key, whose crypto_box key with ours
/// is already computed (`pair`).
pub fn pack_for_pair(
    message: &Value,
    sender: &KeyPair,
    pair: &didcomm::PairKey,
    service: &DidCommService,
) -> Result<Vec<u8>, HolderError> {
    let plaintext = serde_json::to_vec(message).expect("a serde_json::Value always serialises");
    let packed = didcomm::envelope::pack_for_pair(&plaintext, sender, pair)?;
    Ok(wrap_for_routing(
        packed,
        &pair.theirs(),
        &service.routing_keys,
    )?)
}

/// POSTs an envelope. When the peer answers with an envelope in the body (return route), it is
/// unpacked into `inbox`.
pub async fn post_envelope(
    http: &reqwest::Client,
    url: &str,
    envelope: Vec<u8>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, ENVELOPE_MEDIA_TYPE)
        .body(envelope)
        .send()
        .await
        .map_err(|e| HolderError::Http {
            url: url.to_string(),
            reason: net::explain(&e),
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(HolderError::HttpStatus {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let body = response.bytes().await.map_err(|e| HolderError::Http {
        url: url.to_string(),
        reason: net::explain(&e),
    })?;
    if !body.is_empty() {
        inbox.deliver_envelope(&body)?;
    }
    Ok(())
}

/// How a message reaches a peer: an HTTP POST (replies come back in the response body, when the
/// message asks for a return route) or a WebSocket we hold open (replies come on the socket).
#[derive(Clone, Copy)]
pub enum Channel<'a> {
    Http {
        client: &'a reqwest::Client,
        url: &'a str,
    },
    Ws(&'a crate::ws::WsSession),
}

impl Channel<'_> {
    pub async fn send(&self, envelope: Vec<u8>, inbox: &Inbox) -> Result<(), HolderError> {
        match self {
            Channel::Http { client, url } => post_envelope(client, url, envelope, inbox).await,
            Channel::Ws(session) => session.send(envelope).await,
        }
    }
}
