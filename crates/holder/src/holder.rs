//! One simulated holder and its session with a mediator.
//!
//! The steps are separate calls (connect, open the socket, request mediation, register a key,
//! ping) so the engine can time each one as its own sample.

use std::sync::Arc;
use std::time::Duration;

use didcomm::{Invitation, KeyPair, VerKey};

use crate::connection::{connect, Connection, OurEndpoint};
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::keyring::KeyRing;
use crate::mediation::{self, Grant};
use crate::outbound::Channel;
use crate::pickup;
use crate::ws::WsSession;

/// Settings shared by many holders. Cloning is cheap (the trust is shared; each holder makes
/// its own connections from it).
#[derive(Clone)]
pub struct HolderConfig {
    pub label: String,
    /// Bound on every step that waits for a peer (`VERIFIED_TIMEOUT_SECONDS`).
    pub timeout: Duration,
    /// Which servers' certificates holders accept.
    pub trust: net::Trust,
}

impl HolderConfig {
    /// Holders trusting the platform's roots.
    pub fn new(label: impl Into<String>, timeout: Duration) -> Self {
        Self::with_trust(label, timeout, net::Trust::platform())
    }

    pub fn with_trust(label: impl Into<String>, timeout: Duration, trust: net::Trust) -> Self {
        Self {
            label: label.into(),
            timeout,
            trust,
        }
    }
}

/// A holder's own way to its servers, as a wallet has: HTTP connections and TLS sessions that
/// no other holder's requests ride on, so the server sees what a crowd of phones would cause
/// (a connection and a handshake each). The HTTP client and the WebSocket connector share one
/// TLS session cache, so a reconnecting holder resumes its own session.
struct Connections {
    http: reqwest::Client,
    tls: Arc<net::ClientConfig>,
}

impl Connections {
    fn new(config: &HolderConfig) -> Self {
        let tls = config.trust.client_config();
        Self {
            http: http_client(&tls, config.timeout),
            tls: Arc::new(tls),
        }
    }
}

fn http_client(tls: &net::ClientConfig, timeout: Duration) -> reqwest::Client {
    net::holder_http_client(tls.clone(), timeout)
        // Building fails only for a TLS backend that is not rustls; ours always is.
        .expect("a holder's HTTP client builds from a rustls configuration")
}

pub struct Holder {
    config: HolderConfig,
    inbox: Arc<Inbox>,
    connections: Connections,
}

impl Holder {
    pub fn new(config: HolderConfig) -> Self {
        let connections = Connections::new(&config);
        Self {
            config,
            inbox: Arc::new(Inbox::new(KeyRing::default())),
            connections,
        }
    }

    /// This holder's own HTTP client (for messages it sends over HTTP).
    pub fn http(&self) -> &reqwest::Client {
        &self.connections.http
    }

    /// Closes the idle HTTP connections this holder keeps, as a phone's do when its app is
    /// suspended or its network goes: a holder that went away holds no connection (or its
    /// buffers) of its own, and the first message after it comes back opens a new one. reqwest
    /// has no call that empties a client's pool; the pool closes when its client is dropped,
    /// so the client is replaced (its TLS sessions stay: they are in the shared configuration).
    pub fn drop_idle_connections(&mut self) {
        self.connections.http = http_client(&self.connections.tls, self.config.timeout);
    }

    pub fn inbox(&self) -> &Arc<Inbox> {
        &self.inbox
    }

    pub fn config(&self) -> &HolderConfig {
        &self.config
    }

    /// Connects to the inviter, sending to the invitation's endpoint. Over HTTP the answer comes
    /// back in the response body (return route); a `ws://` endpoint gets a socket of its own.
    pub async fn connect(&self, invitation: &Invitation) -> Result<Connection, HolderError> {
        let endpoint = invitation.inline_or_peer_service()?.endpoint;
        let ours = OurEndpoint::return_route_only();
        if endpoint.starts_with("ws://") || endpoint.starts_with("wss://") {
            let ws = self.open_socket_to(&endpoint, None).await?;
            let label = &self.config.label;
            let connection = connect(
                invitation,
                label,
                &ours,
                Channel::Ws(&ws),
                &self.inbox,
                self.config.timeout,
            )
            .await;
            ws.close().await;
            return connection;
        }
        let channel = Channel::Http {
            client: &self.connections.http,
            url: &endpoint,
        };
        connect(
            invitation,
            &self.config.label,
            &ours,
            channel,
            &self.inbox,
            self.config.timeout,
        )
        .await
    }

    async fn open_socket_to(
        &self,
        url: &str,
        mediator: Option<&Connection>,
    ) -> Result<WsSession, HolderError> {
        open_socket(
            url,
            &self.inbox,
            &self.connections.tls,
            mediator,
            self.config.timeout,
        )
        .await
    }

