//! The verdict of a run's deliveries, as the reports show it (terminal, JSON, CSV, HTML) and as
//! thresholds read it.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::state::RecipientState;
use crate::timeline::TimelineRow;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateCounts {
    pub online: u64,
    pub asleep: u64,
    pub vanished: u64,
}

impl StateCounts {
    pub(crate) fn add(&mut self, state: RecipientState) {
        match state {
            RecipientState::Online => self.online += 1,
            RecipientState::Asleep => self.asleep += 1,
            RecipientState::Vanished => self.vanished += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.online + self.asleep + self.vanished
    }
}

/// Delivery latency percentiles in milliseconds (zero when there were no deliveries).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencySummary {
    pub(crate) fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            count: histogram.len(),
            mean_ms: histogram.mean() / 1000.0,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }

    /// The percentile named as thresholds write it (`p50`, `p90`, `p99`, `max`, `avg`).
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "p50" | "median" => self.p50_ms,
            "p90" => self.p90_ms,
            "p99" => self.p99_ms,
            "max" => self.max_ms,
            "avg" | "mean" => self.mean_ms,
            _ => return None,
        })
    }
}

/// One message never received, as the JSON report lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LostMessage {
    pub id: String,
    pub sender: u64,
    pub recipient: u64,
    /// Its number among the messages from this sender to this recipient, from 0.
    pub seq: u32,
    /// Seconds since the run's start.
    pub sent_at_s: f64,
    pub recipient_state: RecipientState,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeliveryReport {
    /// Receipts later than this after the send count as late.
    pub timeout_s: f64,
    pub sent: u64,
    /// Messages received at least once (late ones included).
    pub delivered: u64,
    /// Receipts of an id beyond its first.
    pub duplicated: u64,
    /// First receipts below a sequence number already received on the same pair.
    pub out_of_order: u64,
    pub late: u64,
    /// Sent and never received, after every holder woke and drained.
    pub lost: u64,
    /// Receipts carrying an id this run never sent to that recipient.
    pub unknown: u64,
    /// Sends that did not complete and whose message never arrived: not counted as sent.
    #[serde(default)]
    pub send_failed: u64,
    /// By the recipient's state at send time.
    pub sent_by_state: StateCounts,
    pub delivered_by_state: StateCounts,
    pub lost_by_state: StateCounts,
    pub latency: LatencySummary,
    /// Messages to recipients that were online when they were sent.
    pub latency_online: LatencySummary,
    /// Messages to recipients that were away when they were sent: picked up after waking.
    pub latency_after_wake: LatencySummary,
    pub lost_messages: Vec<LostMessage>,
    pub timeline: Vec<TimelineRow>,
    /// The run's start as Unix seconds, when the caller knows it (to date `sent_at_s`).
    pub started_unix: Option<f64>,
}

impl DeliveryReport {
    /// A figure by the name thresholds use after `delivery:` — counts (`sent`, `delivered`,
    /// `lost`, `duplicated`, `out_of_order`, `late`, `unknown`), their shares of `sent` in
    /// percent (`lost_pct`, …), or latency percentiles in ms (`p99`, `online_p99`,
    /// `after_wake_p99`, …).
    pub fn metric(&self, name: &str) -> Option<f64> {
        let count = |n: u64| Some(n as f64);
        match name {
            "sent" => count(self.sent),
            "delivered" => count(self.delivered),
            "lost" => count(self.lost),
            "duplicated" => count(self.duplicated),
            "out_of_order" => count(self.out_of_order),
            "late" => count(self.late),
            "unknown" => count(self.unknown),
            "send_failed" => count(self.send_failed),
            _ => {
                if let Some(base) = name.strip_suffix("_pct") {
                    let n = self.metric(base)?;
                    return Some(if self.sent == 0 {
                        0.0
                    } else {
                        n * 100.0 / self.sent as f64
                    });
                }
                if let Some(p) = name.strip_prefix("online_") {
                    return self.latency_online.get(p);
                }
                if let Some(p) = name.strip_prefix("after_wake_") {
                    return self.latency_after_wake.get(p);
                }
                self.latency.get(name)
            }
        }
    }

