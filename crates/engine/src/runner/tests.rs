//! Runner tests with fake users on tokio's paused clock: time only moves when every task waits,
//! so spawn times and counts are exact, not timed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::{
    BoxFuture, RunConfig, RunHandle, Runner, Scenario, StatsSnapshot, User, UserContext, Wait,
};

/// How the fake users behave.
#[derive(Clone, Default)]
struct Behaviour {
    /// Each user's `on_start` fails this many times before it succeeds.
    start_failures: u32,
    /// `on_start` never finishes.
    start_hangs: bool,
    /// `on_stop` never finishes.
    stop_hangs: bool,
    /// How long each task takes.
    task_time: Duration,
    /// This user panics in its first task.
    panicking_user: Option<u64>,
    /// `while_waiting` takes this long (counted in `watches_started` / `watches_finished`);
    /// None: the default, which does nothing.
    watch_time: Option<Duration>,
}

/// What the fake users did, for the test to check.
#[derive(Default)]
struct Log {
    start_attempts: AtomicU64,
    tasks: Mutex<HashMap<&'static str, u64>>,
    tasks_by_user: Mutex<HashMap<u64, u64>>,
    stopped_users: Mutex<Vec<u64>>,
    watches_started: AtomicU64,
    watches_finished: AtomicU64,
}

struct FakeScenario {
    tasks: Vec<(&'static str, u32)>,
    behaviour: Behaviour,
    log: Arc<Log>,
}

struct FakeUser {
    index: u64,
    start_attempts: u32,
    behaviour: Behaviour,
    log: Arc<Log>,
}

impl Scenario for FakeScenario {
    fn name(&self) -> &str {
        "fake"
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        self.tasks.clone()
    }
    fn finish<'a>(&'a self, stats: &'a crate::Stats) -> BoxFuture<'a, ()> {
        // After every user's on_stop: record how many had stopped by then.
        let stopped = self.log.stopped_users.lock().unwrap().len();
        Box::pin(async move {
            stats.count("finish_calls", 1);
            stats.count("stopped_before_finish", stopped as u64);
        })
    }
    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(FakeUser {
            index,
            start_attempts: 0,
            behaviour: self.behaviour.clone(),
            log: self.log.clone(),
        })
    }
}

impl User for FakeUser {
    fn on_start<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.log.start_attempts.fetch_add(1, Ordering::Relaxed);
            if self.behaviour.start_hangs {
                std::future::pending::<()>().await;
            }
            self.start_attempts += 1;
            if self.start_attempts <= self.behaviour.start_failures {
                return Err("mediator not ready".to_owned());
            }
            Ok(())
        })
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.behaviour.panicking_user == Some(self.index) {
                panic!("fake user exploded");
            }
            *self
                .log
                .tasks
                .lock()
                .expect("test lock")
                .entry(task)
                .or_default() += 1;
            *self
                .log
                .tasks_by_user
                .lock()
                .expect("test lock")
                .entry(self.index)
                .or_default() += 1;
            let time = self.behaviour.task_time;
            let _ = ctx
                .timed("fake", task, async move {
                    sleep(time).await;
                    if task == "fail" {
                        Err("failed on purpose")
                    } else {
                        Ok(())
                    }
                })
                .await;
        })
    }

    fn while_waiting<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        let Some(time) = self.behaviour.watch_time else {
            return Box::pin(std::future::pending());
        };
        Box::pin(async move {
            self.log.watches_started.fetch_add(1, Ordering::Relaxed);
            sleep(time).await;
            self.log.watches_finished.fetch_add(1, Ordering::Relaxed);
        })
    }

    fn on_stop<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.behaviour.stop_hangs {
                std::future::pending::<()>().await;
            }
            self.log
                .stopped_users
                .lock()
                .expect("test lock")
                .push(self.index);
        })
    }
}

