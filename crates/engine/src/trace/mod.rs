//! Which message thread each traced sample was about, so that server-side trace events (kept
//! outside the engine, e.g. by the `acapy-trace` crate) can be joined to akrida's samples.
//! Scenarios fill it through [`UserContext::timed_thread`](crate::UserContext::timed_thread) or
//! [`UserContext::record_thread`](crate::UserContext::record_thread).

mod threads;

pub use threads::{ThreadLog, ThreadSample, MAX_THREAD_SAMPLES};