    /// Opens the WebSocket to the mediator's first `ws://` service and keeps it for the session.
    pub async fn open_mediator_session(
        &self,
        mediator: Connection,
    ) -> Result<MediatorSession, HolderError> {
        let url = mediator
            .their_ws_service()
            .ok_or_else(|| {
                HolderError::NoWebSocketEndpoint(
                    mediator
                        .their_services
                        .iter()
                        .map(|s| s.endpoint.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?
            .endpoint
            .clone();
        let socket = self.open_socket_to(&url, Some(&mediator)).await?;
        Ok(MediatorSession {
            mediator,
            socket_url: url,
            socket,
            grant: None,
            inbox: self.inbox.clone(),
            tls: self.connections.tls.clone(),
            timeout: self.config.timeout,
        })
    }
}

async fn open_socket(
    url: &str,
    inbox: &Arc<Inbox>,
    tls: &Arc<net::ClientConfig>,
    mediator: Option<&Connection>,
    timeout: Duration,
) -> Result<WsSession, HolderError> {
    let connect = WsSession::connect(url, inbox.clone(), tls.clone(), mediator.cloned());
    tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| HolderError::Timeout {
            step: "socket open",
            after: timeout,
        })?
}

/// A holder's live link to its mediator: the connection and the socket it is reachable on.
pub struct MediatorSession {
    pub mediator: Connection,
    socket_url: String,
    socket: WsSession,
    grant: Option<Grant>,
    inbox: Arc<Inbox>,
    /// The holder's TLS configuration, so a reopened socket resumes the holder's own session.
    tls: Arc<net::ClientConfig>,
    timeout: Duration,
}

impl MediatorSession {
    fn channel(&self) -> Channel<'_> {
        Channel::Ws(&self.socket)
    }

    pub fn socket(&self) -> &WsSession {
        &self.socket
    }

    pub fn grant(&self) -> Option<&Grant> {
        self.grant.as_ref()
    }

    /// Takes a grant obtained earlier (a restored identity), instead of asking for a new one.
    pub fn restore_grant(&mut self, grant: Grant) {
        self.grant = Some(grant);
    }

    pub async fn request_mediation(&mut self) -> Result<Grant, HolderError> {
        let grant =
            mediation::request_mediation(&self.mediator, self.channel(), &self.inbox, self.timeout)
                .await?;
        self.grant = Some(grant.clone());
        Ok(grant)
    }

    /// Creates a fresh key for others to reach this holder through the mediator and registers it.
    pub async fn add_routing_key(&self) -> Result<VerKey, HolderError> {
        let key = KeyPair::generate();
        let verkey = key.verkey();
        self.inbox.keys().add(key);
        mediation::add_keys(
            &self.mediator,
            &[verkey],
            self.channel(),
            &self.inbox,
            self.timeout,
        )
        .await?;
        Ok(verkey)
    }

    /// A trust ping to the mediator, answered on the socket.
    pub async fn ping(&self) -> Result<(), HolderError> {
        self.ping_with_id(&didcomm::message::new_id()).await
    }

    /// [`Self::ping`] with the ping's `@id` (its DIDComm thread id) chosen by the caller, so the
    /// sample can be joined to the mediator's trace events for that thread.
    pub async fn ping_with_id(&self, id: &str) -> Result<(), HolderError> {
        mediation::ping(
            &self.mediator,
            id,
            self.channel(),
            &self.inbox,
            self.timeout,
        )
        .await
    }

    /// Whether the socket is still open (the mediator has not closed it, nor has it broken).
    pub fn is_connected(&self) -> bool {
        !self.socket.is_closed()
    }

    /// Opens a new socket to the same mediator endpoint in place of a closed one.
    pub async fn reconnect(&mut self) -> Result<(), HolderError> {
        self.socket = open_socket(
            &self.socket_url,
            &self.inbox,
            &self.tls,
            Some(&self.mediator),
            self.timeout,
        )
        .await?;
        Ok(())
    }

    /// Tells the mediator that this socket is our return route, with a message that asks for
    /// no reply. ACA-Py then pushes down the socket whatever it queued for us while we were away
    /// (it drains its queue only when it has no direct reply to send: hence no reply requested).
    pub async fn announce(&self) -> Result<(), HolderError> {
        mediation::announce(&self.mediator, self.channel(), &self.inbox).await
    }

    /// Message Pickup 2.0: fetches everything the mediator holds for us into the inbox.
    pub async fn pickup_drain(&self) -> Result<u64, HolderError> {
        pickup::drain(&self.mediator, self.channel(), &self.inbox, self.timeout).await
    }

    /// Message Pickup 2.0: how many messages the mediator holds for us.
    pub async fn pickup_status(&self) -> Result<u64, HolderError> {
        pickup::status(&self.mediator, self.channel(), &self.inbox, self.timeout).await
    }

    /// Message Pickup 2.0 live mode: asks the mediator to push messages down this socket.
    pub async fn pickup_live(&self) -> Result<(), HolderError> {
        pickup::request_live_delivery(&self.mediator, self.channel(), &self.inbox).await
    }

    /// Says goodbye with a WebSocket close frame.
    pub async fn close(&self) {
        self.socket.close().await;
    }
}
