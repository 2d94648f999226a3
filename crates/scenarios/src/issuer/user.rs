//! One holder of an issuer/verifier scenario: its link (mediated or direct), its connections to
//! the issuer and the verifier, the credentials it holds, and each task as Akrida times it.

use std::sync::Arc;
use std::time::Duration;

use controller::acapy::ServerApi;
use didcomm::message::Message;
use didcomm::KeyPair;
use engine::{BoxFuture, User, UserContext};
use holder::connection::{connect_with_key, make_active};
use holder::outbound::Channel;
use holder::{anoncreds, basic_message, credential, presentation, Connection, Holder};
use serde_json::Value;
use tokio::time::Instant;

use super::credential_spec::{self, PROOF_TYPE};
use super::link::Link;
use super::messages::{Arrival, MessageTracker};
use super::{
    CredentialOffer, IssuerConfig, Kind, ACCEPT_INVITE, MSG_CLIENT, PRESENTATION_EXCHANGE,
    RECEIVE_CREDENTIAL, REVOKED_PRESENTATION, REVOKE_CREDENTIAL,
};
use crate::liveness::ADMIN;
use crate::DIDCOMM;

/// Longest single wait on the inbox, so a mediated link is tended (socket reopened, Pickup 2.0
/// polled) at least this often while a message is awaited.
const TEND_EVERY: Duration = Duration::from_secs(1);
/// How long a stopping user still listens for messages it gave up on, before calling them lost.
const LAST_CALL: Duration = Duration::from_secs(2);

/// Counter of tails files downloaded (once per revocation registry per process).
const TAILS_DOWNLOADS: &str = "tails_downloads";
/// Counter of revocation registry states read from the ledger for proofs.
const REGISTRY_READS: &str = "revocation_registry_reads";

/// What a proof is expected to come to on the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// `verified: "true"`.
    Verified,
    /// `verified: "false"`: the proof of a revoked credential.
    Rejected,
}

/// A connection to a server under test, as both sides know it.
struct Peer {
    connection: Connection,
    /// The server's connection id, for its admin calls.
    server_connection_id: String,
}

pub struct IssuerUser {
    config: Arc<IssuerConfig>,
    index: u64,
    holder: Option<Holder>,
    link: Option<Link>,
    issuer: Option<Peer>,
    verifier: Option<Peer>,
    /// The did:key credentials are bound to (JSON-LD) and presentations signed with.
    subject_key: KeyPair,
    /// JSON-LD credentials received, newest last (only the newest few are kept).
    credentials: Vec<Value>,
    /// AnonCreds credentials (and the link secret), when the scenario issues those.
    wallet: ::anoncreds::Wallet,
    /// The issuer's exchange id of the last credential, for `revoke_credential`.
    last_exchange: Option<String>,
    /// The wallet's referent of the last AnonCreds credential.
    last_indy_referent: Option<String>,
    tracker: MessageTracker,
    /// The run's delivery ledger (msg): the same accounting as mediator-relay's.
    ledger: Arc<std::sync::Mutex<delivery::Ledger>>,
    last_tend: Instant,
}

/// The sender of every msg message in the delivery ledger: the issuer (holders are 0..).
pub(super) const ISSUER_SENDER: u64 = u64::MAX;

/// Credentials kept per holder: one is enough to prove; a few cover overlapping tasks.
const KEPT_CREDENTIALS: usize = 4;

impl IssuerUser {
    pub fn new(
        config: Arc<IssuerConfig>,
        ledger: Arc<std::sync::Mutex<delivery::Ledger>>,
        index: u64,
    ) -> Self {
        let tracker = MessageTracker::new(&config.run_id, index);
        Self {
            config,
            index,
            holder: None,
            link: None,
            issuer: None,
            verifier: None,
            subject_key: KeyPair::generate(),
            credentials: Vec::new(),
            wallet: ::anoncreds::Wallet::new(),
            last_exchange: None,
            last_indy_referent: None,
            tracker,
            ledger,
            last_tend: Instant::now(),
        }
    }
}

