//! Preflight: can akrida reach this endpoint at all? Name resolution, TCP, the TLS handshake
//! with the certificate verified, and an HTTP answer (any status: a DIDComm endpoint answers a
//! GET with an error, which still proves it is there). A failure is one sentence, so the run
//! stops before any load with the reason instead of a thousand identical failures.

use std::time::Duration;

use tokio_tungstenite::Connector;

use crate::explain::is_unknown_issuer;
use crate::{explain, Trust};

/// Why an endpoint cannot be reached, in words without the URL (the caller names the server).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The server's certificate is signed by no CA akrida trusts: the caller says how to trust
    /// it (the settings are the caller's).
    #[error("{0}")]
    UntrustedCertificate(String),
    /// Anything else: refused, reset, a name that does not resolve, no answer, not a URL.
    #[error("{0}")]
    Unreachable(String),
}

impl ProbeError {
    fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        if is_unknown_issuer(error) {
            ProbeError::UntrustedCertificate(explain(error))
        } else {
            ProbeError::Unreachable(explain(error))
        }
    }
}

impl From<String> for ProbeError {
    fn from(words: String) -> Self {
        ProbeError::Unreachable(words)
    }
}

/// Reaches `url` (http, https, ws or wss). `Err` says why not.
pub async fn probe(url: &str, trust: &Trust, timeout: Duration) -> Result<(), ProbeError> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    let attempt = async {
        match parsed.scheme() {
            "http" | "https" => probe_http(url, trust, timeout).await,
            "ws" | "wss" => probe_websocket(url, trust).await,
            other => Err(ProbeError::Unreachable(format!(
                "scheme {other}:// is not one akrida speaks (http, https, ws, wss)"
            ))),
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs_f64()))?
}

async fn probe_http(url: &str, trust: &Trust, timeout: Duration) -> Result<(), ProbeError> {
    let client = crate::clients::inspecting_client(trust, timeout)?;
    client
        .get(url)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| ProbeError::of(&e))
}

async fn probe_websocket(url: &str, trust: &Trust) -> Result<(), ProbeError> {
    let connector = Connector::Rustls(trust.shared_config());
    match tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector)).await
    {
        Ok((mut socket, _)) => {
            let _ = socket.close(None).await;
            Ok(())
        }
        // The server answered, just not with a WebSocket: it is reachable.
        Err(tokio_tungstenite::tungstenite::Error::Http(_)) => Ok(()),
        Err(e) => Err(ProbeError::of(&e)),
    }
}
