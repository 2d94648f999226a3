//! Issue Credential 2.0 (RFC 0453) as the holder, for W3C JSON-LD credentials
//! (`aries/ld-proof-vc-detail@v1.0`, RFC 0593): offer received → request → credential → ack.
//!
//! What each message carries, checked against ACA-Py 0.12.8:
//! - the offer holds the credential detail (`{"credential": …, "options": …}`) in
//!   `offers~attach`, named by `formats[].attach_id`;
//! - the request must repeat that detail unchanged, except that the holder may fill in
//!   `credentialSubject.id` when the offer left it out (late binding); ACA-Py refuses anything else;
//! - the credential comes back as `aries/ld-proof-vc@v1.0` in `credentials~attach`;
//! - the ack (`status: OK`) moves the issuer's record to `done`.
//!
//! Issuance needs no signature from the holder. The credential is checked before the ack: the
//! subject we asked for, the issuer the offer named, and the issuer's `Ed25519Signature2018`
//! proof verified by the issuer's did:key (`ldp`, offline canonicalisation).

use std::time::Duration;

use didcomm::attachment::attachment_bytes;
use didcomm::message::{new_message, set_thread, Message};
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

/// The offer/request format of a JSON-LD credential (RFC 0593).
pub const LD_PROOF_DETAIL: &str = "aries/ld-proof-vc-detail@v1.0";
/// The issued-credential format of a JSON-LD credential (RFC 0593).
pub const LD_PROOF_VC: &str = "aries/ld-proof-vc@v1.0";

pub const REQUEST_CREDENTIAL: &str = "https://didcomm.org/issue-credential/2.0/request-credential";
pub const ACK: &str = "https://didcomm.org/issue-credential/2.0/ack";

/// The attachment id our request uses for its one format.
const REQUEST_ATTACH_ID: &str = "ld_proof";

/// A credential received and acknowledged.
#[derive(Debug, Clone)]
pub struct IssuedCredential {
    /// The exchange's thread (the offer's thread id).
    pub thread_id: String,
    /// The W3C verifiable credential, with the issuer's `proof`.
    pub credential: Value,
}

/// True for an issue-credential 2.x offer.
pub fn is_offer(message: &Message) -> bool {
    is_v2(message, "offer-credential")
}

fn is_v2(message: &Message, name: &str) -> bool {
    let short = message.short_type();
    let mut parts = short.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("issue-credential"), Some(version), Some(n)) if version.starts_with("2.") && n == name
    )
}

/// The attachment of `format` in a message's `formats` + `<list>` pair, decoded as JSON.
pub fn format_attachment(
    message: &Message,
    list: &'static str,
    format: &str,
) -> Result<Value, HolderError> {
    let formats = message.value["formats"]
        .as_array()
        .ok_or_else(|| message.missing("formats"))?;
    let attach_id = formats
        .iter()
        .find(|f| f["format"].as_str() == Some(format))
        .and_then(|f| f["attach_id"].as_str())
        .ok_or_else(|| {
            let offered: Vec<&str> = formats
                .iter()
                .filter_map(|f| f["format"].as_str())
                .collect();
            HolderError::Protocol(format!(
                "{}: no {format} attachment (formats: {})",
                message.short_type(),
                offered.join(", ")
            ))
        })?;
    let attachments = message.value[list]
        .as_array()
        .ok_or_else(|| message.missing(list))?;
    let attachment = attachments
        .iter()
        .find(|a| a["@id"].as_str() == Some(attach_id))
        .ok_or_else(|| {
            HolderError::Protocol(format!(
                "{}: formats name attachment {attach_id:?}, {list} has none with that @id",
                message.short_type()
            ))
        })?;
    // RFC 0017 allows inline JSON as well as base64.
    if let Some(inline) = attachment["data"].get("json") {
        return Ok(inline.clone());
    }
    let bytes = attachment_bytes(attachment)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        HolderError::Protocol(format!(
            "{}: attachment {attach_id:?} is not JSON: {e}",
            message.short_type()
        ))
    })
}

