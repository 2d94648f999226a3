//! An inbound HTTP endpoint for holders that are not mediated: peers POST envelopes to it, and
//! each goes to an [`EnvelopeSink`]: one holder's inbox, or a router shared by many holders.
//!
//! Deliberately small (no HTTP framework): HTTP/1.1 POSTs with a `Content-Length` body, answered
//! `200` (`400` when the envelope cannot be opened), keep-alive honoured. That is what ACA-Py's
//! and Credo's outbound HTTP transports send.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::HolderError;
use crate::router::EnvelopeSink;

/// Largest envelope accepted (a credential with a large attachment still fits).
const MAX_BODY: usize = 8 << 20;
/// Largest request head accepted.
const MAX_HEAD_LINES: usize = 100;

pub struct InboundListener {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl InboundListener {
    /// Listens on `addr` (e.g. `127.0.0.1:10000`) and delivers what arrives into `sink`.
    pub async fn bind<S: EnvelopeSink>(addr: &str, sink: Arc<S>) -> Result<Self, HolderError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| HolderError::Protocol(format!("cannot listen on {addr}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HolderError::Protocol(format!("listener on {addr}: {e}")))?;
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve(stream, sink.clone()));
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "inbound accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(Self { addr, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for InboundListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one TCP connection: requests one after another until the peer closes it.
async fn serve<S: EnvelopeSink>(stream: TcpStream, sink: Arc<S>) {
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(status) => {
                let _ = respond(reader.get_mut(), status, true).await;
                return;
            }
        };
        let status = if request.method != "POST" {
            "405 Method Not Allowed"
        } else {
            match sink.deliver_envelope(&request.body) {
                Ok(()) => "200 OK",
                Err(e) => {
                    tracing::debug!(error = %e, "inbound envelope refused");
                    "400 Bad Request"
                }
            }
        };
        if respond(reader.get_mut(), status, request.close)
            .await
            .is_err()
            || request.close
        {
            return;
        }
    }
}

struct Request {
    method: String,
    body: Vec<u8>,
    close: bool,
}

/// One request; `Ok(None)` at a clean end of the connection, `Err(status)` for a bad request.
async fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, &'static str> {
    let mut line = String::new();
    match reader.read_line(&mut line).await {
        Ok(0) | Err(_) => return Ok(None),
        Ok(_) => {}
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or("400 Bad Request")?.to_string();
    let version = parts.nth(1).unwrap_or("HTTP/1.1").to_string();
    let mut length = 0usize;
    let mut close = version == "HTTP/1.0";
    for _ in 0..MAX_HEAD_LINES {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
        let header = line.trim_end();
        if header.is_empty() {
            if length > MAX_BODY {
                return Err("413 Payload Too Large");
            }
            let mut body = vec![0; length];
            reader
                .read_exact(&mut body)
                .await
                .map_err(|_| "400 Bad Request")?;
            return Ok(Some(Request {
                method,
                body,
                close,
            }));
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err("400 Bad Request");
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| "400 Bad Request")?,
            "transfer-encoding" if !value.eq_ignore_ascii_case("identity") => {
                return Err("501 Not Implemented")
            }
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    Err("431 Request Header Fields Too Large")
}

async fn respond(stream: &mut TcpStream, status: &str, close: bool) -> std::io::Result<()> {
    let connection = if close { "close" } else { "keep-alive" };
    let head =
        format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: {connection}\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Inbox;
    use crate::keyring::KeyRing;
    use didcomm::KeyPair;

    #[tokio::test]
    async fn delivers_posted_envelopes_and_refuses_garbage() {
        let key = KeyPair::generate();
        let keys = KeyRing::default();
        keys.add(key.clone());
        let inbox = Arc::new(Inbox::new(keys));
        let listener = InboundListener::bind("127.0.0.1:0", inbox.clone())
            .await
            .unwrap();
        let url = format!("http://{}/", listener.local_addr());
        let message = br#"{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"m1","content":"hi"}"#;
        let envelope = didcomm::pack(message, &[key.verkey()], None).unwrap();
        let client = reqwest::Client::new();
        for _ in 0..2 {
            let status = client
                .post(&url)
                .body(envelope.clone())
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200);
        }
        let got = inbox
            .next_unsolicited(std::time::Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(got.id(), Some("m1"));
        let bad = client.post(&url).body("garbage").send().await.unwrap();
        assert_eq!(bad.status(), 400);
    }
}
