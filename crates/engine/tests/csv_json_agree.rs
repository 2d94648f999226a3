//! A whole run through the public API: fake users on tokio's paused clock, then the Locust CSV
//! files and the JSON written from the final snapshot must state the same numbers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use engine::report::{from_json, to_json, write_locust_csv, HISTORY_COLUMNS, STATS_COLUMNS};
use engine::{BoxFuture, RunConfig, Runner, Scenario, StatsSnapshot, User, UserContext, Wait};

struct Pinger;
struct PingUser {
    index: u64,
    round: u64,
}

impl Scenario for Pinger {
    fn name(&self) -> &str {
        "pinger"
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("ping", 3), ("message", 1)]
    }
    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(PingUser { index, round: 0 })
    }
}

impl User for PingUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let took = Duration::from_millis(50 + self.index * 7);
            ctx.timed("ws", "startup", async move {
                tokio::time::sleep(took).await;
                Ok::<(), String>(())
            })
            .await
        })
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.round += 1;
            // Latencies that vary by user and round, with a failure every 10th round.
            let took =
                Duration::from_micros(1_000 + (self.index * 313 + self.round * 977) % 40_000);
            let fails = self.round % 10 == 0;
            let _ = ctx
                .timed("ws", task, async move {
                    tokio::time::sleep(took).await;
                    if fails {
                        Err("no answer, \"timeout\"")
                    } else {
                        Ok(())
                    }
                })
                .await;
        })
    }
}

/// Python's csv reader, for the excel dialect our files use.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

#[tokio::test(start_paused = true)]
async fn csv_rows_agree_with_the_json() {
    let config = RunConfig {
        users: 20,
        spawn_rate: 10.0,
        run_time: Some(Duration::from_secs(15)),
        wait: Wait::between(0.05, 0.2),
        seed: Some(1),
        ..RunConfig::default()
    };
    let (handle, run) = Runner::start(Arc::new(Pinger), config).expect("valid config");
    let final_stats = run.await.expect("run ends");
    let history = handle.history();

    let dir = testbed::scratch_dir("engine-csv-json");
    let prefix = dir.join("run");
    let files = write_locust_csv(&prefix, &final_stats, &history).expect("CSV written");
    assert_eq!(files.len(), 4);
    let json = to_json(&final_stats).expect("JSON");
    let from_json: StatsSnapshot = from_json(&json).expect("JSON reads back");
    assert_eq!(
        from_json, final_stats,
        "JSON reads back to the very same figures"
    );

    let read = |suffix: &str| {
        let path = format!("{}{suffix}", prefix.display());
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let stats = parse_csv(&read("_stats.csv"));
    assert_eq!(stats[0], STATS_COLUMNS);
    let json_rows: Vec<_> = from_json.entries.iter().chain([&from_json.total]).collect();
    assert_eq!(stats.len() - 1, json_rows.len());
    assert_eq!(json_rows.len(), 4, "startup, ping, message, Aggregated");
    for (row, entry) in stats[1..].iter().zip(&json_rows) {
        let column: HashMap<&str, &str> = STATS_COLUMNS
            .iter()
            .copied()
            .zip(row.iter().map(String::as_str))
            .collect();
        assert_eq!(column["Type"], entry.kind);
        assert_eq!(column["Name"], entry.name);
        assert_eq!(number(column["Request Count"]) as u64, entry.num_requests);
        assert_eq!(number(column["Failure Count"]) as u64, entry.num_failures);
        assert_eq!(
            number(column["Median Response Time"]) as u64,
            entry.median_ms
        );
        assert_eq!(number(column["Average Response Time"]), entry.avg_ms);
        assert_eq!(
            number(column["Min Response Time"]),
            entry.min_ms.unwrap_or(0.0)
        );
        assert_eq!(
            number(column["Max Response Time"]),
            entry.max_ms.unwrap_or(0.0)
        );
        assert_eq!(number(column["Requests/s"]), entry.requests_per_s);
        assert_eq!(number(column["Failures/s"]), entry.failures_per_s);
        for p in &entry.percentiles_ms {
            assert_eq!(
                number(column[p.label.as_str()]) as u64,
                p.ms,
                "{} {}",
                entry.name,
                p.label
            );
        }
    }
    let ping = &json_rows
        .iter()
        .find(|e| e.name == "ping")
        .expect("ping row");
    let message = &json_rows
        .iter()
        .find(|e| e.name == "message")
        .expect("message row");
    assert!(ping.num_requests > 2 * message.num_requests, "3:1 weights");
    assert!(ping.num_failures > 0);

    let failures = parse_csv(&read("_failures.csv"));
    assert_eq!(failures.len() - 1, from_json.failures.len());
    for (row, failure) in failures[1..].iter().zip(&from_json.failures) {
        assert_eq!(row[0], failure.kind);
        assert_eq!(row[1], failure.name);
        assert_eq!(row[2], failure.error);
        assert_eq!(number(&row[3]) as u64, failure.occurrences);
    }
    let total_failures: u64 = from_json.failures.iter().map(|f| f.occurrences).sum();
    assert_eq!(total_failures, from_json.total.num_failures);

    let history_rows = parse_csv(&read("_stats_history.csv"));
    assert_eq!(history_rows[0], HISTORY_COLUMNS);
    // Per timestamp: one row per entry known then, and the Aggregated row.
    let expected: usize = history.iter().map(|r| r.entries.len() + 1).sum();
    assert_eq!(history_rows.len() - 1, expected);
    let last = history_rows.last().expect("a final history row");
    assert_eq!(last[3], "Aggregated");
    assert_eq!(number(&last[17]) as u64, final_stats.total.num_requests);
    // The user count over time follows the ramp: 10 per second up to 20.
    let users_at: Vec<usize> = history.iter().map(|r| r.user_count).collect();
    assert_eq!(users_at[0], 1, "{users_at:?}");
    assert!(
        users_at[1..3].iter().all(|n| (10..=20).contains(n)),
        "{users_at:?}"
    );
    assert!(users_at[3..14].iter().all(|n| *n == 20), "{users_at:?}");
}
