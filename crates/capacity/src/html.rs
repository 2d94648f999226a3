//! `akrida capacity --html PATH`: the search as one self-contained page (inline CSS and SVG, no
//! script, opens offline), made with the HTML kit the run report uses
//! (`engine::report::html::kit`): the answer, the knee chart (latency and failures by load, the
//! SLO limits, each plateau's verdict, the capacity), the plateau table and the parameters.

use std::fmt::Write;

use engine::report::html::kit::{
    self, color, escape, line_chart, utc, Cell, LineChart, LiveParts, Mark, Row, Table,
};
use engine::thresholds::{trim_float, Metric};

use crate::current::Current;
use crate::measured::{is_latency, Driven, Plateau};
use crate::search::{Outcome, Verdict};
use crate::setup::Setup;
use crate::words::{load_text, table_rows, verdict_text};

/// Everything the page shows.
pub struct Page<'a> {
    pub title: &'a str,
    /// The parameters, already redacted.
    pub settings: &'a serde_json::Value,
    pub setup: &'a Setup,
    pub driven: &'a Driven,
    pub outcome: &'a Outcome,
    /// The answer with its reason, as the terminal prints it.
    pub answer: &'a str,
    /// The plateau running now (the live page); None in the final report.
    pub current: Option<&'a Current>,
    /// The events and servers watched beside the load (nothing on the live page).
    pub beside: &'a crate::beside::Beside,
}

/// One plateau on the knee chart.
#[derive(Debug, Clone, PartialEq)]
pub struct KneePoint {
    pub load: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub fail_percent: f64,
    pub verdict: Verdict,
}

/// The plateaus in the order of their load (the bisection's among the climb's).
pub fn knee_points(plateaus: &[Plateau]) -> Vec<KneePoint> {
    let mut points: Vec<KneePoint> = plateaus
        .iter()
        .map(|p| KneePoint {
            load: p.load,
            p50_ms: p.latency.p50_ms,
            p95_ms: p.latency.p95_ms,
            p99_ms: p.latency.p99_ms,
            fail_percent: p.fail_ratio * 100.0,
            verdict: p.verdict,
        })
        .collect();
    points.sort_by(|a, b| a.load.total_cmp(&b.load));
    points
}

fn verdict_color(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "#2e9e5b",
        Verdict::Fail => "#c62828",
        Verdict::GeneratorLimited => "#9aa3ae",
        Verdict::Unsteady => "#e09a25",
    }
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::GeneratorLimited | Verdict::Unsteady => "warn",
    }
}

/// The marks of the knee chart's dots: each plateau's verdict.
fn mark(verdict: Verdict) -> Mark<'static> {
    Mark {
        class: verdict_class(verdict),
        color: verdict_color(verdict),
        word: verdict_text(verdict),
    }
}

/// The verdicts' legend on the knee charts.
const VERDICTS: [Verdict; 4] = [
    Verdict::Pass,
    Verdict::Fail,
    Verdict::GeneratorLimited,
    Verdict::Unsteady,
];

/// The whole page: the final report (`live` None) or the live page (`live`: its controls and
/// script) — one template.
pub fn render(page: &Page<'_>, live: Option<&LiveParts<'_>>) -> String {
    kit::page(page.title, &render_report(page), live)
}

/// The report part of the page: what the live page replaces each second.
pub fn render_report(page: &Page<'_>) -> String {
    let setup = page.setup;
    let plateaus = &page.driven.plateaus;
    let subtitle = escape(&format!(
        "{} search · {} plateaus of {}s ({}s warm-up){}{}",
        setup.unit(),
        plateaus.len(),
        setup.plateau.as_secs(),
        setup.warmup.as_secs(),
        plateaus.first().map_or(String::new(), |p| format!(
            " · started {}",
            utc(p.started_at)
        )),
        page.driven
            .interrupted
            .map_or(String::new(), |by| format!(" · interrupted ({by})"))
    ));
    let sections = [
        answer_section(page),
        page.current
            .map_or(String::new(), |current| current_section(setup, current)),
        knee_section(page),
        plateaus_section(setup, plateaus),
        beside_sections(page.beside),
        kit::parameters(page.settings),
    ];
    let footer = format!(
        "Written by akrida {}. Latencies in ms over each plateau's judged window.",
        env!("CARGO_PKG_VERSION")
    );
    kit::report(page.title, &subtitle, &sections, &footer)
}

/// The servers' and events' sections, as the run report draws them. The knee chart's axis is
/// the load, not time: the events are marked in their own section only.
fn beside_sections(beside: &crate::beside::Beside) -> String {
    beside
        .sections
        .iter()
        .map(|section| engine::report::html::extra_section(section, beside.start_unix))
        .collect()
}

fn answer_section(page: &Page<'_>) -> String {
    let mut body = format!(
        "<span class=\"badge {}\">{}</span>",
        if page.outcome.capacity.is_some() {
            "pass"
        } else {
            "fail"
        },
        escape(
            &page
                .outcome
                .capacity
                .map_or("no capacity found".into(), |c| {
                    format!("capacity {}", load_text(c, page.setup.unit()))
                })
        )
    );
    for line in page.answer.lines() {
        let class = if line.starts_with("warning:") {
            " class=\"warn\""
        } else {
            ""
        };
        let _ = write!(body, "<p{class}>{}</p>", escape(line));
    }
    kit::section("answer", "Answer", &body)
}

