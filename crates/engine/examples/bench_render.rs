//! Cost of one frame of the live view (`akrida run --web`): the report part of the page rendered
//! from a snapshot and its history, as the live page sends it each second.
//!
//! Run with: `cargo run --release -p engine --example bench_render`
//!
//! The run it renders: five minutes of a `mediator-ping`-like run, seven samples (the onboarding
//! phases, `startup`, `ping_mediator`, `connection_lost`), a history row a second.

use std::time::{Duration, Instant};

use engine::report::{render_report, HtmlReport};
use engine::stats::{Clock, HistoryRow, Stats};

const SECONDS: u64 = 300;
const FRAMES: u32 = 20;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
    let names = [
        "connect",
        "socket_open",
        "mediation_grant",
        "keylist_update",
        "startup",
        "ping_mediator",
        "connection_lost",
    ];
    let mut history = Vec::new();
    for second in 0..SECONDS {
        for (i, name) in names.iter().enumerate() {
            for k in 0..5 {
                let ms = 10 + (second + k + i as u64) % 900;
                stats.record("didcomm", name, Duration::from_millis(ms), None);
            }
        }
        // The paused clock: a second of the run without waiting for it.
        tokio::time::advance(Duration::from_secs(1)).await;
        history.push(HistoryRow::of(&stats.snapshot()));
    }
    let settings = serde_json::json!({"users": 1000});
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..FRAMES {
        // What each frame does: a fresh snapshot (with the per-second series), then the HTML.
        let snapshot = stats.snapshot();
        let html = render_report(&HtmlReport {
            title: "akrida — mediator-ping",
            settings: &settings,
            snapshot: &snapshot,
            history: &history,
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
            traces: &[],
            marks: &[],
            extra_sections: &[],
        });
        bytes = html.len();
    }
    let per_frame = started.elapsed().as_secs_f64() * 1000.0 / f64::from(FRAMES);
    println!(
        "one frame of a {SECONDS} s run, {} samples: {per_frame:.2} ms ({} KB), \
so {:.2} % of a core at a frame a second",
        names.len(),
        bytes / 1024,
        per_frame / 10.0
    );
}
