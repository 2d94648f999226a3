//! An inbound HTTP endpoint for holders that are not mediated: peers POST envelopes to it, and
//! each goes to an [`EnvelopeSink`]: one holder's inbox, or a router shared by many holders.
//!
//! Served by akrida's one HTTP server ([`net::server`]): keep-alive, `Content-Length` or chunked
//! bodies (ACA-Py's and Credo's outbound HTTP transports send the first), up to [`MAX_BODY`].
//! A delivered envelope is answered `200`, one that cannot be opened `400`, other methods `405`.

use std::net::SocketAddr;
use std::sync::Arc;

use net::server::{Handler, HttpServer, Limits, Method, Reply, Request, StatusCode};
use tokio::net::TcpListener;

use crate::error::HolderError;
use crate::router::EnvelopeSink;

/// Largest envelope accepted (a credential with a large attachment still fits).
pub const MAX_BODY: usize = 8 << 20;

pub struct InboundListener {
    server: HttpServer,
}

impl InboundListener {
    /// Listens on `addr` (e.g. `127.0.0.1:10000`) and delivers what arrives into `sink`.
    pub async fn bind<S: EnvelopeSink>(addr: &str, sink: Arc<S>) -> Result<Self, HolderError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| HolderError::Protocol(format!("cannot listen on {addr}: {e}")))?;
        let handler = Arc::new(Deliver { sink });
        let server = HttpServer::start(listener, handler, Limits::with_max_body(MAX_BODY));
        Ok(Self { server })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

/// Hands each POSTed body to the sink.
struct Deliver<S> {
    sink: Arc<S>,
}

impl<S: EnvelopeSink> Handler for Deliver<S> {
    fn handle(&self, request: Request) -> Reply {
        if request.method != Method::POST {
            return Reply::text(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST DIDComm envelopes here\n",
            );
        }
        match self.sink.deliver_envelope(&request.body) {
            Ok(()) => Reply::empty(StatusCode::OK),
            Err(e) => {
                tracing::debug!(error = %e, "inbound envelope refused");
                Reply::text(StatusCode::BAD_REQUEST, format!("{e}\n"))
            }
        }
    }

    fn refused(&self, reason: &str) {
        tracing::debug!(reason, "inbound request refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Inbox;
    use crate::keyring::KeyRing;
    use didcomm::KeyPair;

    /// A holder's key, its inbox, and a listener delivering into it.
    async fn listening_inbox() -> (KeyPair, Arc<Inbox>, InboundListener) {
        let key = KeyPair::generate();
        let keys = KeyRing::default();
        keys.add(key.clone());
        let inbox = Arc::new(Inbox::new(keys));
        let listener = InboundListener::bind("127.0.0.1:0", inbox.clone())
            .await
            .unwrap();
        (key, inbox, listener)
    }

    #[tokio::test]
    async fn delivers_posted_envelopes_and_refuses_garbage() {
        let (key, inbox, listener) = listening_inbox().await;
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

    /// Sends `body` in two chunks (`Transfer-Encoding: chunked`); returns the status line.
    async fn post_chunked(addr: SocketAddr, body: &[u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (first, second) = body.split_at(body.len() / 2);
        let mut raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for chunk in [first, second] {
            raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            raw.extend_from_slice(chunk);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(&raw).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        reply.lines().next().unwrap_or_default().to_string()
    }

    #[tokio::test]
    async fn chunked_envelopes_are_delivered_and_chunked_garbage_is_400() {
        let (key, inbox, listener) = listening_inbox().await;
        let message = br#"{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"c1","content":"chunked"}"#;
        let envelope = didcomm::pack(message, &[key.verkey()], None).unwrap();
        let status = post_chunked(listener.local_addr(), &envelope).await;
        assert_eq!(status, "HTTP/1.1 200 OK");
        let got = inbox
            .next_unsolicited(std::time::Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(got.id(), Some("c1"));
        let status = post_chunked(listener.local_addr(), b"not an envelope").await;
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
    }
}
