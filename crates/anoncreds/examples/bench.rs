//! CPU time of the holder's AnonCreds operations, per operation, on this machine.
//!
//! `cargo run --release -p akrida-anoncreds --example bench [ROUNDS] [REGISTRY_SIZE]` (default 20
//! rounds, a registry of 1000 as the testbed's issuer makes). Each round is one credential
//! request, one stored credential and one presentation (one revealed attribute, one `>=`
//! predicate), first of a credential definition without revocation, then of a revocable one
//! proven with a non-revoked interval (the revocation state built from the registry's delta
//! and tails file, as a holder does per proof); the issuer's and verifier's times are shown for
//! comparison. Times are the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load
//! on the machine does not inflate them.

use std::time::Duration;

use akrida_anoncreds::test_issuer::{proof_request, verify, TestIssuer};
use akrida_anoncreds::{RegistryAt, RegistryStates, Wallet};
use serde_json::json;

fn thread_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::try_from(now).expect("a thread's CPU time is never negative")
}

/// Runs `f`, adding its CPU time to `total`.
fn timed<T>(total: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = thread_cpu();
    let out = f();
    *total += thread_cpu() - start;
    out
}

fn ms(total: Duration, n: u32) -> String {
    format!("{:8.2} ms", total.as_secs_f64() * 1000.0 / f64::from(n))
}

