//! `mediator-ping` (owl-akrida's `locustMediatorPing.py`): how many wallets a mediator holds, and how
//! fast it answers them.
//!
//! Each user is one holder. `startup` onboards it — `connect` (DID Exchange or connections, as
//! the invitation offers), `socket_open`, `mediation_grant`, `keylist_update`, each also a sample
//! of its own so an operator sees where onboarding time goes. Then `ping_mediator` repeats: a
//! trust ping answered on the socket. A socket the mediator drops is counted (`connection_lost`)
//! and reopened with backoff; whatever the mediator queued meanwhile is drained and counted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use didcomm::Invitation;
use engine::{BoxFuture, Phases, Scenario, User, UserContext};
use holder::{Holder, HolderConfig, HolderError, MediatorSession};

use crate::invitations::MediatorInvitations;
use crate::pickup::PickupStrategy;
use crate::relay::{GoAway, Sleep};
use crate::DIDCOMM;

/// How long to wait for a queued message after announcing a new socket before deciding the
/// mediator has nothing more (loopback answers in milliseconds; remote mediators need more).
pub(crate) const DRAIN_QUIET: Duration = Duration::from_millis(250);
/// Bound on announce rounds after one reconnect, so a misbehaving mediator cannot hold a user.
pub(crate) const MAX_DRAIN_ROUNDS: usize = 1000;

pub struct MediatorPingConfig {
    /// Holder N onboards through invitation N mod count.
    pub invitations: MediatorInvitations,
    pub holder: HolderConfig,
    pub pickup: PickupStrategy,
    /// Pickup 2.0 polling: at most one status/delivery round per this interval (checked before
    /// each ping, so the effective interval is at least the wait between pings).
    pub pickup_interval: Duration,
    /// Which holders sleep as phones do, for how long, and how they go away.
    pub sleep: Sleep,
}

pub struct MediatorPing {
    config: Arc<MediatorPingConfig>,
}

impl MediatorPing {
    pub fn new(config: MediatorPingConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl Scenario for MediatorPing {
    fn name(&self) -> &str {
        "mediator-ping"
    }

    fn phases(&self) -> Option<Phases> {
        Some(ONBOARDING)
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("ping_mediator", 1)]
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(MediatorPingUser {
            config: self.config.clone(),
            index,
            holder: None,
            session: None,
            backoff: Backoff::default(),
            drop_counted: false,
            last_pickup: None,
            next_change: None,
            away: None,
        })
    }
}

struct MediatorPingUser {
    config: Arc<MediatorPingConfig>,
    index: u64,
    holder: Option<Holder>,
    session: Option<MediatorSession>,
    backoff: Backoff,
    /// Set when we notice the socket closed; cleared by a successful reconnect. Makes each drop
    /// count once, however many pings fail while it lasts.
    drop_counted: bool,
    last_pickup: Option<Instant>,
    /// A sleeper's next change: going away when online, waking when away.
    next_change: Option<Instant>,
    /// How it went away, while it is away.
    away: Option<GoAway>,
}

impl User for MediatorPingUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut holder_config = self.config.holder.clone();
            holder_config.label = format!("{}-{}", holder_config.label, self.index);
            let holder = Holder::new(holder_config);
            let session = ctx
                .timed(
                    DIDCOMM,
                    "startup",
                    onboard(
                        &holder,
                        self.config.invitations.for_user(self.index),
                        self.config.pickup,
                        ctx,
                    ),
                )
                .await
                .map_err(|e| e.to_string())?;
            self.holder = Some(holder);
            self.session = Some(session);
            if self.config.sleep.sleeps(self.index) {
                let online = self.config.sleep.online.draw(&mut rand::thread_rng());
                self.next_change = Some(Instant::now() + online);
            }
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.next_change.is_some_and(|at| at <= Instant::now()) {
                self.change(ctx).await;
            }
            if self.away.is_some() {
                // A sleeping phone pings nobody.
                return;
            }
            if !self.ensure_connected(ctx).await {
                return;
            }
            let Some(session) = self.session.as_ref() else {
                return;
            };
            // The ping's @id is its thread id: with --trace-listen the mediator's trace events
            // for it join this sample.
            let thread = didcomm::message::new_id();
            let _ = ctx
                .timed_thread(
                    DIDCOMM,
                    "ping_mediator",
                    &thread,
                    session.ping_with_id(&thread),
                )
                .await;
            if self.config.pickup == PickupStrategy::PickupV2 && self.pickup_due() {
                self.last_pickup = Some(Instant::now());
                let _ = ctx.timed(DIDCOMM, "pickup", session.pickup_drain()).await;
            }
            self.count_received_messages(ctx).await;
        })
    }

    /// Between pings (seconds to minutes apart) the holder watches its socket: a drop is
    /// counted when it happens and the socket reopened at once, so the holder is reachable
    /// through the mediator again without waiting for its next ping to notice.
    fn while_waiting<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            loop {
                let Some(session) = self.session.as_ref() else {
                    return;
                };
                let due = async {
                    match self.next_change {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                if self.away.is_some() {
                    due.await;
                    self.change(ctx).await;
                    continue;
                }
                let closed = tokio::select! {
                    _ = due => false,
                    _ = session.socket().wait_closed() => true,
                };
                if closed {
                    break;
                }
                self.change(ctx).await;
            }
            self.note_drop(ctx);
            // Boxed: the reconnect's future (a WebSocket handshake, then the drain) is several
            // KB, and unboxed it would sit in every waiting holder's future, dropped or not
            // (seen: 19.7 -> 27.9 KB per idle holder at 5,000).
            Box::pin(self.reconnect_with_backoff(ctx)).await;
        })
    }

    fn on_stop<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(session) = self.session.take() {
                session.close().await;
            }
        })
    }
}

