//! Issue Credential 1.0 (RFC 0036) and 2.0 (RFC 0453) as the holder of an AnonCreds (Indy)
//! credential: offer received → request → credential → ack.
//!
//! Field names, checked against ACA-Py 0.12.8 (`protocols/issue_credential/v1_0/messages`,
//! `v2_0/messages`): the offer's libindy offer is in `offers~attach`, our request in
//! `requests~attach`, the credential in `credentials~attach`; 2.0 messages add `formats`. The
//! request and the ack carry `~thread.thid` = the offer's thread. The ack (`status: OK`) moves
//! the issuer's record to `credential_acked` (1.0) / `done` (2.0).
//!
//! The credential definition is an input: the holder would fetch it from the ledger; a scenario
//! gets it from wherever it can (see the book's AnonCreds page on ACA-Py's `GET /credential-definitions/{id}`).
//! A revocable credential is checked against its revocation registry's definition, read from
//! the ledger, and the registry's tails file is fetched then (as ACA-Py's holder does), so a
//! later proof of non-revocation finds it.

use std::time::Duration;

use akrida_anoncreds::{PendingRequest, Wallet};
use didcomm::diddoc::unqualified_did;
use didcomm::message::{new_message, set_thread, Message};
use serde_json::{json, Value};

use super::formats::{
    family_of, payload_fields, payload_json, FormatFamily, Payload, ProtocolVersion,
};
use super::registries::RevocationReads;
use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

const PROTOCOL: &str = "issue-credential";

/// A received offer of an AnonCreds credential.
#[derive(Debug, Clone)]
pub struct IndyOffer {
    /// The exchange's thread (the offer's thread id).
    pub thread_id: String,
    pub version: ProtocolVersion,
    pub family: FormatFamily,
    /// The libindy credential offer (`schema_id`, `cred_def_id`, `key_correctness_proof`, `nonce`).
    pub offer: Value,
}

impl IndyOffer {
    /// Reads an `offer-credential` of either version that carries an AnonCreds offer.
    pub fn parse(message: &Message) -> Result<Self, HolderError> {
        let version = super::formats::version_of(message, PROTOCOL, "offer-credential").ok_or(
            HolderError::UnexpectedReply {
                step: "credential offer",
                got: message.short_type(),
            },
        )?;
        let family = match version {
            ProtocolVersion::V1 => FormatFamily::Hlindy,
            ProtocolVersion::V2 => family_of(message, Payload::Offer).ok_or_else(|| {
                HolderError::Protocol(format!(
                    "{}: offers no AnonCreds format ({} or {})",
                    message.short_type(),
                    Payload::Offer.format(FormatFamily::Hlindy),
                    Payload::Offer.format(FormatFamily::AnonCreds)
                ))
            })?,
        };
        let thread_id = message
            .thread_id()
            .ok_or_else(|| message.missing("@id"))?
            .to_string();
        let offer = payload_json(message, version, family, Payload::Offer)?;
        Ok(Self {
            thread_id,
            version,
            family,
            offer,
        })
    }

    /// The credential definition the offer is for: the one the holder must have to answer.
    pub fn cred_def_id(&self) -> Result<&str, HolderError> {
        self.offer["cred_def_id"]
            .as_str()
            .ok_or_else(|| HolderError::Protocol("credential offer has no cred_def_id".into()))
    }
}

/// True for an offer of either version that carries an AnonCreds offer.
pub fn is_indy_offer(message: &Message) -> bool {
    match super::formats::version_of(message, PROTOCOL, "offer-credential") {
        Some(ProtocolVersion::V1) => message.value["offers~attach"].is_array(),
        Some(ProtocolVersion::V2) => family_of(message, Payload::Offer).is_some(),
        None => false,
    }
}

/// The DID to name as `prover_did` in the request: the connection's DID when it is an
/// unqualified Indy DID, else the one derived from our connection key — what ACA-Py does as a
/// holder (`default_did_from_verkey`) when its own DID is not unqualified.
pub fn prover_did(connection: &Connection) -> String {
    if !connection.my_did.starts_with("did:") && !connection.my_did.is_empty() {
        connection.my_did.clone()
    } else {
        unqualified_did(&connection.my_key.verkey())
    }
}

