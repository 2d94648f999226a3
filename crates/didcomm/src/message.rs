//! DIDComm v1 plaintext messages: types, ids, threads and the decorators akrida uses.
//!
//! Messages stay `serde_json::Value`s: peers add fields we do not model, and a load generator
//! must pass them through untouched. These helpers read and write the few fields that matter.

use serde_json::{json, Map, Value};
use thiserror::Error;

/// Message type URIs, in the `https://didcomm.org/` form every current peer accepts.
pub mod types {
    pub const DIDEXCHANGE_10_REQUEST: &str = "https://didcomm.org/didexchange/1.0/request";
    pub const DIDEXCHANGE_11_REQUEST: &str = "https://didcomm.org/didexchange/1.1/request";
    pub const DIDEXCHANGE_10_COMPLETE: &str = "https://didcomm.org/didexchange/1.0/complete";
    pub const DIDEXCHANGE_11_COMPLETE: &str = "https://didcomm.org/didexchange/1.1/complete";
    pub const CONNECTIONS_REQUEST: &str = "https://didcomm.org/connections/1.0/request";
    pub const MEDIATE_REQUEST: &str =
        "https://didcomm.org/coordinate-mediation/1.0/mediate-request";
    pub const KEYLIST_UPDATE: &str = "https://didcomm.org/coordinate-mediation/1.0/keylist-update";
    pub const TRUST_PING: &str = "https://didcomm.org/trust_ping/1.0/ping";
    pub const TRUST_PING_RESPONSE: &str = "https://didcomm.org/trust_ping/1.0/ping_response";
    pub const BASIC_MESSAGE: &str = "https://didcomm.org/basicmessage/1.0/message";
    pub const FORWARD: &str = "https://didcomm.org/routing/1.0/forward";
}

/// The legacy prefix some peers still write instead of `https://didcomm.org/`.
const LEGACY_PREFIX: &str = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MessageError {
    #[error("message is not JSON: {0}")]
    NotJson(String),
    #[error("message is not a JSON object")]
    NotObject,
    #[error("message has no @type")]
    NoType,
    #[error("{message_type} message: field {field:?} is missing or has the wrong type")]
    MissingField {
        message_type: String,
        field: &'static str,
    },
    #[error("problem report from peer: {0}")]
    ProblemReport(String),
}

/// A fresh message id (UUID v4), as every Aries agent writes them.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Builds a message with `@type`, a fresh `@id`, and the given body fields.
pub fn new_message(message_type: &str, body: Value) -> Value {
    let mut object = Map::new();
    object.insert("@type".into(), Value::String(message_type.into()));
    object.insert("@id".into(), Value::String(new_id()));
    if let Value::Object(fields) = body {
        object.extend(fields);
    }
    Value::Object(object)
}

/// A parsed plaintext message with quick access to what routing needs.
#[derive(Debug, Clone)]
pub struct Message {
    pub value: Value,
}

