//! A holder's mediated session as a phone keeps it: one socket to its mediator, reopened with
//! backoff when the mediator drops it, closed / abandoned / reset when the phone sleeps and
//! reopened when it wakes, and after every reopen the mediator made to hand over what it queued
//! meanwhile (by the pickup strategy).
//!
//! `mediator-ping` and `mediator-relay` both hold their holder through a [`MediatedSocket`]; what
//! differs between them — what a message that arrives means, and who must know that the holder
//! went away or came back — is their [`Arrivals`].

use std::time::Duration;

use didcomm::message::Message;
use engine::UserContext;
use holder::{Holder, HolderConfig, HolderError, MediatorSession};
use tokio::time::Instant;

use crate::invitations::MediatorInvitations;
use crate::pickup::PickupStrategy;
use crate::sleep::{GoAway, Sleep};
use crate::DIDCOMM;

/// The settings of a mediated holder, shared by the mediated scenarios (`mediator-ping`,
/// `mediator-relay`, `mediator-onboard`).
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

/// How long to wait for a queued message after announcing a new socket before deciding the
/// mediator has nothing more (loopback answers in milliseconds; remote mediators need more).
pub(crate) const DRAIN_QUIET: Duration = Duration::from_millis(250);
/// Bound on announce rounds after one reconnect, so a misbehaving mediator cannot hold a user.
pub(crate) const MAX_DRAIN_ROUNDS: usize = 1000;
/// Long enough to mean "until something happens" for an inbox read inside a select.
const FOREVER: Duration = Duration::from_secs(86_400);

/// What a scenario does with the events of a mediated socket.
pub(crate) trait Arrivals: Send + Sync {
    /// A message reached the holder: read while waiting, or picked up after a reopen.
    fn arrived(&self, message: &Message, ctx: &UserContext);
    /// The holder is about to go away (`how`); called before the socket changes, so a message
    /// sent from now on is one to a holder that is going.
    fn going_away(&self, _how: GoAway, _ctx: &UserContext) {}
    /// The holder has a socket again after sleeping, before it picks up what was queued.
    fn back(&self, _ctx: &UserContext) {}
}

/// One holder's socket to its mediator, with the phone's habits (see the module docs).
pub(crate) struct MediatedSocket<A> {
    holder: Holder,
    session: MediatorSession,
    arrivals: A,
    pickup: PickupStrategy,
    pickup_interval: Duration,
    sleep: Sleep,
    backoff: Backoff,
    /// Set when we notice the socket closed (or close it ourselves); cleared by a successful
    /// reopen. Makes each drop count once, however often it is seen.
    drop_counted: bool,
    /// A sleeper's next change: going away when online, waking when away; None for holders
    /// that never sleep.
    next_change: Option<Instant>,
    /// How it went away, while it is away.
    away: Option<GoAway>,
    last_pickup: Option<Instant>,
}

/// What a wait between tasks ended with.
enum Event {
    Due,
    Closed,
    Message(Option<Message>),
}

impl<A: Arrivals> MediatedSocket<A> {
    /// Takes over an onboarded holder; holder `index` sleeps when `settings.sleep` says so.
    pub(crate) fn new(
        holder: Holder,
        session: MediatorSession,
        settings: &MediatorPingConfig,
        index: u64,
        arrivals: A,
    ) -> Self {
        let next_change = settings
            .sleep
            .sleeps(index)
            .then(|| Instant::now() + settings.sleep.online.draw(&mut rand::thread_rng()));
        Self {
            holder,
            session,
            arrivals,
            pickup: settings.pickup,
            pickup_interval: settings.pickup_interval,
            sleep: settings.sleep,
            backoff: Backoff::default(),
            drop_counted: false,
            next_change,
            away: None,
            last_pickup: None,
        }
    }

    pub(crate) fn holder(&self) -> &Holder {
        &self.holder
    }

    pub(crate) fn session(&self) -> &MediatorSession {
        &self.session
    }

    pub(crate) fn arrivals(&self) -> &A {
        &self.arrivals
    }

    pub(crate) fn is_away(&self) -> bool {
        self.away.is_some()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.session.is_connected()
    }

    /// Goes away or wakes when that is due.
    pub(crate) async fn change_if_due(&mut self, ctx: &UserContext) {
        if self.next_change.is_some_and(|at| at <= Instant::now()) {
            self.change(ctx).await;
        }
    }

