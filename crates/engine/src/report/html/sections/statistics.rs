//! The statistics table: one row per request name, then the total.

use std::fmt::Write;

use super::{ms, pct};
use crate::report::html::kit::escape;
use crate::report::html::HtmlReport;
use crate::stats::EntryStats;

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

pub(in crate::report::html) fn statistics(out: &mut String, report: &HtmlReport<'_>) {
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
