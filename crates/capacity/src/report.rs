//! The capacity search's reports: a line per plateau while it runs, then the plateau table and
//! the answer with its reason (stdout, or stderr with `--json`), the JSON (`--json`, stdout) and
//! one CSV row per plateau (`--csv PREFIX` → `PREFIX_capacity.csv`).

use std::fmt::Write as _;
use std::path::PathBuf;

use engine::thresholds::trim_float;
use serde::Serialize;

use crate::beside::Beside;
use crate::measured::{Drain, Driven, Plateau};
use crate::search::{Outcome, Verdict};
use crate::setup::SearchKind;
use crate::setup::Setup;
use crate::steady;
use crate::words::{
    breach_text, in_flight_text, load_text, measured_text, table_rows, verdict_text,
};

/// Where the reports go, and the parameters they show.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    /// `PREFIX` of `PREFIX_capacity.csv`.
    pub csv: Option<PathBuf>,
    /// The JSON on stdout (the table then goes to stderr).
    pub json: bool,
    /// The self-contained HTML report.
    pub html: Option<PathBuf>,
    /// The run's parameters, secrets already redacted (the JSON's `parameters`).
    pub parameters: serde_json::Value,
    /// The run's parameters and the search's, redacted (the HTML's parameters table).
    pub settings: serde_json::Value,
    /// What was watched beside the load (the binary's timed events and servers).
    pub beside: Beside,
}

/// The answer, as the JSON carries it.
#[derive(Debug, Serialize)]
struct Answer<'a> {
    capacity: Option<f64>,
    unit: &'a str,
    first_breach: Option<f64>,
    generator_limited_at: Option<f64>,
    unsteady_at: Option<f64>,
    /// The drain that timed out (the search stopped there), when one did.
    never_drained: Option<&'a Drain>,
    reached_max: bool,
    interrupted: bool,
    expect: Option<f64>,
    text: String,
}

