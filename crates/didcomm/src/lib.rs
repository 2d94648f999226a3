//! The DIDComm v1 core of akrida: key pairs, `did:key` / `did:peer`, the RFC 0019 encryption
//! envelope (pack / unpack, authcrypt and anoncrypt), forward wrapping through routing keys,
//! and invitation parsing.
//!
//! This crate does no I/O: it turns bytes into bytes, so that every piece can be tested alone and
//! fuzzed. Everything that comes from outside (envelopes, invitations, DIDs) returns a typed error
//! that names what was wrong; nothing here panics on input.

pub mod attachment;
pub mod b64;
pub mod did_key;
pub mod did_peer;
pub mod diddoc;
pub mod envelope;
pub mod forward;
pub mod invitation;
pub mod keys;
pub mod message;
pub mod time;

pub use envelope::{pack, unpack, EnvelopeError, PairKey, Unpacked};
pub use invitation::{parse_invitation, Invitation, InvitationError, Service};
pub use keys::{KeyError, KeyPair, VerKey};
