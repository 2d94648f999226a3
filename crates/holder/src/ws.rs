//! A WebSocket held open to a mediator. Everything the mediator pushes (replies, forwarded
//! messages, queued deliveries) is read by one small task per socket and handed to the inbox.
//!
//! A Pickup 2.0 `delivery` the mediator pushes (live mode) is opened by the inbox, and the reader
//! acknowledges what was opened with `messages-received` on this same socket, as live mode asks:
//! the mediator holds a pushed message until then.
//!
//! Buffers are kept small on purpose: thousands of these live in one process, and tungstenite's
//! default 128 KiB write buffer per socket would alone blow the memory budget per holder.
//!
//! It sits under `outbound` (whose `Channel::Ws` sends through it) and over `inbox`, `delivery`
//! and `pairwise`: it must not depend on `outbound`, `connection`, `mediation` or `pickup`.

use std::sync::Arc;

use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::delivery::{messages_received, OpenedDelivery};
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::pairwise::Connection;

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// The sending half, shared with the reader (which acknowledges pushed deliveries). `None` once
/// we closed the socket: dropping our half then lets the TCP connection end as soon as the
/// reader has seen the peer's close, so the peer learns at once that we are gone.
type Writer = Arc<Mutex<Option<SplitSink<Stream, Frame>>>>;

pub struct WsSession {
    url: String,
    /// None once we closed or aborted the connection ([`WsSession::close`], [`WsSession::reset`]).
    writer: Writer,
    closed: watch::Receiver<bool>,
    /// Why the socket closed, as the peer said it (close code and reason) or as it broke.
    close_cause: Arc<std::sync::Mutex<Option<String>>>,
    reader: JoinHandle<()>,
    /// The TCP socket's descriptor, to abort the connection with a reset (see [`WsSession::reset`]).
    fd: Option<std::os::fd::RawFd>,
}

fn small_buffers() -> WebSocketConfig {
    WebSocketConfig {
        // Write each frame at once: a holder sends one message and waits for its answer.
        write_buffer_size: 0,
        max_write_buffer_size: 1 << 20,
        // DIDComm messages are small; a credential with a large attachment still fits.
        max_message_size: Some(8 << 20),
        max_frame_size: Some(8 << 20),
        ..WebSocketConfig::default()
    }
}

impl WsSession {
    /// Opens the socket and starts reading from it into `inbox`.
    /// `tls` is the holder's own configuration (used for `wss://`). `mediator` is the connection
    /// whose pushed Pickup 2.0 deliveries this socket acknowledges (none: a socket to a peer
    /// that is not our mediator).
    pub async fn connect(
        url: &str,
        inbox: Arc<Inbox>,
        tls: Arc<net::ClientConfig>,
        mediator: Option<Connection>,
    ) -> Result<Self, HolderError> {
        let (stream, _response) = tokio_tungstenite::connect_async_tls_with_config(
            url,
            Some(small_buffers()),
            false,
            Some(tokio_tungstenite::Connector::Rustls(tls)),
        )
        .await
        .map_err(|e| HolderError::WebSocket {
            url: url.to_string(),
            reason: net::explain(&e),
        })?;
        let fd = raw_fd(&stream);
        let (writer, mut read) = stream.split();
        let writer: Writer = Arc::new(Mutex::new(Some(writer)));
        let reader_writer = writer.clone();
        let (closed_tx, closed) = watch::channel(false);
        let close_cause = Arc::new(std::sync::Mutex::new(None));
        let cause = close_cause.clone();
        let reader_url = url.to_string();
        let reader = tokio::spawn(async move {
            while let Some(frame) = read.next().await {
                let bytes = match frame {
                    // ACA-Py sends binary frames; others send text. Both carry an envelope.
                    Ok(Frame::Binary(bytes)) => bytes,
                    Ok(Frame::Text(text)) => text.into_bytes(),
                    Ok(Frame::Close(frame)) => {
                        // ACA-Py closes with 1003 when it cannot unpack what we sent (also when
                        // its wallet times out under load): worth showing in the failure table.
                        let said =
                            frame.map(|f| format!("code {} {}", u16::from(f.code), f.reason));
                        record_cause(&cause, said.unwrap_or_else(|| "no close code".into()));
                        break;
                    }
                    Err(e) => {
                        record_cause(&cause, net::explain(&e));
                        break;
                    }
                    Ok(_) => continue, // ping/pong are answered by tungstenite itself
                };
                tracing::debug!(url = %reader_url, bytes = bytes.len(), "frame received");
                match inbox.receive_envelope(&bytes) {
                    Ok(None) => {}
                    Ok(Some(pushed)) => {
                        acknowledge(pushed, mediator.as_ref(), &reader_writer, &reader_url).await
                    }
                    Err(e) => {
                        tracing::debug!(url = %reader_url, error = %e, "dropped an inbound message")
                    }
                }
            }
            let _ = closed_tx.send(true);
        });
        Ok(Self {
            url: url.to_string(),
            writer,
            closed,
            close_cause,
            reader,
            fd,
        })
    }

