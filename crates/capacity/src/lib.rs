//! `akrida capacity`: how much load the servers hold within an SLO, and what gives out first.
//!
//! - `setup.rs`: the options checked into the search's [`Setup`], before any load;
//! - `search.rs`: the search, pure (plateau loads, bisection, verdicts, the answer);
//! - `drive.rs`: runs the plateaus on one engine run and measures each on its own samples
//!   (`window.rs`: one judged window's figures; `starve.rs`: a test-only starved generator);
//! - `inflight.rs`: counts the scenario's task iterations in flight (the drain watches them);
//! - `drain.rs`: when the servers count as drained between plateaus (pure);
//! - `steady.rs`: whether a plateau ran at the load asked, and what that does to its verdict;
//! - `measured.rs`: what the plateaus measured (`drive.rs` writes it, the reports read it);
//! - `words.rs`: figures in words, shared by the reports (loads, measurements, table cells);
//! - `report.rs`: the plateau table, the answer, JSON and CSV;
//! - `html.rs`: the self-contained HTML report (`--html`) with the knee chart, and each frame of
//!   the live page (`--web`): one template;
//! - `live.rs`: the search so far, for the live view, and the stop it (or Ctrl-C) may ask for.
//!
//! None of them imports the one that uses it. Must not: parse the command line, build a
//! scenario from settings, or print anything but the search's progress and reports (the binary
//! turns the answer into an exit code with [`met`]).

mod beside;
mod current;
mod drain;
mod drive;
mod html;
mod inflight;
mod live;
mod measured;
mod report;
pub mod search;
mod setup;
mod starve;
mod steady;
mod window;
mod words;

pub use beside::Beside;
pub use drive::drive;
pub use inflight::SharedScenario;
pub use live::{LiveSearch, Progress};
pub use measured::Driven;
pub use report::{write as write_reports, Reports};
pub use setup::{setup, Options, SearchKind, Setup};

/// Whether the search's answer is a success: a capacity was found, at least the one expected,
/// and the servers drained whenever they had to.
pub fn met(setup: &Setup, driven: &Driven) -> bool {
    if driven.never_drained.is_some() {
        return false;
    }
    match (driven.search.outcome().capacity, setup.expect) {
        (None, _) => false,
        (Some(found), Some(expected)) => found >= expected,
        (Some(_), None) => true,
    }
}
