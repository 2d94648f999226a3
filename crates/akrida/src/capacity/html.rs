//! `akrida capacity --html PATH`: the search as one self-contained page (inline CSS and SVG, no
//! script, opens offline), styled and escaped with the helpers of `akrida run --html`
//! (`engine::report::html`): the answer, the knee chart (latency and failures by load, the SLO
//! limits, each plateau's verdict, the capacity), the plateau table and the parameters.

use std::fmt::Write;

use engine::report::html::{esc, nice_ceiling, settings_section, short, utc, COLORS, CSS};
use engine::thresholds::{trim_float, Metric};

use super::flags::Setup;
use super::measured::{is_latency, Driven, Plateau};
use super::search::{Outcome, Verdict};
use super::words::{load_text, table_rows, verdict_text};

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

/// A linear axis from 0 to a round maximum, onto pixels `from` → `to` (`to` below `from` for y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub max: f64,
    from: f64,
    to: f64,
}

impl Scale {
    /// An axis that holds every value of `values` (and at least 1).
    pub fn holding(values: impl IntoIterator<Item = f64>, from: f64, to: f64) -> Self {
        let top = values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        Scale {
            max: nice_ceiling(top),
            from,
            to,
        }
    }

    pub fn px(&self, value: f64) -> f64 {
        self.from + value.clamp(0.0, self.max) / self.max * (self.to - self.from)
    }
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

/// One knee chart: series over the load, the SLO limits as dashed horizontal lines, the
/// verdict of each plateau as the colour of the last series' dots (drawn on top), and the
/// capacity.
struct Chart<'a> {
    id: &'a str,
    title: &'a str,
    unit: &'a str,
    x_unit: &'a str,
    points: &'a [KneePoint],
    series: &'a [(&'a str, &'a str, Vec<Option<f64>>)],
    /// (text, value) of each limit.
    limits: &'a [(String, f64)],
    capacity: Option<f64>,
}

fn chart(out: &mut String, c: &Chart<'_>) {
    const W: f64 = 640.0;
    const H: f64 = 300.0;
    const L: f64 = 56.0;
    const R: f64 = 16.0;
    const T: f64 = 28.0;
    const B: f64 = 58.0;
    let x = Scale::holding(c.points.iter().map(|p| p.load), L, W - R);
    let y = Scale::holding(
        c.series
            .iter()
            .flat_map(|(_, _, v)| v.iter().flatten().copied())
            .chain(c.limits.iter().map(|(_, v)| v * 1.1)),
        H - B,
        T,
    );
    let _ = write!(
        out,
        "<svg class=\"chart\" id=\"{}\" data-points=\"{}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><text class=\"title\" x=\"{L}\" y=\"16\">{}</text>",
        esc(c.id),
        c.points.len(),
        esc(c.title)
    );
    for i in 0..=4 {
        let v = y.max * f64::from(i) / 4.0;
        let py = y.px(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{L}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - R,
            L - 4.0,
            py + 4.0,
            esc(&format!("{}{}", short(v), if i == 4 { c.unit } else { "" }))
        );
        let vx = x.max * f64::from(i) / 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x.px(vx),
            H - B + 14.0,
            esc(&short(vx))
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{b}\"/><line class=\"axis\" x1=\"{L}\" x2=\"{}\" y1=\"{b}\" y2=\"{b}\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        W - R,
        (L + W - R) / 2.0,
        H - B + 28.0,
        esc(c.x_unit),
        b = H - B
    );
    for (text, value) in c.limits {
        let py = y.px(*value);
        let _ = write!(
            out,
            "<line class=\"slo\" data-slo=\"{}\" x1=\"{L}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#c62828\" stroke-dasharray=\"6 4\"/>\
<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" style=\"fill:#c62828\">SLO {}</text>",
            esc(text),
            W - R,
            W - R - 2.0,
            py - 4.0,
            esc(text)
        );
    }
    if let Some(load) = c.capacity {
        let px = x.px(load);
        let _ = write!(
            out,
            "<line class=\"capacity\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{T}\" y2=\"{}\" stroke=\"#2e9e5b\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\
<text x=\"{:.1}\" y=\"{}\" style=\"fill:#2e9e5b;font-weight:600\">capacity {}</text>",
            H - B,
            px + 4.0,
            T + 10.0,
            esc(&trim_float(load))
        );
    }
    for (i, (label, color, values)) in c.series.iter().enumerate() {
        let line: Vec<String> = c
            .points
            .iter()
            .zip(values)
            .filter_map(|(p, v)| v.map(|v| format!("{:.1},{:.1}", x.px(p.load), y.px(v))))
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\" points=\"{}\"/>",
            esc(label),
            line.join(" ")
        );
        for (p, v) in c.points.iter().zip(values) {
            let Some(v) = v else { continue };
            let (r, fill) = if i + 1 == c.series.len() {
                (4.0, verdict_color(p.verdict))
            } else {
                (2.0, *color)
            };
            let _ = write!(
                out,
                "<circle class=\"point {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\"><title>{}</title></circle>",
                verdict_class(p.verdict),
                x.px(p.load),
                y.px(*v),
                esc(&format!(
                    "{} {}: {label} {}{} ({})",
                    trim_float(p.load),
                    c.x_unit,
                    trim_float(*v),
                    c.unit,
                    verdict_text(p.verdict)
                ))
            );
        }
        let lx = L + i as f64 * 70.0;
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            H - 13.0,
            lx + 16.0,
            H - 9.0,
            esc(label)
        );
    }
    let mut lx = L + c.series.len() as f64 * 70.0 + 10.0;
    for verdict in [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::GeneratorLimited,
        Verdict::Unsteady,
    ] {
        let _ = write!(
            out,
            "<circle cx=\"{lx}\" cy=\"{}\" r=\"4\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            H - 12.0,
            verdict_color(verdict),
            lx + 8.0,
            H - 9.0,
            verdict_text(verdict)
        );
        lx += 24.0 + 7.0 * verdict_text(verdict).len() as f64;
    }
    if c.points.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no plateau finished</text>",
            W / 2.0,
            H / 2.0
        );
    }
    out.push_str("</svg>");
}

