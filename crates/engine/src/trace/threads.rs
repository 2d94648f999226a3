//! Which DIDComm thread each traced sample was about, so server trace events can be joined to it.
//!
//! Off unless the run collects traces ([`ThreadLog::enable`]): a long run records a sample every
//! few milliseconds, and without a collector nobody would read them. Bounded by
//! [`MAX_THREAD_SAMPLES`]; beyond it samples are counted, not kept.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Most thread samples kept in one run (about 100 bytes each).
pub const MAX_THREAD_SAMPLES: usize = 1_000_000;

/// One sample that was about one DIDComm thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSample {
    /// The sample's name, as in the stats (`ping_mediator`, `tenant_message`, …).
    pub name: String,
    /// The DIDComm thread id (`@id` of the message that started the thread).
    pub thread_id: String,
    /// When the sample started and ended, Unix seconds.
    pub started: f64,
    pub ended: f64,
}

/// The run's thread samples. Shared through [`Stats`](crate::Stats).
#[derive(Default)]
pub struct ThreadLog {
    enabled: AtomicBool,
    samples: Mutex<Vec<ThreadSample>>,
    dropped: AtomicU64,
}

impl ThreadLog {
    /// Starts keeping thread samples (the run has a trace collector).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// Whether samples are being kept.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Keeps one sample, when enabled and room is left.
    pub fn record(&self, name: &str, thread_id: &str, started: f64, ended: f64) {
        if !self.is_enabled() || thread_id.is_empty() {
            return;
        }
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() >= MAX_THREAD_SAMPLES {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        samples.push(ThreadSample {
            name: name.to_owned(),
            thread_id: thread_id.to_owned(),
            started,
            ended,
        });
    }

    /// A copy of the samples kept so far.
    pub fn samples(&self) -> Vec<ThreadSample> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Samples not kept because the log was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_nothing_until_enabled() {
        let log = ThreadLog::default();
        log.record("ping", "t1", 1.0, 2.0);
        assert!(log.samples().is_empty());
        log.enable();
        log.record("ping", "t1", 1.0, 2.0);
        log.record("ping", "", 1.0, 2.0);
        assert_eq!(log.samples().len(), 1);
        assert_eq!(log.samples()[0].thread_id, "t1");
    }

    #[tokio::test]
    async fn timed_thread_records_the_sample_and_its_thread() {
        use crate::{Stats, UserContext};
        let stats = std::sync::Arc::new(Stats::new());
        let (_stop, rx) = tokio::sync::watch::channel(false);
        let ctx = UserContext::new(0, stats.clone(), rx);
        let _ = ctx
            .timed_thread("didcomm", "ping", "t0", async { Ok::<_, String>(()) })
            .await;
        assert!(
            stats.message_threads().samples().is_empty(),
            "off by default"
        );
        stats.message_threads().enable();
        let before = ctx.unix_now();
        let _ = ctx
            .timed_thread("didcomm", "ping", "t1", async { Err::<(), _>("boom") })
            .await;
        let kept = stats.message_threads().samples();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].name.as_str(), kept[0].thread_id.as_str()),
            ("ping", "t1")
        );
        assert!(kept[0].started >= before && kept[0].ended >= kept[0].started);
        // The sample itself is in the stats as with `timed`.
        let snapshot = stats.snapshot();
        let ping = snapshot.entries.iter().find(|e| e.name == "ping").unwrap();
        assert_eq!((ping.num_requests, ping.num_failures), (2, 1));
    }
}
