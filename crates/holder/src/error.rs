//! Everything that can go wrong for one holder, worded for the failure table of a load report:
//! the text names the step, the peer and the cause, and carries no secret.

use std::time::Duration;

use didcomm::attachment::AttachmentError;
use didcomm::diddoc::DidDocError;
use didcomm::message::MessageError;
use didcomm::{EnvelopeError, InvitationError};
use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum HolderError {
    #[error("invitation: {0}")]
    Invitation(#[from] InvitationError),
    #[error("invitation offers no handshake protocol akrida speaks (offered: {offered})")]
    NoCommonHandshake { offered: String },
    #[error("POST {url} failed: {reason}")]
    Http { url: String, reason: String },
    #[error("POST {url} answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("WebSocket {url}: {reason}")]
    WebSocket { url: String, reason: String },
    #[error("WebSocket closed by peer ({0})")]
    SocketClosed(String),
    #[error("{step}: no answer within {}s", after.as_secs_f64())]
    Timeout { step: &'static str, after: Duration },
    #[error("envelope: {0}")]
    Envelope(#[from] EnvelopeError),
    #[error("message: {0}")]
    Message(#[from] MessageError),
    #[error("signed attachment: {0}")]
    Attachment(#[from] AttachmentError),
    #[error("peer DID document: {0}")]
    DidDoc(#[from] DidDocError),
    #[error("problem report: {0}")]
    ProblemReport(String),
    #[error("{step}: unexpected reply {got}")]
    UnexpectedReply { step: &'static str, got: String },
    #[error("{0}")]
    Protocol(String),
    /// A revocable credential, and no ledger to read its revocation registry from (the caller
    /// says which setting gives one).
    #[error("credential is revocable (revocation registry {rev_reg_id}) and akrida has no ledger to read the registry from")]
    NoLedger { rev_reg_id: String },
    /// Attachments of a Pickup 2.0 `delivery` the holder could not open. They were not
    /// acknowledged, so the mediator still holds them: a failure to see, never a delivery.
    #[error("pickup delivery: {unopened} of {total} attachment(s) not opened, so not acknowledged ({first})")]
    UnopenedDelivery {
        unopened: usize,
        total: usize,
        /// The first one: its `@id` and why it could not be opened.
        first: String,
    },
    /// The verifier acknowledged a presentation with `verification_result: "false"`.
    #[error("the verifier acknowledged the presentation with verification_result \"false\"")]
    PresentationRejected,
    #[error("anoncreds: {0}")]
    AnonCreds(#[from] akrida_anoncreds::AnonCredsError),
    /// Reading a revocation registry from the ledger, or its tails file.
    #[error("{0}")]
    Ledger(#[from] ::ledger::LedgerError),
    #[error("mediator offers no WebSocket endpoint (services: {0})")]
    NoWebSocketEndpoint(String),
    #[error("holder is shut down")]
    Closed,
}
