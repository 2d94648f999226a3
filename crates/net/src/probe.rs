//! Preflight: can akrida reach this endpoint at all? Name resolution, TCP, the TLS handshake
//! with the certificate verified, and an HTTP answer (any status: a DIDComm endpoint answers a
//! GET with an error, which still proves it is there). A failure is one sentence, so the run
//! stops before any load with the reason instead of a thousand identical failures.

use std::time::Duration;

use tokio_tungstenite::Connector;

use crate::{explain, Trust};

/// Reaches `url` (http, https, ws or wss). `Err` says why not, without the URL (the caller
/// names the server).
pub async fn probe(url: &str, trust: &Trust, timeout: Duration) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    let attempt = async {
        match parsed.scheme() {
            "http" | "https" => probe_http(url, trust, timeout).await,
            "ws" | "wss" => probe_websocket(url, trust).await,
            other => Err(format!(
                "scheme {other}:// is not one akrida speaks (http, https, ws, wss)"
            )),
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs_f64()))?
}

async fn probe_http(url: &str, trust: &Trust, timeout: Duration) -> Result<(), String> {
    let client = crate::clients::inspecting_client(trust, timeout)?;
    client
        .get(url)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| explain(&e))
}

async fn probe_websocket(url: &str, trust: &Trust) -> Result<(), String> {
    let connector = Connector::Rustls(trust.shared_config());
    match tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector)).await
    {
        Ok((mut socket, _)) => {
            let _ = socket.close(None).await;
            Ok(())
        }
        // The server answered, just not with a WebSocket: it is reachable.
        Err(tokio_tungstenite::tungstenite::Error::Http(_)) => Ok(()),
        Err(e) => Err(explain(&e)),
    }
}
