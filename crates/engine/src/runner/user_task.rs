//! The life of one user, as one tokio task: onboard (retrying), loop over weighted tasks with
//! waits, and clean up when asked to stop.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::Rng;
use tokio::time::Instant;

use super::arrivals::{Arrivals, Claim};
use super::lifecycle::{bump, Lifecycle};
use super::plan::TaskPlan;
use crate::config::Wait;
use crate::stats::{ITERATION_KIND, QUEUE_KIND};
use crate::user::{Scenario, User, UserContext};

/// The shortest wait before retrying a failed `on_start`: with a zero wait-time, a user whose
/// onboarding fails at once would otherwise retry in a tight loop and flood the server and logs.
const MIN_START_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Everything one user task needs, moved into it.
pub struct UserRun {
    pub index: u64,
    pub scenario: Arc<dyn Scenario>,
    pub plan: Arc<TaskPlan>,
    pub wait: Wait,
    pub stop_timeout: Duration,
    pub ctx: UserContext,
    pub lifecycle: Arc<Lifecycle>,
    pub rng: SmallRng,
    /// See `RunConfig::active_share`.
    pub active_share: f64,
    /// The open model's schedule, when the run has an arrival rate.
    pub arrivals: Option<Arc<Arrivals>>,
}

/// Runs one user until it is stopped. A panic anywhere in here ends only this task; the runner
/// sees it through the task's `JoinError`.
pub async fn drive(mut run: UserRun) {
    // Made inside the task, so a panic in the scenario's constructor is isolated like any other.
    let mut user = run.scenario.new_user(run.index);
    if onboard(&mut *user, &mut run).await {
        run_tasks(&mut *user, &mut run).await;
    }
    // Every spawned user gets its clean-up, even one whose onboarding never finished: it may
    // already hold a half-open connection.
    match tokio::time::timeout(run.stop_timeout, user.on_stop(&run.ctx)).await {
        Ok(()) => {}
        Err(_) => {
            bump(&run.lifecycle.on_stop_timeouts);
            tracing::warn!(user = run.index, timeout = ?run.stop_timeout, "on_stop timed out; user dropped");
        }
    }
    bump(&run.lifecycle.stopped);
}

/// Calls `on_start` until it succeeds (true) or the user is stopped (false).
async fn onboard(user: &mut dyn User, run: &mut UserRun) -> bool {
    loop {
        let outcome = tokio::select! {
            biased;
            _ = run.ctx.stopped() => {
                bump(&run.lifecycle.starts_cut_short);
                return false;
            }
            outcome = user.on_start(&run.ctx) => outcome,
        };
        match outcome {
            Ok(()) => {
                bump(&run.lifecycle.started);
                return true;
            }
            Err(cause) => {
                bump(&run.lifecycle.start_failures);
                tracing::warn!(user = run.index, %cause, "on_start failed; retrying after a wait");
            }
        }
        let delay = run.wait.sample(&mut run.rng).max(MIN_START_RETRY_DELAY);
        tokio::select! {
            biased;
            _ = run.ctx.stopped() => return false,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// Runs weighted tasks with waits between them until the user is stopped.
async fn run_tasks(user: &mut dyn User, run: &mut UserRun) {
    if let Some(arrivals) = run.arrivals.clone() {
        return run_arrivals(user, run, &arrivals).await;
    }
    while !run.ctx.is_stopping() {
        if run.active_share < 1.0 && !run.rng.gen_bool(run.active_share) {
            // Not active this second.
            if wait_until(user, &run.ctx, Instant::now() + Duration::from_secs(1)).await
                == Waited::Stopped
            {
                return;
            }
            continue;
        }
        let task = run.plan.pick(&mut run.rng);
        tokio::select! {
            biased;
            _ = run.ctx.stopped() => return,
            _ = user.run_task(task, &run.ctx) => {}
        }
        let delay = run.wait.sample(&mut run.rng);
        if delay.is_zero() {
            // A task that never awaits plus no wait would hold the worker thread forever.
            tokio::task::yield_now().await;
            continue;
        }
        if wait_until(user, &run.ctx, Instant::now() + delay).await == Waited::Stopped {
            return;
        }
    }
}

#[derive(PartialEq, Eq)]
enum Waited {
    Full,
    Stopped,
    /// The open model's rate changed: the claim waited on is void.
    NewSchedule,
}

/// Waits until `until` with the user's `while_waiting` running meanwhile; a stop interrupts
/// both. The wait keeps its length when `while_waiting` finishes early.
async fn wait_until(user: &mut dyn User, ctx: &UserContext, until: Instant) -> Waited {
    wait_until_or(user, ctx, until, std::future::pending()).await
}

/// [`wait_until`], also cut short when `new_schedule` resolves.
async fn wait_until_or(
    user: &mut dyn User,
    ctx: &UserContext,
    until: Instant,
    new_schedule: impl std::future::Future<Output = ()>,
) -> Waited {
    let mut new_schedule = std::pin::pin!(new_schedule);
    tokio::select! {
        biased;
        _ = ctx.stopped() => return Waited::Stopped,
        _ = &mut new_schedule => return Waited::NewSchedule,
        _ = tokio::time::sleep_until(until) => return Waited::Full,
        _ = user.while_waiting(ctx) => {}
    }
    tokio::select! {
        biased;
        _ = ctx.stopped() => Waited::Stopped,
        _ = new_schedule => Waited::NewSchedule,
        _ = tokio::time::sleep_until(until) => Waited::Full,
    }
}

/// Claims the next iteration and waits until it is due; None when the user is stopped first.
/// A new rate voids the claim: the user claims in the new schedule at once rather than sleep
/// until the void claim's due time. The change is watched from before the claim, so one made
/// between the two is seen too; a claim made just after it still stands, and is kept.
async fn wait_for_claim(
    user: &mut dyn User,
    ctx: &UserContext,
    arrivals: &Arrivals,
) -> Option<Claim> {
    let mut new_schedule = arrivals.new_schedule();
    let mut claim = arrivals.claim();
    loop {
        match wait_until_or(user, ctx, claim.due, new_schedule).await {
            Waited::Stopped => return None,
            Waited::Full if arrivals.stands(&claim) => return Some(claim),
            Waited::Full | Waited::NewSchedule => {
                new_schedule = arrivals.new_schedule();
                if !arrivals.stands(&claim) {
                    claim = arrivals.claim();
                }
            }
        }
    }
}

/// The open model: claim the next due iteration, start it when due (at once when late), record
/// it from its due time, repeat. No wait between tasks: the schedule sets the pace.
async fn run_arrivals(user: &mut dyn User, run: &mut UserRun, arrivals: &Arrivals) {
    while !run.ctx.is_stopping() {
        let Some(claim) = wait_for_claim(user, &run.ctx, arrivals).await else {
            return;
        };
        let due = claim.due;
        arrivals.started();
        let task = run.plan.pick(&mut run.rng);
        // The wait is recorded as the iteration starts, so the queue rows of a window count the
        // iterations started in it (what a capacity search compares with those due), not those
        // that ended there.
        run.ctx
            .stats()
            .record(QUEUE_KIND, task, due.elapsed(), None);
        tokio::select! {
            biased;
            _ = run.ctx.stopped() => return,
            _ = user.run_task(task, &run.ctx) => {}
        }
        run.ctx
            .stats()
            .record(ITERATION_KIND, task, due.elapsed(), None);
        // A task that never awaits would otherwise hold the worker thread while late.
        tokio::task::yield_now().await;
    }
}
