//! The HTML report (`--html`) and the live page (`akrida run --web`): one template.
//!
//! The report is one self-contained file — inline CSS and SVG charts, no script, no external
//! resource — that opens offline in any browser and can be mailed or archived. The live page is
//! the same page with controls above it and a small script that replaces the report part with a
//! fresh rendering each second (sent by the server as an event): the final report is the live
//! page frozen.
//!
//! The page is a list of sections in reading order ([`SECTIONS`]): the verdict first (thresholds,
//! baseline, warnings), then the statistics, the charts, the failures, the server traces, and the
//! run's parameters last. A new section is one function and one line in that list. The page's
//! pieces (document, sections, tables, style, escaping) are the [`kit`]'s, shared with the
//! capacity search's report.

mod chart;
pub mod kit;
mod sections;

use serde::{Deserialize, Serialize};

use crate::baseline::Comparison;
use crate::stats::{HistoryRow, StatsSnapshot};
use crate::thresholds::ThresholdResult;
use crate::Phases;

pub use kit::LiveParts;
use kit::{escape, utc};

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

/// A table another crate fills in (the server traces), shown as plain text cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlTable {
    /// The table's element id, for links and tests.
    pub id: String,
    pub title: String,
    /// A line above the table.
    pub note: String,
    pub columns: Vec<String>,
    /// How many of the first columns hold text (left-aligned); the rest hold figures.
    pub text_columns: usize,
    pub rows: Vec<Vec<String>>,
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
    /// The server traces joined to the samples (per hop, per sample), when they were collected.
    pub traces: &'a [HtmlTable],
    /// Moments marked on every chart's time axis (e.g. timed events).
    pub marks: &'a [TimeMark],
    /// Sections another crate fills in (e.g. server resources, timed events), shown after the
    /// load generator's own section.
    pub extra_sections: &'a [ExtraSection],
}

/// A moment marked on every chart: a vertical line with a label.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeMark {
    /// Unix seconds.
    pub t: f64,
    pub label: String,
}

/// A section another crate fills in: notes, tables and charts, all shown as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraSection {
    /// The section's element id.
    pub id: String,
    pub title: String,
    /// Lines above the tables; `warn` ones are shown as warnings.
    pub notes: Vec<Note>,
    pub tables: Vec<HtmlTable>,
    pub charts: Vec<ExtraChart>,
}

/// A line of text in an [`ExtraSection`].
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub warn: bool,
}

/// A line chart of named series over shared times (unix seconds); `None` is a gap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraChart {
    /// The chart's element id.
    pub id: String,
    pub title: String,
    /// The y axis's unit, after its top label.
    pub unit: String,
    pub x: Vec<f64>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

