//! The holder side of AnonCreds (legacy Indy CL credentials), over the `indy-credx` crate.
//!
//! A [`Wallet`] per simulated holder keeps a link secret (created on first use), the
//! credential definitions it was given and the credentials it stored. It builds credential
//! requests, checks and stores credentials, and answers proof requests, choosing credentials by
//! the request's restrictions and attribute names. Everything here is plain JSON in, JSON out
//! and no network I/O (a tails file is read from disk): the DIDComm messages that carry these
//! payloads live in `holder::anoncreds`, the ledger and tails downloads in the `ledger` crate.
//!
//! This is its own crate because `indy-credx` is heavy (CL signatures over OpenSSL bignums,
//! about 80 crates): only what uses AnonCreds pays for building it.

pub mod choose;
pub mod error;
pub mod revocation;
pub mod select;
#[cfg(any(test, feature = "test-util"))]
pub mod test_issuer;
pub mod wallet;

pub use error::AnonCredsError;
pub use revocation::{Interval, RegistryAt, RegistryNeed, RegistryStates};
pub use wallet::{
    legacy_cred_def, unix_now, CredentialRequest, PendingRequest, PresentationPlan,
    StoredCredential, Wallet, LINK_SECRET_ID,
};

/// The issuer and verifier functions, for tests and tools that play the other roles.
pub use indy_credx;
