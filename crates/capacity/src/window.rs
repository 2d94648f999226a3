//! One judged window of a plateau as measured, before its verdict, and the figures drawn from
//! its samples: the iterations completed and missed, the SLOs as judged, akrida's own health.

use std::time::Duration;

use engine::report::GeneratorSample;
use engine::thresholds::Threshold;

use crate::measured::{is_latency, Drain, GeneratorHealth, Latency, Plateau, PlateauDelivery};
use crate::search::{Phase, Verdict};
use crate::setup::{SearchKind, Setup};
use crate::steady::Pace;
use akrida_web::selfwatch;

/// One judged window as measured, before its verdict.
pub(crate) struct Window {
    pub(crate) slos_passed: bool,
    pub(crate) limited: bool,
    pub(crate) pace: Pace,
    pub(crate) started_on_time: bool,
    pub(crate) asked_per_s: Option<f64>,
    pub(crate) achieved_per_s: f64,
    pub(crate) in_flight_start: u64,
    pub(crate) in_flight_end: u64,
    pub(crate) judged_from: f64,
    pub(crate) ended_at: f64,
    pub(crate) users: usize,
    pub(crate) requests: u64,
    pub(crate) failures: u64,
    pub(crate) fail_ratio: f64,
    pub(crate) throughput_per_s: f64,
    pub(crate) missed_iterations: u64,
    pub(crate) slos: Vec<engine::thresholds::ThresholdResult>,
    pub(crate) delivery: Option<PlateauDelivery>,
    pub(crate) latency: Latency,
    pub(crate) generator: GeneratorHealth,
}

impl Window {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn into_plateau(
        self,
        number: usize,
        phase: Phase,
        load: f64,
        started_at: f64,
        warmup: Duration,
        drain: Option<Drain>,
        verdict: Verdict,
    ) -> Plateau {
        Plateau {
            number,
            phase,
            load,
            started_at,
            judged_from: self.judged_from,
            ended_at: self.ended_at,
            warmup_seconds: warmup.as_secs_f64(),
            users: self.users,
            requests: self.requests,
            failures: self.failures,
            fail_ratio: self.fail_ratio,
            throughput_per_s: self.throughput_per_s,
            missed_iterations: self.missed_iterations,
            asked_per_s: self.asked_per_s,
            achieved_per_s: self.achieved_per_s,
            in_flight_start: self.in_flight_start,
            in_flight_end: self.in_flight_end,
            pace: self.pace,
            started_on_time: self.started_on_time,
            steady: self.pace == Pace::Steady,
            drain,
            verdict,
            slos: self.slos,
            delivery: self.delivery,
            latency: self.latency,
            generator: self.generator,
        }
    }
}

/// Iterations of the open model that ended in the window (its `iteration` rows).
pub(crate) fn completed_iterations(window: &engine::StatsSnapshot) -> u64 {
    window
        .entries
        .iter()
        .filter(|e| e.kind == engine::ITERATION_KIND)
        .map(|e| e.num_requests)
        .sum()
}

/// The SLOs as a plateau is judged on. In a rate search a latency SLO on a task is judged on
/// the task's `iteration` row, timed from when each iteration was due: what a client arriving on
/// schedule sees, queueing behind busy users included. The task's own row only times the calls
/// actually made, and would pass a plateau whose pool could not even start the iterations asked.
pub(crate) fn judged_slos(setup: &Setup, window: &engine::StatsSnapshot) -> Vec<Threshold> {
    if setup.kind != SearchKind::Rate {
        return setup.slos.clone();
    }
    setup
        .slos
        .iter()
        .map(|slo| {
            let latency = is_latency(slo.metric);
            let scheduled = window
                .entries
                .iter()
                .any(|e| e.kind == engine::ITERATION_KIND && e.name == slo.sample);
            let mut judged = slo.clone();
            if latency && scheduled {
                judged.sample = format!("{} {}", engine::ITERATION_KIND, slo.sample);
            }
            judged
        })
        .collect()
}

/// Iterations the open model scheduled in the window beyond those it started.
pub(crate) fn missed(
    window: &engine::StatsSnapshot,
    seconds: f64,
    load: f64,
    kind: SearchKind,
) -> u64 {
    if kind != SearchKind::Rate {
        return 0;
    }
    let started: u64 = window
        .entries
        .iter()
        .filter(|e| e.kind == engine::QUEUE_KIND)
        .map(|e| e.num_requests)
        .sum();
    ((seconds * load).floor() as u64).saturating_sub(started)
}

pub(crate) fn health(
    samples: &[GeneratorSample],
    max_lag_ms: f64,
    window_seconds: f64,
) -> GeneratorHealth {
    GeneratorHealth {
        seconds: samples.len(),
        unsampled_seconds: (window_seconds.floor() as usize).saturating_sub(samples.len()),
        saturated_seconds: samples
            .iter()
            .filter(|s| selfwatch::is_saturated_with(s, max_lag_ms))
            .count(),
        cpu_max_percent: samples.iter().map(|s| s.cpu_percent).fold(0.0, f64::max),
        cores: selfwatch::cores(),
        lag_max_ms: samples.iter().map(|s| s.lag_ms).fold(0.0, f64::max),
    }
}
