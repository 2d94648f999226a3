//! What can go wrong on the holder side of AnonCreds, worded for a load report's failure table:
//! each text names the object or step and the cause, and never carries the link secret.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AnonCredsError {
    /// A peer's JSON (offer, credential definition, credential, proof request) does not parse
    /// or has the wrong shape.
    #[error("{what} is not valid: {reason}")]
    Invalid { what: &'static str, reason: String },
    /// indy-credx refused an operation (a bad correctness proof, a signature that does not
    /// verify, ...).
    #[error("{step} failed: {reason}")]
    Refused { step: &'static str, reason: String },
    /// No stored credential can answer part of a proof request.
    #[error("{0}")]
    Unanswerable(String),
    /// A credential arrived for which no request is pending, or for another credential definition.
    #[error("{0}")]
    Mismatch(String),
}

impl AnonCredsError {
    pub(crate) fn invalid(what: &'static str, reason: impl ToString) -> Self {
        Self::Invalid {
            what,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn refused(step: &'static str, error: indy_credx::Error) -> Self {
        Self::Refused {
            step,
            reason: error.to_string(),
        }
    }
}

/// Parses a peer's JSON into an indy-credx type, naming `what` on failure.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: &serde_json::Value,
) -> Result<T, AnonCredsError> {
    T::deserialize(value).map_err(|e| AnonCredsError::invalid(what, e))
}
