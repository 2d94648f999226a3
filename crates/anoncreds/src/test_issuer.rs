//! An AnonCreds issuer and verifier in memory, built from indy-credx's own issuer and verifier
//! functions: what the tests, the benchmark and offline tools use in place of a ledger and an
//! ACA-Py issuer. The testbed has no Indy ledger, so ACA-Py cannot issue AnonCreds there.
//!
//! Not for production: the credential definition's private key lives in this struct.

use std::collections::HashMap;

use indy_credx::issuer;
use indy_credx::types::{
    AttributeNames, CredentialDefinition, CredentialDefinitionConfig, CredentialDefinitionId,
    CredentialDefinitionPrivate, CredentialKeyCorrectnessProof, CredentialOffer, CredentialRequest,
    DidValue, MakeCredentialValues, Presentation, PresentationRequest, Schema, SchemaId,
    SignatureType,
};
use serde_json::{json, Value};

use crate::error::{parse, AnonCredsError};

/// One issuer DID, one schema, one credential definition (no revocation).
pub struct TestIssuer {
    pub did: String,
    schema: Schema,
    cred_def: CredentialDefinition,
    cred_def_private: CredentialDefinitionPrivate,
    correctness_proof: CredentialKeyCorrectnessProof,
}

impl TestIssuer {
    /// Creates the schema `name`/`1.0` with `attributes` and a credential definition (tag
    /// `default`) for it. `did` is an unqualified Indy DID (base58 of 16 bytes).
    pub fn new(did: &str, name: &str, attributes: &[&str]) -> Result<Self, AnonCredsError> {
        let origin = DidValue(did.to_string());
        let schema =
            issuer::create_schema(&origin, name, "1.0", AttributeNames::from(attributes), None)
                .map_err(|e| AnonCredsError::refused("creating the schema", e))?;
        let (cred_def, cred_def_private, correctness_proof) = issuer::create_credential_definition(
            &origin,
            &schema,
            "default",
            SignatureType::CL,
            CredentialDefinitionConfig::new(false),
        )
        .map_err(|e| AnonCredsError::refused("creating the credential definition", e))?;
        Ok(Self {
            did: did.to_string(),
            schema,
            cred_def,
            cred_def_private,
            correctness_proof,
        })
    }

    pub fn schema_id(&self) -> &str {
        &self.schema.id().0
    }

    pub fn cred_def_id(&self) -> &str {
        &self.cred_def.id().0
    }

    /// The schema as the ledger serves it.
    pub fn schema_json(&self) -> Value {
        serde_json::to_value(&self.schema).expect("a schema serialises")
    }

    /// The credential definition as the ledger (and ACA-Py's admin API) serves it.
    pub fn cred_def_json(&self) -> Value {
        serde_json::to_value(&self.cred_def).expect("a credential definition serialises")
    }

    /// A fresh credential offer (new nonce).
    pub fn offer(&self) -> Result<Value, AnonCredsError> {
        let offer = issuer::create_credential_offer(
            self.schema.id(),
            &self.cred_def,
            &self.correctness_proof,
        )
        .map_err(|e| AnonCredsError::refused("creating the offer", e))?;
        Ok(serde_json::to_value(&offer).expect("an offer serialises"))
    }

    /// Signs a credential with raw `values` for `request`, which answers `offer`.
    pub fn issue(
        &self,
        offer: &Value,
        request: &Value,
        values: &[(&str, &str)],
    ) -> Result<Value, AnonCredsError> {
        let offer: CredentialOffer = parse("credential offer", offer)?;
        let request: CredentialRequest = parse("credential request", request)?;
        let mut made = MakeCredentialValues::default();
        for (name, raw) in values {
            made.add_raw(*name, *raw)
                .map_err(|e| AnonCredsError::refused("encoding a value", e))?;
        }
        let (credential, _, _) = issuer::create_credential(
            &self.cred_def,
            &self.cred_def_private,
            &offer,
            &request,
            made.into(),
            None,
        )
        .map_err(|e| AnonCredsError::refused("issuing the credential", e))?;
        Ok(serde_json::to_value(&credential).expect("a credential serialises"))
    }
}

