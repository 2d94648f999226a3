//! How a run is shaped: users, spawn rate, run time, waits, timeouts.

use std::time::Duration;

use crate::error::EngineError;

/// The wait between two tasks of one user: uniform in `min..=max`, like Locust's `between()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait {
    pub min: Duration,
    pub max: Duration,
}

impl Wait {
    /// Uniform between `min_seconds` and `max_seconds` (negative or non-finite values count as 0).
    pub fn between(min_seconds: f64, max_seconds: f64) -> Self {
        Wait {
            min: seconds(min_seconds),
            max: seconds(max_seconds),
        }
    }

    /// Always the same wait.
    pub fn constant(wait: Duration) -> Self {
        Wait {
            min: wait,
            max: wait,
        }
    }

    /// One wait drawn from the range.
    pub(crate) fn sample(&self, rng: &mut impl rand::Rng) -> Duration {
        if self.max <= self.min {
            return self.min;
        }
        let span = (self.max - self.min).as_secs_f64();
        self.min + Duration::from_secs_f64(rng.gen_range(0.0..=span))
    }
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::ZERO)
}

/// A run's shape. `RunConfig::default()` is one user, one per second, no run time, no wait.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Users to reach (Locust's `-u`).
    pub users: usize,
    /// Users started (or stopped) per second (Locust's `-r`); fractions such as 0.4 are allowed.
    pub spawn_rate: f64,
    /// The run ends this long after it starts; None runs until `RunHandle::stop`.
    pub run_time: Option<Duration>,
    /// Wait between tasks, and before retrying a failed `on_start`.
    pub wait: Wait,
    /// How long a stopping user's `on_stop` may take before the user is dropped.
    pub stop_timeout: Duration,
    /// How often a history row is taken (Locust writes one per second to its history CSV).
    pub history_interval: Duration,
    /// Seed of the users' random waits and task choices; None draws one from the OS. A fixed
    /// seed makes the sequence of choices repeatable (timing still varies with the servers).
    pub seed: Option<u64>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            users: 1,
            spawn_rate: 1.0,
            run_time: None,
            wait: Wait::constant(Duration::ZERO),
            stop_timeout: Duration::from_secs(5),
            history_interval: Duration::from_secs(1),
            seed: None,
        }
    }
}

impl RunConfig {
    /// Checks what the engine cannot run with.
    pub fn validate(&self) -> Result<(), EngineError> {
        validate_spawn_rate(self.spawn_rate)?;
        if self.wait.min > self.wait.max {
            return Err(EngineError::InvalidWait {
                min: self.wait.min,
                max: self.wait.max,
            });
        }
        if self.history_interval.is_zero() {
            return Err(EngineError::InvalidHistoryInterval);
        }
        Ok(())
    }
}

pub(crate) fn validate_spawn_rate(rate: f64) -> Result<(), EngineError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(EngineError::InvalidSpawnRate(rate))
    }
}
