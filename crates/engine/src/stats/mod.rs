//! The one stats model of akrida: samples in, snapshots / intervals / history rows out.
//!
//! Users record samples from many tasks on a few worker threads, so recording takes one short
//! lock: the entry lookup, an HDR record and a few counter increments (see the `bench_record`
//! example for its cost). Anything that scans (percentiles, rates, the aggregate) works on a copy
//! taken under the lock and is computed after it is released.

mod buckets;
mod clock;
mod entry;
mod history;
mod interval;
mod snapshot;
mod window;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use buckets::{locust_bucket_ms, LocustBuckets};
pub use clock::Clock;
pub use entry::{MAX_ERROR_TEXTS, OVERFLOW_ERROR_TEXT};
pub use history::{HistoryEntry, HistoryRow};
pub use interval::{IntervalEntry, IntervalError, IntervalStats};
pub use snapshot::{
    is_open_model_kind, EntryStats, FailureStats, PercentileValue, SecondCounts, StatsSnapshot,
    UserLifecycle, AGGREGATED_NAME, CURRENT_WINDOW_SECONDS, ITERATION_KIND, MISSED_ITERATIONS,
    PERCENTILES, QUEUE_KIND,
};
pub use window::StatsMark;

use crate::trace::ThreadLog;
use entry::EntryState;
use snapshot::{EntryCopy, Series};

/// Thread-safe stats of one run. Share it with `Arc`.
pub struct Stats {
    clock: Clock,
    inner: Mutex<Recorder>,
    /// Which DIDComm thread traced samples were about (kept only when a trace collector runs).
    message_threads: ThreadLog,
    /// The delivery verdict, once a scenario that counts deliveries has given it.
    delivery: Mutex<Option<delivery::DeliveryReport>>,
}

/// One entry's cumulative latency histogram (see [`Stats::latency_histograms`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyHistogram {
    pub kind: String,
    pub name: String,
    /// (upper bound in ms, timed samples at or below it), cumulative as Prometheus wants.
    pub buckets: Vec<(f64, u64)>,
    /// Timed samples.
    pub count: u64,
    pub sum_ms: f64,
    /// All samples and failed samples (counters).
    pub requests: u64,
    pub failures: u64,
}

/// The state behind the lock.
struct Recorder {
    /// kind → name → position in `entries`; nested so a lookup by two `&str` allocates nothing.
    index: HashMap<String, HashMap<String, usize>>,
    entries: Vec<EntryState>,
    /// Named event counts that are not requests (e.g. messages drained after a reconnect).
    counters: HashMap<String, u64>,
    /// When the current worker interval began.
    interval_start: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// Empty stats whose clock starts now.
    pub fn new() -> Self {
        Self::with_clock(Clock::now())
    }

    /// Empty stats on a given clock (tests anchor it at a whole second).
    pub fn with_clock(clock: Clock) -> Self {
        Stats {
            clock,
            inner: Mutex::new(Recorder {
                index: HashMap::new(),
                entries: Vec::new(),
                counters: HashMap::new(),
                interval_start: clock.start_unix(),
            }),
            message_threads: ThreadLog::default(),
            delivery: Mutex::new(None),
        }
    }

    /// Which message thread (a protocol's conversation id, e.g. a DIDComm `~thread`) each
    /// sample was about, for joining server trace events (see [`crate::trace`]). Not OS threads.
    pub fn message_threads(&self) -> &ThreadLog {
        &self.message_threads
    }

    /// Sets the run's delivery verdict (a scenario's `finish` gives it once every holder has
    /// drained), which snapshots carry and thresholds judge. Given again, it replaces the last.
    pub fn set_delivery(&self, mut report: delivery::DeliveryReport) {
        report.started_unix = Some(self.clock.start_unix());
        *self
            .delivery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
    }

    /// The clock samples are stamped with.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Records one sample with its response time; `error` is the failure's text, None on success.
    pub fn record(&self, kind: &str, name: &str, latency: Duration, error: Option<&str>) {
        // Saturates after ~584 000 years of latency; no real sample gets there.
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.record_sample(kind, name, Some(micros), error);
    }

    /// Records a sample that has no response time, e.g. a user that panicked. It counts as a
    /// request (and a failure when `error` is set) but not in latency figures.
    pub fn record_untimed(&self, kind: &str, name: &str, error: Option<&str>) {
        self.record_sample(kind, name, None, error);
    }

