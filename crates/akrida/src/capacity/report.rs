//! The capacity search's reports: a line per plateau while it runs, then the plateau table and
//! the answer with its reason (stdout, or stderr with `--json`), the JSON (`--json`, stdout) and
//! one CSV row per plateau (`--csv PREFIX` → `PREFIX_capacity.csv`).

use std::fmt::Write as _;
use std::path::PathBuf;

use engine::thresholds::{trim_float, ThresholdResult};
use serde::Serialize;

use super::drive::{Driven, Plateau};
use super::search::{Outcome, Verdict};
use super::Setup;
use crate::cli::CapacityArgs;
use crate::redact;

/// The answer, as the JSON carries it.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    capacity: Option<f64>,
    unit: &'a str,
    first_breach: Option<f64>,
    generator_limited_at: Option<f64>,
    reached_max: bool,
    interrupted: bool,
    expect: Option<f64>,
    text: String,
}

/// Writes every report; false when one could not be written.
pub fn write(args: &CapacityArgs, setup: &Setup, driven: &Driven) -> bool {
    let outcome = driven.search.outcome();
    let text = answer(setup, driven, &outcome);
    let mut summary = table(setup, &driven.plateaus);
    summary.push('\n');
    summary.push_str(&text);
    summary.push('\n');
    let mut ok = true;
    if let Some(prefix) = &args.run.csv {
        let path = csv_path(prefix);
        match std::fs::write(&path, csv(setup, &driven.plateaus)) {
            Ok(()) => eprintln!("akrida: wrote {}", path.display()),
            Err(e) => {
                eprintln!("akrida: could not write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    if args.run.json {
        eprintln!("{summary}");
        let value = serde_json::json!({
            "scenario": driven.scenario,
            "search": match setup.kind {
                crate::cli::SearchKind::Users => "users",
                crate::cli::SearchKind::Rate => "rate",
            },
            "slos": setup.slos.iter().map(|t| t.text.clone()).collect::<Vec<_>>(),
            "plateau_seconds": setup.plateau.as_secs_f64(),
            "warmup_seconds": setup.warmup.as_secs_f64(),
            "max_lag_ms": setup.max_lag_ms,
            "plateaus": driven.plateaus,
            "stop": driven.stop,
            "totals": driven.totals,
            "answer": Answer {
                capacity: outcome.capacity,
                unit: setup.unit(),
                first_breach: outcome.first_breach,
                generator_limited_at: outcome.generator_limited_at,
                reached_max: outcome.reached_max,
                interrupted: driven.interrupted,
                expect: args.expect,
                text: text.clone(),
            },
            "parameters": redact::redact(&crate::settings::settings(&args.run)),
        });
        match serde_json::to_string_pretty(&value) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("akrida: could not write the JSON report: {e}");
                ok = false;
            }
        }
    } else {
        println!("{summary}");
    }
    if let Some(path) = &args.run.html {
        let page = super::html::render(&super::html::Page {
            title: &format!("akrida capacity — {}", driven.scenario),
            settings: &settings(args),
            setup,
            driven,
            outcome: &outcome,
            answer: &text,
        });
        match std::fs::write(path, page) {
            Ok(()) => eprintln!("akrida: wrote {}", path.display()),
            Err(e) => {
                eprintln!("akrida: could not write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    ok
}

/// The run's parameters and the search's, redacted as `akrida run` redacts them.
fn settings(args: &CapacityArgs) -> serde_json::Value {
    let mut value = redact::redact(&crate::settings::settings(&args.run));
    if let Some(map) = value.as_object_mut() {
        let search = serde_json::json!({
            "search": format!("{:?}", args.search).to_lowercase(),
            "slo": args.slos,
            "start": args.start,
            "step": args.step,
            "factor": args.factor,
            "max": args.max,
            "plateau_seconds": args.plateau.as_secs_f64(),
            "warmup_seconds": args.warmup.as_secs_f64(),
            "precision": args.precision,
            "expect": args.expect,
            "max_lag_ms": args.max_lag,
        });
        if let Some(search) = search.as_object() {
            for (key, v) in search {
                map.insert(key.clone(), v.clone());
            }
        }
    }
    value
}

fn csv_path(prefix: &std::path::Path) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push("_capacity.csv");
    PathBuf::from(name)
}

/// A load as people read it: 1,150 users, 47.5 iterations/s.
pub fn load_text(load: f64, unit: &str) -> String {
    let whole = load.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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
fn measured_text(result: &ThresholdResult) -> String {
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

fn breach_text(result: &ThresholdResult) -> String {
    let rest = result.threshold.split_once(':').map_or("", |(_, r)| r);
    let metric_len = rest.chars().take_while(|c| !"<>=".contains(*c)).count();
    format!("{} (SLO {})", measured_text(result), &rest[metric_len..])
}

fn plateau_of(plateaus: &[Plateau], load: Option<f64>, verdict: Verdict) -> Option<&Plateau> {
    let load = load?;
    plateaus
        .iter()
        .find(|p| p.load == load && p.verdict == verdict)
}

/// The answer with its reason.
pub fn answer(setup: &Setup, driven: &Driven, outcome: &Outcome) -> String {
    let unit = setup.unit();
    let mut text = String::new();
    match plateau_of(&driven.plateaus, outcome.capacity, Verdict::Pass) {
        Some(p) => {
            let figures: Vec<String> = p.slos.iter().map(measured_text).collect();
            let _ = write!(
                text,
                "capacity: {}{} ({}, {:.1} % failures, {}/s)",
                if outcome.reached_max { "at least " } else { "" },
                load_text(p.load, unit),
                figures.join(", "),
                p.fail_ratio * 100.0,
                trim_float((p.throughput_per_s * 10.0).round() / 10.0)
            );
        }
        None => text.push_str("capacity: none found"),
    }
    if let Some(p) = plateau_of(&driven.plateaus, outcome.first_breach, Verdict::Fail) {
        let broken: Vec<String> = p
            .slos
            .iter()
            .filter(|r| !r.passed)
            .map(breach_text)
            .collect();
        let _ = write!(
            text,
            "; first breach at {}: {}",
            load_text(p.load, unit),
            broken.join(", ")
        );
        if outcome.capacity.is_none() {
            text.push_str(" — even the first plateau broke the SLO; try a lower --start");
        }
    }
    if outcome.reached_max {
        text.push_str("; every plateau up to --max passed");
    }
    if let Some(load) = outcome.generator_limited_at {
        let _ = write!(
            text,
            "\nwarning: akrida itself was saturated at {} (CPU ≥ 90 % of its cores or timer lag \
≥ {} ms in most of its seconds): that plateau measured the generator, not the servers, and the search stopped there. \
Spread the load over more akrida processes (workers on a Locust master, see the book's Distributed runs page) to go higher.",
            load_text(load, unit),
            setup.max_lag_ms
        );
        let busy_cpu = 0.9 * crate::selfwatch::cores() * 100.0;
        if let Some(p) = plateau_of(&driven.plateaus, Some(load), Verdict::GeneratorLimited) {
            if p.generator.cpu_max_percent < busy_cpu {
                let _ = write!(
                    text,
                    " Its own CPU stayed below {busy_cpu:.0} % (at most {:.0} %): other processes \
on the machine delayed it (run it where it has cores of its own, or raise --max-lag).",
                    p.generator.cpu_max_percent
                );
            }
        }
    }
    if setup.kind == crate::cli::SearchKind::Rate {
        text.push_str(
            "\nnote: latency SLOs were judged from when each iteration was due (the iteration rows: \
queueing behind busy users included)",
        );
    }
    if driven.interrupted {
        text.push_str("\nnote: interrupted (Ctrl-C): the answer covers the plateaus that finished");
    }
    text
}

pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::GeneratorLimited => "generator-limited",
    }
}

/// One line per plateau while the search runs.
pub fn progress_line(p: &Plateau, setup: &Setup) -> String {
    let figures: Vec<String> = p.slos.iter().map(measured_text).collect();
    format!(
        "plateau {} ({}) {}: {} — {}; {} requests, {:.1} % failed, {:.1}/s (judged after a {}s warm-up)",
        p.number,
        format!("{:?}", p.phase).to_lowercase(),
        load_text(p.load, setup.unit()),
        verdict_text(p.verdict),
        figures.join(", "),
        p.requests,
        p.fail_ratio * 100.0,
        p.throughput_per_s,
        p.warmup_seconds
    )
}

/// The plateau table: its header, then one row per plateau (the terminal's and the HTML's).
pub fn table_rows(setup: &Setup, plateaus: &[Plateau]) -> Vec<Vec<String>> {
    let mut header = vec![
        "#".to_owned(),
        "phase".to_owned(),
        setup.unit().to_owned(),
        "requests".to_owned(),
        "fail %".to_owned(),
        "req/s".to_owned(),
    ];
    header.extend(setup.slos.iter().map(|t| t.text.clone()));
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
        row.push(format!("{:.0}", p.generator.cpu_max_percent));
        row.push(format!("{:.0}", p.generator.lag_max_ms));
        row.push(verdict_text(p.verdict).to_owned());
        rows.push(row);
    }
    rows
}

/// The plateau table.
fn table(setup: &Setup, plateaus: &[Plateau]) -> String {
    let rows = table_rows(setup, plateaus);
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::from(
        "Capacity search: plateaus (each judged on its own samples after its warm-up)\n",
    );
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:>width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One row per plateau.
fn csv(setup: &Setup, plateaus: &[Plateau]) -> String {
    let mut out = String::from(
        "plateau,phase,load,unit,started_at,judged_from,ended_at,users,requests,failures,fail_ratio,throughput_per_s,missed_iterations",
    );
    for slo in &setup.slos {
        out.push(',');
        out.push_str(&csv_cell(&slo.text));
    }
    out.push_str(",cpu_max_percent,lag_max_ms,saturated_seconds,unsampled_seconds,verdict\n");
    for p in plateaus {
        let _ = write!(
            out,
            "{},{},{},{},{:.3},{:.3},{:.3},{},{},{},{},{},{}",
            p.number,
            format!("{:?}", p.phase).to_lowercase(),
            p.load,
            setup.unit(),
            p.started_at,
            p.judged_from,
            p.ended_at,
            p.users,
            p.requests,
            p.failures,
            p.fail_ratio,
            p.throughput_per_s,
            p.missed_iterations
        );
        for r in &p.slos {
            out.push(',');
            if let Some(m) = r.measured {
                out.push_str(&m.to_string());
            }
        }
        let _ = writeln!(
            out,
            ",{},{},{},{},{}",
            p.generator.cpu_max_percent,
            p.generator.lag_max_ms,
            p.generator.saturated_seconds,
            p.generator.unsampled_seconds,
            verdict_text(p.verdict).to_lowercase()
        );
    }
    out
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
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
