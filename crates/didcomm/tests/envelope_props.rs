//! Property tests: round trips hold for any input, and no input (random or a mutated valid
//! envelope) makes `unpack` panic or accept something that was altered.

use didcomm::envelope::{pack_with, recipient_keys, unpack, ContentEnc, EnvelopeError};
use didcomm::forward::{parse_forward, wrap_for_routing};
use didcomm::{b64, KeyPair, VerKey};
use proptest::prelude::*;
use serde_json::Value;

fn pairs(seeds: &[[u8; 32]]) -> Vec<KeyPair> {
    seeds.iter().map(KeyPair::from_seed).collect()
}

fn enc_strategy() -> impl Strategy<Value = ContentEnc> {
    prop_oneof![
        Just(ContentEnc::DidcommV1),
        Just(ContentEnc::XChaCha20Poly1305),
        Just(ContentEnc::ChaCha20Poly1305)
    ]
}

/// Distinct recipient seeds, 1 to 5 of them.
fn recipient_seeds() -> impl Strategy<Value = Vec<[u8; 32]>> {
    prop::collection::hash_set(any::<[u8; 32]>(), 1..=5).prop_map(|s| s.into_iter().collect())
}

/// The parts of an envelope that are authenticated (directly, or as the AEAD nonce), decoded.
fn authenticated_parts(envelope: &[u8]) -> Option<(String, Vec<Vec<u8>>)> {
    let value: Value = serde_json::from_slice(envelope).ok()?;
    let protected = value.get("protected")?.as_str()?.to_string();
    let rest = ["iv", "ciphertext", "tag"]
        .iter()
        .map(|f| b64::decode_any(value.get(*f)?.as_str()?).ok())
        .collect::<Option<Vec<_>>>()?;
    Some((protected, rest))
}

