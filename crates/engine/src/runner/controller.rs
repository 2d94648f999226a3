//! The controller task: the only place users are started and stopped.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use tokio::sync::{mpsc, watch};
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};

use super::arrivals::Arrivals;
use super::lifecycle::bump;
use super::plan::TaskPlan;
use super::ramp::Ramp;
use super::user_task::{drive, UserRun};
use super::{Command, Shared};
use crate::config::RunConfig;
use crate::stats::{HistoryRow, StatsSnapshot, MISSED_ITERATIONS};
use crate::user::{Scenario, UserContext};

/// Extra time past `stop_timeout` before users that still have not ended are aborted. A user only
/// gets here by blocking its thread (its `on_stop` is already bounded by `stop_timeout`).
const ABORT_GRACE: Duration = Duration::from_secs(1);

/// A running user the controller may ask to stop.
struct Slot {
    id: Id,
    stop: watch::Sender<bool>,
}

pub struct Controller {
    scenario: Arc<dyn Scenario>,
    plan: Arc<TaskPlan>,
    config: RunConfig,
    shared: Arc<Shared>,
    users: JoinSet<()>,
    /// Users not asked to stop, oldest first, so the newest are stopped first.
    running: Vec<Slot>,
    /// User index of every task still in `users`, for logs about a task that ended.
    index_of: HashMap<Id, u64>,
    next_index: u64,
    target: usize,
    /// Users lost to a panic since the target was last set; they are not replaced.
    lost: usize,
    ramp: Ramp,
    seed: u64,
    /// Target changes of the load shape still to come: (when, users, spawn rate).
    shape: std::collections::VecDeque<(Instant, usize, f64)>,
    arrivals: Option<Arc<Arrivals>>,
}

impl Controller {
    pub fn new(
        scenario: Arc<dyn Scenario>,
        plan: Arc<TaskPlan>,
        mut config: RunConfig,
        shared: Arc<Shared>,
    ) -> Self {
        // A scenario whose users need longer to stop (e.g. to drain their queues before
        // deliveries are judged) gets that long.
        if let Some(needed) = scenario.stop_time() {
            config.stop_timeout = config.stop_timeout.max(needed);
        }
        let seed = config.seed.unwrap_or_else(|| rand::thread_rng().next_u64());
        let now = Instant::now();
        let shape: std::collections::VecDeque<_> = config
            .shape
            .schedule(config.users, config.spawn_rate)
            .into_iter()
            .map(|(offset, users, rate)| (now + offset, users, rate))
            .collect();
        let target = if shape.is_empty() { config.users } else { 0 };
        shared
            .target
            .store(target, std::sync::atomic::Ordering::Relaxed);
        Controller {
            scenario,
            plan,
            target,
            shape,
            arrivals: shared.arrivals.clone(),
            ramp: Ramp::new(Instant::now(), config.spawn_rate),
            config,
            shared,
            users: JoinSet::new(),
            running: Vec::new(),
            index_of: HashMap::new(),
            next_index: 0,
            lost: 0,
            seed,
        }
    }

