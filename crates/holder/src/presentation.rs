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
//! Credentials are chosen by the definition's input descriptors: `schema` URIs against the
//! credential's types, and `constraints.fields` (JSONPath `path`s, with an optional JSON-schema
//! `filter`: `type`, `const`, `enum`, `pattern`). Selective disclosure (`limit_disclosure`)
//! needs BBS+ signatures and is refused with a clear error.

use std::time::Duration;

use didcomm::message::{new_id, new_message, set_thread, Message};
use didcomm::KeyPair;
use serde_json::{json, Value};

use crate::connection::Connection;
use crate::credential::format_attachment;
use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;

/// The request format of a DIF presentation definition.
pub const DIF_DEFINITION: &str = "dif/presentation-exchange/definitions@v1.0";
/// The presentation format of a DIF submission.
pub const DIF_SUBMISSION: &str = "dif/presentation-exchange/submission@v1.0";
pub const PRESENTATION: &str = "https://didcomm.org/present-proof/2.0/presentation";

const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// The schema URI that any W3C credential satisfies (its expanded base type).
const VC_TYPE_URI: &str = "https://www.w3.org/2018/credentials#VerifiableCredential";
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

/// Picks, for each input descriptor of `definition`, the newest credential of `credentials`
/// (oldest first) that satisfies it. Returns (descriptor id, credential index) pairs.
pub fn select_credentials(
    definition: &Value,
    credentials: &[Value],
) -> Result<Vec<(String, usize)>, HolderError> {
    let bad = |why: String| HolderError::Protocol(format!("presentation definition: {why}"));
    let descriptors = definition["input_descriptors"]
        .as_array()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad("no input_descriptors".into()))?;
    let mut chosen = Vec::new();
    for descriptor in descriptors {
        let id = descriptor["id"]
            .as_str()
            .ok_or_else(|| bad("an input descriptor has no id".into()))?;
        if descriptor["constraints"]["limit_disclosure"] == "required" {
            return Err(bad(format!(
                "input descriptor {id} requires limit_disclosure (BBS+ selective disclosure), which akrida's holder does not do"
            )));
        }
        let index = credentials
            .iter()
            .rposition(|credential| satisfies(descriptor, credential))
            .ok_or_else(|| {
                HolderError::Protocol(format!(
                    "no stored credential satisfies input descriptor {id} (of {} held)",
                    credentials.len()
                ))
            })?;
        chosen.push((id.to_string(), index));
    }
    Ok(chosen)
}

fn satisfies(descriptor: &Value, credential: &Value) -> bool {
    let schemas_ok = match descriptor["schema"].as_array() {
        Some(schemas) if !schemas.is_empty() => schemas
            .iter()
            .filter_map(|s| s["uri"].as_str())
            .any(|uri| has_type(credential, uri)),
        _ => true,
    };
    let fields_ok = descriptor["constraints"]["fields"]
        .as_array()
        .map(|fields| fields.iter().all(|field| field_matches(field, credential)))
        .unwrap_or(true);
    schemas_ok && fields_ok
}

/// Whether the credential's `type` names `uri`: the full IRI of the base type, or a type whose
/// name the URI ends with (`…#AkridaCredential`, `…/AkridaCredential`).
fn has_type(credential: &Value, uri: &str) -> bool {
    let types: Vec<&str> = match &credential["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types.iter().any(|t| {
        *t == uri
            || (uri == VC_TYPE_URI && *t == "VerifiableCredential")
            || uri
                .rsplit(['#', '/'])
                .next()
                .is_some_and(|name| !name.is_empty() && name == *t)
    })
}

/// A field constraint: one of its paths resolves, and the value passes its filter (if any).
fn field_matches(field: &Value, credential: &Value) -> bool {
    let Some(paths) = field["path"].as_array() else {
        return false;
    };
    let optional = field["optional"] == true;
    let found = paths
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|path| json_path(credential, path))
        .find(|value| field.get("filter").is_none_or(|f| passes(f, value)));
    found.is_some() || optional
}

/// The value at a simple JSONPath (`$.a.b`, `$.a[0]`, `$['a']`), if any.
pub fn json_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let mut rest = path.strip_prefix('$')?;
    let mut current = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            current = current.get(&after[..end])?;
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = after[..end].trim();
            current = if let Ok(index) = inside.parse::<usize>() {
                current.get(index)?
            } else {
                current.get(inside.trim_matches(['\'', '"']))?
            };
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(current)
}

