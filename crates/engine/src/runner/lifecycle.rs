//! Counters of what happened to users, updated from the user tasks without a lock.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::stats::UserLifecycle;

#[derive(Default)]
pub struct Lifecycle {
    pub spawned: AtomicU64,
    pub started: AtomicU64,
    pub start_failures: AtomicU64,
    pub starts_cut_short: AtomicU64,
    pub panicked: AtomicU64,
    pub stopped: AtomicU64,
    pub on_stop_timeouts: AtomicU64,
}

/// Adds one; the counters are independent tallies, so no ordering with other memory is needed.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Lifecycle {
    pub fn read(&self) -> UserLifecycle {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        UserLifecycle {
            spawned: get(&self.spawned),
            started: get(&self.started),
            start_failures: get(&self.start_failures),
            starts_cut_short: get(&self.starts_cut_short),
            panicked: get(&self.panicked),
            stopped: get(&self.stopped),
            on_stop_timeouts: get(&self.on_stop_timeouts),
        }
    }
}
