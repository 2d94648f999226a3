//! The terminal table, laid out as Locust prints its console stats (`get_stats_summary`,
//! `get_percentile_stats_summary`, `get_error_report_summary`), so people who read Locust's output
//! read ours. Returned as a `String`; the binary decides where it goes.

use std::fmt::Write;

use crate::stats::{EntryStats, StatsSnapshot, PERCENTILES};

/// Which rates the req/s and failures/s columns show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rates {
    /// The last ~10 s, for tables printed while the run goes on (Locust's `current=True`).
    Current,
    /// The whole run, for the final table.
    OverRun,
}

/// Locust's width of the Type column.
const TYPE_WIDTH: usize = 8;

/// Width of the Name column of the percentile table: wide enough for the longest name, within
/// Locust's 80 columns.
fn name_width(snapshot: &StatsSnapshot) -> usize {
    let longest = snapshot
        .entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0);
    (longest + TYPE_WIDTH).clamp(30, 80)
}

/// The stats table, the percentile table, the error report (when there were failures) and the
/// counters (when there are any).
pub fn render_table(snapshot: &StatsSnapshot, rates: Rates) -> String {
    let width = name_width(snapshot);
    let mut out = String::new();
    stats_table(&mut out, snapshot, rates, width);
    out.push('\n');
    percentile_table(&mut out, snapshot, width);
    if !snapshot.failures.is_empty() {
        out.push('\n');
        error_report(&mut out, snapshot, width);
    }
    if !snapshot.counters.is_empty() {
        out.push('\n');
        line(&mut out, "Counters");
        for (name, count) in &snapshot.counters {
            line(&mut out, &format!("{count:<18} {name}"));
        }
    }
    out
}

/// Appends one line, without the trailing blanks Python's left-justified fields leave.
fn line(out: &mut String, text: &str) {
    out.push_str(text.trim_end());
    out.push('\n');
}

fn stats_table(out: &mut String, snapshot: &StatsSnapshot, rates: Rates, width: usize) {
    let name = width - TYPE_WIDTH + 4;
    line(
        out,
        &format!(
            "{:<8} {:<name$} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7} {:>11}",
            "Type", "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s"
        ),
    );
    let separator = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        "-".repeat(TYPE_WIDTH),
        "-".repeat(name),
        "-".repeat(7),
        "-".repeat(13),
        "-".repeat(7),
        "-".repeat(7),
        "-".repeat(7),
        "-".repeat(7),
        "-".repeat(8),
        "-".repeat(11)
    );
    line(out, &separator);
    for entry in &snapshot.entries {
        line(out, &stats_line(entry, rates, name));
    }
    line(out, &separator);
    line(out, &stats_line(&snapshot.total, rates, name));
}

fn stats_line(entry: &EntryStats, rates: Rates, name: usize) -> String {
    let (rps, fps) = match rates {
        Rates::Current => (entry.current_requests_per_s, entry.current_failures_per_s),
        Rates::OverRun => (entry.requests_per_s, entry.failures_per_s),
    };
    let kind = if entry.kind.is_empty() {
        String::new()
    } else {
        format!("{} ", entry.kind)
    };
    let fails = format!("{}({:.2}%)", entry.num_failures, entry.fail_ratio * 100.0);
    // Python's `%d` of a float truncates; so do these casts.
    format!(
        "{:<8} {:<name$} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7.2} {:>11.2}",
        kind,
        entry.name,
        entry.num_requests,
        fails,
        entry.avg_ms as u64,
        entry.min_ms.unwrap_or(0.0) as u64,
        entry.max_ms.unwrap_or(0.0) as u64,
        entry.median_ms,
        rps,
        fps
    )
}

fn percentile_table(out: &mut String, snapshot: &StatsSnapshot, width: usize) {
    line(out, "Response time percentiles (approximated)");
    // As in Locust, the first percentile column is 8 wide and "# reqs" is the last.
    let mut header = format!("{:<8} {:<width$} {:>8}", "Type", "Name", PERCENTILES[0].1);
    for (_, label) in &PERCENTILES[1..] {
        let _ = write!(header, " {label:>6}");
    }
    let _ = write!(header, " {:>6}", "# reqs");
    line(out, &header);
    let separator = format!(
        "{}|{}|{}|{}",
        "-".repeat(TYPE_WIDTH),
        "-".repeat(width),
        "-".repeat(8),
        vec!["-".repeat(6); PERCENTILES.len()].join("|")
    );
    line(out, &separator);
    for entry in &snapshot.entries {
        if !entry.percentiles_ms.is_empty() {
            line(out, &percentile_line(entry, width));
        }
    }
    line(out, &separator);
    if !snapshot.total.percentiles_ms.is_empty() {
        line(out, &percentile_line(&snapshot.total, width));
    }
}

fn percentile_line(entry: &EntryStats, width: usize) -> String {
    let mut values = entry.percentiles_ms.iter().map(|p| p.ms);
    let mut text = format!(
        "{:<8} {:<width$} {:>8}",
        entry.kind,
        entry.name,
        values.next().unwrap_or(0)
    );
    for ms in values {
        let _ = write!(text, " {ms:>6}");
    }
    let _ = write!(text, " {:>6}", entry.num_requests);
    text
}

fn error_report(out: &mut String, snapshot: &StatsSnapshot, width: usize) {
    line(out, "Error report");
    line(out, &format!("{:<18} {}", "# occurrences", "Error"));
    let separator = format!("{}|{}", "-".repeat(18), "-".repeat(80 + width - 19));
    line(out, &separator);
    for failure in &snapshot.failures {
        line(
            out,
            &format!(
                "{:<18} {} {}: {}",
                failure.occurrences, failure.kind, failure.name, failure.error
            ),
        );
    }
    line(out, &separator);
}
