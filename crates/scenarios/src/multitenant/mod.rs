//! `multitenant-mediation` (ACA-Py's multi-demo load test): wallets created inside an ACA-Py
//! multitenant agent take mediation from the mediator under test, then connect to each other
//! through it and exchange trust pings and basic messages — all through the admin API.
//!
//! Each user, on start: `create_tenant` (`POST /multitenancy/wallet`), then `tenant_mediation`
//! (receive the mediator's invitation, wait for the connection, request mediation, wait for the
//! grant, set it as default mediator). Its tasks then:
//! - `tenant_connection`: another live tenant of this run invites, this one accepts, both
//!   records `active`; the connection must send to the mediator's endpoint (checked, so a
//!   tenant that talks directly is a failure, not a pass);
//! - `tenant_ping`: trust ping to a connected tenant, done when the pinged tenant reports it
//!   (webhook `ping` `received`) and the answer is back (`response_received`);
//! - `tenant_message`: basic message, done when the other tenant's webhook shows its content.
//!
//! A user with no connection yet makes one first; with no other tenant live yet it skips
//! (counter `tenant_no_peer`). On stop each user removes its tenant (`remove_tenant`); what is
//! left when the run ends (users stopped mid-way) is removed by [`Scenario::finish`].

mod tenant;
pub mod webhooks;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use admin_client::AdminClient;
use didcomm::Invitation;
use engine::{BoxFuture, Scenario, Stats, User, UserContext};
use rand::seq::SliceRandom;

pub use tenant::{poll, Link, Tenant};
use webhooks::{message_key, ping_key, WebhookHub};

/// Locust's "Type" column for these samples: they are admin API flows.
pub const ADMIN: &str = "admin";
pub const CREATE_TENANT: &str = "create_tenant";
pub const TENANT_MEDIATION: &str = "tenant_mediation";
pub const TENANT_CONNECTION: &str = "tenant_connection";
pub const TENANT_PING: &str = "tenant_ping";
pub const TENANT_MESSAGE: &str = "tenant_message";
pub const REMOVE_TENANT: &str = "remove_tenant";
/// Counter: a task found no other live tenant to talk to.
pub const NO_PEER: &str = "tenant_no_peer";

pub struct MultitenantConfig {
    /// The multitenant agent's admin API, with its base headers (admin API key, if any).
    pub admin: AdminClient,
    /// The mediator's invitation (out-of-band or connections/1.0).
    pub mediator: Invitation,
    /// `wallet_key_derivation: RAW` with a generated key (fast) instead of argon2.
    pub raw_key: bool,
    /// Remove the tenants this run created when users stop / the run ends.
    pub cleanup: bool,
    /// Bound on each wait (a connection, a grant, a webhook).
    pub timeout: Duration,
    /// Tenant wallet names are `<label>-<run id>-<user>`.
    pub label: String,
    /// Where to listen for the tenants' webhooks.
    pub webhook_listen: SocketAddr,
    /// The URL the agent posts webhooks to; default `http://<bound address>`.
    pub webhook_url: Option<String>,
}

/// State all users share.
struct Shared {
    config: MultitenantConfig,
    /// The mediator's DIDComm endpoint, which tenant connections must use.
    mediator_endpoint: String,
    webhook_url: String,
    hub: Arc<WebhookHub>,
    /// Distinguishes this run's wallet names from earlier runs'.
    run_id: String,
    /// Tenants onboarded and not stopping: peers for others' tasks.
    live: Mutex<HashMap<String, Tenant>>,
    /// Every tenant created and not yet removed (wallet id → name), for clean-up.
    created: Mutex<HashMap<String, String>>,
}

pub struct MultitenantMediation {
    shared: Arc<Shared>,
}

