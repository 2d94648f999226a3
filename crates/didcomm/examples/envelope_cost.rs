//! CPU cost of one envelope round, the unit of a trust ping to a mediator: pack (authcrypt,
//! one recipient) and unpack of a ping-sized message. Run in release:
//! `cargo run --release -p didcomm --example envelope_cost`.

use std::time::Instant;

use didcomm::KeyPair;

fn main() {
    let holder = KeyPair::generate();
    let mediator = KeyPair::generate();
    let ping = br#"{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"6a0d1f5e-2f63-4f0f-9d2b-8a1c3a5c2e11","response_requested":true,"~transport":{"return_route":"all"}}"#;
    let rounds = 2_000u32;

    let started = Instant::now();
    let mut envelopes = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        envelopes.push(didcomm::pack(ping, &[mediator.verkey()], Some(&holder)).unwrap());
    }
    let pack = started.elapsed() / rounds;

    let started = Instant::now();
    for envelope in &envelopes {
        let find = |kid: &didcomm::VerKey| (*kid == mediator.verkey()).then(|| mediator.clone());
        didcomm::unpack(envelope, find).unwrap();
    }
    let unpack = started.elapsed() / rounds;
    println!(
        "authcrypt pack:   {:>6.1} µs per envelope",
        pack.as_secs_f64() * 1e6
    );
    println!(
        "authcrypt unpack: {:>6.1} µs per envelope",
        unpack.as_secs_f64() * 1e6
    );
    // The parts: converting a verkey to X25519, one static Diffie-Hellman (crypto_box key),
    // one sealed box (an ephemeral key and a Diffie-Hellman).
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(mediator.verkey().to_x25519());
    }
    let convert = started.elapsed() / rounds;
    let (ours, theirs) = (holder.to_x25519(), mediator.verkey().to_x25519());
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(crypto_box::SalsaBox::new(&theirs, &ours));
    }
    let dh = started.elapsed() / rounds;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(theirs.seal(&mut rand::rngs::OsRng, b"x").unwrap());
    }
    let seal = started.elapsed() / rounds;
    // The same round with the pair's crypto_box key computed once (what holders do).
    let pair = didcomm::PairKey::new(&holder, &mediator.verkey());
    let started = Instant::now();
    let mut cached = Vec::with_capacity(rounds as usize);
    for _ in 0..rounds {
        cached.push(didcomm::envelope::pack_for_pair(ping, &holder, &pair).unwrap());
    }
    let pack_cached = started.elapsed() / rounds;
    struct One(std::sync::Mutex<Option<didcomm::PairKey>>);
    impl didcomm::envelope::PairCache for One {
        fn get(&self, _: &didcomm::VerKey, _: &didcomm::VerKey) -> Option<didcomm::PairKey> {
            self.0.lock().unwrap().clone()
        }
        fn get_sealed(&self, _: &didcomm::VerKey, sealed: &[u8]) -> Option<didcomm::PairKey> {
            let slot = self.0.lock().unwrap();
            slot.clone()
                .filter(|pair| pair.sealed_by_them() == Some(sealed))
        }
        fn put(&self, pair: didcomm::PairKey) {
            *self.0.lock().unwrap() = Some(pair);
        }
    }
    let cache = One(std::sync::Mutex::new(None));
    let started = Instant::now();
    for envelope in &cached {
        let find = |kid: &didcomm::VerKey| (*kid == mediator.verkey()).then(|| mediator.clone());
        didcomm::envelope::unpack_cached(envelope, find, &cache).unwrap();
    }
    let unpack_cached = started.elapsed() / rounds;
    println!(
        "with the pair key cached: pack {:.1} µs, unpack {:.1} µs, round trip {:.1} µs",
        pack_cached.as_secs_f64() * 1e6,
        unpack_cached.as_secs_f64() * 1e6,
        (pack_cached + unpack_cached).as_secs_f64() * 1e6
    );
    println!("verkey -> X25519:  {:>6.1} µs", convert.as_secs_f64() * 1e6);
    println!(
        "crypto_box key:    {:>6.1} µs (one Diffie-Hellman)",
        dh.as_secs_f64() * 1e6
    );
    println!("sealed box:        {:>6.1} µs", seal.as_secs_f64() * 1e6);
    println!(
        "one ping round trip (pack ours + unpack the answer): {:.1} µs",
        (pack + unpack).as_secs_f64() * 1e6
    );
}