proptest! {
    #[test]
    fn pack_unpack_round_trip(
        message in prop::collection::vec(any::<u8>(), 0..2048),
        seeds in recipient_seeds(),
        sender_seed in prop::option::of(any::<[u8; 32]>()),
        enc in enc_strategy(),
        pick in any::<prop::sample::Index>(),
    ) {
        let recipients = pairs(&seeds);
        let keys: Vec<VerKey> = recipients.iter().map(KeyPair::verkey).collect();
        let sender = sender_seed.map(|s| KeyPair::from_seed(&s));
        let packed = pack_with(&message, &keys, sender.as_ref(), enc).unwrap();
        prop_assert_eq!(recipient_keys(&packed).unwrap(), keys.clone());

        let me = pick.get(&recipients).clone();
        let my_key = me.verkey();
        let opened = unpack(&packed, |k| (*k == my_key).then(|| me.clone())).unwrap();
        prop_assert_eq!(opened.message, message);
        prop_assert_eq!(opened.recipient, my_key);
        prop_assert_eq!(opened.sender, sender.map(|s| s.verkey()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let pair = KeyPair::from_seed(&[7; 32]);
        prop_assert!(unpack(&bytes, |_| Some(pair.clone())).is_err());
        let _ = recipient_keys(&bytes);
    }

    /// Envelope-shaped JSON with random field contents reaches deeper than random bytes.
    #[test]
    fn envelope_shaped_garbage_never_panics(
        protected in "[A-Za-z0-9_=-]{0,200}",
        iv in "[A-Za-z0-9_-]{0,40}",
        ciphertext in "[A-Za-z0-9_-]{0,80}",
        tag in "[A-Za-z0-9_-]{0,30}",
        header in prop::option::of(("(Authcrypt|Anoncrypt|x)", "(xchacha20poly1305_ietf|chacha20poly1305_ietf|y)", "[1-9A-Za-z]{0,50}", "[A-Za-z0-9_-]{0,120}")),
    ) {
        let protected = match header {
            Some((alg, enc, kid, key)) => b64::encode_url(format!(
                r#"{{"enc":"{enc}","typ":"JWM/1.0","alg":"{alg}","recipients":[{{"encrypted_key":"{key}","header":{{"kid":"{kid}","sender":"{key}","iv":"{key}"}}}}]}}"#
            )),
            None => protected,
        };
        let envelope = serde_json::json!({"protected": protected, "iv": iv, "ciphertext": ciphertext, "tag": tag});
        let bytes = serde_json::to_vec(&envelope).unwrap();
        let pair = KeyPair::from_seed(&[7; 32]);
        prop_assert!(unpack(&bytes, |_| Some(pair.clone())).is_err());
        let _ = recipient_keys(&bytes);
    }

    #[test]
    fn mutated_envelopes_are_rejected(
        auth in any::<bool>(),
        enc in enc_strategy(),
        message in prop::collection::vec(any::<u8>(), 0..256),
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let sender = KeyPair::from_seed(&[1; 32]);
        let me = KeyPair::from_seed(&[2; 32]);
        let other = KeyPair::from_seed(&[3; 32]).verkey();
        let packed = pack_with(&message, &[other, me.verkey()], auth.then_some(&sender), enc).unwrap();
        let mut mutated = packed.clone();
        for (at, byte) in &mutations {
            let i = at.index(mutated.len());
            mutated[i] = *byte;
        }
        let result = unpack(&mutated, |k| (*k == me.verkey()).then(|| me.clone()));
        // Only a change that leaves every authenticated part as it was may still open.
        if authenticated_parts(&mutated) != authenticated_parts(&packed) {
            prop_assert!(result.is_err(), "accepted a mutated envelope: {:?}", String::from_utf8_lossy(&mutated));
        } else if let Ok(opened) = result {
            prop_assert_eq!(opened.message, message);
        }
    }

    #[test]
    fn truncated_envelopes_are_rejected(cut in any::<prop::sample::Index>()) {
        let me = KeyPair::from_seed(&[2; 32]);
        let packed = pack_with(b"hello", &[me.verkey()], None, ContentEnc::default()).unwrap();
        let end = cut.index(packed.len());
        let e = unpack(&packed[..end], |_| Some(me.clone())).unwrap_err();
        prop_assert!(matches!(e, EnvelopeError::NotJson(_)), "{:?}", e);
    }

    #[test]
    fn forward_round_trip(
        message in prop::collection::vec(any::<u8>(), 0..512),
        hops in prop::collection::hash_set(any::<[u8; 32]>(), 0..=3),
        recipient_seed in any::<[u8; 32]>(),
        auth in any::<bool>(),
    ) {
        let sender = KeyPair::from_seed(&[1; 32]);
        let recipient = KeyPair::from_seed(&recipient_seed);
        let routers = pairs(&hops.into_iter().collect::<Vec<_>>());
        prop_assume!(routers.iter().all(|r| r.verkey() != recipient.verkey()));
        let routing_keys: Vec<VerKey> = routers.iter().map(KeyPair::verkey).collect();

        let packed = pack_with(&message, &[recipient.verkey()], auth.then_some(&sender), ContentEnc::default()).unwrap();
        let mut wire = wrap_for_routing(packed, &recipient.verkey(), &routing_keys).unwrap();

        // Peel from the outermost (the last routing key) inwards; each hop sees the next key.
        for (i, router) in routers.iter().enumerate().rev() {
            prop_assert_eq!(recipient_keys(&wire).unwrap(), vec![router.verkey()]);
            let opened = unpack(&wire, |k| (*k == router.verkey()).then(|| router.clone())).unwrap();
            prop_assert_eq!(opened.sender, None);
            let forward = parse_forward(&opened.message).unwrap();
            let next = if i == 0 { recipient.verkey() } else { routers[i - 1].verkey() };
            prop_assert_eq!(forward.to, next.to_base58());
            wire = forward.msg;
        }
        let opened = unpack(&wire, |k| (*k == recipient.verkey()).then(|| recipient.clone())).unwrap();
        prop_assert_eq!(opened.message, message);
        prop_assert_eq!(opened.sender, auth.then(|| sender.verkey()));
    }
}
