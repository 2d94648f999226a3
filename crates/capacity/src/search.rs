//! The capacity search itself, with no I/O: which load each plateau gets, what a plateau's
//! verdict is, and what the answer is. The driver (`drive.rs`) runs the plateaus it asks for
//! and feeds back what it measured.
//!
//! The search climbs (`start`, then `+step` or `×factor`, up to `max`) until a plateau breaks
//! the SLOs, then bisects between the last passing and the first failing load until they are
//! within the precision, and stops: a server that already broke is not hammered further. A
//! plateau where akrida itself was saturated says nothing about the server: it ends the search
//! and is never the answer; nor is a plateau that never ran steadily at the load it was asked
//! for (see `steady.rs`).

use serde::Serialize;

/// How the climb grows the load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    /// Add this much each plateau.
    Step(f64),
    /// Multiply by this (above 1) each plateau.
    Factor(f64),
}

/// How close the bisection gets before it stops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Precision {
    /// Stop when the first failing load is at most this much above the last passing one.
    Absolute(f64),
    /// The same as a share of the last passing load.
    Relative(f64),
}

/// What the search explores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub start: f64,
    pub growth: Growth,
    pub max: f64,
    pub precision: Precision,
    /// Loads are whole numbers (users), not rates.
    pub whole: bool,
}

impl Plan {
    /// Checks what a search cannot run with; the error is one sentence for the command line.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.start.is_finite() && self.start > 0.0) {
            return Err(format!("--start must be above 0, got {}", self.start));
        }
        if !self.max.is_finite() || self.start > self.max {
            return Err(format!(
                "--start ({}) is above --max ({})",
                self.start, self.max
            ));
        }
        match self.growth {
            Growth::Step(step) if !(step.is_finite() && step > 0.0) => {
                return Err(format!("--step must be above 0, got {step}"))
            }
            Growth::Factor(factor) if !(factor.is_finite() && factor > 1.0) => {
                return Err(format!("--factor must be above 1, got {factor}"))
            }
            _ => {}
        }
        let precision = match self.precision {
            Precision::Absolute(p) | Precision::Relative(p) => p,
        };
        if !(precision.is_finite() && precision > 0.0) {
            return Err(format!("--precision must be above 0, got {precision}"));
        }
        Ok(())
    }

    fn round(&self, load: f64) -> f64 {
        if self.whole {
            load.round()
        } else {
            // Rates to a hundredth: enough for a report, and no endless bisection of noise.
            (load * 100.0).round() / 100.0
        }
    }

    fn grow(&self, load: f64) -> f64 {
        let next = match self.growth {
            Growth::Step(step) => load + step,
            Growth::Factor(factor) => load * factor,
        };
        // A whole-number load always moves by at least one.
        let next = self.round(next);
        if self.whole && next <= load {
            load + 1.0
        } else {
            next
        }
    }

    /// Whether `pass` and `fail` are close enough to stop refining.
    fn close_enough(&self, pass: f64, fail: f64) -> bool {
        let bound = match self.precision {
            Precision::Absolute(p) => p,
            Precision::Relative(share) => pass * share,
        };
        let bound = if self.whole { bound.max(1.0) } else { bound };
        fail - pass <= bound + 1e-9
    }
}

/// Whether a plateau kept the SLOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// akrida itself was saturated: the figures include its own delay; not the server's verdict.
    GeneratorLimited,
    /// The plateau never ran at the load asked, even with its warm-up extended to the bound
    /// (a backlog still draining, or a pool that could not keep up): not judged.
    Unsteady,
}

/// Why a plateau ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Climb,
    Refine,
}

/// A plateau that ran, as the search sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub load: f64,
    pub phase: Phase,
    pub verdict: Verdict,
}

/// A plateau is generator-limited when akrida was saturated in more than half of its judged
/// seconds: a lone stall (another process on a busy machine) is not saturation, a generator
/// that cannot keep up most of the time is.
pub fn generator_limited(saturated_seconds: usize, seconds: usize) -> bool {
    seconds > 0 && saturated_seconds * 2 > seconds
}

/// The verdict of a plateau from its SLO results and its generator health.
pub fn verdict(slos_passed: bool, generator_limited: bool) -> Verdict {
    match (generator_limited, slos_passed) {
        (true, _) => Verdict::GeneratorLimited,
        (false, true) => Verdict::Pass,
        (false, false) => Verdict::Fail,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Climb,
    Refine { pass: f64, fail: f64 },
    Done,
}

/// The search's state: ask [`Search::next`] for a load, run it, [`Search::record`] the verdict.
#[derive(Debug, Clone)]
pub struct Search {
    plan: Plan,
    state: State,
    steps: Vec<Step>,
}

/// What the search found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outcome {
    /// The highest load that kept the SLOs without akrida being saturated; None when none did.
    pub capacity: Option<f64>,
    /// The lowest load that broke the SLOs (akrida not saturated).
    pub first_breach: Option<f64>,
    /// The first load at which akrida itself was saturated (the search stopped there).
    pub generator_limited_at: Option<f64>,
    /// The load of a plateau that never became steady (the search stopped there).
    pub unsteady_at: Option<f64>,
    /// Every plateau up to --max passed: the capacity is at least --max.
    pub reached_max: bool,
}

