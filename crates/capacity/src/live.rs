//! The search as it goes, for the live view (`akrida capacity --web`): the driver writes what it
//! is doing into a [`Progress`] (each plateau as it completes, the current plateau's stage), and
//! [`LiveSearch`] renders it each second through the same template as the final `--html` report.
//! The live view's stop ends the search as Ctrl-C does: the reports are still written.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use akrida_web::server::LiveSource;
use engine::report::LiveParts;
use tokio::sync::watch;

use crate::current::{Current, Stage};
use crate::html::{self, Page};
use crate::measured::{Drain, Driven, Plateau};
use crate::report;
use crate::search::{Phase, Search};
use crate::setup::Setup;

/// The search so far.
struct SoFar {
    scenario: String,
    search: Option<Search>,
    plateaus: Vec<Plateau>,
    never_drained: Option<Drain>,
    current: Option<Current>,
    stopped_by: Option<&'static str>,
    finished: bool,
}

/// The search's progress, shared by the driver, Ctrl-C and the live view; and the stop they
/// may ask for.
#[derive(Clone)]
pub struct Progress {
    so_far: Arc<Mutex<SoFar>>,
    stop: Arc<watch::Sender<bool>>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            so_far: Arc::new(Mutex::new(SoFar {
                scenario: String::new(),
                search: None,
                plateaus: Vec::new(),
                never_drained: None,
                current: None,
                stopped_by: None,
                finished: false,
            })),
            stop: Arc::new(watch::channel(false).0),
        }
    }

    fn so_far(&self) -> std::sync::MutexGuard<'_, SoFar> {
        self.so_far.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the search as soon as the driver sees it (`by`: who asked, for the reports); the
    /// plateau cut short is not judged. Only the first ask counts.
    pub fn stop(&self, by: &'static str) {
        self.so_far().stopped_by.get_or_insert(by);
        self.stop.send_replace(true);
    }

    /// Who stopped the search, if anyone did.
    pub fn stopped_by(&self) -> Option<&'static str> {
        self.so_far().stopped_by
    }

    /// Whether a stop was asked for, and a way to wait for one.
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub(crate) fn begin(&self, scenario: &str, search: &Search) {
        let mut so_far = self.so_far();
        so_far.scenario = scenario.to_owned();
        so_far.search = Some(search.clone());
    }

    /// The plateau `number` at `load` enters `stage`, lasting at most `length`.
    pub(crate) fn at(
        &self,
        number: usize,
        load: f64,
        phase: Phase,
        stage: Stage,
        length: Duration,
    ) {
        self.so_far().current = Some(Current {
            number,
            load,
            phase,
            stage,
            since: Instant::now(),
            length,
        });
    }

    pub(crate) fn completed(&self, plateau: &Plateau, search: &Search) {
        let mut so_far = self.so_far();
        so_far.plateaus.push(plateau.clone());
        so_far.search = Some(search.clone());
        so_far.current = None;
    }

    pub(crate) fn finish(&self, never_drained: Option<&Drain>) {
        let mut so_far = self.so_far();
        so_far.never_drained = never_drained.cloned();
        so_far.current = None;
        so_far.finished = true;
    }
}

/// The live view's source: the search so far, rendered with the final report's template.
pub struct LiveSearch {
    pub progress: Progress,
    pub setup: Setup,
    pub title: String,
    /// The parameters, already redacted.
    pub settings: serde_json::Value,
}

impl LiveSearch {
    /// Renders the page of the search so far with `render`.
    fn with_page<R>(&self, render: impl FnOnce(&Page<'_>) -> R) -> R {
        let (driven, current) = {
            let so_far = self.progress.so_far();
            let driven = Driven {
                search: so_far
                    .search
                    .clone()
                    .unwrap_or_else(|| Search::new(self.setup.plan)),
                plateaus: so_far.plateaus.clone(),
                interrupted: so_far.stopped_by,
                never_drained: so_far.never_drained.clone(),
                scenario: so_far.scenario.clone(),
                stop: None,
                totals: Vec::new(),
            };
            (driven, so_far.current.clone())
        };
        let outcome = driven.search.outcome();
        let answer = report::answer(&self.setup, &driven, &outcome);
        render(&Page {
            title: &self.title,
            settings: &self.settings,
            setup: &self.setup,
            driven: &driven,
            outcome: &outcome,
            answer: &answer,
            current: current.as_ref(),
            beside: &crate::beside::Beside::default(),
        })
    }
}

impl LiveSource for LiveSearch {
    fn page(&self, live: &LiveParts<'_>) -> String {
        self.with_page(|page| html::render(page, Some(live)))
    }

    fn report(&self) -> String {
        self.with_page(html::render_report)
    }

    fn controls(&self) -> String {
        "<div class=\"controls\" id=\"controls\"><b>Live</b>\
<button id=\"stop-run\">Stop the search</button>\
<span class=\"state\" id=\"live-state\">connecting…</span></div>"
            .to_owned()
    }

    fn state(&self) -> serde_json::Value {
        let so_far = self.progress.so_far();
        serde_json::json!({
            "plateaus": so_far.plateaus.len(),
            "current": so_far.current.as_ref().map(|c| serde_json::json!({
                "number": c.number,
                "load": c.load,
                "stage": c.stage,
                "seconds": c.since.elapsed().as_secs_f64(),
            })),
            "capacity": so_far.search.as_ref().and_then(|s| s.outcome().capacity),
            "stopped_by": so_far.stopped_by,
            "finished": so_far.finished,
        })
    }

    fn stop(&self) -> String {
        eprintln!("akrida capacity: stopping the search (asked from the live view)");
        self.progress.stop("the live view's stop");
        "stopping the search; the reports will be written\n".into()
    }
}
