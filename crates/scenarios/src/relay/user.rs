//! One relay holder: onboards, sends to its peers, reads what arrives, sleeps and wakes, and
//! drains at the end.

use std::sync::atomic::AtomicU8;
use std::sync::Arc;
use std::time::Duration;

use delivery::{MessageId, Receipt, RecipientState};
use didcomm::message::{new_message, types, Message};
use didcomm::KeyPair;
use engine::{BoxFuture, User, UserContext};
use holder::{Holder, HolderError, MediatorSession};
use serde_json::json;
use tokio::time::Instant;

use super::{samples, Card, GoAway, MediatorRelayConfig, RelayVia, Shared};
use crate::mediator_ping::{onboard_with_key, Backoff, DRAIN_QUIET, MAX_DRAIN_ROUNDS};
use crate::pickup::PickupStrategy;
use crate::DIDCOMM;

/// Long enough to mean "until something happens" for an inbox read inside a select.
const FOREVER: Duration = Duration::from_secs(86_400);

pub(super) struct RelayUser {
    config: Arc<MediatorRelayConfig>,
    shared: Arc<Shared>,
    index: u64,
    holder: Option<Holder>,
    session: Option<MediatorSession>,
    /// Our key with the mediator: what peers encrypt for, and what we sign (authcrypt) with.
    key: Option<KeyPair>,
    card: Option<Arc<Card>>,
    /// When this sleeper next goes away (online) or wakes (away); None for holders that never
    /// sleep.
    next_change: Option<Instant>,
    away: Option<GoAway>,
    backoff: Backoff,
    last_pickup: Option<Instant>,
}

/// What a wait between sends ended with.
enum Event {
    Due,
    Closed,
    Message(Option<Message>),
}

impl RelayUser {
    pub(super) fn new(config: Arc<MediatorRelayConfig>, shared: Arc<Shared>, index: u64) -> Self {
        Self {
            config,
            shared,
            index,
            holder: None,
            session: None,
            key: None,
            card: None,
            next_change: None,
            away: None,
            backoff: Backoff::default(),
            last_pickup: None,
        }
    }

    fn now(ctx: &UserContext) -> Duration {
        ctx.stats().clock().elapsed()
    }
}