impl Message {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| MessageError::NotJson(e.to_string()))?;
        if !value.is_object() {
            return Err(MessageError::NotObject);
        }
        if value.get("@type").and_then(Value::as_str).is_none() {
            return Err(MessageError::NoType);
        }
        Ok(Self { value })
    }

    /// The `@type` with the legacy `did:sov:…;spec/` prefix rewritten to `https://didcomm.org/`.
    pub fn message_type(&self) -> String {
        let raw = self.value["@type"].as_str().unwrap_or_default();
        match raw.strip_prefix(LEGACY_PREFIX) {
            Some(rest) => format!("https://didcomm.org/{rest}"),
            None => raw.to_string(),
        }
    }

    /// `protocol/version/name` without the prefix, e.g. `trust_ping/1.0/ping_response`.
    pub fn short_type(&self) -> String {
        let full = self.message_type();
        full.strip_prefix("https://didcomm.org/")
            .unwrap_or(&full)
            .to_string()
    }

    /// True when the message is `name` of `protocol` in any 1.x version.
    pub fn is(&self, protocol: &str, name: &str) -> bool {
        let short = self.short_type();
        let mut parts = short.split('/');
        matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(p), Some(_version), Some(n)) if p == protocol && n == name
        )
    }

    pub fn id(&self) -> Option<&str> {
        self.value.get("@id").and_then(Value::as_str)
    }

    /// The thread this message belongs to: `~thread.thid`, or its own `@id` when it starts one.
    pub fn thread_id(&self) -> Option<&str> {
        self.value
            .get("~thread")
            .and_then(|t| t.get("thid"))
            .and_then(Value::as_str)
            .or_else(|| self.id())
    }

    /// A string field, or an error naming the field and message type.
    pub fn str_field(&self, field: &'static str) -> Result<&str, MessageError> {
        self.value
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing(field))
    }

    pub fn missing(&self, field: &'static str) -> MessageError {
        MessageError::MissingField {
            message_type: self.short_type(),
            field,
        }
    }

    /// When this is a problem report, its human-readable text.
    pub fn problem_report_text(&self) -> Option<String> {
        if !self.short_type().ends_with("/problem-report")
            && !self.short_type().ends_with("/problem_report")
        {
            return None;
        }
        let description = &self.value["description"];
        let text = description
            .get("en")
            .and_then(Value::as_str)
            .or_else(|| description.as_str())
            .or_else(|| description.get("code").and_then(Value::as_str))
            .or_else(|| self.value.get("explain").and_then(Value::as_str))
            .unwrap_or("no description");
        Some(format!("{}: {text}", self.short_type()))
    }
}

/// Sets `~thread` on `message`: `thid` and, when given, `pthid`.
pub fn set_thread(message: &mut Value, thid: &str, pthid: Option<&str>) {
    let mut thread = json!({ "thid": thid });
    if let Some(pthid) = pthid {
        thread["pthid"] = Value::String(pthid.into());
    }
    message["~thread"] = thread;
}

/// Asks the peer to send replies (and queued messages) back over the connection this message
/// arrived on: how a holder without an endpoint receives anything (RFC 0092).
pub fn set_return_route_all(message: &mut Value) {
    message["~transport"] = json!({ "return_route": "all" });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_prefix_is_normalised() {
        let m = Message::from_bytes(
            br#"{"@type":"did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping_response","@id":"1","~thread":{"thid":"t"}}"#,
        )
        .unwrap();
        assert_eq!(m.message_type(), types::TRUST_PING_RESPONSE);
        assert!(m.is("trust_ping", "ping_response"));
        assert_eq!(m.thread_id(), Some("t"));
    }

    #[test]
    fn thread_defaults_to_own_id() {
        let m =
            Message::from_bytes(br#"{"@type":"https://didcomm.org/x/1.0/y","@id":"abc"}"#).unwrap();
        assert_eq!(m.thread_id(), Some("abc"));
    }

    #[test]
    fn bad_messages_are_typed_errors() {
        assert!(matches!(
            Message::from_bytes(b"nope"),
            Err(MessageError::NotJson(_))
        ));
        assert_eq!(
            Message::from_bytes(b"[1]").unwrap_err(),
            MessageError::NotObject
        );
        assert_eq!(
            Message::from_bytes(b"{}").unwrap_err(),
            MessageError::NoType
        );
        let m = Message::from_bytes(br#"{"@type":"https://didcomm.org/a/1.0/b"}"#).unwrap();
        assert_eq!(
            m.str_field("did").unwrap_err(),
            MessageError::MissingField {
                message_type: "a/1.0/b".into(),
                field: "did"
            }
        );
    }

    #[test]
    fn problem_report_text_is_found() {
        let m = Message::from_bytes(
            br#"{"@type":"https://didcomm.org/didexchange/1.0/problem_report","description":{"en":"bad request","code":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            m.problem_report_text().unwrap(),
            "didexchange/1.0/problem_report: bad request"
        );
    }
}