    /// Adds `n` to the counter `name`: events worth counting that are not requests with a
    /// response time (messages drained after a reconnect, dropped sockets, ...). Counters appear in
    /// the JSON and the terminal table; Locust's CSV files have no place for them.
    pub fn count(&self, name: &str, n: u64) {
        let mut recorder = self.lock();
        match recorder.counters.get_mut(name) {
            Some(count) => *count = count.saturating_add(n),
            None => {
                recorder.counters.insert(name.to_owned(), n);
            }
        }
    }

    fn record_sample(&self, kind: &str, name: &str, micros: Option<u64>, error: Option<&str>) {
        let now = self.clock.unix_now();
        let mut recorder = self.lock();
        let position = match recorder.index.get(kind).and_then(|names| names.get(name)) {
            Some(position) => *position,
            None => recorder.add_entry(kind, name),
        };
        recorder.entries[position].record(now, micros, error);
    }

    /// The figures of the run so far, with the per-second series. `user_count`,
    /// `target_user_count` and `users` are left at zero: they belong to the runner, whose
    /// `RunHandle::stats` fills them in.
    pub fn snapshot(&self) -> StatsSnapshot {
        self.snapshot_with(Series::Full)
    }

    /// Like [`Stats::snapshot`] but with empty `per_second` series: cheap at any run length, for
    /// history rows and live tables.
    pub fn summary(&self) -> StatsSnapshot {
        self.snapshot_with(Series::RecentOnly)
    }

    fn snapshot_with(&self, series: Series) -> StatsSnapshot {
        let now = self.clock.unix_now();
        let (copies, counters): (Vec<EntryCopy>, _) = {
            let recorder = self.lock();
            let copies = recorder
                .entries
                .iter()
                .map(|e| EntryCopy::of(e, now, series))
                .collect();
            (copies, recorder.counters.clone())
        };
        let mut snapshot = snapshot::build(copies, self.clock.start_unix(), now, series);
        snapshot.counters = counters.into_iter().collect();
        if series == Series::Full {
            snapshot.delivery = self
                .delivery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
        }
        snapshot
    }

    /// Cumulative latency histograms of every entry at the given upper bounds (in milliseconds,
    /// ascending), for Prometheus: for each entry, how many timed samples were at or below each
    /// bound, their count and their sum. Exact to the HDR histogram's 0.1 %.
    pub fn latency_histograms(&self, bounds_ms: &[f64]) -> Vec<LatencyHistogram> {
        let recorder = self.lock();
        recorder
            .entries
            .iter()
            .map(|e| {
                let buckets = bounds_ms
                    .iter()
                    .map(|ms| {
                        let us = (ms * 1_000.0).max(0.0) as u64;
                        let below = if e.histogram.is_empty() {
                            0
                        } else {
                            e.histogram.count_between(0, us)
                        };
                        (*ms, below)
                    })
                    .collect();
                LatencyHistogram {
                    kind: e.kind.clone(),
                    name: e.name.clone(),
                    buckets,
                    count: e.requests - e.untimed,
                    sum_ms: e.sum_us as f64 / 1_000.0,
                    requests: e.requests,
                    failures: e.failures,
                }
            })
            .collect()
    }

    /// What was recorded since the previous call (or since the start), for a Locust worker.
    /// The cumulative figures stay as they are.
    pub fn take_interval(&self) -> IntervalStats {
        let now = self.clock.unix_now();
        let mut recorder = self.lock();
        let previous_start = std::mem::replace(&mut recorder.interval_start, now);
        interval::take(&mut recorder.entries, previous_start, now)
    }

    fn lock(&self) -> MutexGuard<'_, Recorder> {
        // Nothing that can panic runs under this lock; if something ever did, the counts are still
        // consistent enough to report, and losing the report would be worse.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Recorder {
    fn add_entry(&mut self, kind: &str, name: &str) -> usize {
        let position = self.entries.len();
        self.entries
            .push(EntryState::new(kind, name, self.interval_start));
        self.index
            .entry(kind.to_owned())
            .or_default()
            .insert(name.to_owned(), position);
        position
    }
}

#[cfg(test)]
mod tests;