    /// Runs until the run time is over or a stop is asked for, then stops every user.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) -> StatsSnapshot {
        let run_time = match (self.config.run_time, self.config.shape.duration()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let deadline = run_time.map(|t| Instant::now() + t);
        let mut history = tokio::time::interval(self.config.history_interval);
        // After a stall (e.g. a suspended laptop), one row, not a burst of identical rows.
        history.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            let next_change = self.next_change();
            let next_shape = self.shape.front().map(|(at, _, _)| *at);
            tokio::select! {
                // Commands and the end of the run first, so a stop is never starved by spawning.
                biased;
                command = commands.recv() => match command {
                    Some(Command::SetTarget { users, spawn_rate }) => {
                        self.target = users;
                        self.lost = 0;
                        self.ramp = Ramp::new(Instant::now(), spawn_rate);
                    }
                    // All handles gone means nobody can stop the run any more: stop it now.
                    Some(Command::Stop) | None => break,
                },
                _ = sleep_until(deadline) => break,
                Some(ended) = self.users.join_next_with_id(), if !self.users.is_empty() => {
                    self.user_ended(ended);
                }
                _ = sleep_until(next_shape) => self.apply_shape(),
                _ = sleep_until(next_change) => self.make_due_changes(),
                _ = history.tick() => self.push_history(),
            }
        }
        self.stop_everyone().await;
        self.scenario.finish(&self.shared.stats).await;
        if let Some(arrivals) = &self.arrivals {
            self.shared
                .stats
                .count(MISSED_ITERATIONS, arrivals.missed(Instant::now()));
        }
        self.push_history();
        self.shared.complete(self.shared.stats.snapshot())
    }

    /// The load shape's next target is due: aim for it at its rate.
    fn apply_shape(&mut self) {
        if let Some((_, users, rate)) = self.shape.pop_front() {
            self.target = users;
            self.lost = 0;
            self.ramp = Ramp::new(Instant::now(), rate);
            self.shared
                .target
                .store(users, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Users the run should have now.
    fn wanted(&self) -> usize {
        self.target.saturating_sub(self.lost)
    }

    /// When the next start or stop is due, if one is needed.
    fn next_change(&self) -> Option<Instant> {
        (self.running.len() != self.wanted()).then(|| self.ramp.next_due())
    }

    /// Starts or stops every user whose time has come (several when the rate outpaces the timer).
    fn make_due_changes(&mut self) {
        let now = Instant::now();
        while self.running.len() != self.wanted() && self.ramp.next_due() <= now {
            if self.running.len() < self.wanted() {
                self.start_user();
            } else {
                self.stop_newest();
            }
            self.ramp.advance();
        }
        self.publish_user_count();
    }

    fn start_user(&mut self) {
        let index = self.next_index;
        self.next_index += 1;
        let (stop, stop_rx) = watch::channel(false);
        let run = UserRun {
            index,
            scenario: self.scenario.clone(),
            plan: self.plan.clone(),
            wait: self.config.wait,
            stop_timeout: self.config.stop_timeout,
            ctx: UserContext::new(index, self.shared.stats.clone(), stop_rx)
                .ending_with_run(self.shared.run_ended.subscribe()),
            lifecycle: self.shared.lifecycle.clone(),
            // One stream per user, derived from the run's seed, so a seeded run repeats its choices.
            rng: SmallRng::seed_from_u64(self.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            active_share: self.config.active_share,
            arrivals: self.arrivals.clone(),
        };
        let id = self.users.spawn(drive(run)).id();
        self.index_of.insert(id, index);
        self.running.push(Slot { id, stop });
        bump(&self.shared.lifecycle.spawned);
    }

    fn stop_newest(&mut self) {
        if let Some(slot) = self.running.pop() {
            // An error means the task already ended; the join will tell us about it.
            let _ = slot.stop.send(true);
        }
    }

    /// A user task ended: normally after a stop, or by panic (counted as a failure, not replaced).
    fn user_ended(&mut self, ended: Result<(Id, ()), JoinError>) {
        let id = match &ended {
            Ok((id, ())) => *id,
            Err(error) => error.id(),
        };
        let index = self.index_of.remove(&id);
        if let Err(error) = ended {
            if error.is_panic() {
                let message = panic_message(error.into_panic());
                tracing::error!(user = ?index, %message, "user panicked; it is not replaced");
                self.shared
                    .stats
                    .record_untimed("user", "panic", Some(&message));
                bump(&self.shared.lifecycle.panicked);
            }
        }
        // Still in `running` means it ended without being asked to: it is gone for good.
        if let Some(position) = self.running.iter().position(|slot| slot.id == id) {
            self.running.remove(position);
            self.lost += 1;
            self.publish_user_count();
        }
    }

    /// Asks every user to stop, waits for their `on_stop`, aborts any that hang.
    async fn stop_everyone(&mut self) {
        for slot in self.running.drain(..) {
            let _ = slot.stop.send(true);
        }
        self.publish_user_count();
        let grace = self.config.stop_timeout + ABORT_GRACE;
        let drained = tokio::time::timeout(grace, async {
            while let Some(ended) = self.users.join_next_with_id().await {
                self.user_ended(ended);
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                users = self.users.len(),
                "users did not end within the stop timeout; aborting them"
            );
            self.users.abort_all();
            while let Some(ended) = self.users.join_next_with_id().await {
                self.user_ended(ended);
            }
        }
    }

    fn publish_user_count(&self) {
        self.shared
            .user_count
            .store(self.running.len(), std::sync::atomic::Ordering::Relaxed);
    }

    fn push_history(&self) {
        let row = HistoryRow::of(&self.shared.complete(self.shared.stats.summary()));
        self.shared
            .history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(row);
    }
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The text of a panic, which is a `&str` or a `String` for every `panic!` with a message.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(text) => (*text).to_owned(),
            Err(_) => "panic without a text message".to_owned(),
        },
    }
}
