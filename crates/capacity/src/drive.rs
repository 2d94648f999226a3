//! Runs the plateaus the search asks for on one engine run: the users stay connected from one
//! plateau to the next (onboarding is not repeated), the load is changed in place
//! (`RunHandle::set_target` for users, `RunHandle::set_arrival_rate` for a rate), and each
//! plateau is judged on the samples recorded after its warm-up (`Stats::mark` at the end of the
//! warm-up, `Stats::snapshot_since` at the end of the plateau), never on cumulative figures.
//!
//! Two things keep a plateau's figures its own: before each refinement plateau the servers are
//! given time to drain at the probe load (`drain.rs`), and a plateau that did not run at the load
//! asked gets its warm-up extended, up to `--max-warmup`, before it is judged (`steady.rs`).

use std::sync::Arc;
use std::time::Duration;

use engine::report::GeneratorSample;
use engine::thresholds;
use engine::{RunConfig, RunHandle, Runner};
use tokio::sync::watch;

use crate::current::Stage;
use crate::drain::{self, Baseline};
use crate::inflight::SharedScenario;
use crate::inflight::{Counted, InFlight};
use crate::live::Progress;
use crate::measured::{
    is_latency, Drain, Driven, Latency, Plateau, PlateauDelivery, RowTotal, StopRecord,
};
use crate::search::{self, Phase, Search};
use crate::setup::SearchKind;
use crate::setup::Setup;
use crate::starve::Starve;
use crate::steady::{self, Judgement, Pace};
use crate::window::{completed_iterations, health, judged_slos, missed, Window};
use crate::words::{load_text, progress_line};
use akrida_web::selfwatch::SelfWatch;

/// Runs the search against the servers with `scenario`, telling `progress` how it goes (and
/// stopping when it is asked to); Err only for a setup problem (before any load).
pub async fn drive(
    setup: &Setup,
    scenario: SharedScenario,
    progress: &Progress,
) -> Result<Driven, String> {
    let name = scenario.name().to_owned();
    if setup.judges_delivery() && scenario.delivery_sent().is_none() {
        return Err(format!(
            "a delivery SLO needs a scenario that accounts for each message (mediator-relay); {name} does not"
        ));
    }
    let (counted, in_flight) = Counted::new(scenario.clone());
    let first = setup.plan.start;
    let config = RunConfig {
        users: match setup.kind {
            SearchKind::Users => first as usize,
            SearchKind::Rate => setup.users,
        },
        spawn_rate: setup.spawn_rate,
        wait: setup.wait,
        arrival_rate: (setup.kind == SearchKind::Rate).then_some(first),
        ..RunConfig::default()
    };
    let (handle, run) = Runner::start(Arc::new(counted), config).map_err(|e| e.to_string())?;
    let watch = SelfWatch::start(Duration::from_secs(1));
    stop_on_ctrl_c(handle.clone(), progress.clone());
    eprintln!(
        "akrida capacity: {name} — {} search from {} to {} {}, plateaus of {}s ({}s warm-up); \
Ctrl-C stops and still writes the reports",
        match setup.kind {
            SearchKind::Users => "users",
            SearchKind::Rate => "rate",
        },
        setup.plan.start,
        setup.plan.max,
        setup.unit(),
        setup.plateau.as_secs(),
        setup.warmup.as_secs()
    );
    let mut driver = Driver {
        handle: handle.clone(),
        setup,
        watch,
        stop: progress.stop_signal(),
        progress: progress.clone(),
        scenario,
        starve: Starve::from_env(),
        in_flight,
    };
    let mut search = Search::new(setup.plan);
    progress.begin(&name, &search);
    let mut plateaus: Vec<Plateau> = Vec::new();
    let mut interrupted = false;
    let mut never_drained = None;
    if setup.kind == SearchKind::Rate && !driver.pool_ready(setup.users).await {
        interrupted = true;
    }
    while !interrupted {
        let Some((load, phase)) = search.next() else {
            break;
        };
        let mut drained = None;
        if phase == Phase::Refine && !setup.drain_timeout.is_zero() {
            let number = plateaus.len() + 1;
            progress.at(number, load, phase, Stage::Draining, setup.drain_timeout);
            let baseline = Baseline::of(&plateaus);
            match driver.drain(&baseline).await {
                None => {
                    interrupted = true;
                    break;
                }
                Some(record) if !record.drained => {
                    eprintln!(
                        "akrida capacity: the servers did not drain in {}s: the search stops here",
                        setup.drain_timeout.as_secs()
                    );
                    never_drained = Some(record);
                    break;
                }
                Some(record) => drained = Some(record),
            }
        }
        match driver
            .plateau(plateaus.len() + 1, load, phase, drained)
            .await
        {
            Some(plateau) => {
                eprintln!("akrida capacity: {}", progress_line(&plateau, setup));
                search.record(load, phase, plateau.verdict);
                progress.completed(&plateau, &search);
                plateaus.push(plateau);
            }
            None => interrupted = true,
        }
    }
    // The search is over: no more load on a server that broke.
    let (stop, totals) = stop_load(&handle, run).await;
    progress.finish(never_drained.as_ref());
    Ok(Driven {
        search,
        plateaus,
        interrupted: interrupted.then(|| progress.stopped_by().unwrap_or("Ctrl-C")),
        never_drained,
        scenario: name,
        stop: Some(stop),
        totals,
    })
}

