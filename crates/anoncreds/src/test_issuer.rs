//! An AnonCreds issuer and verifier in memory, built from indy-credx's own issuer and verifier
//! functions: what the tests, the benchmark and offline tools use in place of a ledger and an
//! ACA-Py issuer. A revocable issuer also plays the ledger's part for its revocation registry:
//! it keeps each published accumulator with its time, and answers the delta up to a time.
//!
//! Not for production: the private keys live in this struct.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indy_credx::issuer;
use indy_credx::tails::TailsFileWriter;
use indy_credx::types::{
    AttributeNames, CredentialDefinition, CredentialDefinitionConfig, CredentialDefinitionId,
    CredentialDefinitionPrivate, CredentialKeyCorrectnessProof, CredentialOffer, CredentialRequest,
    CredentialRevocationConfig, DidValue, IssuanceType, MakeCredentialValues, Presentation,
    PresentationRequest, RegistryType, RevocationRegistry, RevocationRegistryDefinition,
    RevocationRegistryDefinitionPrivate, RevocationRegistryDelta, RevocationRegistryId, Schema,
    SchemaId, SignatureType,
};
use serde_json::{json, Value};

use crate::error::{parse, AnonCredsError};

/// One issuer DID, one schema, one credential definition, and for a revocable definition one
/// revocation registry.
pub struct TestIssuer {
    pub did: String,
    schema: Schema,
    cred_def: CredentialDefinition,
    cred_def_private: CredentialDefinitionPrivate,
    correctness_proof: CredentialKeyCorrectnessProof,
    registry: Option<Mutex<TestRegistry>>,
}

