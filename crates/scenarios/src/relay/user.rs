//! One relay holder: onboards, sends to its peers, reads what arrives, sleeps and wakes (its
//! [`MediatedSocket`]), and drains at the end.

use std::sync::atomic::AtomicU8;
use std::sync::Arc;
use std::time::Duration;

use delivery::{MessageId, Receipt, RecipientState};
use didcomm::envelope::PairCache;
use didcomm::keys::SealKey;
use didcomm::message::{new_message, types, Message};
use didcomm::{KeyPair, PairKey};
use engine::{BoxFuture, User, UserContext};
use holder::Holder;
use serde_json::json;
use tokio::time::Instant;

use super::{samples, Card, GoAway, MediatorRelayConfig, RelayVia, Shared};
use crate::mediated::{Arrivals, MediatedSocket, DRAIN_QUIET};
use crate::onboarding::onboard_with_key;
use crate::DIDCOMM;

pub(super) struct RelayUser {
    config: Arc<MediatorRelayConfig>,
    shared: Arc<Shared>,
    index: u64,
    socket: Option<MediatedSocket<Receipts>>,
    /// Our key with the mediator: what peers encrypt for, and what we sign (authcrypt) with.
    key: Option<KeyPair>,
}

/// What this holder's socket reports to the run: each message received goes to the ledger,
/// and our card says whether we are online, for the ledger to know the state at send time.
pub(super) struct Receipts {
    shared: Arc<Shared>,
    index: u64,
    card: Arc<Card>,
}

impl Arrivals for Receipts {
    /// One message received: a basic message carrying one of our ids goes to the ledger.
    fn arrived(&self, message: &Message, ctx: &UserContext) {
        let id = holder::basic_message::is_basic_message(message)
            .then(|| holder::basic_message::content(message))
            .flatten()
            .and_then(MessageId::find_in);
        let Some(id) = id else {
            ctx.count("messages_received", 1);
            return;
        };
        let receipt = self.shared.lock_ledger().receive(self.index, id, now(ctx));
        match receipt {
            Receipt::Delivered { latency, .. } => {
                ctx.record(DIDCOMM, samples::DELIVERY, latency, Ok(()));
            }
            Receipt::Duplicate => ctx.count("relay_duplicates", 1),
            Receipt::Unknown => ctx.count("relay_unknown_ids", 1),
        }
    }

    fn going_away(&self, how: GoAway, ctx: &UserContext) {
        self.card.set_state(match how {
            GoAway::Vanish => RecipientState::Vanished,
            GoAway::Close | GoAway::Drop => RecipientState::Asleep,
        });
        self.shared.away_changed(now(ctx), 1);
    }

    fn back(&self, ctx: &UserContext) {
        self.card.set_state(RecipientState::Online);
        self.shared.away_changed(now(ctx), -1);
    }
}

/// The run's clock, as the ledger keeps time.
fn now(ctx: &UserContext) -> Duration {
    ctx.stats().clock().elapsed()
}

impl RelayUser {
    pub(super) fn new(config: Arc<MediatorRelayConfig>, shared: Arc<Shared>, index: u64) -> Self {
        Self {
            config,
            shared,
            index,
            socket: None,
            key: None,
        }
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
                routing: grant.routing_keys.iter().map(SealKey::new).collect(),
                endpoint: self
                    .config
                    .endpoint_override
                    .clone()
                    .unwrap_or(grant.endpoint),
                state: AtomicU8::new(0),
            });
            self.shared.publish_card(self.index, card.clone());
            let receipts = Receipts {
                shared: self.shared.clone(),
                index: self.index,
                card,
            };
            self.key = Some(pair);
            self.socket = Some(MediatedSocket::new(
                holder, session, settings, self.index, receipts,
            ));
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(socket) = self.socket.as_mut() else {
                return;
            };
            socket.change_if_due(ctx).await;
            if socket.is_away() {
                // A sleeping phone sends nothing.
                return;
            }
            if socket.ensure_connected(ctx).await.is_err() {
                return;
            }
            socket.take_arrivals(ctx).await;
            self.send_one(ctx).await;
            if let Some(socket) = self.socket.as_mut() {
                socket.poll_pickup(ctx).await;
            }
        })
    }

    /// Between sends the holder reads what arrives, sleeps and wakes (see
    /// [`MediatedSocket::watch`]).
    fn while_waiting<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(socket) = self.socket.as_mut() {
                socket.watch(ctx).await;
            }
        })
    }

    fn on_stop<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.shared.withdraw_card(self.index);
            let Some(mut socket) = self.socket.take() else {
                return;
            };
            let started = Instant::now();
            let drained = Box::pin(drain_at_end(&mut socket, self.config.drain, ctx)).await;
            ctx.record(DIDCOMM, samples::DRAIN, started.elapsed(), drained);
            let overflow = socket.holder().inbox().counts().dropped_unsolicited;
            if overflow > 0 {
                // Messages our own inbox had no room for: they count as lost, and say so.
                ctx.count("relay_inbox_overflow", overflow);
            }
            socket.close().await;
        })
    }
}

