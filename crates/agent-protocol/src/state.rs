//! What one `akrida agent` process is: at most one holder, its mediator session (or its own
//! inbound endpoint), its connections and out-of-band records, and the handlers of each command.

use std::collections::VecDeque;
use std::time::Duration;

use didcomm::message::{new_id, Message};
use didcomm::{parse_invitation, Invitation, KeyPair, VerKey};
use holder::connection::{connect_with_key, make_active, OurEndpoint};
use holder::inbound::InboundListener;
use holder::outbound::Channel;
use holder::MediatorSession;
use holder::{
    basic_message, credential, presentation, Connection, Holder, HolderConfig, HolderError,
};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::identity::{self, Identity, MediatedIdentity};
use crate::settings::{AgentPickup, Settings};

/// Messages kept for a later `receiveCredential` / `receiveMessage` (more are dropped, oldest
/// first): an agent nobody asks must not grow without bound.
const PENDING_CAPACITY: usize = 64;

/// A successful answer: the `result`, and optionally one more field (`connection`).
pub type Answer = (Value, Option<(&'static str, Value)>);

pub struct Agent {
    settings: Settings,
    running: Option<Running>,
}

struct Running {
    holder: Holder,
    identity: Identity,
    mediator: Option<MediatorSession>,
    /// The endpoint of an unmediated holder (kept alive while the agent runs).
    listener: Option<InboundListener>,
    ours: OurEndpoint,
    connections: Vec<Peer>,
    oob_records: Vec<String>,
    /// Unsolicited messages not yet asked for, with the key of ours they were sent to.
    pending: VecDeque<(Message, Option<VerKey>)>,
    /// JSON-LD credentials received (newest last, a few kept), for `presentationExchange`.
    credentials: Vec<Value>,
}

/// Credentials an agent keeps for presentations: one proves; a few cover repeated offers.
const KEPT_CREDENTIALS: usize = 4;

struct Peer {
    id: String,
    connection: Connection,
}

impl Agent {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            running: None,
        }
    }

    fn running(&mut self) -> Result<&mut Running, String> {
        self.running
            .as_mut()
            .ok_or_else(|| "agent not started: send a start command first".to_string())
    }

    /// `start`: a new holder (or the one `agent_config` describes), onboarded to the mediator
    /// or listening on `AGENT_IP:port`.
    pub async fn start(
        &mut self,
        with_mediation: Option<bool>,
        port: Option<u16>,
        agent_config: Option<Value>,
    ) -> Result<Answer, String> {
        self.close().await;
        let restored = match &agent_config {
            Some(config) => identity::from_json(config)?,
            None => None,
        };
        if agent_config.is_some() && restored.is_none() {
            tracing::info!("agentConfig is not an akrida agent config; starting a new identity");
        }
        let with_mediation = with_mediation.unwrap_or(self.settings.with_mediation);
        let label = restored
            .as_ref()
            .map(|i| i.label.clone())
            .unwrap_or_else(|| format!("{}-{}", self.settings.label, &new_id()[..8]));
        let subject_key = restored
            .as_ref()
            .map(|i| i.subject_key.clone())
            .unwrap_or_else(KeyPair::generate);
        let holder = Holder::new(HolderConfig::with_trust(
            label.clone(),
            self.settings.timeout,
            self.settings.trust.clone(),
        ));
        holder.inbox().track_recipients();

        let running = if with_mediation {
            let previous = restored.and_then(|i| i.mediated);
            let (session, mediated) = match previous {
                Some(previous) => self.restore_mediator(&holder, previous).await?,
                None => self.onboard_mediator(&holder).await?,
            };
            let ours = OurEndpoint {
                endpoint: mediated.grant.endpoint.clone(),
                routing_keys: mediated.grant.routing_keys.clone(),
            };
            Running {
                holder,
                identity: Identity {
                    label,
                    subject_key,
                    mediated: Some(mediated),
                },
                mediator: Some(session),
                listener: None,
                ours,
                connections: Vec::new(),
                oob_records: Vec::new(),
                pending: VecDeque::new(),
                credentials: Vec::new(),
            }
        } else {
            let port = port.ok_or(
                "start without mediation needs a \"port\" for the agent's inbound endpoint",
            )?;
            let address = format!("{}:{port}", self.settings.agent_ip);
            let listener = InboundListener::bind(&address, holder.inbox().clone())
                .await
                .map_err(|e| e.to_string())?;
            Running {
                holder,
                identity: Identity {
                    label,
                    subject_key,
                    mediated: None,
                },
                mediator: None,
                listener: Some(listener),
                ours: OurEndpoint {
                    endpoint: format!("http://{address}"),
                    routing_keys: Vec::new(),
                },
                connections: Vec::new(),
                oob_records: Vec::new(),
                pending: VecDeque::new(),
                credentials: Vec::new(),
            }
        };
        let endpoint = running
            .listener
            .as_ref()
            .map(|_| running.ours.endpoint.as_str());
        let config = identity::to_json(&running.identity, endpoint);
        self.running = Some(running);
        Ok((config, None))
    }

    /// A new mediator connection: connect, open the socket, mediation grant.
    async fn onboard_mediator(
        &self,
        holder: &Holder,
    ) -> Result<(MediatorSession, MediatedIdentity), String> {
        let url = self.settings.mediation_url.as_deref().ok_or(
            "MEDIATION_URL is not set: the agent needs the mediator's invitation URL to start with mediation",
        )?;
        let text =
            holder::invitation_link::long_form(url, &self.settings.trust, self.settings.timeout)
                .await
                .map_err(|e| {
                    format!(
                        "MEDIATION_URL is a short link that does not lead to an invitation: {e}"
                    )
                })?;
        let invitation = parse_invitation(&text)
            .map_err(|e| format!("MEDIATION_URL is not a usable invitation: {e}"))?;
        let step = |what: &str, e: HolderError| match e {
            HolderError::Timeout { .. } => format!("Mediator timeout! ({what}: {e})"),
            e => format!("mediator {what} failed: {e}"),
        };
        let connection = holder
            .connect(&invitation)
            .await
            .map_err(|e| step("connection", e))?;
        let mut session = holder
            .open_mediator_session(connection)
            .await
            .map_err(|e| step("socket", e))?;
        let grant = session
            .request_mediation()
            .await
            .map_err(|e| step("mediation request", e))?;
        self.after_socket_open(&session).await?;
        let mediated = MediatedIdentity {
            mediation_url: url.to_string(),
            connection: session.mediator.clone(),
            grant,
        };
        Ok((session, mediated))
    }

    /// The same mediator connection as before: its key back in the keyring, a new socket, the
    /// old grant; announced on the socket and checked with a ping. No new connection.
    async fn restore_mediator(
        &self,
        holder: &Holder,
        previous: MediatedIdentity,
    ) -> Result<(MediatorSession, MediatedIdentity), String> {
        holder
            .inbox()
            .keys()
            .add(previous.connection.my_key.clone());
        let mut session = holder
            .open_mediator_session(previous.connection.clone())
            .await
            .map_err(|e| format!("restoring the mediator connection: {e}"))?;
        session.restore_grant(previous.grant.clone());
        session.ping().await.map_err(|e| match e {
            HolderError::Timeout { .. } => "Mediator timeout!".to_string(),
            e => format!("restored mediator connection does not answer: {e}"),
        })?;
        self.after_socket_open(&session).await?;
        Ok((session, previous))
    }

    async fn after_socket_open(&self, session: &MediatorSession) -> Result<(), String> {
        pickup_at_open(self.settings.pickup, session).await
    }

    /// `ping_mediator`: a trust ping answered on the socket (reopened first if it was closed).
    pub async fn ping_mediator(&mut self) -> Result<Answer, String> {
        let pickup = self.settings.pickup;
        let running = self.running()?;
        let session = running
            .mediator
            .as_mut()
            .ok_or("this agent was started without mediation: there is no mediator to ping")?;
        if !session.is_connected() {
            tracing::info!("mediator socket closed; reopening it");
            session
                .reconnect()
                .await
                .map_err(|e| format!("Mediator unreachable: {e}"))?;
            let _ = session.announce().await;
            if let Err(e) = pickup_at_open(pickup, session).await {
                // The ping below is what this command answers for.
                tracing::warn!(error = %e, "after reopening the mediator socket");
            }
        }
        match session.ping().await {
            Ok(()) => Ok((json!("Ping Mediator"), None)),
            Err(HolderError::Timeout { .. }) => Err("Mediator timeout!".into()),
            Err(e) => Err(format!("Mediator timeout! ({e})")),
        }
    }

    /// `receiveInvitation` / `receiveInvitationConnectionDid`: connects to the inviter and
    /// answers once the connection is complete.
    pub async fn receive_invitation(
        &mut self,
        url: &str,
        connection_did: bool,
    ) -> Result<Answer, String> {
        let timeout = self.settings.timeout;
        let running = self.running()?;
        let invitation: Invitation =
            parse_invitation(url).map_err(|e| format!("invitationUrl: {e}"))?;
        let service = invitation
            .inline_or_peer_service()
            .map_err(|e| format!("invitationUrl: {e}"))?;
        if !service.endpoint.starts_with("http://") && !service.endpoint.starts_with("https://") {
            return Err(format!(
                "invitation endpoint {} is not http(s): not supported by akrida agent",
                service.endpoint
            ));
        }
        // A mediated holder registers the new key with its mediator before the inviter can
        // send to it; the inviter then reaches us through the mediator's endpoint.
        let my_key = match &running.mediator {
            Some(session) => {
                let verkey = session
                    .add_routing_key()
                    .await
                    .map_err(|e| format!("keylist update for the new connection: {e}"))?;
                running
                    .holder
                    .inbox()
                    .keys()
                    .find(&verkey)
                    .ok_or("keylist update: the new key is not in the keyring")?
            }
            None => KeyPair::generate(),
        };
        let http = running.holder.http().clone();
        let channel = Channel::Http {
            client: &http,
            url: &service.endpoint,
        };
        let connection = connect_with_key(
            &invitation,
            &running.identity.label,
            &running.ours,
            my_key,
            channel,
            running.holder.inbox(),
            timeout,
        )
        .await
        .map_err(|e| in_agent_words(e, "Connection timeout!", "connection failed"))?;
        // connections/1.0 has no `complete`: a trust ping makes the inviter's record active.
        let to = &connection.their_service().endpoint;
        make_active(
            &connection,
            Channel::Http {
                client: &http,
                url: to,
            },
            running.holder.inbox(),
        )
        .await
        .map_err(|e| format!("trust ping after connecting: {e}"))?;
        let connection_id = new_id();
        let oob_id = new_id();
        let my_did = connection.my_did.clone();
        let record = if connection_did {
            let legacy = if my_did.starts_with("did:") {
                didcomm::diddoc::unqualified_did(&connection.my_key.verkey())
            } else {
                my_did.clone()
            };
            json!({"did": legacy, "connectionId": connection_id, "oobRecordId": oob_id})
        } else {
            json!({
                "id": oob_id,
                "role": "receiver",
                "state": "done",
                "outOfBandInvitation": invitation.raw,
                "connectionId": connection_id,
                "did": my_did,
                "theirDid": connection.their_did,
                "theirLabel": invitation.label,
                "protocol": connection.protocol.uri(),
            })
        };
        running.oob_records.push(oob_id);
        running.connections.push(Peer {
            id: connection_id,
            connection,
        });
        let result = if connection_did {
            "Receive Invitation Connection"
        } else {
            "Receive Connection"
        };
        Ok((json!(result), Some(("connection", record))))
    }

    /// `receiveCredential`: the next issue-credential 2.0 offer, from any connection, accepted
    /// and carried through to the ack.
    pub async fn receive_credential(&mut self) -> Result<Answer, String> {
        let timeout = self.settings.timeout;
        let deadline = Instant::now() + timeout;
        let running = self.running()?;
        let (offer, recipient) = running
            .next_matching(credential::is_offer, deadline)
            .await
            .ok_or("Credential timeout! (no credential offer arrived)")?;
        let peer = running.peer_for(recipient)?;
        tracing::debug!(connection = %peer.id, "credential offer received");
        let subject = running.identity.subject_key.verkey().to_did_key();
        let http = running.holder.http().clone();
        let channel = peer
            .connection
            .http_channel(&http)
            .map_err(|e| e.to_string())?;
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        let issued = credential::accept_offer(
            &offer,
            &peer.connection,
            &subject,
            channel,
            running.holder.inbox(),
            remaining,
        )
        .await
        .map_err(|e| in_agent_words(e, "Credential timeout!", "credential exchange failed"))?;
        if running.credentials.len() >= KEPT_CREDENTIALS {
            running.credentials.remove(0);
        }
        running.credentials.push(issued.credential);
        Ok((json!("Receive Credential"), None))
    }

    /// `receiveMessage`: the next basic message from any connection.
    pub async fn receive_message(&mut self) -> Result<Answer, String> {
        let deadline = Instant::now() + self.settings.timeout;
        let running = self.running()?;
        running
            .next_matching(basic_message::is_basic_message, deadline)
            .await
            .ok_or("Message timeout! (no basic message arrived)")?;
        Ok((json!("Receive Message"), None))
    }

    /// `presentationExchange`: the next present-proof 2.0 request (DIF, JSON-LD credentials)
    /// from any connection, answered with a presentation signed by the agent's did:key from
    /// the credentials it received, through to the verifier's ack.
    pub async fn presentation_exchange(&mut self) -> Result<Answer, String> {
        let timeout = self.settings.timeout;
        let deadline = Instant::now() + timeout;
        let running = self.running()?;
        let (request, recipient) = running
            .next_matching(presentation::is_request, deadline)
            .await
            .ok_or("Presentation timeout! (no proof request arrived)")?;
        let peer = running.peer_for(recipient)?;
        let http = running.holder.http().clone();
        let channel = peer
            .connection
            .http_channel(&http)
            .map_err(|e| e.to_string())?;
        let remaining = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1));
        presentation::respond_to_request(
            &request,
            &peer.connection,
            &running.credentials,
            &running.identity.subject_key,
            channel,
            running.holder.inbox(),
            remaining,
        )
        .await
        .map_err(|e| in_agent_words(e, "Presentation timeout!", "presentation exchange failed"))?;
        Ok((json!("Presentation Exchange"), None))
    }

    pub async fn delete_oob_record(&mut self, id: &str) -> Result<Answer, String> {
        let running = self.running()?;
        let position = running
            .oob_records
            .iter()
            .position(|r| r == id)
            .ok_or_else(|| format!("no out-of-band record with id {id:?}"))?;
        running.oob_records.remove(position);
        Ok((json!("Delete OOB Record"), None))
    }

    /// Closes the mediator socket cleanly (a close frame) and drops the holder.
    pub async fn close(&mut self) {
        if let Some(running) = self.running.take() {
            if let Some(session) = &running.mediator {
                let _ = tokio::time::timeout(Duration::from_secs(2), session.close()).await;
            }
        }
    }
}

