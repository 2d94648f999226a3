//! The messages of Locust's master/worker protocol (`locust/runners.py`, 2.x), typed: what a
//! master sends a worker, read strictly (a malformed one is an error, never a panic), and what a
//! worker sends, built in the shapes `MasterRunner.handle_message` reads.

use std::collections::BTreeMap;

use rmpv::Value;

use crate::error::ProtocolError;
use crate::message::{describe, get, map, Message};

/// What a worker sends in `client_ready`. The master accepts its own version or `-1` without a
/// word (`msg.data != __version__ and msg.data != -1` → warning); `-1` is what non-Python workers
/// send, so a master of any 2.x version takes akrida without a version warning.
pub const CLIENT_READY_VERSION: i64 = -1;

/// Worker states as the master's `WorkerNode.state` holds them (`runners.py` `STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    Ready,
    Spawning,
    Running,
    Stopped,
}

impl WorkerState {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerState::Ready => "ready",
            WorkerState::Spawning => "spawning",
            WorkerState::Running => "running",
            WorkerState::Stopped => "stopped",
        }
    }
}

/// A `spawn` job: how many users of each class this worker must now run.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnJob {
    /// Master's `time.time()` when it sent the job; older or equal jobs are discarded.
    pub timestamp: f64,
    pub user_classes_count: BTreeMap<String, u64>,
    /// The master's `--host`, if any (akrida's scenarios take their targets from their own
    /// settings; this is only reported).
    pub host: Option<String>,
    /// Seconds the master gives stopping users (`--stop-timeout`), 0 when unset.
    pub stop_timeout: f64,
    /// The master's whole spawn rate (`parsed_options.spawn_rate`), when it sent one.
    pub spawn_rate: Option<f64>,
}

/// Everything a master may send a worker.
#[derive(Debug, Clone, PartialEq)]
pub enum FromMaster {
    /// Answer to `client_ready`; masters after 2.10 say which worker index this is.
    Ack {
        index: Option<i64>,
    },
    Spawn(SpawnJob),
    Stop,
    Quit,
    /// Reset the connection (same client id) and go on.
    Reconnect,
    Heartbeat,
    /// The whole ramp-up is done; `user_count` is the total over all workers.
    SpawningComplete {
        user_count: Option<u64>,
    },
    /// A message this worker has no use for (`update_user_class`, custom messages, ...).
    Other(String),
}

impl FromMaster {
    /// Reads a decoded message; a known type with data of the wrong shape is an error.
    pub fn parse(message: &Message) -> Result<Self, ProtocolError> {
        let data = &message.data;
        Ok(match message.kind.as_str() {
            "ack" => FromMaster::Ack {
                index: get(data, "index").and_then(Value::as_i64),
            },
            "spawn" => FromMaster::Spawn(parse_spawn(data)?),
            "stop" => FromMaster::Stop,
            "quit" => FromMaster::Quit,
            "reconnect" => FromMaster::Reconnect,
            "heartbeat" => FromMaster::Heartbeat,
            "spawning_complete" => FromMaster::SpawningComplete {
                user_count: get(data, "user_count").and_then(Value::as_u64),
            },
            other => FromMaster::Other(other.to_owned()),
        })
    }
}

fn parse_spawn(data: &Value) -> Result<SpawnJob, ProtocolError> {
    let bad = |what: String| ProtocolError::BadData {
        kind: "spawn",
        what,
    };
    if !data.is_map() {
        return Err(bad(format!("data must be a map, got {}", describe(data))));
    }
    let timestamp = get(data, "timestamp")
        .and_then(Value::as_f64)
        .filter(|t| t.is_finite())
        .ok_or_else(|| bad("no numeric timestamp".to_owned()))?;
    let classes = get(data, "user_classes_count")
        .and_then(Value::as_map)
        .ok_or_else(|| bad("no user_classes_count map".to_owned()))?;
    let mut user_classes_count = BTreeMap::new();
    for (name, count) in classes {
        let name = name
            .as_str()
            .ok_or_else(|| bad(format!("a user class name is {}", describe(name))))?;
        let count = count.as_u64().ok_or_else(|| {
            bad(format!(
                "the count of user class {name:?} is {} (not a count)",
                describe(count)
            ))
        })?;
        user_classes_count.insert(name.to_owned(), count);
    }
    let host = get(data, "host")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .map(str::to_owned);
    let stop_timeout = get(data, "stop_timeout")
        .and_then(Value::as_f64)
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(0.0);
    let spawn_rate = get(data, "parsed_options")
        .and_then(|options| get(options, "spawn_rate"))
        .and_then(Value::as_f64)
        .filter(|r| r.is_finite() && *r > 0.0);
    Ok(SpawnJob {
        timestamp,
        user_classes_count,
        host,
        stop_timeout,
        spawn_rate,
    })
}

