//! `akrida capacity`: how much load the servers hold within an SLO, and what gives out first.
//!
//! - `flags.rs`: the flags checked into the search's `Setup`, before any load;
//! - `search.rs`: the search, pure (plateau loads, bisection, verdicts, the answer);
//! - `drive.rs`: runs the plateaus on one engine run and measures each on its own samples;
//! - `inflight.rs`: counts the scenario's task iterations in flight (the drain watches them);
//! - `drain.rs`: when the servers count as drained between plateaus (pure);
//! - `steady.rs`: whether a plateau ran at the load asked, and what that does to its verdict;
//! - `measured.rs`: what the plateaus measured (`drive.rs` writes it, the reports read it);
//! - `words.rs`: figures in words, shared by the reports (loads, measurements, table cells);
//! - `report.rs`: the plateau table, the answer, JSON and CSV;
//! - `html.rs`: the self-contained HTML report (`--html`) with the knee chart.
//!
//! Exit codes: 0 a capacity was found (at least `--expect`); 2 a setup problem (bad flag or SLO,
//! unreachable server, report not written); 3 no capacity: even the first plateau broke the
//! SLOs (or akrida itself was saturated there), or the capacity is below `--expect`, or the
//! servers did not drain within `--drain-timeout` (the search stopped there).

mod drain;
mod drive;
mod flags;
mod html;
mod inflight;
mod measured;
mod report;
pub mod search;
mod steady;
mod words;

use std::process::ExitCode;

use crate::cli::CapacityArgs;
use crate::exit;

pub fn capacity(args: CapacityArgs) -> ExitCode {
    if args.run.web.is_some() {
        // Said, not refused: AKRIDA_WEB may be set for the runs of the same shell.
        eprintln!(
            "akrida capacity: --web is for akrida run; watch the plateaus here and in --html"
        );
    }
    let setup = match flags::setup(&args) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("akrida capacity: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("akrida capacity: cannot start the async runtime: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let driven = match runtime.block_on(drive::drive(&args, &setup)) {
        Ok(driven) => driven,
        Err(e) => {
            eprintln!("akrida capacity: {e}");
            return ExitCode::from(exit::BAD_SETUP);
        }
    };
    let outcome = driven.search.outcome();
    if !report::write(&args, &setup, &driven) {
        return ExitCode::from(exit::BAD_SETUP);
    }
    if driven.never_drained.is_some() {
        return ExitCode::from(exit::THRESHOLD_FAILED);
    }
    match (outcome.capacity, args.expect) {
        (None, _) => ExitCode::from(exit::THRESHOLD_FAILED),
        (Some(found), Some(expected)) if found < expected => ExitCode::from(exit::THRESHOLD_FAILED),
        _ => ExitCode::SUCCESS,
    }
}
