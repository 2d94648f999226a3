//! The figures of a run at one moment: what the JSON output, the CSV files and the terminal table
//! are made from, so they cannot disagree.
//!
//! Times are unix seconds (f64); response times are milliseconds, as Locust prints them: floats for
//! average, minimum and maximum (kept to the microsecond), whole milliseconds for percentiles.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::buckets::LocustBuckets;
use super::entry::{new_histogram, EntryState, ErrorTable, PerSecond};

/// The percentiles Locust reports (`PERCENTILES_TO_REPORT`), with the column labels it prints.
pub const PERCENTILES: [(f64, &str); 11] = [
    (0.5, "50%"),
    (0.66, "66%"),
    (0.75, "75%"),
    (0.8, "80%"),
    (0.9, "90%"),
    (0.95, "95%"),
    (0.98, "98%"),
    (0.99, "99%"),
    (0.999, "99.9%"),
    (0.9999, "99.99%"),
    (1.0, "100%"),
];

/// Seconds over which "current" rates and percentiles are taken (Locust's window).
pub const CURRENT_WINDOW_SECONDS: u64 = 10;

/// Kind of the open model's per-iteration samples, timed from when the iteration was due (so they
/// include queueing behind busy users). Not part of the "Aggregated" row: each iteration's own
/// requests already are.
pub const ITERATION_KIND: &str = "iteration";

/// Kind of the open model's queueing delays (due → started), one per iteration, recorded as it
/// starts, named after the task. Not part of the "Aggregated" row either.
pub const QUEUE_KIND: &str = "queue";

/// Counter of open-model iterations that were due but never started before the run ended.
pub const MISSED_ITERATIONS: &str = "open_iterations_missed";

/// Whether an entry is one of the open model's bookkeeping entries, left out of the aggregate.
pub fn is_open_model_kind(kind: &str) -> bool {
    kind == ITERATION_KIND || kind == QUEUE_KIND
}

/// Name Locust gives the row that sums all entries.
pub const AGGREGATED_NAME: &str = "Aggregated";

/// Stats of the whole run at the moment it was taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    /// When the stats began (the run's start), unix seconds.
    pub start_time: f64,
    /// When this snapshot was taken, unix seconds.
    pub taken_at: f64,
    /// When the last sample of any entry finished; rates over the run divide by (this − start).
    pub last_request_timestamp: Option<f64>,
    /// Users running (started or starting, not asked to stop) when the snapshot was taken.
    pub user_count: usize,
    /// Users the run was aiming for.
    pub target_user_count: usize,
    /// What happened to users over the run.
    pub users: UserLifecycle,
    /// One per (kind, name), sorted by name then kind, as Locust sorts its rows.
    pub entries: Vec<EntryStats>,
    /// All entries together (kind "", name "Aggregated").
    pub total: EntryStats,
    /// Failures grouped by (kind, name, error text), as in Locust's failures.csv.
    pub failures: Vec<FailureStats>,
    /// Named event counts that are not requests (see `Stats::count`).
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    /// Per-message delivery accounting, for scenarios that keep it (`Stats::set_delivery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<delivery::DeliveryReport>,
}

/// Counts of what happened to the run's users (not requests; see the README of the engine).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLifecycle {
    /// Users created.
    pub spawned: u64,
    /// Users whose `on_start` succeeded.
    pub started: u64,
    /// Failed `on_start` attempts (each one is retried after a wait).
    pub start_failures: u64,
    /// `on_start` attempts still running when the user was stopped (the run's end, or fewer
    /// users): neither a success nor a failure, and without this count they would be invisible.
    #[serde(default)]
    pub starts_cut_short: u64,
    /// Users that panicked; they are counted as a ("user", "panic") failure and not replaced.
    pub panicked: u64,
    /// Users that finished after being asked to stop.
    pub stopped: u64,
    /// Users whose `on_stop` did not finish within the stop timeout.
    pub on_stop_timeouts: u64,
}

/// Figures of one (kind, name) entry, or of the aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryStats {
    /// Locust's "Type" / "Method" column.
    pub kind: String,
    pub name: String,
    pub num_requests: u64,
    pub num_failures: u64,
    /// Requests without a response time (a panicked user); excluded from latency figures.
    pub num_untimed_requests: u64,
    pub fail_ratio: f64,
    pub avg_ms: f64,
    /// None when there was no timed request.
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub median_ms: u64,
    /// Over the whole run, from the HDR histogram; empty when there was no timed request.
    pub percentiles_ms: Vec<PercentileValue>,
    /// Over the last ~10 s from Locust's buckets (as Locust's charts); empty when
    /// `num_requests` is 0, zeros when there were requests but none recently.
    pub current_percentiles_ms: Vec<PercentileValue>,
    /// Over the run: requests ÷ (last request − start), as Locust computes it.
    pub requests_per_s: f64,
    pub failures_per_s: f64,
    /// Average over the last complete seconds of the window.
    pub current_requests_per_s: f64,
    pub current_failures_per_s: f64,
    pub first_sample: Option<f64>,
    pub last_sample: Option<f64>,
    /// Requests and failures per unix second (only seconds that had any).
    pub per_second: Vec<SecondCounts>,
}