impl Search {
    /// A search along `plan` (validated beforehand).
    pub fn new(plan: Plan) -> Self {
        Search {
            plan,
            state: State::Climb,
            steps: Vec::new(),
        }
    }

    /// The load of the next plateau, or None when the search is over.
    pub fn next(&self) -> Option<(f64, Phase)> {
        match self.state {
            State::Done => None,
            State::Climb => match self.steps.last() {
                None => Some((self.plan.round(self.plan.start), Phase::Climb)),
                Some(last) if last.load >= self.plan.max => None,
                Some(last) => Some((self.plan.grow(last.load).min(self.plan.max), Phase::Climb)),
            },
            State::Refine { pass, fail } => {
                let middle = if self.plan.whole {
                    ((pass + fail) / 2.0).floor()
                } else {
                    self.plan.round((pass + fail) / 2.0)
                };
                (middle > pass && middle < fail).then_some((middle, Phase::Refine))
            }
        }
    }

    /// Records the verdict of the plateau [`Search::next`] asked for.
    pub fn record(&mut self, load: f64, phase: Phase, verdict: Verdict) {
        self.steps.push(Step {
            load,
            phase,
            verdict,
        });
        self.state = match (self.state, verdict) {
            (State::Done, _) | (_, Verdict::GeneratorLimited | Verdict::Unsteady) => State::Done,
            (State::Climb, Verdict::Pass) if load >= self.plan.max => State::Done,
            (State::Climb, Verdict::Pass) => State::Climb,
            (State::Climb, Verdict::Fail) => match self.capacity() {
                Some(pass) => self.refine(pass, load),
                None => State::Done,
            },
            (State::Refine { fail, .. }, Verdict::Pass) => self.refine(load, fail),
            (State::Refine { pass, .. }, Verdict::Fail) => self.refine(pass, load),
        };
    }

    fn refine(&self, pass: f64, fail: f64) -> State {
        if self.plan.close_enough(pass, fail) {
            State::Done
        } else {
            State::Refine { pass, fail }
        }
    }

    fn capacity(&self) -> Option<f64> {
        self.steps
            .iter()
            .filter(|s| s.verdict == Verdict::Pass)
            .map(|s| s.load)
            .reduce(f64::max)
    }

