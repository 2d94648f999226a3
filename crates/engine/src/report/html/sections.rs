//! The report's sections, each a function of the whole [`HtmlReport`] that writes nothing when it
//! has nothing to show. Their order is [`super::SECTIONS`].

use std::collections::BTreeMap;
use std::fmt::Write;

use super::chart::line_chart;
use super::kit::{self, escape};
use super::{slug, ExtraSection, GeneratorSample, HtmlReport, HtmlTable};
use crate::baseline::Comparison;
use crate::stats::EntryStats;
use crate::thresholds::{trim_float, ThresholdResult};

pub(super) fn verdict(out: &mut String, report: &HtmlReport<'_>) {
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
        let _ = write!(out, "<p class=\"warn\">⚠ {}</p>", escape(warning));
    }
    out.push_str("</section>\n");
}

/// The run's parameters, last: looked up, not read first.
pub(super) fn parameters(out: &mut String, report: &HtmlReport<'_>) {
    out.push_str(&kit::parameters(report.settings));
}

/// Named event counts that are not requests.
pub(super) fn counters(out: &mut String, report: &HtmlReport<'_>) {
    let counters = &report.snapshot.counters;
    if counters.is_empty() {
        return;
    }
    out.push_str("<section id=\"counters\"><h2>Counters</h2><table><tr><th class=\"l\">Counter</th><th>Count</th></tr>");
    for (name, n) in counters {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td>{n}</td></tr>",
            escape(name)
        );
    }
    out.push_str("</table></section>\n");
}

/// The server traces (per hop, per sample), when the trace collector ran.
pub(super) fn traces(out: &mut String, report: &HtmlReport<'_>) {
    if report.traces.is_empty() {
        return;
    }
    out.push_str("<section id=\"traces\"><h2>Server traces</h2>");
    for table in report.traces {
        html_table(out, table);
    }
    out.push_str("</section>\n");
}

fn html_table(out: &mut String, table: &HtmlTable) {
    let align = |i: usize| {
        if i < table.text_columns {
            " class=\"l\""
        } else {
            ""
        }
    };
    let _ = write!(out, "<h3>{}</h3>", escape(&table.title));
    if !table.note.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", escape(&table.note));
    }
    let _ = write!(out, "<table id=\"{}\"><tr>", escape(&table.id));
    for (i, column) in table.columns.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", align(i), escape(column));
    }
    out.push_str("</tr>");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", align(i), escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

pub(super) fn thresholds(out: &mut String, report: &HtmlReport<'_>) {
    let results: &[ThresholdResult] = report.thresholds;
    if results.is_empty() {
        return;
    }
    out.push_str("<section id=\"thresholds\"><h2>Thresholds</h2><table><tr><th class=\"l\">Threshold</th><th>Measured</th><th>Result</th></tr>");
    for r in results {
        let measured = r
            .measured
            .map(|m| format!("{} {}", trim_float(m), r.unit))
            .unwrap_or_else(|| "no requests".into());
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&r.threshold),
            escape(measured.trim()),
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
        escape(&e.kind),
        escape(&e.name),
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

pub(super) fn statistics(out: &mut String, report: &HtmlReport<'_>) {
    let s = report.snapshot;
    out.push_str(
        "<section id=\"statistics\"><h2>Statistics</h2><table id=\"stats-table\"><tr><th class=\"l\">Type</th><th class=\"l\">Name</th>\
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
pub(super) fn delivery(out: &mut String, report: &HtmlReport<'_>) {
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

pub(super) fn charts(out: &mut String, report: &HtmlReport<'_>) {
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

pub(super) fn phases(out: &mut String, report: &HtmlReport<'_>) {
    let Some(declared) = report.phases else {
        return;
    };
    let s = report.snapshot;
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
        escape(declared.title),
        escape(declared.total)
    );
    for e in &phases {
        let share = e.avg_ms / total_avg;
        let _ = write!(
            out,
            "<tr class=\"phase\"><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td class=\"l\"><span class=\"bar\" style=\"width:{:.0}%\"></span> {:.0}%</td></tr>",
            escape(&e.name),
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
            escape(&e.name),
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

pub(super) fn failures(out: &mut String, report: &HtmlReport<'_>) {
    let s = report.snapshot;
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
            escape(cause),
            escape(&samples.join(", ")),
            first - s.start_time,
            last - s.start_time
        );
    }
    out.push_str("</table></section>\n");
}

pub(super) fn baseline(out: &mut String, report: &HtmlReport<'_>) {
    let comparisons: &[Comparison] = report.baseline;
    if comparisons.is_empty() {
        return;
    }
    out.push_str("<section id=\"baseline\"><h2>Compared with the baseline</h2><table><tr><th class=\"l\">Sample</th><th class=\"l\">Metric</th><th>Baseline</th><th>This run</th><th>Change</th><th></th></tr>");
    for c in comparisons {
        let change = c
            .change
            .map_or("—".into(), |x| format!("{:+.1}%", x * 100.0));
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&c.sample),
            escape(&c.metric),
            trim_float(c.baseline),
            trim_float(c.current),
            change,
            if c.regression { "fail" } else { "pass" },
            if c.regression { "REGRESSION" } else { "ok" }
        );
    }
    out.push_str("</table></section>\n");
}

pub(super) fn generator(out: &mut String, report: &HtmlReport<'_>) {
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

/// Sections other crates fill in (server resources, timed events), each as given.
pub(super) fn extra_sections(out: &mut String, report: &HtmlReport<'_>) {
    for section in report.extra_sections {
        extra_section(out, report.snapshot.start_time, section);
    }
}

/// One such section; its charts' time axis counts from `start_unix` (the run's start). Also
/// drawn by pages without a run report (the capacity search's, through the kit).
pub(super) fn extra_section(out: &mut String, start_unix: f64, section: &ExtraSection) {
    let _ = write!(
        out,
        "<section id=\"{}\"><h2>{}</h2>",
        escape(&section.id),
        escape(&section.title)
    );
    for note in &section.notes {
        let _ = write!(
            out,
            "<p class=\"{}\">{}{}</p>",
            if note.warn { "warn" } else { "muted" },
            if note.warn { "⚠ " } else { "" },
            escape(&note.text)
        );
    }
    for table in &section.tables {
        html_table(out, table);
    }
    if !section.charts.is_empty() {
        out.push_str("<div class=\"charts\">");
        let start = start_unix.floor();
        for chart in &section.charts {
            let x: Vec<f64> = chart.x.iter().map(|t| t - start).collect();
            let series: Vec<(&str, Vec<Option<f64>>)> = chart
                .series
                .iter()
                .map(|(label, values)| (label.as_str(), values.clone()))
                .collect();
            line_chart(out, &chart.id, &chart.title, &chart.unit, &x, &series);
        }
        out.push_str("</div>");
    }
    out.push_str("</section>\n");
}
