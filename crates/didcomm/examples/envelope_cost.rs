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
    println!(
        "one ping round trip (pack ours + unpack the answer): {:.1} µs",
        (pack + unpack).as_secs_f64() * 1e6
    );
}
