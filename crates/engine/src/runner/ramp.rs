//! When the next user is started or stopped: `rate` changes per second from the moment the target
//! was set, the first at once (user k of a ramp at k ÷ rate seconds), as Locust spawns.

use std::time::Duration;

use tokio::time::Instant;

pub struct Ramp {
    started: Instant,
    changes: u64,
    rate: f64,
}

impl Ramp {
    /// A ramp from `now` at `rate` users per second; the rate was validated to be finite and > 0.
    pub fn new(now: Instant, rate: f64) -> Self {
        Ramp {
            started: now,
            changes: 0,
            rate,
        }
    }

    /// When the next change is due.
    pub fn next_due(&self) -> Instant {
        self.started + Duration::from_secs_f64(self.changes as f64 / self.rate)
    }

    /// Notes that one change was made.
    pub fn advance(&mut self) {
        self.changes += 1;
    }
}
