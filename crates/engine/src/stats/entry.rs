//! What is accumulated for one (kind, name) entry while a run goes on.
//!
//! Everything here is mutated under the stats lock, so each method does the least it can:
//! array increments and one HDR record. Figures that need a scan (percentiles, rates) are computed
//! later from a copy, outside the lock (see `snapshot.rs`).

use std::collections::{HashMap, VecDeque};

use hdrhistogram::Histogram;

use super::buckets::LocustBuckets;

/// Seconds of recent samples kept for "current" figures (Locust's
/// `CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW` is 10 s; two more absorb the partial seconds at both ends).
pub const RECENT_SECONDS: u64 = 12;

/// Distinct error texts kept per entry. Error texts that embed ids or times would otherwise grow the
/// table without bound over a long run; past the cap they are counted under one catch-all text.
pub const MAX_ERROR_TEXTS: usize = 1_000;

/// The error text under which errors past [`MAX_ERROR_TEXTS`] are counted.
pub const OVERFLOW_ERROR_TEXT: &str = "(more distinct error texts than akrida keeps; counted here)";

/// Creates the HDR histogram every entry uses: microseconds, 3 significant digits (0.1 %), growing
/// as larger values arrive, so a 2 ms ping and a 2 minute timeout are both kept exactly enough.
pub fn new_histogram() -> Histogram<u64> {
    // Three significant digits is a constant the crate always accepts; a failure here is a bug.
    Histogram::new(3).expect("3 significant digits is a valid HDR histogram precision")
}

/// Request and failure counts per unix second, from the entry's first sample on.
#[derive(Clone, Default)]
pub struct PerSecond {
    first_second: u64,
    counts: Vec<[u64; 2]>,
}

impl PerSecond {
    pub fn record(&mut self, second: u64, failed: bool) {
        if self.counts.is_empty() {
            self.first_second = second;
        }
        // Two threads can take their timestamps in one order and the lock in the other; a sample
        // that lands a moment "before" the first second is counted in the first second.
        let slot = second.saturating_sub(self.first_second) as usize;
        if slot >= self.counts.len() {
            self.counts.resize(slot + 1, [0, 0]);
        }
        self.counts[slot][0] += 1;
        if failed {
            self.counts[slot][1] += 1;
        }
    }

    /// (unix second, requests, failures) for every second that had a sample.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| c[0] > 0 || c[1] > 0)
            .map(|(i, c)| (self.first_second + i as u64, c[0], c[1]))
    }

    /// Counts of one second (zero when nothing happened in it).
    pub fn get(&self, second: u64) -> [u64; 2] {
        if self.counts.is_empty() || second < self.first_second {
            return [0, 0];
        }
        self.counts
            .get((second - self.first_second) as usize)
            .copied()
            .unwrap_or([0, 0])
    }

    /// Only the seconds from `from` on: what "current" rates need, without copying a long run.
    pub fn tail(&self, from: u64) -> PerSecond {
        let skip = from.saturating_sub(self.first_second) as usize;
        PerSecond {
            first_second: self.first_second.max(from),
            counts: self.counts.get(skip..).unwrap_or_default().to_vec(),
        }
    }

    pub fn merge(&mut self, other: &PerSecond) {
        for (second, requests, failures) in other.iter() {
            if self.counts.is_empty() || second < self.first_second {
                self.rebase(second);
            }
            let slot = (second - self.first_second) as usize;
            if slot >= self.counts.len() {
                self.counts.resize(slot + 1, [0, 0]);
            }
            self.counts[slot][0] += requests;
            self.counts[slot][1] += failures;
        }
    }

    /// Moves the first second earlier, shifting the counts.
    fn rebase(&mut self, second: u64) {
        if self.counts.is_empty() {
            self.first_second = second;
            return;
        }
        let shift = (self.first_second - second) as usize;
        let mut counts = vec![[0, 0]; shift];
        counts.extend_from_slice(&self.counts);
        self.counts = counts;
        self.first_second = second;
    }
}