/// The request detail for an offer: the offered detail, with `credentialSubject.id` set to
/// `subject_did` when the offer leaves it out. A subject the offer names is kept as is.
pub fn request_detail(offer_detail: &Value, subject_did: &str) -> Result<Value, HolderError> {
    let mut detail = offer_detail.clone();
    let subject = detail
        .get_mut("credential")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| HolderError::Protocol("offer detail has no credential object".into()))?
        .entry("credentialSubject")
        .or_insert_with(|| json!({}));
    match subject {
        Value::Object(fields) => {
            if !fields.get("id").is_some_and(Value::is_string) {
                fields.insert("id".into(), Value::String(subject_did.into()));
            }
        }
        _ => {
            return Err(HolderError::Protocol(
                "offer detail: credentialSubject is not an object".into(),
            ))
        }
    }
    Ok(detail)
}

/// The request-credential message answering an offer on thread `thread_id`.
pub fn request_message(thread_id: &str, detail: &Value) -> Value {
    let bytes = serde_json::to_vec(detail).expect("a serde_json::Value always serialises");
    let mut request = new_message(
        REQUEST_CREDENTIAL,
        json!({
            "formats": [{"attach_id": REQUEST_ATTACH_ID, "format": LD_PROOF_DETAIL}],
            "requests~attach": [{
                "@id": REQUEST_ATTACH_ID,
                "mime-type": "application/json",
                "data": {"base64": didcomm::b64::encode_std(bytes)},
            }],
        }),
    );
    set_thread(&mut request, thread_id, None);
    request
}

/// Checks the shape of an issued credential against what was requested.
pub fn check_credential(credential: &Value, requested: &Value) -> Result<(), HolderError> {
    let bad = |why: String| HolderError::Protocol(format!("issued credential: {why}"));
    if !credential.get("proof").is_some_and(Value::is_object) {
        return Err(bad("has no proof".into()));
    }
    let wanted_subject = requested["credential"]["credentialSubject"]["id"].as_str();
    let got_subject = credential["credentialSubject"]["id"].as_str();
    if wanted_subject.is_some() && wanted_subject != got_subject {
        return Err(bad(format!(
            "subject is {got_subject:?}, the request asked for {wanted_subject:?}"
        )));
    }
    let issuer_id = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    let wanted_issuer = issuer_id(&requested["credential"]["issuer"]);
    let got_issuer = issuer_id(&credential["issuer"]);
    if wanted_issuer.is_some() && wanted_issuer != got_issuer {
        return Err(bad(format!(
            "issuer is {got_issuer:?}, the offer named {wanted_issuer:?}"
        )));
    }
    Ok(())
}

/// Verifies the issuer's signature, and that the key that made it is the issuer's.
pub fn verify_issuer_proof(credential: &Value) -> Result<(), HolderError> {
    let bad = |why: String| HolderError::Protocol(format!("issued credential: {why}"));
    let proof = ldp::verify(credential).map_err(|e| bad(e.to_string()))?;
    let method = proof["verificationMethod"].as_str().unwrap_or_default();
    let signer = method.split('#').next().unwrap_or_default();
    let issuer = match &credential["issuer"] {
        Value::Object(o) => o.get("id").and_then(Value::as_str).unwrap_or_default(),
        other => other.as_str().unwrap_or_default(),
    };
    if signer != issuer {
        return Err(bad(format!(
            "signed by {signer}, but the issuer is {issuer}"
        )));
    }
    Ok(())
}

