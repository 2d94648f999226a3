//! Message ids and their text form, which the sender puts in the message it sends (for example in
//! a basic message's content) and the receiver reads back.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The prefix of an id's text form, so an id is recognised inside other text and a stray
/// message (another tool's, an earlier run's) is not mistaken for one of ours.
const PREFIX: &str = "akrida-msg-";

/// One message's id, unique within a [`crate::Ledger`]: ids count from 0 in send order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u64);

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseIdError {
    #[error("{0:?} is not a delivery id (expected {PREFIX}<number>)")]
    NotAnId(String),
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.0)
    }
}

impl FromStr for MessageId {
    type Err = ParseIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.trim()
            .strip_prefix(PREFIX)
            .and_then(|n| n.parse().ok())
            .map(MessageId)
            .ok_or_else(|| ParseIdError::NotAnId(text.chars().take(80).collect()))
    }
}

impl MessageId {
    /// Finds the first id inside `text` (e.g. a message body with padding after the id).
    pub fn find_in(text: &str) -> Option<MessageId> {
        let start = text.find(PREFIX)?;
        let digits: &str = &text[start + PREFIX.len()..];
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits[..end].parse().ok().map(MessageId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let id = MessageId(42);
        assert_eq!(id.to_string(), "akrida-msg-42");
        assert_eq!("akrida-msg-42".parse(), Ok(id));
    }

    #[test]
    fn bad_text_is_a_typed_error() {
        assert!("akrida-msg-".parse::<MessageId>().is_err());
        assert!("42".parse::<MessageId>().is_err());
        assert!("akrida-msg-x".parse::<MessageId>().is_err());
        let long = "y".repeat(500);
        let ParseIdError::NotAnId(shown) = long.parse::<MessageId>().unwrap_err();
        assert_eq!(shown.len(), 80, "error text is bounded");
    }

    #[test]
    fn found_inside_text() {
        assert_eq!(
            MessageId::find_in("hello akrida-msg-7 ......."),
            Some(MessageId(7))
        );
        assert_eq!(MessageId::find_in("akrida-msg-"), None);
        assert_eq!(MessageId::find_in("nothing here"), None);
    }
}
