//! The figures of one window of a run (e.g. one plateau of a capacity search): a [`StatsMark`]
//! taken at the window's start, subtracted from the figures at its end.
//!
//! A window's verdict must rest on its own samples: cumulative figures would let an easy first
//! hour hide a breaking last minute. Recording is untouched; a mark is a copy of each entry's
//! counters and HDR histogram, so a window's percentiles are as exact as the run's.

use std::collections::HashMap;

use hdrhistogram::Histogram;

use super::entry::EntryState;
use super::snapshot::{self, EntryCopy, Series};
use super::{Stats, StatsSnapshot};

/// The cumulative figures at one moment, to subtract later.
pub struct StatsMark {
    at: f64,
    entries: HashMap<(String, String), MarkedEntry>,
    counters: HashMap<String, u64>,
}

struct MarkedEntry {
    histogram: Histogram<u64>,
    requests: u64,
    untimed: u64,
    failures: u64,
    sum_us: u64,
    errors: HashMap<String, u64>,
}

impl StatsMark {
    /// Unix time the mark was taken.
    pub fn at(&self) -> f64 {
        self.at
    }
}

impl MarkedEntry {
    fn of(entry: &EntryState) -> Self {
        MarkedEntry {
            histogram: entry.histogram.clone(),
            requests: entry.requests,
            untimed: entry.untimed,
            failures: entry.failures,
            sum_us: entry.sum_us,
            errors: entry
                .errors
                .by_text
                .iter()
                .map(|(text, count)| (text.clone(), count.occurrences))
                .collect(),
        }
    }
}

impl Stats {
    /// Marks the figures as they are now; [`Stats::snapshot_since`] gives what came after.
    pub fn mark(&self) -> StatsMark {
        let at = self.clock.unix_now();
        let recorder = self.lock();
        StatsMark {
            at,
            entries: recorder
                .entries
                .iter()
                .map(|e| ((e.kind.clone(), e.name.clone()), MarkedEntry::of(e)))
                .collect(),
            counters: recorder.counters.clone(),
        }
    }

    /// The figures of the samples recorded since `mark`, as a snapshot starting at the mark
    /// (rates are over the window, percentiles of its samples only). Minimum and maximum come
    /// from the window's histogram (to its 0.1 %); the per-second series holds the window's
    /// seconds. Entries with no sample in the window are left out.
    pub fn snapshot_since(&self, mark: &StatsMark) -> StatsSnapshot {
        let now = self.clock.unix_now();
        let (copies, counters) = {
            let recorder = self.lock();
            let copies: Vec<EntryCopy> = recorder
                .entries
                .iter()
                .map(|e| EntryCopy::of(e, now, Series::Full))
                .collect();
            (copies, recorder.counters.clone())
        };
        let copies = copies
            .into_iter()
            .filter_map(|copy| {
                let key = (copy.kind.clone(), copy.name.clone());
                copy.since(mark.entries.get(&key), mark.at)
            })
            .collect();
        let mut snapshot = snapshot::build(copies, mark.at, now, Series::Full);
        snapshot.counters = counters
            .into_iter()
            .map(|(name, n)| {
                let before = mark.counters.get(&name).copied().unwrap_or(0);
                (name, n.saturating_sub(before))
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        snapshot
    }
}

impl EntryCopy {
    /// This copy minus what `marked` had; None when nothing was recorded after the mark.
    fn since(mut self, marked: Option<&MarkedEntry>, mark_at: f64) -> Option<EntryCopy> {
        if let Some(marked) = marked {
            if self.requests <= marked.requests {
                return None;
            }
            // The marked histogram is an earlier state of this one: every count is there to take.
            if self.histogram.subtract(&marked.histogram).is_err() {
                tracing::warn!(entry = %self.name, "window percentiles include earlier samples");
            }
            self.requests -= marked.requests;
            self.untimed = self.untimed.saturating_sub(marked.untimed);
            self.failures = self.failures.saturating_sub(marked.failures);
            self.sum_us = self.sum_us.saturating_sub(marked.sum_us);
            for (text, count) in self.errors.by_text.iter_mut() {
                count.occurrences = count
                    .occurrences
                    .saturating_sub(marked.errors.get(text).copied().unwrap_or(0));
            }
            self.errors.by_text.retain(|_, count| count.occurrences > 0);
            self.first_sample = self.first_sample.map(|first| first.max(mark_at));
        }
        let (min, max) = if self.histogram.is_empty() {
            (None, 0)
        } else {
            (Some(self.histogram.min()), self.histogram.max())
        };
        self.min_us = min;
        self.max_us = max;
        self.per_second = self.per_second.tail(mark_at as u64);
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_window_has_only_its_own_samples() {
        let stats = Stats::new();
        for _ in 0..1_000 {
            stats.record("admin", "live", Duration::from_millis(10), None);
        }
        stats.record("admin", "live", Duration::from_millis(10), Some("boom"));
        stats.count("missed", 3);
        let mark = stats.mark();
        for _ in 0..100 {
            stats.record("admin", "live", Duration::from_millis(900), None);
        }
        stats.record("admin", "live", Duration::from_millis(900), Some("slow"));
        stats.record("admin", "other", Duration::from_millis(5), None);
        stats.count("missed", 2);
        let window = stats.snapshot_since(&mark);
        let live = window.entries.iter().find(|e| e.name == "live").unwrap();
        assert_eq!(live.num_requests, 101);
        assert_eq!(live.num_failures, 1);
        assert_eq!(live.percentile_ms(0.5), Some(900));
        assert!((live.min_ms.unwrap() - 900.0).abs() < 1.0, "{live:?}");
        assert!((live.avg_ms - 900.0).abs() < 0.01, "{live:?}");
        assert_eq!(window.total.num_requests, 102);
        assert_eq!(window.failures.len(), 1);
        assert_eq!(window.failures[0].error, "slow");
        assert_eq!(window.counters.get("missed"), Some(&2));
        assert_eq!(window.start_time, mark.at());
        // Nothing after a fresh mark: no entries.
        assert!(stats.snapshot_since(&stats.mark()).entries.is_empty());
    }
}