/// Locust buckets for each of the last [`RECENT_SECONDS`] seconds, for "current" percentiles.
#[derive(Clone, Default)]
pub struct Recent {
    seconds: VecDeque<(u64, LocustBuckets)>,
}

impl Recent {
    pub fn record(&mut self, second: u64, micros: u64) {
        match self.seconds.back_mut() {
            Some((last, buckets)) if *last >= second => {
                // Same second, or a sample a moment late to the lock: counted in the newest second.
                buckets.record(micros);
                return;
            }
            _ => {}
        }
        // Reuse the oldest second's allocation once the window is full.
        let mut buckets = if self.seconds.len() as u64 >= RECENT_SECONDS {
            let (_, mut old) = self.seconds.pop_front().unwrap_or_default();
            old.clear();
            old
        } else {
            LocustBuckets::default()
        };
        buckets.record(micros);
        self.seconds.push_back((second, buckets));
    }

    /// All samples of seconds in `from..=to`, merged.
    pub fn window(&self, from: u64, to: u64) -> LocustBuckets {
        let mut merged = LocustBuckets::default();
        for (second, buckets) in &self.seconds {
            if (from..=to).contains(second) {
                merged.merge(buckets);
            }
        }
        merged
    }
}

/// How often one error text was seen, and when first and last (unix seconds).
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorCount {
    pub occurrences: u64,
    pub first_seen: f64,
    pub last_seen: f64,
}

/// Error texts of one entry with their counts.
#[derive(Clone, Default)]
pub struct ErrorTable {
    pub by_text: HashMap<String, ErrorCount>,
}

impl ErrorTable {
    pub fn record(&mut self, text: &str, now: f64) {
        // Look up by &str first so the common case (a known error) allocates nothing.
        let key = if self.by_text.contains_key(text) || self.by_text.len() < MAX_ERROR_TEXTS {
            text
        } else {
            OVERFLOW_ERROR_TEXT
        };
        match self.by_text.get_mut(key) {
            Some(count) => {
                count.occurrences += 1;
                count.last_seen = now;
            }
            None => {
                self.by_text.insert(
                    key.to_owned(),
                    ErrorCount {
                        occurrences: 1,
                        first_seen: now,
                        last_seen: now,
                    },
                );
            }
        }
    }
}

/// Counts since the Locust worker last reported (see `interval.rs`).
#[derive(Clone)]
pub struct IntervalAcc {
    pub start_time: f64,
    pub requests: u64,
    pub untimed: u64,
    pub failures: u64,
    pub sum_us: u64,
    pub min_us: Option<u64>,
    pub max_us: u64,
    pub last_sample: Option<f64>,
    pub buckets: LocustBuckets,
    pub requests_per_second: Vec<(u64, u64)>,
    pub failures_per_second: Vec<(u64, u64)>,
    pub errors: ErrorTable,
}

impl IntervalAcc {
    pub fn new(start_time: f64) -> Self {
        IntervalAcc {
            start_time,
            requests: 0,
            untimed: 0,
            failures: 0,
            sum_us: 0,
            min_us: None,
            max_us: 0,
            last_sample: None,
            buckets: LocustBuckets::default(),
            requests_per_second: Vec::new(),
            failures_per_second: Vec::new(),
            errors: ErrorTable::default(),
        }
    }
}

/// Adds one to the count of `second` in a list that is almost always appended to in order.
fn bump(per_second: &mut Vec<(u64, u64)>, second: u64) {
    match per_second.iter_mut().rev().find(|(s, _)| *s == second) {
        Some((_, n)) => *n += 1,
        None => per_second.push((second, 1)),
    }
}

