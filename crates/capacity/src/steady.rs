//! Whether a plateau ran at the load it was asked for, and what that means for its verdict. Pure:
//! `drive.rs` measures, this decides.
//!
//! A plateau's judged window is only the server's answer to the load asked when the load the
//! server saw was that load. In a rate search the iterations completed in the window are the
//! ones started there plus the change in those in flight, so a plateau that *ran faster* than
//! asked was still working off an earlier plateau's backlog (its latencies are the backlog's),
//! and one that *ran slower* either met the server's limit or was held back by akrida (a pool
//! too small, the generator). The first is never judged until it settles; the second is the
//! server's limit when the SLOs broke (an overloaded server completes its capacity, not the load
//! asked: that is the breach, judged at once so a server that broke is not hammered longer), and
//! unsteady otherwise (the latencies look fine only because the load asked never reached the
//! server).

use serde::Serialize;

use crate::search::{self, Verdict};

/// How the completed load of a judged window compares with the load asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// Within the tolerance of the load asked.
    Steady,
    /// Above it: a backlog was draining.
    Faster,
    /// Below it: the server or akrida could not keep up.
    Slower,
}

/// The pace of a window of `seconds` that completed `completed` iterations where `asked_per_s`
/// were asked. The tolerance is a share of the iterations asked, and at least two iterations:
/// the iterations in flight at the window's two ends shift a low rate's count by one or two.
pub fn pace(asked_per_s: f64, completed: u64, seconds: f64, tolerance: f64) -> Pace {
    let asked = asked_per_s * seconds;
    let slack = (asked * tolerance).max(2.0);
    let completed = completed as f64;
    if completed > asked + slack {
        Pace::Faster
    } else if completed < asked - slack {
        Pace::Slower
    } else {
        Pace::Steady
    }
}

/// What to do with a measured window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// This is the plateau's verdict.
    Verdict(Verdict),
    /// Not steady yet: count the window as warm-up and measure another.
    Extend,
}

/// The verdict of a window, or another window when it was not steady and the warm-up may still
/// grow (`can_extend`).
pub fn judge(
    slos_passed: bool,
    generator_limited: bool,
    pace: Pace,
    can_extend: bool,
) -> Judgement {
    match pace {
        _ if generator_limited => Judgement::Verdict(Verdict::GeneratorLimited),
        Pace::Steady => Judgement::Verdict(search::verdict(slos_passed, false)),
        // The server completed less than asked and broke the SLOs: its limit.
        Pace::Slower if !slos_passed => Judgement::Verdict(Verdict::Fail),
        _ if can_extend => Judgement::Extend,
        _ => Judgement::Verdict(Verdict::Unsteady),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_compares_completions_with_the_load_asked() {
        // 25/s asked over 7 s: 175 iterations, ±17.5.
        assert_eq!(pace(25.0, 180, 7.0, 0.1), Pace::Steady);
        assert_eq!(pace(25.0, 202, 7.0, 0.1), Pace::Faster);
        assert_eq!(pace(25.0, 150, 7.0, 0.1), Pace::Slower);
        // A low rate is allowed two iterations either way (those in flight at the ends).
        assert_eq!(pace(1.0, 9, 7.0, 0.1), Pace::Steady);
        assert_eq!(pace(1.0, 5, 7.0, 0.1), Pace::Steady);
        assert_eq!(pace(1.0, 10, 7.0, 0.1), Pace::Faster);
    }

    #[test]
    fn only_a_steady_window_or_a_server_past_its_limit_is_judged() {
        use Judgement::{Extend, Verdict as V};
        assert_eq!(judge(true, false, Pace::Steady, true), V(Verdict::Pass));
        assert_eq!(judge(false, false, Pace::Steady, true), V(Verdict::Fail));
        // Draining a backlog: whatever the SLOs say, measure again.
        assert_eq!(judge(false, false, Pace::Faster, true), Extend);
        assert_eq!(judge(true, false, Pace::Faster, true), Extend);
        assert_eq!(
            judge(true, false, Pace::Faster, false),
            V(Verdict::Unsteady)
        );
        // Slower and broken: the server's limit, at once.
        assert_eq!(judge(false, false, Pace::Slower, true), V(Verdict::Fail));
        // Slower but within the SLOs: the load never reached the server.
        assert_eq!(judge(true, false, Pace::Slower, true), Extend);
        assert_eq!(
            judge(true, false, Pace::Slower, false),
            V(Verdict::Unsteady)
        );
        // akrida saturated: nothing else counts.
        assert_eq!(
            judge(true, true, Pace::Faster, true),
            V(Verdict::GeneratorLimited)
        );
    }
}
