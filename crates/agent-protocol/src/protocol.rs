//! The wire format of owl-akrida's agent protocol: one JSON command per stdin line, one JSON response
//! per stdout line, `{"error":0|1,"result":…}` (plus `connection` after an invitation).

use serde_json::{json, Map, Value};

/// A command as read from stdin.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Start {
        /// None when the command does not say (then `WITH_MEDIATION` decides).
        with_mediation: Option<bool>,
        port: Option<u16>,
        /// The `result` of an earlier `start`, to restore that identity; None for a new one.
        agent_config: Option<Value>,
    },
    PingMediator,
    ReceiveInvitation {
        url: String,
        connection_did: bool,
    },
    ReceiveCredential,
    ReceiveMessage,
    PresentationExchange,
    DeleteOobRecord {
        id: String,
    },
    Shutdown,
}

impl Command {
    /// The command as a line to write to an agent's stdin (without the newline): what
    /// owl-akrida's `locustClient.py` writes, read back by [`parse`] as the same command.
    pub fn to_line(&self) -> String {
        let value = match self {
            Command::Start {
                with_mediation,
                port,
                agent_config,
            } => json!({
                "cmd": "start",
                "withMediation": with_mediation,
                "port": port,
                "agentConfig": agent_config,
            }),
            Command::PingMediator => json!({"cmd": "ping_mediator"}),
            Command::ReceiveInvitation {
                url,
                connection_did,
            } => json!({
                "cmd": if *connection_did {
                    "receiveInvitationConnectionDid"
                } else {
                    "receiveInvitation"
                },
                "invitationUrl": url,
            }),
            Command::ReceiveCredential => json!({"cmd": "receiveCredential"}),
            Command::ReceiveMessage => json!({"cmd": "receiveMessage"}),
            Command::PresentationExchange => json!({"cmd": "presentationExchange"}),
            Command::DeleteOobRecord { id } => json!({"cmd": "deleteOobRecordById", "id": id}),
            Command::Shutdown => json!({"cmd": "shutdown"}),
        };
        value.to_string()
    }
}

/// Reads one stdin line. The error is the `result` text of the error line to answer with.
pub fn parse(line: &str) -> Result<Command, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("malformed command (not JSON): {e}"))?;
    let Value::Object(fields) = value else {
        return Err("malformed command: not a JSON object".into());
    };
    let cmd = fields
        .get("cmd")
        .and_then(Value::as_str)
        .ok_or("malformed command: no \"cmd\" string")?;
    Ok(match cmd {
        "start" => Command::Start {
            with_mediation: optional_bool(&fields, "withMediation")?,
            port: optional_port(&fields)?,
            agent_config: match fields.get("agentConfig") {
                None | Some(Value::Null) => None,
                Some(Value::Object(o)) if o.is_empty() => None,
                Some(Value::String(s)) if s.is_empty() => None,
                Some(config) => Some(config.clone()),
            },
        },
        "ping_mediator" => Command::PingMediator,
        "receiveInvitation" | "receiveInvitationConnectionDid" => Command::ReceiveInvitation {
            url: required_str(&fields, cmd, "invitationUrl")?,
            connection_did: cmd == "receiveInvitationConnectionDid",
        },
        "receiveCredential" => Command::ReceiveCredential,
        "receiveMessage" => Command::ReceiveMessage,
        "presentationExchange" => Command::PresentationExchange,
        "deleteOobRecordById" => Command::DeleteOobRecord {
            id: required_str(&fields, cmd, "id")?,
        },
        "shutdown" => Command::Shutdown,
        other => return Err(format!("Invalid command: {other:?}")),
    })
}

fn required_str(fields: &Map<String, Value>, cmd: &str, name: &str) -> Result<String, String> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{cmd}: \"{name}\" is missing or not a string"))
}

fn optional_bool(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => values::parse_bool(s)
            .map(Some)
            .map_err(|e| format!("start: {name}: {e}")),
        Some(other) => Err(format!("start: {name} must be a boolean, got {other}")),
    }
}

/// `port` as owl-akrida sends it (a number) or as the seeds show it (a string).
fn optional_port(fields: &Map<String, Value>) -> Result<Option<u16>, String> {
    let bad = |v: &Value| format!("start: port must be a number from 1 to 65535, got {v}");
    match fields.get("port") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => n
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v @ Value::String(s)) => s
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v) => Err(bad(v)),
    }
}

