//! The plain tables: failures by cause, the server traces, the counters and the run's parameters.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::html_table;
use crate::report::html::kit::{self, escape};
use crate::report::html::HtmlReport;

/// The run's parameters, last: looked up, not read first.
pub(in crate::report::html) fn parameters(out: &mut String, report: &HtmlReport<'_>) {
    out.push_str(&kit::parameters(report.settings));
}

/// Named event counts that are not requests.
pub(in crate::report::html) fn counters(out: &mut String, report: &HtmlReport<'_>) {
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
pub(in crate::report::html) fn traces(out: &mut String, report: &HtmlReport<'_>) {
    if report.traces.is_empty() {
        return;
    }
    out.push_str("<section id=\"traces\"><h2>Server traces</h2>");
    for table in report.traces {
        html_table(out, table);
    }
    out.push_str("</section>\n");
}

pub(in crate::report::html) fn failures(out: &mut String, report: &HtmlReport<'_>) {
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