impl User for RelayUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let settings = &self.config.holders;
            let mut holder_config = settings.holder.clone();
            holder_config.label = format!("{}-{}", holder_config.label, self.index);
            let holder = Holder::new(holder_config);
            let (session, key) = ctx
                .timed(
                    DIDCOMM,
                    "startup",
                    onboard_with_key(
                        &holder,
                        settings.invitations.for_user(self.index),
                        settings.pickup,
                        ctx,
                    ),
                )
                .await
                .map_err(|e| e.to_string())?;
            let pair = holder
                .inbox()
                .keys()
                .find(&key)
                .ok_or("the key just registered is not in the holder's key ring")?;
            let grant = session
                .grant()
                .ok_or("onboarded without a mediation grant")?
                .clone();
            let card = Arc::new(Card {
                key,
                routing_keys: grant.routing_keys,
                endpoint: self
                    .config
                    .endpoint_override
                    .clone()
                    .unwrap_or(grant.endpoint),
                state: AtomicU8::new(0),
            });
            self.shared.publish_card(self.index, card.clone());
            self.card = Some(card);
            self.key = Some(pair);
            self.holder = Some(holder);
            self.session = Some(session);
            if self.config.holders.sleep.sleeps(self.index) {
                let online = self
                    .config
                    .holders
                    .sleep
                    .online
                    .draw(&mut rand::thread_rng());
                self.next_change = Some(Instant::now() + online);
            }
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.change_due() {
                self.change(ctx).await;
            }
            if self.away.is_some() {
                // A sleeping phone sends nothing.
                return;
            }
            if !self.ensure_connected(ctx).await {
                return;
            }
            self.take_receipts(ctx).await;
            self.send_one(ctx).await;
            if self.config.holders.pickup == PickupStrategy::PickupV2 && self.pickup_due() {
                self.last_pickup = Some(Instant::now());
                if let Some(session) = self.session.as_ref() {
                    let _ = ctx.timed(DIDCOMM, "pickup", session.pickup_drain()).await;
                }
                self.take_receipts(ctx).await;
            }
        })
    }

    fn while_waiting<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            loop {
                let event = {
                    let (Some(session), Some(holder)) = (&self.session, &self.holder) else {
                        return;
                    };
                    let due = async {
                        match self.next_change {
                            Some(at) => tokio::time::sleep_until(at).await,
                            None => std::future::pending().await,
                        }
                    };
                    if self.away.is_some() {
                        due.await;
                        Event::Due
                    } else {
                        tokio::select! {
                            _ = due => Event::Due,
                            _ = session.socket().wait_closed() => Event::Closed,
                            m = holder.inbox().next_unsolicited(FOREVER) => Event::Message(m),
                        }
                    }
                };
                match event {
                    Event::Due => self.change(ctx).await,
                    Event::Closed => {
                        ctx.record(
                            DIDCOMM,
                            "connection_lost",
                            Duration::ZERO,
                            Err("WebSocket closed by the mediator".into()),
                        );
                        // Boxed: a handshake and a drain are several KB of future.
                        Box::pin(self.reconnect_with_backoff(ctx)).await;
                    }
                    Event::Message(Some(message)) => self.receipt(&message, ctx),
                    Event::Message(None) => {}
                }
            }
        })
    }

    fn on_stop<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.session.is_none() {
                return;
            }
            let started = Instant::now();
            let drained = Box::pin(self.drain_at_end(ctx)).await;
            ctx.record(DIDCOMM, samples::DRAIN, started.elapsed(), drained);
            if let Some(holder) = self.holder.as_ref() {
                let overflow = holder.inbox().counts().dropped_unsolicited;
                if overflow > 0 {
                    // Messages our own inbox had no room for: they count as lost, and say so.
                    ctx.count("relay_inbox_overflow", overflow);
                }
            }
            if let Some(session) = self.session.take() {
                session.close().await;
            }
        })
    }
}

impl RelayUser {
    /// One message to a peer chosen by the pairing.
    async fn send_one(&mut self, ctx: &UserContext) {
        let (Some(holder), Some(session), Some(key)) = (&self.holder, &self.session, &self.key)
        else {
            return;
        };
        let Some((to, card)) = self.shared.choose_peer(self.config.pairing, self.index) else {
            ctx.count("relay_no_peer_yet", 1);
            return;
        };
        let sent = self
            .shared
            .lock_ledger()
            .send(self.index, to, card.state(), Self::now(ctx));
        // If this future is dropped mid-send (the run stopping), the message may or may not
        // have left: the guard tells the ledger so.
        let guard = SendGuard {
            shared: &self.shared,
            id: sent.id,
            armed: true,
        };
        let envelope = match envelope_for(&card, key, sent.id, self.config.message_size) {
            Ok(envelope) => envelope,
            Err(e) => {
                ctx.record(DIDCOMM, samples::SEND, Duration::ZERO, Err(e.to_string()));
                return; // the guard marks it failed
            }
        };
        let outcome = match self.config.via {
            RelayVia::Http => {
                let send = holder::outbound::post_envelope(
                    holder.http(),
                    &card.endpoint,
                    envelope,
                    holder.inbox(),
                );
                ctx.timed(DIDCOMM, samples::SEND, send).await
            }
            RelayVia::Socket => {
                ctx.timed(DIDCOMM, samples::SEND, session.socket().send(envelope))
                    .await
            }
        };
        guard.settle(outcome.is_ok());
    }

    /// Hands whatever arrived to the ledger, without waiting.
    async fn take_receipts(&self, ctx: &UserContext) {
        let Some(holder) = self.holder.as_ref() else {
            return;
        };
        while let Some(message) = holder.inbox().next_unsolicited(Duration::ZERO).await {
            self.receipt(&message, ctx);
        }
    }

