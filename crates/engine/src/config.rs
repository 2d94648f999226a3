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
    /// How the number of users changes over the run; [`LoadShape::Constant`] is `users` at
    /// `spawn_rate`, as Locust without a shape.
    pub shape: LoadShape,
    /// Share (0..=1] of users that run tasks in any one second; the others sit that second out.
    /// 1.0 (the default) keeps every user busy; the ACA-Py multi-demo test uses 0.5.
    pub active_share: f64,
    /// The open model: start this many task iterations per second, whatever the servers' speed,
    /// handed to idle users. `users` is then the pool of onboarded users that run them, and the
    /// wait between tasks is not used. Each iteration is also recorded as an
    /// [`ITERATION_KIND`](crate::ITERATION_KIND) sample timed from when it was *due*, so queueing
    /// behind busy users is measured (no coordinated omission). None is the closed model.
    pub arrival_rate: Option<f64>,
}

/// How many users a run wants over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LoadShape {
    /// `RunConfig::users` at `RunConfig::spawn_rate`, changed only by `RunHandle::set_target`.
    #[default]
    Constant,
    /// Add `users` more every `every`, up to `RunConfig::users` (each step at `spawn_rate`).
    Steps { users: usize, every: Duration },
    /// Go linearly from the previous stage's users (0 at first) to each stage's users over its
    /// duration; the run ends after the last stage unless `run_time` ends it earlier.
    Stages(Vec<Stage>),
}

/// One stage of [`LoadShape::Stages`]: reach `users` by the end of `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub duration: Duration,
    pub users: usize,
}

impl LoadShape {
    /// Changes of target over the run: (offset from the start, users, spawn rate). Empty for
    /// the constant shape.
    pub(crate) fn schedule(
        &self,
        max_users: usize,
        spawn_rate: f64,
    ) -> Vec<(Duration, usize, f64)> {
        match self {
            LoadShape::Constant => Vec::new(),
            LoadShape::Steps { users, every } => {
                let step = (*users).max(1);
                let mut changes = Vec::new();
                let mut target = 0;
                let mut at = Duration::ZERO;
                while target < max_users {
                    target = (target + step).min(max_users);
                    changes.push((at, target, spawn_rate));
                    at += *every;
                }
                changes
            }
            LoadShape::Stages(stages) => {
                let mut changes = Vec::new();
                let mut previous = 0usize;
                let mut at = Duration::ZERO;
                for stage in stages {
                    let delta = stage.users.abs_diff(previous);
                    if delta > 0 {
                        // User k of the stage starts at k / rate: the last one just before its end.
                        let seconds = stage.duration.as_secs_f64();
                        let rate = if seconds > 0.0 {
                            delta as f64 / seconds
                        } else {
                            f64::MAX
                        };
                        changes.push((at, stage.users, rate));
                    }
                    previous = stage.users;
                    at += stage.duration;
                }
                changes
            }
        }
    }

    /// How long the shape lasts, when it ends by itself (stages).
    pub fn duration(&self) -> Option<Duration> {
        match self {
            LoadShape::Stages(stages) => Some(stages.iter().map(|s| s.duration).sum()),
            _ => None,
        }
    }
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
            shape: LoadShape::Constant,
            active_share: 1.0,
            arrival_rate: None,
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
        if !(self.active_share > 0.0 && self.active_share <= 1.0) {
            return Err(EngineError::InvalidActiveShare(self.active_share));
        }
        if let Some(rate) = self.arrival_rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(EngineError::InvalidArrivalRate(rate));
            }
        }
        match &self.shape {
            LoadShape::Constant => {}
            LoadShape::Steps { users, every } => {
                if *users == 0 || every.is_zero() {
                    return Err(EngineError::InvalidShape(
                        "a step must add at least 1 user and last more than 0 s".into(),
                    ));
                }
            }
            LoadShape::Stages(stages) => {
                if stages.is_empty() {
                    return Err(EngineError::InvalidShape("no stages".into()));
                }
            }
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