/// One percentile: the fraction (0.5), Locust's label ("50%") and the value in whole milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PercentileValue {
    pub quantile: f64,
    pub label: String,
    pub ms: u64,
}

/// Counts of one unix second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondCounts {
    pub t: u64,
    pub requests: u64,
    pub failures: u64,
}

/// One row of Locust's failures.csv.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureStats {
    pub kind: String,
    pub name: String,
    pub error: String,
    pub occurrences: u64,
    pub first_seen: f64,
    pub last_seen: f64,
}

impl EntryStats {
    /// A named percentile's value, e.g. `percentile_ms(0.95)`.
    pub fn percentile_ms(&self, quantile: f64) -> Option<u64> {
        self.percentiles_ms
            .iter()
            .find(|p| p.quantile == quantile)
            .map(|p| p.ms)
    }
}

/// Whether a snapshot carries the per-second series of the whole run. History rows, taken every
/// second, do not need it, and copying it each time would cost O(run length) per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Full,
    RecentOnly,
}

/// A copy of one entry taken under the stats lock, to compute figures without holding it.
pub(crate) struct EntryCopy {
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) histogram: Histogram<u64>,
    pub(super) requests: u64,
    pub(super) untimed: u64,
    pub(super) failures: u64,
    pub(super) sum_us: u64,
    pub(super) min_us: Option<u64>,
    pub(super) max_us: u64,
    pub(super) first_sample: Option<f64>,
    pub(super) last_sample: Option<f64>,
    pub(super) per_second: PerSecond,
    pub(super) recent_window: LocustBuckets,
    pub(super) errors: ErrorTable,
}

impl EntryCopy {
    /// Copies what the figures need; `now` picks the recent seconds for current figures.
    /// Without `series`, only the recent seconds of the per-second counts are copied.
    pub fn of(entry: &EntryState, now: f64, series: Series) -> Self {
        let now_second = now as u64;
        let window_start = now_second.saturating_sub(CURRENT_WINDOW_SECONDS);
        EntryCopy {
            kind: entry.kind.clone(),
            name: entry.name.clone(),
            histogram: entry.histogram.clone(),
            requests: entry.requests,
            untimed: entry.untimed,
            failures: entry.failures,
            sum_us: entry.sum_us,
            min_us: entry.min_us,
            max_us: entry.max_us,
            first_sample: entry.first_sample,
            last_sample: entry.last_sample,
            per_second: match series {
                Series::Full => entry.per_second.clone(),
                Series::RecentOnly => entry.per_second.tail(window_start),
            },
            recent_window: entry.recent.window(window_start, now_second),
            errors: entry.errors.clone(),
        }
    }

    /// The sum of all entries: Locust's "Aggregated" row.
    fn aggregate<'a>(entries: impl Iterator<Item = &'a EntryCopy>) -> Self {
        let mut total = EntryCopy {
            kind: String::new(),
            name: AGGREGATED_NAME.to_owned(),
            histogram: new_histogram(),
            requests: 0,
            untimed: 0,
            failures: 0,
            sum_us: 0,
            min_us: None,
            max_us: 0,
            first_sample: None,
            last_sample: None,
            per_second: PerSecond::default(),
            recent_window: LocustBuckets::default(),
            errors: ErrorTable::default(),
        };
        for entry in entries {
            if let Err(error) = total.histogram.add(&entry.histogram) {
                // Cannot happen with auto-resizing histograms of one precision; if it did, the
                // aggregate percentiles would miss this entry, so say so rather than hide it.
                tracing::warn!(entry = %entry.name, %error, "aggregate percentiles miss an entry");
            }
            total.requests += entry.requests;
            total.untimed += entry.untimed;
            total.failures += entry.failures;
            total.sum_us = total.sum_us.saturating_add(entry.sum_us);
            total.min_us = match (total.min_us, entry.min_us) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            total.max_us = total.max_us.max(entry.max_us);
            total.first_sample = min_option(total.first_sample, entry.first_sample);
            total.last_sample = max_option(total.last_sample, entry.last_sample);
            // With `Series::RecentOnly` these are short tails, so the merge stays cheap.
            total.per_second.merge(&entry.per_second);
            total.recent_window.merge(&entry.recent_window);
        }
        total
    }
}

