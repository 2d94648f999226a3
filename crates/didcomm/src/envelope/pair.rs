//! The pair key: the static half of authcrypt between one of our keys and one peer key (the
//! X25519 conversion of the peer's key and the crypto_box key of the pair), computed once per
//! pair, and the cache [`super::unpack_cached`] keeps them in.
//!
//! Below `pack` and `unpack`, which both use it: it must not depend on them.

use crypto_box::SalsaBox;
use rand::rngs::OsRng;

use super::*;
use crate::b64;
use crate::keys::{KeyPair, SealKey, VerKey};

/// The static half of authcrypt between one of our keys and one peer key: the peer's X25519
/// form and the crypto_box key of the pair (a Diffie-Hellman). Every authcrypt message of the
/// pair needs it, in both directions; computing it once per pair instead of once per message
/// saves a conversion and a Diffie-Hellman on each side of a round trip
/// (`examples/envelope_cost.rs` prints the figures).
///
/// Packing also reuses the pair's sealed `sender` field (our verkey sealed to theirs) instead of
/// sealing it afresh for each message, which saves an ephemeral key and a Diffie-Hellman per
/// message. The recipient opens it exactly as before. It tells an observer nothing new: the
/// `kid` next to it is already in clear and names a pairwise key that only this sender writes
/// to, so "same sender as last time" is known either way.
///
/// On the receiving side the pair remembers the sealed `sender` its peer last wrote. An envelope
/// carrying the same bytes names the same sender (opening a sealed box is deterministic), so
/// [`super::unpack_cached`] finds the pair by them and skips the unseal, a Diffie-Hellman per
/// message. The content key must still open with the pair's key, so the shortcut authenticates
/// exactly as the full path does.
#[derive(Clone)]
pub struct PairKey {
    pub(super) ours: VerKey,
    /// The peer's key with its X25519 form and base58 text, as encrypting to it needs them.
    pub(super) theirs: SealKey,
    // Shared, not copied: the cipher state is not `Clone`, and caches hand out copies.
    pub(super) shared: std::sync::Arc<SalsaBox>,
    /// Filled by the first pack: a pair only ever unpacked never pays for the seal.
    header: std::sync::Arc<std::sync::OnceLock<PairHeader>>,
    /// The sealed `sender` field of the last envelope the peer sent us on this pair.
    sealed_by_them: Option<std::sync::Arc<[u8]>>,
}

/// The per-pair part of an authcrypt recipient header, in its wire form (the `kid` is the
/// peer's [`SealKey::base58`]).
pub(super) struct PairHeader {
    pub(super) sealed_sender: String,
}

impl PairKey {
    pub fn new(ours: &KeyPair, theirs: &VerKey) -> Self {
        let theirs = SealKey::new(theirs);
        let shared = std::sync::Arc::new(SalsaBox::new(theirs.x25519(), &ours.to_x25519()));
        Self {
            ours: ours.verkey(),
            theirs,
            shared,
            header: Default::default(),
            sealed_by_them: None,
        }
    }

    /// The pair, remembering `sealed` as the sealed `sender` its peer writes.
    pub(super) fn with_sealed_by_them(mut self, sealed: &[u8]) -> Self {
        if self.sealed_by_them.as_deref() != Some(sealed) {
            self.sealed_by_them = Some(sealed.into());
        }
        self
    }

    /// The sealed `sender` of the last envelope the peer sent us on this pair, if any: what a
    /// [`PairCache::get_sealed`] matches on.
    pub fn sealed_by_them(&self) -> Option<&[u8]> {
        self.sealed_by_them.as_deref()
    }

    pub(super) fn header(&self) -> Result<&PairHeader, EnvelopeError> {
        if let Some(header) = self.header.get() {
            return Ok(header);
        }
        let sealed = self
            .theirs
            .x25519()
            .seal(&mut OsRng, self.ours.to_base58().as_bytes())
            .map_err(|_| EnvelopeError::Encrypt("sealing the sender verkey"))?;
        Ok(self.header.get_or_init(|| PairHeader {
            sealed_sender: b64::encode_url(sealed),
        }))
    }

    pub fn ours(&self) -> VerKey {
        self.ours
    }

    pub fn theirs(&self) -> VerKey {
        self.theirs.verkey()
    }
}

impl std::fmt::Debug for PairKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The shared key is a secret.
        write!(f, "PairKey({} -> {})", self.ours, self.theirs.base58())
    }
}

/// Where [`unpack_cached`] keeps the pair keys of the senders it meets.
pub trait PairCache {
    fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey>;
    fn put(&self, pair: PairKey);
    /// The pair of `ours` whose peer last wrote exactly `sealed` as its sealed `sender`
    /// ([`PairKey::sealed_by_them`]). A cache that keeps no such record finds none, and every
    /// envelope is unsealed.
    fn get_sealed(&self, _ours: &VerKey, _sealed: &[u8]) -> Option<PairKey> {
        None
    }
}

/// A cache that keeps nothing: [`unpack`] as it always was.
pub struct NoPairCache;

impl PairCache for NoPairCache {
    fn get(&self, _: &VerKey, _: &VerKey) -> Option<PairKey> {
        None
    }
    fn put(&self, _: PairKey) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::unpack_cached;
    use serde_json::Value;

    /// Remembers every pair put, and counts the hits (by keys, and by sealed sender).
    #[derive(Default)]
    struct Remember {
        pairs: std::sync::Mutex<Vec<PairKey>>,
        hits: std::sync::atomic::AtomicUsize,
        sealed_hits: std::sync::atomic::AtomicUsize,
    }