impl MultitenantMediation {
    /// Binds the webhook listener and serves it; errors name what failed.
    pub async fn start(config: MultitenantConfig) -> Result<Self, String> {
        let mediator_endpoint = config
            .mediator
            .inline_or_peer_service()
            .map_err(|e| format!("the mediator's invitation: {e}"))?
            .endpoint;
        let listener = webhooks::bind(config.webhook_listen).await?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("tenant webhook listener: {e}"))?;
        let hub = Arc::new(WebhookHub::default());
        webhooks::serve(listener, hub.clone());
        let webhook_url = config
            .webhook_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let run_id = format!("{:08x}", rand::random::<u32>());
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                mediator_endpoint,
                webhook_url,
                hub,
                run_id,
                live: Mutex::new(HashMap::new()),
                created: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The URL tenants post their webhooks to.
    pub fn webhook_url(&self) -> &str {
        &self.shared.webhook_url
    }

    /// The tenants onboarded (granted a default mediator) and not stopping, at this moment.
    pub fn live_tenants(&self) -> Vec<Tenant> {
        lock(&self.shared.live).values().cloned().collect()
    }

    /// Wallet ids created by this run and not removed (yet).
    pub fn remaining_tenants(&self) -> Vec<String> {
        lock(&self.shared.created).keys().cloned().collect()
    }
}

impl Scenario for MultitenantMediation {
    fn name(&self) -> &str {
        "multitenant-mediation"
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![
            (TENANT_CONNECTION, 1),
            (TENANT_PING, 2),
            (TENANT_MESSAGE, 2),
        ]
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(TenantUser {
            index,
            shared: self.shared.clone(),
            tenant: None,
            links: Vec::new(),
        })
    }

    fn finish<'a>(&'a self, stats: &'a Stats) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !self.shared.config.cleanup {
                return;
            }
            let left: Vec<String> = self.remaining_tenants();
            for wallet_id in left {
                let started = tokio::time::Instant::now();
                let result = tenant::remove(&self.shared.config.admin, &wallet_id).await;
                if result.is_ok() {
                    lock(&self.shared.created).remove(&wallet_id);
                }
                stats.record(
                    ADMIN,
                    REMOVE_TENANT,
                    started.elapsed(),
                    result.err().as_deref(),
                );
            }
        })
    }
}

/// A connection to another tenant.
struct PeerLink {
    peer: Tenant,
    link: Link,
}

struct TenantUser {
    index: u64,
    shared: Arc<Shared>,
    tenant: Option<Tenant>,
    links: Vec<PeerLink>,
}

impl TenantUser {
    fn timeout(&self) -> Duration {
        self.shared.config.timeout
    }

    /// Another live tenant, at random.
    fn pick_peer(&self, me: &Tenant) -> Option<Tenant> {
        let live = lock(&self.shared.live);
        let others: Vec<&Tenant> = live
            .values()
            .filter(|t| t.wallet_id != me.wallet_id)
            .collect();
        others.choose(&mut rand::thread_rng()).map(|t| (*t).clone())
    }

    /// `tenant_connection` to a random peer; the new link is kept for pings and messages.
    async fn connect(&mut self, ctx: &UserContext) -> Option<usize> {
        let me = self.tenant.clone()?;
        let Some(peer) = self.pick_peer(&me) else {
            ctx.count(NO_PEER, 1);
            return None;
        };
        let started = ctx.unix_now();
        let mediator = self.shared.mediator_endpoint.clone();
        let timeout = self.timeout();
        let link = ctx
            .timed(ADMIN, TENANT_CONNECTION, async {
                let link = tenant::connect(&me, &peer, timeout).await?;
                if link.their_endpoint != mediator {
                    return Err(format!(
                        "tenant connection not routed through the mediator: it sends to {:?}, not {mediator:?}",
                        link.their_endpoint
                    ));
                }
                Ok::<_, String>(link)
            })
            .await
            .ok()?;
        if let Some(thread) = &link.thread_id {
            ctx.record_thread(TENANT_CONNECTION, thread, started, ctx.unix_now());
        }
        self.links.push(PeerLink { peer, link });
        Some(self.links.len() - 1)
    }

    /// A link to a peer that is still live, making one when there is none.
    async fn some_link(&mut self, ctx: &UserContext) -> Option<usize> {
        {
            let live = lock(&self.shared.live);
            self.links.retain(|l| live.contains_key(&l.peer.wallet_id));
        }
        if self.links.is_empty() {
            return self.connect(ctx).await;
        }
        Some(rand::random::<usize>() % self.links.len())
    }

