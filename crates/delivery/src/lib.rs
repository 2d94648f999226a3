//! Exact per-message delivery accounting: did every message akrida sent arrive, once, in order,
//! in time?
//!
//! A scenario tells the [`Ledger`] about each message when it sends it ([`Ledger::send`]: sender,
//! recipient, send time, and whether the recipient was online, asleep or vanished at that
//! moment) and puts the returned [`MessageId`] in the message; a [`PendingSend`] marks the send
//! failed if it does not complete. Whatever the recipient receives is handed back by id
//! ([`Ledger::receive`]). The ledger counts:
//!
//! - **delivered**: a message received at least once (late ones included);
//! - **duplicated**: every receipt of an id beyond its first;
//! - **out of order**: a first receipt whose per-pair sequence number is below one already
//!   received from the same sender by the same recipient;
//! - **late**: a first receipt more than the delivery timeout after the send;
//! - **lost**: decided only by [`Ledger::finish`], which the caller calls once every holder has
//!   woken and drained its queue: what has not been received by then is lost, never before.
//!
//! Delivery latency (send → first receipt) goes to HDR histograms, split by the recipient's state
//! at send time: online, or away (asleep / vanished, so picked up after waking).
//!
//! This crate must not do I/O, read a clock or know any protocol: times are given by the caller
//! as offsets from the run's start, ids travel however the caller wants (see [`MessageId`]'s
//! text form).

mod id;
mod ledger;
mod pending;
mod report;
mod state;
mod timeline;

pub use id::{MessageId, ParseIdError};
pub use ledger::{Ledger, Receipt, Sent};
pub use pending::PendingSend;
pub use report::{DeliveryReport, LatencySummary, LostMessage, StateCounts};
pub use state::RecipientState;
pub use timeline::{Timeline, TimelineRow};