fn min_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_option(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Microseconds to whole milliseconds, rounding halves up.
fn whole_ms(micros: u64) -> u64 {
    (micros + 500) / 1_000
}

/// The times every entry's rates are measured against.
struct RunTimes {
    start_time: f64,
    last_request_timestamp: Option<f64>,
    now: f64,
}

impl RunTimes {
    /// Locust's `total_rps`: count ÷ (last request − start), 0 when that span is empty.
    fn per_second_over_run(&self, count: u64) -> f64 {
        match self.last_request_timestamp {
            Some(last) if last > self.start_time && self.start_time > 0.0 => {
                count as f64 / (last - self.start_time)
            }
            _ => 0.0,
        }
    }

    /// Average per second over the complete seconds of the current window (0 when there are none).
    fn current_per_second(&self, per_second: &PerSecond) -> [f64; 2] {
        let now_second = self.now as u64;
        let from = now_second
            .saturating_sub(CURRENT_WINDOW_SECONDS)
            .max(self.start_time as u64);
        if from >= now_second {
            return [0.0, 0.0];
        }
        let seconds = (now_second - from) as f64;
        let (requests, failures) = (from..now_second)
            .map(|s| per_second.get(s))
            .fold((0, 0), |(r, f), [sr, sf]| (r + sr, f + sf));
        [requests as f64 / seconds, failures as f64 / seconds]
    }
}

fn entry_stats(copy: &EntryCopy, times: &RunTimes) -> EntryStats {
    let timed = copy.requests - copy.untimed;
    let percentiles_ms = if copy.histogram.is_empty() {
        Vec::new()
    } else {
        let min = copy.min_us.unwrap_or(0);
        PERCENTILES
            .iter()
            .map(|(quantile, label)| {
                // HDR reports the top of a value's 0.1 % bucket; clamping to the exact extremes
                // keeps "100%" equal to the maximum and no percentile below the minimum.
                let micros = copy
                    .histogram
                    .value_at_quantile(*quantile)
                    .clamp(min, copy.max_us);
                PercentileValue {
                    quantile: *quantile,
                    label: (*label).to_owned(),
                    ms: whole_ms(micros),
                }
            })
            .collect()
    };
    let current_percentiles_ms = if copy.requests == 0 {
        Vec::new()
    } else {
        PERCENTILES
            .iter()
            .map(|(quantile, label)| PercentileValue {
                quantile: *quantile,
                label: (*label).to_owned(),
                ms: copy.recent_window.percentile(*quantile),
            })
            .collect()
    };
    let [current_requests_per_s, current_failures_per_s] =
        times.current_per_second(&copy.per_second);
    EntryStats {
        kind: copy.kind.clone(),
        name: copy.name.clone(),
        num_requests: copy.requests,
        num_failures: copy.failures,
        num_untimed_requests: copy.untimed,
        fail_ratio: match (copy.requests, copy.failures) {
            (0, 0) => 0.0,
            (0, _) => 1.0,
            (r, f) => f as f64 / r as f64,
        },
        avg_ms: if timed == 0 {
            0.0
        } else {
            copy.sum_us as f64 / timed as f64 / 1_000.0
        },
        min_ms: copy.min_us.map(|us| us as f64 / 1_000.0),
        max_ms: copy.min_us.map(|_| copy.max_us as f64 / 1_000.0),
        median_ms: percentiles_ms.first().map_or(0, |p| p.ms),
        percentiles_ms,
        current_percentiles_ms,
        requests_per_s: times.per_second_over_run(copy.requests),
        failures_per_s: times.per_second_over_run(copy.failures),
        current_requests_per_s,
        current_failures_per_s,
        first_sample: copy.first_sample,
        last_sample: copy.last_sample,
        per_second: copy
            .per_second
            .iter()
            .map(|(t, requests, failures)| SecondCounts {
                t,
                requests,
                failures,
            })
            .collect(),
    }
}

/// Builds a snapshot from copies of all entries. User counts are filled in by the runner.
pub(crate) fn build(
    mut copies: Vec<EntryCopy>,
    start_time: f64,
    now: f64,
    series: Series,
) -> StatsSnapshot {
    copies.sort_by(|a, b| (&a.name, &a.kind).cmp(&(&b.name, &b.kind)));
    let total = EntryCopy::aggregate(copies.iter().filter(|c| !is_open_model_kind(&c.kind)));
    let times = RunTimes {
        start_time,
        last_request_timestamp: total.last_sample,
        now,
    };
    let mut failures: Vec<FailureStats> = copies
        .iter()
        .flat_map(|copy| {
            copy.errors
                .by_text
                .iter()
                .map(|(error, count)| FailureStats {
                    kind: copy.kind.clone(),
                    name: copy.name.clone(),
                    error: error.clone(),
                    occurrences: count.occurrences,
                    first_seen: count.first_seen,
                    last_seen: count.last_seen,
                })
        })
        .collect();
    failures.sort_by(|a, b| (&a.name, &a.kind, &a.error).cmp(&(&b.name, &b.kind, &b.error)));
    let mut total = entry_stats(&total, &times);
    if series == Series::RecentOnly {
        total.per_second.clear();
    }
    let mut entries: Vec<EntryStats> = copies.iter().map(|c| entry_stats(c, &times)).collect();
    if series == Series::RecentOnly {
        entries.iter_mut().for_each(|e| e.per_second.clear());
    }
    StatsSnapshot {
        start_time,
        taken_at: now,
        last_request_timestamp: total.last_sample,
        user_count: 0,
        target_user_count: 0,
        users: UserLifecycle::default(),
        entries,
        total,
        failures,
        counters: BTreeMap::new(),
        delivery: None,
    }
}
