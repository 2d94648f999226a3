//! acapy-trace: server-side traces joined to akrida's own samples — where the time of one
//! DIDComm flow went.
//!
//! ACA-Py started with `--trace --trace-target http://HOST:PORT --trace-label LABEL` POSTs one
//! small JSON event per step it takes on a message (the dispatcher's handling, the outbound
//! manager's encoding and delivery, protocol handlers), each with the DIDComm thread id of the
//! message and, for the end of a step, how long the step took.
//!
//! - [`TraceEvent`] parses one such event (and rejects anything else with a reason);
//! - [`TraceCollector`] keeps the events of a run (bounded), counting what it refused;
//! - [`HopReport`] joins them by thread id to the engine's
//!   [`ThreadLog`](engine::trace::ThreadLog) (which message thread each traced sample was about)
//!   into the per-hop table (per agent label and handler) and the per-sample split between time
//!   inside the agents' handlers and the rest (transit, queueing, and akrida itself).
//!
//! It knows ACA-Py's event format; the engine knows none of it. It does no I/O: the binary's
//! `--trace-listen` server feeds the collector.

mod collector;
mod event;
mod hops;
mod html;

pub use collector::{TraceCollector, MAX_TRACE_EVENTS};
pub use event::{TraceEvent, TracePhase};
pub use hops::{render_hops, HopReport, HopRow, SampleHopRow, TraceCounts};
pub use html::hop_tables;
