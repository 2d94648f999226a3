//! Present Proof 1.0 (RFC 0037) and 2.0 (RFC 0454) as the prover, for AnonCreds (Indy) proof
//! requests: request received → presentation → ack.
//!
//! Field names, checked against ACA-Py 0.12.8 (`protocols/present_proof/v1_0/messages`,
//! `v2_0/messages`): the libindy proof request is in `request_presentations~attach`, our
//! presentation in `presentations~attach`; 2.0 messages add `formats`. After verifying, ACA-Py
//! sends `ack` on the thread with `verification_result` `"true"` or `"false"` (both versions),
//! so a presentation it rejected fails here rather than passing silently.
//!
//! When the request asks for non-revocation (`non_revoked`, for the request or per item), the
//! holder first reads what its plan needs — each revocable credential's registry delta up to
//! the interval's end from the ledger, and the registry's tails file — and proves against the
//! accumulator at the ledger time the delta names.

use std::time::Duration;

use akrida_anoncreds::Wallet;
use didcomm::message::{new_message, set_thread, Message};
use serde_json::Value;

use super::formats::{
    family_of, payload_fields, payload_json, version_of, FormatFamily, Payload, ProtocolVersion,
};
use super::registries::RevocationReads;
use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

const PROTOCOL: &str = "present-proof";

/// A received request for an AnonCreds presentation.
#[derive(Debug, Clone)]
pub struct IndyProofRequest {
    pub thread_id: String,
    pub version: ProtocolVersion,
    pub family: FormatFamily,
    /// The libindy proof request (`nonce`, `requested_attributes`, `requested_predicates`, ...).
    pub request: Value,
}

impl IndyProofRequest {
    /// Reads a `request-presentation` of either version that carries an AnonCreds proof request.
    pub fn parse(message: &Message) -> Result<Self, HolderError> {
        let version = version_of(message, PROTOCOL, "request-presentation").ok_or(
            HolderError::UnexpectedReply {
                step: "proof request",
                got: message.short_type(),
            },
        )?;
        let family = match version {
            ProtocolVersion::V1 => FormatFamily::Hlindy,
            ProtocolVersion::V2 => family_of(message, Payload::ProofRequest).ok_or_else(|| {
                HolderError::Protocol(format!(
                    "{}: requests no AnonCreds format ({} or {})",
                    message.short_type(),
                    Payload::ProofRequest.format(FormatFamily::Hlindy),
                    Payload::ProofRequest.format(FormatFamily::AnonCreds)
                ))
            })?,
        };
        let thread_id = message
            .thread_id()
            .ok_or_else(|| message.missing("@id"))?
            .to_string();
        let request = payload_json(message, version, family, Payload::ProofRequest)?;
        Ok(Self {
            thread_id,
            version,
            family,
            request,
        })
    }
}

/// True for a proof request of either version that carries an AnonCreds proof request.
pub fn is_indy_proof_request(message: &Message) -> bool {
    match version_of(message, PROTOCOL, "request-presentation") {
        Some(ProtocolVersion::V1) => message.value["request_presentations~attach"].is_array(),
        Some(ProtocolVersion::V2) => family_of(message, Payload::ProofRequest).is_some(),
        None => false,
    }
}

/// The `presentation` answering `request` with the libindy `presentation`.
pub fn presentation_message(request: &IndyProofRequest, presentation: &Value) -> Value {
    let fields = payload_fields(
        request.version,
        request.family,
        Payload::Proof,
        presentation,
    );
    let mut message = new_message(
        &format!(
            "https://didcomm.org/{PROTOCOL}/{}/presentation",
            request.version.as_str()
        ),
        Value::Object(fields),
    );
    set_thread(&mut message, &request.thread_id, None);
    message
}

/// Checks the verifier's answer to our presentation: an `ack` of the same version whose
/// `verification_result`, when present, is not `"false"`.
pub fn check_ack(answer: &Message, version: ProtocolVersion) -> Result<(), HolderError> {
    if version_of(answer, PROTOCOL, "ack") != Some(version) {
        return Err(HolderError::UnexpectedReply {
            step: "presentation ack",
            got: answer.short_type(),
        });
    }
    match answer.value["verification_result"].as_str() {
        Some("false") => Err(HolderError::PresentationRejected),
        _ => Ok(()),
    }
}

/// A presentation sent and acknowledged.
#[derive(Debug, Clone)]
pub struct IndyPresented {
    pub thread_id: String,
    /// Registry states read from the ledger for it (one per registry and time).
    pub registries_read: usize,
    /// Tails files this holder downloaded for it.
    pub tails_downloads: u64,
}

/// Answers an AnonCreds proof `request` (received on `connection`) from `wallet`: reads the
/// revocation registries the answer needs through `revocation`, sends the presentation over
/// `channel` and waits for the verifier's ack. (`&mut` only because the wallet moves to the
/// blocking pool while the proof is computed.)
pub async fn present_indy_proof(
    request: &Message,
    connection: &Connection,
    wallet: &mut Wallet,
    revocation: RevocationReads<'_>,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<IndyPresented, HolderError> {
    let request = IndyProofRequest::parse(request)?;
    let plan = wallet.plan_presentation(&request.request, akrida_anoncreds::unix_now())?;
    let needs = plan.needs();
    let (states, tails_downloads) = revocation.states(&needs).await?;
    let presentation = super::off_reactor(wallet, move |w| w.present(&plan, &states)).await??;
    let message = presentation_message(&request, &presentation);

    let reply = inbox.expect_reply(&request.thread_id);
    channel.send(connection.pack(&message)?, inbox).await?;
    let ack = reply.wait("presentation ack", timeout).await?;
    check_ack(&ack, request.version)?;
    Ok(IndyPresented {
        thread_id: request.thread_id,
        registries_read: needs.len(),
        tails_downloads,
    })
}