    impl PairCache for Remember {
        fn get(&self, ours: &VerKey, theirs: &VerKey) -> Option<PairKey> {
            let found = self
                .pairs
                .lock()
                .unwrap()
                .iter()
                .find(|p| p.ours == *ours && p.theirs() == *theirs)
                .cloned();
            if found.is_some() {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            found
        }
        fn get_sealed(&self, ours: &VerKey, sealed: &[u8]) -> Option<PairKey> {
            let found = self
                .pairs
                .lock()
                .unwrap()
                .iter()
                .find(|p| p.ours == *ours && p.sealed_by_them() == Some(sealed))
                .cloned();
            if found.is_some() {
                self.sealed_hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            found
        }
        fn put(&self, pair: PairKey) {
            let mut pairs = self.pairs.lock().unwrap();
            pairs.retain(|p| !(p.ours == pair.ours && p.theirs() == pair.theirs()));
            pairs.push(pair);
        }
    }

    #[test]
    fn pair_keys_make_the_same_envelopes_as_fresh_keys() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let pair = PairKey::new(&alice, &bob.verkey());
        let find_bob = |kid: &VerKey| (*kid == bob.verkey()).then(|| bob.clone());
        let cache = Remember::default();
        for i in 0..3 {
            let message = format!("message {i}");
            let envelope = pack_for_pair(message.as_bytes(), &alice, &pair).unwrap();
            // Readable without any cache (as a peer reads it) and with one.
            let plain = unpack(&envelope, find_bob).unwrap();
            let cached = unpack_cached(&envelope, find_bob, &cache).unwrap();
            assert_eq!(plain.message, message.as_bytes());
            assert_eq!(cached.message, message.as_bytes());
            assert_eq!(cached.sender, Some(alice.verkey()));
        }
        assert_eq!(
            cache.sealed_hits.load(std::sync::atomic::Ordering::Relaxed),
            2,
            "the first message computes the pair, the next ones find it by their sealed sender"
        );
        assert_eq!(
            cache.hits.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "found by the sealed sender, the pair is not looked up again by keys"
        );
        // The sealed sender is made once per pair; the content key, its box nonce and the
        // content nonce are fresh per message.
        let headers = |envelope: &[u8]| {
            let outer: Value = serde_json::from_slice(envelope).unwrap();
            let protected = b64::decode_any(outer["protected"].as_str().unwrap()).unwrap();
            let inner: Value = serde_json::from_slice(&protected).unwrap();
            (inner["recipients"][0].clone(), outer["iv"].clone())
        };
        let (first, first_iv) = headers(&pack_for_pair(b"a", &alice, &pair).unwrap());
        let (second, second_iv) = headers(&pack_for_pair(b"b", &alice, &pair).unwrap());
        assert_eq!(first["header"]["sender"], second["header"]["sender"]);
        assert_ne!(first["header"]["iv"], second["header"]["iv"]);
        assert_ne!(first["encrypted_key"], second["encrypted_key"]);
        assert_ne!(first_iv, second_iv);
        let carol = KeyPair::generate();
        assert!(
            pack_for_pair(b"x", &carol, &pair).is_err(),
            "another sender's pair"
        );
    }

    #[test]
    fn a_sealed_sender_copied_into_another_senders_envelope_opens_nothing() {
        // Carol copies Alice's sealed sender into her own envelope to Bob. Bob's cache knows
        // those bytes as Alice's, so the content key must open with the (Bob, Alice) pair key,
        // and Carol's does not: refused, as the full path refuses it.
        let (alice, bob, carol) = (
            KeyPair::generate(),
            KeyPair::generate(),
            KeyPair::generate(),
        );
        let find_bob = |kid: &VerKey| (*kid == bob.verkey()).then(|| bob.clone());
        let cache = Remember::default();
        let from_alice =
            pack_for_pair(b"hi", &alice, &PairKey::new(&alice, &bob.verkey())).unwrap();
        unpack_cached(&from_alice, find_bob, &cache).unwrap();
        let header = |envelope: &[u8]| -> Value {
            let outer: Value = serde_json::from_slice(envelope).unwrap();
            serde_json::from_slice(&b64::decode_any(outer["protected"].as_str().unwrap()).unwrap())
                .unwrap()
        };
        let alices_seal = header(&from_alice)["recipients"][0]["header"]["sender"].clone();
        let from_carol =
            pack_for_pair(b"evil", &carol, &PairKey::new(&carol, &bob.verkey())).unwrap();
        let mut outer: Value = serde_json::from_slice(&from_carol).unwrap();
        let mut protected = header(&from_carol);
        protected["recipients"][0]["header"]["sender"] = alices_seal;
        outer["protected"] =
            Value::String(b64::encode_url(serde_json::to_vec(&protected).unwrap()));
        let forged = serde_json::to_vec(&outer).unwrap();
        assert_eq!(
            unpack_cached(&forged, find_bob, &cache).unwrap_err(),
            EnvelopeError::CekNotDecryptable {
                kid: bob.verkey().to_base58()
            }
        );
        assert!(unpack(&forged, find_bob).is_err(), "and without the cache");
        assert_eq!(
            cache.sealed_hits.load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    #[test]
    fn a_tampered_envelope_is_refused_with_a_cached_pair() {
        let alice = KeyPair::generate();
        let bob = KeyPair::generate();
        let find_bob = |kid: &VerKey| (*kid == bob.verkey()).then(|| bob.clone());
        let cache = Remember::default();
        let envelope = pack(b"first", &[bob.verkey()], Some(&alice)).unwrap();
        unpack_cached(&envelope, find_bob, &cache).unwrap();
        let mut value: Value = serde_json::from_slice(&envelope).unwrap();
        value["ciphertext"] = Value::String(b64::encode_url(b"tampered!"));
        let tampered = serde_json::to_vec(&value).unwrap();
        assert!(unpack_cached(&tampered, find_bob, &cache).is_err());
    }
}