struct Driver<'a> {
    handle: RunHandle,
    setup: &'a Setup,
    watch: SelfWatch,
    stop: watch::Receiver<bool>,
    progress: Progress,
    /// The scenario, for its delivery accounting.
    scenario: SharedScenario,
    starve: Option<Starve>,
    in_flight: InFlight,
}

impl Driver<'_> {
    /// Sleeps `time`; false when Ctrl-C came first.
    async fn sleep(&mut self, time: Duration) -> bool {
        if *self.stop.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(time) => true,
            _ = self.stop.changed() => false,
        }
    }

    /// Waits until the rate search's pool has onboarded, so that no plateau is judged while
    /// the pool's own onboarding still loads the servers; false on Ctrl-C. Spawning takes
    /// pool ÷ spawn rate; a slow server gets twice that plus a plateau before akrida warns and
    /// starts anyway.
    async fn pool_ready(&mut self, pool: usize) -> bool {
        const A_DAY: Duration = Duration::from_secs(86_400);
        let spawning = Duration::try_from_secs_f64(pool as f64 / self.setup.spawn_rate)
            .map_or(A_DAY, |d| d.min(A_DAY));
        let patience = self.setup.plateau.saturating_add(spawning * 2);
        let deadline = tokio::time::Instant::now() + patience;
        while (self.handle.summary().users.started as usize) < pool {
            if tokio::time::Instant::now() >= deadline {
                eprintln!(
                    "akrida capacity: warning: {} of {pool} users onboarded after {}s; starting the plateaus",
                    self.handle.summary().users.started,
                    patience.as_secs()
                );
                return true;
            }
            if !self.sleep(Duration::from_millis(100)).await {
                return false;
            }
        }
        true
    }

    /// Waits (at most a plateau) until the users plateau's users are running; false on Ctrl-C.
    async fn users_ready(&mut self, users: usize) -> bool {
        let deadline = tokio::time::Instant::now() + self.setup.plateau;
        while self.handle.user_count() != users && tokio::time::Instant::now() < deadline {
            if !self.sleep(Duration::from_millis(50)).await {
                return false;
            }
        }
        true
    }

    /// Changes the load in place.
    fn set_load(&self, load: f64) {
        match self.setup.kind {
            // Validated: the spawn rate is finite and above 0.
            SearchKind::Users => {
                let _ = self.handle.set_target(load as usize, self.setup.spawn_rate);
            }
            // Validated: the load is finite and above 0, and the run is an open-model one.
            SearchKind::Rate => {
                let _ = self.handle.set_arrival_rate(load);
            }
        }
    }

    /// Lowers the load to the probe's and waits until the servers have drained (see
    /// `drain.rs`), at most --drain-timeout; None when Ctrl-C came first.
    async fn drain(&mut self, baseline: &Baseline) -> Option<Drain> {
        let started = tokio::time::Instant::now();
        let deadline = started + self.setup.drain_timeout;
        let in_flight_before = self.in_flight.now();
        self.set_load(baseline.load);
        eprintln!(
            "akrida capacity: draining at {} ({} in flight; drained at {} or fewer and a median within {} ms)",
            load_text(baseline.load, self.setup.unit()),
            in_flight_before,
            baseline.in_flight_target,
            baseline
                .p50_limit_ms(self.setup.drain_tolerance)
                .map_or("any".to_owned(), |l| format!("{l:.0}"))
        );
        let recorder = self.handle.recorder();
        loop {
            // One probe window: at least a second and three samples, at most five seconds.
            let mark = recorder.mark();
            let opened = tokio::time::Instant::now();
            let window = loop {
                if !self.sleep(Duration::from_millis(250)).await {
                    return None;
                }
                let window = recorder.snapshot_since(&mark);
                let samples =
                    thresholds::find(&window, &baseline.sample).map_or(0, |e| e.num_requests);
                let open = opened.elapsed();
                let now = tokio::time::Instant::now();
                if (open >= Duration::from_secs(1) && samples >= 3)
                    || open >= Duration::from_secs(5)
                    || now >= deadline
                {
                    break window;
                }
            };
            let probe_p50_ms = thresholds::find(&window, &baseline.sample)
                .filter(|e| e.num_requests > 0)
                .and_then(|e| e.percentile_ms(0.5))
                .map(|v| v as f64);
            let in_flight = self.in_flight.now();
            let drained = drain::drained(
                baseline,
                self.setup.drain_tolerance,
                in_flight,
                probe_p50_ms,
            );
            if drained || tokio::time::Instant::now() >= deadline {
                let record = Drain {
                    seconds: started.elapsed().as_secs_f64(),
                    drained,
                    probe_load: baseline.load,
                    in_flight_before,
                    in_flight_after: in_flight,
                    in_flight_target: baseline.in_flight_target,
                    probe_p50_ms,
                    baseline_p50_ms: baseline.p50_ms,
                    p50_limit_ms: baseline.p50_limit_ms(self.setup.drain_tolerance),
                };
                eprintln!(
                    "akrida capacity: {} after {:.1}s: {} in flight, probe median {}",
                    if drained { "drained" } else { "not drained" },
                    record.seconds,
                    in_flight,
                    probe_p50_ms.map_or("-".to_owned(), |v| format!("{v:.0} ms"))
                );
                return Some(record);
            }
        }
    }

    /// Runs one plateau; None when Ctrl-C cut it short (a partial plateau is not judged).
    async fn plateau(
        &mut self,
        number: usize,
        load: f64,
        phase: Phase,
        drain: Option<Drain>,
    ) -> Option<Plateau> {
        let started_at = unix_now();
        if let Some(starve) = &mut self.starve {
            starve.apply(load);
        }
        self.set_load(load);
        self.progress
            .at(number, load, phase, Stage::WarmUp, self.setup.warmup);
        if self.setup.kind == SearchKind::Users && !self.users_ready(load as usize).await {
            return None;
        }
        if !self.sleep(self.setup.warmup).await {
            return None;
        }
        let judged = self.setup.plateau.saturating_sub(self.setup.warmup);
        let mut warmup = self.setup.warmup;
        loop {
            self.progress.at(number, load, phase, Stage::Judged, judged);
            let window = self.window(load, judged).await?;
            let can_extend = warmup + judged <= self.setup.max_warmup;
            let measured = steady::Measured {
                generator_limited: window.limited,
                pace: window.pace,
                started_on_time: window.started_on_time,
            };
            match steady::judge(window.slos_passed, measured, can_extend) {
                Judgement::Extend => {
                    eprintln!(
                        "akrida capacity: plateau {number} at {} not steady yet ({} ran {:.1}/s, in flight {}→{}, {} due not started): warm-up extended to {}s",
                        load_text(load, self.setup.unit()),
                        match window.pace {
                            Pace::Faster => "faster than asked:",
                            _ => "slower than asked:",
                        },
                        window.achieved_per_s,
                        window.in_flight_start,
                        window.in_flight_end,
                        window.missed_iterations,
                        (warmup + judged).as_secs()
                    );
                    warmup += judged;
                }
                Judgement::Verdict(verdict) => {
                    return Some(
                        window
                            .into_plateau(number, phase, load, started_at, warmup, drain, verdict),
                    );
                }
            }
        }
    }

    /// Measures one judged window of `length` at `load`; None on Ctrl-C.
    async fn window(&mut self, load: f64, length: Duration) -> Option<Window> {
        let recorder = self.handle.recorder();
        let mark = recorder.mark();
        let in_flight_start = self.in_flight.now();
        let first_message = self.scenario.delivery_sent();
        if !self.sleep(length).await {
            return None;
        }
        let mut window = recorder.snapshot_since(&mark);
        let in_flight_end = self.in_flight.now();
        let mut delivery = None;
        if let (true, Some(from), Some(to)) = (
            self.setup.judges_delivery(),
            first_message,
            self.scenario.delivery_sent(),
        ) {
            let (report, settled) = self.settled_delivery(from..to).await?;
            delivery = Some(PlateauDelivery::of(&report, settled));
            window.delivery = Some(report);
        }
        let judged = judged_slos(self.setup, &window);
        let slos = thresholds::evaluate(&judged, &window);
        let charted = judged
            .iter()
            .find(|t| is_latency(t.metric))
            .map_or("total", |t| t.sample.as_str());
        let entry = thresholds::find(&window, charted).filter(|e| e.num_requests > 0);
        let at = |q: f64| entry.and_then(|e| e.percentile_ms(q)).map(|v| v as f64);
        let latency = Latency {
            sample: charted.to_owned(),
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
        };
        let samples: Vec<GeneratorSample> = self
            .watch
            .samples()
            .into_iter()
            .filter(|s| s.t > mark.at() && s.t <= window.taken_at + 0.5)
            .collect();
        let seconds = (window.taken_at - mark.at()).max(1e-3);
        let generator = health(&samples, self.setup.max_lag_ms, seconds);
        let limited = search::generator_limited(
            generator.saturated_seconds + generator.unsampled_seconds,
            generator.seconds + generator.unsampled_seconds,
        );
        let missed_iterations = missed(&window, seconds, load, self.setup.kind);
        let tolerance = self.setup.steady_tolerance;
        let (asked_per_s, achieved_per_s, pace, started_on_time) = match self.setup.kind {
            SearchKind::Rate => {
                let completed = completed_iterations(&window);
                (
                    Some(load),
                    completed as f64 / seconds,
                    steady::pace(load, completed, seconds, tolerance),
                    steady::started_on_time(load, missed_iterations, seconds, tolerance),
                )
            }
            // A closed model's rate follows its latency; it ran as asked when every user did.
            // It keeps no schedule, so nothing was started on time.
            SearchKind::Users => (
                None,
                window.total.num_requests as f64 / seconds,
                if self.handle.user_count() == load as usize {
                    Pace::Steady
                } else {
                    Pace::Slower
                },
                false,
            ),
        };
        Some(Window {
            slos_passed: thresholds::all_passed(&slos),
            limited,
            pace,
            started_on_time,
            asked_per_s,
            achieved_per_s,
            in_flight_start,
            in_flight_end,
            judged_from: mark.at(),
            ended_at: window.taken_at,
            users: self.handle.user_count(),
            requests: window.total.num_requests,
            failures: window.total.num_failures,
            fail_ratio: window.total.fail_ratio,
            throughput_per_s: window.total.num_requests as f64 / seconds,
            missed_iterations,
            slos,
            delivery,
            latency,
            generator,
        })
    }

    /// The delivery verdict of the messages `ids` (the judged window's), once every one of them
    /// arrived or had the delivery timeout to (the load goes on meanwhile); the wait in seconds.
    /// None when the search was stopped first.
    async fn settled_delivery(
        &mut self,
        ids: std::ops::Range<u64>,
    ) -> Option<(delivery::DeliveryReport, f64)> {
        let started = tokio::time::Instant::now();
        loop {
            let report = self.scenario.delivery_of(ids.clone())?;
            let waited = started.elapsed();
            if report.lost == 0 || waited.as_secs_f64() >= report.timeout_s {
                return Some((report, waited.as_secs_f64()));
            }
            if !self.sleep(Duration::from_millis(250)).await {
                return None;
            }
        }
    }
}

