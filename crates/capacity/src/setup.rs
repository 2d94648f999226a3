//! The search's options as people typed them ([`Options`]), checked into the [`Setup`] the search
//! runs with before any load is sent: the SLOs, the plan of plateau loads, the warm-up, the
//! load's unit.

use std::time::Duration;

use engine::thresholds::{self, Op, Threshold};
use engine::Wait;

use crate::measured::is_latency;
use crate::search::{Growth, Plan, Precision};

/// What a capacity search grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Closed model: connected users.
    Users,
    /// Open model: task iterations per second over a pool of users.
    Rate,
}

/// The search's options as given (the command line's flags), before they are checked.
#[derive(Debug, Clone)]
pub struct Options {
    pub search: SearchKind,
    /// `--threshold`s, already parsed: judged on each plateau like the SLOs.
    pub thresholds: Vec<Threshold>,
    /// `--slo`s as typed.
    pub slos: Vec<String>,
    pub start: f64,
    pub step: Option<f64>,
    pub factor: Option<f64>,
    pub max: f64,
    pub plateau: Duration,
    pub warmup: Duration,
    /// A load (`5`) or a share of the passing load (`5%`).
    pub precision: String,
    pub expect: Option<f64>,
    pub max_lag: f64,
    pub drain_timeout: Duration,
    pub drain_tolerance: String,
    pub steady_tolerance: String,
    pub max_warmup: Option<Duration>,
    /// The users: the pool of a rate search (`-u`), their spawn rate and waits.
    pub users: usize,
    pub spawn_rate: f64,
    pub wait: Wait,
    /// What one iteration of the scenario is called (`onboardings`), for a rate's unit.
    pub iterations: String,
}

/// What the search runs with, checked before any load is sent.
#[derive(Debug, Clone)]
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
    /// The longest wait for the servers to drain before a refinement plateau; zero: no wait.
    pub drain_timeout: Duration,
    /// How far above the baseline's median latency (a share) the probe's may be, drained.
    pub drain_tolerance: f64,
    /// How far from the iterations asked (a share) a steady plateau's completions may be.
    pub steady_tolerance: f64,
    /// The longest warm-up of a plateau that is not steady.
    pub max_warmup: Duration,
    /// Below this capacity the search's answer is a failure.
    pub expect: Option<f64>,
    /// The pool of a rate search, the users' spawn rate and waits.
    pub users: usize,
    pub spawn_rate: f64,
    pub wait: Wait,
}

impl Setup {
    /// The load's unit in reports.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// Whether a plateau is judged on its delivery accounting too (`delivery:` SLOs).
    pub fn judges_delivery(&self) -> bool {
        self.slos.iter().any(|t| t.sample == thresholds::DELIVERY)
    }
}

/// Checks the flags; the error is one sentence.
pub fn setup(args: &Options) -> Result<Setup, String> {
    let mut slos = args.thresholds.clone();
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
        if let Some(warning) = pool_warning(args.users, args.max, &slos) {
            eprintln!("akrida capacity: warning: {warning}");
        }
    }
    let drain_tolerance = parse_share("--drain-tolerance", &args.drain_tolerance)?;
    let steady_tolerance = parse_share("--steady-tolerance", &args.steady_tolerance)?;
    let judged = args.plateau.saturating_sub(args.warmup);
    let max_warmup = args.max_warmup.unwrap_or(args.warmup + judged * 2);
    if max_warmup < args.warmup {
        return Err(format!(
            "--max-warmup ({}s) must be at least --warmup ({}s)",
            max_warmup.as_secs(),
            args.warmup.as_secs()
        ));
    }
    let unit = match args.search {
        SearchKind::Users => "users".to_owned(),
        SearchKind::Rate => format!("{}/s", args.iterations),
    };
    Ok(Setup {
        unit,
        max_lag_ms: args.max_lag,
        kind: args.search,
        plan,
        slos,
        plateau: args.plateau,
        warmup: args.warmup,
        drain_timeout: args.drain_timeout,
        drain_tolerance,
        steady_tolerance,
        max_warmup,
        expect: args.expect,
        users: args.users,
        spawn_rate: args.spawn_rate,
        wait: args.wait,
    })
}

/// A share above 0 written as a percentage: `10%`.
fn parse_share(flag: &str, text: &str) -> Result<f64, String> {
    let bad = || format!("{flag} {text:?} is not a share above 0 (10%)");
    let percent: f64 = text
        .trim()
        .strip_suffix('%')
        .ok_or_else(bad)?
        .trim()
        .parse()
        .map_err(|_| bad())?;
    if percent.is_finite() && percent > 0.0 {
        Ok(percent / 100.0)
    } else {
        Err(bad())
    }
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
    fn shares_are_percentages_above_zero() {
        assert_eq!(parse_share("--steady-tolerance", "10%"), Ok(0.1));
        assert_eq!(parse_share("--drain-tolerance", " 50 % "), Ok(0.5));
        for bad in ["10", "0%", "-5%", "lots%", "NaN%"] {
            let error = parse_share("--steady-tolerance", bad).unwrap_err();
            assert!(error.starts_with("--steady-tolerance"), "{error}");
        }
    }
}
