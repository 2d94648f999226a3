//! What can go wrong between a worker and its master. Every error names what was wrong.

use std::time::Duration;

/// A message from the master that cannot be used. The worker logs it and goes on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    #[error("not a MessagePack value: {0}")]
    NotMessagePack(String),
    #[error("{extra} bytes left after the message ({total} bytes in the frame)")]
    TrailingBytes { extra: usize, total: usize },
    #[error("not a Locust message: {0}")]
    Shape(String),
    #[error("a `{kind}` message with unusable data: {what}")]
    BadData { kind: &'static str, what: String },
    #[error("a ZeroMQ message without frames")]
    EmptyFrame,
    #[error("receiving from the master failed: {0}")]
    Transport(String),
}

/// Why a worker could not reach its master.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the client id {0:?} cannot be a ZeroMQ identity (1 to 255 bytes, not starting with a zero byte)")]
    BadIdentity(String),
    #[error("no ZeroMQ peer at {endpoint} within {timeout:?}: {cause}")]
    Unreachable {
        endpoint: String,
        timeout: Duration,
        cause: String,
    },
    #[error("{endpoint} accepted the connection but sent no `ack` to client_ready within {timeout:?} (is it a Locust master?)")]
    NoAck { endpoint: String, timeout: Duration },
}

/// A message that could not be handed to the socket.
#[derive(Debug, thiserror::Error)]
#[error("sending `{kind}` to the master failed: {cause}")]
pub struct SendError {
    pub kind: String,
    pub cause: String,
    /// The connection to the master is gone (its end closed); nothing more will pass on it.
    pub disconnected: bool,
}

/// Why a worker ended other than by the master's `quit` or a local shutdown.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("no Locust master answered at {endpoint} within {waited:?} ({attempts} attempts; last: {last})")]
    MasterUnreachable {
        endpoint: String,
        waited: Duration,
        attempts: u32,
        last: String,
    },
    #[error(transparent)]
    Connect(ConnectError),
    #[error("the engine refused the run: {0}")]
    Engine(#[from] engine::EngineError),
    /// The thread that talks to the master could not start, or ended without an answer.
    #[error("the worker's session thread: {0}")]
    SessionThread(String),
}
