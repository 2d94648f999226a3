//! The servers' figures as a run reports them: an HTML section (the engine's generic
//! [`ExtraSection`]), a block of text for the terminal, and the JSON value.

use std::fmt::Write;

use engine::report::{ExtraChart, ExtraSection, HtmlTable, Note};

use crate::analysis::ServerSummary;
use crate::watch::ServerSeries;

/// What the figures mean, shown under them.
const DEFINITIONS: &str = "CPU per request: the server's CPU seconds over the run ÷ the requests \
of that name (each name given the whole CPU in turn, not a split). RSS per holder: (mean RSS over \
the steady part − RSS before the load) ÷ mean users connected then. Memory slope: least-squares \
line through the RSS readings of the steady part (users at their highest count), with its R².";

/// The "Servers" section: notes, the per-server table, CPU per request, and charts of RSS, CPU
/// and each extra metric beside the users connected.
pub fn html_section(
    series: &[ServerSeries],
    summaries: &[ServerSummary],
    users: &[(f64, f64)],
) -> ExtraSection {
    let mut section = ExtraSection {
        id: "servers".into(),
        title: "Servers".into(),
        ..ExtraSection::default()
    };
    for s in summaries {
        for note in &s.notes {
            section.notes.push(Note {
                text: format!("{} ({}): {note}", s.name, s.source),
                warn: true,
            });
        }
    }
    section.notes.push(Note {
        text: DEFINITIONS.into(),
        warn: false,
    });
    section.tables.push(HtmlTable {
        id: "servers-table".into(),
        title: "Per server".into(),
        note: String::new(),
        columns: [
            "Server",
            "Source",
            "Samples",
            "CPU s",
            "CPU % (mean)",
            "RSS first MiB",
            "RSS last MiB",
            "RSS peak MiB",
            "RSS per holder KB",
            "Memory slope KB/min",
            "R²",
            "Steady part",
        ]
        .map(String::from)
        .to_vec(),
        text_columns: 2,
        rows: summaries.iter().map(summary_row).collect(),
    });
    let per_request: Vec<Vec<String>> = summaries
        .iter()
        .flat_map(|s| {
            s.cpu_per_request.iter().map(|c| {
                vec![
                    s.name.clone(),
                    c.name.clone(),
                    c.requests.to_string(),
                    format!("{:.3}", c.cpu_ms_per_request),
                ]
            })
        })
        .collect();
    if !per_request.is_empty() {
        section.tables.push(HtmlTable {
            id: "servers-cpu-per-request".into(),
            title: "CPU per request".into(),
            note: String::new(),
            columns: ["Server", "Sample", "Requests", "CPU ms per request"]
                .map(String::from)
                .to_vec(),
            text_columns: 2,
            rows: per_request,
        });
    }
    let metrics: Vec<Vec<String>> = summaries
        .iter()
        .flat_map(|s| {
            s.metrics.iter().map(|(name, first, last)| {
                vec![s.name.clone(), name.clone(), figure(*first), figure(*last)]
            })
        })
        .collect();
    if !metrics.is_empty() {
        section.tables.push(HtmlTable {
            id: "servers-metrics".into(),
            title: "Metrics (--server-metric)".into(),
            note: "Summed over their label sets.".into(),
            columns: ["Server", "Metric", "First", "Last"]
                .map(String::from)
                .to_vec(),
            text_columns: 2,
            rows: metrics,
        });
    }
    section.charts.push(ExtraChart {
        id: "chart-server-users".into(),
        title: "Users (holders) connected".into(),
        unit: String::new(),
        x: users.iter().map(|u| u.0).collect(),
        series: vec![("users".into(), users.iter().map(|u| Some(u.1)).collect())],
    });
    for s in series {
        section.charts.extend(charts_of(s));
    }
    section
}

