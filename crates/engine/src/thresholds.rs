//! Pass/fail criteria on a run's figures: `ping_mediator:p95<500ms`, `total:fail_ratio<0.01`.
//!
//! Syntax: `SAMPLE:METRIC OP VALUE[UNIT]`.
//! - SAMPLE: an entry's name (or `kind name` when two kinds share a name), or `total` for the
//!   "Aggregated" row.
//! - METRIC: `p50` `p66` `p75` `p80` `p90` `p95` `p98` `p99` `p99.9` `p99.99` `p100` `med`
//!   `avg` `min` `max` (milliseconds over the whole run), `fail_ratio` (0..1, or with `%`),
//!   `rps` (requests per second over the run), `requests`, `failures` (counts).
//! - OP: `<` `<=` `>` `>=` `==`.
//! - UNIT (latency metrics only): `ms` (the default) or `s`.
//!
//! SAMPLE `delivery` judges the per-message delivery accounting of scenarios that keep one
//! (`delivery:lost==0`, `delivery:p99<2s`, `delivery:after_wake_p99<5s`, `delivery:lost_pct<0.1`):
//! METRIC is one of `delivery::DeliveryReport::METRIC_NAMES`; a run without that accounting
//! fails such a threshold.
//!
//! A threshold whose sample has no requests fails: a typo in a name must not pass silently.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::stats::{EntryStats, StatsSnapshot, PERCENTILES};

/// One parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The text it was parsed from, as reports show it.
    pub text: String,
    pub sample: String,
    pub metric: Metric,
    pub op: Op,
    /// In the metric's unit: milliseconds, a ratio, per second, or a count.
    pub limit: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// A quantile over the run (0.95 for p95).
    Percentile(f64),
    Avg,
    Min,
    Max,
    FailRatio,
    Rps,
    Requests,
    Failures,
    /// A figure of the delivery accounting, by its name (sample `delivery`).
    Delivery(&'static str),
}

/// The sample name that designates the delivery accounting.
pub const DELIVERY: &str = "delivery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// A threshold that does not parse, with the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("threshold {text:?}: {reason} (expected e.g. 'ping_mediator:p95<500ms' or 'total:fail_ratio<0.01')")]
pub struct ThresholdError {
    pub text: String,
    pub reason: String,
}

/// One threshold checked against a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    pub threshold: String,
    /// The measured value in the threshold's unit; None when the sample had no requests.
    pub measured: Option<f64>,
    /// "ms", "ratio", "/s" or "".
    pub unit: String,
    pub passed: bool,
}

impl Metric {
    fn is_latency(self) -> bool {
        match self {
            Metric::Percentile(_) | Metric::Avg | Metric::Min | Metric::Max => true,
            Metric::Delivery(name) => delivery::DeliveryReport::is_latency_metric(name),
            _ => false,
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::FailRatio => "ratio",
            Metric::Rps => "/s",
            Metric::Requests | Metric::Failures => "",
            Metric::Delivery(name) if name.ends_with("_pct") => "%",
            Metric::Delivery(name) if !delivery::DeliveryReport::is_latency_metric(name) => "",
            _ => "ms",
        }
    }

    fn parse(text: &str) -> Option<Metric> {
        Some(match text {
            "avg" => Metric::Avg,
            "min" => Metric::Min,
            "max" => Metric::Max,
            "med" | "median" => Metric::Percentile(0.5),
            "fail_ratio" => Metric::FailRatio,
            "rps" => Metric::Rps,
            "requests" => Metric::Requests,
            "failures" => Metric::Failures,
            _ => {
                let number: f64 = text.strip_prefix('p')?.parse().ok()?;
                let quantile = number / 100.0;
                // Only what the stats keep (Locust's percentiles).
                PERCENTILES
                    .iter()
                    .find(|(q, _)| (q - quantile).abs() < 1e-9)
                    .map(|(q, _)| Metric::Percentile(*q))?
            }
        })
    }

    fn measure(self, entry: &EntryStats) -> Option<f64> {
        if entry.num_requests == 0 {
            return None;
        }
        let timed = entry.num_requests > entry.num_untimed_requests;
        match self {
            Metric::Percentile(q) => entry.percentile_ms(q).map(|ms| ms as f64),
            Metric::Avg => timed.then_some(entry.avg_ms),
            Metric::Min => entry.min_ms,
            Metric::Max => entry.max_ms,
            Metric::FailRatio => Some(entry.fail_ratio),
            Metric::Rps => Some(entry.requests_per_s),
            Metric::Requests => Some(entry.num_requests as f64),
            Metric::Failures => Some(entry.num_failures as f64),
            Metric::Delivery(_) => None,
        }
    }
}

