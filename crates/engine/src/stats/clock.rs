//! Wall-clock time for stats, derived from tokio's monotonic clock.
//!
//! Samples are keyed by unix second (Locust's `num_reqs_per_sec`) and stamped with unix times
//! (first/last sample, failures' first/last seen). Reading `SystemTime` for each of them would let a
//! clock step (NTP) reorder samples, and would make tests with tokio's paused clock depend on the
//! real time. So the wall clock is read once, at start, and advanced with `tokio::time::Instant`,
//! which is the real monotonic clock in production and the paused, auto-advancing one in tests.

use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Maps the monotonic clock to unix time, anchored once.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    start_unix: f64,
}

impl Clock {
    /// Anchors the clock at the current wall-clock time.
    pub fn now() -> Self {
        // A system clock before 1970 is a broken machine; 0 still gives consistent relative times.
        let start_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Self::starting_at(start_unix)
    }

    /// Anchors the clock at a given unix time; tests use whole seconds to get exact per-second counts.
    pub fn starting_at(start_unix: f64) -> Self {
        Clock {
            start: Instant::now(),
            start_unix,
        }
    }

    /// Unix time (seconds) at which the clock was anchored.
    pub fn start_unix(&self) -> f64 {
        self.start_unix
    }

    /// Time since the clock's start (the run's start): the time base of delivery accounting.
    pub fn elapsed(&self) -> std::time::Duration {
        self.start.elapsed()
    }

    /// Current unix time in seconds.
    pub fn unix_now(&self) -> f64 {
        self.start_unix + self.start.elapsed().as_secs_f64()
    }
}
