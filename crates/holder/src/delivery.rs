//! What opening a Message Pickup 2.0 `delivery` gave ([`OpenedDelivery`]), and the
//! `messages-received` that acknowledges it.
//!
//! Its own small module because two layers need it: the inbox, which opens a delivery's
//! attachments, and the WebSocket reader and pickup protocol above it, which acknowledge what was
//! opened. It must depend on nothing in this crate but `error`.

use didcomm::message::new_message;
use serde_json::{json, Value};

use crate::error::HolderError;

const MESSAGES_RECEIVED: &str = "https://didcomm.org/messagepickup/2.0/messages-received";

/// What opening one `delivery` gave.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OpenedDelivery {
    /// The `@id`s of the attachments handed to the inbox: what `messages-received` acknowledges.
    pub received: Vec<String>,
    /// The attachments that could not be opened, each with why. Never acknowledged.
    pub unopened: Vec<UnopenedAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnopenedAttachment {
    /// The attachment's `@id` (`"(none)"` when it has none).
    pub id: String,
    pub reason: String,
}

impl OpenedDelivery {
    /// An error naming the first unopened attachment, if any was.
    pub fn error(&self) -> Option<HolderError> {
        let first = self.unopened.first()?;
        Some(HolderError::UnopenedDelivery {
            unopened: self.unopened.len(),
            total: self.unopened.len() + self.received.len(),
            first: format!("attachment {}: {}", first.id, first.reason),
        })
    }

    pub fn into_result(self) -> Result<(), HolderError> {
        self.error().map_or(Ok(()), Err)
    }
}

/// A `messages-received` acknowledging `ids`, asking for a return route: Credo answers it
/// with a status, and without a route to us it would queue that status for later pickup.
pub fn messages_received(ids: &[String]) -> Value {
    let mut received = new_message(MESSAGES_RECEIVED, json!({ "message_id_list": ids }));
    didcomm::message::set_return_route_all(&mut received);
    received
}
