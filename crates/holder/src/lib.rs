//! The simulated holder: one DIDComm v1 wallet as a small struct and a few tokio tasks.
//!
//! It owns transports (HTTP with return routes, a WebSocket held open to the mediator) and the
//! protocol state machines a holder plays: DID Exchange 1.0/1.1 and connections 1.0 as requester,
//! coordinate-mediation, trust ping. It knows nothing of load, stats or Locust: the engine times
//! what it calls, and every failure comes back as a [`HolderError`] whose text says what failed.
//!
//! Its modules import downwards only: `error` and `keyring` at the bottom; then `pairwise` (an
//! established connection and the packing for it) and `delivery` (what opening a pickup
//! delivery gave); the `inbox`, which unpacks and routes what arrives; the transports, `ws` and
//! then `outbound`; and on top the protocols: `connection`, `mediation`, `pickup`, and the holder
//! that plays them.

pub mod anoncreds;
pub mod basic_message;
pub mod connection;
pub mod credential;
pub mod definition;
pub mod delivery;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod holder;
pub mod inbound;
pub mod inbox;
pub mod invitation_link;
pub mod keyring;
pub mod mediation;
pub mod outbound;
pub mod pairwise;
pub mod pickup;
pub mod ports;
pub mod presentation;
pub mod router;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod ws;

pub use connection::Connection;
pub use error::HolderError;
pub use holder::{Holder, HolderConfig, MediatorSession};