/// The samples [`onboard`] records, in the order it takes them, and `startup` spanning them.
pub const ONBOARDING: Phases = Phases {
    title: "Onboarding phases",
    total: "startup",
    steps: &[
        "connect",
        "socket_open",
        "mediation_grant",
        "keylist_update",
    ],
};

/// The onboarding steps, each its own sample (`startup` times them all): connect, open the
/// socket, mediation grant, keylist update, and live mode when that is the pickup strategy.
pub(crate) async fn onboard(
    holder: &Holder,
    invitation: &Invitation,
    pickup: PickupStrategy,
    ctx: &UserContext,
) -> Result<MediatorSession, HolderError> {
    onboard_with_key(holder, invitation, pickup, ctx)
        .await
        .map(|(session, _)| session)
}

/// [`onboard`], also giving the key registered with the mediator: the one others reach this
/// holder on (its private half is in the holder's key ring).
pub(crate) async fn onboard_with_key(
    holder: &Holder,
    invitation: &Invitation,
    pickup: PickupStrategy,
    ctx: &UserContext,
) -> Result<(MediatorSession, didcomm::VerKey), HolderError> {
    let connection = ctx
        .timed(DIDCOMM, "connect", holder.connect(invitation))
        .await?;
    let mut session = ctx
        .timed(
            DIDCOMM,
            "socket_open",
            holder.open_mediator_session(connection),
        )
        .await?;
    ctx.timed(DIDCOMM, "mediation_grant", session.request_mediation())
        .await?;
    let key = ctx
        .timed(DIDCOMM, "keylist_update", session.add_routing_key())
        .await?;
    if pickup == PickupStrategy::PickupV2Live {
        session.pickup_live().await?;
    }
    Ok((session, key))
}

impl MediatorPingUser {
    /// Goes away or wakes, whichever is due, and draws when the next change comes.
    async fn change(&mut self, ctx: &UserContext) {
        let sleep = self.config.sleep;
        if self.away.take().is_some() {
            let started = Instant::now();
            // Waking: a new socket, then what was queued meanwhile picked up.
            let woke = loop {
                match self.reconnect(ctx).await {
                    Ok(()) => break Ok(()),
                    Err(e) if self.backoff.remaining().is_some() && !ctx.is_stopping() => {
                        tracing::debug!(user = self.index, error = %e, "wake: reconnect failed");
                        if let Some(wait) = self.backoff.remaining() {
                            tokio::time::sleep(wait).await;
                        }
                    }
                    Err(e) => break Err(e.to_string()),
                }
            };
            ctx.record(DIDCOMM, "wake", started.elapsed(), woke);
            let online = sleep.online.draw(&mut rand::thread_rng());
            self.next_change = Some(Instant::now() + online);
        } else {
            let Some(session) = self.session.as_ref() else {
                return;
            };
            match sleep.how {
                GoAway::Close => session.close().await,
                GoAway::Vanish => session.socket().vanish(),
                GoAway::Drop => session.socket().reset().await,
            }
            // Our own going away is not a drop by the mediator.
            self.drop_counted = true;
            self.away = Some(sleep.how);
            ctx.count("holders_went_to_sleep", 1);
            let offline = sleep.offline.draw(&mut rand::thread_rng());
            self.next_change = Some(Instant::now() + offline);
        }
    }

    /// True when the socket is open (reopening it if it was closed and the backoff allows).
    /// While it cannot be reopened each ping counts as a failure: the holder is unreachable.
    async fn ensure_connected(&mut self, ctx: &UserContext) -> bool {
        let Some(session) = self.session.as_ref() else {
            return false;
        };
        if session.is_connected() {
            return true;
        }
        self.note_drop(ctx);
        if let Some(wait) = self.backoff.remaining() {
            let cause = format!(
                "not connected: next reconnect in {:.1}s",
                wait.as_secs_f64()
            );
            ctx.record(DIDCOMM, "ping_mediator", Duration::ZERO, Err(cause));
            return false;
        }
        match self.reconnect(ctx).await {
            Ok(()) => true,
            Err(e) => {
                let cause = format!("not connected: {e}");
                ctx.record(DIDCOMM, "ping_mediator", Duration::ZERO, Err(cause));
                false
            }
        }
    }

