//! Outputs made from a snapshot: Locust's CSV files, JSON, and the terminal table. Each is a pure
//! function of a [`StatsSnapshot`](crate::StatsSnapshot) (and the history rows), so they agree
//! with each other and can be written at any time, including after Ctrl-C.

mod csv;
pub mod html;
mod json;
mod prometheus;
mod pyfmt;
pub mod redact;
mod table;

pub use self::csv::{
    failures_csv, stats_csv, stats_history_csv, write_locust_csv, EXCEPTIONS_COLUMNS,
    FAILURES_COLUMNS, HISTORY_COLUMNS, STATS_COLUMNS,
};
pub use html::{
    render_html, render_page, render_report, ExtraChart, ExtraSection, GeneratorSample, HtmlReport,
    HtmlTable, LiveParts, Note, TimeMark,
};
pub use json::{from_json, to_json};
pub use prometheus::{render_prometheus, PROMETHEUS_BUCKETS_MS};
pub use table::{render_table, Rates};

#[cfg(test)]
mod tests;
