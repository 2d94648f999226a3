//! Coordinate-mediation 1.0 (RFC 0211) as the recipient, and trust ping (RFC 0048): the messages
//! a mediated holder sends to its mediator.

use std::time::Duration;

use didcomm::message::{new_message, set_return_route_all, types};
use didcomm::VerKey;
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

/// What the mediator granted: where others must send our messages, and the key(s) they must
/// wrap them for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub endpoint: String,
    pub routing_keys: Vec<VerKey>,
}

/// Sends `message` (asking for a return route) and waits for the reply on its thread.
pub async fn request_reply(
    connection: &Connection,
    message: Value,
    channel: Channel<'_>,
    inbox: &Inbox,
    step: &'static str,
    timeout: Duration,
) -> Result<didcomm::message::Message, HolderError> {
    request_reply_matching(connection, message, None, channel, inbox, step, timeout).await
}

/// [`request_reply`] that also takes a message of type `unthreaded` on any thread as the reply.
pub async fn request_reply_matching(
    connection: &Connection,
    mut message: Value,
    unthreaded: Option<(&'static str, &'static str)>,
    channel: Channel<'_>,
    inbox: &Inbox,
    step: &'static str,
    timeout: Duration,
) -> Result<didcomm::message::Message, HolderError> {
    set_return_route_all(&mut message);
    let id = message["@id"].as_str().unwrap_or_default().to_string();
    let reply = match unthreaded {
        Some((protocol, name)) => inbox.expect_reply_or_type(&id, protocol, name),
        None => inbox.expect_reply(&id),
    };
    channel.send(connection.pack(&message)?, inbox).await?;
    reply.wait(step, timeout).await
}

pub async fn request_mediation(
    mediator: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<Grant, HolderError> {
    let request = new_message(types::MEDIATE_REQUEST, json!({}));
    // ACA-Py 0.12.8 sends mediate-grant on a thread of its own, so match it by type too.
    let grant_type = Some(("coordinate-mediation", "mediate-grant"));
    let reply = request_reply_matching(
        mediator,
        request,
        grant_type,
        channel,
        inbox,
        "mediation grant",
        timeout,
    )
    .await?;
    if reply.is("coordinate-mediation", "mediate-deny") {
        return Err(HolderError::Protocol("mediator denied mediation".into()));
    }
    if !reply.is("coordinate-mediation", "mediate-grant") {
        return Err(HolderError::UnexpectedReply {
            step: "mediation grant",
            got: reply.short_type(),
        });
    }
    let endpoint = reply.str_field("endpoint")?.to_string();
    let routing_keys = reply.value["routing_keys"]
        .as_array()
        .ok_or_else(|| reply.missing("routing_keys"))?
        .iter()
        .map(|k| {
            let text = k.as_str().unwrap_or_default();
            VerKey::parse(text).map_err(|e| {
                HolderError::Protocol(format!("mediate-grant routing key {text:?}: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Grant {
        endpoint,
        routing_keys,
    })
}

/// Registers `keys` with the mediator (keylist-update `add`), so it accepts forwards for them.
pub async fn add_keys(
    mediator: &Connection,
    keys: &[VerKey],
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<(), HolderError> {
    let updates: Vec<Value> = keys
        .iter()
        .map(|k| json!({"recipient_key": k.to_did_key(), "action": "add"}))
        .collect();
    let update = new_message(types::KEYLIST_UPDATE, json!({ "updates": updates }));
    let reply = request_reply(mediator, update, channel, inbox, "keylist update", timeout).await?;
    if !reply.is("coordinate-mediation", "keylist-update-response") {
        return Err(HolderError::UnexpectedReply {
            step: "keylist update",
            got: reply.short_type(),
        });
    }
    let updated = reply.value["updated"]
        .as_array()
        .ok_or_else(|| reply.missing("updated"))?;
    // "no_change" means the key was already registered, which is what we wanted.
    if let Some(failed) = updated
        .iter()
        .find(|u| !matches!(u["result"].as_str(), Some("success") | Some("no_change")))
    {
        return Err(HolderError::Protocol(format!(
            "keylist update refused for {}: {}",
            failed["recipient_key"], failed["result"]
        )));
    }
    if updated.len() != keys.len() {
        return Err(HolderError::Protocol(format!(
            "keylist update answered for {} of {} keys",
            updated.len(),
            keys.len()
        )));
    }
    Ok(())
}

/// A trust ping with `response_requested` and `@id` = `id` (which is then its thread id), done
/// when the `ping_response` comes back.
pub async fn ping(
    peer: &Connection,
    id: &str,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<(), HolderError> {
    let mut ping = new_message(types::TRUST_PING, json!({"response_requested": true}));
    ping["@id"] = json!(id);
    let reply = request_reply(peer, ping, channel, inbox, "trust ping", timeout).await?;
    if !reply.is("trust_ping", "ping_response") {
        return Err(HolderError::UnexpectedReply {
            step: "trust ping",
            got: reply.short_type(),
        });
    }
    Ok(())
}

/// A trust ping that asks for no response, sent with return route `all`: it binds the socket to
/// us on the mediator's side (and makes ACA-Py drain its queue for us) without a reply.
pub async fn announce(
    peer: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    let mut ping = new_message(types::TRUST_PING, json!({"response_requested": false}));
    set_return_route_all(&mut ping);
    channel.send(peer.pack(&ping)?, inbox).await
}