fn summary_row(s: &ServerSummary) -> Vec<String> {
    let opt =
        |v: Option<f64>, digits: usize| v.map_or("—".to_string(), |v| format!("{v:.digits$}"));
    let slope = s.memory_slope.as_ref();
    vec![
        s.name.clone(),
        s.source.clone(),
        s.samples.to_string(),
        opt(s.cpu_seconds, 2),
        opt(s.cpu_percent_mean, 1),
        opt(s.rss_first_mb, 1),
        opt(s.rss_last_mb, 1),
        opt(s.rss_peak_mb, 1),
        opt(s.rss_per_holder_kb, 1),
        opt(slope.map(|m| m.kb_per_minute), 1),
        opt(slope.map(|m| m.r_squared), 3),
        slope.map_or("—".into(), |m| {
            format!("+{:.0}s – +{:.0}s", m.from_s, m.to_s)
        }),
    ]
}

/// RSS (MiB), CPU (% of one core, from consecutive readings) and each extra metric of a server.
fn charts_of(s: &ServerSeries) -> Vec<ExtraChart> {
    let slug = slug(&s.name);
    let x: Vec<f64> = s.samples.iter().map(|p| p.t).collect();
    let mut charts = vec![ExtraChart {
        id: format!("chart-server-rss-{slug}"),
        title: format!("{} RSS (MiB)", s.name),
        unit: "MiB".into(),
        x: x.clone(),
        series: vec![(
            "rss".into(),
            s.samples
                .iter()
                .map(|p| p.rss_bytes.map(|b| b / 1_048_576.0))
                .collect(),
        )],
    }];
    let cpu: Vec<Option<f64>> = std::iter::once(None)
        .chain(s.samples.windows(2).map(|w| {
            let (a, b) = (&w[0], &w[1]);
            let wall = b.t - a.t;
            match (a.cpu_seconds, b.cpu_seconds) {
                (Some(a), Some(b)) if wall > 0.0 => Some(((b - a) / wall * 100.0).max(0.0)),
                _ => None,
            }
        }))
        .take(x.len())
        .collect();
    charts.push(ExtraChart {
        id: format!("chart-server-cpu-{slug}"),
        title: format!("{} CPU (% of one core)", s.name),
        unit: "%".into(),
        x: x.clone(),
        series: vec![("cpu".into(), cpu)],
    });
    let mut names: Vec<&String> = s.samples.iter().flat_map(|p| p.metrics.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        charts.push(ExtraChart {
            id: format!("chart-server-metric-{slug}-{}", self::slug(name)),
            title: format!("{} {name}", s.name),
            unit: String::new(),
            x: x.clone(),
            series: vec![(
                name.clone(),
                s.samples
                    .iter()
                    .map(|p| p.metrics.get(name).copied())
                    .collect(),
            )],
        });
    }
    charts
}

/// The servers' figures for the terminal, after the stats table.
pub fn text_summary(summaries: &[ServerSummary]) -> String {
    let mut out = String::from("Servers\n");
    for s in summaries {
        let row = summary_row(s);
        let _ = writeln!(
            out,
            "  {} ({}): {} samples, CPU {} s (mean {} %), RSS {} → {} MiB (peak {}), {} KB per holder, slope {} KB/min (R² {}, {})",
            s.name, s.source, s.samples, row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11]
        );
        for c in &s.cpu_per_request {
            let _ = writeln!(
                out,
                "    CPU per {}: {:.3} ms ({} requests)",
                c.name, c.cpu_ms_per_request, c.requests
            );
        }
        for (name, first, last) in &s.metrics {
            let _ = writeln!(out, "    {name}: {} → {}", figure(*first), figure(*last));
        }
        for note in &s.notes {
            let _ = writeln!(out, "    note: {note}");
        }
    }
    out
}

/// The JSON report's `servers`: each server's summary with its samples.
pub fn json_value(series: &[ServerSeries], summaries: &[ServerSummary]) -> serde_json::Value {
    let servers: Vec<serde_json::Value> = summaries
        .iter()
        .zip(series)
        .map(|(summary, series)| {
            let mut value = serde_json::to_value(summary).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("attempts".into(), series.attempts.into());
                map.insert("failures".into(), series.failures.into());
                map.insert(
                    "series".into(),
                    serde_json::to_value(&series.samples).unwrap_or_default(),
                );
            }
            value
        })
        .collect();
    serde_json::Value::Array(servers)
}

fn figure(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

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
