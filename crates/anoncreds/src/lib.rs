//! The holder side of AnonCreds (legacy Indy CL credentials), over the `indy-credx` crate.
//!
//! A [`Wallet`] per simulated holder keeps a link secret (created on first use), the
//! credential definitions it was given and the credentials it stored. It builds credential
//! requests, checks and stores credentials, and answers proof requests, choosing credentials by
//! the request's restrictions and attribute names. Everything here is plain JSON in, JSON out
//! and no I/O: the DIDComm messages that carry these payloads live in `holder::anoncreds`.
//!
//! This is its own crate because `indy-credx` is heavy (CL signatures over OpenSSL bignums,
//! about 80 crates): only what uses AnonCreds pays for building it.

pub mod choose;
pub mod error;
pub mod select;
pub mod test_issuer;
pub mod wallet;

pub use error::AnonCredsError;
pub use wallet::{
    legacy_cred_def, CredentialRequest, PendingRequest, StoredCredential, Wallet, LINK_SECRET_ID,
};

/// The issuer and verifier functions, for tests and tools that play the other roles.
pub use indy_credx;
