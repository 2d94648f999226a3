//! `mediator-relay`: mediated holders message each other through the mediator, as wallets do,
//! and every message is accounted for (the `delivery` crate).
//!
//! Each user is one holder, onboarded as in `mediator-ping`. Once onboarded it puts its card in
//! the shared directory: the key it registered with the mediator, the mediator's routing keys and
//! endpoint — what a peer would learn from its DID document after a DID exchange, exchanged here
//! inside akrida so the mediator sees only forwards. Its task `relay_send` picks a peer
//! (`Pairing`), packs a basic message for the peer's key (authcrypt from its own), wraps it in
//! a `forward` for the peer's routing keys and POSTs it to the peer's mediator endpoint (or sends
//! it down its own socket). Between sends it reads what arrives and hands each receipt to the
//! ledger. A share of holders sleeps (`Sleep`). When the run stops, every holder wakes and drains
//! its queue (bounded by the drain time); only then does `finish` give the ledger's verdict.

mod pairing;
mod user;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use delivery::{Ledger, MessageId, PendingSend, RecipientState};
use didcomm::keys::SealKey;
use didcomm::VerKey;
use engine::{BoxFuture, Phases, Scenario, Stats, User};

use crate::mediated::MediatorPingConfig;
use crate::onboarding::ONBOARDING;

pub use crate::sleep::{GoAway, Sleep, Spread};
pub use pairing::Pairing;

/// How a sender hands its forward to the mediator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RelayVia {
    /// An HTTP POST to the recipient's mediator endpoint, as an agent without a socket does.
    #[default]
    Http,
    /// Down the sender's own WebSocket to its mediator (the same mediator: loopback testbeds).
    Socket,
}

impl std::str::FromStr for RelayVia {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "http" => Ok(Self::Http),
            "socket" | "ws" => Ok(Self::Socket),
            _ => Err(format!(
                "{text:?} is not a way to send (use http or socket)"
            )),
        }
    }
}

impl std::fmt::Display for RelayVia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Http => "http",
            Self::Socket => "socket",
        })
    }
}

pub struct MediatorRelayConfig {
    /// Onboarding and pickup, as for `mediator-ping`.
    pub holders: MediatorPingConfig,
    pub pairing: Pairing,
    /// Bytes of content in each basic message (the id, then padding).
    pub message_size: usize,
    pub via: RelayVia,
    /// Receipts later than this after the send are counted late.
    pub delivery_timeout: Duration,
    /// How long the drain at the end may take, per holder (all drain at once).
    pub drain: Duration,
    /// POST forwards here instead of the endpoint the mediator granted (an ingress, a proxy).
    pub endpoint_override: Option<String>,
}

pub struct MediatorRelay {
    config: Arc<MediatorRelayConfig>,
    shared: Arc<Shared>,
}

impl MediatorRelay {
    pub fn new(config: MediatorRelayConfig) -> Self {
        let shared = Arc::new(Shared {
            ledger: Mutex::new(Ledger::new(config.delivery_timeout)),
            directory: RwLock::new(Directory::default()),
            asleep: AtomicU64::new(0),
        });
        Self {
            config: Arc::new(config),
            shared,
        }
    }
}

/// Samples and counters this scenario records, besides onboarding's.
pub mod samples {
    /// The send of one message (pack, forward, POST or socket write).
    pub const SEND: &str = "relay_send";
    /// Send → first receipt of one message (the ledger's latency, also as a sample).
    pub const DELIVERY: &str = "relay_delivery";
    /// A sleeping holder's return: reconnect and pick up what was queued.
    pub const WAKE: &str = "wake";
    /// The drain at the end (wake if asleep, then pick up until nothing is missing or time's up).
    pub const DRAIN: &str = "drain";
}

impl Scenario for MediatorRelay {
    fn name(&self) -> &str {
        "mediator-relay"
    }

    fn phases(&self) -> Option<Phases> {
        Some(ONBOARDING)
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![(samples::SEND, 1)]
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(user::RelayUser::new(
            self.config.clone(),
            self.shared.clone(),
            index,
        ))
    }

    fn stop_time(&self) -> Option<Duration> {
        // Waking (a socket and a first pickup, each bounded by the timeout), then the drain.
        Some(self.config.drain + self.config.holders.holder.timeout * 2 + Duration::from_secs(2))
    }

