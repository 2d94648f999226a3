//! What the issuer is asked to issue and the verifier to request, built from owl-akrida's settings
//! (`CRED_ATTR`, `CRED_DEF`, `SCHEMA`, `CRED_FORMAT`, `ISSUER_DID`).
//!
//! A JSON-LD credential uses only the W3C credentials v1 context, which every ACA-Py bundles,
//! plus an inline context that defines the attribute names: no document has to be fetched from
//! the network, by the issuer, the holder or the verifier.

use serde_json::{json, Value};

/// The vocabulary of the inline context (never dereferenced).
const VOCABULARY: &str = "https://example.org/akrida#";
/// The credential's own type, after `VerifiableCredential`.
pub const CREDENTIAL_TYPE: &str = "AkridaCredential";
/// The proof suite asked of the issuer and used by holders for presentations.
pub const PROOF_TYPE: &str = "Ed25519Signature2018";

/// Terms the credentials v1 context already defines (protected): an attribute may not take them.
const RESERVED: &[&str] = &[
    "id",
    "type",
    "issuer",
    "issuanceDate",
    "expirationDate",
    "credentialSubject",
    "credentialStatus",
    "credentialSchema",
    "proof",
    "holder",
    "evidence",
    "refreshService",
    "termsOfUse",
];

/// The credential format (`CRED_FORMAT`, `--cred-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredFormat {
    LdProof,
    Indy,
    AnonCreds,
}

impl std::str::FromStr for CredFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ld_proof" | "ld-proof" | "jsonld" => Ok(Self::LdProof),
            "indy" => Ok(Self::Indy),
            "anoncreds" => Ok(Self::AnonCreds),
            other => Err(format!(
                "{other:?} is not a credential format: use ld_proof, indy or anoncreds"
            )),
        }
    }
}

impl std::fmt::Display for CredFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LdProof => "ld_proof",
            Self::Indy => "indy",
            Self::AnonCreds => "anoncreds",
        })
    }
}

/// One credential attribute, as owl-akrida's `CRED_ATTR` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// owl-akrida's default `CRED_ATTR`.
pub const DEFAULT_ATTRIBUTES: &str =
    r#"[{"mime-type": "text/plain", "name": "score", "value": "test"}]"#;

/// Parses `CRED_ATTR`: a JSON list of `{"name": …, "value": …}` (a `mime-type` is allowed).
pub fn parse_attributes(text: &str) -> Result<Vec<Attribute>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("CRED_ATTR is not JSON: {e}"))?;
    let list = value
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or("CRED_ATTR must be a non-empty JSON list of {\"name\", \"value\"} objects")?;
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item["name"]
                .as_str()
                .ok_or_else(|| format!("CRED_ATTR item {i} has no string \"name\""))?;
            let value = match &item["value"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(format!(
                        "CRED_ATTR item {i} ({name}) has no string \"value\""
                    ))
                }
            };
            let usable = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !usable {
                return Err(format!(
                    "CRED_ATTR name {name:?}: use letters, digits, '_' or '-' only"
                ));
            }
            Ok(Attribute {
                name: name.to_string(),
                value,
            })
        })
        .collect()
}

/// Checks attributes for a JSON-LD credential (names the credentials v1 context reserves).
pub fn check_ld_attributes(attributes: &[Attribute]) -> Result<(), String> {
    match attributes
        .iter()
        .find(|a| RESERVED.contains(&a.name.as_str()))
    {
        Some(a) => Err(format!(
            "CRED_ATTR name {:?} is a term of the W3C credentials context; pick another for ld_proof",
            a.name
        )),
        None => Ok(()),
    }
}

/// The JSON-LD credential to offer: issued by `issuer_did`, subject left for the holder to
/// bind (late binding), attributes as subject claims.
pub fn ld_credential(attributes: &[Attribute], issuer_did: &str, issuance_date: &str) -> Value {
    let mut context = serde_json::Map::new();
    context.insert("akrida".into(), json!(VOCABULARY));
    context.insert(
        CREDENTIAL_TYPE.into(),
        json!(format!("akrida:{CREDENTIAL_TYPE}")),
    );
    let mut subject = serde_json::Map::new();
    for attribute in attributes {
        context.insert(
            attribute.name.clone(),
            json!(format!("akrida:{}", attribute.name)),
        );
        subject.insert(attribute.name.clone(), json!(attribute.value));
    }
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", context],
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_did,
        "issuanceDate": issuance_date,
        "credentialSubject": subject,
    })
}