    /// One message received: a basic message carrying one of our ids goes to the ledger.
    fn receipt(&self, message: &Message, ctx: &UserContext) {
        let id = holder::basic_message::is_basic_message(message)
            .then(|| holder::basic_message::content(message))
            .flatten()
            .and_then(MessageId::find_in);
        let Some(id) = id else {
            ctx.count("messages_received", 1);
            return;
        };
        let receipt = self
            .shared
            .lock_ledger()
            .receive(self.index, id, Self::now(ctx));
        match receipt {
            Receipt::Delivered { latency, .. } => {
                ctx.record(DIDCOMM, samples::DELIVERY, latency, Ok(()));
            }
            Receipt::Duplicate => ctx.count("relay_duplicates", 1),
            Receipt::Unknown => ctx.count("relay_unknown_ids", 1),
        }
    }

    fn change_due(&self) -> bool {
        self.next_change.is_some_and(|at| at <= Instant::now())
    }

    /// Goes away or wakes, whichever is due, and draws when the next change comes.
    async fn change(&mut self, ctx: &UserContext) {
        let sleep = self.config.holders.sleep;
        if self.away.is_some() {
            self.wake(ctx).await;
            let online = sleep.online.draw(&mut rand::thread_rng());
            self.next_change = Some(Instant::now() + online);
        } else {
            self.go_away(sleep.how, ctx).await;
            let offline = sleep.offline.draw(&mut rand::thread_rng());
            self.next_change = Some(Instant::now() + offline);
        }
    }

    async fn go_away(&mut self, how: GoAway, ctx: &UserContext) {
        let (Some(session), Some(card)) = (&self.session, &self.card) else {
            return;
        };
        // The state changes before the socket does: a message sent from now on is to a holder
        // that is going, and counts as such.
        card.set_state(match how {
            GoAway::Vanish => RecipientState::Vanished,
            GoAway::Close | GoAway::Drop => RecipientState::Asleep,
        });
        match how {
            GoAway::Close => session.close().await,
            GoAway::Vanish => session.socket().vanish(),
            GoAway::Drop => session.socket().reset().await,
        }
        self.away = Some(how);
        self.shared.away_changed(Self::now(ctx), 1);
    }

    /// Back online: a new socket, then what was queued picked up; timed as `wake`.
    async fn wake(&mut self, ctx: &UserContext) {
        let started = Instant::now();
        loop {
            if let Some(wait) = self.backoff.remaining() {
                tokio::time::sleep(wait).await;
            }
            let Some(session) = self.session.as_mut() else {
                return;
            };
            match session.reconnect().await {
                Ok(()) => {
                    self.backoff.reset();
                    break;
                }
                Err(e) => {
                    self.backoff.failed();
                    ctx.record(
                        DIDCOMM,
                        samples::WAKE,
                        started.elapsed(),
                        Err(e.to_string()),
                    );
                }
            }
        }
        if let Some(card) = &self.card {
            card.set_state(RecipientState::Online);
        }
        self.away = None;
        self.shared.away_changed(Self::now(ctx), -1);
        let picked = self.pick_up(ctx).await;
        ctx.record(
            DIDCOMM,
            samples::WAKE,
            started.elapsed(),
            picked.map_err(|e| e.to_string()),
        );
    }

    /// Makes the mediator hand over what it holds for us, by the pickup strategy, and hands
    /// each message to the ledger.
    async fn pick_up(&mut self, ctx: &UserContext) -> Result<(), HolderError> {
        let result = match self.config.holders.pickup {
            PickupStrategy::Implicit => self.drain_implicitly(ctx).await,
            PickupStrategy::PickupV2Live => match self.drain_implicitly(ctx).await {
                Ok(()) => match self.session.as_ref() {
                    Some(session) => session.pickup_live().await,
                    None => Ok(()),
                },
                Err(e) => Err(e),
            },
            PickupStrategy::PickupV2 => {
                self.last_pickup = Some(Instant::now());
                match self.session.as_ref() {
                    Some(session) => session.pickup_drain().await.map(|_| ()),
                    None => Ok(()),
                }
            }
        };
        self.take_receipts(ctx).await;
        result
    }

