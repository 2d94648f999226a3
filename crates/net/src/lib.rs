//! net: the connections akrida opens, and what to say when one fails.
//!
//! - [`Trust`]: which certificates are trusted (platform roots, `SSL_CERT_FILE`/`SSL_CERT_DIR`,
//!   CA files the caller names, or none: insecure), built once per process over rustls;
//! - [`holder_http_client`]: one holder's own HTTP client (its connections and TLS sessions
//!   are its alone), and [`shared_http_client`] for akrida's own admin calls;
//! - [`probe`]: preflight reachability of an endpoint, TLS included;
//! - [`shortlink`]: short-link invitations followed to the invitation;
//! - [`server`]: the one HTTP/1.1 server (hyper) behind every endpoint akrida listens on;
//! - [`explain`]: a failed connection's cause in words, grouped the same for every holder.
//!
//! It knows transports, trust and HTTP, nothing of DIDComm, load or stats; nor of akrida's
//! flags and variables: its errors are typed, and the binary says which setting fixes them.

mod clients;
mod explain;
mod probe;
pub mod server;
pub mod shortlink;
mod trust;

pub use clients::{holder_http_client, shared_http_client, ClientError};
pub use explain::{chain_text, explain, explain_tls, is_unknown_issuer};
pub use probe::{probe, ProbeError};
pub use trust::{Trust, TrustError, TrustSettings};

/// The rustls client configuration type, for crates that hand it to a transport.
pub use rustls::ClientConfig;
