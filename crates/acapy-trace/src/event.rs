//! One ACA-Py trace event, as `aries_cloudagent/utils/tracing.py` (0.12.8) posts it:
//!
//! ```json
//! {"msg_id": "…", "thread_id": "…", "traced_type": "https://didcomm.org/trust_ping/1.0/ping",
//!  "timestamp": 1732400000.123, "str_time": "2024-11-23 21:53:20.123000",
//!  "handler": "TB-Mediator", "elapsed_milli": 3, "outcome": "Dispatcher.handle_message.END"}
//! ```
//!
//! `handler` holds the agent's `--trace-label` (ACA-Py's default when a call names no handler,
//! which all message paths do), so it tells agents apart. `outcome` names the step and its phase
//! (`….START`, `….END`, `OutboundTransportManager.DELIVER.END.<endpoint>`). The time is only on
//! END events (`elapsed_milli`; older ACA-Py spelled it `ellapsed_milli`, accepted too).

use serde::Serialize;
use serde_json::Value;

/// Where in a step an event was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TracePhase {
    Start,
    End,
    /// Neither (e.g. ACA-Py's `Successfully_configured_aca-py` at start-up).
    Other,
}

/// One parsed trace event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvent {
    /// The agent's trace label (ACA-Py's `handler` field).
    pub label: String,
    /// The step, without its phase: `Dispatcher.handle_message`,
    /// `OutboundTransportManager.DELIVER`, `CredentialRequestHandler.handle`, …
    pub step: String,
    pub phase: TracePhase,
    /// DIDComm thread id (`~thread.thid`, or the message's own `@id` when it starts a thread).
    pub thread_id: String,
    pub msg_id: String,
    /// The message's `@type` (or a class name for records).
    pub traced_type: String,
    /// When the event was taken, Unix seconds (the agent's clock).
    pub timestamp: f64,
    /// How long the step took (END events; 0 otherwise), in milliseconds.
    pub elapsed_ms: f64,
}

impl TraceEvent {
    /// Parses one POSTed body. Errors say what is wrong, briefly, for a 400 answer.
    pub fn parse(body: &[u8]) -> Result<TraceEvent, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let object = value.as_object().ok_or("not a JSON object")?;
        let text = |key: &str| -> Option<String> {
            match object.get(key)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let label = text("handler").ok_or("no \"handler\" (the agent's trace label)")?;
        let outcome = text("outcome").ok_or("no \"outcome\"")?;
        let timestamp = object
            .get("timestamp")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite())
            .ok_or("no numeric \"timestamp\"")?;
        let elapsed = match object.get("elapsed_milli").or(object.get("ellapsed_milli")) {
            None | Some(Value::Null) => 0.0,
            Some(v) => v
                .as_f64()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .ok_or("\"elapsed_milli\" is not a non-negative number")?,
        };
        let (step, phase) = split_outcome(&outcome);
        Ok(TraceEvent {
            label,
            step,
            phase,
            thread_id: text("thread_id").unwrap_or_default(),
            msg_id: text("msg_id").unwrap_or_default(),
            traced_type: text("traced_type").unwrap_or_default(),
            timestamp,
            elapsed_ms: elapsed,
        })
    }

    /// Whether this event's time is already inside another event of the same message: protocol
    /// handlers (`…Handler.handle`) run within `Dispatcher.handle_message`, so adding both would
    /// count that time twice.
    pub fn is_nested(&self) -> bool {
        self.step
            .split('.')
            .next()
            .is_some_and(|class| class.ends_with("Handler"))
    }
}

/// `Dispatcher.handle_message.END` → (`Dispatcher.handle_message`, End);
/// `OutboundTransportManager.DELIVER.START.http://x` → (`OutboundTransportManager.DELIVER`, Start).
fn split_outcome(outcome: &str) -> (String, TracePhase) {
    let parts: Vec<&str> = outcome.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let phase = match *part {
            "START" => TracePhase::Start,
            "END" => TracePhase::End,
            _ => continue,
        };
        return (parts[..i].join("."), phase);
    }
    (outcome.to_string(), TracePhase::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acapy_events() {
        let body = br#"{"msg_id": "m1", "thread_id": "t1", "traced_type": "https://didcomm.org/trust_ping/1.0/ping",
            "timestamp": 1732400000.5, "str_time": "2024-11-23 21:53:20.500000", "handler": "TB-Mediator",
            "elapsed_milli": 3, "outcome": "Dispatcher.handle_message.END"}"#;
        let e = TraceEvent::parse(body).unwrap();
        assert_eq!(e.label, "TB-Mediator");
        assert_eq!(e.step, "Dispatcher.handle_message");
        assert_eq!(e.phase, TracePhase::End);
        assert_eq!((e.thread_id.as_str(), e.elapsed_ms), ("t1", 3.0));
        assert!(!e.is_nested());

        let deliver = br#"{"handler": "L", "timestamp": 1, "outcome": "OutboundTransportManager.DELIVER.START.http://127.0.0.1:4000", "ellapsed_milli": 0}"#;
        let e = TraceEvent::parse(deliver).unwrap();
        assert_eq!(
            (e.step.as_str(), e.phase),
            ("OutboundTransportManager.DELIVER", TracePhase::Start)
        );
        let nested = br#"{"handler": "L", "timestamp": 1, "outcome": "CredentialRequestHandler.handle.END"}"#;
        assert!(TraceEvent::parse(nested).unwrap().is_nested());
        let other = br#"{"handler": "ArgParse", "timestamp": 1, "outcome": "Successfully_configured_aca-py"}"#;
        assert_eq!(TraceEvent::parse(other).unwrap().phase, TracePhase::Other);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b""[..],
            b"\xff\xfe",
            b"[1,2]",
            b"null",
            b"{}",
            br#"{"handler": "L"}"#,
            br#"{"handler": "L", "outcome": "x", "timestamp": "soon"}"#,
            br#"{"handler": "L", "outcome": "x", "timestamp": 1, "elapsed_milli": -4}"#,
            br#"{"handler": ["L"], "outcome": "x", "timestamp": 1}"#,
            b"{\"handler\": \"L\", \"outcome\": \"x\", \"timestamp\": 1e999}",
        ] {
            assert!(
                TraceEvent::parse(body).is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
