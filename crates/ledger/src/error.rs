//! What can go wrong reading from a ledger or a tails server, worded for a load report's
//! failure table: each text names the ledger, registry or URL, and the cause.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The genesis transactions could not be read or do not describe a pool.
    #[error("genesis {source_name}: {reason}")]
    Genesis { source_name: String, reason: String },
    /// The ledger's nodes did not answer, or not in agreement.
    #[error("{ledger} did not answer {what}: {reason}")]
    Unanswered {
        ledger: String,
        what: String,
        reason: String,
    },
    /// The ledger answered, but has no such object.
    #[error("{ledger} has no {what}")]
    NotFound { ledger: String, what: String },
    /// The ledger's answer is not what a ledger answers.
    #[error("{ledger} answered {what} with something unexpected: {reason}")]
    Unexpected {
        ledger: String,
        what: String,
        reason: String,
    },
    /// A tails file could not be fetched or is not the registry's.
    #[error("tails file of revocation registry {rev_reg_id} ({location}): {reason}")]
    Tails {
        rev_reg_id: String,
        location: String,
        reason: String,
    },
}
