//! The phases of one sample made of steps (e.g. a holder's onboarding): each step's share
//! of the whole.

use std::fmt::Write;

use super::{ms, pct};
use crate::report::html::kit::escape;
use crate::report::html::HtmlReport;
use crate::stats::EntryStats;

pub(in crate::report::html) fn phases(out: &mut String, report: &HtmlReport<'_>) {
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
