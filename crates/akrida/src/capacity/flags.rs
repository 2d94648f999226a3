//! The capacity command's flags, checked into the [`Setup`] the search runs with before any
//! load is sent: the SLOs, the plan of plateau loads, the warm-up, the load's unit.

use std::time::Duration;

use engine::thresholds::{self, Op, Threshold};

use super::measured::is_latency;
use super::search::{Growth, Plan, Precision};
use crate::cli::{CapacityArgs, SearchKind};

/// What the search runs with, checked before any load is sent.
pub struct Setup {
    pub kind: SearchKind,
    pub plan: Plan,
    pub slos: Vec<Threshold>,
    pub plateau: Duration,
    pub warmup: Duration,
    /// Timer lag (ms) from which a second counts as saturated.
    pub max_lag_ms: f64,
    /// The load's unit in reports: `users`, or the scenario's iterations per second
    /// (`onboardings/s` for mediator-onboard, else `iterations/s`).
    pub unit: String,
}

impl Setup {
    /// The load's unit in reports.
    pub fn unit(&self) -> &str {
        &self.unit
    }
}

/// Checks the flags; the error is one sentence.
pub fn setup(args: &CapacityArgs) -> Result<Setup, String> {
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
    if args.search == SearchKind::Rate {
        if let Some(warning) = pool_warning(args.run.users, args.max, &slos) {
            eprintln!("akrida capacity: warning: {warning}");
        }
    }
    let unit = match args.search {
        SearchKind::Users => "users".to_owned(),
        SearchKind::Rate => format!(
            "{}/s",
            scenarios::catalogue::iterations_of(&args.run.scenario)
        ),
    };
    Ok(Setup {
        unit,
        max_lag_ms: args.max_lag,
        kind: args.search,
        plan,
        slos,
        plateau: args.plateau,
        warmup: args.warmup,
    })
}

/// In a rate search the pool (`-u`) bounds the iterations in flight: at R per second, each
/// taking L seconds, R × L users are busy (Little's law). A pool below `max` × the loosest
/// latency SLO runs out before the SLO is reached, and the plateau then fails on the pool's
/// queue, not on the server: said before the search, with the pool that would do.
fn pool_warning(pool: usize, max: f64, slos: &[Threshold]) -> Option<String> {
    let limit_ms = slos
        .iter()
        .filter(|t| is_latency(t.metric) && matches!(t.op, Op::Lt | Op::Le))
        .map(|t| t.limit)
        .reduce(f64::max)?;
    let needed = (max * limit_ms / 1000.0).ceil();
    (needed.is_finite() && (pool as f64) < needed).then(|| {
        format!(
            "-u {pool} users can keep at most {pool} iterations in flight: at --max {max}/s, iterations that take the SLO's {limit_ms} ms need {needed}; a plateau may then fail on the pool's own queue before the server's limit (give -u {needed} or more)"
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(text: &str) -> Threshold {
        thresholds::parse(text).expect("a valid SLO")
    }

    #[test]
    fn a_pool_too_small_for_the_rate_and_the_slo_is_warned_of() {
        // 20/s of onboardings taking up to 10 s keep 200 users busy.
        let slos = [slo("startup:p95<10s"), slo("total:fail_ratio<1%")];
        let warning = pool_warning(50, 20.0, &slos).expect("50 users are too few");
        assert!(warning.contains("-u 200"), "{warning}");
        assert_eq!(pool_warning(200, 20.0, &slos), None);
        // Without a latency SLO there is nothing to size the pool against.
        assert_eq!(pool_warning(1, 20.0, &[slo("total:fail_ratio<1%")]), None);
    }

    #[test]
    fn a_rate_is_counted_in_what_the_scenario_iterates() {
        assert_eq!(
            scenarios::catalogue::iterations_of("mediator-onboard"),
            "onboardings"
        );
        assert_eq!(
            scenarios::catalogue::iterations_of("mediator-ping"),
            "iterations"
        );
    }
}
