//! Faults on a timeline: shell commands run at set points of a load run, e.g.
//! `--at 60s 'kubectl delete pod mediator-2'`, so that a user injects their own faults (instance
//! deaths, restarts, network cuts) and the report shows when each happened and how it went.
//!
//! - [`TimedEvent::parse`] and [`check_command`] judge the input before any load is sent;
//! - [`Timeline::start`] runs each command through `sh -c` at its time, in its own process
//!   group, capturing the last [`TAIL_BYTES`] of its stdout and stderr, its exit status and
//!   duration ([`EventRecord`]);
//! - [`Timeline::finish`] at the run's end: events not yet due are reported as not run; a command
//!   still running gets a short grace, then its process group is stopped (SIGTERM, then SIGKILL)
//!   and it is reported as stopped at the end;
//! - [`report`]: the records as the engine's report inputs (marks on every chart, a section, a
//!   text block).
//!
//! This crate must not know about load, stats or reports: it runs commands at times and tells
//! what happened. It never blocks its caller: each command runs in a task of its own and is only
//! awaited by [`Timeline::finish`].

mod check;
mod event;
pub mod report;
mod runner;
mod tail;

pub use check::check_command;
pub use event::{parse_at, TimedEvent};
pub use runner::{unix_now, EventRecord, EventState, Timeline, END_GRACE, TAIL_BYTES};
