//! Comparing a run with a previous one (`--baseline PREVIOUS.json`): the same figures side by
//! side, and a regression flag where this run is worse by more than a tolerance.
//!
//! Compared per entry present in both runs (and the aggregate): p50, p95, p99 and the average
//! response time (worse when higher by more than `tolerance` × the baseline value, and by more
//! than 1 ms so that sub-millisecond noise is not a regression), and the failure ratio (worse when
//! higher by more than `tolerance` × the baseline ratio plus one percentage point). Throughput is
//! shown but never flagged: in a closed model it follows the latency, in an open model the rate.

use serde::{Deserialize, Serialize};

use crate::stats::{EntryStats, StatsSnapshot};

/// One figure of one entry, in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// `kind name`, or `Aggregated`.
    pub sample: String,
    pub metric: String,
    pub baseline: f64,
    pub current: f64,
    /// (current − baseline) ÷ baseline; None when the baseline is 0.
    pub change: Option<f64>,
    pub regression: bool,
}

/// Smallest latency increase, in ms, that can be a regression.
const MIN_LATENCY_DELTA_MS: f64 = 1.0;
/// Smallest failure-ratio increase that can be a regression (one percentage point).
const MIN_FAIL_RATIO_DELTA: f64 = 0.01;

/// The comparisons of every entry in both snapshots; `tolerance` is a fraction (0.1 = 10 %).
pub fn compare(
    baseline: &StatsSnapshot,
    current: &StatsSnapshot,
    tolerance: f64,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    let pairs = current
        .entries
        .iter()
        .filter_map(|c| {
            baseline
                .entries
                .iter()
                .find(|b| b.kind == c.kind && b.name == c.name)
                .map(|b| (b, c))
        })
        .chain(std::iter::once((&baseline.total, &current.total)));
    for (b, c) in pairs {
        let sample = if c.kind.is_empty() {
            c.name.clone()
        } else {
            format!("{} {}", c.kind, c.name)
        };
        let mut push = |metric: &str, old: f64, new: f64, flag: bool| {
            out.push(Comparison {
                sample: sample.clone(),
                metric: metric.to_owned(),
                baseline: old,
                current: new,
                change: (old != 0.0).then(|| (new - old) / old),
                regression: flag,
            });
        };
        for (metric, quantile) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            if let (Some(old), Some(new)) = (b.percentile_ms(quantile), c.percentile_ms(quantile)) {
                let (old, new) = (old as f64, new as f64);
                push(metric, old, new, latency_worse(old, new, tolerance));
            }
        }
        if has_timed(b) && has_timed(c) {
            push(
                "avg",
                b.avg_ms,
                c.avg_ms,
                latency_worse(b.avg_ms, c.avg_ms, tolerance),
            );
        }
        let worse_failures =
            c.fail_ratio - b.fail_ratio > b.fail_ratio * tolerance + MIN_FAIL_RATIO_DELTA;
        push("fail_ratio", b.fail_ratio, c.fail_ratio, worse_failures);
        push("rps", b.requests_per_s, c.requests_per_s, false);
    }
    out
}

fn has_timed(entry: &EntryStats) -> bool {
    entry.num_requests > entry.num_untimed_requests
}

fn latency_worse(old: f64, new: f64, tolerance: f64) -> bool {
    new - old > old * tolerance && new - old > MIN_LATENCY_DELTA_MS
}

/// True when any comparison is a regression.
pub fn any_regression(comparisons: &[Comparison]) -> bool {
    comparisons.iter().any(|c| c.regression)
}

/// A table of the comparisons: sample, metric, baseline, current, change, and REGRESSION marks.
pub fn render(comparisons: &[Comparison]) -> String {
    let width = comparisons
        .iter()
        .map(|c| c.sample.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = format!(
        "{:<width$} {:<10} {:>12} {:>12} {:>9}\n",
        "Sample", "Metric", "Baseline", "Current", "Change"
    );
    for c in comparisons {
        let change = c
            .change
            .map(|x| format!("{:+.1}%", x * 100.0))
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<width$} {:<10} {:>12.3} {:>12.3} {:>9}{}\n",
            c.sample,
            c.metric,
            c.baseline,
            c.current,
            change,
            if c.regression { "  REGRESSION" } else { "" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Clock, Stats};

    fn run(ms: u64, failures: usize) -> StatsSnapshot {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        for i in 0..100 {
            let error = (i < failures).then_some("boom");
            stats.record("ws", "ping", Duration::from_millis(ms), error);
        }
        stats.snapshot()
    }

    #[test]
    fn flags_slower_and_more_failing_runs_only_beyond_the_tolerance() {
        let baseline = run(100, 0);
        let same = compare(&baseline, &run(105, 0), 0.1);
        assert!(!any_regression(&same), "{}", render(&same));
        let slower = compare(&baseline, &run(150, 0), 0.1);
        let p95 = slower
            .iter()
            .find(|c| c.sample == "ws ping" && c.metric == "p95")
            .unwrap();
        assert!(p95.regression);
        assert_eq!((p95.baseline, p95.current), (100.0, 150.0));
        assert!((p95.change.unwrap() - 0.5).abs() < 1e-9);
        assert!(render(&slower).contains("REGRESSION"));
        let failing = compare(&baseline, &run(100, 5), 0.1);
        let regressions: Vec<_> = failing.iter().filter(|c| c.regression).collect();
        assert!(regressions.iter().all(|c| c.metric == "fail_ratio"));
        assert_eq!(regressions.len(), 2, "the entry and the aggregate");
        // Faster is never a regression.
        assert!(!any_regression(&compare(&baseline, &run(10, 0), 0.1)));
    }
}
