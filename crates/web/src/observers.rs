//! What a run watches beside its load, once started: the timed events (`--at`, crate
//! `timeline`) and the servers' resources (`--server`, crate `server-watch`), and their parts of
//! the reports (marks on every chart, sections, the terminal's blocks, the JSON's `events` and
//! `servers`). The binary checks and starts them; the page and the reports read them here.

use engine::report::{ExtraSection, TimeMark};
use engine::stats::HistoryRow;
use engine::StatsSnapshot;
use server_watch::{RunFacts, ServerSeries, ServerSummary, ServerWatch};
use timeline::{EventRecord, Timeline};

/// The run's events and server watch, while it runs and after (none: nothing to observe).
#[derive(Default)]
pub struct Observers {
    timeline: Option<Timeline>,
    servers: Option<ServerWatch>,
}

impl Observers {
    /// The events and the servers of a run, both already started.
    pub fn new(timeline: Option<Timeline>, servers: Option<ServerWatch>) -> Observers {
        Observers { timeline, servers }
    }
}

/// The report parts of the observers at one moment.
pub struct Observed {
    pub events: Vec<EventRecord>,
    pub series: Vec<ServerSeries>,
    pub summaries: Vec<ServerSummary>,
    /// Users connected over the load (unix second, users): the servers' charts show them.
    users: Vec<(f64, f64)>,
}

impl Observers {
    /// At the run's end: events not due are not run, commands still running get
    /// [`timeline::END_GRACE`] then are stopped; the servers stop being sampled.
    pub async fn finish(&self) {
        if let Some(servers) = &self.servers {
            servers.stop();
        }
        if let Some(timeline) = &self.timeline {
            timeline.finish(timeline::END_GRACE).await;
        }
    }

    /// The events and the servers' figures now, against the run's stats so far.
    pub fn observed(&self, snapshot: &StatsSnapshot, history: &[HistoryRow]) -> Observed {
        self.observed_with(RunFacts {
            start: snapshot.start_time,
            requests: snapshot
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.num_requests))
                .collect(),
            users: users(history),
        })
    }

    /// The events and the servers' figures now, against `facts` (a capacity search has no
    /// run snapshot: it gives its own totals and plateaus).
    pub fn observed_with(&self, facts: RunFacts) -> Observed {
        let events = self
            .timeline
            .as_ref()
            .map(Timeline::records)
            .unwrap_or_default();
        let series = self
            .servers
            .as_ref()
            .map(ServerWatch::series)
            .unwrap_or_default();
        let summaries = series
            .iter()
            .map(|s| server_watch::summarize(s, &facts))
            .collect();
        Observed {
            events,
            series,
            summaries,
            users: facts.users,
        }
    }
}

impl Observed {
    pub fn marks(&self) -> Vec<TimeMark> {
        timeline::report::marks(&self.events)
    }

    /// The HTML sections: servers, then events (each only when there is one).
    pub fn sections(&self) -> Vec<ExtraSection> {
        let mut sections = Vec::new();
        if !self.series.is_empty() {
            sections.push(server_watch::report::html_section(
                &self.series,
                &self.summaries,
                &self.users,
            ));
        }
        if !self.events.is_empty() {
            sections.push(timeline::report::html_section(&self.events));
        }
        sections
    }

    /// The terminal's blocks, after the stats table.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if !self.summaries.is_empty() {
            out.push('\n');
            out.push_str(&server_watch::report::text_summary(&self.summaries));
        }
        if !self.events.is_empty() {
            out.push('\n');
            out.push_str(&timeline::report::text_summary(&self.events));
        }
        out
    }

    /// The JSON report's `events` and `servers` (present only when asked for).
    pub fn insert_json(&self, map: &mut serde_json::Map<String, serde_json::Value>) {
        if !self.events.is_empty() {
            map.insert(
                "events".into(),
                serde_json::to_value(&self.events).unwrap_or_default(),
            );
        }
        if !self.series.is_empty() {
            map.insert(
                "servers".into(),
                server_watch::report::json_value(&self.series, &self.summaries),
            );
        }
    }
}

/// Users connected over the run: (unix second, users) of each history row.
fn users(history: &[HistoryRow]) -> Vec<(f64, f64)> {
    history
        .iter()
        .map(|r| (r.timestamp as f64, r.user_count as f64))
        .collect()
}
