//! The keys one holder owns. A holder has a handful (one per connection plus its routing key),
//! so a small vector beats a map in both memory and speed.

use std::sync::{Arc, RwLock};

use didcomm::{KeyPair, VerKey};

#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Arc<RwLock<Vec<KeyPair>>>,
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
