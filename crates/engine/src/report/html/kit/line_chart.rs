//! The kit's line chart: series over a numeric x (a load, a count), drawn as SVG on the server,
//! with optional limits (dashed horizontal lines), a marker (a dotted vertical line) and marks
//! that colour and name each point (a verdict).

use std::fmt::Write;

use super::escape;
use crate::thresholds::trim_float;

/// One chart: what [`line_chart`] draws.
pub struct LineChart<'a> {
    /// The SVG's element id, for links and tests.
    pub id: &'a str,
    pub title: &'a str,
    /// The unit of the y values (`ms`, `%`), after the top label and in each point's title.
    pub y_unit: &'a str,
    /// What x counts (`users`): under the x axis and in each point's title.
    pub x_unit: &'a str,
    /// The x of each point.
    pub x: &'a [f64],
    /// Each series: its label, its colour ([`color`]) and a y per x (None: no point there).
    pub series: &'a [(&'a str, &'a str, Vec<Option<f64>>)],
    /// Horizontal dashed lines: (text, y).
    pub limits: &'a [(String, f64)],
    /// A dotted vertical line: (text, x).
    pub marker: Option<(String, f64)>,
    /// A mark per x: its class and word on every series' dot, its colour on the last series'
    /// (drawn larger, on top). Empty: every dot is its series' colour.
    pub marks: &'a [Mark<'a>],
    /// The marks' meanings for the legend: (word, colour).
    pub mark_legend: &'a [(&'a str, &'a str)],
    /// What the chart says when it has no point.
    pub empty: &'a str,
}

/// How one point is marked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark<'a> {
    pub class: &'a str,
    pub color: &'a str,
    pub word: &'a str,
}

/// Series colours, in order.
const COLORS: [&str; 6] = [
    "#3b6fd8", "#e0862b", "#c62828", "#2e9e5b", "#8a4fd1", "#6b7785",
];

/// The `i`-th series colour (they repeat after six).
pub fn color(i: usize) -> &'static str {
    COLORS[i % COLORS.len()]
}

/// A round number at or above `v` (1, 2, 2.5, 5 × 10^n), at least 1.
pub(in crate::report::html) fn nice_ceiling(v: f64) -> f64 {
    if v.is_nan() || v <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// An axis label: 12.5, 250, 40k, 1.2M.
pub(in crate::report::html) fn short(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{}M", trim_float(v / 1_000_000.0))
    } else if v >= 10_000.0 {
        format!("{}k", trim_float(v / 1_000.0))
    } else {
        trim_float((v * 100.0).round() / 100.0)
    }
}

/// A linear axis from 0 to a round maximum, onto pixels `from` → `to` (`to` below `from` for y).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    max: f64,
    from: f64,
    to: f64,
}

