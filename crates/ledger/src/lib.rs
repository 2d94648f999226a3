//! What AnonCreds holders read from outside their wallets, shared by every holder of the
//! process:
//!
//! - [`Ledger`]: an Indy ledger, reached from its genesis transactions through indy-vdr (the
//!   client Credo and ACA-Py use): revocation registry definitions (kept once read: they never
//!   change) and registry deltas up to a time (read each time a holder proves, as a wallet does);
//! - [`TailsCache`]: the tails file of each revocation registry, downloaded once from its
//!   `tailsLocation` (bounded in size, checked against `tailsHash`) while every holder that
//!   needs it meanwhile waits on that one download.
//!
//! No DIDComm and no AnonCreds cryptography here: the `akrida-anoncreds` crate turns what is read into
//! revocation states and proofs.

pub mod error;
pub mod genesis;
pub mod indy;
pub mod once_per_key;
pub mod tails;

pub use error::LedgerError;
pub use genesis::Genesis;
pub use indy::Ledger;
pub use tails::{TailsCache, TailsFile};
