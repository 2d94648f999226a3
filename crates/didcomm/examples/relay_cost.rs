//! The DIDComm work of one relayed message, both ends, in akrida's own process: the sender packs
//! a basic message for its peer (authcrypt) and wraps it in a `forward` for the peer's mediator
//! routing key (anoncrypt); the recipient opens the envelope the mediator hands it. The
//! mediator's own unwrap is not akrida's work and is left out. Two cases: the pair's key
//! agreement already known to both ends (wallets writing to the same few contacts, `--relay-pairing
//! pairs`), and a pair met for the first time (`random` among many holders). Run in release:
//! `cargo run --release -p didcomm --example relay_cost`. The transport (a POST or a WebSocket
//! frame each way) and the runtime come on top: `scripts/bench-relay` measures the whole.

use std::sync::Mutex;
use std::time::Duration;

use didcomm::envelope::{pack_for_pair, unpack_cached, PairCache};
use didcomm::{KeyPair, PairKey, VerKey};

/// A pair cache of one slot, as a holder's key ring keeps its contacts' pairs.
struct OneSlot(Mutex<Option<PairKey>>);

impl PairCache for OneSlot {
    fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey> {
        let slot = self.0.lock().unwrap();
        slot.clone()
            .filter(|pair| pair.ours() == *ours && pair.theirs() == *theirs)
    }
    fn get_sealed(&self, ours: &VerKey, sealed: &[u8]) -> Option<PairKey> {
        let slot = self.0.lock().unwrap();
        slot.clone()
            .filter(|pair| pair.ours() == *ours && pair.sealed_by_them() == Some(sealed))
    }
    fn put(&self, pair: PairKey) {
        *self.0.lock().unwrap() = Some(pair);
    }
}

/// This thread's CPU time: other processes on a shared machine slow the loop down, but do not
/// add to it.
fn cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::try_from(now).expect("a thread's CPU time is never negative")
}

/// CPU time of one relayed message, sender and recipient together.
fn one_message(known_pair: bool, rounds: u32) -> Duration {
    let (sender, recipient) = (KeyPair::generate(), KeyPair::generate());
    // The mediator's routing key, prepared once as the scenario's holders do.
    let routing_key = didcomm::keys::SealKey::new(&KeyPair::generate().verkey());
    let to = recipient.verkey().to_base58();
    let basic_message = br#"{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"a3c9a2b8-5b1e-4f7e-9a51-1b8b1f3f2a10","content":"akrida-msg-1 ...................................................................................................","sent_time":"2026-12-06T13:00:00.000000Z"}"#;
    let sender_pair = PairKey::new(&sender, &recipient.verkey());
    let recipient_pairs = OneSlot(Mutex::new(None));
    let started = cpu_time();
    for _ in 0..rounds {
        // A first meeting computes the pair's key agreement (and its sealed sender) afresh.
        let pair = if known_pair {
            sender_pair.clone()
        } else {
            PairKey::new(&sender, &recipient.verkey())
        };
        let packed = pack_for_pair(basic_message, &sender, &pair).unwrap();
        let forward = didcomm::forward::wrap_for_hops(
            packed.clone(),
            &to,
            std::slice::from_ref(&routing_key),
        )
        .unwrap();
        std::hint::black_box(forward);
        if !known_pair {
            *recipient_pairs.0.lock().unwrap() = None;
        }
        let find = |kid: &VerKey| (*kid == recipient.verkey()).then(|| recipient.clone());
        std::hint::black_box(unpack_cached(&packed, find, &recipient_pairs).unwrap());
    }
    (cpu_time() - started) / rounds
}

fn main() {
    let rounds = 2_000;
    let known = one_message(true, rounds);
    let first = one_message(false, rounds);
    println!(
        "one relayed message, both ends (pack + forward + unpack), CPU: {:.1} µs with the pair \
         known, {:.1} µs for a pair met for the first time",
        known.as_secs_f64() * 1e6,
        first.as_secs_f64() * 1e6
    );
}
