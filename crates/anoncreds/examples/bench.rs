//! CPU time of the holder's AnonCreds operations, per operation, on this machine.
//!
//! `cargo run --release -p anoncreds --example bench [ROUNDS]` (default 20 rounds). Each round
//! is one credential request, one stored credential and one presentation (one revealed
//! attribute, one `>=` predicate); the issuer's and verifier's times are shown for comparison.
//! Times are the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load on the
//! machine does not inflate them.

use std::time::Duration;

use anoncreds::test_issuer::{proof_request, verify, TestIssuer};
use anoncreds::Wallet;
use serde_json::json;

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
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

fn main() {
    let rounds: u32 = match std::env::args().nth(1) {
        None => 20,
        Some(arg) => match arg.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: bench [ROUNDS > 0], got {arg:?}");
                std::process::exit(2);
            }
        },
    };

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
}
