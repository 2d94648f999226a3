//! Where AnonCreds payloads sit in DIDComm messages: protocol versions, attachment formats and
//! attachment ids, and reading one payload out of a message.
//!
//! - 1.0 protocols (RFC 0036 issue-credential, RFC 0037 present-proof) carry libindy payloads
//!   in fixed attachment lists; ACA-Py names the attachments `libindy-cred-offer-0`,
//!   `libindy-cred-request-0`, `libindy-cred-0`, `libindy-request-presentation-0` and
//!   `libindy-presentation-0`, and reads the first attachment of the list.
//! - 2.0 protocols (RFC 0453, RFC 0454) name each attachment's format in `formats`
//!   (`attach_id` + `format`). The Indy formats are RFC 0592's `hlindy/...@v2.0`; RFC 0771
//!   registers the same payloads as `anoncreds/...@v1.0`. ACA-Py 0.12.8 recognises a format by
//!   its `hlindy/` prefix only, so a reply uses the family the peer's message used.

use didcomm::attachment::attachment_bytes;
use didcomm::message::Message;
use serde_json::{json, Value};

use crate::error::HolderError;

/// The version of the issue-credential or present-proof protocol a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolVersion {
    V1,
    V2,
}

impl ProtocolVersion {
    /// `1.0` / `2.0`, as in message types.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V1 => "1.0",
            ProtocolVersion::V2 => "2.0",
        }
    }
}

/// Which registry of 2.0 format names a message uses. 1.0 messages have no format names; they
/// count as [`FormatFamily::Hlindy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatFamily {
    /// RFC 0592: `hlindy/cred-abstract@v2.0`, ... (what ACA-Py 0.12.8 sends and accepts).
    Hlindy,
    /// RFC 0771: `anoncreds/credential-offer@v1.0`, ...
    AnonCreds,
}

/// The payload kinds of the two protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Offer,
    Request,
    Credential,
    ProofRequest,
    Proof,
}

impl Payload {
    /// The 2.0 format identifier of this payload in `family`.
    pub fn format(self, family: FormatFamily) -> &'static str {
        match (family, self) {
            (FormatFamily::Hlindy, Payload::Offer) => "hlindy/cred-abstract@v2.0",
            (FormatFamily::Hlindy, Payload::Request) => "hlindy/cred-req@v2.0",
            (FormatFamily::Hlindy, Payload::Credential) => "hlindy/cred@v2.0",
            (FormatFamily::Hlindy, Payload::ProofRequest) => "hlindy/proof-req@v2.0",
            (FormatFamily::Hlindy, Payload::Proof) => "hlindy/proof@v2.0",
            (FormatFamily::AnonCreds, Payload::Offer) => "anoncreds/credential-offer@v1.0",
            (FormatFamily::AnonCreds, Payload::Request) => "anoncreds/credential-request@v1.0",
            (FormatFamily::AnonCreds, Payload::Credential) => "anoncreds/credential@v1.0",
            (FormatFamily::AnonCreds, Payload::ProofRequest) => "anoncreds/proof-request@v1.0",
            (FormatFamily::AnonCreds, Payload::Proof) => "anoncreds/proof@v1.0",
        }
    }

    /// The attachment list that carries this payload (same name in 1.0 and 2.0).
    pub fn list(self) -> &'static str {
        match self {
            Payload::Offer => "offers~attach",
            Payload::Request => "requests~attach",
            Payload::Credential => "credentials~attach",
            Payload::ProofRequest => "request_presentations~attach",
            Payload::Proof => "presentations~attach",
        }
    }

    /// The attachment id ACA-Py gives this payload in 1.0 messages; we use it in 2.0 too.
    pub fn v1_attach_id(self) -> &'static str {
        match self {
            Payload::Offer => "libindy-cred-offer-0",
            Payload::Request => "libindy-cred-request-0",
            Payload::Credential => "libindy-cred-0",
            Payload::ProofRequest => "libindy-request-presentation-0",
            Payload::Proof => "libindy-presentation-0",
        }
    }
}