fn start(
    tasks: Vec<(&'static str, u32)>,
    behaviour: Behaviour,
    config: RunConfig,
) -> (RunHandle, tokio::task::JoinHandle<StatsSnapshot>, Arc<Log>) {
    let log = Arc::new(Log::default());
    let scenario = Arc::new(FakeScenario {
        tasks,
        behaviour,
        log: log.clone(),
    });
    let (handle, run) = Runner::start(scenario, config).expect("valid config");
    (handle, run, log)
}

fn config(users: usize, spawn_rate: f64) -> RunConfig {
    RunConfig {
        users,
        spawn_rate,
        wait: Wait::constant(Duration::from_millis(100)),
        seed: Some(7),
        ..RunConfig::default()
    }
}

fn behaviour() -> Behaviour {
    Behaviour {
        task_time: Duration::from_millis(10),
        ..Behaviour::default()
    }
}

/// Sleeps until `at` seconds after `t0`; a quarter step away from any spawn time.
async fn at(t0: Instant, seconds: f64) {
    tokio::time::sleep_until(t0 + Duration::from_secs_f64(seconds)).await;
}

#[tokio::test(start_paused = true)]
async fn users_are_spawned_at_the_spawn_rate() {
    let t0 = Instant::now();
    let (handle, run, _) = start(vec![("ping", 1)], behaviour(), config(10, 2.0));
    // User k starts at k / 2 s: 1 at once, 5 by 2 s, all 10 by 4.5 s.
    for (seconds, want) in [
        (0.25, 1),
        (1.25, 3),
        (2.25, 5),
        (3.75, 8),
        (4.75, 10),
        (8.0, 10),
    ] {
        at(t0, seconds).await;
        assert_eq!(handle.user_count(), want, "at {seconds} s");
    }
    handle.stop();
    let snapshot = run.await.expect("run ends");
    assert_eq!(snapshot.users.spawned, 10);
}

#[tokio::test(start_paused = true)]
async fn fractional_spawn_rates_work() {
    let t0 = Instant::now();
    let (handle, run, _) = start(vec![("ping", 1)], behaviour(), config(3, 0.4));
    for (seconds, want) in [(0.1, 1), (2.4, 1), (2.6, 2), (4.9, 2), (5.1, 3)] {
        at(t0, seconds).await;
        assert_eq!(handle.user_count(), want, "at {seconds} s");
    }
    handle.stop();
    run.await.expect("run ends");
}

#[tokio::test(start_paused = true)]
async fn tasks_are_chosen_by_weight() {
    let mut cfg = config(1, 1.0);
    cfg.wait = Wait::constant(Duration::ZERO);
    cfg.run_time = Some(Duration::from_secs(40));
    let (_, run, log) = start(vec![("often", 3), ("rarely", 1)], behaviour(), cfg);
    run.await.expect("run ends");
    let tasks = log.tasks.lock().expect("test lock").clone();
    let (often, rarely) = (tasks["often"] as f64, tasks["rarely"] as f64);
    let share = often / (often + rarely);
    assert!(often + rarely > 3_000.0, "{tasks:?}");
    assert!(
        (0.72..=0.78).contains(&share),
        "share of the 3:1 task: {share}"
    );
}

#[tokio::test(start_paused = true)]
async fn run_time_ends_the_run_and_stops_every_user() {
    let t0 = Instant::now();
    let mut cfg = config(5, 10.0);
    cfg.run_time = Some(Duration::from_secs(10));
    let (handle, run, log) = start(vec![("ping", 1)], behaviour(), cfg);
    let snapshot = run.await.expect("run ends");
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_secs(10) && elapsed < Duration::from_secs(11),
        "{elapsed:?}"
    );
    assert_eq!(snapshot.users.spawned, 5);
    assert_eq!(snapshot.users.stopped, 5);
    assert_eq!(snapshot.user_count, 0);
    assert_eq!(log.stopped_users.lock().expect("test lock").len(), 5);
    // ~10 s of 110 ms iterations per user.
    let pings = snapshot
        .entries
        .iter()
        .find(|e| e.name == "ping")
        .expect("pings");
    assert!(pings.num_requests > 5 * 80, "{}", pings.num_requests);
    assert_eq!(pings.min_ms, Some(10.0));
    assert_eq!(pings.max_ms, Some(10.0));
    // One history row per second, and one at the end.
    let history = handle.history();
    assert!((11..=13).contains(&history.len()), "{}", history.len());
    assert_eq!(history.last().map(|r| r.user_count), Some(0));
}

