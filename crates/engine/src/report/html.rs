//! The HTML report (`--html`): one self-contained file — inline CSS and SVG charts, no script,
//! no external resource — that opens offline in any browser and can be mailed or archived.
//!
//! It shows the run's parameters (the caller redacts secrets first), verdicts (thresholds,
//! baseline, generator saturation), the stats table, charts over time (users, requests/s and
//! failures/s, p50/p95/p99 per sample name, the generator's own CPU/RSS/fds/lag), the phases the
//! scenario declares (see [`Scenario::phases`](crate::Scenario::phases)), failures grouped by
//! cause, and the counters.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::baseline::Comparison;
use crate::stats::{EntryStats, HistoryRow, StatsSnapshot};
use crate::thresholds::{trim_float, ThresholdResult};
use crate::Phases;

/// One sample of the load generator's own health (see the binary's self-watch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSample {
    /// Unix seconds.
    pub t: f64,
    /// CPU time used over the last period, in percent of one core.
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    pub open_fds: u64,
    /// The longest delay of a timer on the runtime over the last period beyond its deadline.
    pub lag_ms: f64,
}

/// Everything the report shows.
pub struct HtmlReport<'a> {
    pub title: &'a str,
    /// Run parameters, already redacted; shown as a key/value table.
    pub settings: &'a serde_json::Value,
    pub snapshot: &'a StatsSnapshot,
    pub history: &'a [HistoryRow],
    pub thresholds: &'a [ThresholdResult],
    pub baseline: &'a [Comparison],
    pub generator: &'a [GeneratorSample],
    /// Warnings about the run (e.g. the generator was saturated).
    pub warnings: &'a [String],
    /// The steps the scenario says one of its samples is made of.
    pub phases: Option<&'a Phases>,
}

