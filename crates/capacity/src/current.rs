//! The plateau running now and its stage: what the driver reports as it goes, and the pages
//! (live and final) show.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::search::Phase;

/// What the current plateau is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting at the probe load for the servers to drain, before the plateau.
    Draining,
    /// The plateau's load is set; its samples are not judged yet.
    WarmUp,
    /// The window the plateau is judged on.
    Judged,
}

impl Stage {
    pub fn words(self) -> &'static str {
        match self {
            Stage::Draining => "draining before it",
            Stage::WarmUp => "warm-up",
            Stage::Judged => "judged window",
        }
    }
}

/// The plateau running now.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub number: usize,
    pub load: f64,
    pub phase: Phase,
    pub stage: Stage,
    /// When the stage began, and how long it lasts at most.
    pub since: Instant,
    pub length: Duration,
}