#[tokio::test(start_paused = true)]
async fn stop_runs_on_stop_for_every_started_user() {
    let (handle, run, log) = start(vec![("ping", 1)], behaviour(), config(20, 100.0));
    sleep(Duration::from_secs(1)).await;
    assert_eq!(handle.user_count(), 20);
    handle.stop();
    let snapshot = run.await.expect("run ends");
    let mut stopped = log.stopped_users.lock().expect("test lock").clone();
    stopped.sort_unstable();
    assert_eq!(stopped, (0..20).collect::<Vec<u64>>());
    assert_eq!(snapshot.users.stopped, 20);
    // The handle still answers after the run.
    assert_eq!(handle.user_count(), 0);
    assert_eq!(handle.stats().users.spawned, 20);
}

#[tokio::test(start_paused = true)]
async fn set_target_up_and_down_mid_run() {
    let t0 = Instant::now();
    let (handle, run, log) = start(vec![("ping", 1)], behaviour(), config(4, 4.0));
    at(t0, 2.0).await;
    assert_eq!(handle.user_count(), 4);

    handle.set_target(10, 2.0).expect("valid rate");
    at(t0, 3.1).await; // 2 s ramp at 2/s: users at +0, +0.5, +1.0 (3 so far)
    assert_eq!(handle.user_count(), 7);
    at(t0, 5.0).await;
    assert_eq!(handle.user_count(), 10);
    assert_eq!(handle.target_user_count(), 10);

    handle.set_target(2, 4.0).expect("valid rate");
    at(t0, 5.1).await;
    assert_eq!(handle.user_count(), 9);
    at(t0, 8.0).await;
    assert_eq!(handle.user_count(), 2);
    // The newest were stopped first.
    let mut stopped = log.stopped_users.lock().expect("test lock").clone();
    stopped.sort_unstable();
    assert_eq!(stopped, (2..10).collect::<Vec<u64>>());

    assert!(handle.set_target(5, f64::NAN).is_err());
    assert!(handle.set_target(5, 0.0).is_err());
    handle.stop();
    run.await.expect("run ends");
}