/// A DIF presentation request for the credential [`ld_credential`] makes: one input descriptor
/// asking for every attribute, signed `Ed25519Signature2018`, with a fresh challenge.
pub fn dif_request(attributes: &[Attribute], challenge: &str) -> Value {
    let fields: Vec<Value> = attributes
        .iter()
        .map(|a| json!({"path": [format!("$.credentialSubject.{}", a.name)]}))
        .collect();
    json!({
        "presentation_definition": {
            "id": challenge,
            "format": {"ldp_vp": {"proof_type": [PROOF_TYPE]}},
            "input_descriptors": [{
                "id": "akrida_credential",
                "name": "akrida load-test credential",
                "schema": [{"uri": "https://www.w3.org/2018/credentials#VerifiableCredential"}],
                "constraints": {"fields": fields},
            }],
        },
        "options": {"challenge": challenge, "domain": "akrida"},
    })
}

/// An Indy / AnonCreds proof request for a credential of `cred_def_id`: attributes whose value
/// is an integer are proven with a `>=` predicate on that value (a zero-knowledge range proof;
/// the value stays hidden), the others are revealed.
pub fn indy_proof_request(attributes: &[Attribute], cred_def_id: &str, nonce: &str) -> Value {
    let restrictions = json!([{"cred_def_id": cred_def_id}]);
    let (mut revealed, mut predicates) = (serde_json::Map::new(), serde_json::Map::new());
    for (i, attribute) in attributes.iter().enumerate() {
        match attribute.value.trim().parse::<i32>() {
            Ok(threshold) => predicates.insert(
                format!("pred_{i}"),
                json!({"name": attribute.name, "p_type": ">=", "p_value": threshold,
                       "restrictions": restrictions}),
            ),
            Err(_) => revealed.insert(
                format!("attr_{i}"),
                json!({"name": attribute.name, "restrictions": restrictions}),
            ),
        };
    }
    indy_request_with(nonce, revealed.into(), predicates.into())
}

/// `PROOF_REQUEST`: the verifier sends these `requested_attributes` / `requested_predicates`
/// (Indy proof request form, restrictions included) instead of the ones made from `CRED_ATTR`.
pub fn parse_proof_request(text: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("PROOF_REQUEST is not JSON: {e}"))?;
    let object = value.as_object().ok_or(
        "PROOF_REQUEST must be a JSON object with requested_attributes and/or requested_predicates",
    )?;
    if let Some(key) = object
        .keys()
        .find(|k| *k != "requested_attributes" && *k != "requested_predicates")
    {
        return Err(format!(
            "PROOF_REQUEST key {key:?}: only requested_attributes and requested_predicates are taken"
        ));
    }
    let mut referents = 0;
    for key in ["requested_attributes", "requested_predicates"] {
        match object.get(key) {
            None => {}
            Some(Value::Object(items)) => referents += items.len(),
            Some(_) => return Err(format!("PROOF_REQUEST {key} must be a JSON object")),
        }
    }
    if referents == 0 {
        return Err(
            "PROOF_REQUEST asks for nothing: give requested_attributes or requested_predicates"
                .into(),
        );
    }
    Ok(value)
}

/// A whole proof request from [`parse_proof_request`]'s parts and a fresh nonce.
pub fn custom_indy_proof_request(parts: &Value, nonce: &str) -> Value {
    let part = |key: &str| parts.get(key).cloned().unwrap_or_else(|| json!({}));
    indy_request_with(
        nonce,
        part("requested_attributes"),
        part("requested_predicates"),
    )
}

/// `request` asking the holder to prove, for the whole request, that its credentials were not
/// revoked at time `to` (unix seconds): a `non_revoked` interval.
pub fn with_non_revoked(mut request: Value, to: u64) -> Value {
    request["non_revoked"] = json!({"to": to});
    request
}

fn indy_request_with(nonce: &str, attributes: Value, predicates: Value) -> Value {
    json!({
        "name": "akrida proof",
        "version": "1.0",
        "nonce": nonce,
        "requested_attributes": attributes,
        "requested_predicates": predicates,
    })
}

