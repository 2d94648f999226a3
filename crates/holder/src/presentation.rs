//! Present Proof 2.0 (RFC 0454) as the prover, for JSON-LD credentials with DIF Presentation
//! Exchange (RFC 0510): request received → presentation sent → the verifier's ack.
//!
//! What each message carries, checked against ACA-Py 0.12.8 as verifier:
//! - the request holds `{"options": {"challenge", "domain"}, "presentation_definition": …}` under
//!   format `dif/presentation-exchange/definitions@v1.0`;
//! - the presentation is a Verifiable Presentation (credentials v1 context) holding the chosen
//!   credentials and a `presentation_submission` whose descriptor map points each input
//!   descriptor at `$.verifiableCredential[i]`, signed `Ed25519Signature2018` for
//!   `authentication` with the request's challenge and domain by the holder's did:key (the
//!   credentials' subject) — ACA-Py refuses a presentation without a proof;
//! - ACA-Py verifies it (the VP's proof and each credential's) and, when the request said
//!   `will_confirm`, acks with `verification_result`.
//!
//! Credentials are chosen by the definition's input descriptors (see [`crate::definition`]).
//! Selective disclosure (`limit_disclosure`) needs BBS+ signatures and is refused with a clear
//! error.

use std::time::Duration;

use didcomm::message::{new_id, new_message, set_thread, Message};
use didcomm::KeyPair;
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::credential::format_attachment;
pub use crate::definition::select_credentials;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

/// The request format of a DIF presentation definition.
pub const DIF_DEFINITION: &str = "dif/presentation-exchange/definitions@v1.0";
/// The presentation format of a DIF submission.
pub const DIF_SUBMISSION: &str = "dif/presentation-exchange/submission@v1.0";
pub const PRESENTATION: &str = "https://didcomm.org/present-proof/2.0/presentation";

const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
const ATTACH_ID: &str = "dif";

/// True for a present-proof 2.x request.
pub fn is_request(message: &Message) -> bool {
    let short = message.short_type();
    let mut parts = short.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("present-proof"), Some(version), Some("request-presentation")) if version.starts_with("2.")
    )
}

/// A presentation answered and, if the verifier confirms, acknowledged.
#[derive(Debug, Clone)]
pub struct Presented {
    pub thread_id: String,
    /// The verifier's `verification_result` from its ack, when it sent one.
    pub verification_result: Option<String>,
}

/// The unsigned Verifiable Presentation for `definition` from the chosen credentials.
pub fn presentation_document(
    definition: &Value,
    credentials: &[Value],
    chosen: &[(String, usize)],
) -> Value {
    let mut included: Vec<usize> = Vec::new();
    let mut descriptor_map = Vec::new();
    for (descriptor_id, index) in chosen {
        let position = match included.iter().position(|i| i == index) {
            Some(position) => position,
            None => {
                included.push(*index);
                included.len() - 1
            }
        };
        descriptor_map.push(json!({
            "id": descriptor_id,
            "format": "ldp_vp",
            "path": format!("$.verifiableCredential[{position}]"),
        }));
    }
    let credentials: Vec<Value> = included.iter().map(|i| credentials[*i].clone()).collect();
    json!({
        "@context": [CREDENTIALS_V1],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": credentials,
        "presentation_submission": {
            "id": new_id(),
            "definition_id": definition["id"],
            "descriptor_map": descriptor_map,
        },
    })
}

/// A present-proof 2.0 problem report abandoning the exchange on `thread_id`.
pub fn problem_report(thread_id: &str, reason: &str) -> Value {
    let mut report = new_message(
        "https://didcomm.org/present-proof/2.0/problem-report",
        json!({"description": {"code": "abandoned", "en": reason}}),
    );
    set_thread(&mut report, thread_id, None);
    report
}

