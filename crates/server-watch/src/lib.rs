//! Server resources over a load run, so that a run answers "what did it cost the server" and a
//! soak "does it leak":
//!
//! - [`Target::parse`]: `NAME=PID` (a local process) or `NAME=URL` (a Prometheus endpoint),
//!   judged before any load;
//! - [`ServerWatch::start`]: samples each PID's process tree (the process and every live
//!   descendant, walked afresh each sample) from `/proc` each second on a thread of its own, and
//!   scrapes each URL every few seconds on the async runtime with a timeout; a process that
//!   exits or an endpoint that fails is warned about once and the others go on;
//! - [`summarize`]: per server, CPU per request of each sample name, RSS per connected holder,
//!   and the memory slope over the run's steady part (a least-squares line, [`fit_line`], with
//!   its R²);
//! - [`report`]: the figures as the engine's report inputs (an HTML section, a text block).
//! - [`window_cost`]: the same figures for each window of a run (a capacity search's plateaus).
//!
//! This crate must not know how the load is made or what a request speaks: it is given the run's
//! facts (requests per sample name, users over time) as plain numbers. Sampling never blocks the
//! caller's tasks: `/proc` is read on its own thread, scrapes are bounded by a timeout.

mod analysis;
mod proc_tree;
mod prometheus;
pub mod report;
mod target;
mod watch;
pub mod window_cost;

pub use analysis::{
    fit_line, summarize, CpuPerRequest, LineFit, MemorySlope, RunFacts, ServerSummary,
};
pub use proc_tree::{read_tree, TreeReading};
pub use prometheus::{parse_exposition, Exposition};
pub use target::{Source, Target};
pub use watch::{ServerSample, ServerSeries, ServerWatch, Warn, WatchOptions, CPU, RSS};
