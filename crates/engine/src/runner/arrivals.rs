//! The open model's schedule: iteration k of the run is due at `start + k / rate`, whoever runs
//! it. Idle users claim the next iteration (in order) and start it when it is due, or at once
//! when it is already late: the lateness is the queueing delay a real client arriving at that
//! moment would have had, and it is measured instead of being skipped (no coordinated omission).
//!
//! The schedule starts when the first user has onboarded, so a slow onboarding is not counted as
//! queueing of the task iterations. A new rate (`RunHandle::set_arrival_rate`) starts a new
//! schedule at that moment: the old one's iterations that were due and not started are counted
//! as missed, and its claims not yet started are void (a user holding one claims again), so the
//! new rate is not topped up by the old one's backlog or its claims made ahead (a capacity search
//! judges each plateau on its own arrivals). The users waiting on a void claim are woken at once
//! to claim again: at a low rate an idle pool holds claims far ahead (100 users at 2/s, 50 s), and
//! left asleep until those came due they would starve the new rate of users.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio::time::Instant;

pub struct Arrivals {
    schedule: Mutex<Schedule>,
    started: AtomicU64,
    /// Wakes the users waiting on a claim when a new rate voids it.
    new_schedule: Notify,
}

struct Schedule {
    rate: f64,
    start: Option<Instant>,
    /// Iterations claimed in this schedule.
    next: u64,
    /// Which schedule this is (claims of earlier ones are void).
    epoch: u64,
    /// Iterations of earlier schedules that were due by the time they ended.
    due_before: u64,
}

/// One claimed iteration: when it is due, and of which schedule.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub due: Instant,
    epoch: u64,
}

impl Schedule {
    /// Iterations of this schedule due by `now`.
    fn due_by(&self, now: Instant) -> u64 {
        let Some(start) = self.start else {
            return 0;
        };
        // Iteration k is due before `now` when k / rate < elapsed.
        (now.saturating_duration_since(start).as_secs_f64() * self.rate).ceil() as u64
    }
}

impl Arrivals {
    /// `rate` iterations per second; validated finite and above 0.
    pub fn new(rate: f64) -> Self {
        Arrivals {
            schedule: Mutex::new(Schedule {
                rate,
                start: None,
                next: 0,
                epoch: 0,
                due_before: 0,
            }),
            started: AtomicU64::new(0),
            new_schedule: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Schedule> {
        // Only arithmetic runs under this lock.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves when a new rate starts a new schedule. Take it before [`Arrivals::claim`]: it
    /// counts from when it is taken, so a rate set between the two is not missed.
    pub fn new_schedule(&self) -> Notified<'_> {
        self.new_schedule.notified()
    }

    /// Claims the next iteration.
    pub fn claim(&self) -> Claim {
        let mut schedule = self.lock();
        let start = *schedule.start.get_or_insert_with(Instant::now);
        let k = schedule.next;
        schedule.next += 1;
        Claim {
            due: start + Duration::from_secs_f64(k as f64 / schedule.rate),
            epoch: schedule.epoch,
        }
    }

    /// Whether a claim still stands (no new rate since it was made).
    pub fn stands(&self, claim: &Claim) -> bool {
        self.lock().epoch == claim.epoch
    }

    /// Starts a new schedule of `rate` per second now (validated finite and above 0).
    pub fn set_rate(&self, rate: f64) {
        let now = Instant::now();
        let mut schedule = self.lock();
        if schedule.start.is_some() {
            schedule.due_before += schedule.due_by(now);
            schedule.next = 0;
            schedule.start = Some(now);
            schedule.epoch += 1;
        }
        schedule.rate = rate;
        drop(schedule);
        self.new_schedule.notify_waiters();
    }

    /// Notes that a claimed iteration was started.
    pub fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    /// Iterations that were due by `now` but never started (all users busy until the end).
    pub fn missed(&self, now: Instant) -> u64 {
        let schedule = self.lock();
        let due = schedule.due_before + schedule.due_by(now);
        due.saturating_sub(self.started.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_new_rate_starts_a_new_schedule() {
        let arrivals = Arrivals::new(10.0);
        let first = arrivals.claim();
        arrivals.started();
        let ahead = arrivals.claim();
        assert_eq!(ahead.due - first.due, Duration::from_millis(100));
        // One second later nobody started more: 9 of the 10 due iterations were missed.
        tokio::time::advance(Duration::from_secs(1)).await;
        arrivals.set_rate(100.0);
        assert!(arrivals.stands(&arrivals.claim()));
        assert!(!arrivals.stands(&ahead), "a claim of the old rate is void");
        let fresh = arrivals.claim();
        assert_eq!(fresh.due - Instant::now(), Duration::from_millis(10));
        assert_eq!(arrivals.missed(Instant::now()), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_rate_wakes_whoever_waits_on_a_claim() {
        let arrivals = Arrivals::new(1.0);
        let _first = arrivals.claim();
        let changed = arrivals.new_schedule();
        let far = arrivals.claim();
        assert_eq!(far.due - Instant::now(), Duration::from_secs(1));
        arrivals.set_rate(10.0);
        // Already notified, though taken before the change and never polled until now.
        tokio::time::timeout(Duration::from_millis(1), changed)
            .await
            .expect("woken by the new rate");
        assert!(!arrivals.stands(&far));
    }
}
