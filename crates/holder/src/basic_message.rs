//! Basic Message 1.0 (RFC 0095): recognising one that arrived, and sending one.

use didcomm::message::{new_message, types, Message};
use serde_json::json;

use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

/// True for a `basicmessage/1.x/message`.
pub fn is_basic_message(message: &Message) -> bool {
    message.is("basicmessage", "message")
}

/// The text of a basic message.
pub fn content(message: &Message) -> Option<&str> {
    message.value.get("content").and_then(|c| c.as_str())
}

/// Sends `text` to the peer of `connection` (no reply is expected).
pub async fn send(
    connection: &Connection,
    text: &str,
    channel: Channel<'_>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    let message = new_message(
        types::BASIC_MESSAGE,
        json!({"content": text, "sent_time": didcomm::time::now_rfc3339()}),
    );
    channel.send(connection.pack(&message)?, inbox).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_basic_messages() {
        let m = Message::from_bytes(
            br#"{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"1","content":"hi"}"#,
        )
        .unwrap();
        assert!(is_basic_message(&m));
        assert_eq!(content(&m), Some("hi"));
    }
}