/// Attributes as the admin API's credential preview lists them.
pub fn preview_attributes(attributes: &[Attribute]) -> Value {
    Value::Array(
        attributes
            .iter()
            .map(|a| json!({"name": a.name, "value": a.value}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn akrida_cred_attr_parses() {
        let attributes = parse_attributes(DEFAULT_ATTRIBUTES).unwrap();
        assert_eq!(
            attributes,
            vec![Attribute {
                name: "score".into(),
                value: "test".into()
            }]
        );
        assert!(parse_attributes("[]").is_err());
        assert!(parse_attributes("{}").is_err());
        assert!(parse_attributes(r#"[{"name":"a b","value":"x"}]"#)
            .unwrap_err()
            .contains("letters"));
        assert!(parse_attributes(r#"[{"name":"a"}]"#)
            .unwrap_err()
            .contains("value"));
    }

    #[test]
    fn ld_credential_defines_every_attribute_inline() {
        let attributes =
            parse_attributes(r#"[{"name":"score","value":"7"},{"name":"level","value":"gold"}]"#)
                .unwrap();
        check_ld_attributes(&attributes).unwrap();
        let vc = ld_credential(&attributes, "did:key:z6Mk", "2024-01-01T00:00:00Z");
        assert_eq!(vc["@context"][1]["score"], "akrida:score");
        assert_eq!(vc["@context"][1]["level"], "akrida:level");
        assert_eq!(vc["credentialSubject"]["level"], "gold");
        assert!(vc["credentialSubject"].get("id").is_none(), "late binding");
        let reserved = parse_attributes(r#"[{"name":"issuer","value":"x"}]"#).unwrap();
        assert!(check_ld_attributes(&reserved).is_err());
    }

    #[test]
    fn requests_ask_for_every_attribute() {
        let attributes = parse_attributes(DEFAULT_ATTRIBUTES).unwrap();
        let dif = dif_request(&attributes, "c1");
        assert_eq!(dif["options"]["challenge"], "c1");
        assert_eq!(
            dif["presentation_definition"]["input_descriptors"][0]["constraints"]["fields"][0]
                ["path"][0],
            "$.credentialSubject.score"
        );
        let indy = indy_proof_request(&attributes, "X:3:CL:1:tag", "123");
        assert_eq!(indy["requested_attributes"]["attr_0"]["name"], "score");
    }

    #[test]
    fn a_non_revoked_interval_covers_the_whole_request() {
        let attributes = parse_attributes(DEFAULT_ATTRIBUTES).unwrap();
        let plain = indy_proof_request(&attributes, "X:3:CL:1:tag", "123");
        assert!(plain.get("non_revoked").is_none());
        let now = with_non_revoked(plain, 1_700_000_000);
        assert_eq!(now["non_revoked"], json!({"to": 1_700_000_000}));
        assert_eq!(now["requested_attributes"]["attr_0"]["name"], "score");
    }

    #[test]
    fn integer_attributes_become_predicates() {
        let attributes =
            parse_attributes(r#"[{"name":"score","value":"test"},{"name":"level","value":"7"}]"#)
                .unwrap();
        let indy = indy_proof_request(&attributes, "X:3:CL:1:tag", "9");
        assert_eq!(indy["requested_attributes"]["attr_0"]["name"], "score");
        assert!(indy["requested_attributes"].get("attr_1").is_none());
        let predicate = &indy["requested_predicates"]["pred_1"];
        assert_eq!(predicate["name"], "level");
        assert_eq!(predicate["p_type"], ">=");
        assert_eq!(predicate["p_value"], 7);
        assert_eq!(predicate["restrictions"][0]["cred_def_id"], "X:3:CL:1:tag");
    }

    #[test]
    fn proof_request_parts_are_checked() {
        let parts = parse_proof_request(
            r#"{"requested_predicates": {"p": {"name": "level", "p_type": ">=", "p_value": 100}}}"#,
        )
        .unwrap();
        let request = custom_indy_proof_request(&parts, "5");
        assert_eq!(request["nonce"], "5");
        assert_eq!(request["requested_predicates"]["p"]["p_value"], 100);
        assert_eq!(request["requested_attributes"], json!({}));
        for bad in [
            "not json",
            "[]",
            "{}",
            r#"{"requested_attributes": {}}"#,
            r#"{"requested_attributes": []}"#,
            r#"{"nonce": "1", "requested_attributes": {"a": {"name": "x"}}}"#,
        ] {
            assert!(parse_proof_request(bad).is_err(), "{bad}");
        }
    }
}
