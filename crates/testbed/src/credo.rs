//! The testbed's Credo-TS 0.6 mediators (`scripts/credo-mediator/mediator.js`), one per
//! forwarding strategy, and the admin API of ours that each serves on 127.0.0.1 (Credo has none):
//! invitations of a given shape, the connection and mediation records with their states, and
//! counters taken from Credo's own events and message queue.
//!
//! ```no_run
//! use testbed::{Credo, CredoInvitation};
//! let credo = Credo::ensure(testbed::CredoStrategy::DirectDelivery);
//! let url = credo.invitation(CredoInvitation::DidPeer4);
//! // ... akrida onboards holders through `url` ...
//! let granted = credo.mediations().iter().filter(|m| m.state == "granted").count();
//! let pongs = credo.counters().trust_ping_responses_sent;
//! # let _ = (granted, pongs);
//! ```

use std::collections::HashMap;
use std::io::{Read, Write};

use serde::Deserialize;

use crate::Agent;

/// How a Credo mediator hands a forwarded message to its recipient (Credo's
/// `messageForwardingStrategy`); the testbed runs one mediator per strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredoStrategy {
    /// Credo's default: to an open socket of the recipient, else its endpoint, else the queue.
    DirectDelivery,
    /// Always to the queue; only a pickup request (polling) takes it out.
    QueueOnly,
    /// To the queue, and at once to a holder in live mode (Pickup 2.0 `live_delivery_change`).
    QueueAndLiveModeDelivery,
}

impl CredoStrategy {
    /// Every strategy, Credo's default first.
    pub const ALL: [CredoStrategy; 3] = [
        CredoStrategy::DirectDelivery,
        CredoStrategy::QueueOnly,
        CredoStrategy::QueueAndLiveModeDelivery,
    ];

    /// The testbed's agent that runs this strategy: `credo`, `credo-queue`, `credo-live`.
    pub fn agent_name(self) -> &'static str {
        match self {
            CredoStrategy::DirectDelivery => "credo",
            CredoStrategy::QueueOnly => "credo-queue",
            CredoStrategy::QueueAndLiveModeDelivery => "credo-live",
        }
    }

    /// Credo's name of it, as the mediator's `/status` says it.
    pub fn credo_name(self) -> &'static str {
        match self {
            CredoStrategy::DirectDelivery => "DirectDelivery",
            CredoStrategy::QueueOnly => "QueueOnly",
            CredoStrategy::QueueAndLiveModeDelivery => "QueueAndLiveModeDelivery",
        }
    }
}

/// The Credo mediators `scripts/testbed up` starts by default beside ACA-Py's.
pub const CREDO_AGENTS: &[&str] = &["credo", "credo-queue", "credo-live"];

/// The shape of an out-of-band invitation made by a Credo mediator (`scripts/testbed invite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredoInvitation {
    /// Credo's default: one inline service per endpoint (http, then ws), the same key in each;
    /// handshake protocols didexchange/1.1 then connections/1.0.
    MultiService,
    /// One service, a long-form did:peer:4 whose document has the two services (Credo's `invitationDid`).
    DidPeer4,
    /// The default with the inline services in the order ws, http.
    WsFirst,
    /// The default services; the only handshake offered is connections/1.0.
    Connections10,
    /// The default services; the only handshake offered is didexchange/1.0.
    DidExchange10,
    /// The default services; the only handshake offered is didexchange/1.1.
    DidExchange11,
}

impl CredoInvitation {
    /// Every shape, the default first.
    pub const ALL: [CredoInvitation; 6] = [
        CredoInvitation::MultiService,
        CredoInvitation::DidPeer4,
        CredoInvitation::WsFirst,
        CredoInvitation::Connections10,
        CredoInvitation::DidExchange10,
        CredoInvitation::DidExchange11,
    ];

    /// The `scripts/testbed invite` options that make it.
    pub fn invite_args(self) -> &'static [&'static str] {
        match self {
            CredoInvitation::MultiService => &[],
            CredoInvitation::DidPeer4 => &["--peer-did", "4"],
            CredoInvitation::WsFirst => &["--ws-first"],
            CredoInvitation::Connections10 => &["--handshake", "connections/1.0"],
            CredoInvitation::DidExchange10 => &["--handshake", "didexchange/1.0"],
            CredoInvitation::DidExchange11 => &["--handshake", "didexchange/1.1"],
        }
    }
}

