//! Tests of the stats model on known inputs. Timestamps come from tokio's paused clock, anchored
//! at a whole unix second, so per-second counts are exact.

use std::time::Duration;

use super::*;

const T0: f64 = 1_700_000_000.0;

fn stats_at_t0() -> Stats {
    Stats::with_clock(Clock::starting_at(T0))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn percentiles_of_a_known_distribution() {
    let stats = stats_at_t0();
    for n in 1..=1000u64 {
        stats.record("GET", "uniform", ms(n), None);
    }
    let snap = stats.snapshot();
    let entry = &snap.entries[0];
    assert_eq!(entry.num_requests, 1000);
    assert_eq!(entry.min_ms, Some(1.0));
    assert_eq!(entry.max_ms, Some(1000.0));
    assert_eq!(entry.avg_ms, 500.5);
    // HDR at 0.1 %: p50 is 500 within one bucket, p99 is 990.
    assert!(
        (499..=501).contains(&entry.median_ms),
        "{:?}",
        entry.percentiles_ms
    );
    assert_eq!(entry.percentile_ms(0.99), Some(990));
    assert_eq!(entry.percentile_ms(0.9), Some(900));
    assert_eq!(entry.percentile_ms(1.0), Some(1000));
    assert_eq!(entry.percentiles_ms.len(), PERCENTILES.len());
    // One entry: the aggregate has the same figures.
    assert_eq!(snap.total.percentiles_ms, entry.percentiles_ms);
    assert_eq!(snap.total.name, AGGREGATED_NAME);
    assert_eq!(snap.total.kind, "");
}

#[tokio::test(start_paused = true)]
async fn microsecond_resolution_is_kept() {
    let stats = stats_at_t0();
    stats.record("ws", "ping", Duration::from_micros(1_234), None);
    stats.record("ws", "ping", Duration::from_micros(1_236), None);
    let entry = &stats.snapshot().entries[0];
    assert_eq!(entry.min_ms, Some(1.234));
    assert_eq!(entry.max_ms, Some(1.236));
    assert_eq!(entry.avg_ms, 1.235);
    assert_eq!(entry.median_ms, 1);
}

#[tokio::test(start_paused = true)]
async fn failures_are_requests_and_grouped_by_text() {
    let stats = stats_at_t0();
    stats.record("ws", "ping", ms(10), None);
    stats.record("ws", "ping", ms(20), Some("timeout after 5s"));
    tokio::time::advance(Duration::from_secs(2)).await;
    stats.record("ws", "ping", ms(30), Some("timeout after 5s"));
    stats.record("ws", "ping", ms(30), Some("socket closed"));
    stats.record_untimed("user", "panic", Some("boom"));
    let snap = stats.snapshot();
    let ping = snap
        .entries
        .iter()
        .find(|e| e.name == "ping")
        .expect("ping entry");
    assert_eq!((ping.num_requests, ping.num_failures), (4, 3));
    assert_eq!(ping.fail_ratio, 0.75);
    let panic = snap
        .entries
        .iter()
        .find(|e| e.name == "panic")
        .expect("panic entry");
    assert_eq!((panic.num_requests, panic.num_failures), (1, 1));
    assert_eq!(panic.num_untimed_requests, 1);
    assert!(panic.percentiles_ms.is_empty());
    assert_eq!(panic.min_ms, None);
    // The untimed sample counts in the aggregate's requests, not its latencies.
    assert_eq!(snap.total.num_requests, 5);
    assert_eq!(snap.total.avg_ms, 22.5);

    let timeouts = snap
        .failures
        .iter()
        .find(|f| f.error == "timeout after 5s")
        .expect("timeout failures grouped");
    assert_eq!(timeouts.occurrences, 2);
    assert_eq!(timeouts.first_seen, T0);
    assert_eq!(timeouts.last_seen, T0 + 2.0);
    assert_eq!(snap.failures.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn rates_per_second_over_the_run_and_currently() {
    let stats = stats_at_t0();
    // 10 requests in each of 20 seconds, one failure per second.
    for _ in 0..20 {
        for i in 0..10 {
            stats.record("ws", "ping", ms(5), (i == 0).then_some("bad"));
        }
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    let snap = stats.snapshot();
    let entry = &snap.entries[0];
    assert_eq!(entry.per_second.len(), 20);
    assert_eq!(entry.per_second[3].t, T0 as u64 + 3);
    assert_eq!(entry.per_second[3].requests, 10);
    assert_eq!(entry.per_second[3].failures, 1);
    assert_eq!(entry.current_requests_per_s, 10.0);
    assert_eq!(entry.current_failures_per_s, 1.0);
    // Locust's total_rps: 200 requests over (last request at T0+19) − start.
    assert_eq!(entry.requests_per_s, 200.0 / 19.0);
    assert_eq!(entry.current_percentiles_ms[0].ms, 5);
}

#[tokio::test(start_paused = true)]
async fn interval_takes_what_was_recorded_since_the_last_call() {
    let stats = stats_at_t0();
    for micros in [2_500u64, 2_501, 145_000, 145_001, 58_760_000] {
        stats.record("ws", "ping", Duration::from_micros(micros), None);
    }
    stats.record("ws", "ping", ms(1), Some("refused"));
    tokio::time::advance(Duration::from_secs(1)).await;
    stats.record("http", "liveness", ms(3), None);

    let first = stats.take_interval();
    let ping = first
        .entries
        .iter()
        .find(|e| e.name == "ping")
        .expect("ping");
    // Locust rounding: 2.5 → 2 (half to even), 2.501 → 3, 145.0 → 140, 145.001 → 150, 58760 → 59000.
    let want: std::collections::BTreeMap<u64, u64> =
        [(1, 1), (2, 1), (3, 1), (140, 1), (150, 1), (59_000, 1)].into();
    assert_eq!(ping.response_times, want);
    assert_eq!(ping.num_requests, 6);
    assert_eq!(ping.num_failures, 1);
    assert_eq!(ping.min_response_time_ms, Some(1.0));
    assert_eq!(ping.max_response_time_ms, 58_760.0);
    assert_eq!(ping.num_reqs_per_sec.get(&(T0 as u64)), Some(&6));
    assert_eq!(ping.num_fail_per_sec.get(&(T0 as u64)), Some(&1));
    assert_eq!(ping.start_time, T0);
    assert_eq!(first.total.num_requests, 7);
    assert_eq!(first.total.name, AGGREGATED_NAME);
    assert_eq!(first.errors.len(), 1);
    assert_eq!(first.errors[0].error, "refused");

    // Nothing new: no entries, an empty total, no errors; the cumulative stats are intact.
    tokio::time::advance(Duration::from_secs(1)).await;
    let second = stats.take_interval();
    assert!(second.entries.is_empty());
    assert_eq!(second.total.num_requests, 0);
    assert_eq!(second.total.start_time, T0 + 1.0);
    assert!(second.errors.is_empty());
    assert_eq!(stats.snapshot().total.num_requests, 7);

    stats.record("ws", "ping", ms(7), None);
    let third = stats.take_interval();
    assert_eq!(third.entries.len(), 1);
    assert_eq!(third.entries[0].start_time, T0 + 2.0);
    assert_eq!(third.entries[0].response_times, [(7, 1)].into());
}

#[tokio::test(start_paused = true)]
async fn entries_are_sorted_by_name_then_kind() {
    let stats = stats_at_t0();
    stats.record("ws", "startup", ms(1), None);
    stats.record("http", "ping", ms(1), None);
    stats.record("ws", "ping", ms(1), None);
    let names: Vec<_> = stats
        .snapshot()
        .entries
        .iter()
        .map(|e| format!("{} {}", e.name, e.kind))
        .collect();
    assert_eq!(names, ["ping http", "ping ws", "startup ws"]);
}

#[tokio::test(start_paused = true)]
async fn history_row_reflects_the_snapshot() {
    let stats = stats_at_t0();
    stats.record("ws", "ping", ms(5), None);
    let mut snap = stats.snapshot();
    snap.user_count = 7;
    let row = HistoryRow::of(&snap);
    assert_eq!(row.timestamp, T0 as u64);
    assert_eq!(row.user_count, 7);
    assert_eq!(row.entries.len(), 1);
    assert_eq!(row.total.num_requests, 1);
    assert_eq!(
        row.total.current_percentiles_ms.as_ref().map(Vec::len),
        Some(11)
    );
}

#[test]
fn recording_works_from_plain_threads() {
    let stats = std::sync::Arc::new(Stats::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let stats = stats.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    stats.record("t", "x", Duration::from_micros(i), None);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("recording thread finished");
    }
    assert_eq!(stats.snapshot().total.num_requests, 4000);
}

#[tokio::test(start_paused = true)]
async fn summary_matches_snapshot_without_the_series() {
    let stats = stats_at_t0();
    for second in 0..30u64 {
        stats.record("ws", "ping", ms(second + 1), None);
        stats.record("ws", "pong", ms(2), (second % 3 == 0).then_some("late"));
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    let mut full = stats.snapshot();
    let summary = stats.summary();
    assert!(summary.entries.iter().all(|e| e.per_second.is_empty()));
    assert!(summary.total.per_second.is_empty());
    assert_eq!(full.total.per_second.len(), 30);
    full.entries.iter_mut().for_each(|e| e.per_second.clear());
    full.total.per_second.clear();
    assert_eq!(full, summary);
}

#[tokio::test(start_paused = true)]
async fn counters_add_up_and_appear_in_snapshots() {
    let stats = stats_at_t0();
    stats.count("messages_received", 3);
    stats.count("messages_received", 2);
    stats.count("socket_drops", 1);
    let snap = stats.snapshot();
    assert_eq!(snap.counters.get("messages_received"), Some(&5));
    assert_eq!(snap.counters.get("socket_drops"), Some(&1));
    assert_eq!(snap.total.num_requests, 0, "counters are not requests");
}
