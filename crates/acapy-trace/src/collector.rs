//! The events a run received from the agents' tracing, with counts of what was refused.
//! The HTTP side lives in the binary (`akrida run --trace-listen`); this is what it feeds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::event::TraceEvent;

/// Most events kept in one run (about 300 bytes each); later ones are counted as dropped.
pub const MAX_TRACE_EVENTS: usize = 2_000_000;

/// Trace events of one run. Share it with `Arc`.
#[derive(Default)]
pub struct TraceCollector {
    events: Mutex<Vec<TraceEvent>>,
    rejected: AtomicU64,
    dropped: AtomicU64,
}

impl TraceCollector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses and keeps one POSTed body; `Err` (the reason) when it is not a trace event, which
    /// is then counted as rejected.
    pub fn accept(&self, body: &[u8]) -> Result<(), String> {
        match TraceEvent::parse(body) {
            Ok(event) => {
                self.push(event);
                Ok(())
            }
            Err(reason) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                Err(reason)
            }
        }
    }

    /// Counts a request refused before its body was read (bad HTTP, wrong method, too large).
    pub fn count_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps an event already parsed.
    pub fn push(&self, event: TraceEvent) {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() >= MAX_TRACE_EVENTS {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            events.push(event);
        }
    }

    /// A copy of the events kept so far.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Events kept so far.
    pub fn received(&self) -> u64 {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len() as u64
    }

    /// Bodies that were not trace events.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }

    /// Events not kept because the collector was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
