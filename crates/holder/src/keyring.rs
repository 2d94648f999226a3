//! The keys one holder owns. A holder has a handful (one per connection plus its routing key),
//! so a small vector beats a map in both memory and speed.
//!
//! It also keeps the crypto_box keys of the last few (our key, sender) pairs it opened envelopes
//! from, so the next message from the same peer costs one Diffie-Hellman less, and two less
//! when the peer writes the same sealed sender each time (as akrida's own holders do).

use std::sync::{Arc, RwLock};

use didcomm::envelope::PairCache;
use didcomm::{KeyPair, PairKey, VerKey};

/// Pair keys kept per holder: its mediator and the servers it talks to, a few bytes each.
const PAIRS_KEPT: usize = 4;

#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Arc<RwLock<Vec<KeyPair>>>,
    /// Most recently used last.
    pairs: Arc<RwLock<Vec<PairKey>>>,
}

impl PairCache for KeyRing {
    fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey> {
        self.pairs
            .read()
            .expect("keyring lock is never held across a panic")
            .iter()
            .find(|p| p.ours() == *ours && p.theirs() == *theirs)
            .cloned()
    }

    fn get_sealed(&self, ours: &VerKey, sealed: &[u8]) -> Option<PairKey> {
        self.pairs
            .read()
            .expect("keyring lock is never held across a panic")
            .iter()
            .find(|p| p.ours() == *ours && p.sealed_by_them() == Some(sealed))
            .cloned()
    }

    fn put(&self, pair: PairKey) {
        let mut pairs = self
            .pairs
            .write()
            .expect("keyring lock is never held across a panic");
        pairs.retain(|p| !(p.ours() == pair.ours() && p.theirs() == pair.theirs()));
        if pairs.len() >= PAIRS_KEPT {
            pairs.remove(0);
        }
        pairs.push(pair);
    }
}

impl KeyRing {
    pub fn add(&self, key: KeyPair) {
        self.keys
            .write()
            .expect("keyring lock is never held across a panic")
            .push(key);
    }

    pub fn find(&self, verkey: &VerKey) -> Option<KeyPair> {
        self.keys
            .read()
            .expect("keyring lock is never held across a panic")
            .iter()
            .find(|k| k.verkey() == *verkey)
            .cloned()
    }

    pub fn verkeys(&self) -> Vec<VerKey> {
        self.keys
            .read()
            .expect("keyring lock is never held across a panic")
            .iter()
            .map(KeyPair::verkey)
            .collect()
    }
}