    /// ACA-Py hands over one queued message per return-route message that needs no reply:
    /// announce again after each one that arrives, until the mediator has nothing more.
    async fn drain_implicitly(&self, ctx: &UserContext) -> Result<(), HolderError> {
        let (Some(session), Some(holder)) = (self.session.as_ref(), self.holder.as_ref()) else {
            return Ok(());
        };
        for _ in 0..MAX_DRAIN_ROUNDS {
            session.announce().await?;
            match holder.inbox().next_unsolicited(DRAIN_QUIET).await {
                Some(message) => self.receipt(&message, ctx),
                None => break,
            }
        }
        Ok(())
    }

    /// The drain at the end: wake if away, then pick up until the ledger misses nothing for us
    /// or the drain time is over. What is still missing then is lost.
    async fn drain_at_end(&mut self, ctx: &UserContext) -> Result<(), String> {
        let deadline = Instant::now() + self.config.drain;
        if self.away.is_some() {
            self.wake(ctx).await;
        } else if !self.session.as_ref().is_some_and(|s| s.is_connected()) {
            self.reconnect(ctx).await.map_err(|e| e.to_string())?;
        }
        loop {
            self.take_receipts(ctx).await;
            if self.shared.lock_ledger().outstanding_for(self.index) == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let missing = self.shared.lock_ledger().outstanding_for(self.index);
                return Err(format!(
                    "{missing} messages still missing after the drain time"
                ));
            }
            let _ = tokio::time::timeout_at(deadline, self.pick_up(ctx)).await;
            if let Some(holder) = self.holder.as_ref() {
                let wait = deadline
                    .saturating_duration_since(Instant::now())
                    .min(DRAIN_QUIET);
                if let Some(message) = holder.inbox().next_unsolicited(wait).await {
                    self.receipt(&message, ctx);
                }
            }
        }
    }

    /// True when the socket is open, reopening it (at most once per call) when the backoff
    /// allows.
    async fn ensure_connected(&mut self, ctx: &UserContext) -> bool {
        let Some(session) = self.session.as_ref() else {
            return false;
        };
        if session.is_connected() {
            return true;
        }
        if self.backoff.remaining().is_some() {
            return false;
        }
        self.reconnect(ctx).await.is_ok()
    }

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

    /// One attempt to reopen the socket (`socket_open`), then what was queued picked up.
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
                let _ = self.pick_up(ctx).await;
                Ok(())
            }
        }
    }

    fn pickup_due(&self) -> bool {
        self.last_pickup
            .is_none_or(|last| last.elapsed() >= self.config.holders.pickup_interval)
    }
}

/// The envelope for one message: a basic message whose content is the id and padding up to
/// `size` bytes, authcrypted from `sender` for the peer, in a forward for each routing key.
fn envelope_for(
    card: &Card,
    sender: &KeyPair,
    id: MessageId,
    size: usize,
) -> Result<Vec<u8>, didcomm::EnvelopeError> {
    let mut content = id.to_string();
    if content.len() < size {
        content.push(' ');
        content.extend(std::iter::repeat_n('.', size - content.len()));
    }
    let message = new_message(
        types::BASIC_MESSAGE,
        json!({"content": content, "sent_time": didcomm::time::now_rfc3339()}),
    );
    let plaintext = serde_json::to_vec(&message).expect("a serde_json::Value always serialises");
    let packed = didcomm::pack(&plaintext, &[card.key], Some(sender))?;
    didcomm::forward::wrap_for_routing(packed, &card.key, &card.routing_keys)
}

/// Marks a send as failed in the ledger unless it is settled as done.
struct SendGuard<'a> {
    shared: &'a Shared,
    id: MessageId,
    armed: bool,
}

impl SendGuard<'_> {
    fn settle(mut self, left: bool) {
        self.armed = !left;
    }
}

impl Drop for SendGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.lock_ledger().send_failed(self.id);
        }
    }
}
