//! The open model's schedule: iteration k of the run is due at `start + k / rate`, whoever runs
//! it. Idle users claim the next iteration (in order) and start it when it is due, or at once
//! when it is already late: the lateness is the queueing delay a real client arriving at that
//! moment would have had, and it is measured instead of being skipped (no coordinated omission).
//!
//! The schedule starts when the first user has onboarded, so a slow onboarding is not counted as
//! queueing of the task iterations. A new rate (`RunHandle::set_arrival_rate`) starts a new
//! schedule at that moment: iterations of the old one that were due but not yet claimed are
//! counted as missed, not carried into the new rate (a capacity search judges each plateau on
//! its own arrivals, not on the backlog of the previous one).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

pub struct Arrivals {
    schedule: Mutex<Schedule>,
    started: AtomicU64,
}

struct Schedule {
    rate: f64,
    start: Option<Instant>,
    /// Iterations claimed in this schedule.
    next: u64,
    /// Iterations claimed in earlier schedules.
    claimed_before: u64,
    /// Iterations of earlier schedules that were due and never claimed.
    dropped: u64,
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
                claimed_before: 0,
                dropped: 0,
            }),
            started: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Schedule> {
        // Only arithmetic runs under this lock.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims the next iteration; returns when it is due.
    pub fn claim(&self) -> Instant {
        let mut schedule = self.lock();
        let start = *schedule.start.get_or_insert_with(Instant::now);
        let k = schedule.next;
        schedule.next += 1;
        start + Duration::from_secs_f64(k as f64 / schedule.rate)
    }

    /// Starts a new schedule of `rate` per second now (validated finite and above 0).
    pub fn set_rate(&self, rate: f64) {
        let now = Instant::now();
        let mut schedule = self.lock();
        if schedule.start.is_some() {
            let unclaimed = schedule.due_by(now).saturating_sub(schedule.next);
            schedule.dropped += unclaimed;
            schedule.claimed_before += schedule.next;
            schedule.next = 0;
            schedule.start = Some(now);
        }
        schedule.rate = rate;
    }

    /// Notes that a claimed iteration was started.
    pub fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    /// Iterations that were due by `now` but never started (all users busy until the end).
    pub fn missed(&self, now: Instant) -> u64 {
        let schedule = self.lock();
        let due = schedule.claimed_before + schedule.due_by(now);
        schedule.dropped + due.saturating_sub(self.started.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_new_rate_starts_a_new_schedule() {
        let arrivals = Arrivals::new(10.0);
        let start = arrivals.claim();
        assert_eq!(arrivals.claim() - start, Duration::from_millis(100));
        // One second later nobody claimed more: 8 due iterations were not even claimed.
        tokio::time::advance(Duration::from_secs(1)).await;
        arrivals.set_rate(100.0);
        let fresh = arrivals.claim();
        assert_eq!(fresh, Instant::now());
        assert_eq!(arrivals.claim() - fresh, Duration::from_millis(10));
        // Dropped 8, plus the 2 claimed before that never started.
        assert_eq!(arrivals.missed(Instant::now()), 8 + 2);
    }
}