    /// Stops reading, as a suspended app does: the socket stays open, nothing is read (so the
    /// mediator's writes pile up in kernel buffers) and pings are not answered. Only the
    /// mediator's own heartbeat can tell. Dropping the session later closes the socket.
    pub fn vanish(&self) {
        self.reader.abort();
    }

    /// Aborts the connection as a lost network does: SO_LINGER 0, then close, so the kernel
    /// sends a TCP reset instead of a goodbye. The session is closed afterwards.
    pub async fn reset(&self) {
        if let Some(fd) = self.fd {
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: `fd` belongs to the stream this session still owns (it is closed only when
            // both halves are dropped, below), and `linger` is a valid `struct linger` of the
            // size given.
            let done = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    std::ptr::addr_of!(linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
            if done != 0 {
                tracing::debug!(url = %self.url, "could not set SO_LINGER 0; the socket closes normally");
            }
        }
        // With the reader aborted and the writer dropped, both halves of the stream are gone
        // and the descriptor is closed: the reset goes out.
        self.reader.abort();
        drop(self.writer.lock().await.take());
        record_cause(&self.close_cause, "aborted by us (reset)".into());
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Why the socket closed, if it did and the peer or the error said.
    pub fn close_cause(&self) -> Option<String> {
        self.close_cause.lock().ok().and_then(|c| c.clone())
    }

    /// Sends one envelope as a binary frame.
    pub async fn send(&self, envelope: Vec<u8>) -> Result<(), HolderError> {
        let closed = || {
            HolderError::SocketClosed(self.close_cause().unwrap_or_else(|| "no close code".into()))
        };
        if self.is_closed() {
            return Err(closed());
        }
        let mut writer = self.writer.lock().await;
        let Some(writer) = writer.as_mut() else {
            return Err(HolderError::SocketClosed("closed by us".into()));
        };
        writer
            .send(Frame::Binary(envelope))
            .await
            .map_err(|e| HolderError::WebSocket {
                url: self.url.clone(),
                reason: net::explain(&e),
            })
    }

    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Resolves when the peer closes the socket or it breaks.
    pub async fn wait_closed(&self) {
        let mut closed = self.closed.clone();
        // An error means the reader task ended, which also means closed.
        let _ = closed.wait_for(|c| *c).await;
    }

    /// Closes the socket cleanly (a close frame), so the mediator sees a normal goodbye.
    pub async fn close(&self) {
        // Taken out and dropped: Credo, for one, forgets a socket (and a live-mode session on
        // it) only when its TCP connection ends, which needs both halves of ours gone.
        let Some(mut writer) = self.writer.lock().await.take() else {
            return;
        };
        let _ = writer.send(Frame::Close(None)).await;
        let _ = writer.close().await;
    }
}

/// The TCP descriptor under a (possibly TLS) WebSocket stream.
fn raw_fd(stream: &Stream) -> Option<std::os::fd::RawFd> {
    use std::os::fd::AsRawFd;
    match stream.get_ref() {
        MaybeTlsStream::Plain(tcp) => Some(tcp.as_raw_fd()),
        MaybeTlsStream::Rustls(tls) => Some(tls.get_ref().0.as_raw_fd()),
        _ => None,
    }
}

/// Acknowledges what a pushed delivery brought, on the socket it came on. What could not be
/// opened is left unacknowledged (the inbox counted it and it was logged), so the mediator
/// keeps it; an acknowledgement that cannot be sent is logged, and the mediator keeps those too.
async fn acknowledge(
    pushed: OpenedDelivery,
    mediator: Option<&Connection>,
    writer: &Writer,
    url: &str,
) {
    if pushed.received.is_empty() {
        return;
    }
    let Some(mediator) = mediator else {
        tracing::warn!(url, messages = pushed.received.len(), "a pushed pickup delivery came on a socket that is not to our mediator: not acknowledged");
        return;
    };
    let sent = match mediator.pack(&messages_received(&pushed.received)) {
        Ok(envelope) => match writer.lock().await.as_mut() {
            Some(writer) => writer
                .send(Frame::Binary(envelope))
                .await
                .map_err(|e| net::explain(&e)),
            None => Err("we closed the socket".to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(reason) = sent {
        tracing::warn!(url, %reason, messages = pushed.received.len(), "could not acknowledge a pushed pickup delivery");
    }
}

fn record_cause(slot: &std::sync::Mutex<Option<String>>, cause: String) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert(cause);
    }
}

impl Drop for WsSession {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{delivery, envelope_for, holder_inbox, json_attachment};
    use didcomm::diddoc::DidCommService;
    use didcomm::KeyPair;
    use serde_json::Value;
    use std::time::Duration;

    /// A mediator connection as the holder holds it: its key, our key, its ws endpoint.
    fn mediator_connection(ours: &KeyPair, theirs: &KeyPair, url: &str) -> Connection {
        Connection {
            my_key: ours.clone(),
            my_did: "did:peer:holder".into(),
            their_did: "did:peer:mediator".into(),
            their_services: vec![DidCommService {
                recipient_keys: vec![theirs.verkey()],
                routing_keys: vec![],
                endpoint: url.to_string(),
            }],
            protocol: didcomm::invitation::HandshakeProtocol::DidExchange11,
            pair: Default::default(),
        }
    }

    /// Live mode as Credo does it: the mediator pushes a `delivery` down the socket; the holder
    /// opens it into its inbox and answers `messages-received` for it on the same socket.
    #[tokio::test]
    async fn a_pushed_delivery_is_acknowledged_on_the_socket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let (inbox, connection_key) = holder_inbox();
        let routing_key = KeyPair::generate();
        inbox.keys().add(routing_key.clone());
        let inbox = Arc::new(inbox);
        let mediator_key = KeyPair::generate();

        let pushed = delivery(vec![json_attachment(
            "live-1",
            &envelope_for(&routing_key, "pushed live"),
        )]);
        let pushed = didcomm::pack(
            pushed.to_string().as_bytes(),
            &[connection_key.verkey()],
            Some(&mediator_key),
        )
        .unwrap();
        let mediator_side = mediator_key.clone();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            socket
                .send(Frame::Text(String::from_utf8(pushed).unwrap()))
                .await
                .unwrap();
            let answer = loop {
                match socket.next().await.unwrap().unwrap() {
                    Frame::Binary(bytes) => break bytes,
                    _ => continue,
                }
            };
            let opened = didcomm::envelope::unpack(&answer, |kid| {
                (*kid == mediator_side.verkey()).then(|| mediator_side.clone())
            })
            .unwrap();
            serde_json::from_slice::<Value>(&opened.message).unwrap()
        });

        let connection = mediator_connection(&connection_key, &mediator_key, &url);
        let tls = Arc::new(net::Trust::platform().client_config());
        let _session = WsSession::connect(&url, inbox.clone(), tls, Some(connection))
            .await
            .unwrap();
        let got = inbox
            .next_unsolicited(Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(got.value["content"], "pushed live");
        let ack = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            ack["@type"],
            "https://didcomm.org/messagepickup/2.0/messages-received"
        );
        assert_eq!(ack["message_id_list"], serde_json::json!(["live-1"]));
        assert_eq!(ack["~transport"]["return_route"], "all");
    }
}
