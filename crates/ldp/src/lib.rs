//! Linked-data proofs for W3C JSON-LD credentials, as ACA-Py makes and checks them:
//! `Ed25519Signature2018` over the URDNA2015 canonical form of the document and of the proof
//! options, with a detached JWS.
//!
//! Everything is offline: the context documents ACA-Py itself bundles are embedded
//! ([`contexts`]), and a document naming any other remote context is refused with an error that
//! names it, rather than fetched.

pub mod canon;
pub mod contexts;
pub mod ed25519_2018;

pub use canon::canonize;
pub use ed25519_2018::{sign, verify, ProofOptions};

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LdpError {
    #[error("JSON-LD: {0}")]
    JsonLd(String),
    #[error("canonicalisation: {0}")]
    Canon(String),
    #[error("proof: {0}")]
    Proof(String),
    #[error("signature does not verify against {0}")]
    BadSignature(String),
}
