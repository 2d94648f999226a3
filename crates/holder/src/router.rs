//! One inbound endpoint for many holders: envelopes are handed to the holder that owns one of
//! their recipient keys, read from the envelope's header without decrypting anything.
//!
//! owl-akrida gives every unmediated holder a port of its own; thousands of holders then need
//! thousands of ports (and hang when the range runs out). Here one listener serves them all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use didcomm::VerKey;

use crate::error::HolderError;
use crate::inbox::Inbox;

/// Where an inbound listener puts the envelopes it receives.
pub trait EnvelopeSink: Send + Sync + 'static {
    /// Takes one envelope; an error means the listener answers it with HTTP 400.
    fn deliver_envelope(&self, envelope: &[u8]) -> Result<(), HolderError>;
}

impl EnvelopeSink for Inbox {
    fn deliver_envelope(&self, envelope: &[u8]) -> Result<(), HolderError> {
        Inbox::deliver_envelope(self, envelope)
    }
}

/// Recipient key → the inbox of the holder that owns it. Holds inboxes weakly: a holder that is
/// gone simply stops receiving, even if it forgot to unregister.
#[derive(Default)]
pub struct InboundRouter {
    routes: Mutex<HashMap<VerKey, Weak<Inbox>>>,
    /// Envelopes for no registered key (a holder already stopped, or a misdirected message).
    unroutable: AtomicU64,
}

impl InboundRouter {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Envelopes for `key` go to `inbox` from now on.
    pub fn register(&self, key: VerKey, inbox: &Arc<Inbox>) {
        self.lock().insert(key, Arc::downgrade(inbox));
    }

    /// Forgets every key that routes to `inbox` (a holder that stops).
    pub fn unregister_inbox(&self, inbox: &Arc<Inbox>) {
        let target = Arc::downgrade(inbox);
        self.lock().retain(|_, routed| !routed.ptr_eq(&target));
    }

    /// Keys currently routed.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Envelopes that named no registered key.
    pub fn unroutable(&self) -> u64 {
        self.unroutable.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<VerKey, Weak<Inbox>>> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl EnvelopeSink for InboundRouter {
    fn deliver_envelope(&self, envelope: &[u8]) -> Result<(), HolderError> {
        let kids = didcomm::envelope::recipient_keys(envelope)?;
        let inbox = {
            let routes = self.lock();
            kids.iter()
                .find_map(|kid| routes.get(kid).and_then(Weak::upgrade))
        };
        match inbox {
            Some(inbox) => inbox.deliver_envelope(envelope),
            None => {
                self.unroutable.fetch_add(1, Ordering::Relaxed);
                Err(HolderError::Protocol(format!(
                    "no holder here owns any of the envelope's {} recipient key(s)",
                    kids.len()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::KeyRing;
    use didcomm::KeyPair;
    use std::time::Duration;

    fn holder_inbox() -> (Arc<Inbox>, KeyPair) {
        let key = KeyPair::generate();
        let keys = KeyRing::default();
        keys.add(key.clone());
        (Arc::new(Inbox::new(keys)), key)
    }

    fn basic_message(id: &str) -> Vec<u8> {
        format!(r#"{{"@type":"https://didcomm.org/basicmessage/1.0/message","@id":"{id}","content":"x"}}"#)
            .into_bytes()
    }

    #[tokio::test]
    async fn routes_each_envelope_to_the_owner_of_its_key() {
        let router = InboundRouter::new();
        let (alice, alice_key) = holder_inbox();
        let (bob, bob_key) = holder_inbox();
        router.register(alice_key.verkey(), &alice);
        router.register(bob_key.verkey(), &bob);

        let to_bob = didcomm::pack(&basic_message("b1"), &[bob_key.verkey()], None).unwrap();
        router.deliver_envelope(&to_bob).unwrap();
        let got = bob.next_unsolicited(Duration::from_secs(1)).await.unwrap();
        assert_eq!(got.id(), Some("b1"));
        assert!(alice.next_unsolicited(Duration::ZERO).await.is_none());

        router.unregister_inbox(&bob);
        assert_eq!(router.len(), 1);
        let err = router.deliver_envelope(&to_bob).unwrap_err();
        assert!(err.to_string().contains("no holder here owns"), "{err}");
        assert_eq!(router.unroutable(), 1);
    }

    #[test]
    fn a_dropped_holder_stops_receiving() {
        let router = InboundRouter::new();
        let (inbox, key) = holder_inbox();
        router.register(key.verkey(), &inbox);
        drop(inbox);
        let envelope = didcomm::pack(&basic_message("m"), &[key.verkey()], None).unwrap();
        assert!(router.deliver_envelope(&envelope).is_err());
        assert!(router.deliver_envelope(b"not an envelope").is_err());
    }
}
