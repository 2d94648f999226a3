//! The time charts: users, throughput and latency over the run, the delivery of queued messages,
//! and the load generator's own health.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::html::chart::line_chart;
use crate::report::html::kit::escape;
use crate::report::html::{slug, GeneratorSample, HtmlReport};

/// Whether a history row has latencies of its own for this entry: a gap in the chart otherwise.
///
/// Locust's current percentiles read 0 when the window holds no sample, and a window still holds
/// the last sample for ~10 s after it: drawn as they are, the line of a sample that stopped
/// occurring (`connect` once the users are on) would fall to 0 ms, or stay flat, where there was
/// nothing to measure. So a row more than a second after the entry's last sample, and a row whose
/// window is empty, are gaps.
fn has_recent_samples(
    entry: &crate::stats::HistoryEntry,
    row_timestamp: u64,
    last_sample: Option<f64>,
) -> bool {
    let Some(last) = last_sample else {
        return false;
    };
    let after_last = row_timestamp as f64 > last.floor() + 1.0;
    // Whole milliseconds: a fast sample can read 0 at every percentile; its rate says it is there.
    let window_empty = entry.current_requests_per_s == 0.0
        && entry
            .current_percentiles_ms
            .as_ref()
            .is_none_or(|p| p.iter().all(|v| *v == 0));
    !after_last && !window_empty
}

/// Seconds since the start for each history row.
fn history_x(report: &HtmlReport<'_>) -> Vec<f64> {
    let start = report.snapshot.start_time.floor();
    report
        .history
        .iter()
        .map(|r| r.timestamp as f64 - start)
        .collect()
}

/// Per-message delivery accounting, for scenarios that keep it (`mediator-relay`, `msg`):
/// counts, latency online vs after wake, and a chart over time of delivered / late / lost (by
/// send second) and of holders asleep.
pub(in crate::report::html) fn delivery(out: &mut String, report: &HtmlReport<'_>) {
    let Some(d) = &report.snapshot.delivery else {
        return;
    };
    out.push_str("<section id=\"delivery\"><h2>Deliveries</h2><p class=\"muted\">Per message; lost is decided after every holder woke and drained its queue.</p><table><tr>");
    let counts = [
        ("sent", d.sent),
        ("delivered", d.delivered),
        ("lost", d.lost),
        ("duplicated", d.duplicated),
        ("out of order", d.out_of_order),
        ("late", d.late),
        ("unknown", d.unknown),
        ("send failed", d.send_failed),
    ];
    for (name, _) in counts {
        let _ = write!(out, "<th>{}</th>", escape(name));
    }
    out.push_str("</tr><tr>");
    for (_, n) in counts {
        let _ = write!(out, "<td>{n}</td>");
    }
    out.push_str("</tr></table><table><tr><th class=\"l\">By recipient state at send</th><th>online</th><th>asleep</th><th>vanished</th></tr>");
    for (label, c) in [("sent", &d.sent_by_state), ("lost", &d.lost_by_state)] {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{label}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.online, c.asleep, c.vanished
        );
    }
    out.push_str("</table><table><tr><th class=\"l\">Delivery latency (ms)</th><th>n</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>");
    for (label, l) in [
        ("all", &d.latency),
        ("recipient online", &d.latency_online),
        ("after wake", &d.latency_after_wake),
    ] {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{label}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td></tr>",
            l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
        );
    }
    out.push_str("</table><div class=\"charts\">");
    let x: Vec<f64> = d.timeline.iter().map(|r| r.second as f64).collect();
    let series = |f: fn(&delivery::TimelineRow) -> u64| -> Vec<Option<f64>> {
        d.timeline.iter().map(|r| Some(f(r) as f64)).collect()
    };
    line_chart(
        out,
        "chart-delivery",
        "Messages per second",
        "",
        &x,
        &[
            ("delivered", series(|r| r.delivered)),
            ("late", series(|r| r.late)),
            ("lost (by send second)", series(|r| r.lost)),
        ],
    );
    line_chart(
        out,
        "chart-asleep",
        "Holders asleep",
        "",
        &x,
        &[("asleep", series(|r| r.asleep))],
    );
    out.push_str("</div></section>\n");
}