#[tokio::test(start_paused = true)]
async fn a_failed_on_start_is_retried_and_counted() {
    let mut cfg = config(3, 10.0);
    cfg.wait = Wait::constant(Duration::from_secs(1));
    let failing = Behaviour {
        start_failures: 2,
        ..behaviour()
    };
    let (handle, run, log) = start(vec![("ping", 1)], failing, cfg);
    sleep(Duration::from_millis(1_500)).await;
    // Two failures each, retried after one wait; no task before on_start succeeds.
    assert_eq!(handle.stats().users.started, 0);
    assert!(log.tasks.lock().expect("test lock").is_empty());
    sleep(Duration::from_secs(3)).await;
    let snapshot = handle.stats();
    assert_eq!(snapshot.users.start_failures, 6);
    assert_eq!(snapshot.users.started, 3);
    assert_eq!(log.start_attempts.load(Ordering::Relaxed), 9);
    assert!(log.tasks.lock().expect("test lock")["ping"] > 0);
    handle.stop();
    let snapshot = run.await.expect("run ends");
    assert_eq!(
        snapshot.users.starts_cut_short, 0,
        "every onboarding had finished"
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_user_is_counted_isolated_and_not_replaced() {
    let panicking = Behaviour {
        panicking_user: Some(1),
        ..behaviour()
    };
    let (handle, run, log) = start(vec![("ping", 1)], panicking, config(3, 10.0));
    sleep(Duration::from_secs(5)).await;
    assert_eq!(handle.user_count(), 2);
    handle.stop();
    let snapshot = run.await.expect("run ends");
    assert_eq!(snapshot.users.spawned, 3);
    assert_eq!(snapshot.users.panicked, 1);
    let panic = snapshot
        .failures
        .iter()
        .find(|f| f.kind == "user" && f.name == "panic")
        .expect("panic recorded as a failure");
    assert_eq!(panic.error, "fake user exploded");
    assert_eq!(panic.occurrences, 1);
    // The other users went on working and were stopped normally.
    let by_user = log.tasks_by_user.lock().expect("test lock").clone();
    assert!(by_user[&0] > 10 && by_user[&2] > 10, "{by_user:?}");
    let mut stopped = log.stopped_users.lock().expect("test lock").clone();
    stopped.sort_unstable();
    assert_eq!(stopped, vec![0, 2]);
}

#[tokio::test(start_paused = true)]
async fn stop_interrupts_a_hanging_start_and_bounds_a_hanging_stop() {
    let t0 = Instant::now();
    let hanging = Behaviour {
        start_hangs: true,
        stop_hangs: true,
        ..behaviour()
    };
    let mut cfg = config(2, 10.0);
    cfg.stop_timeout = Duration::from_secs(3);
    let (handle, run, _) = start(vec![("ping", 1)], hanging, cfg);
    sleep(Duration::from_secs(1)).await;
    handle.stop();
    let snapshot = run.await.expect("run ends");
    assert_eq!(snapshot.users.on_stop_timeouts, 2);
    assert_eq!(snapshot.users.stopped, 2);
    // Both onboardings were cut short: neither started nor failed, and counted as such.
    assert_eq!(snapshot.users.starts_cut_short, 2);
    assert_eq!(snapshot.users.started + snapshot.users.start_failures, 0);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[tokio::test(start_paused = true)]
async fn failures_of_tasks_are_recorded_with_their_cause() {
    let mut cfg = config(1, 1.0);
    cfg.run_time = Some(Duration::from_secs(3));
    let (_, run, _) = start(vec![("fail", 1), ("ok", 1)], behaviour(), cfg);
    let snapshot = run.await.expect("run ends");
    let fail = snapshot
        .entries
        .iter()
        .find(|e| e.name == "fail")
        .expect("fail entry");
    assert_eq!(fail.num_failures, fail.num_requests);
    assert_eq!(snapshot.failures.len(), 1);
    assert_eq!(snapshot.failures[0].error, "failed on purpose");
    assert_eq!(snapshot.total.num_failures, fail.num_requests);
}

#[tokio::test]
async fn invalid_configs_are_refused() {
    let scenario = || {
        Arc::new(FakeScenario {
            tasks: vec![("ping", 1)],
            behaviour: behaviour(),
            log: Arc::default(),
        })
    };
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            Runner::start(scenario(), config(1, rate)).is_err(),
            "rate {rate}"
        );
    }
    let mut cfg = config(1, 1.0);
    cfg.wait = Wait::between(2.0, 1.0);
    assert!(Runner::start(scenario(), cfg).is_err());
    let no_tasks = Arc::new(FakeScenario {
        tasks: vec![("ping", 0)],
        behaviour: behaviour(),
        log: Arc::default(),
    });
    assert!(Runner::start(no_tasks, config(1, 1.0)).is_err());
}

#[test]
fn starting_outside_a_runtime_is_an_error() {
    let scenario = Arc::new(FakeScenario {
        tasks: vec![("ping", 1)],
        behaviour: behaviour(),
        log: Arc::default(),
    });
    assert!(matches!(
        Runner::start(scenario, config(1, 1.0)),
        Err(crate::EngineError::NoRuntime)
    ));
}

/// Users in the history row taken `seconds` after the start (rows are taken once a second).
fn users_at(history: &[crate::HistoryRow], seconds: usize) -> usize {
    history[seconds].user_count
}

/// Requests per second of one entry in the history row at `seconds`.
fn rate_at(history: &[crate::HistoryRow], seconds: usize, kind: &str, name: &str) -> f64 {
    history[seconds]
        .entries
        .iter()
        .find(|e| e.kind == kind && e.name == name)
        .map_or(0.0, |e| e.current_requests_per_s)
}

#[tokio::test(start_paused = true)]
async fn step_shape_adds_users_every_step_up_to_the_maximum() {
    let mut cfg = config(25, 100.0);
    cfg.shape = crate::LoadShape::Steps {
        users: 10,
        every: Duration::from_secs(10),
    };
    cfg.run_time = Some(Duration::from_secs(40));
    let (handle, run, _) = start(vec![("ping", 1)], behaviour(), cfg);
    run.await.expect("run ends");
    let history = handle.history();
    for (second, want) in [(5, 10), (9, 10), (15, 20), (19, 20), (25, 25), (39, 25)] {
        assert_eq!(users_at(&history, second), want, "at {second} s");
    }
    assert_eq!(handle.target_user_count(), 25);
}

#[tokio::test(start_paused = true)]
async fn stages_ramp_linearly_and_end_the_run() {
    let t0 = Instant::now();
    let mut cfg = config(1, 1.0);
    cfg.shape = crate::LoadShape::Stages(vec![
        crate::Stage {
            duration: Duration::from_secs(10),
            users: 10,
        },
        crate::Stage {
            duration: Duration::from_secs(10),
            users: 10,
        },
        crate::Stage {
            duration: Duration::from_secs(10),
            users: 0,
        },
    ]);
    let (handle, run, _) = start(vec![("ping", 1)], behaviour(), cfg);
    let snapshot = run.await.expect("the stages end the run");
    let elapsed = t0.elapsed();
    assert!(
        elapsed >= Duration::from_secs(30) && elapsed < Duration::from_secs(31),
        "{elapsed:?}"
    );
    let history = handle.history();
    // Up at 1 user/s (user k at k s), flat, down at 1 user/s (one stopped at 20 + k s).
    for (second, want) in [(2, 3), (5, 6), (8, 9), (12, 10), (18, 10), (23, 7), (27, 3)] {
        let got = users_at(&history, second);
        assert!(
            got.abs_diff(want) <= 1,
            "at {second} s: {got} users, want ~{want}"
        );
    }
    assert_eq!(history.last().map(|r| r.user_count), Some(0));
    assert_eq!(snapshot.users.spawned, 10);
}

#[tokio::test(start_paused = true)]
async fn active_share_keeps_that_share_of_users_busy() {
    let mut cfg = config(20, 100.0);
    cfg.wait = Wait::constant(Duration::from_secs(1));
    cfg.active_share = 0.5;
    cfg.run_time = Some(Duration::from_secs(60));
    let fast = Behaviour {
        task_time: Duration::ZERO,
        ..behaviour()
    };
    let (handle, run, _) = start(vec![("ping", 1)], fast, cfg);
    run.await.expect("run ends");
    let history = handle.history();
    // 20 users, each busy half its seconds, one task and a 1 s wait per busy second: ~10/s.
    let rates: Vec<f64> = (20..60)
        .map(|s| rate_at(&history, s, "fake", "ping"))
        .collect();
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    assert!((8.0..=12.0).contains(&mean), "mean {mean}/s: {rates:?}");
    assert!(handle.set_target(1, 1.0).is_ok());
}

#[tokio::test(start_paused = true)]
async fn open_model_starts_iterations_at_the_arrival_rate() {
    let mut cfg = config(10, 100.0);
    cfg.arrival_rate = Some(20.0);
    cfg.run_time = Some(Duration::from_secs(30));
    let service = Behaviour {
        task_time: Duration::from_millis(100),
        ..behaviour()
    };
    let (handle, run, _) = start(vec![("ping", 1)], service, cfg);
    let snapshot = run.await.expect("run ends");
    let history = handle.history();
    for second in [12, 20, 29] {
        let rate = rate_at(&history, second, crate::ITERATION_KIND, "ping");
        assert!((19.0..=21.0).contains(&rate), "at {second} s: {rate}/s");
    }
    let iterations = find(&snapshot, crate::ITERATION_KIND, "ping");
    assert!(
        iterations.num_requests.abs_diff(600) <= 2,
        "{}",
        iterations.num_requests
    );
    // Capacity (100/s) is well above the rate: no queueing, iteration = service time.
    assert_eq!(iterations.percentile_ms(0.99), Some(100));
    assert_eq!(find(&snapshot, crate::QUEUE_KIND, "ping").max_ms, Some(0.0));
    // The open model's bookkeeping rows are not in the aggregate.
    assert_eq!(
        snapshot.total.num_requests,
        find(&snapshot, "fake", "ping").num_requests
    );
    assert_eq!(snapshot.counters.get(crate::MISSED_ITERATIONS), Some(&0));
}

fn find<'a>(snapshot: &'a StatsSnapshot, kind: &str, name: &str) -> &'a crate::EntryStats {
    snapshot
        .entries
        .iter()
        .find(|e| e.kind == kind && e.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name} entry"))
}

