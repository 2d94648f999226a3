//! Feeds arbitrary bytes to the envelope reader, as a shared inbound listener would.
//!
//! The lookup holds the recipient keys of the committed libsodium vectors (seeds 0x02.., 0x03..,
//! 0x04..), so that mutations of the seed envelopes in `fuzz/seeds/unpack_envelope` get past key
//! lookup into sealed-box, crypto_box and AEAD decryption.
#![no_main]

use didcomm::envelope::{recipient_keys, unpack};
use didcomm::forward::parse_forward;
use didcomm::KeyPair;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn holder() -> &'static [KeyPair] {
    static KEYS: OnceLock<Vec<KeyPair>> = OnceLock::new();
    KEYS.get_or_init(|| (2u8..=4).map(|b| KeyPair::from_seed(&[b; 32])).collect())
}

fuzz_target!(|data: &[u8]| {
    let kids = recipient_keys(data);
    let opened = unpack(data, |k| {
        holder().iter().find(|p| p.verkey() == *k).cloned()
    });
    if let Ok(opened) = opened {
        // Whatever opens must have been addressed to the key that opened it.
        let kids = kids.expect("an envelope that opens has readable kids");
        assert!(kids.contains(&opened.recipient));
        let _ = parse_forward(&opened.message);
    }
});
