//! Message Pickup 2.0 (RFC 0685) as the recipient: ask the mediator how many messages it holds
//! for us, fetch them in batches, acknowledge them. ACA-Py 0.12.8 needs the
//! `acapy-plugin-pickup` plugin for this; a plain ACA-Py mediator instead drains its queue down
//! any socket on which we send a return-route message (the "implicit" strategy).

use std::time::Duration;

use didcomm::attachment::attachment_bytes;
use didcomm::message::new_message;
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::mediation::request_reply;
use crate::outbound::Channel;

const STATUS_REQUEST: &str = "https://didcomm.org/messagepickup/2.0/status-request";
const DELIVERY_REQUEST: &str = "https://didcomm.org/messagepickup/2.0/delivery-request";
const MESSAGES_RECEIVED: &str = "https://didcomm.org/messagepickup/2.0/messages-received";
const LIVE_DELIVERY_CHANGE: &str = "https://didcomm.org/messagepickup/2.0/live-delivery-change";

/// How many messages one delivery-request asks for.
pub const BATCH_LIMIT: u64 = 10;

fn message_count(reply: &didcomm::message::Message) -> Result<u64, HolderError> {
    if !reply.is("messagepickup", "status") {
        return Err(HolderError::UnexpectedReply {
            step: "pickup status",
            got: reply.short_type(),
        });
    }
    reply.value["message_count"]
        .as_u64()
        .ok_or_else(|| reply.missing("message_count").into())
}

/// How many messages the mediator holds for us.
pub async fn status(
    mediator: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<u64, HolderError> {
    let request = new_message(STATUS_REQUEST, json!({}));
    let reply = request_reply(mediator, request, channel, inbox, "pickup status", timeout).await?;
    message_count(&reply)
}

/// Fetches one batch, hands each message to the inbox, acknowledges the batch.
/// Returns how many messages were delivered and how many the mediator still holds.
pub async fn fetch_batch(
    mediator: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<(u64, u64), HolderError> {
    let request = new_message(DELIVERY_REQUEST, json!({ "limit": BATCH_LIMIT }));
    let reply = request_reply(
        mediator,
        request,
        channel,
        inbox,
        "pickup delivery",
        timeout,
    )
    .await?;
    if reply.is("messagepickup", "status") {
        return Ok((0, message_count(&reply)?));
    }
    if !reply.is("messagepickup", "delivery") {
        return Err(HolderError::UnexpectedReply {
            step: "pickup delivery",
            got: reply.short_type(),
        });
    }
    let attachments = reply.value["~attach"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut ids = Vec::with_capacity(attachments.len());
    for attachment in &attachments {
        // Each attachment is one envelope for us; its @id is what we acknowledge.
        if let Some(id) = attachment["@id"].as_str() {
            ids.push(Value::String(id.to_string()));
        }
        match attachment_bytes(attachment) {
            Ok(envelope) => {
                if let Err(e) = inbox.deliver_envelope(&envelope) {
                    tracing::debug!(error = %e, "picked-up message could not be opened");
                }
            }
            Err(e) => tracing::debug!(error = %e, "picked-up attachment is not base64"),
        }
    }
    let received = new_message(MESSAGES_RECEIVED, json!({ "message_id_list": ids }));
    let reply = request_reply(
        mediator,
        received,
        channel,
        inbox,
        "pickup acknowledge",
        timeout,
    )
    .await?;
    Ok((attachments.len() as u64, message_count(&reply)?))
}

/// Fetches batches until the mediator holds nothing more for us; returns how many arrived.
pub async fn drain(
    mediator: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<u64, HolderError> {
    let mut total = 0;
    loop {
        let (delivered, remaining) = fetch_batch(mediator, channel, inbox, timeout).await?;
        total += delivered;
        // Stop when empty, and also when a batch brought nothing despite a count: a mediator
        // that reports messages it will not deliver must not spin us forever.
        if remaining == 0 || delivered == 0 {
            return Ok(total);
        }
    }
}

/// Asks the mediator to push messages as they arrive on this socket (pickup 2.0 live mode).
///
/// RFC 0685 has the mediator answer with a status, but `acapy-plugin-pickup` 0.2.0 accepts the
/// message and answers nothing, so this does not wait: it sends, with return route `all`, and
/// relies on the socket staying the route on which queued and new messages arrive.
pub async fn request_live_delivery(
    mediator: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    let mut change = new_message(LIVE_DELIVERY_CHANGE, json!({ "live_delivery": true }));
    didcomm::message::set_return_route_all(&mut change);
    channel.send(mediator.pack(&change)?, inbox).await
}
