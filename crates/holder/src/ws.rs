//! A WebSocket held open to a mediator. Everything the mediator pushes (replies, forwarded
//! messages, queued deliveries) is read by one small task per socket and handed to the inbox.
//!
//! Buffers are kept small on purpose: thousands of these live in one process, and tungstenite's
//! default 128 KiB write buffer per socket would alone blow the memory budget per holder.

use std::sync::Arc;

use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use tokio::net::TcpStream;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::error::HolderError;
use crate::inbox::Inbox;

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct WsSession {
    url: String,
    /// None once the connection was aborted ([`WsSession::reset`]).
    writer: Mutex<Option<SplitSink<Stream, Frame>>>,
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
    /// `tls` is the holder's own configuration (used for `wss://`).
    pub async fn connect(
        url: &str,
        inbox: Arc<Inbox>,
        tls: Arc<net::ClientConfig>,
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
                if let Err(e) = inbox.deliver_envelope(&bytes) {
                    tracing::debug!(url = %reader_url, error = %e, "dropped an inbound message");
                }
            }
            let _ = closed_tx.send(true);
        });
        Ok(Self {
            url: url.to_string(),
            writer: Mutex::new(Some(writer)),
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
        if self.is_closed() {
            return Err(HolderError::SocketClosed(
                self.close_cause().unwrap_or_else(|| "no close code".into()),
            ));
        }
        let mut writer = self.writer.lock().await;
        let writer = writer
            .as_mut()
            .ok_or_else(|| HolderError::SocketClosed("aborted by us".into()))?;
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
        let mut writer = self.writer.lock().await;
        if let Some(writer) = writer.as_mut() {
            let _ = writer.send(Frame::Close(None)).await;
            let _ = writer.close().await;
        }
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