impl Op {
    fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
            // Counts are whole numbers, exact in an f64.
            Op::Eq => measured == limit,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Threshold {
    type Err = ThresholdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

/// Parses one threshold.
pub fn parse(text: &str) -> Result<Threshold, ThresholdError> {
    let error = |reason: &str| ThresholdError {
        text: text.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = text.trim();
    let op_at = trimmed
        .find(['<', '>', '='])
        .ok_or_else(|| error("no comparison (<, <=, >, >= or ==)"))?;
    let (left, right) = trimmed.split_at(op_at);
    let (op, value) = if let Some(v) = right.strip_prefix("==") {
        (Op::Eq, v)
    } else if let Some(v) = right.strip_prefix("<=") {
        (Op::Le, v)
    } else if let Some(v) = right.strip_prefix(">=") {
        (Op::Ge, v)
    } else if let Some(v) = right.strip_prefix('<') {
        (Op::Lt, v)
    } else if let Some(v) = right.strip_prefix('>') {
        (Op::Gt, v)
    } else {
        return Err(error("no comparison"));
    };
    let (sample, metric) = left
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| error("no ':' between the sample name and the metric"))?;
    let sample = sample.trim();
    if sample.is_empty() {
        return Err(error(
            "no sample name before ':' (use 'total' for all samples)",
        ));
    }
    let metric = if sample == DELIVERY {
        let name = metric.trim();
        delivery::DeliveryReport::METRIC_NAMES
            .iter()
            .find(|known| **known == name)
            .map(|known| Metric::Delivery(known))
            .ok_or_else(|| {
                error(&format!(
                    "unknown delivery metric {name:?}; use one of {}",
                    delivery::DeliveryReport::METRIC_NAMES.join(", ")
                ))
            })?
    } else {
        Metric::parse(metric.trim()).ok_or_else(|| {
            error("unknown metric; use p50..p99.99, p100, med, avg, min, max, fail_ratio, rps, requests or failures")
        })?
    };
    let value = value.trim();
    let (number, scale) = if metric.is_latency() {
        if let Some(n) = value.strip_suffix("ms") {
            (n, 1.0)
        } else if let Some(n) = value.strip_suffix('s') {
            (n, 1_000.0)
        } else {
            (value, 1.0)
        }
    } else if matches!(metric, Metric::Delivery(name) if name.ends_with("_pct")) {
        (value.strip_suffix('%').unwrap_or(value), 1.0)
    } else if metric == Metric::FailRatio {
        match value.strip_suffix('%') {
            Some(n) => (n, 0.01),
            None => (value, 1.0),
        }
    } else {
        (value, 1.0)
    };
    let number: f64 = number.trim().parse().map_err(|_| {
        error(&format!(
            "{value:?} is not a number (units: ms or s for latencies, % for fail_ratio)"
        ))
    })?;
    if !number.is_finite() {
        return Err(error("the limit must be a finite number"));
    }
    Ok(Threshold {
        text: trimmed.to_owned(),
        sample: sample.to_owned(),
        metric,
        op,
        limit: number * scale,
    })
}

/// Parses a thresholds file: one threshold per line; blank lines and lines starting with `#`
/// are skipped. Errors name the line.
pub fn parse_file(text: &str) -> Result<Vec<Threshold>, ThresholdError> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(number, line)| {
            parse(line).map_err(|mut e| {
                e.reason = format!("line {number}: {}", e.reason);
                e
            })
        })
        .collect()
}

/// The entry a sample name designates: `total`/`Aggregated`, a name, or `kind name`.
pub fn find<'a>(snapshot: &'a StatsSnapshot, sample: &str) -> Option<&'a EntryStats> {
    if sample == "total" || sample == crate::stats::AGGREGATED_NAME {
        return Some(&snapshot.total);
    }
    snapshot
        .entries
        .iter()
        .find(|e| e.name == sample)
        .or_else(|| {
            let (kind, name) = sample.split_once(' ')?;
            snapshot
                .entries
                .iter()
                .find(|e| e.kind == kind && e.name == name)
        })
}

/// Checks every threshold against `snapshot`.
pub fn evaluate(thresholds: &[Threshold], snapshot: &StatsSnapshot) -> Vec<ThresholdResult> {
    thresholds
        .iter()
        .map(|t| {
            let measured = match t.metric {
                Metric::Delivery(name) => snapshot.delivery.as_ref().and_then(|d| d.metric(name)),
                metric => find(snapshot, &t.sample).and_then(|e| metric.measure(e)),
            };
            ThresholdResult {
                threshold: t.text.clone(),
                measured,
                unit: t.metric.unit().to_owned(),
                passed: measured.is_some_and(|m| t.op.holds(m, t.limit)),
            }
        })
        .collect()
}

/// True when every result passed (and vacuously for none).
pub fn all_passed(results: &[ThresholdResult]) -> bool {
    results.iter().all(|r| r.passed)
}

/// One line per result: `PASS ping_mediator:p95<500ms (measured 12 ms)`.
pub fn render(results: &[ThresholdResult]) -> String {
    let mut out = String::new();
    for r in results {
        let measured = match r.measured {
            Some(m) => format!("measured {} {}", trim_float(m), r.unit),
            None if r.threshold.trim_start().starts_with("delivery:") => {
                "no delivery accounting in this run".to_owned()
            }
            None => "no requests with that name".to_owned(),
        };
        out.push_str(&format!(
            "{} {} ({})\n",
            if r.passed { "PASS" } else { "FAIL" },
            r.threshold,
            measured.trim_end()
        ));
    }
    out
}

