//! Locust's CSV files (`--csv PREFIX`), with Locust 2.47's columns and number formats, so tools
//! written for Locust's output read ours. The rules are those of `StatsCSV` in `locust/stats.py`:
//! Python's float `repr` for averages, rates, minimum and maximum; whole milliseconds for
//! percentiles; "N/A" percentiles for an entry without requests; the "Aggregated" row last, with
//! an empty Type. The history file has Locust's `--csv-full-history` shape: a row per entry and an
//! "Aggregated" row per timestamp, with the percentiles of the last ~10 s.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::pyfmt::{csv_row, py_fixed6, py_float, utc_timestamp};
use crate::error::EngineError;
use crate::stats::{EntryStats, HistoryEntry, HistoryRow, StatsSnapshot, PERCENTILES};

/// Columns of `PREFIX_stats.csv` (Locust's `requests_csv_columns`).
pub const STATS_COLUMNS: [&str; 22] = [
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Median Response Time",
    "Average Response Time",
    "Min Response Time",
    "Max Response Time",
    "Average Content Size",
    "Requests/s",
    "Failures/s",
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
];

/// Columns of `PREFIX_stats_history.csv` (Locust's `stats_history_csv_columns`).
pub const HISTORY_COLUMNS: [&str; 24] = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
];

/// Columns of `PREFIX_failures.csv` (Locust's `failures_columns`).
pub const FAILURES_COLUMNS: [&str; 6] = [
    "Method",
    "Name",
    "Error",
    "Occurrences",
    "First Seen",
    "Last Seen",
];

/// Columns of `PREFIX_exceptions.csv`; akrida has no Python tracebacks, so it is written empty,
/// only so that tools which open all four of Locust's files find it.
pub const EXCEPTIONS_COLUMNS: [&str; 4] = ["Count", "Message", "Traceback", "Nodes"];

/// Locust writes `min_response_time or 0`: a missing or zero minimum is the integer 0.
fn min_field(min_ms: Option<f64>) -> String {
    match min_ms {
        Some(ms) if ms != 0.0 => py_float(ms),
        _ => "0".to_owned(),
    }
}

/// Locust's maximum starts as the integer 0 and becomes a float with the first timed request.
fn max_field(max_ms: Option<f64>) -> String {
    max_ms.map_or_else(|| "0".to_owned(), py_float)
}

/// owl-akrida does not measure content sizes; Locust's `avg_content_length` is then the integer 0
/// without requests (a ZeroDivisionError caught) and the float 0.0 with them.
fn content_size_field(num_requests: u64) -> String {
    if num_requests == 0 { "0" } else { "0.0" }.to_owned()
}

fn stats_row(entry: &EntryStats) -> String {
    let mut fields = vec![
        entry.kind.clone(),
        entry.name.clone(),
        entry.num_requests.to_string(),
        entry.num_failures.to_string(),
        entry.median_ms.to_string(),
        py_float(entry.avg_ms),
        min_field(entry.min_ms),
        max_field(entry.max_ms),
        content_size_field(entry.num_requests),
        py_float(entry.requests_per_s),
        py_float(entry.failures_per_s),
    ];
    fields.extend(percentile_fields(
        entry.num_requests,
        entry.percentiles_ms.iter().map(|p| p.ms),
    ));
    csv_row(fields)
}

/// "N/A" for every percentile without requests; otherwise the values (0 when there are none).
fn percentile_fields(num_requests: u64, values: impl Iterator<Item = u64>) -> Vec<String> {
    if num_requests == 0 {
        return vec!["N/A".to_owned(); PERCENTILES.len()];
    }
    let mut fields: Vec<String> = values.map(|ms| ms.to_string()).collect();
    fields.resize(PERCENTILES.len(), "0".to_owned());
    fields
}

/// The text of `PREFIX_stats.csv`.
pub fn stats_csv(snapshot: &StatsSnapshot) -> String {
    let mut text = csv_row(STATS_COLUMNS);
    for entry in snapshot.entries.iter().chain([&snapshot.total]) {
        text.push_str(&stats_row(entry));
    }
    text
}

fn history_row(timestamp: u64, user_count: usize, entry: &HistoryEntry) -> String {
    let mut fields = vec![
        timestamp.to_string(),
        user_count.to_string(),
        entry.kind.clone(),
        entry.name.clone(),
        py_fixed6(entry.current_requests_per_s),
        py_fixed6(entry.current_failures_per_s),
    ];
    fields.extend(percentile_fields(
        entry.num_requests,
        entry.current_percentiles_ms.iter().flatten().copied(),
    ));
    fields.extend([
        entry.num_requests.to_string(),
        entry.num_failures.to_string(),
        entry.median_ms.to_string(),
        py_float(entry.avg_ms),
        min_field(entry.min_ms),
        max_field(entry.max_ms),
        content_size_field(entry.num_requests),
    ]);
    csv_row(fields)
}

/// The text of `PREFIX_stats_history.csv`.
pub fn stats_history_csv(history: &[HistoryRow]) -> String {
    let mut text = csv_row(HISTORY_COLUMNS);
    for row in history {
        for entry in row.entries.iter().chain([&row.total]) {
            text.push_str(&history_row(row.timestamp, row.user_count, entry));
        }
    }
    text
}

/// The text of `PREFIX_failures.csv`.
pub fn failures_csv(snapshot: &StatsSnapshot) -> String {
    let mut text = csv_row(FAILURES_COLUMNS);
    for failure in &snapshot.failures {
        text.push_str(&csv_row([
            failure.kind.clone(),
            failure.name.clone(),
            failure.error.clone(),
            failure.occurrences.to_string(),
            utc_timestamp(failure.first_seen),
            utc_timestamp(failure.last_seen),
        ]));
    }
    text
}

/// `PREFIX` + `suffix`, as Locust builds its file names (`--csv results/run1` → `results/run1_stats.csv`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(prefix.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `PREFIX_stats.csv`, `PREFIX_stats_history.csv`, `PREFIX_failures.csv` and an empty
/// `PREFIX_exceptions.csv`; with delivery accounting, also `PREFIX_delivery.csv` (counts and
/// latencies) and `PREFIX_delivery_timeline.csv` (per second). Returns the paths written.
pub fn write_locust_csv(
    prefix: impl AsRef<Path>,
    snapshot: &StatsSnapshot,
    history: &[HistoryRow],
) -> Result<Vec<PathBuf>, EngineError> {
    let prefix = prefix.as_ref();
    // `--csv results/run` should make `results/`, not fail after a long run.
    if let Some(dir) = prefix.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| EngineError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let mut files = vec![
        ("_stats.csv", stats_csv(snapshot)),
        ("_stats_history.csv", stats_history_csv(history)),
        ("_failures.csv", failures_csv(snapshot)),
        ("_exceptions.csv", csv_row(EXCEPTIONS_COLUMNS)),
    ];
    if let Some(delivery) = &snapshot.delivery {
        files.push(("_delivery.csv", delivery.summary_csv()));
        files.push(("_delivery_timeline.csv", delivery.timeline_csv()));
    }
    let mut written = Vec::with_capacity(files.len());
    for (suffix, text) in files {
        let path = with_suffix(prefix, suffix);
        std::fs::write(&path, text).map_err(|source| EngineError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