    /// Ok when the socket is open, reopening it if it was closed and the backoff allows; the
    /// error says why the holder cannot be reached now.
    pub(crate) async fn ensure_connected(&mut self, ctx: &UserContext) -> Result<(), String> {
        if self.session.is_connected() {
            return Ok(());
        }
        self.note_drop(ctx);
        if let Some(wait) = self.backoff.remaining() {
            return Err(format!(
                "not connected: next reconnect in {:.1}s",
                wait.as_secs_f64()
            ));
        }
        self.reconnect(ctx)
            .await
            .map_err(|e| format!("not connected: {e}"))
    }

    /// Hands whatever has arrived to the [`Arrivals`], without waiting.
    pub(crate) async fn take_arrivals(&self, ctx: &UserContext) {
        while let Some(message) = self.holder.inbox().next_unsolicited(Duration::ZERO).await {
            self.arrivals.arrived(&message, ctx);
        }
    }

    /// Waits up to `wait` for one message and hands it to the [`Arrivals`].
    pub(crate) async fn take_one(&self, wait: Duration, ctx: &UserContext) {
        if let Some(message) = self.holder.inbox().next_unsolicited(wait).await {
            self.arrivals.arrived(&message, ctx);
        }
    }

    /// Pickup 2.0 polling: one status/delivery round (a `pickup` sample) when the strategy
    /// polls and the interval has passed.
    pub(crate) async fn poll_pickup(&mut self, ctx: &UserContext) {
        let due = self
            .last_pickup
            .is_none_or(|last| last.elapsed() >= self.pickup_interval);
        if self.pickup == PickupStrategy::PickupV2 && due {
            self.last_pickup = Some(Instant::now());
            let _ = ctx
                .timed(DIDCOMM, "pickup", self.session.pickup_drain())
                .await;
            self.take_arrivals(ctx).await;
        }
    }