/// A float without trailing zeros: 12, 0.0123, 3.5.
pub fn trim_float(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Clock, Stats};

    fn snapshot() -> StatsSnapshot {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        for ms in 1..=100u64 {
            stats.record("ws", "ping_mediator", Duration::from_millis(ms), None);
        }
        stats.record(
            "ws",
            "ping_mediator",
            Duration::from_millis(5),
            Some("timeout"),
        );
        stats.snapshot()
    }

    #[test]
    fn parses_the_documented_forms() {
        let t = parse("ping_mediator:p95<500ms").unwrap();
        assert_eq!(t.sample, "ping_mediator");
        assert_eq!(t.metric, Metric::Percentile(0.95));
        assert_eq!(t.op, Op::Lt);
        assert_eq!(t.limit, 500.0);
        assert_eq!(parse("x:p99.9 <= 1.5s").unwrap().limit, 1_500.0);
        assert_eq!(
            parse("x:p99.9<=1.5s").unwrap().metric,
            Metric::Percentile(0.999)
        );
        assert_eq!(parse("total:fail_ratio<0.01").unwrap().limit, 0.01);
        assert_eq!(parse("total:fail_ratio<1%").unwrap().limit, 0.01);
        assert_eq!(parse("total:rps>=10").unwrap().op, Op::Ge);
        assert_eq!(parse("a:b:avg>3").unwrap().sample, "a:b");
    }

    #[test]
    fn bad_syntax_says_what_is_wrong() {
        for (text, reason) in [
            ("ping_mediator:p95", "no comparison"),
            ("ping_mediator p95<5", "no ':'"),
            (":p95<5", "no sample name"),
            ("x:p42<5", "unknown metric"),
            ("x:p95<fast", "not a number"),
            ("x:p95<5h", "not a number"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.to_string().contains(reason), "{text}: {error}");
        }
        let error = parse_file("# comment\n\nx:p95<5\nnonsense\n").unwrap_err();
        assert!(error.to_string().contains("line 4"), "{error}");
    }

    #[test]
    fn evaluates_pass_and_fail_with_measured_values() {
        let thresholds = parse_file(
            "ping_mediator:p95<500ms\nping_mediator:p50<10ms\ntotal:fail_ratio<0.01\n\
             total:requests>=101\nnobody:p95<1s\nws ping_mediator:max<=0.1s",
        )
        .unwrap();
        let results = evaluate(&thresholds, &snapshot());
        let passed: Vec<bool> = results.iter().map(|r| r.passed).collect();
        assert_eq!(passed, [true, false, true, true, false, true]);
        assert_eq!(results[0].measured, Some(95.0));
        assert_eq!(results[1].measured, Some(50.0));
        assert!((results[2].measured.unwrap() - 1.0 / 101.0).abs() < 1e-12);
        assert_eq!(results[4].measured, None);
        assert!(!all_passed(&results));
        let text = render(&results);
        assert!(
            text.contains("PASS ping_mediator:p95<500ms (measured 95 ms)"),
            "{text}"
        );
        assert!(text.contains("FAIL nobody:p95<1s (no requests"), "{text}");
    }

    #[test]
    fn delivery_thresholds_judge_the_delivery_accounting() {
        let t = parse("delivery:lost==0").unwrap();
        assert_eq!(
            (t.metric, t.op, t.limit),
            (Metric::Delivery("lost"), Op::Eq, 0.0)
        );
        assert_eq!(parse("delivery:p99<2s").unwrap().limit, 2_000.0);
        assert_eq!(parse("delivery:lost_pct<0.5%").unwrap().limit, 0.5);
        let error = parse("delivery:lots==0").unwrap_err().to_string();
        assert!(error.contains("unknown delivery metric"), "{error}");

        let thresholds = parse_file("delivery:lost==0\ndelivery:p99<2s\ndelivery:sent>=3").unwrap();
        let without = evaluate(&thresholds, &snapshot());
        assert!(without.iter().all(|r| !r.passed && r.measured.is_none()));
        assert!(render(&without).contains("no delivery accounting"));

        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        let mut ledger = delivery::Ledger::new(Duration::from_secs(5));
        for i in 0..3 {
            let sent = ledger.send(0, 1, delivery::RecipientState::Online, Duration::ZERO);
            if i > 0 {
                ledger.receive(1, sent.id, Duration::from_millis(3000));
            }
        }
        stats.set_delivery(ledger.finish());
        let results = evaluate(&thresholds, &stats.snapshot());
        let passed: Vec<bool> = results.iter().map(|r| r.passed).collect();
        assert_eq!(passed, [false, false, true]);
        assert_eq!(results[0].measured, Some(1.0));
        assert!(results[1].measured.unwrap() >= 2_990.0);
    }
}
