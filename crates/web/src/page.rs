//! What the HTML page of a run is made from, gathered in one place: the final report (`--html`)
//! and each frame of the live page (`--web`) are both [`PageSource::render`] — the same template,
//! only the moment differs.

use std::sync::Arc;

use acapy_trace::{hop_tables, HopReport, TraceCollector};
use engine::baseline::{self, Comparison};
use engine::report::{render_page, render_report, HtmlReport, LiveParts};
use engine::thresholds::{self, Threshold};
use engine::{Phases, RunHandle, StatsSnapshot};

use crate::observers::Observers;
use crate::selfwatch::SelfWatch;

/// The run's fixed parts (title, parameters, criteria) and where its moving parts are read.
pub struct PageSource {
    pub title: String,
    /// The run's parameters, secrets already redacted.
    pub settings: serde_json::Value,
    pub thresholds: Vec<Threshold>,
    pub baseline: Option<StatsSnapshot>,
    pub tolerance: f64,
    pub phases: Option<Phases>,
    pub handle: RunHandle,
    pub watch: SelfWatch,
    /// The trace collector, when `--trace-listen` runs.
    pub traces: Option<Arc<TraceCollector>>,
    /// What the run watches beside its load (timed events, servers' resources), when anything.
    pub observers: Option<Arc<Observers>>,
}

impl PageSource {
    /// The whole page now, from the run's live stats; with `live`, the live page's controls and
    /// script.
    pub fn page_now(&self, live: Option<&LiveParts<'_>>) -> String {
        let hops = self.hops();
        self.with_report(&self.handle.stats(), hops.as_ref(), |r| {
            render_page(r, live)
        })
    }

    /// The report part of the page now: what the live page replaces each second.
    pub fn report_now(&self) -> String {
        let hops = self.hops();
        self.with_report(&self.handle.stats(), hops.as_ref(), render_report)
    }

    /// The final report of `snapshot`.
    pub fn final_page(&self, snapshot: &StatsSnapshot, hops: Option<&HopReport>) -> String {
        self.with_report(snapshot, hops, |r| render_page(r, None))
    }

    /// The server traces joined to the samples so far.
    pub fn hops(&self) -> Option<HopReport> {
        self.traces
            .as_ref()
            .map(|collector| HopReport::build(collector, self.handle.recorder().message_threads()))
    }

    /// Gathers what the page of `snapshot` shows and hands it to `render`.
    fn with_report<R>(
        &self,
        snapshot: &StatsSnapshot,
        hops: Option<&HopReport>,
        render: impl FnOnce(&HtmlReport<'_>) -> R,
    ) -> R {
        let history = self.handle.history();
        let threshold_results = thresholds::evaluate(&self.thresholds, snapshot);
        let comparisons: Vec<Comparison> = self
            .baseline
            .as_ref()
            .map(|b| baseline::compare(b, snapshot, self.tolerance))
            .unwrap_or_default();
        let generator = self.watch.samples();
        let warnings: Vec<String> =
            crate::selfwatch::saturation_warning(&generator, snapshot.start_time)
                .into_iter()
                .collect();
        let traces = hops.map(hop_tables).unwrap_or_default();
        let (marks, extra_sections) = self
            .observers
            .as_ref()
            .map(|o| {
                let observed = o.observed(snapshot, &history);
                (observed.marks(), observed.sections())
            })
            .unwrap_or_default();
        render(&HtmlReport {
            title: &self.title,
            settings: &self.settings,
            snapshot,
            history: &history,
            thresholds: &threshold_results,
            baseline: &comparisons,
            generator: &generator,
            warnings: &warnings,
            phases: self.phases.as_ref(),
            traces: &traces,
            marks: &marks,
            extra_sections: &extra_sections,
        })
    }
}