/// The positional argument `index` as a positive number, or `default`.
fn positive_arg(index: usize, default: u32) -> u32 {
    match std::env::args().nth(index) {
        None => default,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: bench [ROUNDS > 0] [REGISTRY_SIZE > 0], got {arg:?}");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    let rounds = positive_arg(1, 20);
    let registry_size = positive_arg(2, 1000);

    let mut cred_def_time = Duration::ZERO;
    let issuer = timed(&mut cred_def_time, || {
        TestIssuer::new("NcYxiDXkpYi6ov5FcYDi1e", "person", &["name", "age"])
    })
    .expect("issuer setup");
    let cred_def = issuer.cred_def_json();

    let (mut offer_t, mut request_t, mut issue_t, mut store_t, mut present_t, mut verify_t) =
        Default::default();
    let mut link_secret_bytes = 0;
    for _ in 0..rounds {
        // A new holder each round: the first request also creates its link secret, as it does
        // for every simulated holder.
        let mut wallet = Wallet::new();
        let offer = timed(&mut offer_t, || issuer.offer()).expect("offer");
        let request = timed(&mut request_t, || {
            wallet.create_request(&offer, &cred_def, "55GkHamhTU1ZbTbV2ab9DE")
        })
        .expect("request");
        let credential = timed(&mut issue_t, || {
            issuer.issue(
                &offer,
                &request.request,
                &[("name", "Alice"), ("age", "30")],
            )
        })
        .expect("issue");
        timed(&mut store_t, || {
            wallet.store_credential(&credential, request.pending, None)
        })
        .expect("store");
        let proof_req = proof_request(
            &[("n", "name", json!([{"cred_def_id": issuer.cred_def_id()}]))],
            &[("a", "age", ">=", 18, json!([]))],
        )
        .expect("proof request");
        let presentation =
            timed(&mut present_t, || wallet.create_presentation(&proof_req)).expect("present");
        let ok = timed(&mut verify_t, || {
            verify(&proof_req, &presentation, &[&issuer])
        })
        .expect("verify");
        assert!(ok, "presentation did not verify");
        link_secret_bytes = wallet.link_secret_json().expect("link secret").len();
    }

    println!("AnonCreds CPU time per operation ({rounds} rounds, thread CPU time)");
    println!(
        "  issuer   credential definition (once) {}",
        ms(cred_def_time, 1)
    );
    println!(
        "  issuer   offer                        {}",
        ms(offer_t, rounds)
    );
    println!(
        "  holder   credential request           {}",
        ms(request_t, rounds)
    );
    println!(
        "  issuer   credential                   {}",
        ms(issue_t, rounds)
    );
    println!(
        "  holder   store (check) credential     {}",
        ms(store_t, rounds)
    );
    println!(
        "  holder   presentation (1 attr, 1 GE)  {}",
        ms(present_t, rounds)
    );
    println!(
        "  verifier verify                       {}",
        ms(verify_t, rounds)
    );
    println!("  link secret as JSON: {link_secret_bytes} bytes");
    revocable(rounds, registry_size);
}

/// The same rounds with a revocable definition (registry of `size`, issuance by default, one
/// credential revoked so the delta is not empty), each proof asking for non-revocation now.
fn revocable(rounds: u32, size: u32) {
    let tails_dir = std::env::temp_dir().join(format!("akrida-bench-tails-{}", std::process::id()));
    std::fs::create_dir_all(&tails_dir).expect("tails dir");
    let published = 1_700_000_000;
    let mut setup_t = Duration::ZERO;
    let issuer = timed(&mut setup_t, || {
        TestIssuer::revocable(
            "NcYxiDXkpYi6ov5FcYDi1e",
            "member",
            &["name", "age"],
            size,
            &tails_dir,
            published,
        )
    })
    .expect("revocable issuer");
    let cred_def = issuer.cred_def_json();
    let rev_reg_def = issuer.rev_reg_def_json().expect("registry definition");
    // Someone else's credential, revoked: the registry has a revocation to account for.
    let mut other = Wallet::new();
    let offer = issuer.offer().expect("offer");
    let request = other
        .create_request(&offer, &cred_def, "55GkHamhTU1ZbTbV2ab9DE")
        .expect("request");
    let credential = issuer
        .issue(
            &offer,
            &request.request,
            &[("name", "Mallory"), ("age", "40")],
        )
        .expect("issue");
    other
        .store_credential(&credential, request.pending, Some(&rev_reg_def))
        .expect("store");
    issuer.revoke(1, published + 10).expect("revoke");

    let (mut request_t, mut store_t, mut state_t, mut present_t, mut verify_t) = Default::default();
    let now = published + 100;
    for _ in 0..rounds {
        let mut wallet = Wallet::new();
        let offer = issuer.offer().expect("offer");
        let request = timed(&mut request_t, || {
            wallet.create_request(&offer, &cred_def, "55GkHamhTU1ZbTbV2ab9DE")
        })
        .expect("request");
        let credential = issuer
            .issue(
                &offer,
                &request.request,
                &[("name", "Alice"), ("age", "30")],
            )
            .expect("issue");
        timed(&mut store_t, || {
            wallet.store_credential(&credential, request.pending, Some(&rev_reg_def))
        })
        .expect("store");
        let mut proof_req = proof_request(
            &[("n", "name", json!([{"cred_def_id": issuer.cred_def_id()}]))],
            &[("a", "age", ">=", 18, json!([]))],
        )
        .expect("proof request");
        proof_req["non_revoked"] = json!({"to": now});
        // What the holder does per proof: plan, and from the ledger's delta and the tails
        // file its witness (inside `present`); the ledger read itself is I/O, not counted.
        let plan = wallet.plan_presentation(&proof_req, now).expect("plan");
        let mut states = RegistryStates::new();
        for need in plan.needs() {
            let (delta, timestamp) = issuer.delta_at(need.to).expect("delta");
            states.insert(
                need,
                RegistryAt {
                    definition: rev_reg_def.clone(),
                    delta,
                    timestamp,
                    tails: issuer.tails_path().expect("tails"),
                },
            );
        }
        // The revocation state alone, to split the cost.
        let (_, index) = wallet.credentials()[0].revocation().expect("revocable");
        let registry = states.values().next().expect("one registry").clone();
        timed(&mut state_t, || {
            akrida_anoncreds::revocation::revocation_state(&registry, index)
        })
        .expect("revocation state");
        let presentation =
            timed(&mut present_t, || wallet.present(&plan, &states)).expect("present");
        let ok = timed(&mut verify_t, || {
            verify(&proof_req, &presentation, &[&issuer])
        })
        .expect("verify");
        assert!(ok, "non-revocation presentation did not verify");
    }
    let _ = std::fs::remove_dir_all(&tails_dir);

    println!("With revocation (registry of {size}, one credential revoked; {rounds} rounds)");
    println!(
        "  issuer   definition + registry (once)  {}",
        ms(setup_t, 1)
    );
    println!(
        "  holder   credential request           {}",
        ms(request_t, rounds)
    );
    println!(
        "  holder   store (check) credential     {}",
        ms(store_t, rounds)
    );
    println!(
        "  holder   presentation, non-revoked    {}",
        ms(present_t, rounds)
    );
    println!(
        "    of which the revocation state       {}",
        ms(state_t, rounds)
    );
    println!(
        "  verifier verify                       {}",
        ms(verify_t, rounds)
    );
}
