//! Errors the engine reports to its caller: all of them are a run that cannot start as configured,
//! or a report that cannot be written.

use std::path::PathBuf;

/// Why the engine refused a run or could not write a report.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("spawn rate must be a finite number of users per second above 0, got {0}")]
    InvalidSpawnRate(f64),
    #[error("wait time: minimum {min:?} is above maximum {max:?}")]
    InvalidWait {
        min: std::time::Duration,
        max: std::time::Duration,
    },
    #[error("active share must be above 0 and at most 1, got {0}")]
    InvalidActiveShare(f64),
    #[error("arrival rate must be a finite number of iterations per second above 0, got {0}")]
    InvalidArrivalRate(f64),
    #[error("the arrival rate can only be changed in an open-model run (one started with an arrival rate)")]
    NotOpenModel,
    #[error("load shape: {0}")]
    InvalidShape(String),
    #[error("history interval must be above zero")]
    InvalidHistoryInterval,
    #[error("scenario {scenario:?} has no task with a weight above 0")]
    NoTasks { scenario: String },
    #[error("Runner::start must be called from inside a tokio runtime")]
    NoRuntime,
    #[error("stats JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