    async fn ping(&mut self, ctx: &UserContext) {
        let (Some(me), Some(i)) = (self.tenant.clone(), self.some_link(ctx).await) else {
            return;
        };
        let link = &self.links[i];
        let hub = &self.shared.hub;
        let timeout = self.timeout();
        let started = ctx.unix_now();
        let result = ctx
            .timed(ADMIN, TENANT_PING, async {
                let thread = tenant::send_ping(&me, &link.link.mine).await?;
                let received = hub.expect(&link.peer.wallet_id, ping_key("received", &thread));
                let answered = hub.expect(&me.wallet_id, ping_key("response_received", &thread));
                received
                    .wait(timeout, "trust ping at the other tenant")
                    .await?;
                answered.wait(timeout, "trust ping response").await?;
                Ok::<_, String>(thread)
            })
            .await;
        if let Ok(thread) = result {
            ctx.record_thread(TENANT_PING, &thread, started, ctx.unix_now());
        }
    }

    async fn message(&mut self, ctx: &UserContext) {
        let (Some(me), Some(i)) = (self.tenant.clone(), self.some_link(ctx).await) else {
            return;
        };
        let link = &self.links[i];
        let content = format!("akrida {} {}", self.index, uuid::Uuid::new_v4());
        let arrival = self
            .shared
            .hub
            .expect(&link.peer.wallet_id, message_key(&content));
        let timeout = self.timeout();
        let started = ctx.unix_now();
        let arrived = ctx
            .timed(ADMIN, TENANT_MESSAGE, async {
                tenant::send_message(&me, &link.link.mine, &content).await?;
                arrival
                    .wait(timeout, "basic message at the other tenant")
                    .await
            })
            .await;
        // send-message answers nothing in 0.12.8; the webhook names the message's @id, which is
        // its thread id.
        if let Some(thread) = arrived.ok().as_ref().and_then(|b| b["message_id"].as_str()) {
            ctx.record_thread(TENANT_MESSAGE, thread, started, ctx.unix_now());
        }
    }

    async fn onboard(&mut self, ctx: &UserContext) -> Result<(), String> {
        let shared = self.shared.clone();
        let config = &shared.config;
        if self.tenant.is_none() {
            let name = format!("{}-{}-{}", config.label, shared.run_id, self.index);
            let new = tenant::NewTenant {
                name: &name,
                raw_key: config.raw_key,
                webhook_url: &shared.webhook_url,
            };
            let created = ctx
                .timed(ADMIN, CREATE_TENANT, tenant::create(&config.admin, &new))
                .await?;
            lock(&shared.created).insert(created.wallet_id.clone(), name);
            self.tenant = Some(created);
        }
        let Some(me) = self.tenant.clone() else {
            return Err("no tenant".into());
        };
        ctx.timed(
            ADMIN,
            TENANT_MEDIATION,
            tenant::take_mediation(&me, &config.mediator, config.timeout),
        )
        .await?;
        lock(&shared.live).insert(me.wallet_id.clone(), me);
        Ok(())
    }

    async fn stop(&mut self, ctx: &UserContext) {
        let Some(me) = self.tenant.take() else { return };
        lock(&self.shared.live).remove(&me.wallet_id);
        if !self.shared.config.cleanup {
            return;
        }
        let result = ctx
            .timed(
                ADMIN,
                REMOVE_TENANT,
                tenant::remove(&self.shared.config.admin, &me.wallet_id),
            )
            .await;
        if result.is_ok() {
            lock(&self.shared.created).remove(&me.wallet_id);
        }
    }
}

impl User for TenantUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.onboard(ctx))
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match task {
                TENANT_CONNECTION => {
                    let _ = self.connect(ctx).await;
                }
                TENANT_PING => self.ping(ctx).await,
                _ => self.message(ctx).await,
            }
        })
    }

    fn on_stop<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(self.stop(ctx))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