/// A success line: `{"error":0,"result":result}` plus `extra` fields.
pub fn ok_line(result: Value, extra: Option<(&str, Value)>) -> String {
    let mut line = json!({"error": 0, "result": result});
    if let Some((name, value)) = extra {
        line[name] = value;
    }
    line.to_string()
}

/// A failure line: `{"error":1,"result":cause}`.
pub fn error_line(cause: &str) -> String {
    json!({"error": 1, "result": cause}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_commands_read_back_as_the_same_command() {
        let commands = [
            Command::Start {
                with_mediation: Some(true),
                port: Some(9000),
                agent_config: Some(json!({"id": "x"})),
            },
            Command::Start {
                with_mediation: Some(false),
                port: None,
                agent_config: None,
            },
            Command::PingMediator,
            Command::ReceiveInvitation {
                url: "https://example.org/?oob=e30".into(),
                connection_did: false,
            },
            Command::ReceiveInvitation {
                url: "https://example.org/?oob=e30".into(),
                connection_did: true,
            },
            Command::ReceiveCredential,
            Command::ReceiveMessage,
            Command::PresentationExchange,
            Command::DeleteOobRecord { id: "oob-1".into() },
            Command::Shutdown,
        ];
        for command in commands {
            assert_eq!(
                parse(&command.to_line()),
                Ok(command.clone()),
                "{command:?}"
            );
        }
    }

    #[test]
    fn written_lines_are_the_ones_external_agents_always_got() {
        // The bytes akrida wrote to agent.js before the commands were typed.
        assert_eq!(
            Command::PingMediator.to_line(),
            r#"{"cmd":"ping_mediator"}"#
        );
        assert_eq!(Command::Shutdown.to_line(), r#"{"cmd":"shutdown"}"#);
        let start = Command::Start {
            with_mediation: Some(true),
            port: None,
            agent_config: None,
        };
        let before = json!({
            "cmd": "start",
            "withMediation": true,
            "port": Option::<u64>::None,
            "agentConfig": Option::<Value>::None,
        });
        assert_eq!(start.to_line(), before.to_string());
    }

    #[test]
    fn reads_akrida_commands() {
        assert_eq!(
            parse(r#"{"cmd": "start", "withMediation": true, "port": 10001, "agentConfig": null}"#),
            Ok(Command::Start {
                with_mediation: Some(true),
                port: Some(10001),
                agent_config: None
            })
        );
        assert_eq!(
            parse(r#"{"cmd":"start","withMediation":"False","port":"5555"}"#),
            Ok(Command::Start {
                with_mediation: Some(false),
                port: Some(5555),
                agent_config: None
            })
        );
        assert_eq!(
            parse(r#"{"cmd":"ping_mediator"}"#),
            Ok(Command::PingMediator)
        );
        assert_eq!(
            parse(r#"{"cmd":"receiveInvitationConnectionDid","invitationUrl":"http://x?oob=e30"}"#),
            Ok(Command::ReceiveInvitation {
                url: "http://x?oob=e30".into(),
                connection_did: true
            })
        );
        assert_eq!(
            parse(r#"{"cmd":"deleteOobRecordById","id":"abc"}"#),
            Ok(Command::DeleteOobRecord { id: "abc".into() })
        );
        assert_eq!(parse(r#"{"cmd":"shutdown"}"#), Ok(Command::Shutdown));
    }

    #[test]
    fn bad_commands_are_readable_errors() {
        assert!(parse("not json").unwrap_err().contains("not JSON"));
        assert!(parse("[1]").unwrap_err().contains("not a JSON object"));
        assert!(parse(r#"{"x":1}"#).unwrap_err().contains("\"cmd\""));
        assert!(parse(r#"{"cmd":"fly"}"#)
            .unwrap_err()
            .starts_with("Invalid command"));
        assert!(parse(r#"{"cmd":"receiveInvitation"}"#)
            .unwrap_err()
            .contains("invitationUrl"));
        assert!(parse(r#"{"cmd":"start","port":70000}"#)
            .unwrap_err()
            .contains("port"));
        assert!(parse(r#"{"cmd":"start","withMediation":3}"#).is_err());
    }

    #[test]
    fn lines_are_single_json_objects() {
        assert_eq!(
            ok_line(json!("Ping Mediator"), None),
            r#"{"error":0,"result":"Ping Mediator"}"#
        );
        let line = ok_line(
            json!("Receive Connection"),
            Some(("connection", json!({"id": "1"}))),
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["connection"]["id"], "1");
        let e = error_line("line\nbreak");
        assert!(!e.contains('\n'));
        assert_eq!(serde_json::from_str::<Value>(&e).unwrap()["error"], 1);
    }
}