/// Messages a worker sends, addressed with its client id.
pub struct ToMaster;

impl ToMaster {
    pub fn client_ready(client_id: &str) -> Message {
        Message::new("client_ready", Value::from(CLIENT_READY_VERSION), client_id)
    }

    /// `current_cpu_usage` in percent of one core (as psutil's `cpu_percent`), memory in bytes.
    pub fn heartbeat(
        client_id: &str,
        state: WorkerState,
        cpu_percent: f64,
        memory: u64,
    ) -> Message {
        Message::new(
            "heartbeat",
            map([
                ("state", Value::from(state.as_str())),
                ("current_cpu_usage", Value::from(cpu_percent)),
                ("current_memory_usage", Value::from(memory)),
            ]),
            client_id,
        )
    }

    pub fn spawning(client_id: &str) -> Message {
        Message::new("spawning", Value::Nil, client_id)
    }

    pub fn spawning_complete(
        client_id: &str,
        user_classes_count: &BTreeMap<String, u64>,
    ) -> Message {
        let user_count: u64 = user_classes_count.values().sum();
        Message::new(
            "spawning_complete",
            map([
                ("user_classes_count", classes_value(user_classes_count)),
                ("user_count", Value::from(user_count)),
            ]),
            client_id,
        )
    }

    /// `data` is the payload built by [`crate::report::stats_payload`].
    pub fn stats(client_id: &str, data: Value) -> Message {
        Message::new("stats", data, client_id)
    }

    pub fn client_stopped(client_id: &str) -> Message {
        Message::new("client_stopped", Value::Nil, client_id)
    }

    pub fn quit(client_id: &str) -> Message {
        Message::new("quit", Value::Nil, client_id)
    }

    /// Shown in the master's Exceptions tab.
    pub fn exception(client_id: &str, msg: &str, traceback: &str) -> Message {
        Message::new(
            "exception",
            map([
                ("msg", Value::from(msg)),
                ("traceback", Value::from(traceback)),
            ]),
            client_id,
        )
    }
}

pub(crate) fn classes_value(user_classes_count: &BTreeMap<String, u64>) -> Value {
    map(user_classes_count
        .iter()
        .map(|(name, n)| (name.clone(), Value::from(*n))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawn_message(data: Value) -> Message {
        Message {
            kind: "spawn".into(),
            data,
            node_id: Some("w".into()),
        }
    }

    #[test]
    fn reads_a_spawn_job_as_the_master_sends_it() {
        let data = map([
            ("timestamp", Value::from(1_700_000_000.25)),
            (
                "user_classes_count",
                map([("MediatorPing", Value::from(50u64))]),
            ),
            ("host", Value::Nil),
            ("stop_timeout", Value::Nil),
            (
                "parsed_options",
                map([
                    ("headless", Value::from(true)),
                    ("spawn_rate", Value::from(20.0)),
                ]),
            ),
        ]);
        let job = match FromMaster::parse(&spawn_message(data)).unwrap() {
            FromMaster::Spawn(job) => job,
            other => panic!("{other:?}"),
        };
        assert_eq!(job.timestamp, 1_700_000_000.25);
        assert_eq!(job.user_classes_count["MediatorPing"], 50);
        assert_eq!(job.host, None);
        assert_eq!(job.stop_timeout, 0.0);
        assert_eq!(job.spawn_rate, Some(20.0));
    }

    #[test]
    fn a_malformed_spawn_is_an_error() {
        for data in [
            Value::Nil,
            map([("timestamp", Value::from("now"))]),
            map([("timestamp", Value::from(1.0))]),
            map([
                ("timestamp", Value::from(1.0)),
                ("user_classes_count", map([("A", Value::from(-3))])),
            ]),
            map([
                ("timestamp", Value::from(1.0)),
                (
                    "user_classes_count",
                    Value::Map(vec![(Value::from(1), Value::from(1))]),
                ),
            ]),
        ] {
            assert!(
                FromMaster::parse(&spawn_message(data.clone())).is_err(),
                "{data}"
            );
        }
    }

    #[test]
    fn unknown_types_are_other() {
        let message = Message {
            kind: "update_user_class".into(),
            data: Value::Nil,
            node_id: None,
        };
        assert_eq!(
            FromMaster::parse(&message).unwrap(),
            FromMaster::Other("update_user_class".into())
        );
    }
}
