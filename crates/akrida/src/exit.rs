//! The process's exit codes, in one place: what a script or CI job driving akrida reads.
//!
//! `akrida run`: 0 all well; 1 a request failed (`--exit-code-on-error`, Locust's default); 2 a
//! setup problem (bad flag, threshold, baseline file, unreachable server, report not written);
//! 3 a threshold failed; 4 a regression against `--baseline`. When several apply, the lowest of
//! 2, 3, 4 wins, then 1.
//!
//! `akrida capacity`: 0 a capacity was found (at least `--expect`); 2 a setup problem; 3 no
//! capacity, or one below `--expect`. `--dry-run` prints the search's settings and exits 0.
//!
//! `akrida worker`: 0 when the master said quit or a signal stopped it; 2 when it cannot start
//! or its session with the master fails (the master gone, garbage from it). `akrida agent`: 0,
//! or 2 when it cannot start.

/// A configuration or start-up problem (before any load was sent), or a report not written.
pub const BAD_SETUP: u8 = 2;
/// A `--threshold` failed; for `capacity`, no capacity found or one below `--expect`.
pub const THRESHOLD_FAILED: u8 = 3;
/// `--baseline` found a regression beyond `--tolerance`.
pub const REGRESSION: u8 = 4;