/// Writes every report; false when one could not be written.
pub fn write(reports: &Reports, setup: &Setup, driven: &Driven) -> bool {
    let outcome = driven.search.outcome();
    let text = answer(setup, driven, &outcome);
    let mut summary = table(setup, &driven.plateaus);
    summary.push('\n');
    summary.push_str(&text);
    summary.push('\n');
    summary.push_str(&reports.beside.text);
    let mut ok = true;
    if let Some(prefix) = &reports.csv {
        let path = csv_path(prefix);
        match std::fs::write(&path, csv(setup, &driven.plateaus)) {
            Ok(()) => eprintln!("akrida: wrote {}", path.display()),
            Err(e) => {
                eprintln!("akrida: could not write {}: {e}", path.display());
                ok = false;
            }
        }
    }
    if reports.json {
        eprintln!("{summary}");
        let mut value = serde_json::json!({
            "scenario": driven.scenario,
            "search": match setup.kind {
                SearchKind::Users => "users",
                SearchKind::Rate => "rate",
            },
            "slos": setup.slos.iter().map(|t| t.text.clone()).collect::<Vec<_>>(),
            "plateau_seconds": setup.plateau.as_secs_f64(),
            "warmup_seconds": setup.warmup.as_secs_f64(),
            "max_lag_ms": setup.max_lag_ms,
            "drain_timeout_seconds": setup.drain_timeout.as_secs_f64(),
            "drain_tolerance": setup.drain_tolerance,
            "steady_tolerance": setup.steady_tolerance,
            "max_warmup_seconds": setup.max_warmup.as_secs_f64(),
            "plateaus": driven.plateaus,
            "stop": driven.stop,
            "totals": driven.totals,
            "answer": Answer {
                capacity: outcome.capacity,
                unit: setup.unit(),
                first_breach: outcome.first_breach,
                generator_limited_at: outcome.generator_limited_at,
                unsteady_at: outcome.unsteady_at,
                never_drained: driven.never_drained.as_ref(),
                reached_max: outcome.reached_max,
                interrupted: driven.interrupted.is_some(),
                expect: setup.expect,
                text: text.clone(),
            },
            "parameters": reports.parameters,
        });
        if let Some(map) = value.as_object_mut() {
            map.extend(reports.beside.json.clone());
        }
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
    if let Some(path) = &reports.html {
        let page = crate::html::render(
            &crate::html::Page {
                title: &format!("akrida capacity — {}", driven.scenario),
                settings: &reports.settings,
                setup,
                driven,
                outcome: &outcome,
                answer: &text,
                current: None,
                beside: &reports.beside,
            },
            None,
        );
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

fn csv_path(prefix: &std::path::Path) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push("_capacity.csv");
    PathBuf::from(name)
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
        let mut broken: Vec<String> = p
            .slos
            .iter()
            .filter(|r| !r.passed)
            .map(breach_text)
            .collect();
        if steady::fell_behind(p.pace, p.started_on_time, broken.is_empty()) {
            broken.push(fell_behind_text(p, unit));
        }
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
    if let Some(load) = outcome.unsteady_at {
        let _ = write!(
            text,
            "\nwarning: the plateau at {} never ran at the load asked, even with its warm-up extended to {}s \
(completions off by more than {} %: a backlog still draining, or a pool (-u) or generator that could not keep up); \
it was not judged, and the search stopped there",
            load_text(load, unit),
            setup.max_warmup.as_secs(),
            trim_float(setup.steady_tolerance * 100.0)
        );
    }
    if let Some(drain) = &driven.never_drained {
        let _ = write!(
            text,
            "\nwarning: the servers never drained: after {:.0}s at the probe load of {}, {} iterations were still in flight \
(drained: {} or fewer) and the probe's median was {} (drained: {}); the search stopped there, and the servers' \
backlog is itself the finding (a server that does not recover from an overload)",
            drain.seconds,
            load_text(drain.probe_load, unit),
            drain.in_flight_after,
            drain.in_flight_target,
            drain
                .probe_p50_ms
                .map_or("none (nothing was answered)".to_owned(), |v| format!("{v:.0} ms")),
            drain
                .p50_limit_ms
                .map_or("any".to_owned(), |v| format!("{v:.0} ms or less"))
        );
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
        let busy_cpu = 0.9 * akrida_web::selfwatch::cores() * 100.0;
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
    if setup.kind == SearchKind::Rate {
        text.push_str(
            "\nnote: latency SLOs were judged from when each iteration was due (the iteration rows: \
queueing behind busy users included)",
        );
    }
    if let Some(by) = driven.interrupted {
        let _ = write!(
            text,
            "\nnote: interrupted ({by}): the answer covers the plateaus that finished"
        );
    }
    text
}

/// Why a plateau that kept its SLOs failed: the server fell behind the load asked.
fn fell_behind_text(p: &Plateau, unit: &str) -> String {
    format!(
        "the server fell behind (it completed {:.1}/s of the {} asked, still after a warm-up extended to {}s, \
while akrida started each on time: its backlog grew, {} in flight)",
        p.achieved_per_s,
        load_text(p.load, unit),
        trim_float(p.warmup_seconds),
        in_flight_text(p)
    )
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
        "plateau,phase,load,unit,started_at,judged_from,ended_at,warmup_seconds,drain_seconds,drained,users,asked_per_s,achieved_per_s,steady,pace,in_flight_start,in_flight_end,requests,failures,fail_ratio,throughput_per_s,missed_iterations,started_on_time",
    );
    for slo in &setup.slos {
        out.push(',');
        out.push_str(&csv_cell(&slo.text));
    }
    if setup.judges_delivery() {
        out.push_str(",delivery_sent,delivery_delivered,delivery_lost,delivery_duplicated,delivery_late,delivery_out_of_order,delivery_p50_ms,delivery_p99_ms,delivery_settled_seconds");
    }
    out.push_str(",cpu_max_percent,lag_max_ms,saturated_seconds,unsampled_seconds,verdict\n");
    for p in plateaus {
        let _ = write!(
            out,
            "{},{},{},{},{:.3},{:.3},{:.3},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.number,
            format!("{:?}", p.phase).to_lowercase(),
            p.load,
            setup.unit(),
            p.started_at,
            p.judged_from,
            p.ended_at,
            p.warmup_seconds,
            p.drain
                .as_ref()
                .map_or(String::new(), |d| format!("{:.3}", d.seconds)),
            p.drain
                .as_ref()
                .map_or(String::new(), |d| d.drained.to_string()),
            p.users,
            p.asked_per_s.map_or(String::new(), |v| v.to_string()),
            p.achieved_per_s,
            p.steady,
            format!("{:?}", p.pace).to_lowercase(),
            p.in_flight_start,
            p.in_flight_end,
            p.requests,
            p.failures,
            p.fail_ratio,
            p.throughput_per_s,
            p.missed_iterations,
            p.started_on_time
        );
        for r in &p.slos {
            out.push(',');
            if let Some(m) = r.measured {
                out.push_str(&m.to_string());
            }
        }
        if setup.judges_delivery() {
            match &p.delivery {
                Some(d) => {
                    let _ = write!(
                        out,
                        ",{},{},{},{},{},{},{},{},{:.3}",
                        d.sent,
                        d.delivered,
                        d.lost,
                        d.duplicated,
                        d.late,
                        d.out_of_order,
                        d.p50_ms,
                        d.p99_ms,
                        d.settled_seconds
                    );
                }
                None => out.push_str(",,,,,,,,,"),
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
    use crate::measured::test_plateau;
    use crate::steady::Pace;

    #[test]
    fn a_server_that_fell_behind_is_named_as_the_breach() {
        let mut p = test_plateau(4, 16.0, Some(900.0), Verdict::Fail);
        p.pace = Pace::Slower;
        p.achieved_per_s = 13.52;
        p.warmup_seconds = 10.0;
        p.in_flight_start = 9;
        p.in_flight_end = 31;
        assert_eq!(
            fell_behind_text(&p, "onboardings/s"),
            "the server fell behind (it completed 13.5/s of the 16 onboardings/s asked, still after a \
warm-up extended to 10s, while akrida started each on time: its backlog grew, 9→31 in flight)"
        );
    }
}
