//! What a capacity search measured: each plateau (its load, judged samples, SLO results,
//! latency, akrida's own health and verdict) and the run as a whole (how the load stopped, every
//! row's totals). `drive.rs` fills these in; the reports only read them.

use engine::thresholds::{Metric, ThresholdResult};
use serde::Serialize;

use crate::search::{Phase, Search, Verdict};
use crate::steady::Pace;

/// One plateau as measured.
#[derive(Debug, Clone, Serialize)]
pub struct Plateau {
    pub number: usize,
    pub phase: Phase,
    pub load: f64,
    /// Unix times: the plateau began (warm-up included), was judged from, ended.
    pub started_at: f64,
    pub judged_from: f64,
    pub ended_at: f64,
    pub warmup_seconds: f64,
    /// Users running when the plateau ended.
    pub users: usize,
    /// Judged samples of all tasks (the open model's iteration and queue rows are not in it).
    pub requests: u64,
    pub failures: u64,
    pub fail_ratio: f64,
    pub throughput_per_s: f64,
    /// Iterations due in the judged window that no user started in time (open model).
    pub missed_iterations: u64,
    /// The load asked in iterations per second (a rate search; None for users).
    pub asked_per_s: Option<f64>,
    /// What ran: iterations completed per second in the judged window (a rate search), or
    /// requests per second (users).
    pub achieved_per_s: f64,
    /// Task iterations in flight when the judged window began and when it ended.
    pub in_flight_start: u64,
    pub in_flight_end: u64,
    /// How the judged window's completions compare with the load asked.
    pub pace: Pace,
    /// Whether akrida started the iterations due in the judged window on time (a rate search:
    /// at most the pace's slack of them missed); false in a users search.
    pub started_on_time: bool,
    /// Whether the judged window ran at the load asked (see `steady.rs`).
    pub steady: bool,
    /// The wait for the servers to drain before this plateau; None when there was none.
    pub drain: Option<Drain>,
    pub slos: Vec<ThresholdResult>,
    /// The delivery verdict of the messages sent in the judged window, judged once they had
    /// time to arrive (`delivery:` SLOs only).
    pub delivery: Option<PlateauDelivery>,
    /// p50/p95/p99 of the charted sample (the first latency SLO's, as judged; else `total`).
    pub latency: Latency,
    pub generator: GeneratorHealth,
    pub verdict: Verdict,
}

/// A plateau's delivery verdict: the messages sent in its judged window, judged after the
/// plateau's drain (each had the delivery timeout to arrive, or arrived).
#[derive(Debug, Clone, Serialize)]
pub struct PlateauDelivery {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub late: u64,
    pub out_of_order: u64,
    /// Delivery latency (ms) of those delivered.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// How long after the judged window the verdict waited for stragglers.
    pub settled_seconds: f64,
}

impl PlateauDelivery {
    pub fn of(report: &delivery::DeliveryReport, settled_seconds: f64) -> Self {
        PlateauDelivery {
            sent: report.sent,
            delivered: report.delivered,
            lost: report.lost,
            duplicated: report.duplicated,
            late: report.late,
            out_of_order: report.out_of_order,
            p50_ms: report.latency.p50_ms,
            p99_ms: report.latency.p99_ms,
            settled_seconds,
        }
    }
}

/// A plateau's latency percentiles (ms) of one sample; None when it had no timed samples.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub sample: String,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Whether a threshold's metric is a latency in ms.
pub fn is_latency(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::Percentile(_) | Metric::Avg | Metric::Min | Metric::Max
    )
}

/// akrida's own health over a plateau's judged window.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratorHealth {
    /// Self-watch samples in the judged window (one a second when akrida is well).
    pub seconds: usize,
    pub saturated_seconds: usize,
    /// Seconds of the window without a sample: the watcher itself could not run, which is
    /// saturation too.
    pub unsampled_seconds: usize,
    pub cpu_max_percent: f64,
    pub cores: f64,
    pub lag_max_ms: f64,
}

/// A wait for the servers to drain, at the probe load, before a plateau.
#[derive(Debug, Clone, Serialize)]
pub struct Drain {
    /// How long it waited (s).
    pub seconds: f64,
    /// Whether the servers drained within --drain-timeout.
    pub drained: bool,
    /// The probe's load (the first plateau's).
    pub probe_load: f64,
    /// Task iterations in flight when the wait began, and at its end.
    pub in_flight_before: u64,
    pub in_flight_after: u64,
    /// What counts as drained: at most this many in flight (the last passing plateau's).
    pub in_flight_target: u64,
    /// The probe's median latency in its last window (ms; None: no sample ended in it) and
    /// the most it may be: the first plateau's median plus the tolerance.
    pub probe_p50_ms: Option<f64>,
    pub baseline_p50_ms: Option<f64>,
    pub p50_limit_ms: Option<f64>,
}

/// What the plateaus found.
pub struct Driven {
    pub search: Search,
    pub plateaus: Vec<Plateau>,
    /// Who cut the search short (Ctrl-C, the live view's stop); None when it ran its course.
    pub interrupted: Option<&'static str>,
    /// The servers did not drain within --drain-timeout: the search stopped there.
    pub never_drained: Option<Drain>,
    pub scenario: String,
    /// When the load ended; None while the search still runs (the live view's frames).
    pub stop: Option<StopRecord>,
    /// Every row's counts over the whole run, warm-ups and refinement included: what the
    /// servers were sent in all (e.g. onboardings to compare with the mediator's grants).
    pub totals: Vec<RowTotal>,
}

/// One row's counts over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RowTotal {
    pub kind: String,
    pub name: String,
    pub requests: u64,
    pub failures: u64,
}

/// When the load ended, so a reader (or a test) can check that the search stopped hammering
/// the server once it was over: no sample may end after `search_ended_at`, beyond the few
/// that were already in flight then and finished before the users' stop reached them.
#[derive(Debug, Clone, Serialize)]
pub struct StopRecord {
    /// Unix time the search was over and asked every user to stop.
    pub search_ended_at: f64,
    /// Unix time every user had stopped (its clean-up done: sockets closed).
    pub users_stopped_at: f64,
    /// Unix time the last sample of the run ended (any row, the open model's included); None
    /// when nothing was recorded.
    pub last_sample_at: Option<f64>,
}

/// A plateau for the reports' unit tests: `load` asked and run, steady, with `p95` as its
/// charted latency.
#[cfg(test)]
pub(crate) fn test_plateau(
    number: usize,
    load: f64,
    p95: Option<f64>,
    verdict: Verdict,
) -> Plateau {
    Plateau {
        number,
        phase: Phase::Climb,
        load,
        started_at: 0.0,
        judged_from: 1.0,
        ended_at: 4.0,
        warmup_seconds: 1.0,
        users: 3,
        requests: 10,
        failures: 1,
        fail_ratio: 0.1,
        throughput_per_s: 3.3,
        missed_iterations: 0,
        asked_per_s: Some(load),
        achieved_per_s: load,
        in_flight_start: 0,
        in_flight_end: 1,
        pace: Pace::Steady,
        started_on_time: true,
        steady: true,
        drain: None,
        slos: Vec::new(),
        delivery: None,
        latency: Latency {
            sample: "total".into(),
            p50_ms: p95.map(|v| v / 2.0),
            p95_ms: p95,
            p99_ms: p95.map(|v| v * 2.0),
        },
        generator: GeneratorHealth {
            seconds: 3,
            saturated_seconds: 0,
            unsampled_seconds: 0,
            cpu_max_percent: 5.0,
            cores: 2.0,
            lag_max_ms: 1.0,
        },
        verdict,
    }
}
