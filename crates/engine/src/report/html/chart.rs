//! The report's SVG line charts: drawn on the server, so the page needs no script and the final
//! report opens offline. A point that is `None` is a gap: the line stops and starts again.

use std::cell::RefCell;
use std::fmt::Write;

use super::kit::{color, escape, nice_ceiling, short};

thread_local! {
    /// The marks of the page being rendered, as (seconds since the start, label). Every chart
    /// of a page draws the same marks; holding them here for the duration of one rendering
    /// ([`with_marks`]) spares every section from passing them to each of its charts.
    static MARKS: RefCell<Vec<(f64, String)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `render` with `marks` drawn on every chart it draws (on this thread).
pub(super) fn with_marks<R>(marks: &[(f64, String)], render: impl FnOnce() -> R) -> R {
    let previous = MARKS.with(|m| m.replace(marks.to_vec()));
    let result = render();
    MARKS.with(|m| *m.borrow_mut() = previous);
    result
}

/// An SVG line chart of series over x (seconds since the start). Points that are None are gaps.
pub(super) fn line_chart(
    out: &mut String,
    id: &str,
    title: &str,
    unit: &str,
    x: &[f64],
    series: &[(&str, Vec<Option<f64>>)],
) {
    const W: f64 = 440.0;
    const H: f64 = 220.0;
    const L: f64 = 48.0;
    const R: f64 = 10.0;
    const T: f64 = 26.0;
    const B: f64 = 38.0;
    let marks = MARKS.with(|m| m.borrow().clone());
    // A mark past the last point still shows: the axis reaches it.
    let x_max = x
        .iter()
        .copied()
        .chain(marks.iter().map(|m| m.0))
        .fold(1.0, f64::max);
    let y_raw = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0, f64::max);
    let y_max = nice_ceiling(y_raw);
    let points: usize = series.iter().map(|(_, v)| v.iter().flatten().count()).sum();
    let px = |v: f64| L + v / x_max * (W - L - R);
    let py = |v: f64| H - B - v / y_max * (H - T - B);
    let _ = write!(
        out,
        "<svg class=\"chart\" id=\"{}\" data-points=\"{points}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><text class=\"title\" x=\"{L}\" y=\"16\">{}</text>",
        escape(id),
        escape(title)
    );
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let y = py(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{L}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - R,
            L - 4.0,
            y + 4.0,
            escape(&format!("{}{}", short(v), if i == 4 { unit } else { "" }))
        );
    }
    for i in 0..=4 {
        let v = x_max * i as f64 / 4.0;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(v),
            H - B + 14.0,
            escape(&human_duration(v))
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{L}\" x2=\"{L}\" y1=\"{T}\" y2=\"{}\"/><line class=\"axis\" x1=\"{L}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
        H - B,
        W - R,
        H - B,
        H - B
    );
    for (i, (label, values)) in series.iter().enumerate() {
        let color = color(i);
        // Runs of consecutive points, one polyline each.
        let mut run = String::new();
        let flush = |run: &mut String, out: &mut String| {
            if !run.is_empty() {
                let _ = write!(
                    out,
                    "<polyline class=\"series\" data-series=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{}\"/>",
                    escape(label),
                    run.trim_end()
                );
                run.clear();
            }
        };
        for (xv, yv) in x.iter().zip(values) {
            match yv {
                Some(y) => {
                    let _ = write!(run, "{:.1},{:.1} ", px(*xv), py(*y));
                }
                None => flush(&mut run, out),
            }
        }
        flush(&mut run, out);
        let lx = L + 8.0 + i as f64 * 95.0;
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"3\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            H - 12.0,
            lx + 14.0,
            H - 8.0,
            escape(label)
        );
    }
    for (at, label) in &marks {
        if *at < 0.0 {
            continue;
        }
        let mx = px(*at);
        let _ = write!(
            out,
            "<g class=\"mark\" data-mark=\"{}\"><line x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{T}\" y2=\"{}\" stroke=\"#8a4fd1\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{}\" fill=\"#8a4fd1\">{}</text><title>{}</title></g>",
            escape(label),
            H - B,
            mx + 3.0,
            T + 10.0,
            escape(&short_label(label)),
            escape(label)
        );
    }
    if points == 0 {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>",
            W / 2.0,
            H / 2.0
        );
    }
    out.push_str("</svg>");
}

/// A mark's label on the chart: its first 24 characters (the whole in its tooltip).
fn short_label(label: &str) -> String {
    match label.char_indices().nth(24) {
        Some((cut, _)) => format!("{}…", &label[..cut]),
        None => label.to_owned(),
    }
}

pub(super) fn human_duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}