impl Scale {
    /// An axis that holds every value of `values` (and at least 1).
    fn holding(values: impl IntoIterator<Item = f64>, from: f64, to: f64) -> Self {
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

    fn px(&self, value: f64) -> f64 {
        self.from + value.clamp(0.0, self.max) / self.max * (self.to - self.from)
    }
}

/// The chart as an `<svg>` element.
pub fn line_chart(c: &LineChart<'_>) -> String {
    const W: f64 = 640.0;
    const H: f64 = 300.0;
    const L: f64 = 56.0;
    const R: f64 = 16.0;
    const T: f64 = 28.0;
    const B: f64 = 58.0;
    let mut out = String::with_capacity(8 * 1024);
    let x = Scale::holding(c.x.iter().copied(), L, W - R);
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
        escape(c.id),
        c.x.len(),
        escape(c.title)
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
            escape(&format!("{}{}", short(v), if i == 4 { c.y_unit } else { "" }))
        );
        let vx = x.max * f64::from(i) / 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x.px(vx),
            H - B + 14.0,
            escape(&short(vx))
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{b}\"/><line class=\"axis\" x1=\"{L}\" x2=\"{}\" y1=\"{b}\" y2=\"{b}\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        W - R,
        (L + W - R) / 2.0,
        H - B + 28.0,
        escape(c.x_unit),
        b = H - B
    );
    for (text, value) in c.limits {
        let py = y.px(*value);
        let _ = write!(
            out,
            "<line class=\"slo\" data-slo=\"{}\" x1=\"{L}\" x2=\"{}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#c62828\" stroke-dasharray=\"6 4\"/>\
<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" style=\"fill:#c62828\">SLO {}</text>",
            escape(text),
            W - R,
            W - R - 2.0,
            py - 4.0,
            escape(text)
        );
    }
    if let Some((text, at)) = &c.marker {
        let px = x.px(*at);
        let _ = write!(
            out,
            "<line class=\"capacity\" x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{T}\" y2=\"{}\" stroke=\"#2e9e5b\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\
<text x=\"{:.1}\" y=\"{}\" style=\"fill:#2e9e5b;font-weight:600\">{}</text>",
            H - B,
            px + 4.0,
            T + 10.0,
            escape(text)
        );
    }
    for (i, (label, color, values)) in c.series.iter().enumerate() {
        let line: Vec<String> =
            c.x.iter()
                .zip(values)
                .filter_map(|(p, v)| v.map(|v| format!("{:.1},{:.1}", x.px(*p), y.px(v))))
                .collect();
        let _ = write!(
            out,
            "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\" points=\"{}\"/>",
            escape(label),
            line.join(" ")
        );
        for (j, (p, v)) in c.x.iter().zip(values).enumerate() {
            let Some(v) = v else { continue };
            let mark = c.marks.get(j);
            let (r, fill) = match mark {
                Some(mark) if i + 1 == c.series.len() => (4.0, mark.color),
                _ => (2.0, *color),
            };
            let _ = write!(
                out,
                "<circle class=\"point {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\"><title>{}</title></circle>",
                mark.map_or("", |m| m.class),
                x.px(*p),
                y.px(*v),
                escape(&format!(
                    "{} {}: {label} {}{}{}",
                    trim_float(*p),
                    c.x_unit,
                    trim_float(*v),
                    c.y_unit,
                    mark.map_or(String::new(), |m| format!(" ({})", m.word))
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
            escape(label)
        );
    }
    let mut lx = L + c.series.len() as f64 * 70.0 + 10.0;
    for (word, color) in c.mark_legend {
        let _ = write!(
            out,
            "<circle cx=\"{lx}\" cy=\"{}\" r=\"4\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            H - 12.0,
            lx + 8.0,
            H - 9.0,
            escape(word)
        );
        lx += 24.0 + 7.0 * word.len() as f64;
    }
    if c.x.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            H / 2.0,
            escape(c.empty)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn marks_colour_the_last_series_and_text_is_escaped() {
        let svg = line_chart(&LineChart {
            id: "c",
            title: "a <b>",
            y_unit: "ms",
            x_unit: "users",
            x: &[10.0, 20.0],
            series: &[
                ("p50", color(0), vec![Some(1.0), None]),
                ("p95", color(1), vec![Some(2.0), Some(9.0)]),
            ],
            limits: &[("x:p95<5ms".into(), 5.0)],
            marker: Some(("capacity 10".into(), 10.0)),
            marks: &[
                Mark {
                    class: "pass",
                    color: "#0f0",
                    word: "pass",
                },
                Mark {
                    class: "fail",
                    color: "#f00",
                    word: "FAIL",
                },
            ],
            mark_legend: &[("pass", "#0f0")],
            empty: "nothing",
        });
        assert_eq!(svg.matches("<circle class=\"point").count(), 3, "{svg}");
        assert!(svg.contains("r=\"4\" fill=\"#f00\""), "{svg}");
        assert!(
            svg.contains("a &lt;b&gt;") && svg.contains("x:p95&lt;5ms"),
            "{svg}"
        );
        assert!(!svg.contains("nothing"));
    }
}