/// Accepts `offer` (received on `connection`): sends the request over `channel`, waits for the
/// credential, checks it and acknowledges it.
pub async fn accept_offer(
    offer: &Message,
    connection: &Connection,
    subject_did: &str,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<IssuedCredential, HolderError> {
    if !is_offer(offer) {
        return Err(HolderError::UnexpectedReply {
            step: "credential offer",
            got: offer.short_type(),
        });
    }
    let thread_id = offer
        .thread_id()
        .ok_or_else(|| offer.missing("@id"))?
        .to_string();
    let offered = format_attachment(offer, "offers~attach", LD_PROOF_DETAIL)?;
    let detail = request_detail(&offered, subject_did)?;
    let request = request_message(&thread_id, &detail);

    let reply = inbox.expect_reply(&thread_id);
    channel.send(connection.pack(&request)?, inbox).await?;
    let issued = reply.wait("credential", timeout).await?;
    if !is_v2(&issued, "issue-credential") {
        return Err(HolderError::UnexpectedReply {
            step: "credential",
            got: issued.short_type(),
        });
    }
    let credential = format_attachment(&issued, "credentials~attach", LD_PROOF_VC)?;
    check_credential(&credential, &detail)?;
    verify_issuer_proof(&credential)?;

    let mut ack = new_message(ACK, json!({"status": "OK"}));
    set_thread(&mut ack, &thread_id, None);
    channel.send(connection.pack(&ack)?, inbox).await?;
    Ok(IssuedCredential {
        thread_id,
        credential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(detail: &Value) -> Message {
        let bytes = serde_json::to_vec(detail).unwrap();
        Message::from_bytes(
            json!({
                "@type": "https://didcomm.org/issue-credential/2.0/offer-credential",
                "@id": "offer-1",
                "formats": [{"attach_id": "a1", "format": LD_PROOF_DETAIL}],
                "offers~attach": [{"@id": "a1", "mime-type": "application/json",
                                   "data": {"base64": didcomm::b64::encode_std(bytes)}}],
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    fn detail(subject: Value) -> Value {
        json!({"credential": {"@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"], "issuer": "did:key:zIssuer",
            "issuanceDate": "2024-01-01T00:00:00Z", "credentialSubject": subject},
            "options": {"proofType": "Ed25519Signature2018"}})
    }

    #[test]
    fn offer_is_recognised_and_decoded() {
        let d = detail(json!({"name": "Alice"}));
        let o = offer(&d);
        assert!(is_offer(&o));
        assert_eq!(
            format_attachment(&o, "offers~attach", LD_PROOF_DETAIL).unwrap(),
            d
        );
        let wrong = format_attachment(&o, "offers~attach", LD_PROOF_VC).unwrap_err();
        assert!(
            wrong.to_string().contains("no aries/ld-proof-vc@v1.0"),
            "{wrong}"
        );
    }

    #[test]
    fn late_binding_fills_only_a_missing_subject() {
        let bound = request_detail(&detail(json!({"name": "Alice"})), "did:key:zMe").unwrap();
        assert_eq!(
            bound["credential"]["credentialSubject"]["id"],
            "did:key:zMe"
        );
        assert_eq!(bound["credential"]["credentialSubject"]["name"], "Alice");
        assert_eq!(bound["options"]["proofType"], "Ed25519Signature2018");
        let given = detail(json!({"id": "did:key:zThem"}));
        let kept = request_detail(&given, "did:key:zMe").unwrap();
        assert_eq!(kept, given, "nothing else may change");
        assert!(request_detail(&json!({"options": {}}), "did:key:zMe").is_err());
    }

    #[test]
    fn request_repeats_the_thread_and_detail() {
        let d = detail(json!({"id": "did:key:zMe"}));
        let request =
            Message::from_bytes(request_message("t1", &d).to_string().as_bytes()).unwrap();
        assert_eq!(request.thread_id(), Some("t1"));
        assert_eq!(
            format_attachment(&request, "requests~attach", LD_PROOF_DETAIL).unwrap(),
            d
        );
    }

    #[test]
    fn the_issuers_signature_is_verified() {
        let issued: Value = serde_json::from_str(include_str!(
            "../../ldp/testdata/acapy_issued_credential.json"
        ))
        .unwrap();
        verify_issuer_proof(&issued).unwrap();
        let mut tampered = issued.clone();
        tampered["credentialSubject"]["score"] = json!("999");
        let err = verify_issuer_proof(&tampered).unwrap_err().to_string();
        assert!(err.contains("signature does not verify"), "{err}");
        let mut other_issuer = issued;
        other_issuer["issuer"] = json!("did:key:z6MkfRZ3UidrkuuRFpz6q5wxCYW8Y7u1bZMMA3ERfGiohLQW");
        assert!(verify_issuer_proof(&other_issuer).is_err());
    }

    #[test]
    fn credential_shape_is_checked() {
        let requested = detail(json!({"id": "did:key:zMe"}));
        let mut vc = requested["credential"].clone();
        assert!(check_credential(&vc, &requested).is_err(), "no proof");
        vc["proof"] = json!({"type": "Ed25519Signature2018"});
        check_credential(&vc, &requested).unwrap();
        vc["credentialSubject"]["id"] = json!("did:key:zOther");
        assert!(check_credential(&vc, &requested).is_err(), "wrong subject");
    }
}
