//! What a holder's own connections cost before they connect: builds N holder HTTP clients
//! (each with its own TLS session cache, as `holder::Holder::new` does) and prints the CPU time
//! and the resident memory per client.
//!
//! `cargo run --release -p net --example holder_clients [N]` (default 10,000).

use std::time::{Duration, Instant};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let trust = net::Trust::platform();
    // Warm up: the first client pays for lazy statics.
    let _first = net::holder_http_client(trust.client_config(), Duration::from_secs(20));
    let rss_before = rss_bytes();
    let started = Instant::now();
    let clients: Vec<_> = (0..n)
        .map(|_| {
            let tls = trust.client_config();
            let ws_tls = std::sync::Arc::new(tls.clone());
            let http = net::holder_http_client(tls, Duration::from_secs(20)).expect("client");
            (http, ws_tls)
        })
        .collect();
    let elapsed = started.elapsed();
    let rss_after = rss_bytes();
    println!(
        "{n} holder clients: {:.1} µs and {:.2} KB each (trusting {})",
        elapsed.as_secs_f64() * 1e6 / n as f64,
        rss_after.saturating_sub(rss_before) as f64 / 1024.0 / n as f64,
        trust.describe()
    );
    drop(clients);
}
