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
        json!({"content": text, "sent_time": now_rfc3339()}),
    );
    channel.send(connection.pack(&message)?, inbox).await
}

/// Seconds since the epoch as an RFC 3339 UTC time (what ACA-Py writes in `sent_time`).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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
        let time = now_rfc3339();
        assert_eq!(time.len(), 20, "{time}");
        assert!(time.starts_with("20"), "{time}");
    }
}