/// Stops every user now and waits until they have; returns when that was and the run's totals.
async fn stop_load(
    handle: &RunHandle,
    run: tokio::task::JoinHandle<engine::StatsSnapshot>,
) -> (StopRecord, Vec<RowTotal>) {
    let search_ended_at = unix_now();
    handle.stop();
    let stats = match run.await {
        Ok(stats) => stats,
        Err(_) => {
            eprintln!("akrida capacity: the run ended abnormally; reporting the plateaus so far");
            handle.summary()
        }
    };
    let stop = StopRecord {
        search_ended_at,
        users_stopped_at: unix_now(),
        last_sample_at: last_sample(&stats),
    };
    eprintln!(
        "akrida capacity: the search ended; every user stopped {:.1}s later",
        stop.users_stopped_at - search_ended_at
    );
    let totals = stats
        .entries
        .iter()
        .map(|e| RowTotal {
            kind: e.kind.clone(),
            name: e.name.clone(),
            requests: e.num_requests,
            failures: e.num_failures,
        })
        .collect();
    (stop, totals)
}

/// When the last sample of any row ended.
fn last_sample(stats: &engine::StatsSnapshot) -> Option<f64> {
    stats
        .entries
        .iter()
        .filter_map(|e| e.last_sample)
        .reduce(f64::max)
}

/// Ctrl-C once: end the search (the plateaus so far are reported). Twice: leave at once.
fn stop_on_ctrl_c(handle: RunHandle, progress: Progress) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("akrida capacity: stopping (Ctrl-C again to quit at once)");
            progress.stop("Ctrl-C");
            handle.stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
