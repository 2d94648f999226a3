//! `akrida capacity`: how much load the servers hold within an SLO, and what gives out first.
//!
//! - `search.rs`: the search, pure (plateau loads, bisection, verdicts, the answer);
//! - `drive.rs`: runs the plateaus on one engine run and measures each on its own samples;
//! - `report.rs`: the plateau table, the answer, JSON and CSV;
//! - `html.rs`: the self-contained HTML report (`--html`) with the knee chart.
//!
//! Exit codes: 0 a capacity was found (at least `--expect`); 2 a setup problem (bad flag or SLO,
//! unreachable server, report not written); 3 no capacity: even the first plateau broke the
//! SLOs (or akrida itself was saturated there), or the capacity is below `--expect`.

mod drive;
mod html;
mod report;
pub mod search;

use std::process::ExitCode;
use std::time::Duration;

use engine::thresholds::{self, Threshold};

use crate::cli::{CapacityArgs, SearchKind};
use crate::exit;
use search::{Growth, Plan, Precision};

/// What the search runs with, checked before any load is sent.
pub struct Setup {
    pub kind: SearchKind,
    pub plan: Plan,
    pub slos: Vec<Threshold>,
    pub plateau: Duration,
    pub warmup: Duration,
    /// Timer lag (ms) from which a second counts as saturated.
    pub max_lag_ms: f64,
}

impl Setup {
    /// The load's unit in reports.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            SearchKind::Users => "users",
            SearchKind::Rate => "iterations/s",
        }
    }
}

pub fn capacity(args: CapacityArgs) -> ExitCode {
    let setup = match setup(&args) {
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
    match (outcome.capacity, args.expect) {
        (None, _) => ExitCode::from(exit::THRESHOLD_FAILED),
        (Some(found), Some(expected)) if found < expected => ExitCode::from(exit::THRESHOLD_FAILED),
        _ => ExitCode::SUCCESS,
    }
}

/// Checks the flags; the error is one sentence.
fn setup(args: &CapacityArgs) -> Result<Setup, String> {
    let mut slos = args.run.thresholds.clone();
    for text in &args.slos {
        slos.push(thresholds::parse(text).map_err(|e| e.to_string())?);
    }
    if slos.is_empty() {
        return Err("give at least one --slo, e.g. --slo 'ping_mediator:p95<500ms'".into());
    }
    if args.warmup >= args.plateau {
        return Err(format!(
            "--warmup ({}s) must be shorter than --plateau ({}s): a plateau needs samples to judge",
            args.warmup.as_secs(),
            args.plateau.as_secs()
        ));
    }
    let plan = Plan {
        start: args.start,
        growth: match (args.step, args.factor) {
            (Some(step), _) => Growth::Step(step),
            (None, Some(factor)) => Growth::Factor(factor),
            (None, None) => Growth::Factor(2.0),
        },
        max: args.max,
        precision: parse_precision(&args.precision)?,
        whole: args.search == SearchKind::Users,
    };
    plan.validate()?;
    if plan.whole && args.start < 1.0 {
        return Err(format!(
            "--start must be at least 1 user, got {}",
            args.start
        ));
    }
    if let Some(expect) = args.expect {
        if !(expect.is_finite() && expect > 0.0) {
            return Err(format!("--expect must be above 0, got {expect}"));
        }
    }
    if !(args.max_lag.is_finite() && args.max_lag > 0.0) {
        return Err(format!(
            "--max-lag must be a number of milliseconds above 0, got {}",
            args.max_lag
        ));
    }
    Ok(Setup {
        max_lag_ms: args.max_lag,
        kind: args.search,
        plan,
        slos,
        plateau: args.plateau,
        warmup: args.warmup,
    })
}

/// `5` (a load) or `5%` (a share of the passing load).
fn parse_precision(text: &str) -> Result<Precision, String> {
    let bad = || format!("--precision {text:?} is not a load (5) or a share of it (5%)");
    let trimmed = text.trim();
    match trimmed.strip_suffix('%') {
        Some(share) => Ok(Precision::Relative(
            share.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        )),
        None => Ok(Precision::Absolute(trimmed.parse().map_err(|_| bad())?)),
    }
}
