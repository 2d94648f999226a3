//! What watches a run from outside the process: akrida's live view (`--web`), its progress on
//! the terminal, the `/metrics` endpoint, the trace listener, and akrida's own health.
//!
//! - `server`: the live view over akrida's one HTTP server (`net::server`): the page, its
//!   server-sent events (the report part afresh each second), the controls' API, the loopback
//!   default and the token a non-loopback bind wants;
//! - `page`: what the run's HTML page is made from: the final `--html` report and each frame of
//!   the live page render through it (one template, only the moment differs);
//! - `progress`: the terminal's frame and progress line while a run lasts;
//! - `metrics`: `--metrics-addr`, the run's stats for Prometheus;
//! - `trace_listen`: `--trace-listen`, ACA-Py's trace events into the `acapy-trace` collector;
//! - `observers`: what a run watches beside its load (timed events, servers' resources) and
//!   their parts of the reports;
//! - `selfwatch`: akrida's own CPU, memory, open files and timer lag, sampled each second, so a
//!   collapse can be told apart: the servers gave out, or the generator did.
//!
//! Must not: run load, parse the command line, or know a protocol (what the pages show comes
//! from `engine`'s reports and the capacity crate's).

pub mod metrics;
pub mod observers;
pub mod page;
pub mod progress;
pub mod selfwatch;
pub mod server;
pub mod trace_listen;
