//! Runs a scenario: one controller task starts and stops users at the spawn rate, takes history
//! rows, and ends the run; each user is its own tokio task (see `user_task.rs`).
//!
//! The controller owns all user tasks in a `JoinSet`, so it learns of every user that ends,
//! including by panic, and can stop them all at the end. Callers talk to it through a
//! [`RunHandle`] (commands over a channel, figures read from shared state).

mod arrivals;
mod controller;
mod lifecycle;
mod plan;
mod ramp;
mod user_task;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{validate_spawn_rate, RunConfig};
use crate::error::EngineError;
use crate::stats::{HistoryRow, IntervalStats, Stats, StatsSnapshot};
use crate::user::Scenario;
use lifecycle::Lifecycle;

/// What a [`RunHandle`] asks of the controller.
enum Command {
    SetTarget { users: usize, spawn_rate: f64 },
    Stop,
}

/// State the controller and the handles share.
struct Shared {
    stats: Arc<Stats>,
    history: Mutex<Vec<HistoryRow>>,
    user_count: AtomicUsize,
    target: AtomicUsize,
    lifecycle: Arc<Lifecycle>,
    commands: mpsc::UnboundedSender<Command>,
    /// Turns true when the run is asked to end; every user watches it (see `RunHandle::stop`).
    run_ended: watch::Sender<bool>,
    /// The open model's schedule, when the run has an arrival rate.
    arrivals: Option<Arc<arrivals::Arrivals>>,
}

impl Shared {
    /// A snapshot with the runner's user figures filled in.
    fn complete(&self, mut snapshot: StatsSnapshot) -> StatsSnapshot {
        snapshot.user_count = self.user_count.load(Ordering::Relaxed);
        snapshot.target_user_count = self.target.load(Ordering::Relaxed);
        snapshot.users = self.lifecycle.read();
        snapshot
    }
}

/// Starts runs.
pub struct Runner;

impl Runner {
    /// Starts `scenario` shaped by `config` on the current tokio runtime. Returns a handle to steer
    /// and watch the run, and the run itself, which ends at `run_time` or `RunHandle::stop` with
    /// the final stats (after every user's `on_stop`).
    pub fn start(
        scenario: Arc<dyn Scenario>,
        config: RunConfig,
    ) -> Result<(RunHandle, JoinHandle<StatsSnapshot>), EngineError> {
        Self::start_with_stats(scenario, config, Arc::new(Stats::new()))
    }

    /// [`Runner::start`] recording into `stats` made beforehand, e.g. with
    /// [`Stats::message_threads`] enabled before the first user starts.
    pub fn start_with_stats(
        scenario: Arc<dyn Scenario>,
        config: RunConfig,
        stats: Arc<Stats>,
    ) -> Result<(RunHandle, JoinHandle<StatsSnapshot>), EngineError> {
        config.validate()?;
        let plan = Arc::new(plan::TaskPlan::of(&*scenario)?);
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| EngineError::NoRuntime)?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            stats,
            history: Mutex::new(Vec::new()),
            user_count: AtomicUsize::new(0),
            target: AtomicUsize::new(config.users),
            lifecycle: Arc::new(Lifecycle::default()),
            commands,
            run_ended: watch::Sender::new(false),
            arrivals: config
                .arrival_rate
                .map(|rate| Arc::new(arrivals::Arrivals::new(rate))),
        });
        let controller = controller::Controller::new(scenario, plan, config, shared.clone());
        let run = runtime.spawn(controller.run(receiver));
        Ok((RunHandle { shared }, run))
    }
}

/// Steers and watches a run. Cheap to clone; every method works during and after the run.
#[derive(Clone)]
pub struct RunHandle {
    shared: Arc<Shared>,
}

impl RunHandle {
    /// Changes the number of users mid-run: starts users, or stops the newest first, at
    /// `spawn_rate` per second. Users lost to a panic are not counted against the new target.
    pub fn set_target(&self, users: usize, spawn_rate: f64) -> Result<(), EngineError> {
        validate_spawn_rate(spawn_rate)?;
        self.shared.target.store(users, Ordering::Relaxed);
        // After the run ended nobody listens; there is nothing left to change then.
        let _ = self
            .shared
            .commands
            .send(Command::SetTarget { users, spawn_rate });
        Ok(())
    }

    /// Changes the open model's rate mid-run: a new schedule of `rate` iterations per second
    /// starts now (iterations of the old rate still unclaimed are counted as missed). Fails for
    /// a closed-model run or a rate that is not finite and above 0.
    pub fn set_arrival_rate(&self, rate: f64) -> Result<(), EngineError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(EngineError::InvalidArrivalRate(rate));
        }
        match &self.shared.arrivals {
            Some(arrivals) => {
                arrivals.set_rate(rate);
                Ok(())
            }
            None => Err(EngineError::NotOpenModel),
        }
    }

    /// Ends the run gracefully: every user is stopped and runs `on_stop`, then the run's future
    /// returns the final stats. Calling it again, or after the end, does nothing.
    pub fn stop(&self) {
        // Every user sees this at its next poll, even while the controller task (which then
        // stops each user and waits for its clean-up) waits its turn on a busy runtime.
        self.shared.run_ended.send_replace(true);
        let _ = self.shared.commands.send(Command::Stop);
    }

    /// The stats so far, with the per-second series.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.complete(self.shared.stats.snapshot())
    }

    /// The stats so far without the per-second series: cheap at any run length (live tables).
    pub fn summary(&self) -> StatsSnapshot {
        self.shared.complete(self.shared.stats.summary())
    }

    /// Users currently running (started or starting, not asked to stop).
    pub fn user_count(&self) -> usize {
        self.shared.user_count.load(Ordering::Relaxed)
    }

    /// Users the run is aiming for.
    pub fn target_user_count(&self) -> usize {
        self.shared.target.load(Ordering::Relaxed)
    }

    /// What was recorded since the previous call, for a Locust worker (see [`Stats::take_interval`]).
    pub fn take_interval(&self) -> IntervalStats {
        self.shared.stats.take_interval()
    }

    /// The history rows so far, one per `history_interval` and one at the end.
    pub fn history(&self) -> Vec<HistoryRow> {
        self.shared
            .history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The run's stats recorder itself.
    pub fn recorder(&self) -> Arc<Stats> {
        self.shared.stats.clone()
    }
}

#[cfg(test)]
mod tests;
