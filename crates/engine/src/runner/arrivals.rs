//! The open model's schedule: iteration k of the run is due at `start + k / rate`, whoever runs
//! it. Idle users claim the next iteration (in order) and start it when it is due, or at once
//! when it is already late: the lateness is the queueing delay a real client arriving at that
//! moment would have had, and it is measured instead of being skipped (no coordinated omission).
//!
//! The schedule starts when the first user has onboarded, so a slow onboarding is not counted as
//! queueing of the task iterations.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

pub struct Arrivals {
    rate: f64,
    start: OnceLock<Instant>,
    next: AtomicU64,
    started: AtomicU64,
}

impl Arrivals {
    /// `rate` iterations per second; validated finite and above 0.
    pub fn new(rate: f64) -> Self {
        Arrivals {
            rate,
            start: OnceLock::new(),
            next: AtomicU64::new(0),
            started: AtomicU64::new(0),
        }
    }

    /// Claims the next iteration; returns when it is due.
    pub fn claim(&self) -> Instant {
        let start = *self.start.get_or_init(Instant::now);
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        start + Duration::from_secs_f64(k as f64 / self.rate)
    }

    /// Notes that a claimed iteration was started.
    pub fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    /// Iterations that were due by `now` but never started (all users busy until the end).
    pub fn missed(&self, now: Instant) -> u64 {
        let Some(start) = self.start.get() else {
            return 0;
        };
        // Iteration k is due before `now` when k / rate < elapsed.
        let due = (now.saturating_duration_since(*start).as_secs_f64() * self.rate).ceil() as u64;
        due.saturating_sub(self.started.load(Ordering::Relaxed))
    }
}
