//! The worker's end of the ZeroMQ link: a DEALER socket whose identity is the client id, as
//! Locust's `rpc.Client` (`zmqrpc.py`) sets `zmq.IDENTITY`, so the master's ROUTER can address it.
//! One frame per message. Pure Rust (`zeromq` crate): no libzmq on the machine.

use std::time::Duration;

use tokio::sync::mpsc;
use zeromq::util::PeerIdentity;
use zeromq::{
    DealerSendHalf, DealerSocket, Socket, SocketOptions, SocketRecv, SocketSend, ZmqError,
};

use crate::error::{ConnectError, ProtocolError, SendError};
use crate::message::Message;

/// How long one send may wait for room in the socket's queue before it is given up.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// Messages read ahead of the worker loop.
const INBOX: usize = 256;
/// After the socket is dropped, its TCP stream is closed by the socket's writer task: time for
/// that to happen before a new connection with the same identity is opened.
const CLOSE_GRACE: Duration = Duration::from_millis(200);

/// A connected DEALER socket and a task reading it.
pub struct Connection {
    endpoint: String,
    send: DealerSendHalf,
    inbox: mpsc::Receiver<Result<Message, ProtocolError>>,
    reader: Reader,
}

/// The task reading the socket; it owns the socket's receiving half. Aborted when dropped.
struct Reader(Option<tokio::task::JoinHandle<()>>);

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

impl Connection {
    /// Connects to `tcp://host:port` as `client_id`; fails when no peer accepts within `timeout`.
    pub async fn open(
        host: &str,
        port: u16,
        client_id: &str,
        timeout: Duration,
    ) -> Result<Self, ConnectError> {
        let endpoint = endpoint(host, port);
        let identity = PeerIdentity::try_from(client_id.as_bytes().to_vec())
            .map_err(|_| ConnectError::BadIdentity(client_id.to_owned()))?;
        if client_id.is_empty() {
            return Err(ConnectError::BadIdentity(client_id.to_owned()));
        }
        let mut options = SocketOptions::default();
        options.peer_identity(identity).connect_timeout(timeout);
        let mut socket = DealerSocket::with_options(options);
        let unreachable = |cause: String| ConnectError::Unreachable {
            endpoint: endpoint.clone(),
            timeout,
            cause,
        };
        // The socket's own timeout bounds the attempt; this one guards against it not doing so.
        match tokio::time::timeout(timeout + Duration::from_secs(1), socket.connect(&endpoint))
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Err(_) => return Err(unreachable("timed out".to_owned())),
        }
        let (send, mut recv) = socket.split();
        let (tx, inbox) = mpsc::channel(INBOX);
        let reader = tokio::spawn(async move {
            loop {
                let item = match recv.recv().await {
                    Ok(message) => match message.into_vec().pop() {
                        Some(frame) => Message::decode(&frame),
                        None => Err(ProtocolError::EmptyFrame),
                    },
                    Err(e) => {
                        let item = Err(ProtocolError::Transport(e.to_string()));
                        if tx.send(item).await.is_err() {
                            return;
                        }
                        // Errors come from a broken peer stream; do not spin on them.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                if tx.send(item).await.is_err() {
                    return;
                }
            }
        });
        Ok(Connection {
            endpoint,
            send,
            inbox,
            reader: Reader(Some(reader)),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Queues one message for the master. Fails when the master is not connected.
    pub async fn send(&mut self, message: &Message) -> Result<(), SendError> {
        let error = |cause: String, disconnected: bool| SendError {
            kind: message.kind.clone(),
            cause,
            disconnected,
        };
        match tokio::time::timeout(SEND_TIMEOUT, self.send.send(message.encode().into())).await {
            Ok(Ok(())) => Ok(()),
            // The socket has no peer left: the master's end of the TCP connection closed (a
            // DEALER of this crate does not reconnect by itself).
            Ok(Err(e @ ZmqError::ReturnToSender { .. })) => Err(error(e.to_string(), true)),
            Ok(Err(e)) => Err(error(e.to_string(), false)),
            Err(_) => Err(error(
                format!("no room in the socket queue within {SEND_TIMEOUT:?}"),
                false,
            )),
        }
    }

    /// Closes the socket and waits a moment for its TCP stream to go, so that the master's
    /// ROUTER has dropped this identity's old connection before a new one with the same identity
    /// arrives (a ROUTER refuses a second connection of an identity it still has).
    pub async fn close(self) {
        let Connection {
            send, mut reader, ..
        } = self;
        // The reader task owns the receiving half: the socket closes once both halves are gone.
        if let Some(task) = reader.0.take() {
            task.abort();
            let _ = task.await;
        }
        drop(send);
        tokio::time::sleep(CLOSE_GRACE).await;
    }

    /// The next message from the master, or why one could not be read. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, ProtocolError> {
        match self.inbox.recv().await {
            Some(item) => item,
            None => Err(ProtocolError::Transport("the reader task ended".to_owned())),
        }
    }
}

/// `tcp://host:port`, with IPv6 literals bracketed.
pub fn endpoint(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("tcp://[{host}]:{port}")
    } else {
        format!("tcp://{host}:{port}")
    }
}
