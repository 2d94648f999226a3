//! One holder of an issuer/verifier scenario: its link (mediated or direct), its connections to
//! the issuer and the verifier, the credentials it holds, and each task as owl-akrida times it.

use std::sync::Arc;
use std::time::Duration;

use admin_client::acapy::ServerApi;
use didcomm::KeyPair;
use engine::{BoxFuture, User, UserContext};
use holder::connection::{connect_with_key, make_active};
use holder::outbound::Channel;
use holder::{Connection, Holder};
use serde_json::Value;
use tokio::time::Instant;

use super::link::Link;
use super::messages::MessageTracker;
use super::{
    IssuerConfig, Kind, ACCEPT_INVITE, MSG_CLIENT, PRESENTATION_EXCHANGE, RECEIVE_CREDENTIAL,
    REVOKE_CREDENTIAL,
};
use crate::liveness::ADMIN;
use crate::DIDCOMM;

mod credentials;
mod messaging;

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
    wallet: akrida_anoncreds::Wallet,
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
            wallet: akrida_anoncreds::Wallet::new(),
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
}
