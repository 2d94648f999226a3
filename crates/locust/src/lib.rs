//! Locust's master/worker protocol, so that akrida workers join a stock Locust 2.x master
//! (`locust --master`) and are driven like Python workers: its web UI, its CSV files, its
//! distribution of users over machines.
//!
//! - [`message`]: one MessagePack frame `[type, data, node_id]` (`locust/rpc/protocol.py`).
//! - [`protocol`]: the typed messages of `locust/runners.py` in both directions.
//! - [`connection`]: a ZeroMQ DEALER socket (pure Rust) whose identity is the client id.
//! - [`report`]: the `stats` payload, renamed from the engine's `IntervalStats`.
//! - [`worker`]: the worker's life — join, spawn, report, stop, quit, heal after a stall, rejoin
//!   a lost master; its session on a thread of its own, apart from the users.
//!
//! This crate must not own any stats logic: every figure it sends comes from the engine's one
//! stats model. Nor does it know what a scenario speaks.

pub mod connection;
pub mod error;
pub mod message;
pub mod process;
pub mod protocol;
pub mod report;
pub mod worker;

pub use error::{ConnectError, ProtocolError, SendError, WorkerError};
pub use message::Message;
pub use protocol::{FromMaster, SpawnJob, ToMaster, WorkerState};
pub use worker::{new_client_id, MasterLoss, Worker, WorkerConfig, WorkerEnd, WorkerEvent};

/// The Locust user class name for a scenario: `mediator-ping` → `MediatorPing`, the class the
/// master's locustfile declares (`crates/locust/locustfiles/akrida.py`).
pub fn user_class_name(scenario: &str) -> String {
    scenario
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().expect("parts are not empty");
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn class_names() {
        assert_eq!(super::user_class_name("mediator-ping"), "MediatorPing");
        assert_eq!(
            super::user_class_name("issue_credential"),
            "IssueCredential"
        );
        assert_eq!(super::user_class_name("msg"), "Msg");
    }
}