/// The server takes 1 s per request and there are 4 users: it serves 4/s. The closed model
/// slows down to what the server serves and shows 1 s answers; the open model keeps asking
/// for 8/s and shows the waits that real clients arriving at 8/s would have had.
#[tokio::test(start_paused = true)]
async fn a_slow_server_shows_queueing_only_in_the_open_model() {
    let slow = Behaviour {
        task_time: Duration::from_secs(1),
        ..behaviour()
    };
    let shape = |arrival_rate| {
        let mut cfg = config(4, 100.0);
        cfg.wait = Wait::constant(Duration::ZERO);
        cfg.run_time = Some(Duration::from_secs(20));
        cfg.arrival_rate = arrival_rate;
        cfg
    };

    let (_, closed, _) = start(vec![("ping", 1)], slow.clone(), shape(None));
    let closed = closed.await.expect("run ends");
    let served = find(&closed, "fake", "ping");
    assert_eq!(served.percentile_ms(0.99), Some(1_000));
    assert!(served.requests_per_s < 4.5, "{}", served.requests_per_s);

    let (_, open, _) = start(vec![("ping", 1)], slow, shape(Some(8.0)));
    let open = open.await.expect("run ends");
    // The server's answers still take 1 s ...
    assert_eq!(find(&open, "fake", "ping").percentile_ms(0.99), Some(1_000));
    // ... but iterations wait longer and longer: half the arrivals are not served on time.
    let iterations = find(&open, crate::ITERATION_KIND, "ping");
    assert!(
        iterations.percentile_ms(0.95).unwrap_or(0) > 5_000,
        "{:?}",
        iterations.percentiles_ms
    );
    let queue = find(&open, crate::QUEUE_KIND, "ping");
    assert!(queue.median_ms > 2_000, "{}", queue.median_ms);
    // About 80 of the 160 iterations due in 20 s never started.
    let missed = open.counters[crate::MISSED_ITERATIONS];
    assert!((70..=90).contains(&missed), "{missed}");
}