/// What writes one section of the page.
type Section = fn(&mut String, &HtmlReport<'_>);

/// The sections, in reading order: the answer first, what it was measured with last.
const SECTIONS: &[Section] = &[
    sections::verdict,
    sections::thresholds,
    sections::baseline,
    sections::statistics,
    sections::delivery,
    sections::phases,
    sections::charts,
    sections::generator,
    sections::extra_sections,
    sections::failures,
    sections::traces,
    sections::counters,
    sections::parameters,
];

/// The final report: the page without controls or script.
pub fn render_html(report: &HtmlReport<'_>) -> String {
    render_page(report, None)
}

/// The whole page; with `live`, the controls and the script too.
pub fn render_page(report: &HtmlReport<'_>, live: Option<&LiveParts<'_>>) -> String {
    kit::page(report.title, &render_report(report), live)
}

/// The report part of the page (header, sections, footer): what the live page replaces each second.
pub fn render_report(report: &HtmlReport<'_>) -> String {
    let s = report.snapshot;
    let duration = s.taken_at - s.start_time;
    let subtitle = format!(
        "started {} · ran {} · <span id=\"total-requests\">{}</span> requests · \
{} failures · <span id=\"running-users\">{}</span> users running of {} wanted · {} spawned",
        escape(&utc(s.start_time)),
        escape(&chart::human_duration(duration)),
        s.total.num_requests,
        s.total.num_failures,
        s.user_count,
        s.target_user_count,
        s.users.spawned
    );
    let marks: Vec<(f64, String)> = report
        .marks
        .iter()
        .map(|m| (m.t - s.start_time.floor(), m.label.clone()))
        .collect();
    let sections: Vec<String> = chart::with_marks(&marks, || {
        SECTIONS
            .iter()
            .map(|section| {
                let mut out = String::new();
                section(&mut out, report);
                out
            })
            .collect()
    });
    let footer = format!(
        "Written by akrida {} at {}. Latencies in ms; percentiles over the whole run \
unless marked current (last ~10 s, Locust's buckets).",
        env!("CARGO_PKG_VERSION"),
        utc(s.taken_at)
    );
    kit::report(report.title, &subtitle, &sections, &footer)
}

/// A section another crate filled in (server resources, timed events), drawn as the run report
/// draws it; its charts' time axis counts from `start_unix`. For pages without a run report
/// (the capacity search's), which otherwise build on the [`kit`] alone.
pub fn extra_section(section: &ExtraSection, start_unix: f64) -> String {
    let mut out = String::new();
    sections::extra_section(&mut out, start_unix, section);
    out
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Clock, Stats};

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
            traces: &[],
            marks: &[],
            extra_sections: &[],
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
        assert_eq!(kit::nice_ceiling(7.3), 10.0);
        assert_eq!(kit::nice_ceiling(230.0), 250.0);
    }

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
        let settings = serde_json::json!({});
        let page = |snapshot: &crate::stats::StatsSnapshot| {
            render_html(&HtmlReport {
                title: "relay",
                settings: &settings,
                snapshot,
                history: &[],
                thresholds: &[],
                baseline: &[],
                generator: &[],
                warnings: &[],
                phases: None,
                traces: &[],
                marks: &[],
                extra_sections: &[],
            })
        };
        let html = page(&stats.snapshot());
        for id in ["delivery", "chart-delivery", "chart-asleep"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("after wake"));
        assert!(position(&html, "delivery") > position(&html, "stats-table"));
        assert!(!page(&Stats::new().snapshot()).contains("id=\"delivery\""));
    }

    /// Where each id first appears in the page.
    fn position(html: &str, id: &str) -> usize {
        html.find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} missing"))
    }

    #[test]
    fn sections_come_in_reading_order() {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        stats.record("ws", "ping", Duration::from_millis(3), Some("refused"));
        stats.count("reconnects", 2);
        let snapshot = stats.snapshot();
        let history = vec![HistoryRow::of(&snapshot)];
        let settings = serde_json::json!({"users": 3});
        let thresholds = crate::thresholds::evaluate(
            &[crate::thresholds::parse("ping:p95<1s").unwrap()],
            &snapshot,
        );
        let traces = [HtmlTable {
            id: "trace-hops".into(),
            title: "Per hop".into(),
            note: String::new(),
            columns: vec!["Agent".into(), "# events".into()],
            text_columns: 1,
            rows: vec![vec!["mediator <1>".into(), "4".into()]],
        }];
        let html = render_html(&HtmlReport {
            title: "order",
            settings: &settings,
            snapshot: &snapshot,
            history: &history,
            thresholds: &thresholds,
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
            traces: &traces,
            marks: &[],
            extra_sections: &[],
        });
        let order = [
            "verdict",
            "thresholds",
            "statistics",
            "charts",
            "failures",
            "traces",
            "counters",
            "parameters",
        ];
        for pair in order.windows(2) {
            assert!(
                position(&html, pair[0]) < position(&html, pair[1]),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        assert!(
            html.contains("mediator &lt;1&gt;"),
            "trace cells are escaped"
        );
        assert!(!html.contains("<script"), "the final report has no script");
    }

    /// The points of one series of one chart, as (x, y) pairs, from the SVG.
    fn chart_points(html: &str, chart: &str, series: &str) -> Vec<(f64, f64)> {
        let start = position(html, chart);
        let end = start + html[start..].find("</svg>").unwrap();
        let svg = &html[start..end];
        let marker = format!("data-series=\"{series}\"");
        let mut points = Vec::new();
        for part in svg.split("<polyline").skip(1) {
            if !part.contains(&marker) {
                continue;
            }
            let list = part.split("points=\"").nth(1).unwrap();
            let list = &list[..list.find('"').unwrap()];
            for pair in list.split_whitespace() {
                let (x, y) = pair.split_once(',').unwrap();
                points.push((x.parse().unwrap(), y.parse().unwrap()));
            }
        }
        points
    }

    /// A sample that stopped occurring has no points after its last sample (not zeros), while
    /// one that goes on has a point every second.
    #[tokio::test(start_paused = true)]
    async fn a_sample_that_stopped_leaves_a_gap() {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        let mut history = Vec::new();
        for second in 0..30 {
            if second < 5 {
                stats.record("ws", "connect", Duration::from_millis(40), None);
            }
            stats.record("ws", "ping", Duration::from_millis(8), None);
            tokio::time::advance(Duration::from_secs(1)).await;
            history.push(HistoryRow::of(&stats.snapshot()));
        }
        let snapshot = stats.snapshot();
        let html = render_html(&HtmlReport {
            title: "gaps",
            settings: &serde_json::json!({}),
            snapshot: &snapshot,
            history: &history,
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
            traces: &[],
            marks: &[],
            extra_sections: &[],
        });
        let connect = chart_points(&html, "chart-latency-ws-connect", "p50");
        let ping = chart_points(&html, "chart-latency-ws-ping", "p50");
        assert_eq!(ping.len(), 30, "one point a second while pinging");
        assert!(
            !connect.is_empty() && connect.len() <= 6,
            "connect drawn only while it occurred (5 s): {connect:?}"
        );
        // Its last point is where the ping line was 5–6 s in, far from the end.
        let last_x = connect.last().unwrap().0;
        assert!(last_x < ping[10].0, "{last_x} vs {:?}", ping[10]);
        // And it never falls to 0 ms (the chart's bottom is the largest y).
        let bottom = connect.iter().map(|p| p.1).fold(0.0, f64::max);
        let top = connect.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert_eq!(
            bottom, top,
            "a flat 40 ms line, no drop to zero: {connect:?}"
        );
    }

    /// Marks are drawn on every chart, the extra sections' charts included, and the sections
    /// come after the generator's.
    #[test]
    fn marks_and_extra_sections() {
        let stats = Stats::with_clock(Clock::starting_at(1_700_000_000.0));
        stats.record("ws", "ping", Duration::from_millis(3), None);
        let snapshot = stats.snapshot();
        let history = vec![HistoryRow::of(&snapshot)];
        let marks = [TimeMark {
            t: 1_700_000_004.0,
            label: "kill <mediator> 2".into(),
        }];
        let extra = [ExtraSection {
            id: "servers".into(),
            title: "Servers".into(),
            notes: vec![Note {
                text: "pid 7 exited".into(),
                warn: true,
            }],
            tables: vec![],
            charts: vec![ExtraChart {
                id: "chart-server-rss".into(),
                title: "RSS".into(),
                unit: "MiB".into(),
                x: vec![1_700_000_000.0, 1_700_000_001.0],
                series: vec![("mediator".into(), vec![Some(100.0), Some(101.0)])],
            }],
        }];
        let html = render_html(&HtmlReport {
            title: "marks",
            settings: &serde_json::json!({}),
            snapshot: &snapshot,
            history: &history,
            thresholds: &[],
            baseline: &[],
            generator: &[],
            warnings: &[],
            phases: None,
            traces: &[],
            marks: &marks,
            extra_sections: &extra,
        });
        let charts = html.matches("<svg class=\"chart\"").count();
        let marked = html
            .matches("data-mark=\"kill &lt;mediator&gt; 2\"")
            .count();
        assert!(charts >= 3, "{charts}");
        assert_eq!(marked, charts, "every chart carries the mark");
        assert!(position(&html, "servers") > position(&html, "charts"));
        assert!(position(&html, "chart-server-rss") > position(&html, "servers"));
        assert!(html.contains("⚠ pid 7 exited"));
    }
}