fn message_type(version: ProtocolVersion, name: &str) -> String {
    format!("https://didcomm.org/{PROTOCOL}/{}/{name}", version.as_str())
}

/// The `request-credential` answering `offer` with the libindy credential request `request`.
pub fn request_message(offer: &IndyOffer, request: &Value) -> Value {
    let fields = payload_fields(offer.version, offer.family, Payload::Request, request);
    let mut message = new_message(
        &message_type(offer.version, "request-credential"),
        Value::Object(fields),
    );
    set_thread(&mut message, &offer.thread_id, None);
    message
}

/// The libindy credential in an `issue-credential` message of the offer's exchange.
pub fn credential_of(issued: &Message, offer: &IndyOffer) -> Result<Value, HolderError> {
    if super::formats::version_of(issued, PROTOCOL, "issue-credential") != Some(offer.version) {
        return Err(HolderError::UnexpectedReply {
            step: "credential",
            got: issued.short_type(),
        });
    }
    payload_json(issued, offer.version, offer.family, Payload::Credential)
}

/// The `ack` that closes the exchange on `thread_id`.
pub fn ack_message(version: ProtocolVersion, thread_id: &str) -> Value {
    let mut ack = new_message(&message_type(version, "ack"), json!({"status": "OK"}));
    set_thread(&mut ack, thread_id, None);
    ack
}

/// Builds the request for `offer` in `wallet`: returns the message to send and what to keep.
pub fn prepare_request(
    offer: &IndyOffer,
    wallet: &mut Wallet,
    cred_def: &Value,
    prover_did: &str,
) -> Result<(Value, PendingRequest), HolderError> {
    let built = wallet.create_request(&offer.offer, cred_def, prover_did)?;
    Ok((request_message(offer, &built.request), built.pending))
}

/// A credential received, stored and acknowledged.
#[derive(Debug, Clone)]
pub struct IndyIssued {
    pub thread_id: String,
    /// The credential's referent in the wallet.
    pub referent: String,
    /// Whether this holder downloaded the credential's tails file (the first of the process
    /// to need that registry).
    pub tails_downloaded: bool,
}

/// Accepts an AnonCreds `offer` (received on `connection`): sends the request over `channel`,
/// waits for the credential, checks and stores it in `wallet`, and acknowledges it.
/// `cred_def` is the credential definition JSON of the offer's `cred_def_id`; `revocation`
/// reads the registry of a revocable credential.
#[allow(clippy::too_many_arguments)]
pub async fn accept_indy_offer(
    offer: &Message,
    connection: &Connection,
    wallet: &mut Wallet,
    cred_def: &Value,
    revocation: RevocationReads<'_>,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<IndyIssued, HolderError> {
    let offer = IndyOffer::parse(offer)?;
    let (request, pending) = {
        let (offer, cred_def, did) = (offer.clone(), cred_def.clone(), prover_did(connection));
        super::off_reactor(wallet, move |w| prepare_request(&offer, w, &cred_def, &did)).await??
    };

    let reply = inbox.expect_reply(&offer.thread_id);
    channel.send(connection.pack(&request)?, inbox).await?;
    let issued = reply.wait("credential", timeout).await?;
    let credential = credential_of(&issued, &offer)?;
    let registry = match credential["rev_reg_id"].as_str() {
        Some(rev_reg_id) => Some(revocation.registry(rev_reg_id).await?),
        None => None,
    };
    let tails_downloaded = registry.as_ref().is_some_and(|r| r.downloaded);
    let definition = registry.map(|r| r.definition);
    let referent = super::off_reactor(wallet, move |w| {
        w.store_credential(&credential, pending, definition.as_ref())
    })
    .await??;

    let ack = ack_message(offer.version, &offer.thread_id);
    channel.send(connection.pack(&ack)?, inbox).await?;
    Ok(IndyIssued {
        thread_id: offer.thread_id,
        referent,
        tails_downloaded,
    })
}