impl User for IssuerUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            // A retried start begins afresh: the old link goes (its port, its routes).
            self.stop_link().await;
            let mut holder_config = self.config.holder.clone();
            holder_config.label = format!("{}-{}", holder_config.label, self.index);
            let holder = Holder::new(holder_config);
            holder.inbox().track_recipients();
            let link = ctx
                .timed(
                    DIDCOMM,
                    "startup",
                    Link::establish(&self.config.reach, &holder, ctx),
                )
                .await
                .map_err(|e| e.to_string())?;
            self.holder = Some(holder);
            self.link = Some(link);
            let kind = self.config.kind;
            if kind.connects_to_issuer() {
                let issuer = self.config.issuer.clone();
                self.issuer = Some(self.connect_to(&issuer, "issuer_getinvite", ctx).await?);
            }
            if kind.needs_verifier() {
                let verifier = self
                    .config
                    .verifier
                    .clone()
                    .ok_or("this scenario needs VERIFIER_URL")?;
                self.verifier = Some(
                    self.connect_to(&verifier, "verifier_getinvite", ctx)
                        .await?,
                );
            }
            if kind.credential_at_start() {
                self.receive_credential(ctx).await?;
            }
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let _ = match task {
                ACCEPT_INVITE => self.connections(ctx).await,
                RECEIVE_CREDENTIAL => self.receive_credential(ctx).await,
                MSG_CLIENT => self.msg_client(ctx).await,
                PRESENTATION_EXCHANGE => self.presentation_exchange(ctx).await,
                REVOKE_CREDENTIAL => self.issue_and_revoke(ctx).await,
                _ => Ok(()),
            };
        })
    }

    fn on_stop<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.config.kind == Kind::Msg {
                self.tracker.wait_cut();
                self.last_call_for_messages(ctx).await;
            }
            self.stop_link().await;
        })
    }
}

