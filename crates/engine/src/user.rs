//! What a scenario gives the engine (users and their weighted tasks), and what the engine gives
//! each user (its index, the stats recorder, its stop signal).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::stats::Stats;

/// A boxed future, so `User` stays object-safe (the engine holds `Box<dyn User>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One simulated user (a holder). The engine drives it; the user records its own samples.
pub trait User: Send + 'static {
    /// Onboarding. On `Err(cause)` the engine waits one wait-time and calls `on_start` again
    /// before any task (owl-akrida's `ensure_is_running`); a stop interrupts it. By default there
    /// is nothing to onboard.
    fn on_start<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
    /// Runs the named task (one of the scenario's `tasks()`) once; records samples itself.
    /// A stop drops the future wherever it is, as Locust kills a user's greenlet.
    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()>;
    /// Runs while the user waits between tasks, for what cannot wait for the next task: e.g. a
    /// holder whose socket the server closed reopens it now, not at its next ping minutes later,
    /// so the drop is counted when it happens and the holder stays reachable. The wait keeps its
    /// length whether this finishes early or not; when the wait ends (or the user is stopped)
    /// the future is dropped wherever it is, so it must leave the user usable if cut short.
    /// By default it does nothing.
    fn while_waiting<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(std::future::pending())
    }
    /// Clean-up when the user is stopped; bounded by `RunConfig::stop_timeout`, then dropped.
    /// By default there is nothing to clean up.
    fn on_stop<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// Makes the users of one kind of test.
pub trait Scenario: Send + Sync + 'static {
    fn name(&self) -> &str;
    /// Task names and integer weights; each iteration picks one in proportion to its weight.
    fn tasks(&self) -> Vec<(&'static str, u32)>;
    /// A new user; `index` counts users of the run from 0 and is never reused.
    fn new_user(&self, index: u64) -> Box<dyn User>;
    /// Scenario-wide clean-up once every user has stopped, before the final snapshot: e.g.
    /// removing server-side records that users could not remove within their stop timeout.
    /// Samples it records (through `stats`) are in the report. Nothing by default.
    fn finish<'a>(&'a self, _stats: &'a Stats) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
    /// How long its users' `on_stop` may need at least (e.g. to wake and drain every holder
    /// before deliveries are judged); the run's stop timeout is raised to it. None by default.
    fn stop_time(&self) -> Option<Duration> {
        None
    }
    /// The steps one of its samples is made of, for the HTML report's breakdown. None by
    /// default.
    fn phases(&self) -> Option<Phases> {
        None
    }
    /// For a scenario that keeps per-message delivery accounting: how many messages it has
    /// noted so far (`delivery::Ledger::sent_count`). A capacity plateau notes it at the start
    /// and the end of its judged window. None by default: no accounting.
    fn delivery_sent(&self) -> Option<u64> {
        None
    }
    /// The delivery verdict of the messages `ids` (numbered as [`Scenario::delivery_sent`]
    /// counts them) as if the run ended now (`delivery::Ledger::report_of`). None by default.
    fn delivery_of(&self, _ids: std::ops::Range<u64>) -> Option<delivery::DeliveryReport> {
        None
    }
}

/// A sample made of steps that are samples of their own (e.g. a holder's onboarding: connect,
/// then open a socket, …), shown by the HTML report as each step's share of the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    /// The section's heading, e.g. `Onboarding phases`.
    pub title: &'static str,
    /// The sample that spans all the steps (e.g. `startup`).
    pub total: &'static str,
    /// The steps' sample names, in the order they happen.
    pub steps: &'static [&'static str],
}

/// What a user gets from the engine: who it is, where samples go, and whether to stop.
pub struct UserContext {
    index: u64,
    stats: Arc<Stats>,
    stop: watch::Receiver<bool>,
    /// The whole run's end, when the context belongs to a run: it turns true the moment
    /// `RunHandle::stop` is called, so a user polled before the controller has come round to
    /// stopping each user one by one (a busy runtime may take seconds) begins nothing more.
    run_ended: Option<watch::Receiver<bool>>,
}

impl UserContext {
    /// A context for user `index`; `stop` turns true when the user must stop.
    pub fn new(index: u64, stats: Arc<Stats>, stop: watch::Receiver<bool>) -> Self {
        UserContext {
            index,
            stats,
            stop,
            run_ended: None,
        }
    }

