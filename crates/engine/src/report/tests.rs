//! Report formats checked against text printed by Locust 2.47 itself (Python 3.11).

use std::time::Duration;

use super::*;
use crate::stats::{Clock, HistoryRow, Stats};

const T0: f64 = 1_700_000_000.0;

/// Header rows as Locust 2.47's `csv.writer` writes them (copied from its output).
#[test]
fn csv_headers_are_byte_identical_to_locust() {
    let stats = stats_csv(&Stats::new().snapshot());
    assert!(stats.starts_with(
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,\
50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n"
    ));
    assert_eq!(
        stats_history_csv(&[]),
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,\
50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,\
Total Median Response Time,Total Average Response Time,Total Min Response Time,\
Total Max Response Time,Total Average Content Size\r\n"
    );
    assert_eq!(
        failures_csv(&Stats::new().snapshot()),
        "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n"
    );
}

/// With no requests, Locust writes the Aggregated row with integer zeros and N/A percentiles.
#[test]
fn empty_run_rows_match_locust() {
    let csv = stats_csv(&Stats::new().snapshot());
    let aggregated = csv.lines().nth(1).expect("aggregated row");
    // Python: StatsCSV(...)._requests_data_rows on a fresh RequestStats.
    assert_eq!(
        aggregated,
        ",Aggregated,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A"
    );
}

/// The same samples fed to Locust's `RequestStats` (with start and last-request times set to
/// ours) give these rows. Seven samples, so that no reported percentile falls exactly on a rank
/// boundary: there Locust takes the next sample up while HDR (and we) take the standard
/// "smallest value with at least q of the samples at or below it".
#[tokio::test(start_paused = true)]
async fn data_rows_match_locust_for_the_same_samples() {
    let stats = Stats::with_clock(Clock::starting_at(T0));
    tokio::time::advance(Duration::from_millis(2_500)).await;
    for ms in [10u64, 20, 30, 40, 50, 60] {
        stats.record("ws", "ping", Duration::from_millis(ms), None);
    }
    stats.record(
        "ws",
        "ping",
        Duration::from_micros(12_345),
        Some("timeout, \"late\""),
    );
    let snapshot = stats.snapshot();
    let csv = stats_csv(&snapshot);
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        rows[1],
        "ws,ping,7,1,30,31.763571428571428,10.0,60.0,0.0,2.8,0.4,30,40,50,50,60,60,60,60,60,60,60"
    );
    assert_eq!(
        rows[2],
        ",Aggregated,7,1,30,31.763571428571428,10.0,60.0,0.0,2.8,0.4,30,40,50,50,60,60,60,60,60,60,60"
    );
    let failures = failures_csv(&snapshot);
    assert_eq!(
        failures.split("\r\n").nth(1),
        Some("ws,ping,\"timeout, \"\"late\"\"\",1,2023-11-14T22:13:22Z,2023-11-14T22:13:22Z")
    );
    let mut summary = stats.summary();
    summary.user_count = 3;
    let history = stats_history_csv(&[HistoryRow::of(&summary)]);
    assert_eq!(
        history.split("\r\n").nth(1),
        Some("1700000002,3,ws,ping,0.000000,0.000000,30,40,50,50,60,60,60,60,60,60,60,7,1,30,31.763571428571428,10.0,60.0,0.0")
    );
}

#[tokio::test(start_paused = true)]
async fn table_has_locust_columns_and_rows() {
    let stats = Stats::with_clock(Clock::starting_at(T0));
    tokio::time::advance(Duration::from_secs(1)).await;
    stats.record("ws", "ping_mediator", Duration::from_millis(12), None);
    stats.record(
        "ws",
        "startup",
        Duration::from_millis(340),
        Some("no grant"),
    );
    stats.count("messages_received", 4);
    let table = render_table(&stats.snapshot(), Rates::OverRun);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Type     Name"));
    assert!(lines[0].ends_with("|    Avg     Min     Max    Med |   req/s  failures/s"));
    assert!(lines[2].starts_with("ws       ping_mediator"));
    assert!(lines[3].contains("1(100.00%)"), "{table}");
    assert!(lines[5].starts_with("         Aggregated"));
    assert!(table.contains("Response time percentiles (approximated)"));
    assert!(table.contains("Error report"));
    assert!(table.contains("1                  ws startup: no grant"));
    assert!(table.contains("Counters\n4                  messages_received\n"));
}

#[tokio::test(start_paused = true)]
async fn json_round_trips() {
    let stats = Stats::with_clock(Clock::starting_at(T0));
    stats.record("ws", "ping", Duration::from_micros(1_234), None);
    stats.record("ws", "ping", Duration::from_micros(5_678), Some("x"));
    let snapshot = stats.snapshot();
    let text = to_json(&snapshot).expect("serialisable");
    assert_eq!(from_json(&text).expect("readable"), snapshot);
    assert!(from_json("{").is_err());
}