impl IssuerUser {
    fn lock_ledger(&self) -> std::sync::MutexGuard<'_, delivery::Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn holder(&self) -> Result<&Holder, String> {
        self.holder
            .as_ref()
            .ok_or_else(|| "holder not started".into())
    }

    async fn stop_link(&mut self) {
        if let (Some(link), Some(holder)) = (self.link.take(), self.holder.as_ref()) {
            link.close(holder).await;
        }
    }

    /// `connection`'s task: `CONNECTIONS_PER_AGENT` new connections to the issuer. Only the
    /// last is kept: the holder's memory stays flat however long the run.
    async fn connections(&mut self, ctx: &UserContext) -> Result<(), String> {
        let issuer = self.config.issuer.clone();
        for _ in 0..self.config.connections_per_agent.max(1) {
            self.issuer = Some(self.connect_to(&issuer, "issuer_getinvite", ctx).await?);
        }
        Ok(())
    }

    /// `<who>_getinvite` (the admin call) then `accept_invite`: the holder connects from the
    /// invitation, and the step ends when the server's own record says `active`.
    async fn connect_to(
        &self,
        server: &ServerApi,
        getinvite: &'static str,
        ctx: &UserContext,
    ) -> Result<Peer, String> {
        let alias = format!("{}-{}", self.config.holder.label, self.index);
        let invitation = ctx
            .timed(
                ADMIN,
                getinvite,
                server.create_invitation(self.config.out_of_band, &alias),
            )
            .await
            .map_err(|e| e.to_string())?;
        ctx.timed(DIDCOMM, ACCEPT_INVITE, async {
            let holder = self.holder()?;
            let link = self.link.as_ref().ok_or("holder has no link")?;
            let parsed = didcomm::parse_invitation(&invitation.url)
                .map_err(|e| format!("the server's invitation: {e}"))?;
            let endpoint = parsed
                .inline_or_peer_service()
                .map_err(|e| format!("the server's invitation: {e}"))?
                .endpoint;
            let key = link
                .new_connection_key(holder)
                .await
                .map_err(|e| format!("new connection key: {e}"))?;
            let http = holder.http();
            let connection = connect_with_key(
                &parsed,
                &holder.config().label,
                link.ours(),
                key,
                Channel::Http {
                    client: http,
                    url: &endpoint,
                },
                holder.inbox(),
                self.config.timeout,
            )
            .await
            .map_err(|e| e.to_string())?;
            make_active(
                &connection,
                connection.http_channel(http).map_err(|e| e.to_string())?,
                holder.inbox(),
            )
            .await
            .map_err(|e| format!("trust ping after connecting: {e}"))?;
            let server_connection_id = server
                .wait_connection_active(&invitation.handle, self.config.timeout)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(Peer {
                connection,
                server_connection_id,
            })
        })
        .await
    }

    /// `receive_credential`: from the issuer's offer (the admin call) to the credential received,
    /// checked and acknowledged.
    async fn receive_credential(&mut self, ctx: &UserContext) -> Result<(), String> {
        ctx.timed(DIDCOMM, RECEIVE_CREDENTIAL, self.issue_one(ctx))
            .await
    }

    async fn issue_one(&mut self, ctx: &UserContext) -> Result<(), String> {
        let started = ctx.unix_now();
        let config = self.config.clone();
        let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
        let connection_id = issuer.server_connection_id.clone();
        match &config.offer {
            CredentialOffer::LdProof { issuer_did } => {
                let body = credential_spec::ld_credential(
                    &config.attributes,
                    issuer_did,
                    &didcomm::time::now_rfc3339(),
                );
                let exchange = config
                    .issuer
                    .offer_ld_credential(&connection_id, &body, PROOF_TYPE)
                    .await
                    .map_err(|e| e.to_string())?;
                let offer = self
                    .next_message(credential::is_offer, "credential offer")
                    .await?;
                let holder = self.holder()?;
                let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
                let http = holder.http();
                let issued = credential::accept_offer(
                    &offer,
                    &issuer.connection,
                    &self.subject_key.verkey().to_did_key(),
                    issuer
                        .connection
                        .http_channel(http)
                        .map_err(|e| e.to_string())?,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(|e| e.to_string())?;
                // With --trace-listen, the servers' trace events on this exchange join the sample.
                ctx.record_thread(
                    RECEIVE_CREDENTIAL,
                    &issued.thread_id,
                    started,
                    ctx.unix_now(),
                );
                if self.credentials.len() >= KEPT_CREDENTIALS {
                    self.credentials.remove(0);
                }
                self.credentials.push(issued.credential);
                self.last_exchange = Some(exchange);
                Ok(())
            }
            CredentialOffer::Indy {
                cred_def_id,
                cred_def,
                anoncreds,
            } => {
                let preview = credential_spec::preview_attributes(&config.attributes);
                let exchange = config
                    .issuer
                    .offer_indy_credential(&connection_id, cred_def_id, &preview, *anoncreds)
                    .await
                    .map_err(|e| e.to_string())?;
                let offer = self
                    .next_message(anoncreds::is_indy_offer, "credential offer")
                    .await?;
                let holder = self.holder.as_ref().ok_or("holder not started")?;
                let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
                let http = holder.http();
                let revocation = anoncreds::RevocationReads {
                    registries: config.registries.as_ref(),
                    http,
                };
                let issued = anoncreds::accept_indy_offer(
                    &offer,
                    &issuer.connection,
                    &mut self.wallet,
                    cred_def,
                    revocation,
                    issuer
                        .connection
                        .http_channel(http)
                        .map_err(|e| e.to_string())?,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(|e| e.to_string())?;
                if issued.tails_downloaded {
                    ctx.count(TAILS_DOWNLOADS, 1);
                }
                ctx.record_thread(
                    RECEIVE_CREDENTIAL,
                    &issued.thread_id,
                    started,
                    ctx.unix_now(),
                );
                self.last_exchange = Some(exchange);
                self.last_indy_referent = Some(issued.referent);
                Ok(())
            }
        }
    }

    /// `issue-revoke`'s task, four samples: a credential (`receive_credential`); its proof with
    /// a non-revoked interval, which the verifier must accept (`presentation_exchange`); its
    /// revocation, published (`revoke_credential`); and the same proof again, which the
    /// verifier must now reject (`revoked_presentation`). The holder then drops the revoked
    /// credential, so the next iteration proves the next one.
    async fn issue_and_revoke(&mut self, ctx: &UserContext) -> Result<(), String> {
        self.receive_credential(ctx).await?;
        let referent = self.last_indy_referent.clone();
        let outcome = self.prove_then_revoke(ctx).await;
        if let Some(referent) = referent {
            self.wallet.remove_credential(&referent);
        }
        outcome
    }

    async fn prove_then_revoke(&mut self, ctx: &UserContext) -> Result<(), String> {
        ctx.timed(
            DIDCOMM,
            PRESENTATION_EXCHANGE,
            self.prove_one(ctx, true, Verdict::Verified),
        )
        .await?;
        let exchange = self
            .last_exchange
            .clone()
            .ok_or("no credential exchange to revoke")?;
        let revocations = self.config.revocations.clone();
        ctx.timed(ADMIN, REVOKE_CREDENTIAL, async {
            // One at a time (see `IssuerConfig::revocations`); the wait counts in the sample,
            // as it would for an issuer that serialises its revocations.
            let _turn = revocations.lock().await;
            self.config.issuer.revoke_credential(&exchange).await
        })
        .await
        .map_err(|e| e.to_string())?;
        ctx.timed(
            DIDCOMM,
            REVOKED_PRESENTATION,
            self.prove_one(ctx, true, Verdict::Rejected),
        )
        .await
    }

    /// `presentation_exchange`: from the verifier's request (the admin call) to the verifier's
    /// record saying `verified`. `present-proof` first gets a fresh credential.
    async fn presentation_exchange(&mut self, ctx: &UserContext) -> Result<(), String> {
        if self.config.kind == Kind::PresentProof || self.credentials_empty() {
            self.receive_credential(ctx).await?;
        }
        ctx.timed(
            DIDCOMM,
            PRESENTATION_EXCHANGE,
            self.prove_one(ctx, self.config.non_revoked, Verdict::Verified),
        )
        .await
    }

    /// Whether the holder has no credential of the scenario's format yet (Indy credentials
    /// live in the AnonCreds wallet, JSON-LD ones in `credentials`).
    fn credentials_empty(&self) -> bool {
        match self.config.offer {
            CredentialOffer::LdProof { .. } => self.credentials.is_empty(),
            CredentialOffer::Indy { .. } => self.wallet.credentials().is_empty(),
        }
    }

    /// One proof to the verifier, judged on the verifier's record: `verdict` says which
    /// `verified` value is success. `non_revoked` (AnonCreds only) asks the holder to prove
    /// its credential is not revoked now.
    async fn prove_one(
        &mut self,
        ctx: &UserContext,
        non_revoked: bool,
        verdict: Verdict,
    ) -> Result<(), String> {
        let started = ctx.unix_now();
        let config = self.config.clone();
        let verifier_api = config
            .verifier
            .as_ref()
            .ok_or("this scenario needs a verifier")?;
        let verifier = self
            .verifier
            .as_ref()
            .ok_or("no connection to the verifier")?;
        let connection_id = &verifier.server_connection_id;
        let (exchange, indy) = match &config.offer {
            CredentialOffer::LdProof { .. } => {
                let challenge = didcomm::message::new_id();
                let request = credential_spec::dif_request(&config.attributes, &challenge);
                let exchange = verifier_api
                    .request_dif_presentation(connection_id, &request)
                    .await;
                (exchange, false)
            }
            CredentialOffer::Indy { cred_def_id, .. } => {
                let nonce = rand::random::<u64>().to_string();
                let request = match &config.proof_request {
                    Some(parts) => credential_spec::custom_indy_proof_request(parts, &nonce),
                    None => {
                        credential_spec::indy_proof_request(&config.attributes, cred_def_id, &nonce)
                    }
                };
                // Now, by the holders' clock (the verifier's is the same machine's or close).
                let request = match non_revoked {
                    true => credential_spec::with_non_revoked(request, ::anoncreds::unix_now()),
                    false => request,
                };
                let exchange = verifier_api
                    .request_indy_presentation(connection_id, &request)
                    .await;
                (exchange, true)
            }
        };
        let exchange = exchange.map_err(|e| e.to_string())?;
        let wanted: fn(&Message) -> bool = if indy {
            anoncreds::is_indy_proof_request
        } else {
            presentation::is_request
        };
        let request = self.next_message(wanted, "proof request").await?;
        let holder = self.holder.as_ref().ok_or("holder not started")?;
        let verifier = self
            .verifier
            .as_ref()
            .ok_or("no connection to the verifier")?;
        let http = holder.http();
        let channel = verifier
            .connection
            .http_channel(http)
            .map_err(|e| e.to_string())?;
        let presented = if indy {
            let revocation = anoncreds::RevocationReads {
                registries: config.registries.as_ref(),
                http,
            };
            let outcome = anoncreds::present_indy_proof(
                &request,
                &verifier.connection,
                &mut self.wallet,
                revocation,
                channel,
                holder.inbox(),
                config.timeout,
            )
            .await;
            match outcome {
                Ok(presented) => {
                    ctx.count(TAILS_DOWNLOADS, presented.tails_downloads);
                    ctx.count(REGISTRY_READS, presented.registries_read as u64);
                    Some(presented.thread_id)
                }
                // The verifier's ack said "false": its record says more, read below.
                Err(holder::HolderError::PresentationRejected) if verdict == Verdict::Rejected => {
                    None
                }
                Err(e) => return Err(e.to_string()),
            }
        } else {
            Some(
                presentation::respond_to_request(
                    &request,
                    &verifier.connection,
                    &self.credentials,
                    &self.subject_key,
                    channel,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(|e| e.to_string())?
                .thread_id,
            )
        };
        match verdict {
            Verdict::Verified => {
                verifier_api
                    .wait_presentation_verified(&exchange, config.timeout)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Verdict::Rejected => {
                let (record, _) = verifier_api
                    .wait_presentation_outcome(&exchange, config.timeout)
                    .await
                    .map_err(|e| e.to_string())?;
                if controller::acapy::verified_of(&record) != Some(false) {
                    return Err(format!(
                        "the verifier did not reject the proof of a revoked credential (state {}, verified {})",
                        record["state"], record["verified"]
                    ));
                }
            }
        }
        if let Some(thread_id) = presented {
            ctx.record_thread(PRESENTATION_EXCHANGE, &thread_id, started, ctx.unix_now());
        }
        Ok(())
    }

    /// `msg_client`: the issuer is asked to send a basic message; timed until it arrives.
    /// Duplicates and late arrivals seen meanwhile are counted; a message that does not come
    /// within the timeout is a failure, and lost if it has not come by the end of the run.
    async fn msg_client(&mut self, ctx: &UserContext) -> Result<(), String> {
        let token = self.tracker.next_token();
        let sent = self.lock_ledger().send(
            ISSUER_SENDER,
            self.index,
            delivery::RecipientState::Online,
            ctx.stats().clock().elapsed(),
        );
        let text = format!("{} {}", self.config.message, sent.id);
        let content = MessageTracker::content(&text, &token);
        let outcome = ctx
            .timed(
                DIDCOMM,
                MSG_CLIENT,
                self.send_and_await(&token, sent.id, &content, ctx),
            )
            .await;
        if outcome.is_err() {
            self.tracker.gave_up(&token);
        }
        outcome
    }

    async fn send_and_await(
        &mut self,
        token: &str,
        id: delivery::MessageId,
        content: &str,
        ctx: &UserContext,
    ) -> Result<(), String> {
        let started = ctx.unix_now();
        let Some(issuer) = self.issuer.as_ref() else {
            self.lock_ledger().send_failed(id);
            return Err("no connection to the issuer".into());
        };
        if let Err(e) = self
            .config
            .issuer
            .send_message(&issuer.server_connection_id, content)
            .await
        {
            // Refused or broken off: the message may or may not have left (the ledger counts
            // it delivered only if it arrives).
            self.lock_ledger().send_failed(id);
            return Err(e.to_string());
        }
        ctx.count("messages_sent", 1);
        self.tracker.sent(token);
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "message not received within {}s (lost unless it arrives later)",
                    self.config.timeout.as_secs_f64()
                ));
            }
            let Some(message) = self.next_within(left).await? else {
                continue;
            };
            if let Some(text) = basic_message::content(&message) {
                if self.classify(text, Some(token), ctx) == Arrival::Expected {
                    // The message's @id is its thread: the issuer's and the mediator's trace
                    // events for it join this sample (with --trace-listen).
                    if let Some(id) = message.id() {
                        ctx.record_thread(MSG_CLIENT, id, started, ctx.unix_now());
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Counts one arriving basic message.
    fn classify(&mut self, text: &str, awaited: Option<&str>, ctx: &UserContext) -> Arrival {
        if let Some(id) = delivery::MessageId::find_in(text) {
            let at = ctx.stats().clock().elapsed();
            self.lock_ledger().receive(self.index, id, at);
        }
        let arrival = self.tracker.arrived(text, awaited);
        match arrival {
            Arrival::Expected => ctx.count("messages_received", 1),
            Arrival::Late => {
                ctx.count("messages_received", 1);
                ctx.count("messages_late", 1);
            }
            Arrival::Duplicate => ctx.count("messages_duplicated", 1),
            Arrival::Foreign => {}
        }
        arrival
    }

    /// At stop: a last chance for overdue messages, then whatever is still missing is lost.
    async fn last_call_for_messages(&mut self, ctx: &UserContext) {
        let deadline = Instant::now() + LAST_CALL;
        while self.tracker.overdue() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.next_within(left).await {
                Ok(Some(message)) => {
                    if let Some(text) = basic_message::content(&message) {
                        self.classify(text, None, ctx);
                    }
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        let lost = self.tracker.overdue() as u64;
        if lost > 0 {
            ctx.count("messages_lost", lost);
        }
    }

    /// The next message `wanted` accepts, within the timeout. Others arriving meanwhile are
    /// not for this step: basic messages are still counted, anything else is dropped.
    async fn next_message(
        &mut self,
        wanted: fn(&Message) -> bool,
        what: &str,
    ) -> Result<Message, String> {
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "{what}: none arrived within {}s",
                    self.config.timeout.as_secs_f64()
                ));
            }
            let Some(message) = self.next_within(left).await? else {
                continue;
            };
            if is_problem_report(&message) {
                return Err(format!(
                    "problem report from the server: {}",
                    problem_text(&message)
                ));
            }
            if wanted(&message) {
                return Ok(message);
            }
            tracing::debug!(user = self.index, message_type = %message.short_type(), "message ignored while waiting for {what}");
        }
    }

    /// One unsolicited message, waiting at most `left` (in slices, tending the link between).
    async fn next_within(&mut self, left: Duration) -> Result<Option<Message>, String> {
        let link = self.link.as_mut().ok_or("holder has no link")?;
        let poll = link.poll_interval().unwrap_or(TEND_EVERY);
        link.tend(self.last_tend.elapsed())
            .await
            .map_err(|e| format!("link to the holder's mediator: {e}"))?;
        if self.last_tend.elapsed() >= poll {
            self.last_tend = Instant::now();
        }
        let holder = self.holder.as_ref().ok_or("holder not started")?;
        Ok(holder
            .inbox()
            .next_unsolicited(left.min(TEND_EVERY).min(poll))
            .await)
    }
}

fn is_problem_report(message: &Message) -> bool {
    message.short_type().ends_with("/problem-report")
}

fn problem_text(message: &Message) -> String {
    let value = &message.value;
    value["description"]["en"]
        .as_str()
        .or_else(|| value["description"]["code"].as_str())
        .or_else(|| value["explain"].as_str())
        .unwrap_or("(no description)")
        .to_string()
}