    /// The same context, also stopped when `run_ended` turns true (the run's end).
    pub fn ending_with_run(mut self, run_ended: watch::Receiver<bool>) -> Self {
        self.run_ended = Some(run_ended);
        self
    }

    /// The user's number in the run, from 0.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The run's stats, for figures beyond single samples.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Records one sample; `Err(cause)` is a failure grouped by its cause text.
    pub fn record(&self, kind: &str, name: &str, latency: Duration, result: Result<(), String>) {
        self.stats
            .record(kind, name, latency, result.err().as_deref());
    }

    /// Adds `n` to a named counter, for events that are not requests (see [`Stats::count`]).
    pub fn count(&self, name: &str, n: u64) {
        self.stats.count(name, n);
    }

    /// Times `fut` and records it under (kind, name); an error's text is the failure's cause.
    /// Returns what `fut` returned. If the future is dropped unfinished (the user was stopped),
    /// nothing is recorded, as in Locust.
    pub async fn timed<T, E: std::fmt::Display>(
        &self,
        kind: &str,
        name: &str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        // tokio's clock, so tests on a paused clock measure exact latencies.
        let started = tokio::time::Instant::now();
        let outcome = fut.await;
        let latency = started.elapsed();
        match &outcome {
            Ok(_) => self.stats.record(kind, name, latency, None),
            Err(error) => self
                .stats
                .record(kind, name, latency, Some(&error.to_string())),
        }
        outcome
    }

    /// [`UserContext::timed`] for a sample that was about one DIDComm thread (`thread_id`: the
    /// `@id` of the message that started it, e.g. a trust ping's or a credential offer's thread).
    /// Records the sample as `timed` does and, when the run collects server traces
    /// (`akrida run --trace-listen`), notes the thread so the report can join the agents' trace
    /// events for that thread to this sample. Costs nothing more when no collector runs.
    ///
    /// ```text
    /// let thread = didcomm::message::new_id();
    /// ctx.timed_thread(DIDCOMM, "ping_mediator", &thread, session.ping_with_id(&thread)).await;
    /// ```
    pub async fn timed_thread<T, E: std::fmt::Display>(
        &self,
        kind: &str,
        name: &str,
        thread_id: &str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let wall_start = self.stats.clock().unix_now();
        let started = tokio::time::Instant::now();
        let outcome = self.timed(kind, name, fut).await;
        let ended = wall_start + started.elapsed().as_secs_f64();
        self.stats
            .message_threads()
            .record(name, thread_id, wall_start, ended);
        outcome
    }

    /// Notes that sample `name` (recorded separately, e.g. with [`UserContext::record`]) was
    /// about DIDComm thread `thread_id` from `started` to `ended` (Unix seconds, as
    /// [`UserContext::unix_now`] gives). For flows whose thread id is only known once they ran.
    pub fn record_thread(&self, name: &str, thread_id: &str, started: f64, ended: f64) {
        self.stats
            .message_threads()
            .record(name, thread_id, started, ended);
    }

    /// The wall clock in Unix seconds, the time base of [`UserContext::record_thread`].
    pub fn unix_now(&self) -> f64 {
        self.stats.clock().unix_now()
    }

    /// True once the user has been asked to stop, or the run to end.
    pub fn is_stopping(&self) -> bool {
        *self.stop.borrow() || self.run_ended.as_ref().is_some_and(|ended| *ended.borrow())
    }

    /// Resolves when the user is asked to stop, or the run to end (at once if it already was).
    pub async fn stopped(&self) {
        // An Err means the engine dropped the sender: it is gone, so stopping is right too.
        let mut stop = self.stop.clone();
        let own = async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        };
        match self.run_ended.clone() {
            None => own.await,
            Some(mut ended) => {
                let run = async move {
                    let _ = ended.wait_for(|ended| *ended).await;
                };
                tokio::select! {
                    _ = own => {}
                    _ = run => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_end_of_the_run_stops_a_user_before_its_own_stop_comes() {
        let (_own, own_rx) = watch::channel(false);
        let (run_ended, run_rx) = watch::channel(false);
        let ctx = UserContext::new(0, Arc::new(Stats::new()), own_rx).ending_with_run(run_rx);
        assert!(!ctx.is_stopping());
        run_ended.send_replace(true);
        assert!(ctx.is_stopping());
        tokio::time::timeout(Duration::from_secs(1), ctx.stopped())
            .await
            .expect("stopped() resolves on the run's end alone");
    }
}
