//! Prometheus text exposition (format 0.0.4) of the live stats, for `--metrics-addr`: request and
//! failure counters and cumulative latency histograms per sample, users, and named counters.

use std::fmt::Write;

use crate::stats::{LatencyHistogram, StatsSnapshot};

/// Histogram bucket bounds in milliseconds (1 ms to 60 s; +Inf is added).
pub const PROMETHEUS_BUCKETS_MS: [f64; 16] = [
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0,
    20_000.0, 30_000.0, 60_000.0,
];

/// The exposition text. `histograms` comes from `Stats::latency_histograms(&PROMETHEUS_BUCKETS_MS)`.
pub fn render_prometheus(snapshot: &StatsSnapshot, histograms: &[LatencyHistogram]) -> String {
    let mut out = String::new();
    gauge(
        &mut out,
        "akrida_users",
        "Users running now.",
        snapshot.user_count as f64,
    );
    gauge(
        &mut out,
        "akrida_users_target",
        "Users the run aims for.",
        snapshot.target_user_count as f64,
    );
    let u = &snapshot.users;
    let _ = writeln!(
        out,
        "# HELP akrida_users_total Users by what happened to them."
    );
    let _ = writeln!(out, "# TYPE akrida_users_total counter");
    for (state, n) in [
        ("spawned", u.spawned),
        ("started", u.started),
        ("start_failed", u.start_failures),
        ("start_cut_short", u.starts_cut_short),
        ("panicked", u.panicked),
        ("stopped", u.stopped),
    ] {
        let _ = writeln!(out, "akrida_users_total{{state=\"{state}\"}} {n}");
    }

    let _ = writeln!(
        out,
        "# HELP akrida_requests_total Samples recorded, by kind and name."
    );
    let _ = writeln!(out, "# TYPE akrida_requests_total counter");
    for h in histograms {
        let _ = writeln!(out, "akrida_requests_total{{{}}} {}", labels(h), h.requests);
    }
    let _ = writeln!(
        out,
        "# HELP akrida_failures_total Failed samples, by kind and name."
    );
    let _ = writeln!(out, "# TYPE akrida_failures_total counter");
    for h in histograms {
        let _ = writeln!(out, "akrida_failures_total{{{}}} {}", labels(h), h.failures);
    }
    let _ = writeln!(
        out,
        "# HELP akrida_response_time_seconds Response times of timed samples, by kind and name."
    );
    let _ = writeln!(out, "# TYPE akrida_response_time_seconds histogram");
    for h in histograms {
        let l = labels(h);
        for (ms, count) in &h.buckets {
            let _ = writeln!(
                out,
                "akrida_response_time_seconds_bucket{{{l},le=\"{}\"}} {count}",
                ms / 1_000.0
            );
        }
        let _ = writeln!(
            out,
            "akrida_response_time_seconds_bucket{{{l},le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "akrida_response_time_seconds_sum{{{l}}} {}",
            h.sum_ms / 1_000.0
        );
        let _ = writeln!(out, "akrida_response_time_seconds_count{{{l}}} {}", h.count);
    }
    if !snapshot.counters.is_empty() {
        let _ = writeln!(
            out,
            "# HELP akrida_events_total Named events that are not requests."
        );
        let _ = writeln!(out, "# TYPE akrida_events_total counter");
        for (name, n) in &snapshot.counters {
            let _ = writeln!(out, "akrida_events_total{{event=\"{}\"}} {n}", escape(name));
        }
    }
    out
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name} {value}");
}

fn labels(h: &LatencyHistogram) -> String {
    format!("kind=\"{}\",name=\"{}\"", escape(&h.kind), escape(&h.name))
}

/// Label values escape backslash, double quote and newline.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::Stats;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let stats = Stats::new();
        for ms in [3, 30, 300] {
            stats.record("ws", "ping \"x\"", Duration::from_millis(ms), None);
        }
        stats.record("ws", "ping \"x\"", Duration::from_millis(3), Some("boom"));
        let text = render_prometheus(
            &stats.snapshot(),
            &stats.latency_histograms(&PROMETHEUS_BUCKETS_MS),
        );
        let l = r#"kind="ws",name="ping \"x\"""#;
        for line in [
            format!("akrida_requests_total{{{l}}} 4"),
            format!("akrida_failures_total{{{l}}} 1"),
            format!("akrida_response_time_seconds_bucket{{{l},le=\"0.0025\"}} 0"),
            format!("akrida_response_time_seconds_bucket{{{l},le=\"0.005\"}} 2"),
            format!("akrida_response_time_seconds_bucket{{{l},le=\"0.05\"}} 3"),
            format!("akrida_response_time_seconds_bucket{{{l},le=\"+Inf\"}} 4"),
            format!("akrida_response_time_seconds_count{{{l}}} 4"),
            format!("akrida_response_time_seconds_sum{{{l}}} 0.336"),
        ] {
            assert!(text.lines().any(|x| x == line), "{line} missing in\n{text}");
        }
    }
}
