//! The events as a run reports them: marks for every chart, an HTML section (the engine's
//! generic [`ExtraSection`]) and a block of text for the terminal. The JSON is the records'
//! own serde form.

use engine::report::{ExtraSection, HtmlTable, Note, TimeMark};

use crate::runner::{EventRecord, EventState};

/// A mark at each event that started, labelled with its command.
pub fn marks(records: &[EventRecord]) -> Vec<TimeMark> {
    records
        .iter()
        .filter_map(|r| {
            Some(TimeMark {
                t: r.started_at?,
                label: r.command.clone(),
            })
        })
        .collect()
}

/// The "Timed events" section: one row per event with its result and output tails.
pub fn html_section(records: &[EventRecord]) -> ExtraSection {
    let failed = records
        .iter()
        .filter(|r| {
            r.state != EventState::Planned && r.state != EventState::Running && !r.succeeded()
        })
        .count();
    let mut notes = vec![Note {
        text: "Each command ran through sh -c in its own process group, beside the load (never \
delaying it); output is the last 4 KiB of each stream. A command still running at the run's end \
had a 5 s grace, then was stopped (SIGTERM, then SIGKILL)."
            .into(),
        warn: false,
    }];
    if failed > 0 {
        notes.insert(
            0,
            Note {
                text: format!("{failed} of {} events did not exit 0", records.len()),
                warn: true,
            },
        );
    }
    ExtraSection {
        id: "events".into(),
        title: "Timed events (--at)".into(),
        notes,
        tables: vec![HtmlTable {
            id: "events-table".into(),
            title: "Events".into(),
            note: String::new(),
            columns: [
                "Command",
                "Result",
                "stdout (tail)",
                "stderr (tail)",
                "Planned",
                "Started",
                "Duration",
            ]
            .map(String::from)
            .to_vec(),
            text_columns: 4,
            rows: records
                .iter()
                .map(|r| {
                    vec![
                        r.command.clone(),
                        r.outcome(),
                        r.stdout_tail.clone(),
                        r.stderr_tail.clone(),
                        format!("+{:.1}s", r.planned_s),
                        r.started_s.map_or("—".into(), |s| format!("+{s:.2}s")),
                        r.duration_s.map_or("—".into(), |d| format!("{d:.2}s")),
                    ]
                })
                .collect(),
        }],
        charts: vec![],
    }
}

/// The events for the terminal: one line each, with the last line of stderr when it failed.
pub fn text_summary(records: &[EventRecord]) -> String {
    let mut out = String::from("Timed events\n");
    for r in records {
        out.push_str("  ");
        out.push_str(&r.summary_line());
        out.push('\n');
        if !r.succeeded() {
            if let Some(last) = r.stderr_tail.lines().rev().find(|l| !l.trim().is_empty()) {
                out.push_str(&format!("    stderr: {last}\n"));
            }
        }
    }
    out
}