/// The JSON-schema subset presentation definitions use in field filters.
fn passes(filter: &Value, value: &Value) -> bool {
    if let Some(expected) = filter.get("const") {
        if value != expected {
            return false;
        }
    }
    if let Some(options) = filter["enum"].as_array() {
        if !options.contains(value) {
            return false;
        }
    }
    if let Some(kind) = filter["type"].as_str() {
        let ok = match kind {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    if let Some(pattern) = filter["pattern"].as_str() {
        // A regex engine is more than load tests need: anchored literals and `.*` only.
        let text = value.as_str().unwrap_or_default();
        if !simple_pattern(pattern, text) {
            return false;
        }
    }
    true
}

/// `^literal$`, `literal` (contained), or literals joined by `.*`.
fn simple_pattern(pattern: &str, text: &str) -> bool {
    let anchored_start = pattern.starts_with('^');
    let anchored_end = pattern.ends_with('$') && !pattern.ends_with("\\$");
    let body = pattern.trim_start_matches('^');
    let body = if anchored_end {
        &body[..body.len() - 1]
    } else {
        body
    };
    let pieces: Vec<&str> = body.split(".*").collect();
    let mut at = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let Some(found) = text[at..].find(piece) else {
            return false;
        };
        if i == 0 && anchored_start && found != 0 {
            return false;
        }
        at += found + piece.len();
    }
    !anchored_end || pieces.last().is_none_or(|last| text.ends_with(last))
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

    fn definition(fields: Value, schema: &str) -> Value {
        json!({"id": "pd-1", "input_descriptors": [{"id": "d1",
            "schema": [{"uri": schema}], "constraints": {"fields": fields}}]})
    }

    #[test]
    fn json_paths_resolve() {
        let v = json!({"a": {"b": [1, {"c": "x"}]}, "type": ["T"]});
        assert_eq!(json_path(&v, "$.a.b[1].c"), Some(&json!("x")));
        assert_eq!(json_path(&v, "$['a']['b'][0]"), Some(&json!(1)));
        assert_eq!(json_path(&v, "$.type"), Some(&json!(["T"])));
        assert_eq!(json_path(&v, "$.missing"), None);
        assert_eq!(json_path(&v, "a.b"), None);
    }

    #[test]
    fn newest_matching_credential_is_chosen() {
        let held = vec![
            credential("AkridaCredential", "1"),
            credential("Other", "2"),
            credential("AkridaCredential", "3"),
        ];
        let pd = definition(
            json!([{"path": ["$.credentialSubject.score"]}]),
            "https://example.org/akrida#AkridaCredential",
        );
        assert_eq!(
            select_credentials(&pd, &held).unwrap(),
            vec![("d1".into(), 2)]
        );
        let pd = definition(
            json!([{"path": ["$.credentialSubject.score"], "filter": {"const": "2"}}]),
            VC_TYPE_URI,
        );
        assert_eq!(
            select_credentials(&pd, &held).unwrap(),
            vec![("d1".into(), 1)]
        );
    }

    #[test]
    fn nothing_matching_is_a_clear_error() {
        let held = vec![credential("AkridaCredential", "1")];
        let pd = definition(json!([{"path": ["$.credentialSubject.age"]}]), VC_TYPE_URI);
        let err = select_credentials(&pd, &held).unwrap_err().to_string();
        assert!(
            err.contains("no stored credential satisfies input descriptor d1"),
            "{err}"
        );
        let mut limited = definition(json!([]), VC_TYPE_URI);
        limited["input_descriptors"][0]["constraints"]["limit_disclosure"] = json!("required");
        let err = select_credentials(&limited, &held).unwrap_err().to_string();
        assert!(err.contains("limit_disclosure"), "{err}");
    }

    #[test]
    fn filters_and_patterns() {
        assert!(passes(
            &json!({"type": "string", "pattern": "^te.*t$"}),
            &json!("test")
        ));
        assert!(!passes(&json!({"pattern": "^x"}), &json!("test")));
        assert!(passes(&json!({"enum": ["a", "b"]}), &json!("b")));
        assert!(!passes(&json!({"type": "number"}), &json!("1")));
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