/// The protocol version of an `issue-credential` / `present-proof` message named `name`, or
/// `None` for anything else.
pub fn version_of(message: &Message, protocol: &str, name: &str) -> Option<ProtocolVersion> {
    let short = message.short_type();
    let mut parts = short.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(version), Some(n)) if p == protocol && n == name => {
            if version.starts_with("1.") {
                Some(ProtocolVersion::V1)
            } else if version.starts_with("2.") {
                Some(ProtocolVersion::V2)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The 2.0 format family of a message carrying `payload`, when its `formats` name one.
pub fn family_of(message: &Message, payload: Payload) -> Option<FormatFamily> {
    let formats = message.value["formats"].as_array()?;
    [FormatFamily::Hlindy, FormatFamily::AnonCreds]
        .into_iter()
        .find(|family| {
            formats
                .iter()
                .any(|f| f["format"].as_str() == Some(payload.format(*family)))
        })
}

/// Reads `payload` out of `message` as JSON: in 1.0 the list's attachment with ACA-Py's id (or
/// the first, which is what ACA-Py reads), in 2.0 the attachment `formats` names for
/// `family`'s format.
pub fn payload_json(
    message: &Message,
    version: ProtocolVersion,
    family: FormatFamily,
    payload: Payload,
) -> Result<Value, HolderError> {
    let list = payload.list();
    let attachments = message.value[list]
        .as_array()
        .ok_or_else(|| message.missing(list))?;
    let attachment = match version {
        ProtocolVersion::V1 => attachments
            .iter()
            .find(|a| a["@id"].as_str() == Some(payload.v1_attach_id()))
            .or_else(|| attachments.first())
            .ok_or_else(|| protocol(message, format!("{list} is empty")))?,
        // 2.0 names the attachment in `formats`, as every 2.0 protocol does.
        ProtocolVersion::V2 => {
            return crate::credential::format_attachment(message, list, payload.format(family))
        }
    };
    if let Some(inline) = attachment["data"].get("json") {
        return Ok(inline.clone());
    }
    let bytes = attachment_bytes(attachment)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| protocol(message, format!("{list} attachment is not JSON: {e}")))
}

/// The fields a message carrying `payload` needs: the attachment list, plus `formats` in 2.0.
pub fn payload_fields(
    version: ProtocolVersion,
    family: FormatFamily,
    payload: Payload,
    content: &Value,
) -> serde_json::Map<String, Value> {
    let id = payload.v1_attach_id();
    let bytes = serde_json::to_vec(content).expect("a serde_json::Value always serialises");
    let mut fields = serde_json::Map::new();
    fields.insert(
        payload.list().into(),
        json!([{
            "@id": id,
            "mime-type": "application/json",
            "data": {"base64": didcomm::b64::encode_std(bytes)},
        }]),
    );
    if version == ProtocolVersion::V2 {
        fields.insert(
            "formats".into(),
            json!([{"attach_id": id, "format": payload.format(family)}]),
        );
    }
    fields
}

fn protocol(message: &Message, why: String) -> HolderError {
    HolderError::Protocol(format!("{}: {why}", message.short_type()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(value: Value) -> Message {
        Message::from_bytes(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn versions_are_read_from_either_prefix() {
        let legacy = message(json!({
            "@type": "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/issue-credential/1.0/offer-credential",
            "@id": "1"}));
        assert_eq!(
            version_of(&legacy, "issue-credential", "offer-credential"),
            Some(ProtocolVersion::V1)
        );
        let v2 = message(json!({
            "@type": "https://didcomm.org/present-proof/2.0/request-presentation", "@id": "1"}));
        assert_eq!(
            version_of(&v2, "present-proof", "request-presentation"),
            Some(ProtocolVersion::V2)
        );
        assert_eq!(version_of(&v2, "present-proof", "presentation"), None);
        let v3 = message(json!({
            "@type": "https://didcomm.org/present-proof/3.0/request-presentation", "@id": "1"}));
        assert_eq!(
            version_of(&v3, "present-proof", "request-presentation"),
            None
        );
    }

    #[test]
    fn payload_fields_round_trip_in_both_versions_and_families() {
        let payload = json!({"nonce": "123", "cred_def_id": "X:3:CL:1:t"});
        for (version, family) in [
            (ProtocolVersion::V1, FormatFamily::Hlindy),
            (ProtocolVersion::V2, FormatFamily::Hlindy),
            (ProtocolVersion::V2, FormatFamily::AnonCreds),
        ] {
            let mut value =
                Value::Object(payload_fields(version, family, Payload::Request, &payload));
            value["@type"] = json!(format!(
                "https://didcomm.org/issue-credential/{}/request-credential",
                version.as_str()
            ));
            value["@id"] = json!("r1");
            let m = message(value);
            assert_eq!(
                payload_json(&m, version, family, Payload::Request).unwrap(),
                payload
            );
            if version == ProtocolVersion::V2 {
                assert_eq!(family_of(&m, Payload::Request), Some(family));
                assert_eq!(m.value["formats"][0]["attach_id"], "libindy-cred-request-0");
            } else {
                assert!(
                    m.value.get("formats").is_none(),
                    "1.0 messages have no formats"
                );
            }
        }
    }

    #[test]
    fn inline_json_attachments_are_read_too() {
        let m = message(json!({
            "@type": "https://didcomm.org/issue-credential/2.0/offer-credential", "@id": "o",
            "formats": [{"attach_id": "a", "format": "hlindy/cred-abstract@v2.0"}],
            "offers~attach": [{"@id": "a", "data": {"json": {"nonce": "1"}}}]}));
        let offer = payload_json(
            &m,
            ProtocolVersion::V2,
            FormatFamily::Hlindy,
            Payload::Offer,
        );
        assert_eq!(offer.unwrap(), json!({"nonce": "1"}));
        let missing = payload_json(
            &m,
            ProtocolVersion::V2,
            FormatFamily::AnonCreds,
            Payload::Offer,
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("no anoncreds/credential-offer@v1.0 attachment (formats: hlindy/cred-abstract@v2.0)"), "{missing}");
    }
}
