//! What was recorded since the previous report, for a Locust worker.
//!
//! A Locust worker sends the master, every few seconds, each entry's figures since its last report
//! (`StatsEntry.get_stripped_report`) and the errors since then. These types carry exactly those
//! figures; the `locust` crate renames them into Locust's dict keys and MessagePack at the edge.
//! The cumulative stats are not touched by taking an interval.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::entry::{EntryState, IntervalAcc};
use super::snapshot::AGGREGATED_NAME;

/// Everything recorded since the previous `take_interval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalStats {
    /// Entries with at least one request or failure in the interval (Locust leaves out the others).
    pub entries: Vec<IntervalEntry>,
    /// All entries together; always present, as Locust's `stats_total`.
    pub total: IntervalEntry,
    /// Errors in the interval, by (kind, name, error text).
    pub errors: Vec<IntervalError>,
}

/// One entry's figures for the interval, in the units of Locust's `StatsEntry` fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalEntry {
    /// Locust's `method`.
    pub kind: String,
    pub name: String,
    /// Unix time the interval began (Locust's `start_time` after a reset).
    pub start_time: f64,
    pub last_request_timestamp: Option<f64>,
    pub num_requests: u64,
    /// Requests without a response time (Locust's `num_none_requests`).
    pub num_none_requests: u64,
    pub num_failures: u64,
    pub total_response_time_ms: f64,
    /// None when there was no timed request in the interval (Locust sends `None` too).
    pub min_response_time_ms: Option<f64>,
    pub max_response_time_ms: f64,
    /// `{rounded_ms: count}`, rounded exactly as Locust's `bucket_response_time`.
    pub response_times: BTreeMap<u64, u64>,
    /// `{unix_second: count}`.
    pub num_reqs_per_sec: BTreeMap<u64, u64>,
    pub num_fail_per_sec: BTreeMap<u64, u64>,
}

/// One error text's occurrences in the interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalError {
    pub kind: String,
    pub name: String,
    pub error: String,
    pub occurrences: u64,
    pub first_seen: f64,
    pub last_seen: f64,
}

impl IntervalStats {
    /// An interval with nothing in it whose total starts at `now` (a Locust worker with no run
    /// still reports every interval; starting at `now` moves no start time back).
    pub fn empty(now: f64) -> Self {
        IntervalStats {
            entries: Vec::new(),
            total: IntervalEntry::empty("", "Aggregated", now),
            errors: Vec::new(),
        }
    }
}

impl IntervalEntry {
    /// An entry with no requests yet, starting at `start_time`.
    pub fn empty(kind: &str, name: &str, start_time: f64) -> Self {
        IntervalEntry {
            kind: kind.to_owned(),
            name: name.to_owned(),
            start_time,
            last_request_timestamp: None,
            num_requests: 0,
            num_none_requests: 0,
            num_failures: 0,
            total_response_time_ms: 0.0,
            min_response_time_ms: None,
            max_response_time_ms: 0.0,
            response_times: BTreeMap::new(),
            num_reqs_per_sec: BTreeMap::new(),
            num_fail_per_sec: BTreeMap::new(),
        }
    }

    /// Adds another entry's interval figures (for the aggregate).
    fn absorb(&mut self, other: &IntervalEntry) {
        self.start_time = self.start_time.min(other.start_time);
        self.last_request_timestamp =
            match (self.last_request_timestamp, other.last_request_timestamp) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        self.num_requests += other.num_requests;
        self.num_none_requests += other.num_none_requests;
        self.num_failures += other.num_failures;
        self.total_response_time_ms += other.total_response_time_ms;
        self.min_response_time_ms = match (self.min_response_time_ms, other.min_response_time_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_response_time_ms = self.max_response_time_ms.max(other.max_response_time_ms);
        for (map, theirs) in [
            (&mut self.response_times, &other.response_times),
            (&mut self.num_reqs_per_sec, &other.num_reqs_per_sec),
            (&mut self.num_fail_per_sec, &other.num_fail_per_sec),
        ] {
            for (key, n) in theirs {
                *map.entry(*key).or_insert(0) += n;
            }
        }
    }
}

fn from_acc(entry: &EntryState, acc: &IntervalAcc) -> IntervalEntry {
    IntervalEntry {
        kind: entry.kind.clone(),
        name: entry.name.clone(),
        start_time: acc.start_time,
        last_request_timestamp: acc.last_sample,
        num_requests: acc.requests,
        num_none_requests: acc.untimed,
        num_failures: acc.failures,
        total_response_time_ms: acc.sum_us as f64 / 1_000.0,
        min_response_time_ms: acc.min_us.map(|us| us as f64 / 1_000.0),
        max_response_time_ms: acc.max_us as f64 / 1_000.0,
        response_times: acc.buckets.to_map(),
        num_reqs_per_sec: acc.requests_per_second.iter().copied().collect(),
        num_fail_per_sec: acc.failures_per_second.iter().copied().collect(),
    }
}

/// Takes every entry's interval figures, leaving fresh ones that start at `now`.
pub(crate) fn take(entries: &mut [EntryState], previous_start: f64, now: f64) -> IntervalStats {
    let mut taken = Vec::new();
    let mut errors = Vec::new();
    let mut total = IntervalEntry::empty("", AGGREGATED_NAME, previous_start);
    for entry in entries.iter_mut() {
        let acc = std::mem::replace(&mut entry.interval, IntervalAcc::new(now));
        if acc.requests == 0 && acc.failures == 0 {
            continue;
        }
        let figures = from_acc(entry, &acc);
        total.absorb(&figures);
        taken.push(figures);
        for (error, count) in acc.errors.by_text {
            errors.push(IntervalError {
                kind: entry.kind.clone(),
                name: entry.name.clone(),
                error,
                occurrences: count.occurrences,
                first_seen: count.first_seen,
                last_seen: count.last_seen,
            });
        }
    }
    taken.sort_by(|a, b| (&a.name, &a.kind).cmp(&(&b.name, &b.kind)));
    errors.sort_by(|a, b| (&a.name, &a.kind, &a.error).cmp(&(&b.name, &b.kind, &b.error)));
    IntervalStats {
        entries: taken,
        total,
        errors,
    }
}