/// The presentation message answering the request on `thread_id`.
pub fn presentation_message(thread_id: &str, presentation: &Value) -> Value {
    let mut message = new_message(
        PRESENTATION,
        json!({
            "formats": [{"attach_id": ATTACH_ID, "format": DIF_SUBMISSION}],
            "presentations~attach": [{
                "@id": ATTACH_ID,
                "mime-type": "application/json",
                "data": {"json": presentation},
            }],
        }),
    );
    set_thread(&mut message, thread_id, None);
    message
}

/// Answers `request` (received on `connection`) from `credentials` (oldest first): chooses
/// credentials, signs the presentation with `subject_key` (the did:key the credentials were
/// issued to), sends it, and waits for the verifier's ack when it promised one.
pub async fn respond_to_request(
    request: &Message,
    connection: &Connection,
    credentials: &[Value],
    subject_key: &KeyPair,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<Presented, HolderError> {
    if !is_request(request) {
        return Err(HolderError::UnexpectedReply {
            step: "proof request",
            got: request.short_type(),
        });
    }
    let thread_id = request
        .thread_id()
        .ok_or_else(|| request.missing("@id"))?
        .to_string();
    let dif = format_attachment(request, "request_presentations~attach", DIF_DEFINITION)?;
    let definition = &dif["presentation_definition"];
    let chosen = match select_credentials(definition, credentials) {
        Ok(chosen) => chosen,
        Err(e) => {
            // Tell the verifier, so its record ends `abandoned` instead of waiting forever
            // (ACA-Py accepts only the code `abandoned` here).
            let report = problem_report(&thread_id, &e.to_string());
            let _ = channel.send(connection.pack(&report)?, inbox).await;
            return Err(e);
        }
    };
    let unsigned = presentation_document(definition, credentials, &chosen);
    let options = ldp::ProofOptions {
        purpose: "authentication".into(),
        challenge: dif["options"]["challenge"].as_str().map(str::to_string),
        domain: dif["options"]["domain"].as_str().map(str::to_string),
        created: didcomm::time::now_rfc3339(),
    };
    let signed = ldp::sign(&unsigned, subject_key, &options)
        .map_err(|e| HolderError::Protocol(format!("signing the presentation: {e}")))?;

    let will_confirm = request.value["will_confirm"] == true;
    let reply = will_confirm.then(|| inbox.expect_reply(&thread_id));
    channel
        .send(
            connection.pack(&presentation_message(&thread_id, &signed))?,
            inbox,
        )
        .await?;
    let verification_result = match reply {
        Some(reply) => {
            let ack = reply.wait("presentation ack", timeout).await?;
            if !ack.short_type().ends_with("/ack") {
                return Err(HolderError::UnexpectedReply {
                    step: "presentation ack",
                    got: ack.short_type(),
                });
            }
            let result = ack.value["verification_result"]
                .as_str()
                .map(str::to_string);
            if result.as_deref() == Some("false") {
                return Err(HolderError::Protocol(
                    "the verifier says the presentation did not verify".into(),
                ));
            }
            result
        }
        None => None,
    };
    Ok(Presented {
        thread_id,
        verification_result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(kind: &str, score: &str) -> Value {
        json!({"@context": [CREDENTIALS_V1], "type": ["VerifiableCredential", kind],
               "credentialSubject": {"id": "did:key:zMe", "score": score}})
    }

    #[test]
    fn the_submission_points_at_the_included_credentials() {
        let held = vec![credential("A", "1"), credential("B", "2")];
        let vp = presentation_document(
            &json!({"id": "pd-9"}),
            &held,
            &[("x".into(), 1), ("y".into(), 1)],
        );
        assert_eq!(vp["verifiableCredential"].as_array().unwrap().len(), 1);
        assert_eq!(vp["presentation_submission"]["definition_id"], "pd-9");
        assert_eq!(
            vp["presentation_submission"]["descriptor_map"][1]["path"],
            "$.verifiableCredential[0]"
        );
    }
}
