//! CPU cost of the JSON-LD proofs a holder makes and checks: verifying an issued credential
//! (two canonicalisations and one signature check) and signing a presentation holding it.
//! `cargo run --release -p ldp --example proof_cost`.

use std::time::Instant;

use didcomm::KeyPair;
use serde_json::json;

fn main() {
    let credential: serde_json::Value =
        serde_json::from_str(include_str!("../testdata/acapy_issued_credential.json")).unwrap();
    let rounds = 50u32;

    let started = Instant::now();
    for _ in 0..rounds {
        ldp::verify(&credential).unwrap();
    }
    let verify = started.elapsed() / rounds;

    let holder = KeyPair::generate();
    let presentation = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [credential],
    });
    let options = ldp::ProofOptions {
        purpose: "authentication".into(),
        challenge: Some("3fa85f64-5717-4562-b3fc-2c963f66afa6".into()),
        domain: Some("akrida".into()),
        created: "2026-11-23T22:00:00Z".into(),
    };
    let started = Instant::now();
    for _ in 0..rounds {
        ldp::sign(&presentation, &holder, &options).unwrap();
    }
    let sign = started.elapsed() / rounds;
    println!(
        "verify an issued credential: {:.2} ms",
        verify.as_secs_f64() * 1e3
    );
    println!(
        "sign a presentation of it:   {:.2} ms",
        sign.as_secs_f64() * 1e3
    );
}
