//! Envelopes packed by libsodium (PyNaCl, `scripts/interop/gen_vectors.py`) must open in Rust.
//!
//! This is the proof that our `crypto_box` / sealed-box / AEAD layouts match libsodium's, which
//! ACA-Py (Askar and the legacy indy wallet) and Credo use.

use didcomm::envelope::{recipient_keys, unpack, EnvelopeError};
use didcomm::{KeyPair, VerKey};
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("vectors/libsodium.json");
    serde_json::from_str(text).expect("vectors/libsodium.json is JSON")
}

fn seed(hex: &str) -> KeyPair {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex seed"))
        .collect();
    KeyPair::from_seed(&bytes.try_into().expect("32-byte seed"))
}

#[test]
fn seeds_give_the_same_verkeys_as_libsodium() {
    let doc = vectors();
    assert_eq!(
        seed(doc["sender_seed"].as_str().unwrap())
            .verkey()
            .to_base58(),
        doc["sender_verkey"].as_str().unwrap()
    );
    for v in doc["vectors"].as_array().unwrap() {
        for (s, k) in v["recipient_seeds"]
            .as_array()
            .unwrap()
            .iter()
            .zip(v["recipient_verkeys"].as_array().unwrap())
        {
            assert_eq!(
                seed(s.as_str().unwrap()).verkey().to_base58(),
                k.as_str().unwrap()
            );
        }
    }
}

#[test]
fn every_vector_opens_for_every_recipient() {
    let doc = vectors();
    let list = doc["vectors"].as_array().unwrap();
    assert!(list.len() >= 10, "expected the full vector set");
    for v in list {
        let name = v["name"].as_str().unwrap();
        let envelope = v["envelope"].as_str().unwrap().as_bytes();
        let expected_sender = v["sender_verkey"]
            .as_str()
            .map(|s| VerKey::from_base58(s).unwrap());
        let expected = v["message_utf8"].as_str().unwrap().as_bytes();

        let keys: Vec<String> = recipient_keys(envelope)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .iter()
            .map(VerKey::to_base58)
            .collect();
        let listed: Vec<&str> = v["recipient_verkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, listed, "{name}: recipient_keys");

        for s in v["recipient_seeds"].as_array().unwrap() {
            let pair = seed(s.as_str().unwrap());
            let ours = pair.verkey();
            let opened = unpack(envelope, |k| (*k == ours).then(|| pair.clone()))
                .unwrap_or_else(|e| panic!("{name} for {ours}: {e}"));
            assert_eq!(opened.message, expected, "{name}: plaintext");
            assert_eq!(opened.recipient, ours, "{name}: recipient");
            assert_eq!(opened.sender, expected_sender, "{name}: sender");
        }
    }
}

#[test]
fn a_stranger_cannot_open_any_vector() {
    let doc = vectors();
    let stranger = seed(doc["stranger_seed"].as_str().unwrap());
    for v in doc["vectors"].as_array().unwrap() {
        let envelope = v["envelope"].as_str().unwrap().as_bytes();
        // Even if our lookup wrongly hands out the stranger's key for every kid, nothing opens.
        let err = unpack(envelope, |_| Some(stranger.clone())).unwrap_err();
        assert!(
            matches!(
                err,
                EnvelopeError::CekNotDecryptable { .. }
                    | EnvelopeError::SenderNotDecryptable { .. }
            ),
            "{}: {err:?}",
            v["name"]
        );
        // And with an honest lookup the error lists the kids.
        let err = unpack(envelope, |_| None).unwrap_err();
        let EnvelopeError::NoKeyForRecipients { kids } = err else {
            panic!("{}: {err:?}", v["name"]);
        };
        assert_eq!(kids.len(), v["recipient_verkeys"].as_array().unwrap().len());
    }
}