/// The plateau running now, and how far it is (the live page only).
fn current_section(setup: &Setup, current: &Current) -> String {
    let length = current.length.as_secs_f64().max(1e-3);
    let done = current.since.elapsed().as_secs_f64().min(length);
    let body = format!(
        "<p>Plateau {} ({}) at {}: {}, {:.0} of {:.0} s \
<span class=\"bar\" style=\"width:{:.0}px\"></span></p>",
        current.number,
        escape(&format!("{:?}", current.phase).to_lowercase()),
        escape(&load_text(current.load, setup.unit())),
        current.stage.words(),
        done,
        length,
        200.0 * done / length
    );
    kit::section("current", "Now", &body)
}

fn knee_section(page: &Page<'_>) -> String {
    let setup = page.setup;
    let plateaus = &page.driven.plateaus;
    let points = knee_points(plateaus);
    let loads: Vec<f64> = points.iter().map(|p| p.load).collect();
    let marks: Vec<Mark<'static>> = points.iter().map(|p| mark(p.verdict)).collect();
    let legend: Vec<(&str, &str)> = VERDICTS
        .iter()
        .map(|&v| (verdict_text(v), verdict_color(v)))
        .collect();
    let capacity = page
        .outcome
        .capacity
        .map(|load| (format!("capacity {}", trim_float(load)), load));
    // The charted sample: the first latency SLO's (as judged), else total.
    let charted = plateaus
        .first()
        .map_or("total".to_owned(), |p| p.latency.sample.clone());
    let slo_sample = setup
        .slos
        .iter()
        .find(|t| is_latency(t.metric))
        .map(|t| t.sample.as_str());
    let latency_limits: Vec<(String, f64)> = setup
        .slos
        .iter()
        .filter(|t| is_latency(t.metric) && Some(t.sample.as_str()) == slo_sample)
        .map(|t| (t.text.clone(), t.limit))
        .collect();
    let fail_limits: Vec<(String, f64)> = setup
        .slos
        .iter()
        .filter(|t| t.metric == Metric::FailRatio)
        .map(|t| (t.text.clone(), t.limit * 100.0))
        .collect();
    let mut body = String::from("<div class=\"charts\">");
    body.push_str(&line_chart(&LineChart {
        id: "chart-knee-latency",
        title: &format!("{charted} — p50/p95/p99 (ms) by load"),
        y_unit: "ms",
        x_unit: setup.unit(),
        x: &loads,
        series: &[
            ("p50", color(0), points.iter().map(|p| p.p50_ms).collect()),
            ("p99", color(4), points.iter().map(|p| p.p99_ms).collect()),
            ("p95", color(1), points.iter().map(|p| p.p95_ms).collect()),
        ],
        limits: &latency_limits,
        marker: capacity.clone(),
        marks: &marks,
        mark_legend: &legend,
        empty: "no plateau finished",
    }));
    body.push_str(&line_chart(&LineChart {
        id: "chart-knee-failures",
        title: "failures (% of requests) by load",
        y_unit: "%",
        x_unit: setup.unit(),
        x: &loads,
        series: &[(
            "fail %",
            color(5),
            points.iter().map(|p| Some(p.fail_percent)).collect(),
        )],
        limits: &fail_limits,
        marker: capacity,
        marks: &marks,
        mark_legend: &legend,
        empty: "no plateau finished",
    }));
    body.push_str(
        "</div><p class=\"muted\">Each dot is a plateau, judged on its own samples after its warm-up; \
its colour is its verdict. Dashed red lines: the SLO limits; dotted green line: the capacity.</p>",
    );
    kit::section("knee", "Latency and failures by load", &body)
}

fn plateaus_section(setup: &Setup, plateaus: &[Plateau]) -> String {
    let mut rows = table_rows(setup, plateaus).into_iter();
    let columns = rows.next().unwrap_or_default();
    let last = columns.len().saturating_sub(1);
    let table = Table {
        id: "plateaus-table".into(),
        columns,
        text_columns: 0,
        rows: rows
            .zip(plateaus)
            .map(|(cells, p)| Row {
                class: format!("plateau v-{}", verdict_class(p.verdict)),
                cells: cells
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| Cell {
                        text,
                        class: if i == last {
                            verdict_class(p.verdict).to_owned()
                        } else {
                            String::new()
                        },
                    })
                    .collect(),
            })
            .collect(),
    };
    kit::section("plateaus", "Plateaus", &kit::table(&table))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::measured::test_plateau as plateau;

    #[test]
    fn knee_points_follow_the_load_not_the_order_run() {
        // Climb 20, 40 (fail), then the bisection's 30 (pass).
        let points = knee_points(&[
            plateau(1, 20.0, Some(10.0), Verdict::Pass),
            plateau(2, 40.0, None, Verdict::Fail),
            plateau(3, 30.0, Some(50.0), Verdict::Pass),
        ]);
        let loads: Vec<f64> = points.iter().map(|p| p.load).collect();
        assert_eq!(loads, [20.0, 30.0, 40.0]);
        assert_eq!(points[1].p95_ms, Some(50.0));
        assert_eq!(points[1].p99_ms, Some(100.0));
        assert_eq!(points[2].p95_ms, None);
        assert_eq!(points[2].verdict, Verdict::Fail);
        assert!((points[0].fail_percent - 10.0).abs() < 1e-9);
    }
}
