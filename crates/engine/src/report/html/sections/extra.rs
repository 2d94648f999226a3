//! Sections other crates fill in (server resources, timed events), drawn as given.

use std::fmt::Write;

use super::html_table;
use crate::report::html::chart::line_chart;
use crate::report::html::kit::escape;
use crate::report::html::{ExtraSection, HtmlReport};

/// Sections other crates fill in (server resources, timed events), each as given.
pub(in crate::report::html) fn extra_sections(out: &mut String, report: &HtmlReport<'_>) {
    for section in report.extra_sections {
        extra_section(out, report.snapshot.start_time, section);
    }
}

/// One such section; its charts' time axis counts from `start_unix` (the run's start). Also
/// drawn by pages without a run report (the capacity search's, through the kit).
pub(in crate::report::html) fn extra_section(
    out: &mut String,
    start_unix: f64,
    section: &ExtraSection,
) {
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
