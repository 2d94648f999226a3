//! Message Pickup 2.0 (RFC 0685) as the recipient: ask the mediator how many messages it holds
//! for us, fetch them in batches, acknowledge them. ACA-Py 0.12.8 needs the
//! `acapy-plugin-pickup` plugin for this; a plain ACA-Py mediator instead drains its queue down
//! any socket on which we send a return-route message (the "implicit" strategy).
//!
//! A `delivery` (the answer to a delivery-request, or pushed in live mode) carries one envelope
//! per attachment: ACA-Py's plugin as `data.base64`, Credo 0.6 as `data.json` (the envelope
//! object). Only what was opened and handed to the inbox is acknowledged with
//! `messages-received`: an acknowledged message is deleted by the mediator, so acknowledging one
//! the holder could not open would lose it silently.
//!
//! Opening a delivery is the inbox's ([`open_delivery`], also used for pushed deliveries) and
//! its result `delivery`'s; this module is the protocol on top, over `mediation`, `outbound` and
//! `inbox`, and nothing below it may depend on it.

use std::time::Duration;

use didcomm::message::new_message;
use serde_json::json;

use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::mediation::request_reply;
use crate::outbound::Channel;
// Opening a delivery is the inbox's job and its result a type of its own, both below this
// module (the WebSocket reader opens pushed deliveries too); re-exported for the old paths.
pub use crate::delivery::{messages_received, OpenedDelivery, UnopenedAttachment};
pub use crate::inbox::open_delivery;

const STATUS_REQUEST: &str = "https://didcomm.org/messagepickup/2.0/status-request";
const DELIVERY_REQUEST: &str = "https://didcomm.org/messagepickup/2.0/delivery-request";
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
    let opened = open_delivery(&reply, inbox);
    if opened.received.is_empty() {
        // Nothing to acknowledge; a delivery that brought nothing at all counts nothing.
        return match opened.error() {
            Some(e) => Err(e),
            None => Ok((0, 0)),
        };
    }
    let received = messages_received(&opened.received);
    let reply = request_reply(
        mediator,
        received,
        channel,
        inbox,
        "pickup acknowledge",
        timeout,
    )
    .await?;
    let remaining = message_count(&reply)?;
    // The opened ones are acknowledged (so not delivered twice); the others are a failure.
    match opened.error() {
        Some(e) => Err(e),
        None => Ok((opened.received.len() as u64, remaining)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{
        base64_attachment, delivery, envelope_for, holder_inbox, json_attachment,
    };
    use didcomm::message::Message;
    use didcomm::KeyPair;
    use serde_json::Value;

    fn as_message(value: &Value) -> Message {
        Message::from_bytes(value.to_string().as_bytes()).unwrap()
    }

    async fn contents(inbox: &Inbox) -> Vec<String> {
        let mut got = Vec::new();
        while let Some(m) = inbox
            .next_unsolicited(std::time::Duration::from_millis(50))
            .await
        {
            got.push(m.value["content"].as_str().unwrap_or("?").to_string());
        }
        got
    }

    #[tokio::test]
    async fn base64_and_json_attachments_are_opened_and_acknowledged() {
        let (inbox, key) = holder_inbox();
        let reply = as_message(&delivery(vec![
            base64_attachment("q1", &envelope_for(&key, "from acapy")),
            json_attachment("q2", &envelope_for(&key, "from credo")),
        ]));
        let opened = open_delivery(&reply, &inbox);
        assert_eq!(opened.received, vec!["q1", "q2"]);
        assert!(opened.unopened.is_empty());
        assert!(opened.error().is_none());
        assert_eq!(contents(&inbox).await, vec!["from acapy", "from credo"]);
        assert_eq!(
            messages_received(&opened.received)["message_id_list"],
            json!(["q1", "q2"])
        );
    }

    #[tokio::test]
    async fn an_attachment_that_does_not_open_is_an_error_and_not_acknowledged() {
        let (inbox, key) = holder_inbox();
        let stranger = KeyPair::generate();
        let reply = as_message(&delivery(vec![
            json!({"@id": "linked", "data": {"links": ["https://elsewhere/m"]}}),
            json_attachment("good", &envelope_for(&key, "fine")),
            json!({"@id": "empty", "data": {}}),
            json_attachment("not-ours", &envelope_for(&stranger, "lost")),
            json!({"data": {"json": {"protected": "x"}}}),
        ]));
        let opened = open_delivery(&reply, &inbox);
        assert_eq!(
            opened.received,
            vec!["good"],
            "only what opened is acknowledged"
        );
        let unopened: Vec<&str> = opened.unopened.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(unopened, vec!["linked", "empty", "not-ours", "(none)"]);
        assert!(
            opened.unopened[0].reason.contains("data.links"),
            "{:?}",
            opened.unopened[0]
        );
        assert!(
            opened.unopened[2].reason.contains("does not open"),
            "{:?}",
            opened.unopened[2]
        );
        assert!(
            opened.unopened[3].reason.contains("no @id"),
            "{:?}",
            opened.unopened[3]
        );
        let err = opened.clone().into_result().unwrap_err();
        assert!(matches!(
            err,
            HolderError::UnopenedDelivery {
                unopened: 4,
                total: 5,
                ..
            }
        ));
        let text = err.to_string();
        assert!(
            text.contains("4 of 5")
                && text.contains("attachment linked")
                && text.contains("not acknowledged"),
            "{text}"
        );
        assert_eq!(inbox.counts().unopened_attachments, 4);
        assert_eq!(contents(&inbox).await, vec!["fine"]);
    }

    #[tokio::test]
    async fn a_pushed_delivery_is_opened_by_the_inbox() {
        let (inbox, key) = holder_inbox();
        let pushed = delivery(vec![
            json_attachment("live-1", &envelope_for(&key, "live one")),
            base64_attachment("live-2", &envelope_for(&key, "live two")),
        ]);
        let envelope = didcomm::pack(
            pushed.to_string().as_bytes(),
            &[key.verkey()],
            Some(&KeyPair::generate()),
        )
        .unwrap();
        let opened = inbox
            .receive_envelope(&envelope)
            .unwrap()
            .expect("a pushed delivery");
        assert_eq!(opened.received, vec!["live-1", "live-2"]);
        assert_eq!(
            contents(&inbox).await,
            vec!["live one", "live two"],
            "the attachments arrive as if alone, the delivery itself is not queued"
        );
    }

    #[tokio::test]
    async fn a_delivery_answering_a_request_goes_to_its_waiter_unopened() {
        let (inbox, key) = holder_inbox();
        let reply = inbox.expect_reply("req");
        let mut answer = delivery(vec![json_attachment("q", &envelope_for(&key, "x"))]);
        answer["~thread"] = json!({"thid": "req"});
        let envelope = didcomm::pack(answer.to_string().as_bytes(), &[key.verkey()], None).unwrap();
        assert_eq!(inbox.receive_envelope(&envelope).unwrap(), None);
        let got = reply
            .wait("delivery", std::time::Duration::from_secs(1))
            .await
            .unwrap();
        assert!(got.is("messagepickup", "delivery"));
        assert!(
            contents(&inbox).await.is_empty(),
            "fetch_batch opens it, not the inbox"
        );
    }

    #[tokio::test]
    async fn unasked_statuses_do_not_fill_the_unsolicited_queue() {
        let (inbox, _) = holder_inbox();
        inbox.deliver(as_message(&new_message(
            "https://didcomm.org/messagepickup/2.0/status",
            json!({"message_count": 0}),
        )));
        assert!(inbox
            .next_unsolicited(std::time::Duration::from_millis(20))
            .await
            .is_none());
    }
}
