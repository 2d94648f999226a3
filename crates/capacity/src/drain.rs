//! When the servers count as drained between plateaus. Pure: `drive.rs` runs the probe and asks.
//!
//! A server pushed past its capacity keeps working off its backlog after the load drops; a
//! plateau that starts before it is done is judged on the earlier plateau's queue, and a search
//! bisecting below a failure then under-reports. So before each refinement plateau the load goes
//! down to the first plateau's (the probe: the scenario's own task at the lowest load of the
//! search), and the servers count as drained when both hold in one probe window:
//!
//! - the task iterations in flight are back to what the last passing plateau had (the most it
//!   was seen with, or its rate times its p95, at least one): akrida's requests queued in the
//!   server have been answered;
//! - the probe's median latency is back within the tolerance (and 5 ms) of the first plateau's,
//!   measured at the same load: nothing akrida cannot see (requests it gave up on, the server's
//!   own queues) still delays it.

use crate::measured::Plateau;
use crate::search::Verdict;

/// Latency added to the limit, so that a sub-millisecond baseline does not make a few
/// milliseconds of scheduling noise count as a backlog.
const SLACK_MS: f64 = 5.0;

/// What the probe is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// The probe's load: the first plateau's.
    pub load: f64,
    /// The sample whose latency is compared (the first latency SLO's, as judged).
    pub sample: String,
    /// The first plateau's median of that sample; None when it had none.
    pub p50_ms: Option<f64>,
    /// At most this many iterations in flight: what the last passing plateau had (see
    /// `in_flight_of_a_pass`).
    pub in_flight_target: u64,
}

impl Baseline {
    /// The baseline of the plateaus so far (the refinement only begins after a pass).
    pub fn of(plateaus: &[Plateau]) -> Self {
        let first = plateaus.first();
        let last_pass = plateaus.iter().rev().find(|p| p.verdict == Verdict::Pass);
        Baseline {
            load: first.map_or(1.0, |p| p.load),
            sample: first.map_or("total".to_owned(), |p| p.latency.sample.clone()),
            p50_ms: first.and_then(|p| p.latency.p50_ms),
            in_flight_target: last_pass.map_or(1, in_flight_of_a_pass),
        }
    }

    /// The highest probe median that counts as drained.
    pub fn p50_limit_ms(&self, tolerance: f64) -> Option<f64> {
        self.p50_ms.map(|p50| p50 * (1.0 + tolerance) + SLACK_MS)
    }
}

/// The iterations a passing plateau had in flight: the most of the two it was seen with (its
/// judged window's start and end) and of what its rate and latency keep in flight (Little's law
/// with its p95: a rate of R, each iteration taking up to L, keeps R × L busy), at least one.
/// Two looks at a count that moves with every arrival are a poor sample of it on their own.
fn in_flight_of_a_pass(p: &Plateau) -> u64 {
    kept_in_flight(
        p.in_flight_start.max(p.in_flight_end),
        p.achieved_per_s,
        p.latency.p95_ms,
    )
}

fn kept_in_flight(seen: u64, per_second: f64, p95_ms: Option<f64>) -> u64 {
    let kept = p95_ms.map_or(0.0, |p95| per_second * p95 / 1000.0);
    let kept = if kept.is_finite() && kept > 0.0 {
        kept.ceil() as u64
    } else {
        0
    };
    seen.max(kept).max(1)
}

/// Whether a probe window with `in_flight` iterations at its end and median `probe_p50_ms`
/// (None: no sample ended in it) shows the servers drained.
pub fn drained(
    baseline: &Baseline,
    tolerance: f64,
    in_flight: u64,
    probe_p50_ms: Option<f64>,
) -> bool {
    let latency_back = match (baseline.p50_limit_ms(tolerance), probe_p50_ms) {
        (None, _) => true,
        (Some(limit), Some(p50)) => p50 <= limit,
        // Nothing ended at the probe's load: the servers are still holding it.
        (Some(_), None) => false,
    };
    in_flight <= baseline.in_flight_target && latency_back
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(p50_ms: Option<f64>) -> Baseline {
        Baseline {
            load: 3.0,
            sample: "iteration issuer_getliveness".into(),
            p50_ms,
            in_flight_target: 2,
        }
    }

    #[test]
    fn a_pass_kept_in_flight_what_its_rate_and_latency_keep_busy() {
        // 3.38 onboardings a second taking up to 409 ms: two at a time, though seen with 0 and 1.
        assert_eq!(kept_in_flight(1, 3.38, Some(409.0)), 2);
        assert_eq!(kept_in_flight(5, 3.38, Some(409.0)), 5);
        assert_eq!(kept_in_flight(0, 0.0, None), 1);
        assert_eq!(kept_in_flight(0, f64::NAN, Some(10.0)), 1);
    }

    #[test]
    fn drained_needs_both_the_queue_and_the_latency_back() {
        let b = baseline(Some(100.0));
        assert_eq!(b.p50_limit_ms(0.5), Some(155.0));
        assert!(drained(&b, 0.5, 2, Some(150.0)));
        // Still answering the backlog.
        assert!(!drained(&b, 0.5, 3, Some(100.0)));
        // akrida's requests are back, but something still delays the server.
        assert!(!drained(&b, 0.5, 0, Some(400.0)));
        // Nothing came back at all.
        assert!(!drained(&b, 0.5, 0, None));
        // No latency to compare with: the queue alone decides.
        assert!(drained(&baseline(None), 0.5, 1, None));
    }
}