impl RelayUser {
    /// One message to a peer chosen by the pairing.
    async fn send_one(&self, ctx: &UserContext) {
        let (Some(socket), Some(key)) = (&self.socket, &self.key) else {
            return;
        };
        let Some((to, card)) = self.shared.choose_peer(self.config.pairing, self.index) else {
            ctx.count("relay_no_peer_yet", 1);
            return;
        };
        let sent = self
            .shared
            .lock_ledger()
            .send(self.index, to, card.state(), now(ctx));
        // If this future is dropped mid-send (the run stopping), the message may or may not
        // have left: the guard tells the ledger so.
        let guard = self.shared.pending_send(sent.id);
        let keys = socket.holder().inbox().keys();
        let envelope = match envelope_for(&card, key, keys, sent.id, self.config.message_size) {
            Ok(envelope) => envelope,
            Err(e) => {
                ctx.record(DIDCOMM, samples::SEND, Duration::ZERO, Err(e.to_string()));
                return; // the guard marks it failed
            }
        };
        let holder = socket.holder();
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
                let send = socket.session().socket().send(envelope);
                ctx.timed(DIDCOMM, samples::SEND, send).await
            }
        };
        guard.settle(outcome.is_ok());
    }
}

/// The drain at the end: wake if away, then pick up until the mediator hands over nothing more
/// and the ledger misses nothing for us, or the drain time is over. What is still missing then
/// is lost.
///
/// Each round asks the mediator before looking at the ledger, even when nothing is missing: a
/// second copy of a message already received may still sit in its queue (ACA-Py queues one of
/// two forwards that arrive back to back for the same socket), and it is a duplicate to count.
async fn drain_at_end(
    socket: &mut MediatedSocket<Receipts>,
    drain: Duration,
    ctx: &UserContext,
) -> Result<(), String> {
    let deadline = Instant::now() + drain;
    if socket.is_away() {
        socket.wake(ctx).await;
    } else if !socket.is_connected() {
        socket.reconnect(ctx).await.map_err(|e| e.to_string())?;
    }
    let (shared, index) = (socket.arrivals().shared.clone(), socket.arrivals().index);
    loop {
        // `pick_up` hands what arrives to the ledger; a timeout leaves the rest for the check.
        let _ = tokio::time::timeout_at(deadline, socket.pick_up(ctx)).await;
        socket.take_arrivals(ctx).await;
        if shared.lock_ledger().outstanding_for(index) == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let missing = shared.lock_ledger().outstanding_for(index);
            return Err(format!(
                "{missing} messages still missing after the drain time"
            ));
        }
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(DRAIN_QUIET);
        socket.take_one(wait, ctx).await;
    }
}

/// The envelope for one message: a basic message whose content is the id and padding up to
/// `size` bytes, authcrypted from `sender` for the peer, in a forward for each routing key.
///
/// The authcrypt key agreement of (sender, peer) comes from the holder's own pair cache (`keys`,
/// the one its inbox opens envelopes with: the same pair key serves both directions), and goes
/// back into it: a holder writing to the same few contacts pays for it once per contact, as a
/// wallet that keeps its pairwise keys would. Each forward still gets a fresh ephemeral key, as
/// anoncrypt requires.
fn envelope_for(
    card: &Card,
    sender: &KeyPair,
    keys: &impl PairCache,
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
    let pair = keys
        .get(&sender.verkey(), &card.key)
        .unwrap_or_else(|| PairKey::new(sender, &card.key));
    let packed = didcomm::envelope::pack_for_pair(&plaintext, sender, &pair)?;
    keys.put(pair);
    didcomm::forward::wrap_for_hops(packed, &card.key.to_base58(), &card.routing)
}
