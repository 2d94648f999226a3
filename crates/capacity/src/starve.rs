//! Test-only: `AKRIDA_TEST_STARVE_FROM=LOAD` (see [`Starve`]).

use std::time::Duration;

/// Test-only: `AKRIDA_TEST_STARVE_FROM=LOAD` starves akrida's own runtime from the first plateau
/// of at least LOAD on (its worker threads are kept blocked, so timers fire late), which is how
/// the tests check that a generator-limited plateau is detected by the real self-watch and never
/// taken for the server's capacity. Not in `--help`: nobody needs a slower load generator.
pub(crate) struct Starve {
    from: f64,
    started: bool,
}

impl Starve {
    pub(crate) fn from_env() -> Option<Self> {
        let from = std::env::var("AKRIDA_TEST_STARVE_FROM")
            .ok()?
            .parse()
            .ok()?;
        Some(Starve {
            from,
            started: false,
        })
    }

    /// Starts blocking the runtime's workers once `load` reaches the configured one.
    pub(crate) fn apply(&mut self, load: f64) {
        if self.started || load < self.from {
            return;
        }
        self.started = true;
        eprintln!("akrida capacity: AKRIDA_TEST_STARVE_FROM: blocking akrida's own runtime from {load} on");
        // More blockers than workers, so that a free worker is rare: the timers then fire late.
        let blockers = 4 * std::thread::available_parallelism().map_or(1, |n| n.get());
        for _ in 0..blockers {
            tokio::spawn(async {
                loop {
                    std::thread::sleep(Duration::from_millis(300));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
        }
    }
}
