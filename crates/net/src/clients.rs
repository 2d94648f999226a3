//! HTTP clients built on the process's [`Trust`]: one per holder (its own connections and TLS
//! sessions, as a wallet has), and one shared by akrida's own calls (admin APIs, probes).

use std::time::Duration;

use crate::Trust;

/// How long a holder keeps an idle connection to a server before closing it, as a phone's HTTP
/// stack does: OkHttp (Android, and React Native's fetch, which mobile wallets use) keeps idle
/// connections 5 minutes. The server's own keep-alive usually ends them first (ACA-Py's aiohttp
/// after 75 s, a Node server such as Credo's after 5 s), so what a server sees is what its own
/// setting causes. A holder that goes away drops them at once (`Holder::drop_idle_connections`).
const HOLDER_IDLE: Duration = Duration::from_secs(300);

/// The HTTP client could not be built (only a broken TLS setup does that).
#[derive(Debug, thiserror::Error)]
#[error("HTTP client setup: {0}")]
pub struct ClientError(String);

/// A client whose connections belong to one holder: requests of other holders never ride on
/// them, so the server sees one connection (and one TLS handshake) per holder, as from
/// phones. `tls` is that holder's own configuration ([`Trust::client_config`]).
pub fn holder_http_client(
    tls: rustls::ClientConfig,
    timeout: Duration,
) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        // A wallet keeps at most one idle connection per server.
        .pool_max_idle_per_host(1)
        .pool_idle_timeout(HOLDER_IDLE)
        .timeout(timeout)
        // Wallets connect straight to their servers; a proxy in the environment is the
        // operator's machine's, not the holders'.
        .no_proxy()
        .build()
        .map_err(|e| ClientError(crate::chain_text(&e)))
}

/// A client for akrida's own calls (admin APIs of the servers under test): pooled, shared.
pub fn shared_http_client(
    trust: &Trust,
    timeout: Duration,
) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .use_preconfigured_tls((*trust.shared_config()).clone())
        .timeout(timeout)
        .build()
        .map_err(|e| ClientError(crate::chain_text(&e)))
}

/// A client for looking at what a server answers (preflight probes, short links): akrida's
/// trust, and redirects left to the caller, since a redirect is itself the answer it looks for.
pub(crate) fn inspecting_client(
    trust: &Trust,
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .use_preconfigured_tls((*trust.shared_config()).clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| crate::chain_text(&e))
}
