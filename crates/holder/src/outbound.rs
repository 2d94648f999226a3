//! Sending: deliver a packed message over HTTP, or down a WebSocket we hold ([`Channel`]). A reply
//! that comes back in the HTTP response body (return route) is handed to the inbox like any other
//! inbound envelope. The packing itself (authcrypt, then one forward layer per routing key) is
//! `pairwise`'s, re-exported here.
//!
//! The transports' top: it builds on `ws`, `inbox` and `pairwise`, and must not depend on the
//! protocols above it (`connection`, `mediation`, `pickup`).

use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::pairwise::Connection;
// Packing lives with the connection it packs for; re-exported for the callers that used it here.
pub use crate::pairwise::{pack_for_pair, pack_for_service};
use crate::ws::WsSession;

/// The media type of RFC 0019 envelopes. ACA-Py also accepts `application/ssi-agent-wire`.
pub const ENVELOPE_MEDIA_TYPE: &str = "application/didcomm-envelope-enc";

/// POSTs an envelope. When the peer answers with an envelope in the body (return route), it is
/// unpacked into `inbox`.
pub async fn post_envelope(
    http: &reqwest::Client,
    url: &str,
    envelope: Vec<u8>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, ENVELOPE_MEDIA_TYPE)
        .body(envelope)
        .send()
        .await
        .map_err(|e| HolderError::Http {
            url: url.to_string(),
            reason: net::explain(&e),
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(HolderError::HttpStatus {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let body = response.bytes().await.map_err(|e| HolderError::Http {
        url: url.to_string(),
        reason: net::explain(&e),
    })?;
    if !body.is_empty() {
        inbox.deliver_envelope(&body)?;
    }
    Ok(())
}

/// How a message reaches a peer: an HTTP POST (replies come back in the response body, when the
/// message asks for a return route) or a WebSocket we hold open (replies come on the socket).
#[derive(Clone, Copy)]
pub enum Channel<'a> {
    Http {
        client: &'a reqwest::Client,
        url: &'a str,
    },
    Ws(&'a WsSession),
}

impl Channel<'_> {
    pub async fn send(&self, envelope: Vec<u8>, inbox: &Inbox) -> Result<(), HolderError> {
        match self {
            Channel::Http { client, url } => post_envelope(client, url, envelope, inbox).await,
            Channel::Ws(session) => session.send(envelope).await,
        }
    }
}

impl Connection {
    /// How to send to the peer over HTTP: its first service, which must be http(s) (what
    /// servers under test offer; a holder cannot reach a peer that only has a queue).
    pub fn http_channel<'a>(
        &'a self,
        client: &'a reqwest::Client,
    ) -> Result<Channel<'a>, HolderError> {
        let endpoint = &self.their_service().endpoint;
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(HolderError::Protocol(format!(
                "peer endpoint {endpoint} is not http(s)"
            )));
        }
        Ok(Channel::Http {
            client,
            url: endpoint,
        })
    }
}