/// Everything recorded for one (kind, name).
pub struct EntryState {
    pub kind: String,
    pub name: String,
    /// Response times of timed samples (successes and failures, as Locust counts both), in µs.
    pub histogram: Histogram<u64>,
    /// All samples, including untimed ones (a panicked user has no response time).
    pub requests: u64,
    /// Samples without a response time; they count as requests but not in latency figures.
    pub untimed: u64,
    pub failures: u64,
    /// Exact sum, minimum and maximum: the HDR histogram only knows them to 0.1 %.
    pub sum_us: u64,
    pub min_us: Option<u64>,
    pub max_us: u64,
    pub first_sample: Option<f64>,
    pub last_sample: Option<f64>,
    pub per_second: PerSecond,
    pub recent: Recent,
    pub errors: ErrorTable,
    pub interval: IntervalAcc,
}

impl EntryState {
    pub fn new(kind: &str, name: &str, interval_start: f64) -> Self {
        EntryState {
            kind: kind.to_owned(),
            name: name.to_owned(),
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
            recent: Recent::default(),
            errors: ErrorTable::default(),
            interval: IntervalAcc::new(interval_start),
        }
    }

    /// Records one sample finished at unix time `now`. `micros` is None for a sample with no
    /// response time; `error` is the failure's text.
    pub fn record(&mut self, now: f64, micros: Option<u64>, error: Option<&str>) {
        let second = now as u64;
        self.requests += 1;
        self.first_sample.get_or_insert(now);
        self.last_sample = Some(now);
        self.per_second.record(second, error.is_some());

        let interval = &mut self.interval;
        interval.requests += 1;
        interval.last_sample = Some(now);
        bump(&mut interval.requests_per_second, second);

        match micros {
            Some(us) => {
                // `record` grows the histogram for a new largest value; `saturating_record` would
                // silently clamp it instead. Only a value too large to grow to (centuries) is clamped.
                if self.histogram.record(us).is_err() {
                    self.histogram.saturating_record(us);
                }
                self.sum_us = self.sum_us.saturating_add(us);
                self.min_us = Some(self.min_us.map_or(us, |m| m.min(us)));
                self.max_us = self.max_us.max(us);
                self.recent.record(second, us);
                interval.sum_us = interval.sum_us.saturating_add(us);
                interval.min_us = Some(interval.min_us.map_or(us, |m| m.min(us)));
                interval.max_us = interval.max_us.max(us);
                interval.buckets.record(us);
            }
            None => {
                self.untimed += 1;
                interval.untimed += 1;
            }
        }

        if let Some(text) = error {
            self.failures += 1;
            self.errors.record(text, now);
            interval.failures += 1;
            bump(&mut interval.failures_per_second, second);
            interval.errors.record(text, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_counts_and_merges() {
        let mut a = PerSecond::default();
        a.record(100, false);
        a.record(100, true);
        a.record(103, false);
        let mut b = PerSecond::default();
        b.record(98, true);
        b.record(103, false);
        b.merge(&a);
        let all: Vec<_> = b.iter().collect();
        assert_eq!(all, vec![(98, 1, 1), (100, 2, 1), (103, 2, 0)]);
        let tail: Vec<_> = b.tail(100).iter().collect();
        assert_eq!(tail, vec![(100, 2, 1), (103, 2, 0)]);
        assert_eq!(b.tail(200).iter().count(), 0);
        assert_eq!(b.tail(0).iter().count(), 3);
        assert_eq!(b.get(99), [0, 0]);
        assert_eq!(b.get(500), [0, 0]);
    }

    #[test]
    fn error_texts_are_capped() {
        let mut table = ErrorTable::default();
        for i in 0..(MAX_ERROR_TEXTS + 10) {
            table.record(&format!("error {i}"), 1.0);
        }
        assert_eq!(table.by_text.len(), MAX_ERROR_TEXTS + 1);
        assert_eq!(table.by_text[OVERFLOW_ERROR_TEXT].occurrences, 10);
    }

    #[test]
    fn recent_keeps_a_bounded_window() {
        let mut recent = Recent::default();
        for second in 0..100u64 {
            recent.record(second, 1_000);
        }
        assert_eq!(recent.seconds.len() as u64, RECENT_SECONDS);
        assert_eq!(recent.window(90, 99).count(), 10);
        assert_eq!(recent.window(0, 50).count(), 0);
    }
}