/// One running Credo mediator of the testbed.
#[derive(Debug, Clone)]
pub struct Credo {
    /// Its testbed name (`credo`, `credo-queue`, `credo-live`, `credo-tls`).
    pub name: String,
    /// Its state entry: endpoints, admin URL, pid, log, the invitation made at its start.
    pub agent: Agent,
}

/// A connection record on the mediator (Credo's `DidCommConnectionRecord`).
#[derive(Debug, Clone, Deserialize)]
pub struct CredoConnection {
    pub id: String,
    /// Credo's state: `completed` once the handshake is done; `response-sent` while the
    /// mediator waits for the holder's first message (DID Exchange's `complete`, or a ping).
    pub state: String,
    /// `responder` for every connection a holder made through an invitation.
    pub role: String,
    /// `https://didcomm.org/didexchange/1.x` or `https://didcomm.org/connections/1.x`.
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub their_label: Option<String>,
    /// The mediator's DID on the connection (did:peer:2/4, or an unqualified one for connections/1.0).
    #[serde(default)]
    pub did: Option<String>,
    /// The holder's DID.
    #[serde(default)]
    pub their_did: Option<String>,
    /// The out-of-band record (invitation) it came through.
    #[serde(default)]
    pub oob_id: Option<String>,
}

/// A mediation record on the mediator (Credo's `DidCommMediationRecord`).
#[derive(Debug, Clone, Deserialize)]
pub struct CredoMediation {
    pub id: String,
    /// `requested`, `granted` or `denied`.
    pub state: String,
    pub role: String,
    pub connection_id: String,
    /// How many keys the holder registered for routing (keylist updates).
    pub recipient_keys: usize,
}

/// Counters of the mediator's process since it started, from Credo's events and its queue.
#[derive(Debug, Clone, Deserialize)]
pub struct CredoCounters {
    /// `DidCommMessageProcessed`, every message type.
    pub messages_received: u64,
    /// `DidCommTrustPingReceivedEvent`.
    pub trust_pings_received: u64,
    /// `DidCommMessageSent` of a `trust_ping/1.0/ping_response`, whatever the send status.
    pub trust_ping_responses_sent: u64,
    /// `DidCommMessageProcessed` of a `routing/1.0/forward`.
    pub forwards_received: u64,
    /// `DidCommMessageSent` by status: `SentToSession`, `SentToTransport`, `QueuedForPickup`,
    /// `Undeliverable` (the mediator's own messages; forwarded packages are counted by the queue).
    pub sent: HashMap<String, u64>,
    /// Messages put into the pickup queue (forwarded ones and the mediator's own).
    pub queued: u64,
    /// Messages handed out of the queue (a pickup delivery, a batch, or live mode).
    pub taken_from_queue: u64,
    /// Messages removed from the queue (acknowledged, or taken for good).
    pub removed_from_queue: u64,
    /// Pickup 2.0 live-mode sessions opened / closed.
    pub live_sessions_opened: u64,
    pub live_sessions_closed: u64,
    /// Connections that reached `completed`; mediations that reached `granted`.
    pub connections_completed: u64,
    pub mediations_granted: u64,
    /// WebSockets open on the mediator now. Credo's WebSocket transport sends no pings of its
    /// own: a peer that vanished without closing stays counted until TCP reports it gone.
    #[serde(default)]
    pub open_websockets: u64,
    /// Trust pings and Pickup 2.0 status requests per invitation (its out-of-band record id,
    /// [`Credo::invitation_with_id`]): tests that share one mediator each judge their own holders.
    #[serde(default)]
    pub by_invitation: HashMap<String, InvitationCounters>,
}

/// [`CredoCounters`] of the connections made through one invitation.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct InvitationCounters {
    pub trust_pings_received: u64,
    pub trust_ping_responses_sent: u64,
    /// `DidCommMessageProcessed` of a `messagepickup/2.0/status-request`.
    #[serde(default)]
    pub pickup_status_requests_received: u64,
}

impl Credo {
    /// The mediator of this strategy, started or reused (panics with the testbed's cause).
    pub fn ensure(strategy: CredoStrategy) -> Credo {
        Credo::ensure_named(strategy.agent_name())
    }

