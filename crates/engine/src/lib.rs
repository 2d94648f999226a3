//! The load engine of akrida: Locust-shaped users, spawn rate, run time, and the one stats model.
//!
//! A [`Scenario`] makes [`User`]s; the [`Runner`] spawns them at a rate, runs their weighted tasks
//! with waits in between, and stops them at the end. Users record their own samples through their
//! [`UserContext`]; [`stats`] turns samples into snapshots, Locust worker intervals and history
//! rows, and [`report`] writes those as Locust's CSV files, JSON and a terminal table.
//!
//! This crate must not know what a task speaks (DIDComm, HTTP, ...), and it installs no signal
//! handlers: the binary maps Ctrl-C to [`RunHandle::stop`].

pub mod baseline;
pub mod load_shape;
pub mod process;
pub mod stats;
pub mod thresholds;
pub mod trace;

mod config;
mod error;
pub mod report;
mod runner;
#[cfg(any(test, feature = "test-util"))]
pub mod stub;
mod user;

pub use config::{LoadShape, RunConfig, Stage, Wait};
pub use error::EngineError;
pub use runner::{RunHandle, Runner};
pub use stats::{
    EntryStats, FailureStats, HistoryEntry, HistoryRow, IntervalEntry, IntervalError,
    IntervalStats, Stats, StatsSnapshot, UserLifecycle, ITERATION_KIND, MISSED_ITERATIONS,
    QUEUE_KIND,
};
pub use user::{BoxFuture, Phases, Scenario, User, UserContext};