    /// The answer from the plateaus so far (also of a search cut short by Ctrl-C).
    pub fn outcome(&self) -> Outcome {
        let first_breach = self
            .steps
            .iter()
            .filter(|s| s.verdict == Verdict::Fail)
            .map(|s| s.load)
            .reduce(f64::min);
        let generator_limited_at = self
            .steps
            .iter()
            .find(|s| s.verdict == Verdict::GeneratorLimited)
            .map(|s| s.load);
        let unsteady_at = self
            .steps
            .iter()
            .find(|s| s.verdict == Verdict::Unsteady)
            .map(|s| s.load);
        let capacity = self.capacity();
        Outcome {
            capacity,
            first_breach,
            generator_limited_at,
            unsteady_at,
            reached_max: first_breach.is_none()
                && generator_limited_at.is_none()
                && unsteady_at.is_none()
                && capacity.is_some_and(|c| c >= self.plan.max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(growth: Growth, precision: Precision, whole: bool) -> Plan {
        Plan {
            start: 10.0,
            growth,
            max: 1_000.0,
            precision,
            whole,
        }
    }

    /// Runs a search against a server that holds up to `capacity`, optionally with akrida
    /// saturating from `saturated_from` on. Returns the loads tried and the outcome.
    fn run(plan: Plan, capacity: f64, saturated_from: Option<f64>) -> (Vec<f64>, Outcome) {
        let mut search = Search::new(plan);
        let mut loads = Vec::new();
        while let Some((load, phase)) = search.next() {
            assert!(loads.len() < 100, "endless search: {loads:?}");
            loads.push(load);
            let limited = saturated_from.is_some_and(|from| load >= from);
            search.record(load, phase, verdict(load <= capacity, limited));
        }
        (loads, search.outcome())
    }

    #[test]
    fn climbs_then_bisects_to_the_precision_and_stops() {
        let (loads, outcome) = run(
            plan(Growth::Step(100.0), Precision::Absolute(10.0), true),
            237.0,
            None,
        );
        assert_eq!(&loads[..4], &[10.0, 110.0, 210.0, 310.0]);
        // Bisection between 210 and 310, never above the first failure.
        assert!(
            loads[4..].iter().all(|&l| l > 210.0 && l < 310.0),
            "{loads:?}"
        );
        let capacity = outcome.capacity.unwrap();
        let breach = outcome.first_breach.unwrap();
        assert!(capacity <= 237.0 && breach > 237.0, "{outcome:?}");
        assert!(breach - capacity <= 10.0, "{outcome:?}");
        assert!(!outcome.reached_max);
    }

    #[test]
    fn whole_loads_bisect_to_one() {
        let (_, outcome) = run(
            plan(Growth::Factor(2.0), Precision::Absolute(1.0), true),
            57.0,
            None,
        );
        assert_eq!(outcome.capacity, Some(57.0));
        assert_eq!(outcome.first_breach, Some(58.0));
    }

    #[test]
    fn rates_bisect_to_a_relative_precision() {
        let (loads, outcome) = run(
            plan(Growth::Factor(1.5), Precision::Relative(0.05), false),
            50.0,
            None,
        );
        assert_eq!(&loads[..4], &[10.0, 15.0, 22.5, 33.75]);
        let capacity = outcome.capacity.unwrap();
        assert!(
            (50.0 / 1.05 - 0.01..=50.0).contains(&capacity),
            "{outcome:?}"
        );
    }

    #[test]
    fn the_first_plateau_breaking_is_no_capacity() {
        let (loads, outcome) = run(
            plan(Growth::Step(10.0), Precision::Absolute(1.0), true),
            5.0,
            None,
        );
        assert_eq!(loads, vec![10.0]);
        assert_eq!(outcome.capacity, None);
        assert_eq!(outcome.first_breach, Some(10.0));
    }

    #[test]
    fn passing_up_to_max_stops_at_max() {
        let mut p = plan(Growth::Step(300.0), Precision::Absolute(1.0), true);
        p.max = 700.0;
        let (loads, outcome) = run(p, 10_000.0, None);
        assert_eq!(loads, vec![10.0, 310.0, 610.0, 700.0]);
        assert_eq!(outcome.capacity, Some(700.0));
        assert!(outcome.reached_max);
    }

    #[test]
    fn a_saturated_generator_ends_the_search_and_is_never_the_answer() {
        let (loads, outcome) = run(
            plan(Growth::Step(100.0), Precision::Absolute(1.0), true),
            10_000.0,
            Some(200.0),
        );
        assert_eq!(loads, vec![10.0, 110.0, 210.0]);
        assert_eq!(outcome.capacity, Some(110.0));
        assert_eq!(outcome.generator_limited_at, Some(210.0));
        assert_eq!(outcome.first_breach, None);
        assert!(!outcome.reached_max);
        // Saturated during the refinement: it stops there too.
        let (loads, outcome) = run(
            plan(Growth::Step(100.0), Precision::Absolute(1.0), true),
            237.0,
            Some(250.0),
        );
        assert_eq!(&loads[..4], &[10.0, 110.0, 210.0, 310.0]);
        assert!(outcome.capacity.unwrap() <= 237.0);
        assert!(loads.iter().all(|&l| l <= 310.0));
    }

    #[test]
    fn an_unsteady_plateau_ends_the_search_and_is_neither_answer_nor_breach() {
        let mut search = Search::new(plan(Growth::Step(10.0), Precision::Absolute(1.0), true));
        search.record(10.0, Phase::Climb, Verdict::Pass);
        search.record(20.0, Phase::Climb, Verdict::Unsteady);
        assert_eq!(search.next(), None);
        let outcome = search.outcome();
        assert_eq!(outcome.capacity, Some(10.0));
        assert_eq!(outcome.first_breach, None);
        assert_eq!(outcome.unsteady_at, Some(20.0));
        assert!(!outcome.reached_max);
    }

    #[test]
    fn plans_that_cannot_run_are_refused() {
        let mut p = plan(Growth::Step(10.0), Precision::Absolute(1.0), true);
        p.start = 2_000.0;
        assert!(p.validate().unwrap_err().contains("above --max"));
        let p = plan(Growth::Factor(1.0), Precision::Absolute(1.0), true);
        assert!(p.validate().unwrap_err().contains("--factor"));
        let p = plan(Growth::Step(10.0), Precision::Relative(0.0), true);
        assert!(p.validate().unwrap_err().contains("--precision"));
        assert!(generator_limited(3, 5));
        assert!(!generator_limited(1, 2));
        assert!(!generator_limited(0, 0));
    }
}