/// A revocation registry (issuance by default, as ACA-Py makes them) and its ledger history.
struct TestRegistry {
    def: RevocationRegistryDefinition,
    private: RevocationRegistryDefinitionPrivate,
    /// The accumulator now.
    current: RevocationRegistry,
    /// Every accumulator published, oldest first, with its time and the delta from the
    /// registry's start to it (what the ledger's GET_REVOC_REG_DELTA from 0 answers).
    published: Vec<(u64, RevocationRegistry, RevocationRegistryDelta)>,
    used: HashSet<u32>,
    next_index: u32,
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
            registry: None,
        })
    }

    /// Like [`TestIssuer::new`], with a revocable credential definition and one revocation
    /// registry of `max_cred_num` credentials (tag `0`), its tails file written in
    /// `tails_dir`, published at `published_at` (unix seconds).
    pub fn revocable(
        did: &str,
        name: &str,
        attributes: &[&str],
        max_cred_num: u32,
        tails_dir: &Path,
        published_at: u64,
    ) -> Result<Self, AnonCredsError> {
        let origin = DidValue(did.to_string());
        let schema =
            issuer::create_schema(&origin, name, "1.0", AttributeNames::from(attributes), None)
                .map_err(|e| AnonCredsError::refused("creating the schema", e))?;
        let (cred_def, cred_def_private, correctness_proof) = issuer::create_credential_definition(
            &origin,
            &schema,
            "default",
            SignatureType::CL,
            CredentialDefinitionConfig::new(true),
        )
        .map_err(|e| AnonCredsError::refused("creating the credential definition", e))?;
        let mut tails = TailsFileWriter::new(Some(tails_dir.to_string_lossy().into_owned()));
        let (def, private, current, initial) = issuer::create_revocation_registry(
            &origin,
            &cred_def,
            "0",
            RegistryType::CL_ACCUM,
            IssuanceType::ISSUANCE_BY_DEFAULT,
            max_cred_num,
            &mut tails,
        )
        .map_err(|e| AnonCredsError::refused("creating the revocation registry", e))?;
        let registry = TestRegistry {
            def,
            private,
            published: vec![(published_at, current.clone(), initial)],
            current,
            used: HashSet::new(),
            next_index: 1,
        };
        Ok(Self {
            did: did.to_string(),
            schema,
            cred_def,
            cred_def_private,
            correctness_proof,
            registry: Some(Mutex::new(registry)),
        })
    }

    fn registry(&self) -> Result<std::sync::MutexGuard<'_, TestRegistry>, AnonCredsError> {
        let registry = self.registry.as_ref().ok_or_else(|| {
            AnonCredsError::Mismatch("this credential definition is not revocable".into())
        })?;
        Ok(registry
            .lock()
            .expect("no test panics while holding the registry"))
    }

    /// The revocation registry definition as the ledger serves it (`tailsLocation` is the
    /// tails file's path; a test may rewrite it to a URL).
    pub fn rev_reg_def_json(&self) -> Result<Value, AnonCredsError> {
        Ok(serde_json::to_value(&self.registry()?.def).expect("a definition serialises"))
    }

    pub fn rev_reg_id(&self) -> Result<String, AnonCredsError> {
        let RevocationRegistryDefinition::RevocationRegistryDefinitionV1(def) =
            &self.registry()?.def;
        Ok(def.id.0.clone())
    }

    /// The registry's tails file.
    pub fn tails_path(&self) -> Result<PathBuf, AnonCredsError> {
        let RevocationRegistryDefinition::RevocationRegistryDefinitionV1(def) =
            &self.registry()?.def;
        Ok(PathBuf::from(&def.value.tails_location))
    }

    /// Revokes the credential at `index` of the registry and publishes the new accumulator at
    /// `at` (unix seconds, not before the last publication).
    pub fn revoke(&self, index: u32, at: u64) -> Result<(), AnonCredsError> {
        let mut registry = self.registry()?;
        let (current, delta) = issuer::revoke_credential(
            &self.cred_def,
            &registry.def,
            &registry.private,
            &registry.current,
            index,
        )
        .map_err(|e| AnonCredsError::refused("revoking the credential", e))?;
        let (_, _, last) = registry.published.last().expect("published at creation");
        let merged = issuer::merge_revocation_registry_deltas(last, &delta)
            .map_err(|e| AnonCredsError::refused("merging registry deltas", e))?;
        registry.current = current.clone();
        registry.published.push((at, current, merged));
        Ok(())
    }

    /// What the ledger answers for the registry's delta up to `to`: the delta from the start
    /// to the last accumulator published at or before `to` (indy-credx's JSON), and its time.
    pub fn delta_at(&self, to: u64) -> Result<(Value, u64), AnonCredsError> {
        let registry = self.registry()?;
        let (at, _, delta) = registry
            .published
            .iter()
            .rev()
            .find(|(at, _, _)| *at <= to)
            .ok_or_else(|| {
                AnonCredsError::Mismatch(format!("the registry was not published by {to}"))
            })?;
        Ok((
            serde_json::to_value(delta).expect("a delta serialises"),
            *at,
        ))
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

    /// Signs a credential with raw `values` for `request`, which answers `offer`. A revocable
    /// issuer gives it the registry's next index (1, 2, ...).
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
        let mut registry = match &self.registry {
            Some(_) => Some(self.registry()?),
            None => None,
        };
        let revocation = match registry.as_deref_mut() {
            Some(registry) => {
                let index = registry.next_index;
                registry.next_index += 1;
                registry.used.insert(index);
                Some((index, registry))
            }
            None => None,
        };
        let (credential, _, _) = issuer::create_credential(
            &self.cred_def,
            &self.cred_def_private,
            &offer,
            &request,
            made.into(),
            revocation
                .as_ref()
                .map(|(index, r)| CredentialRevocationConfig {
                    reg_def: &r.def,
                    reg_def_private: &r.private,
                    registry: &r.current,
                    registry_idx: *index,
                    registry_used: &r.used,
                }),
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
    // The registries as a verifier reads them from the ledger: each definition, and each
    // accumulator by the time it was published.
    let registries: Vec<_> = issuers
        .iter()
        .filter(|i| i.registry.is_some())
        .map(|i| i.registry())
        .collect::<Result<_, _>>()?;
    let mut rev_reg_defs: HashMap<RevocationRegistryId, &RevocationRegistryDefinition> =
        HashMap::new();
    let mut rev_regs: HashMap<RevocationRegistryId, HashMap<u64, &RevocationRegistry>> =
        HashMap::new();
    for registry in &registries {
        let RevocationRegistryDefinition::RevocationRegistryDefinitionV1(def) = &registry.def;
        rev_reg_defs.insert(def.id.clone(), &registry.def);
        rev_regs.insert(
            def.id.clone(),
            registry
                .published
                .iter()
                .map(|(at, accumulator, _)| (*at, accumulator))
                .collect(),
        );
    }
    indy_credx::verifier::verify_presentation(
        &presentation,
        &request,
        &schemas,
        &cred_defs,
        Some(&rev_reg_defs),
        Some(&rev_regs),
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
