//! One message on the wire: a MessagePack array `[type, data, node_id]`, as Locust's
//! `rpc/protocol.py` packs it (`msgpack.dumps((type, data, node_id))`).
//!
//! Locust's own encoder turns `datetime` values into `{"__datetime__": true, "as_str": ...}` maps;
//! none of the messages a worker reads carries one, and they decode here as plain maps.

use rmpv::Value;

use crate::error::ProtocolError;

/// A message in either direction. `data` is any MessagePack value (often a map or nil).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: String,
    pub data: Value,
    /// The worker's client id (workers send theirs; the master echoes the addressee's).
    pub node_id: Option<String>,
}

/// Nesting deeper than this is refused rather than followed (no message of the protocol comes
/// close; the master's `parsed_options` is two levels deep).
const MAX_DEPTH: usize = 64;

impl Message {
    pub fn new(kind: &str, data: Value, node_id: &str) -> Self {
        Message {
            kind: kind.to_owned(),
            data,
            node_id: Some(node_id.to_owned()),
        }
    }

    /// The bytes of one ZeroMQ frame.
    pub fn encode(&self) -> Vec<u8> {
        let value = Value::Array(vec![
            Value::from(self.kind.as_str()),
            self.data.clone(),
            self.node_id
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::Nil),
        ]);
        let mut bytes = Vec::with_capacity(64);
        rmpv::encode::write_value(&mut bytes, &value)
            .expect("writing MessagePack into a Vec cannot fail");
        bytes
    }

    /// Reads one frame; anything that is not a `[str, any, str|nil]` array is an error, never a
    /// panic.
    pub fn decode(mut bytes: &[u8]) -> Result<Self, ProtocolError> {
        let total = bytes.len();
        let value = rmpv::decode::read_value_with_max_depth(&mut bytes, MAX_DEPTH)
            .map_err(|e| ProtocolError::NotMessagePack(e.to_string()))?;
        if !bytes.is_empty() {
            return Err(ProtocolError::TrailingBytes {
                extra: bytes.len(),
                total,
            });
        }
        let Value::Array(mut parts) = value else {
            return Err(ProtocolError::Shape(format!(
                "expected [type, data, node_id], got {}",
                describe(&value)
            )));
        };
        if parts.len() != 3 {
            return Err(ProtocolError::Shape(format!(
                "expected 3 elements [type, data, node_id], got {}",
                parts.len()
            )));
        }
        let node_id = match parts.pop().expect("three elements") {
            Value::Nil => None,
            Value::String(s) => Some(
                s.into_str()
                    .ok_or_else(|| ProtocolError::Shape("node_id is not valid UTF-8".to_owned()))?,
            ),
            other => {
                return Err(ProtocolError::Shape(format!(
                    "node_id must be a string, got {}",
                    describe(&other)
                )))
            }
        };
        let data = parts.pop().expect("three elements");
        let kind = match parts.pop().expect("three elements") {
            Value::String(s) => s.into_str().ok_or_else(|| {
                ProtocolError::Shape("message type is not valid UTF-8".to_owned())
            })?,
            other => {
                return Err(ProtocolError::Shape(format!(
                    "message type must be a string, got {}",
                    describe(&other)
                )))
            }
        };
        Ok(Message {
            kind,
            data,
            node_id,
        })
    }
}

/// A short name for a value's type, for error texts (never the value: it could be large).
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "a boolean",
        Value::Integer(_) => "an integer",
        Value::F32(_) | Value::F64(_) => "a float",
        Value::String(_) => "a string",
        Value::Binary(_) => "binary data",
        Value::Array(_) => "an array",
        Value::Map(_) => "a map",
        Value::Ext(..) => "an extension value",
    }
}

/// A map from string keys, as Locust's dicts are written.
pub(crate) fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k.into()), v))
            .collect(),
    )
}

/// The value under a string key of a map, if `value` is a map and has it.
pub(crate) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let message = Message::new(
            "client_ready",
            Value::from("2.47.0"),
            "host_0123456789abcdef",
        );
        assert_eq!(Message::decode(&message.encode()).unwrap(), message);
    }

    /// `msgpack.dumps(("heartbeat", None, "w1"))` from Python.
    #[test]
    fn reads_what_python_packs() {
        let bytes = b"\x93\xa9heartbeat\xc0\xa2w1";
        let message = Message::decode(bytes).unwrap();
        assert_eq!(message.kind, "heartbeat");
        assert_eq!(message.data, Value::Nil);
        assert_eq!(message.node_id.as_deref(), Some("w1"));
        assert_eq!(message.encode(), bytes);
    }

    #[test]
    fn malformed_frames_are_errors() {
        for bytes in [
            &b""[..],
            b"\xc1",
            b"\x92\xa1a\xc0",
            b"\x93\x01\xc0\xc0",
            b"\x93\xa1a\xc0\x05",
            b"\x93\xa1a\xc0\xc0\xc0",
            b"\xdd\xff\xff\xff\xff",
            b"\xa5hello",
            b"\x93\xa2\xff\xfe\xc0\xc0",
        ] {
            assert!(Message::decode(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = vec![0x93, 0xa1, b'a'];
        bytes.extend(std::iter::repeat_n(0x91, 10_000));
        bytes.push(0xc0);
        assert!(Message::decode(&bytes).is_err());
    }
}