/// The whole page.
pub fn render(page: &Page<'_>) -> String {
    let setup = page.setup;
    let plateaus = &page.driven.plateaus;
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{}</title><style>{CSS}</style></head><body>\n<header><h1>{}</h1><div class=\"sub\">{}</div></header><main>",
        esc(page.title),
        esc(page.title),
        esc(&format!(
            "{} search · {} plateaus of {}s ({}s warm-up){}{}",
            setup.unit(),
            plateaus.len(),
            setup.plateau.as_secs(),
            setup.warmup.as_secs(),
            plateaus
                .first()
                .map_or(String::new(), |p| format!(" · started {}", utc(p.started_at))),
            if page.driven.interrupted {
                " · interrupted (Ctrl-C)"
            } else {
                ""
            }
        ))
    );

    out.push_str("<section id=\"answer\"><h2>Answer</h2>");
    let _ = write!(
        out,
        "<span class=\"badge {}\">{}</span>",
        if page.outcome.capacity.is_some() {
            "pass"
        } else {
            "fail"
        },
        esc(&page
            .outcome
            .capacity
            .map_or("no capacity found".into(), |c| {
                format!("capacity {}", load_text(c, setup.unit()))
            }))
    );
    for line in page.answer.lines() {
        let class = if line.starts_with("warning:") {
            " class=\"warn\""
        } else {
            ""
        };
        let _ = write!(out, "<p{class}>{}</p>", esc(line));
    }
    out.push_str("</section>\n");

    let points = knee_points(plateaus);
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
    out.push_str(
        "<section id=\"knee\"><h2>Latency and failures by load</h2><div class=\"charts\">",
    );
    chart(
        &mut out,
        &Chart {
            id: "chart-knee-latency",
            title: &format!("{charted} — p50/p95/p99 (ms) by load"),
            unit: "ms",
            x_unit: setup.unit(),
            points: &points,
            series: &[
                ("p50", COLORS[0], points.iter().map(|p| p.p50_ms).collect()),
                ("p99", COLORS[4], points.iter().map(|p| p.p99_ms).collect()),
                ("p95", COLORS[1], points.iter().map(|p| p.p95_ms).collect()),
            ],
            limits: &latency_limits,
            capacity: page.outcome.capacity,
        },
    );
    chart(
        &mut out,
        &Chart {
            id: "chart-knee-failures",
            title: "failures (% of requests) by load",
            unit: "%",
            x_unit: setup.unit(),
            points: &points,
            series: &[(
                "fail %",
                COLORS[5],
                points.iter().map(|p| Some(p.fail_percent)).collect(),
            )],
            limits: &fail_limits,
            capacity: page.outcome.capacity,
        },
    );
    out.push_str(
        "</div><p class=\"muted\">Each dot is a plateau, judged on its own samples after its warm-up; \
its colour is its verdict. Dashed red lines: the SLO limits; dotted green line: the capacity.</p></section>\n",
    );

    out.push_str("<section id=\"plateaus\"><h2>Plateaus</h2><table id=\"plateaus-table\">");
    let rows = table_rows(setup, plateaus);
    if let Some((header, body)) = rows.split_first() {
        out.push_str("<tr>");
        for cell in header {
            let _ = write!(out, "<th>{}</th>", esc(cell));
        }
        out.push_str("</tr>");
        for (row, p) in body.iter().zip(plateaus) {
            let _ = write!(out, "<tr class=\"plateau v-{}\">", verdict_class(p.verdict));
            let last = row.len().saturating_sub(1);
            for (i, cell) in row.iter().enumerate() {
                let class = if i == last {
                    verdict_class(p.verdict)
                } else {
                    ""
                };
                let _ = write!(out, "<td class=\"{class}\">{}</td>", esc(cell));
            }
            out.push_str("</tr>");
        }
    }
    out.push_str("</table></section>\n");

    settings_section(&mut out, page.settings);
    let _ = write!(
        out,
        "<p class=\"muted\">Written by akrida {}. Latencies in ms over each plateau's judged window.</p></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plateau(number: usize, load: f64, p95: Option<f64>, verdict: Verdict) -> Plateau {
        Plateau {
            number,
            phase: super::super::search::Phase::Climb,
            load,
            started_at: 0.0,
            judged_from: 1.0,
            ended_at: 4.0,
            warmup_seconds: 1.0,
            users: 3,
            requests: 10,
            failures: 1,
            fail_ratio: 0.1,
            throughput_per_s: 3.3,
            missed_iterations: 0,
            asked_per_s: Some(load),
            achieved_per_s: load,
            in_flight_start: 0,
            in_flight_end: 1,
            pace: super::super::steady::Pace::Steady,
            steady: true,
            drain: None,
            slos: Vec::new(),
            latency: super::super::measured::Latency {
                sample: "total".into(),
                p50_ms: p95.map(|v| v / 2.0),
                p95_ms: p95,
                p99_ms: p95.map(|v| v * 2.0),
            },
            generator: super::super::measured::GeneratorHealth {
                seconds: 3,
                saturated_seconds: 0,
                unsampled_seconds: 0,
                cpu_max_percent: 5.0,
                cores: 2.0,
                lag_max_ms: 1.0,
            },
            verdict,
        }
    }

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

    #[test]
    fn scales_hold_their_values_and_map_onto_pixels() {
        let x = Scale::holding([20.0, 60.0, 45.0], 50.0, 450.0);
        assert_eq!(x.max, 100.0);
        assert_eq!(x.px(0.0), 50.0);
        assert_eq!(x.px(50.0), 250.0);
        assert_eq!(x.px(100.0), 450.0);
        // Upwards for y, and clamped.
        let y = Scale::holding([f64::NAN, 180.0], 200.0, 0.0);
        assert_eq!(y.max, 200.0);
        assert_eq!(y.px(50.0), 150.0);
        assert_eq!(y.px(-3.0), 200.0);
        assert_eq!(y.px(900.0), 0.0);
        // Nothing to hold: still a usable axis.
        assert_eq!(Scale::holding([], 0.0, 10.0).max, 1.0);
    }
}