#[test]
fn invalid_shapes_are_refused() {
    let mut cfg = config(1, 1.0);
    cfg.active_share = 0.0;
    assert!(cfg.validate().is_err());
    let mut cfg = config(1, 1.0);
    cfg.arrival_rate = Some(0.0);
    assert!(cfg.validate().is_err());
    let mut cfg = config(1, 1.0);
    cfg.shape = crate::LoadShape::Steps {
        users: 0,
        every: Duration::from_secs(1),
    };
    assert!(cfg.validate().is_err());
    let mut cfg = config(1, 1.0);
    cfg.shape = crate::LoadShape::Stages(Vec::new());
    assert!(cfg.validate().is_err());
}

#[tokio::test(start_paused = true)]
async fn finish_runs_once_after_every_user_stopped() {
    let (handle, run, _) = start(vec![("ping", 1)], behaviour(), config(3, 10.0));
    sleep(Duration::from_secs(2)).await;
    handle.stop();
    let snapshot = run.await.unwrap();
    assert_eq!(snapshot.counters.get("finish_calls"), Some(&1));
    assert_eq!(snapshot.counters.get("stopped_before_finish"), Some(&3));
}

/// Runs one user for 10.5 s (1 s waits, 10 ms tasks) with `while_waiting` taking `watch_time`;
/// returns (tasks run, watches started, watches finished).
async fn watched_run(watch_time: Duration) -> (u64, u64, u64) {
    let mut cfg = config(1, 1.0);
    cfg.wait = Wait::constant(Duration::from_secs(1));
    cfg.run_time = Some(Duration::from_millis(10_500));
    let watching = Behaviour {
        watch_time: Some(watch_time),
        ..behaviour()
    };
    let (_, run, log) = start(vec![("ping", 1)], watching, cfg);
    run.await.expect("run ends");
    let tasks = log.tasks.lock().expect("test lock")["ping"];
    (
        tasks,
        log.watches_started.load(Ordering::Relaxed),
        log.watches_finished.load(Ordering::Relaxed),
    )
}