pub(in crate::report::html) fn charts(out: &mut String, report: &HtmlReport<'_>) {
    let s = report.snapshot;
    out.push_str("<section id=\"charts\"><h2>Over time</h2><div class=\"charts\">");
    let x = history_x(report);
    let users: Vec<Option<f64>> = report
        .history
        .iter()
        .map(|r| Some(r.user_count as f64))
        .collect();
    line_chart(out, "chart-users", "Users", "", &x, &[("users", users)]);

    // Exact per-second counts from the snapshot's series (every second, zeros included).
    let start = s.start_time.floor() as u64;
    let end = (s.taken_at.floor() as u64).max(start);
    let counts: BTreeMap<u64, (u64, u64)> = s
        .total
        .per_second
        .iter()
        .map(|c| (c.t, (c.requests, c.failures)))
        .collect();
    let seconds: Vec<u64> = (start..=end).collect();
    let sx: Vec<f64> = seconds.iter().map(|t| (t - start) as f64).collect();
    let (rps, fps) = if counts.is_empty() {
        // A snapshot without the series (read back from JSON without it): the history's rates.
        let rps = report
            .history
            .iter()
            .map(|r| Some(r.total.current_requests_per_s))
            .collect();
        let fps = report
            .history
            .iter()
            .map(|r| Some(r.total.current_failures_per_s))
            .collect();
        (rps, fps)
    } else {
        let get = |t: &u64| counts.get(t).copied().unwrap_or((0, 0));
        (
            seconds
                .iter()
                .map(|t| Some(get(t).0 as f64))
                .collect::<Vec<_>>(),
            seconds
                .iter()
                .map(|t| Some(get(t).1 as f64))
                .collect::<Vec<_>>(),
        )
    };
    let rate_x = if counts.is_empty() { &x } else { &sx };
    line_chart(
        out,
        "chart-rps",
        "Requests/s and failures/s",
        "/s",
        rate_x,
        &[("requests/s", rps), ("failures/s", fps)],
    );

    // p50 / p95 / p99 per sample name (current window, from the history rows).
    for e in &s.entries {
        if e.num_requests == e.num_untimed_requests {
            continue;
        }
        let column = |index: usize| -> Vec<Option<f64>> {
            report
                .history
                .iter()
                .map(|r| {
                    r.entries
                        .iter()
                        .find(|h| h.kind == e.kind && h.name == e.name)
                        .filter(|h| has_recent_samples(h, r.timestamp, e.last_sample))
                        .and_then(|h| h.current_percentiles_ms.as_ref())
                        .and_then(|p| p.get(index))
                        .map(|v| *v as f64)
                })
                .collect()
        };
        // Indexes into PERCENTILES: 50% is 0, 95% is 5, 99% is 7.
        let id = format!("chart-latency-{}", slug(&format!("{}-{}", e.kind, e.name)));
        line_chart(
            out,
            &id,
            &format!("{} — p50/p95/p99 (current)", e.name),
            "ms",
            &x,
            &[("p50", column(0)), ("p95", column(5)), ("p99", column(7))],
        );
    }
    out.push_str("</div></section>\n");
}

pub(in crate::report::html) fn generator(out: &mut String, report: &HtmlReport<'_>) {
    let g = report.generator;
    if g.is_empty() {
        return;
    }
    let start = report.snapshot.start_time;
    let x: Vec<f64> = g.iter().map(|s| s.t - start).collect();
    out.push_str("<section id=\"generator\"><h2>The load generator itself (akrida)</h2>");
    let max = |f: fn(&GeneratorSample) -> f64| g.iter().map(f).fold(0.0, f64::max);
    let _ = write!(
        out,
        "<p>Peak CPU {:.0}% of one core · peak RSS {:.1} MiB · peak open fds {} · worst scheduling lag {:.1} ms</p><div class=\"charts\">",
        max(|s| s.cpu_percent),
        max(|s| s.rss_bytes as f64) / 1_048_576.0,
        max(|s| s.open_fds as f64),
        max(|s| s.lag_ms)
    );
    line_chart(
        out,
        "chart-generator-cpu",
        "akrida CPU (% of one core)",
        "%",
        &x,
        &[("cpu", g.iter().map(|s| Some(s.cpu_percent)).collect())],
    );
    line_chart(
        out,
        "chart-generator-rss",
        "akrida RSS (MiB)",
        "MiB",
        &x,
        &[(
            "rss",
            g.iter()
                .map(|s| Some(s.rss_bytes as f64 / 1_048_576.0))
                .collect(),
        )],
    );
    line_chart(
        out,
        "chart-generator-fds",
        "akrida open file descriptors",
        "",
        &x,
        &[("fds", g.iter().map(|s| Some(s.open_fds as f64)).collect())],
    );
    line_chart(
        out,
        "chart-generator-lag",
        "tokio scheduling lag (ms)",
        "ms",
        &x,
        &[("lag", g.iter().map(|s| Some(s.lag_ms)).collect())],
    );
    out.push_str("</div></section>\n");
}
