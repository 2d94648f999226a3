//! The report's sections, each a function of the whole [`HtmlReport`] that writes nothing when it
//! has nothing to show. Their order is [`super::SECTIONS`]; each module here holds one section or
//! a few that belong together, and this module the small pieces several of them share.
//!
//! Sections sit on top of the page's pieces ([`super::kit`], [`super::chart`]): nothing in the kit
//! or the chart may depend on a section.

mod charts;
mod extra;
mod phases;
mod statistics;
mod tables;
mod verdict;

use std::fmt::Write;

use super::kit::escape;
use super::HtmlTable;
use crate::stats::EntryStats;

pub(super) use charts::{charts, delivery, generator};
pub(super) use extra::{extra_section, extra_sections};
pub(super) use phases::phases;
pub(super) use statistics::statistics;
pub(super) use tables::{counters, failures, parameters, traces};
pub(super) use verdict::{baseline, thresholds, verdict};

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

fn ms(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{v:.1}"))
}

fn pct(entry: &EntryStats, quantile: f64) -> String {
    entry
        .percentile_ms(quantile)
        .map_or("—".into(), |v| v.to_string())
}