/// The report's style sheet (reused by other self-contained pages, e.g. `akrida capacity --html`).
pub const CSS: &str = r#"
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header .sub{color:#b8c0cc;font-size:13px;margin-top:4px}
main{padding:12px 24px;max-width:1400px}
section{background:#fff;border-radius:6px;padding:12px 16px;margin:12px 0;box-shadow:0 1px 2px #0002}
h2{font-size:16px;margin:2px 0 10px}
table{border-collapse:collapse;font-size:12.5px;width:100%}
th,td{padding:3px 8px;border-bottom:1px solid #e3e6ea;text-align:right;white-space:nowrap}
th{background:#eef0f3;position:sticky;top:0}
td.l,th.l{text-align:left;white-space:normal;word-break:break-word}
tr.total td{font-weight:600;border-top:2px solid #1d2330}
.pass{color:#0a7d32;font-weight:600}.fail{color:#c62828;font-weight:600}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;margin-right:6px;font-size:12px;font-weight:600}
.badge.pass{background:#e3f4e8}.badge.fail{background:#fde7e7}.badge.warn{background:#fff3cd;color:#7a5a00}
.warn{color:#7a5a00}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fff;border:1px solid #e3e6ea;border-radius:4px}
.chart text{font-size:11px;fill:#4a5260}.chart .title{font-size:12.5px;font-weight:600;fill:#1d2330}
.chart .grid{stroke:#eceef1}.chart .axis{stroke:#9aa3ae}
.bar{height:14px;background:#3b6fd8;display:inline-block;vertical-align:middle}
.muted{color:#7a828e}
"#;

/// Series colours, in order.
pub const COLORS: [&str; 6] = [
    "#3b6fd8", "#e0862b", "#c62828", "#2e9e5b", "#8a4fd1", "#6b7785",
];

/// The whole page.
pub fn render_html(report: &HtmlReport<'_>) -> String {
    let s = report.snapshot;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{CSS}</style></head><body>\n",
        esc(report.title)
    );
    let duration = s.taken_at - s.start_time;
    let _ = write!(
        out,
        "<header><h1>{}</h1><div class=\"sub\">started {} · ran {} · {} requests · {} failures · {} users spawned</div></header><main>",
        esc(report.title),
        esc(&utc(s.start_time)),
        esc(&human_duration(duration)),
        s.total.num_requests,
        s.total.num_failures,
        s.users.spawned
    );
    verdicts(&mut out, report);
    settings_section(&mut out, report.settings);
    if !report.thresholds.is_empty() {
        thresholds_section(&mut out, report.thresholds);
    }
    stats_section(&mut out, s);
    if let Some(delivery) = &s.delivery {
        delivery_section(&mut out, delivery);
    }
    charts_section(&mut out, report);
    if let Some(phases) = report.phases {
        phases_section(&mut out, s, phases);
    }
    failures_section(&mut out, s);
    if !report.baseline.is_empty() {
        baseline_section(&mut out, report.baseline);
    }
    generator_section(&mut out, report);
    if !s.counters.is_empty() {
        out.push_str("<section id=\"counters\"><h2>Counters</h2><table><tr><th class=\"l\">Counter</th><th>Count</th></tr>");
        for (name, n) in &s.counters {
            let _ = write!(
                out,
                "<tr><td class=\"l\">{}</td><td>{n}</td></tr>",
                esc(name)
            );
        }
        out.push_str("</table></section>\n");
    }
    let _ = write!(
        out,
        "<p class=\"muted\">Written by akrida {} at {}. Latencies in ms; percentiles over the whole run \
unless marked current (last ~10 s, Locust's buckets).</p></main></body></html>",
        env!("CARGO_PKG_VERSION"),
        esc(&utc(s.taken_at))
    );
    out
}

fn verdicts(out: &mut String, report: &HtmlReport<'_>) {
    out.push_str("<section id=\"verdict\"><h2>Verdict</h2>");
    if !report.thresholds.is_empty() {
        let failed = report.thresholds.iter().filter(|t| !t.passed).count();
        let _ = write!(
            out,
            "<span class=\"badge {}\">thresholds: {} of {} passed</span>",
            if failed == 0 { "pass" } else { "fail" },
            report.thresholds.len() - failed,
            report.thresholds.len()
        );
    }
    if !report.baseline.is_empty() {
        let regressions = report.baseline.iter().filter(|c| c.regression).count();
        let _ = write!(
            out,
            "<span class=\"badge {}\">baseline: {regressions} regression(s)</span>",
            if regressions == 0 { "pass" } else { "fail" }
        );
    }
    let failures = report.snapshot.total.num_failures;
    let _ = write!(
        out,
        "<span class=\"badge {}\">failures: {failures} ({:.2}%)</span>",
        if failures == 0 { "pass" } else { "fail" },
        report.snapshot.total.fail_ratio * 100.0
    );
    for warning in report.warnings {
        let _ = write!(out, "<p class=\"warn\">⚠ {}</p>", esc(warning));
    }
    out.push_str("</section>\n");
}

/// The "Run parameters" key/value table of already redacted settings.
pub fn settings_section(out: &mut String, settings: &serde_json::Value) {
    out.push_str("<section id=\"parameters\"><h2>Run parameters</h2><table>");
    if let Some(map) = settings.as_object() {
        for (key, value) in map {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".to_owned(),
                other => other.to_string(),
            };
            let _ = write!(
                out,
                "<tr><th class=\"l\" style=\"width:220px\">{}</th><td class=\"l\">{}</td></tr>",
                esc(key),
                esc(&text)
            );
        }
    }
    out.push_str("</table></section>\n");
}

fn thresholds_section(out: &mut String, results: &[ThresholdResult]) {
    out.push_str("<section id=\"thresholds\"><h2>Thresholds</h2><table><tr><th class=\"l\">Threshold</th><th>Measured</th><th>Result</th></tr>");
    for r in results {
        let measured = r
            .measured
            .map(|m| format!("{} {}", trim_float(m), r.unit))
            .unwrap_or_else(|| "no requests".into());
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&r.threshold),
            esc(measured.trim()),
            if r.passed { "pass" } else { "fail" },
            if r.passed { "PASS" } else { "FAIL" }
        );
    }
    out.push_str("</table></section>\n");
}

fn ms(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{v:.1}"))
}

fn pct(entry: &EntryStats, quantile: f64) -> String {
    entry
        .percentile_ms(quantile)
        .map_or("—".into(), |v| v.to_string())
}

fn stats_row(out: &mut String, e: &EntryStats, class: &str) {
    let _ = write!(
        out,
        "<tr class=\"{class}\"><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.2}%</td>\
<td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
        esc(&e.kind),
        esc(&e.name),
        e.num_requests,
        e.num_failures,
        e.fail_ratio * 100.0,
        e.avg_ms,
        ms(e.min_ms),
        ms(e.max_ms),
        pct(e, 0.5),
        pct(e, 0.95),
        pct(e, 0.99),
        pct(e, 0.999),
        e.requests_per_s,
        e.failures_per_s
    );
}

fn stats_section(out: &mut String, s: &StatsSnapshot) {
    out.push_str(
        "<section><h2>Statistics</h2><table id=\"stats-table\"><tr><th class=\"l\">Type</th><th class=\"l\">Name</th>\
<th># reqs</th><th># fails</th><th>fail %</th><th>avg</th><th>min</th><th>max</th><th>p50</th><th>p95</th><th>p99</th>\
<th>p99.9</th><th>req/s</th><th>fail/s</th></tr>",
    );
    for e in &s.entries {
        stats_row(out, e, "entry");
    }
    stats_row(out, &s.total, "total");
    out.push_str("</table>");
    if s.entries
        .iter()
        .any(|e| crate::stats::is_open_model_kind(&e.kind))
    {
        out.push_str(
            "<p class=\"muted\">Open model: <b>iteration</b> rows are timed from when each iteration was due \
(queueing included, no coordinated omission); <b>queue</b> rows are the wait before it started. \
Neither is in the Aggregated row.</p>",
        );
    }
    out.push_str("</section>\n");
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

/// Per-message delivery accounting: counts, latency online vs after wake, and a chart over time
/// of delivered / late / lost (by send second) and of holders asleep.
fn delivery_section(out: &mut String, d: &delivery::DeliveryReport) {
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
        let _ = write!(out, "<th>{}</th>", esc(name));
    }
    out.push_str("</tr><tr>");
    for (_, n) in counts {
        let _ = write!(out, "<td>{n}</td>");
    }
    out.push_str("</tr></table><table><tr><th class=\"l\">Lost, by recipient state at send</th><th>online</th><th>asleep</th><th>vanished</th></tr>");
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

fn charts_section(out: &mut String, report: &HtmlReport<'_>) {
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

fn phases_section(out: &mut String, s: &StatsSnapshot, declared: &Phases) {
    let phases: Vec<&EntryStats> = declared
        .steps
        .iter()
        .filter_map(|p| s.entries.iter().find(|e| e.name == *p))
        .collect();
    if phases.is_empty() {
        return;
    }
    let total = s.entries.iter().find(|e| e.name == declared.total);
    let total_avg: f64 = phases
        .iter()
        .map(|e| e.avg_ms)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let _ = write!(
        out,
        "<section id=\"phases\"><h2>{}</h2><table><tr><th class=\"l\">Phase</th><th># reqs</th><th># fails</th>\
<th>avg</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th class=\"l\" style=\"width:35%\">share of {} (avg)</th></tr>",
        esc(declared.title),
        esc(declared.total)
    );
    for e in &phases {
        let share = e.avg_ms / total_avg;
        let _ = write!(
            out,
            "<tr class=\"phase\"><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td class=\"l\"><span class=\"bar\" style=\"width:{:.0}%\"></span> {:.0}%</td></tr>",
            esc(&e.name),
            e.num_requests,
            e.num_failures,
            e.avg_ms,
            pct(e, 0.5),
            pct(e, 0.95),
            pct(e, 0.99),
            ms(e.max_ms),
            share * 90.0,
            share * 100.0
        );
    }
    if let Some(e) = total {
        let _ = write!(
            out,
            "<tr class=\"total\"><td class=\"l\">{} (all phases)</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td></td></tr>",
            esc(&e.name),
            e.num_requests,
            e.num_failures,
            e.avg_ms,
            pct(e, 0.5),
            pct(e, 0.95),
            pct(e, 0.99),
            ms(e.max_ms)
        );
    }
    out.push_str("</table></section>\n");
}

fn failures_section(out: &mut String, s: &StatsSnapshot) {
    out.push_str("<section id=\"failures\"><h2>Failures by cause</h2>");
    if s.failures.is_empty() {
        out.push_str("<p class=\"pass\">No failures.</p></section>\n");
        return;
    }
    // Grouped by the error text across sample names.
    let mut by_cause: BTreeMap<&str, (u64, Vec<String>, f64, f64)> = BTreeMap::new();
    for f in &s.failures {
        let slot = by_cause
            .entry(f.error.as_str())
            .or_insert((0, Vec::new(), f64::MAX, 0.0));
        slot.0 += f.occurrences;
        slot.1
            .push(format!("{} {} ({})", f.kind, f.name, f.occurrences));
        slot.2 = slot.2.min(f.first_seen);
        slot.3 = slot.3.max(f.last_seen);
    }
    let mut causes: Vec<_> = by_cause.into_iter().collect();
    causes.sort_by_key(|c| std::cmp::Reverse(c.1 .0));
    out.push_str("<table id=\"failures-table\"><tr><th>Occurrences</th><th class=\"l\">Cause</th><th class=\"l\">Samples</th><th>First seen</th><th>Last seen</th></tr>");
    for (cause, (n, samples, first, last)) in causes {
        let _ = write!(
            out,
            "<tr><td>{n}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>+{:.1}s</td><td>+{:.1}s</td></tr>",
            esc(cause),
            esc(&samples.join(", ")),
            first - s.start_time,
            last - s.start_time
        );
    }
    out.push_str("</table></section>\n");
}

fn baseline_section(out: &mut String, comparisons: &[Comparison]) {
    out.push_str("<section id=\"baseline\"><h2>Compared with the baseline</h2><table><tr><th class=\"l\">Sample</th><th class=\"l\">Metric</th><th>Baseline</th><th>This run</th><th>Change</th><th></th></tr>");
    for c in comparisons {
        let change = c
            .change
            .map_or("—".into(), |x| format!("{:+.1}%", x * 100.0));
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&c.sample),
            esc(&c.metric),
            trim_float(c.baseline),
            trim_float(c.current),
            change,
            if c.regression { "fail" } else { "pass" },
            if c.regression { "REGRESSION" } else { "ok" }
        );
    }
    out.push_str("</table></section>\n");
}

fn generator_section(out: &mut String, report: &HtmlReport<'_>) {
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

/// An SVG line chart of series over x (seconds since the start). Points that are None are gaps.
fn line_chart(
    out: &mut String,
    id: &str,
    title: &str,
    unit: &str,
    x: &[f64],
    series: &[(&str, Vec<Option<f64>>)],
) {
    const W: f64 = 440.0;
    const H: f64 = 220.0;
    const L: f64 = 48.0;
    const R: f64 = 10.0;
    const T: f64 = 26.0;
    const B: f64 = 38.0;
    let x_max = x.iter().copied().fold(1.0, f64::max);
    let y_raw = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0, f64::max);
    let y_max = nice_ceiling(y_raw);
    let points: usize = series.iter().map(|(_, v)| v.iter().flatten().count()).sum();
    let px = |v: f64| L + v / x_max * (W - L - R);
    let py = |v: f64| H - B - v / y_max * (H - T - B);
    let _ = write!(
        out,
        "<svg class=\"chart\" id=\"{}\" data-points=\"{points}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><text class=\"title\" x=\"{L}\" y=\"16\">{}</text>",
        esc(id),
        esc(title)
    );
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let y = py(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{L}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - R,
            L - 4.0,
            y + 4.0,
            esc(&format!("{}{}", short(v), if i == 4 { unit } else { "" }))
        );
    }
    for i in 0..=4 {
        let v = x_max * i as f64 / 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(v),
            H - B + 14.0,
            esc(&human_duration(v))
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{}\"/><line class=\"axis\" x1=\"{L}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        H - B,
        W - R,
        H - B,
        H - B
    );
    for (i, (label, values)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        // Runs of consecutive points, one polyline each.
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut String| {
            if !run.is_empty() {
                let _ = write!(
                    out,
                    "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{}\"/>",
                    esc(label),
                    run.trim_end()
                );
                run.clear();
            }
        };
        for (xv, yv) in x.iter().zip(values) {
            match yv {
                Some(y) => {
                    let _ = write!(run, "{:.1},{:.1} ", px(*xv), py(*y));
                }
                None => flush(&mut run, out),
            }
        }
        flush(&mut run, out);
        let lx = L + 8.0 + i as f64 * 95.0;
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"3\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            H - 12.0,
            lx + 14.0,
            H - 8.0,
            esc(label)
        );
    }
    if points == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>",
            W / 2.0,
            H / 2.0
        );
    }
    out.push_str("</svg>");
}

/// A round number at or above `v` (1, 2, 2.5, 5 × 10^n), at least 1.
pub fn nice_ceiling(v: f64) -> f64 {
    if v.is_nan() || v <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// An axis label: 12.5, 250, 40k, 1.2M.
pub fn short(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{}M", trim_float(v / 1_000_000.0))
    } else if v >= 10_000.0 {
        format!("{}k", trim_float(v / 1_000.0))
    } else {
        trim_float((v * 100.0).round() / 100.0)
    }
}

fn human_duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Unix seconds as `2024-05-01 12:00:00 UTC`: the CSV files' timestamp, spelt for reading.
pub fn utc(unix: f64) -> String {
    super::pyfmt::utc_timestamp(unix)
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// A string usable in an id: lower-case letters, digits and '-'.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Clock, Stats};

    #[test]
    fn deliveries_have_their_section_and_charts() {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        let mut ledger = delivery::Ledger::new(Duration::from_secs(5));
        let online = ledger.send(0, 1, delivery::RecipientState::Online, Duration::ZERO);
        ledger.send(
            0,
            2,
            delivery::RecipientState::Vanished,
            Duration::from_secs(1),
        );
        ledger.receive(1, online.id, Duration::from_millis(40));
        ledger.asleep(Duration::from_secs(1), 1);
        stats.set_delivery(ledger.finish());
        let snapshot = stats.snapshot();
        let settings = serde_json::json!({});
        let html = render_html(&HtmlReport {
            title: "relay",
            settings: &settings,
            snapshot: &snapshot,
            history: &[],
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
        });
        for id in ["delivery", "chart-delivery", "chart-asleep"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("after wake"));
        let without = render_html(&HtmlReport {
            title: "ping",
            settings: &settings,
            snapshot: &Stats::new().snapshot(),
            history: &[],
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
        });
        assert!(!without.contains("id=\"delivery\""));
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_text() {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        stats.record("ws", "connect", Duration::from_millis(30), None);
        stats.record(
            "ws",
            "ping<script>",
            Duration::from_millis(3),
            Some("bad <b>"),
        );
        let snapshot = stats.snapshot();
        let history = vec![HistoryRow::of(&snapshot)];
        let settings = serde_json::json!({"users": 3, "issuer_headers": "[redacted]"});
        let html = render_html(&HtmlReport {
            title: "akrida — test",
            settings: &settings,
            snapshot: &snapshot,
            history: &history,
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &["generator saturated".into()],
            phases: Some(&Phases {
                title: "Onboarding phases",
                total: "startup",
                steps: &["connect", "socket_open"],
            }),
        });
        assert!(
            !html.contains("<script"),
            "no script, and names are escaped"
        );
        assert!(html.contains("ping&lt;script&gt;"));
        assert!(!html.contains("http://") || !html.contains("src=\"http"));
        for id in [
            "stats-table",
            "chart-users",
            "chart-rps",
            "failures-table",
            "phases",
            "parameters",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("bad &lt;b&gt;"));
        assert_eq!(utc(1_700_000_000.0), "2023-11-14 22:13:20 UTC");
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(230.0), 250.0);
    }
}