    fn finish<'a>(&'a self, stats: &'a Stats) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let report = self.shared.lock_ledger().finish();
            stats.set_delivery(report);
        })
    }

    fn delivery_sent(&self) -> Option<u64> {
        Some(self.shared.lock_ledger().sent_count())
    }

    fn delivery_of(&self, ids: std::ops::Range<u64>) -> Option<delivery::DeliveryReport> {
        Some(self.shared.lock_ledger().report_of(ids))
    }
}

/// What the holders of a run share: the ledger, and the directory of peers' cards.
pub(crate) struct Shared {
    ledger: Mutex<Ledger>,
    directory: RwLock<Directory>,
    /// Holders away right now, for the report's chart.
    asleep: AtomicU64,
}

impl Shared {
    pub(crate) fn lock_ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The send of `id` has begun; the guard marks it failed unless settled as done.
    pub(crate) fn pending_send(&self, id: MessageId) -> PendingSend<'_> {
        PendingSend::new(&self.ledger, id)
    }

    fn publish_card(&self, index: u64, card: Arc<Card>) {
        let mut directory = self.directory.write().unwrap_or_else(|e| e.into_inner());
        if directory.cards.insert(index, card).is_none() {
            directory.ready.push(index);
        }
    }

    /// A stopping holder takes its card back, so nobody sends it more while it drains and goes:
    /// when a capacity search lowers the load, the holders it stops have left, and a message to
    /// one of them would be counted lost (the mediator queues it for a holder that never
    /// comes back).
    fn withdraw_card(&self, index: u64) {
        let mut directory = self.directory.write().unwrap_or_else(|e| e.into_inner());
        if directory.cards.remove(&index).is_some() {
            directory.ready.retain(|&i| i != index);
        }
    }

    /// Picks a recipient for `sender` and gives its card.
    fn choose_peer(&self, pairing: Pairing, sender: u64) -> Option<(u64, Arc<Card>)> {
        let directory = self.directory.read().unwrap_or_else(|e| e.into_inner());
        let to = pairing.choose(sender, &directory.ready, &mut rand::thread_rng())?;
        directory.cards.get(&to).map(|card| (to, card.clone()))
    }

    /// Notes one more (or one fewer) holder away, for the chart.
    fn away_changed(&self, at: Duration, delta: i64) {
        let now = if delta >= 0 {
            self.asleep.fetch_add(delta as u64, Ordering::Relaxed) + delta as u64
        } else {
            let d = delta.unsigned_abs();
            self.asleep
                .fetch_sub(d, Ordering::Relaxed)
                .saturating_sub(d)
        };
        self.lock_ledger().asleep(at, now);
    }
}

#[derive(Default)]
struct Directory {
    cards: HashMap<u64, Arc<Card>>,
    /// Indices of the holders with a card, for picking peers.
    ready: Vec<u64>,
}

/// What a peer knows of a holder: how to reach it through its mediator, and (kept up to date by
/// the holder itself) whether it is online, so the ledger knows the state at send time.
pub(crate) struct Card {
    key: VerKey,
    /// The routing keys of its mediation grant, prepared once for the forwards of every sender.
    routing: Vec<SealKey>,
    endpoint: String,
    state: AtomicU8,
}

impl Card {
    fn state(&self) -> RecipientState {
        match self.state.load(Ordering::Relaxed) {
            1 => RecipientState::Asleep,
            2 => RecipientState::Vanished,
            _ => RecipientState::Online,
        }
    }

    fn set_state(&self, state: RecipientState) {
        let code = match state {
            RecipientState::Online => 0,
            RecipientState::Asleep => 1,
            RecipientState::Vanished => 2,
        };
        self.state.store(code, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(seed: u8) -> Arc<Card> {
        Arc::new(Card {
            key: didcomm::KeyPair::from_seed(&[seed; 32]).verkey(),
            routing: Vec::new(),
            endpoint: "http://127.0.0.1:9".into(),
            state: AtomicU8::new(0),
        })
    }

    #[test]
    fn a_withdrawn_card_is_never_chosen() {
        let shared = Shared {
            ledger: Mutex::new(Ledger::new(Duration::from_secs(5))),
            directory: RwLock::new(Directory::default()),
            asleep: AtomicU64::new(0),
        };
        for index in 0..3 {
            shared.publish_card(index, card(index as u8 + 1));
        }
        shared.withdraw_card(1);
        for _ in 0..100 {
            let (to, _) = shared.choose_peer(Pairing::Random, 0).expect("a peer");
            assert_eq!(to, 2);
        }
        shared.withdraw_card(2);
        assert!(shared.choose_peer(Pairing::Random, 0).is_none());
    }
}
