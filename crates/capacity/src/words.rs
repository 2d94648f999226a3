//! The capacity search's figures in words, shared by the terminal, the CSV and the HTML report:
//! loads (`1,150 users`), measurements (`ping_mediator p95 812 ms`), verdicts, the progress
//! line per plateau and the plateau table's cells.

use engine::thresholds::{trim_float, ThresholdResult};

use crate::measured::Plateau;
use crate::search::Verdict;
use crate::setup::SearchKind;
use crate::setup::Setup;
use crate::steady::Pace;

/// A load as people read it: 1,150 users, 47.5 iterations/s.
pub fn load_text(load: f64, unit: &str) -> String {
    let whole = load.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fraction = load - load.trunc();
    if fraction.abs() > 1e-9 {
        let decimals = trim_float(fraction);
        grouped.push_str(decimals.trim_start_matches('0'));
    }
    format!("{grouped} {unit}")
}

/// `issuer_getliveness p95 21 ms` from a result of `issuer_getliveness:p95<100ms`.
pub fn measured_text(result: &ThresholdResult) -> String {
    let (sample, rest) = result
        .threshold
        .split_once(':')
        .unwrap_or(("", &result.threshold));
    let metric: String = rest.chars().take_while(|c| !"<>=".contains(*c)).collect();
    let value = match result.measured {
        Some(m) if result.unit == "ratio" => format!("{:.1} %", m * 100.0),
        Some(m) => format!("{} {}", trim_float(m), result.unit)
            .trim_end()
            .to_owned(),
        None => "no samples".to_owned(),
    };
    format!("{sample} {} {value}", metric.trim())
}

pub fn breach_text(result: &ThresholdResult) -> String {
    let rest = result.threshold.split_once(':').map_or("", |(_, r)| r);
    let metric_len = rest.chars().take_while(|c| !"<>=".contains(*c)).count();
    format!("{} (SLO {})", measured_text(result), &rest[metric_len..])
}

pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::GeneratorLimited => "generator-limited",
        Verdict::Unsteady => "unsteady",
    }
}

/// Whether a plateau ran at the load asked: `yes`, or how it did not.
pub fn steady_text(p: &Plateau) -> &'static str {
    match p.pace {
        Pace::Steady => "yes",
        Pace::Faster => "no (faster)",
        Pace::Slower => "no (slower)",
    }
}

/// The iterations in flight at the judged window's start and end: `3→41`.
pub fn in_flight_text(p: &Plateau) -> String {
    format!("{}→{}", p.in_flight_start, p.in_flight_end)
}

/// The drain before a plateau, in seconds: `-` when there was none.
pub fn drain_text(p: &Plateau) -> String {
    p.drain
        .as_ref()
        .map_or("-".to_owned(), |d| format!("{:.1}", d.seconds))
}

/// A plateau's delivery verdict in a cell: `118 sent, 3 lost, 0 dup, 0 late, p99 41 ms`.
pub fn delivery_text(p: &Plateau) -> String {
    p.delivery.as_ref().map_or("-".to_owned(), |d| {
        format!(
            "{} sent, {} lost, {} dup, {} late, p99 {} ms",
            d.sent,
            d.lost,
            d.duplicated,
            d.late,
            trim_float((d.p99_ms * 10.0).round() / 10.0)
        )
    })
}

/// One line per plateau while the search runs.
pub fn progress_line(p: &Plateau, setup: &Setup) -> String {
    let figures: Vec<String> = p.slos.iter().map(measured_text).collect();
    format!(
        "plateau {} ({}) {}: {} — {}; {} requests, {:.1} % failed, {:.1}/s; ran {:.1}/s, steady: {}, in flight {} (judged after a {}s warm-up{})",
        p.number,
        format!("{:?}", p.phase).to_lowercase(),
        load_text(p.load, setup.unit()),
        verdict_text(p.verdict),
        figures.join(", "),
        p.requests,
        p.fail_ratio * 100.0,
        p.throughput_per_s,
        p.achieved_per_s,
        steady_text(p),
        in_flight_text(p),
        p.warmup_seconds,
        p.drain
            .as_ref()
            .map_or(String::new(), |d| format!(", after a {:.1}s drain", d.seconds))
    )
}

/// The plateau table: its header, then one row per plateau (the terminal's and the HTML's).
pub fn table_rows(setup: &Setup, plateaus: &[Plateau]) -> Vec<Vec<String>> {
    let mut header = vec![
        "#".to_owned(),
        "phase".to_owned(),
        setup.unit().to_owned(),
        match setup.kind {
            SearchKind::Rate => "ran/s".to_owned(),
            SearchKind::Users => "ran req/s".to_owned(),
        },
        "steady".to_owned(),
        "in flight".to_owned(),
        "drain s".to_owned(),
        "requests".to_owned(),
        "fail %".to_owned(),
        "req/s".to_owned(),
    ];
    header.extend(setup.slos.iter().map(|t| t.text.clone()));
    if setup.judges_delivery() {
        header.push("delivery".to_owned());
    }
    header.extend([
        "cpu %".to_owned(),
        "lag ms".to_owned(),
        "verdict".to_owned(),
    ]);
    let mut rows = vec![header];
    for p in plateaus {
        let mut row = vec![
            p.number.to_string(),
            format!("{:?}", p.phase).to_lowercase(),
            trim_float(p.load),
            format!("{:.1}", p.achieved_per_s),
            steady_text(p).to_owned(),
            in_flight_text(p),
            drain_text(p),
            p.requests.to_string(),
            format!("{:.1}", p.fail_ratio * 100.0),
            format!("{:.1}", p.throughput_per_s),
        ];
        row.extend(p.slos.iter().map(|r| {
            let value = r.measured.map_or("-".to_owned(), |m| {
                if r.unit == "ratio" {
                    format!("{:.2} %", m * 100.0)
                } else {
                    format!("{} {}", trim_float(m), r.unit)
                }
            });
            format!("{}{value}", if r.passed { "" } else { "✗ " })
        }));
        if setup.judges_delivery() {
            row.push(delivery_text(p));
        }
        row.push(format!("{:.0}", p.generator.cpu_max_percent));
        row.push(format!("{:.0}", p.generator.lag_max_ms));
        row.push(verdict_text(p.verdict).to_owned());
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_measurements_read_well() {
        assert_eq!(load_text(1150.0, "users"), "1,150 users");
        assert_eq!(load_text(47.5, "iterations/s"), "47.5 iterations/s");
        let result = ThresholdResult {
            threshold: "ping_mediator:p95<500ms".into(),
            measured: Some(812.0),
            unit: "ms".into(),
            passed: false,
        };
        assert_eq!(measured_text(&result), "ping_mediator p95 812 ms");
        assert_eq!(
            breach_text(&result),
            "ping_mediator p95 812 ms (SLO <500ms)"
        );
    }
}
