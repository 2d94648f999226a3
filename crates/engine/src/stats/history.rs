//! The time series of a run: one row per history interval, made from a snapshot.
//!
//! Enough for Locust's `_stats_history.csv` (in its `--csv-full-history` form: a row per entry and
//! one "Aggregated" row per timestamp) and for charts of users, rates and percentiles over time.

use serde::{Deserialize, Serialize};

use super::snapshot::{EntryStats, StatsSnapshot};

/// The state of the run at one timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Whole unix seconds, as Locust writes them.
    pub timestamp: u64,
    pub user_count: usize,
    pub entries: Vec<HistoryEntry>,
    pub total: HistoryEntry,
}

/// One entry's current rates and percentiles, and its totals so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub kind: String,
    pub name: String,
    pub current_requests_per_s: f64,
    pub current_failures_per_s: f64,
    /// Whole ms over the last ~10 s; None ("N/A" in the CSV) when the entry has no requests yet.
    pub current_percentiles_ms: Option<Vec<u64>>,
    pub num_requests: u64,
    pub num_failures: u64,
    pub median_ms: u64,
    pub avg_ms: f64,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl HistoryEntry {
    fn of(entry: &EntryStats) -> Self {
        HistoryEntry {
            kind: entry.kind.clone(),
            name: entry.name.clone(),
            current_requests_per_s: entry.current_requests_per_s,
            current_failures_per_s: entry.current_failures_per_s,
            current_percentiles_ms: (entry.num_requests > 0)
                .then(|| entry.current_percentiles_ms.iter().map(|p| p.ms).collect()),
            num_requests: entry.num_requests,
            num_failures: entry.num_failures,
            median_ms: entry.median_ms,
            avg_ms: entry.avg_ms,
            min_ms: entry.min_ms,
            max_ms: entry.max_ms,
        }
    }
}

impl HistoryRow {
    /// The row for the moment `snapshot` was taken.
    pub fn of(snapshot: &StatsSnapshot) -> Self {
        HistoryRow {
            timestamp: snapshot.taken_at as u64,
            user_count: snapshot.user_count,
            entries: snapshot.entries.iter().map(HistoryEntry::of).collect(),
            total: HistoryEntry::of(&snapshot.total),
        }
    }
}