#[tokio::test(start_paused = true)]
async fn while_waiting_runs_in_every_wait_without_changing_the_pace() {
    // A watch shorter than the wait finishes in each one; the wait still lasts its full second:
    // tasks at 0, 1.01, 2.02, ... 10.1 s, and the last watch (10.11-10.41 s) before the stop.
    let (tasks, started, finished) = watched_run(Duration::from_millis(300)).await;
    assert_eq!(tasks, 11);
    assert_eq!((started, finished), (11, 11), "one watch per wait");
}

#[tokio::test(start_paused = true)]
async fn while_waiting_is_cut_off_when_the_wait_ends() {
    // A watch longer than the wait is dropped at its end (and by the stop at 10.5 s), and does
    // not hold up the next task.
    let (tasks, started, finished) = watched_run(Duration::from_secs(5)).await;
    assert_eq!(tasks, 11);
    assert_eq!(started, 11, "10 full waits and the one the stop cut short");
    assert_eq!(finished, 0);
}

/// A new rate is served at once by the whole pool: users idle on a claim of the old schedule
/// (at 1/s, the 48 idle users of 50 hold claims up to 48 s ahead) are woken to claim in the new
/// one, not left asleep until their void claim's due time. At 20/s of 2 s iterations the new
/// rate needs 40 of them.
#[tokio::test(start_paused = true)]
async fn a_new_rate_wakes_the_users_waiting_on_the_old_schedule() {
    let mut cfg = config(50, 100.0);
    cfg.arrival_rate = Some(1.0);
    cfg.run_time = Some(Duration::from_secs(30));
    let service = Behaviour {
        task_time: Duration::from_secs(2),
        ..behaviour()
    };
    let (handle, run, _) = start(vec![("ping", 1)], service, cfg);
    tokio::time::sleep(Duration::from_secs(10)).await;
    handle.set_arrival_rate(20.0).expect("an open-model run");
    let snapshot = run.await.expect("run ends");
    let history = handle.history();
    // The current rate is over the last 10 s, and the new rate's first iterations end at 12 s:
    // from 24 s on, all of it at the new rate (left asleep, the pool ran 4/s at 22 s).
    for second in [24, 27, 29] {
        let rate = rate_at(&history, second, crate::ITERATION_KIND, "ping");
        assert!((19.0..=21.0).contains(&rate), "at {second} s: {rate}/s");
    }
    // Every iteration due was started: none waited on a user asleep on a void claim.
    let queue = find(&snapshot, crate::QUEUE_KIND, "ping");
    assert!(queue.max_ms.unwrap_or(0.0) < 100.0, "{:?}", queue.max_ms);
    assert_eq!(snapshot.counters.get(crate::MISSED_ITERATIONS), Some(&0));
}
