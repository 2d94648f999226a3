//! Wiring of what a run observes beside its load: the timed events (`--at`, crate `timeline`)
//! and the servers' resources (`--server`, crate `server-watch`). Checked before any load
//! ([`Plan::check`]), started with the run ([`Plan::start`]), finished after it
//! ([`Observers::finish`]); the report parts come from those crates.

use std::sync::Arc;
use std::time::Duration;

use engine::report::{ExtraSection, TimeMark};
use engine::stats::HistoryRow;
use engine::StatsSnapshot;
use server_watch::{RunFacts, ServerSeries, ServerSummary, ServerWatch, Target, WatchOptions};
use timeline::{EventRecord, TimedEvent, Timeline};

use crate::cli::RunArgs;

/// The events and servers of a run, checked and not yet started.
pub struct Plan {
    events: Vec<TimedEvent>,
    targets: Vec<Target>,
    options: WatchOptions,
}

impl Plan {
    /// Reads and checks `--at` and `--server` (one sentence on the first that is wrong):
    /// event times before `total_time`, commands that resolve, targets that are a live PID or
    /// an http(s) URL.
    pub fn check(args: &RunArgs, total_time: Option<Duration>) -> Result<Plan, String> {
        let mut events = Vec::new();
        for pair in args.at.chunks(2) {
            let [time, command] = pair else {
                return Err("--at takes two values: TIME and COMMAND".into());
            };
            let event = TimedEvent::parse(time, command)?;
            event.check_within(total_time)?;
            timeline::check_command(command)?;
            events.push(event);
        }
        let targets = args
            .servers
            .iter()
            .map(|text| Target::parse(text))
            .collect::<Result<Vec<_>, _>>()?;
        if !args.server_metrics.is_empty()
            && !targets
                .iter()
                .any(|t| matches!(t.source, server_watch::Source::Url(_)))
        {
            return Err("--server-metric needs a --server NAME=URL to scrape".into());
        }
        let client = if targets
            .iter()
            .any(|t| matches!(t.source, server_watch::Source::Url(_)))
        {
            let trust = crate::setup::trust(args)?;
            Some(
                net::shared_http_client(&trust, Duration::from_secs(10))
                    .map_err(|e| format!("--server: {e}"))?,
            )
        } else {
            None
        };
        let scrape_period = Duration::from_secs_f64(args.server_scrape_interval.max(0.1));
        Ok(Plan {
            events,
            targets,
            options: WatchOptions {
                scrape_period,
                // A scrape never outlives its period: at most one is in flight per server.
                scrape_timeout: scrape_period.min(Duration::from_secs(2)),
                metrics: args.server_metrics.clone(),
                client,
                ..WatchOptions::default()
            },
        })
    }

    /// Starts the server watch now (its first sample is before any load) and the events'
    /// clock at `run_start_unix` (the run's start, which is now).
    pub fn start(self, run_start_unix: f64) -> Observers {
        let servers = (!self.targets.is_empty()).then(|| {
            let warn: server_watch::Warn =
                Arc::new(|text: &str| eprintln!("akrida: warning: {text}"));
            ServerWatch::start(
                &self.targets,
                WatchOptions {
                    origin_unix: run_start_unix,
                    ..self.options
                },
                warn,
            )
        });
        let timeline = (!self.events.is_empty())
            .then(|| Timeline::start(&self.events, tokio::time::Instant::now(), run_start_unix));
        Observers { timeline, servers }
    }
}

/// The run's events and server watch, while it runs and after (none: nothing to observe).
#[derive(Default)]
pub struct Observers {
    timeline: Option<Timeline>,
    servers: Option<ServerWatch>,
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

impl akrida_web::page::Observed for Observers {
    fn page_parts(
        &self,
        snapshot: &StatsSnapshot,
        history: &[HistoryRow],
    ) -> (Vec<TimeMark>, Vec<ExtraSection>) {
        let observed = self.observed(snapshot, history);
        (observed.marks(), observed.sections())
    }
}

/// Users connected over the run: (unix second, users) of each history row.
fn users(history: &[HistoryRow]) -> Vec<(f64, f64)> {
    history
        .iter()
        .map(|r| (r.timestamp as f64, r.user_count as f64))
        .collect()
}
