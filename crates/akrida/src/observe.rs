//! Wiring of what a run observes beside its load: the timed events (`--at`, crate `timeline`)
//! and the servers' resources (`--server`, crate `server-watch`). Checked before any load
//! ([`Plan::check`]), started with the run ([`Plan::start`]), finished after it
//! ([`Observers::finish`]); the report parts come from those crates.

use std::sync::Arc;
use std::time::Duration;

use server_watch::{ServerWatch, Target, WatchOptions};
use timeline::{TimedEvent, Timeline};

pub use akrida_web::observers::Observers;

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
        Observers::new(timeline, servers)
    }
}
