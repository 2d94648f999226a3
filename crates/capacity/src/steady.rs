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
//! asked: that is the breach, judged at once so a server that broke is not hammered longer).
//! A window that ran slower within the SLOs is measured again (a stall of a second on a shared
//! machine looks the same); still slower at the bound, it is the server's limit too when akrida
//! started every iteration on time, since then what was missing stayed in flight and the
//! server's backlog grew window after window (just past the limit, the wait that backlog adds
//! takes longer than a plateau to break a latency SLO), and unsteady otherwise (the latencies
//! look fine only because the load asked never reached the server).

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
    let slack = slack(asked, tolerance);
    let completed = completed as f64;
    if completed > asked + slack {
        Pace::Faster
    } else if completed < asked - slack {
        Pace::Slower
    } else {
        Pace::Steady
    }
}

/// Whether akrida started the iterations of a window of `seconds` on time: at most the pace's
/// slack of those due were `missed` (the pool had no free user for them).
pub fn started_on_time(asked_per_s: f64, missed: u64, seconds: f64, tolerance: f64) -> bool {
    missed as f64 <= slack(asked_per_s * seconds, tolerance)
}

fn slack(asked: f64, tolerance: f64) -> f64 {
    (asked * tolerance).max(2.0)
}

/// What to do with a measured window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// This is the plateau's verdict.
    Verdict(Verdict),
    /// Not steady yet: count the window as warm-up and measure another.
    Extend,
}

/// What a measured window was, besides its SLOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measured {
    pub generator_limited: bool,
    pub pace: Pace,
    /// akrida started the iterations asked on time ([`started_on_time`]); false in a users
    /// search, which has no schedule to keep.
    pub started_on_time: bool,
}

/// The verdict of a window, or another window when it was not steady and the warm-up may still
/// grow (`can_extend`).
pub fn judge(slos_passed: bool, measured: Measured, can_extend: bool) -> Judgement {
    match measured.pace {
        _ if measured.generator_limited => Judgement::Verdict(Verdict::GeneratorLimited),
        Pace::Steady => Judgement::Verdict(search::verdict(slos_passed, false)),
        // The server completed less than asked and broke the SLOs: its limit.
        Pace::Slower if !slos_passed => Judgement::Verdict(Verdict::Fail),
        _ if can_extend => Judgement::Extend,
        // Still off at the bound: the server's limit if it fell behind, else not judged.
        pace if fell_behind(pace, measured.started_on_time, slos_passed) => {
            Judgement::Verdict(Verdict::Fail)
        }
        _ => Judgement::Verdict(Verdict::Unsteady),
    }
}

/// Whether a plateau judged `fail` was so because the server fell behind (slower than asked up
/// to the warm-up's bound, every iteration started on time) rather than by an SLO.
pub fn fell_behind(pace: Pace, started_on_time: bool, slos_passed: bool) -> bool {
    pace == Pace::Slower && started_on_time && slos_passed
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
    fn akrida_started_on_time_when_it_missed_no_more_than_the_slack() {
        // 16/s asked over 4 s: 64 due, 6.4 of slack.
        assert!(started_on_time(16.0, 0, 4.0, 0.1));
        assert!(started_on_time(16.0, 6, 4.0, 0.1));
        assert!(!started_on_time(16.0, 7, 4.0, 0.1));
        // A low rate is allowed two.
        assert!(started_on_time(1.0, 2, 4.0, 0.1));
        assert!(!started_on_time(1.0, 3, 4.0, 0.1));
    }

    fn window(pace: Pace, started_on_time: bool) -> Measured {
        Measured {
            generator_limited: false,
            pace,
            started_on_time,
        }
    }

    #[test]
    fn only_a_steady_window_or_a_server_past_its_limit_is_judged() {
        use Judgement::{Extend, Verdict as V};
        let on_time = true;
        assert_eq!(
            judge(true, window(Pace::Steady, on_time), true),
            V(Verdict::Pass)
        );
        assert_eq!(
            judge(false, window(Pace::Steady, on_time), true),
            V(Verdict::Fail)
        );
        // Draining a backlog: whatever the SLOs say, measure again; still at the bound: unsteady.
        assert_eq!(judge(false, window(Pace::Faster, on_time), true), Extend);
        assert_eq!(judge(true, window(Pace::Faster, on_time), true), Extend);
        assert_eq!(
            judge(true, window(Pace::Faster, on_time), false),
            V(Verdict::Unsteady)
        );
        // Slower and broken: the server's limit, at once.
        assert_eq!(
            judge(false, window(Pace::Slower, on_time), true),
            V(Verdict::Fail)
        );
        // Slower within the SLOs: measured again (a stall looks the same)...
        assert_eq!(judge(true, window(Pace::Slower, on_time), true), Extend);
        assert_eq!(judge(true, window(Pace::Slower, !on_time), true), Extend);
        // ...and at the bound, the server's limit when akrida started every iteration on time
        // (the server's backlog grew), unsteady when the pool could not start them.
        assert_eq!(
            judge(true, window(Pace::Slower, on_time), false),
            V(Verdict::Fail)
        );
        assert!(fell_behind(Pace::Slower, on_time, true));
        assert_eq!(
            judge(true, window(Pace::Slower, !on_time), false),
            V(Verdict::Unsteady)
        );
        // akrida saturated: nothing else counts.
        let saturated = Measured {
            generator_limited: true,
            ..window(Pace::Faster, on_time)
        };
        assert_eq!(judge(true, saturated, true), V(Verdict::GeneratorLimited));
    }
}