    /// The names [`DeliveryReport::metric`] knows.
    pub const METRIC_NAMES: &'static [&'static str] = &[
        "sent",
        "delivered",
        "lost",
        "duplicated",
        "out_of_order",
        "late",
        "unknown",
        "send_failed",
        "delivered_pct",
        "lost_pct",
        "duplicated_pct",
        "out_of_order_pct",
        "late_pct",
        "unknown_pct",
        "p50",
        "p90",
        "p99",
        "max",
        "avg",
        "online_p50",
        "online_p90",
        "online_p99",
        "online_max",
        "online_avg",
        "after_wake_p50",
        "after_wake_p90",
        "after_wake_p99",
        "after_wake_max",
        "after_wake_avg",
    ];

    /// Whether metric `name` is a latency in milliseconds (else a count or a percentage).
    pub fn is_latency_metric(name: &str) -> bool {
        let base = name
            .strip_prefix("online_")
            .or_else(|| name.strip_prefix("after_wake_"))
            .unwrap_or(name);
        matches!(base, "p50" | "p90" | "p99" | "max" | "avg")
    }

    /// The terminal summary's delivery section.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let pct = |n: u64| {
            if self.sent == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.sent as f64
            }
        };
        let _ = writeln!(
            out,
            "Deliveries (per message; lost decided after every holder woke and drained)"
        );
        let _ = writeln!(
            out,
            "  sent {}  delivered {} ({:.2} %)  lost {} ({:.2} %)  duplicated {} ({:.2} %)  out of order {}  late (> {:.1} s) {}  unknown {}",
            self.sent,
            self.delivered,
            pct(self.delivered),
            self.lost,
            pct(self.lost),
            self.duplicated,
            pct(self.duplicated),
            self.out_of_order,
            self.timeout_s,
            self.late,
            self.unknown
        );
        if self.send_failed > 0 {
            let _ = writeln!(
                out,
                "  sends that failed (not counted as sent): {}",
                self.send_failed
            );
        }
        let by = |c: &StateCounts| {
            format!(
                "online {} / asleep {} / vanished {}",
                c.online, c.asleep, c.vanished
            )
        };
        let _ = writeln!(out, "  sent to      {}", by(&self.sent_by_state));
        let _ = writeln!(out, "  lost, to     {}", by(&self.lost_by_state));
        for (label, l) in [
            ("latency all       ", &self.latency),
            ("latency online    ", &self.latency_online),
            ("latency after wake", &self.latency_after_wake),
        ] {
            let _ = writeln!(
                out,
                "  {label}  n {}  p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
                l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
            );
        }
        out
    }

    /// The timeline as CSV (one row a second), for `--csv`.
    pub fn timeline_csv(&self) -> String {
        let mut out = String::from("second,sent,delivered,late,duplicated,lost,asleep\n");
        for r in &self.timeline {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{}",
                r.second, r.sent, r.delivered, r.late, r.duplicated, r.lost, r.asleep
            );
        }
        out
    }

    /// The counts and latencies as CSV (`name,value`), for `--csv`.
    pub fn summary_csv(&self) -> String {
        let mut out = String::from("metric,value\n");
        for name in [
            "sent",
            "delivered",
            "lost",
            "duplicated",
            "out_of_order",
            "late",
            "unknown",
        ] {
            let _ = writeln!(out, "{name},{}", self.metric(name).unwrap_or(0.0));
        }
        for (prefix, l) in [
            ("", &self.latency),
            ("online_", &self.latency_online),
            ("after_wake_", &self.latency_after_wake),
        ] {
            for p in ["p50", "p90", "p99", "max", "avg"] {
                let _ = writeln!(out, "{prefix}{p}_ms,{}", l.get(p).unwrap_or(0.0));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{DeliveryReport, Ledger, RecipientState};

    #[test]
    fn metrics_by_name() {
        let mut ledger = Ledger::new(Duration::from_secs(1));
        for i in 0..10 {
            let sent = ledger.send(1, 2, RecipientState::Online, Duration::from_millis(i));
            if i != 3 {
                ledger.receive(2, sent.id, Duration::from_millis(i + 20));
            }
        }
        let report = ledger.finish();
        assert_eq!(report.metric("lost"), Some(1.0));
        assert_eq!(report.metric("lost_pct"), Some(10.0));
        let p99 = report.metric("p99").unwrap();
        assert!((19.0..=21.0).contains(&p99), "{p99}");
        assert_eq!(report.metric("online_p99"), Some(p99));
        assert_eq!(report.metric("after_wake_p99"), Some(0.0));
        assert_eq!(report.metric("bogus"), None);
        for name in DeliveryReport::METRIC_NAMES {
            assert!(report.metric(name).is_some(), "{name}");
        }
        assert!(DeliveryReport::is_latency_metric("after_wake_p99"));
        assert!(!DeliveryReport::is_latency_metric("lost_pct"));
        let text = report.summary();
        assert!(text.contains("lost 1 (10.00 %)"), "{text}");
        assert!(report.timeline_csv().starts_with("second,sent"));
        assert!(report.summary_csv().contains("lost,1"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["lost_messages"][0]["recipient_state"], "online");
        assert_eq!(json["lost_messages"][0]["id"], "akrida-msg-3");
    }
}