/// A fresh proof-request nonce, as a verifier makes one (a decimal string).
pub fn new_nonce() -> Result<String, AnonCredsError> {
    let nonce = indy_credx::verifier::generate_nonce()
        .map_err(|e| AnonCredsError::refused("creating a nonce", e))?;
    Ok(nonce.to_string())
}

/// A proof request with a fresh nonce: `attributes` are `(referent, name, restrictions)`,
/// `predicates` are `(referent, name, p_type, p_value, restrictions)`.
pub fn proof_request(
    attributes: &[(&str, &str, Value)],
    predicates: &[(&str, &str, &str, i64, Value)],
) -> Result<Value, AnonCredsError> {
    let mut requested_attributes = serde_json::Map::new();
    for (referent, name, restrictions) in attributes {
        requested_attributes.insert(
            referent.to_string(),
            json!({"name": name, "restrictions": restrictions}),
        );
    }
    let mut requested_predicates = serde_json::Map::new();
    for (referent, name, p_type, p_value, restrictions) in predicates {
        requested_predicates.insert(
            referent.to_string(),
            json!({"name": name, "p_type": p_type, "p_value": p_value, "restrictions": restrictions}),
        );
    }
    Ok(json!({
        "name": "akrida proof",
        "version": "1.0",
        "nonce": new_nonce()?,
        "requested_attributes": requested_attributes,
        "requested_predicates": requested_predicates,
    }))
}

/// Verifies `presentation` against `proof_request` as an AnonCreds verifier does, with the
/// issuers' real schemas and credential definitions.
///
/// indy-credx's verifier checks the revealed *encoded* values against the proof but not that
/// each revealed raw value encodes to its encoded value; ACA-Py's verifier checks that itself
/// (`IndyVerifier.pre_verify`), and so does this function, first.
pub fn verify(
    proof_request: &Value,
    presentation: &Value,
    issuers: &[&TestIssuer],
) -> Result<bool, AnonCredsError> {
    if !revealed_raw_values_match(presentation)? {
        return Ok(false);
    }
    let request: PresentationRequest = parse("proof request", proof_request)?;
    let presentation: Presentation = parse("presentation", presentation)?;
    let schemas: HashMap<SchemaId, &Schema> = issuers
        .iter()
        .map(|i| (i.schema.id().clone(), &i.schema))
        .collect();
    let cred_defs: HashMap<CredentialDefinitionId, &CredentialDefinition> = issuers
        .iter()
        .map(|i| (i.cred_def.id().clone(), &i.cred_def))
        .collect();
    indy_credx::verifier::verify_presentation(
        &presentation,
        &request,
        &schemas,
        &cred_defs,
        None,
        None,
    )
    .map_err(|e| AnonCredsError::refused("verifying the presentation", e))
}

/// Whether every revealed raw value (single and grouped) encodes to the encoded value next to it.
fn revealed_raw_values_match(presentation: &Value) -> Result<bool, AnonCredsError> {
    let proof = &presentation["requested_proof"];
    let singles = proof["revealed_attrs"].as_object().into_iter().flatten();
    let groups = proof["revealed_attr_groups"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, group)| group["values"].as_object().into_iter().flatten());
    for (name, value) in singles.chain(groups) {
        let (Some(raw), Some(encoded)) = (value["raw"].as_str(), value["encoded"].as_str()) else {
            return Err(AnonCredsError::invalid(
                "presentation",
                format!("revealed attribute '{name}' lacks raw or encoded"),
            ));
        };
        let expected = indy_credx::utils::encode_credential_attribute(raw)
            .map_err(|e| AnonCredsError::refused("encoding a revealed value", e))?;
        if expected != encoded {
            return Ok(false);
        }
    }
    Ok(true)
}