    /// Between tasks (seconds to minutes apart) the holder reads what arrives, goes away or
    /// wakes when due, and reopens a socket the mediator dropped at once, so it is reachable
    /// through the mediator again without waiting for its next task to notice. Returns only
    /// when dropped.
    pub(crate) async fn watch(&mut self, ctx: &UserContext) {
        loop {
            let event = {
                let due = async {
                    match self.next_change {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                if self.away.is_some() {
                    // A sleeping phone reads nothing.
                    due.await;
                    Event::Due
                } else {
                    tokio::select! {
                        _ = due => Event::Due,
                        _ = self.session.socket().wait_closed() => Event::Closed,
                        m = self.holder.inbox().next_unsolicited(FOREVER) => Event::Message(m),
                    }
                }
            };
            match event {
                Event::Due => Box::pin(self.change(ctx)).await,
                Event::Closed => {
                    self.note_drop(ctx);
                    // Boxed: the reconnect's future (a WebSocket handshake, then the drain) is
                    // several KB, and unboxed it would sit in every waiting holder's future,
                    // used or not (seen: 19.7 -> 27.9 KB per idle holder at 5,000).
                    Box::pin(self.reconnect_with_backoff(ctx)).await;
                }
                Event::Message(Some(message)) => self.arrivals.arrived(&message, ctx),
                Event::Message(None) => {}
            }
        }
    }

    /// Goes away or wakes, whichever is next, and draws when the change after it comes.
    async fn change(&mut self, ctx: &UserContext) {
        let sleep = self.sleep;
        let next = if self.away.is_some() {
            self.wake(ctx).await;
            sleep.online.draw(&mut rand::thread_rng())
        } else {
            self.go_away(ctx).await;
            sleep.offline.draw(&mut rand::thread_rng())
        };
        self.next_change = Some(Instant::now() + next);
    }

    /// Sleeps the way the settings say: closes, abandons or resets the socket.
    async fn go_away(&mut self, ctx: &UserContext) {
        let how = self.sleep.how;
        self.arrivals.going_away(how, ctx);
        match how {
            GoAway::Close => self.session.close().await,
            GoAway::Vanish => self.session.socket().vanish(),
            GoAway::Drop => self.session.socket().reset().await,
        }
        // The app's other connections go with it (see `Holder::drop_idle_connections`).
        self.holder.drop_idle_connections();
        // Our own going away is not a drop by the mediator.
        self.drop_counted = true;
        self.away = Some(how);
    }

    /// Back online: a new socket (retried with backoff until one opens), then what was queued
    /// picked up; the whole timed as `wake`. Does nothing when not away.
    pub(crate) async fn wake(&mut self, ctx: &UserContext) {
        if self.away.is_none() {
            return;
        }
        let started = Instant::now();
        loop {
            if let Some(wait) = self.backoff.remaining() {
                tokio::time::sleep(wait).await;
            }
            if self.reopen(ctx).await.is_ok() {
                break;
            }
        }
        self.away = None;
        self.arrivals.back(ctx);
        let picked = self.pick_up(ctx).await;
        ctx.record(
            DIDCOMM,
            "wake",
            started.elapsed(),
            picked.map_err(|e| e.to_string()),
        );
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

    /// One attempt to reopen the socket, then (when it opened) what was queued picked up.
    pub(crate) async fn reconnect(&mut self, ctx: &UserContext) -> Result<(), HolderError> {
        self.reopen(ctx).await?;
        if let Err(e) = self.pick_up(ctx).await {
            tracing::debug!(error = %e, "could not ask the mediator for queued messages");
        }
        Ok(())
    }

    /// One attempt to reopen the socket (a `socket_open` sample); a failure pushes the next
    /// attempt back.
    async fn reopen(&mut self, ctx: &UserContext) -> Result<(), HolderError> {
        match ctx
            .timed(DIDCOMM, "socket_open", self.session.reconnect())
            .await
        {
            Err(e) => {
                self.backoff.failed();
                Err(e)
            }
            Ok(()) => {
                self.backoff.reset();
                self.drop_counted = false;
                Ok(())
            }
        }
    }

    /// Makes the mediator hand over what it holds for us, by the pickup strategy, and hands
    /// each message to the [`Arrivals`].
    pub(crate) async fn pick_up(&mut self, ctx: &UserContext) -> Result<(), HolderError> {
        let result = match self.pickup {
            PickupStrategy::Implicit => self.drain_implicitly(ctx).await,
            PickupStrategy::PickupV2Live => match self.drain_implicitly(ctx).await {
                Ok(()) => self.session.pickup_live().await,
                Err(e) => Err(e),
            },
            PickupStrategy::PickupV2 => {
                self.last_pickup = Some(Instant::now());
                let ask = self.pickup.ask_for_held(&self.session);
                ctx.timed(DIDCOMM, "pickup", ask).await
            }
        };
        self.take_arrivals(ctx).await;
        result
    }

    /// ACA-Py hands over one queued message per return-route message that needs no reply: ask
    /// again after each one that arrives, until the mediator has nothing more.
    async fn drain_implicitly(&self, ctx: &UserContext) -> Result<(), HolderError> {
        for _ in 0..MAX_DRAIN_ROUNDS {
            self.pickup.ask_for_held(&self.session).await?;
            match self.holder.inbox().next_unsolicited(DRAIN_QUIET).await {
                Some(message) => self.arrivals.arrived(&message, ctx),
                None => break,
            }
        }
        Ok(())
    }

    /// Counts a closed socket as `connection_lost`, once per drop however often it is seen.
    fn note_drop(&mut self, ctx: &UserContext) {
        if self.drop_counted {
            return;
        }
        self.drop_counted = true;
        let cause = match self.session.socket().close_cause() {
            Some(said) => format!("WebSocket closed by the mediator ({said})"),
            None => "WebSocket closed by the mediator".to_owned(),
        };
        ctx.record(DIDCOMM, "connection_lost", Duration::ZERO, Err(cause));
    }

    /// Closes the socket for good (the end of the run).
    pub(crate) async fn close(self) {
        self.session.close().await;
    }
}

/// Reconnect backoff: 0.5 s doubling to 10 s, with ±20 % jitter so that thousands of holders
/// dropped at once by a mediator restart do not all come back in the same instant.
#[derive(Default)]
pub(crate) struct Backoff {
    failures: u32,
    next_attempt: Option<std::time::Instant>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    // Short enough that holders are back within seconds of the mediator.
    const MAX: Duration = Duration::from_secs(10);

    /// How long until the next attempt is allowed, if any.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.next_attempt
            .map(|at| at.saturating_duration_since(std::time::Instant::now()))
            .filter(|d| !d.is_zero())
    }

    pub(crate) fn failed(&mut self) {
        let base = Self::FIRST
            .saturating_mul(1u32 << self.failures.min(6))
            .min(Self::MAX);
        let jitter = rand::random::<f64>() * 0.4 + 0.8;
        self.failures += 1;
        self.next_attempt = Some(std::time::Instant::now() + base.mul_f64(jitter));
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