impl Running {
    /// The next unsolicited message that `wanted` accepts: first from those set aside, then as
    /// they arrive, until `deadline`. Offers, basic messages and proof requests that arrive
    /// meanwhile are set aside for a later command; anything else is dropped.
    async fn next_matching(
        &mut self,
        wanted: fn(&Message) -> bool,
        deadline: Instant,
    ) -> Option<(Message, Option<VerKey>)> {
        if let Some(position) = self.pending.iter().position(|(m, _)| wanted(m)) {
            return self.pending.remove(position);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let inbox = self.holder.inbox();
            let message = inbox.next_unsolicited(left).await?;
            let recipient = inbox.recipient_of(&message);
            if wanted(&message) {
                return Some((message, recipient));
            }
            if keep_for_later(&message) {
                if self.pending.len() >= PENDING_CAPACITY {
                    self.pending.pop_front();
                }
                self.pending.push_back((message, recipient));
            } else {
                tracing::debug!(message_type = %message.short_type(), "unsolicited message ignored");
            }
        }
    }

    /// The connection a message came on: the one whose key it was encrypted for, or the only
    /// connection there is.
    fn peer_for(&self, recipient: Option<VerKey>) -> Result<&Peer, String> {
        if let Some(key) = recipient {
            if let Some(peer) = self
                .connections
                .iter()
                .find(|p| p.connection.my_key.verkey() == key)
            {
                return Ok(peer);
            }
        }
        match self.connections.as_slice() {
            [only] => Ok(only),
            [] => Err("an offer arrived, but this agent has no connection to answer on".into()),
            _ => Err("an offer arrived on a key of no known connection".into()),
        }
    }
}

