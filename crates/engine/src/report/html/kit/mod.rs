//! The HTML kit: what every self-contained page of akrida is made of (the run's report and live
//! page, the capacity search's). A page is a title and a list of sections; the kit holds the
//! style sheet and the pieces, so pages look alike and escape alike:
//!
//! - [`page`]: the document, with the style inline and, on a live page, the controls and script;
//! - [`report`]: the part of the page that a live page replaces each second (header, sections,
//!   footer);
//! - [`section`], [`table`], [`parameters`]: the pieces of a report;
//! - [`line_chart`]: series over a numeric x, as SVG (the run's own time charts are drawn by
//!   the run report);
//! - [`escape`], [`utc`], [`color`]: text, times and series colours as every page writes them.
//!
//! A section another crate filled in (server resources, timed events) is drawn by the run
//! report's own section code, [`super::extra_section`]: the kit is below the report's sections
//! and must not depend on them (nor on anything else in the report but `thresholds`).

mod line_chart;

use std::fmt::Write;

pub use line_chart::{color, line_chart, LineChart, Mark};
pub(super) use line_chart::{nice_ceiling, short};

/// The pages' style sheet.
const CSS: &str = r#"
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
.controls{background:#fff;padding:8px 24px;border-bottom:1px solid #e3e6ea;font-size:13px;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
.controls input{width:80px}.controls .state{color:#7a828e}
"#;

/// What a live page adds to the report: controls above it and the script that keeps it fresh.
pub struct LiveParts<'a> {
    /// HTML put between the page's top and the report.
    pub controls: &'a str,
    /// The script's text (inline, so the page still loads nothing else).
    pub script: &'a str,
}

/// The whole document: `report` (from [`report`]) in `<div id="report">`; with `live`, the
/// controls above it and the script after it. Without, the page has no script and opens offline.
pub fn page(title: &str, report: &str, live: Option<&LiveParts<'_>>) -> String {
    let mut out = String::with_capacity(report.len() + CSS.len() + 512);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{CSS}</style></head><body>\n",
        escape(title)
    );
    if let Some(live) = live {
        out.push_str(live.controls);
    }
    out.push_str("<div id=\"report\">");
    out.push_str(report);
    out.push_str("</div>");
    if let Some(live) = live {
        let _ = write!(out, "<script>{}</script>", live.script);
    }
    out.push_str("</body></html>");
    out
}

/// The report part of a page: a header (the title, and a line under it already in HTML), the
/// sections in order, and a footer note (text).
pub fn report(title: &str, subtitle_html: &str, sections: &[String], footer: &str) -> String {
    let mut out = String::with_capacity(sections.iter().map(String::len).sum::<usize>() + 512);
    let _ = write!(
        out,
        "<header><h1>{}</h1><div class=\"sub\">{subtitle_html}</div></header><main>",
        escape(title)
    );
    for section in sections {
        out.push_str(section);
    }
    let _ = write!(out, "<p class=\"muted\">{}</p></main>", escape(footer));
    out
}

/// One section: its id, its heading (text) and its content (HTML).
pub fn section(id: &str, title: &str, body_html: &str) -> String {
    format!(
        "<section id=\"{}\"><h2>{}</h2>{body_html}</section>\n",
        escape(id),
        escape(title)
    )
}

/// A table of text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The table's element id, for links and tests (none when empty).
    pub id: String,
    pub columns: Vec<String>,
    /// How many of the first columns hold text (left-aligned); the rest hold figures.
    pub text_columns: usize,
    pub rows: Vec<Row>,
}

/// A row of a [`Table`]: its class (none when empty), and each cell's text and class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub class: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub text: String,
    /// A class of its own (`pass`, `fail`); text columns are also `l`.
    pub class: String,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            class: String::new(),
        }
    }
}

/// The table as HTML, every cell escaped.
pub fn table(table: &Table) -> String {
    let mut out = String::with_capacity(256 + table.rows.len() * 128);
    let class = |i: usize, own: &str| {
        let mut classes: Vec<&str> = Vec::new();
        if i < table.text_columns {
            classes.push("l");
        }
        if !own.is_empty() {
            classes.push(own);
        }
        if classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", escape(&classes.join(" ")))
        }
    };
    if table.id.is_empty() {
        out.push_str("<table><tr>");
    } else {
        let _ = write!(out, "<table id=\"{}\"><tr>", escape(&table.id));
    }
    for (i, column) in table.columns.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i, ""), escape(column));
    }
    out.push_str("</tr>");
    for row in &table.rows {
        if row.class.is_empty() {
            out.push_str("<tr>");
        } else {
            let _ = write!(out, "<tr class=\"{}\">", escape(&row.class));
        }
        for (i, cell) in row.cells.iter().enumerate() {
            let _ = write!(
                out,
                "<td{}>{}</td>",
                class(i, &cell.class),
                escape(&cell.text)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// The "Run parameters" section: a key/value table of already redacted settings.
pub fn parameters(settings: &serde_json::Value) -> String {
    let mut body = String::from("<table>");
    if let Some(map) = settings.as_object() {
        for (key, value) in map {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".to_owned(),
                other => other.to_string(),
            };
            let _ = write!(
                body,
                "<tr><th class=\"l\" style=\"width:220px\">{}</th><td class=\"l\">{}</td></tr>",
                escape(key),
                escape(&text)
            );
        }
    }
    body.push_str("</table>");
    section("parameters", "Run parameters", &body)
}

/// Unix seconds as `2024-05-01 12:00:00 UTC`: the CSV files' timestamp, spelt for reading.
pub fn utc(unix: f64) -> String {
    crate::report::pyfmt::utc_timestamp(unix)
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
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
    use super::*;

    #[test]
    fn a_page_is_its_sections_in_order_escaped_and_without_script_unless_live() {
        let sections = [
            section("first", "One <1>", "<p>a</p>"),
            parameters(&serde_json::json!({"key": "<v>"})),
        ];
        let body = report("T & co", "<b>sub</b>", &sections, "foot <x>");
        let html = page("T & co", &body, None);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"));
        assert!(html.contains("<h1>T &amp; co</h1>") && html.contains("<b>sub</b>"));
        assert!(html.find("id=\"first\"").unwrap() < html.find("id=\"parameters\"").unwrap());
        assert!(html.contains("One &lt;1&gt;") && html.contains("&lt;v&gt;"));
        assert!(html.contains("foot &lt;x&gt;"));
        let live = page(
            "T",
            &body,
            Some(&LiveParts {
                controls: "<div id=\"controls\"></div>",
                script: "go()",
            }),
        );
        assert!(live.contains("<div id=\"controls\"></div><div id=\"report\">"));
        assert!(live.contains("<script>go()</script>"));
    }

    #[test]
    fn tables_align_text_columns_and_escape_cells() {
        let html = table(&Table {
            id: "t".into(),
            columns: vec!["Name".into(), "n".into()],
            text_columns: 1,
            rows: vec![Row {
                class: "r".into(),
                cells: vec![
                    Cell::text("<a>"),
                    Cell {
                        text: "1".into(),
                        class: "fail".into(),
                    },
                ],
            }],
        });
        assert_eq!(
            html,
            "<table id=\"t\"><tr><th class=\"l\">Name</th><th>n</th></tr>\
<tr class=\"r\"><td class=\"l\">&lt;a&gt;</td><td class=\"fail\">1</td></tr></table>"
        );
        assert_eq!(utc(1_700_000_000.0), "2023-11-14 22:13:20 UTC");
    }
}