    /// Counts a closed socket as `connection_lost`, once per drop however often it is seen.
    fn note_drop(&mut self, ctx: &UserContext) {
        if self.drop_counted {
            return;
        }
        self.drop_counted = true;
        let cause = match self.session.as_ref().and_then(|s| s.socket().close_cause()) {
            Some(said) => format!("WebSocket closed by the mediator ({said})"),
            None => "WebSocket closed by the mediator".to_owned(),
        };
        ctx.record(DIDCOMM, "connection_lost", Duration::ZERO, Err(cause));
    }

    /// Reopens the socket, waiting out the backoff between failed attempts.
    async fn reconnect_with_backoff(&mut self, ctx: &UserContext) {
        loop {
            if let Some(wait) = self.backoff.remaining() {
                tokio::time::sleep(wait).await;
            }
            if self.reconnect(ctx).await.is_ok() {
                return;
            }
        }
    }

    /// One attempt to reopen the socket (a `socket_open` sample); on success, collects what the
    /// mediator queued meanwhile, and on failure pushes the next attempt back.
    async fn reconnect(&mut self, ctx: &UserContext) -> Result<(), HolderError> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        match ctx.timed(DIDCOMM, "socket_open", session.reconnect()).await {
            Err(e) => {
                self.backoff.failed();
                Err(e)
            }
            Ok(()) => {
                self.backoff.reset();
                self.drop_counted = false;
                self.after_reconnect(ctx).await;
                Ok(())
            }
        }
    }

    /// Makes the mediator hand over what it queued while we were away.
    async fn after_reconnect(&mut self, ctx: &UserContext) {
        let Some(session) = self.session.as_ref() else {
            return;
        };
        let result = match self.config.pickup {
            PickupStrategy::Implicit => self.drain_implicitly(ctx).await,
            PickupStrategy::PickupV2Live => match self.drain_implicitly(ctx).await {
                Ok(()) => session.pickup_live().await,
                Err(e) => Err(e),
            },
            PickupStrategy::PickupV2 => {
                self.last_pickup = Some(Instant::now());
                ctx.timed(DIDCOMM, "pickup", session.pickup_drain())
                    .await
                    .map(|_| ())
            }
        };
        if let Err(e) = result {
            tracing::debug!(user = self.index, error = %e, "could not ask the mediator for queued messages");
        }
    }

    /// ACA-Py hands over one queued message per return-route message that needs no reply, so
    /// announce again after each one that arrives, until the mediator has nothing more.
    async fn drain_implicitly(&self, ctx: &UserContext) -> Result<(), HolderError> {
        let (Some(session), Some(holder)) = (self.session.as_ref(), self.holder.as_ref()) else {
            return Ok(());
        };
        let mut received = 0;
        for _ in 0..MAX_DRAIN_ROUNDS {
            session.announce().await?;
            if holder.inbox().next_unsolicited(DRAIN_QUIET).await.is_none() {
                break;
            }
            received += 1;
        }
        if received > 0 {
            ctx.count("messages_received", received);
        }
        Ok(())
    }

    fn pickup_due(&self) -> bool {
        self.last_pickup
            .is_none_or(|last| last.elapsed() >= self.config.pickup_interval)
    }

    /// Counts (and discards) the messages that reached this holder unasked: mediator-ping sends
    /// no one our key, so these are what the mediator queued or pushed on its own.
    async fn count_received_messages(&self, ctx: &UserContext) {
        let Some(holder) = self.holder.as_ref() else {
            return;
        };
        let mut received = 0;
        while holder
            .inbox()
            .next_unsolicited(Duration::ZERO)
            .await
            .is_some()
        {
            received += 1;
        }
        if received > 0 {
            ctx.count("messages_received", received);
        }
    }
}

/// Reconnect backoff: 0.5 s doubling to 10 s, with ±20 % jitter so that thousands of holders
/// dropped at once by a mediator restart do not all come back in the same instant.
#[derive(Default)]
pub(crate) struct Backoff {
    failures: u32,
    next_attempt: Option<Instant>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    // Short enough that holders are back within seconds of the mediator.
    const MAX: Duration = Duration::from_secs(10);

    /// How long until the next attempt is allowed, if any.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.next_attempt
            .map(|at| at.saturating_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    pub(crate) fn failed(&mut self) {
        let base = Self::FIRST
            .saturating_mul(1u32 << self.failures.min(6))
            .min(Self::MAX);
        let jitter = rand::random::<f64>() * 0.4 + 0.8;
        self.failures += 1;
        self.next_attempt = Some(Instant::now() + base.mul_f64(jitter));
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
        self.next_attempt = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_resets() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.remaining(), None);
        backoff.failed();
        let first = backoff.remaining().unwrap();
        assert!(first <= Duration::from_millis(600), "{first:?}");
        for _ in 0..10 {
            backoff.failed();
        }
        let capped = backoff.remaining().unwrap();
        assert!(
            capped > Duration::from_secs(7) && capped <= Duration::from_secs(12),
            "{capped:?}"
        );
        backoff.reset();
        assert_eq!(backoff.remaining(), None);
    }
}