fn keep_for_later(message: &Message) -> bool {
    credential::is_offer(message)
        || basic_message::is_basic_message(message)
        || presentation::is_request(message)
}

/// A holder's error as agent.js words it: agent.js answers a timeout with `… timeout!` (as in
/// `Mediator timeout!`), which is what a controller's logs show; akrida keeps those words for a
/// timeout and adds the cause, and says `… failed: cause` for anything else.
fn in_agent_words(e: HolderError, timeout: &str, failed: &str) -> String {
    match e {
        HolderError::Timeout { .. } => format!("{timeout} ({e})"),
        e => format!("{failed}: {e}"),
    }
}

/// What `PICKUP_STRATEGY` asks of the mediator on a socket just opened (see [`AgentPickup`]).
///
/// With `pickupv2`, a status request; when the mediator holds messages for us, they are fetched
/// into the inbox, as agent.js asks for a delivery when the status counts any. agent.js sends
/// the request without waiting for its answer, so a mediator without Pickup 2.0 does not stop
/// it from starting: here too a failed pickup is logged, not an error.
async fn pickup_at_open(pickup: AgentPickup, session: &MediatorSession) -> Result<(), String> {
    match pickup {
        AgentPickup::Implicit => Ok(()),
        AgentPickup::StatusAtOpen => {
            let picked_up = match session.pickup_status().await {
                Ok(0) => Ok(0),
                Ok(_) => session.pickup_drain().await,
                Err(e) => Err(e),
            };
            if let Err(e) = picked_up {
                tracing::warn!(error = %e, "PICKUP_STRATEGY=pickupv2: the pickup at socket open failed");
            }
            Ok(())
        }
        AgentPickup::Live => session
            .pickup_live()
            .await
            .map_err(|e| format!("pickup live mode: {e}")),
    }
}