    /// The Credo mediator with this testbed name (`credo-tls` is started with the TLS ingress).
    pub fn ensure_named(name: &str) -> Credo {
        let tb = if name.ends_with("-tls") {
            crate::ensure_tls(&[name])
        } else {
            crate::ensure(&[name])
        };
        let agent = tb.agent(name).clone();
        assert_eq!(
            agent.server.as_deref(),
            Some("credo"),
            "{name} is not a Credo mediator"
        );
        Credo {
            name: name.to_string(),
            agent,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.agent.pid.expect("a running mediator has a pid")
    }

    /// A fresh multi-use invitation of this shape (`scripts/testbed invite`).
    pub fn invitation(&self, shape: CredoInvitation) -> String {
        self.invitation_with_id(shape).0
    }

    /// [`Credo::invitation`] and the id of its out-of-band record, which the mediator's
    /// connection records ([`CredoConnection::oob_id`]) and per-invitation counters name.
    pub fn invitation_with_id(&self, shape: CredoInvitation) -> (String, String) {
        let mut args = vec!["invite", self.name.as_str(), "--json"];
        args.extend_from_slice(shape.invite_args());
        let reply: serde_json::Value = serde_json::from_str(&crate::run(&args))
            .unwrap_or_else(|e| panic!("scripts/testbed invite --json printed no JSON: {e}"));
        let field = |name: &str| {
            reply[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {reply}"))
                .to_string()
        };
        (field("invitation_url"), field("oob_id"))
    }

    /// The connection records made through one invitation.
    pub fn connections_of(&self, oob_id: &str) -> Vec<CredoConnection> {
        let mut all = self.connections();
        all.retain(|c| c.oob_id.as_deref() == Some(oob_id));
        all
    }

    /// The mediation records of these connections.
    pub fn mediations_of(&self, connections: &[CredoConnection]) -> Vec<CredoMediation> {
        let ids: std::collections::HashSet<&str> =
            connections.iter().map(|c| c.id.as_str()).collect();
        let mut all = self.mediations();
        all.retain(|m| ids.contains(m.connection_id.as_str()));
        all
    }

    /// Every connection record on the mediator.
    pub fn connections(&self) -> Vec<CredoConnection> {
        self.get("/connections")
    }

    /// Every mediation record on the mediator.
    pub fn mediations(&self) -> Vec<CredoMediation> {
        self.get("/mediation")
    }

    /// Its counters now.
    pub fn counters(&self) -> CredoCounters {
        self.get("/counters")
    }

    /// A GET on its admin API, where the process listens (the plain backend for `credo-tls`).
    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let base = self
            .agent
            .backend_admin_url
            .as_deref()
            .unwrap_or(&self.agent.admin_url);
        let body = http_get(base, path);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{}{path} answered no usable JSON ({e}): {body}", self.name))
    }
}

/// A tiny blocking HTTP/1.0 GET on loopback: std only, like the rest of this crate.
pub(crate) fn http_get(base: &str, path: &str) -> String {
    let authority = base
        .strip_prefix("http://")
        .expect("a plain http admin URL");
    let mut stream = std::net::TcpStream::connect(authority)
        .unwrap_or_else(|e| panic!("admin API {base} unreachable: {e}"));
    // A mediator that stopped answering fails the test instead of hanging it.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("read timeout set");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").expect("request written");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("GET {base}{path}: {e}"));
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {base}{path}: not an HTTP response: {response}"));
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "GET {base}{path}: {head}\n{body}"
    );
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_admin_api_replies() {
        let c: Vec<CredoConnection> = serde_json::from_str(
            r#"[{"id":"a","state":"completed","role":"responder","protocol":"https://didcomm.org/didexchange/1.x",
                "their_label":"h","did":"did:peer:4zQm","their_did":"did:peer:1zQm","oob_id":"o","created_at":"2026"}]"#,
        )
        .unwrap();
        assert_eq!(
            (c[0].state.as_str(), c[0].role.as_str()),
            ("completed", "responder")
        );
        let m: Vec<CredoMediation> = serde_json::from_str(
            r#"[{"id":"m","state":"granted","role":"MEDIATOR","connection_id":"a","recipient_keys":1}]"#,
        )
        .unwrap();
        assert_eq!(m[0].recipient_keys, 1);
        let n: CredoCounters = serde_json::from_str(
            r#"{"messages_received":3,"trust_pings_received":1,"trust_ping_responses_sent":1,"forwards_received":0,
                "sent":{"SentToSession":2},"queued":0,"taken_from_queue":0,"removed_from_queue":0,
                "live_sessions_opened":0,"live_sessions_closed":0,"connections_completed":1,"mediations_granted":1}"#,
        )
        .unwrap();
        assert_eq!(n.sent["SentToSession"], 2);
    }

    #[test]
    fn each_strategy_has_its_agent() {
        let names: Vec<_> = CredoStrategy::ALL.iter().map(|s| s.agent_name()).collect();
        assert_eq!(names, CREDO_AGENTS);
    }
}
