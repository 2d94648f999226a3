//! One holder's AnonCreds state: its link secret, the credential definitions it has seen, and
//! the credentials it holds. Kept in memory: a simulated holder lives as long as a load test.
//!
//! The three operations follow the AnonCreds holder flow (anoncreds-spec, "issuance" and
//! "presentation" data flows):
//! 1. [`Wallet::create_request`]: offer + credential definition → credential request, plus the
//!    blinding data ([`PendingRequest`]) that only this holder knows;
//! 2. [`Wallet::store_credential`]: the issuer's credential is checked against the request
//!    (signature correctness proof, raw values against their encodings) and kept;
//! 3. [`Wallet::plan_presentation`] then [`Wallet::present`]: a proof request is answered from
//!    stored credentials; the plan says which revocation registries the holder must read
//!    first (see [`crate::revocation`]). [`Wallet::create_presentation`] does both when no
//!    non-revocation is asked.

use std::collections::{BTreeMap, HashMap};

use indy_credx::types::{
    CredentialDefinition, CredentialDefinitionId, CredentialOffer, CredentialRequestMetadata,
    DidValue, LinkSecret, PresentCredentials, PresentationRequest, Schema, SchemaId,
};
use indy_credx::{prover, utils::encode_credential_attribute};
use serde_json::{json, Value};

use crate::choose::Answer;
use crate::error::{parse, AnonCredsError};
use crate::revocation::{credential_index, revocation_state, RegistryNeed, RegistryStates};
use crate::select::{common_view, Candidate, ProofRequestParts};

/// The name under which the request records the link secret (libindy's "master secret id").
/// One per holder, so one name is enough.
pub const LINK_SECRET_ID: &str = "default";

/// What the holder must keep between sending a credential request and receiving the credential.
#[derive(Debug)]
pub struct PendingRequest {
    cred_def_id: String,
    schema_id: String,
    metadata: CredentialRequestMetadata,
}

impl PendingRequest {
    pub fn cred_def_id(&self) -> &str {
        &self.cred_def_id
    }
}

/// A credential request ready to send (`request`) and what to keep until the credential comes.
#[derive(Debug)]
pub struct CredentialRequest {
    /// The libindy credential request (`prover_did`, `cred_def_id`, `blinded_ms`,
    /// `blinded_ms_correctness_proof`, `nonce`), the payload of `hlindy/cred-req@v2.0`.
    pub request: Value,
    pub pending: PendingRequest,
}

/// A credential the holder has checked and keeps.
#[derive(Debug)]
pub struct StoredCredential {
    referent: String,
    credential: indy_credx::types::Credential,
    /// Its index in its revocation registry; `None` when it is not revocable.
    rev_reg_idx: Option<u32>,
}

impl StoredCredential {
    /// The holder's local id of this credential.
    pub fn referent(&self) -> &str {
        &self.referent
    }

    /// The revocation registry and the credential's index in it, when it is revocable.
    pub fn revocation(&self) -> Option<(&str, u32)> {
        let id = self.credential.rev_reg_id.as_ref()?;
        Some((id.0.as_str(), self.rev_reg_idx?))
    }

    /// Raw attribute values by name, as issued.
    pub fn attributes(&self) -> BTreeMap<&str, &str> {
        self.credential
            .values
            .0
            .iter()
            .map(|(name, v)| (name.as_str(), v.raw.as_str()))
            .collect()
    }
}

impl Candidate for StoredCredential {
    fn schema_id(&self) -> &str {
        &self.credential.schema_id.0
    }
    fn cred_def_id(&self) -> &str {
        &self.credential.cred_def_id.0
    }
    fn raw_value(&self, name: &str) -> Option<&str> {
        let wanted = common_view(name);
        self.credential
            .values
            .0
            .iter()
            .find(|(n, _)| common_view(n) == wanted)
            .map(|(_, v)| v.raw.as_str())
    }
}

/// The AnonCreds side of one holder.
#[derive(Default)]
pub struct Wallet {
    /// Created on first use: most simulated holders never touch AnonCreds.
    link_secret: Option<LinkSecret>,
    /// Parsed once per id: a credential definition is a few kilobytes of big numbers.
    cred_defs: HashMap<String, CredentialDefinition>,
    credentials: Vec<StoredCredential>,
    /// Credentials stored so far, removed ones included: referents are never reused.
    stored: u64,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field(
                "link_secret",
                &self.link_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("cred_defs", &self.cred_defs.keys().collect::<Vec<_>>())
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

impl Wallet {
    pub fn new() -> Self {
        Self::default()
    }

    /// The stored credentials, oldest first.
    pub fn credentials(&self) -> &[StoredCredential] {
        &self.credentials
    }

    /// Forgets the credential `referent` (a holder done with a revoked credential drops it, so
    /// that later proofs choose among the others).
    pub fn remove_credential(&mut self, referent: &str) -> bool {
        let before = self.credentials.len();
        self.credentials.retain(|c| c.referent != referent);
        self.credentials.len() != before
    }

    /// The link secret serialised, for callers that persist a holder. Creates it if needed.
    pub fn link_secret_json(&mut self) -> Result<String, AnonCredsError> {
        let secret = self.link_secret()?;
        serde_json::to_string(secret).map_err(|e| AnonCredsError::invalid("link secret", e))
    }

    fn link_secret(&mut self) -> Result<&LinkSecret, AnonCredsError> {
        if self.link_secret.is_none() {
            let secret = prover::create_link_secret()
                .map_err(|e| AnonCredsError::refused("creating the link secret", e))?;
            self.link_secret = Some(secret);
        }
        Ok(self.link_secret.as_ref().expect("just set"))
    }

    /// Remembers a credential definition (the ledger's JSON, as ACA-Py's
    /// `GET /credential-definitions/{id}` returns it under `credential_definition`) and returns
    /// its id. A definition already known by that id is not parsed again.
    pub fn add_cred_def(&mut self, cred_def: &Value) -> Result<String, AnonCredsError> {
        let id = cred_def["id"]
            .as_str()
            .ok_or_else(|| AnonCredsError::invalid("credential definition", "no \"id\""))?;
        if !self.cred_defs.contains_key(id) {
            let parsed: CredentialDefinition = parse("credential definition", cred_def)?;
            self.cred_defs.insert(id.to_string(), parsed);
        }
        Ok(id.to_string())
    }

    /// Builds the credential request answering `offer` (the libindy offer of
    /// `hlindy/cred-abstract@v2.0` / `libindy-cred-offer-0`) for the credential definition
    /// `cred_def`, with `prover_did` as the request's `prover_did`.
    pub fn create_request(
        &mut self,
        offer: &Value,
        cred_def: &Value,
        prover_did: &str,
    ) -> Result<CredentialRequest, AnonCredsError> {
        let offer: CredentialOffer = parse("credential offer", offer)?;
        let cred_def_id = self.add_cred_def(cred_def)?;
        if offer.cred_def_id.0 != cred_def_id {
            return Err(AnonCredsError::Mismatch(format!(
                "the offer is for credential definition {}, the definition given is {cred_def_id}",
                offer.cred_def_id.0
            )));
        }
        self.link_secret()?;
        let secret = self.link_secret.as_ref().expect("created above");
        let cred_def = &self.cred_defs[&cred_def_id];
        let (request, metadata) = prover::create_credential_request(
            &DidValue(prover_did.to_string()),
            cred_def,
            secret,
            LINK_SECRET_ID,
            &offer,
        )
        .map_err(|e| AnonCredsError::refused("building the credential request", e))?;
        let request = serde_json::to_value(&request)
            .map_err(|e| AnonCredsError::invalid("credential request", e))?;
        Ok(CredentialRequest {
            request,
            pending: PendingRequest {
                cred_def_id,
                schema_id: offer.schema_id.0.clone(),
                metadata,
            },
        })
    }

    /// Checks the issuer's `credential` against the request it answers and keeps it. Returns
    /// the credential's local referent.
    ///
    /// Refused: a credential for another definition or schema than offered, a raw value that
    /// does not match its encoding (the signature covers only the encodings, so a changed raw
    /// value would otherwise go unnoticed until a verifier compares them), and a signature
    /// that does not verify against the definition and our blinded link secret.
    ///
    /// A revocable credential (one naming a `rev_reg_id`) is checked against its revocation
    /// registry's definition, `rev_reg_def` (the ledger's JSON), as Credo and ACA-Py holders
    /// do; without it the non-revocation part of the signature goes unchecked.
    pub fn store_credential(
        &mut self,
        credential: &Value,
        pending: PendingRequest,
        rev_reg_def: Option<&Value>,
    ) -> Result<String, AnonCredsError> {
        let rev_reg_idx = credential_index(credential)?;
        let rev_reg_def: Option<indy_credx::types::RevocationRegistryDefinition> = rev_reg_def
            .map(|d| parse("revocation registry definition", d))
            .transpose()?;
        let mut credential: indy_credx::types::Credential = parse("credential", credential)?;
        if let (Some(def), Some(id)) = (&rev_reg_def, &credential.rev_reg_id) {
            let indy_credx::types::RevocationRegistryDefinition::RevocationRegistryDefinitionV1(
                def,
            ) = def;
            if def.id.0 != id.0 {
                return Err(AnonCredsError::Mismatch(format!(
                    "credential is in revocation registry {}, the definition given is {}",
                    id.0, def.id.0
                )));
            }
        }
        if credential.cred_def_id.0 != pending.cred_def_id {
            return Err(AnonCredsError::Mismatch(format!(
                "credential is for credential definition {}, the request was for {}",
                credential.cred_def_id.0, pending.cred_def_id
            )));
        }
        if credential.schema_id.0 != pending.schema_id {
            return Err(AnonCredsError::Mismatch(format!(
                "credential is for schema {}, the offer was for {}",
                credential.schema_id.0, pending.schema_id
            )));
        }
        for (name, value) in &credential.values.0 {
            let expected = encode_credential_attribute(&value.raw)
                .map_err(|e| AnonCredsError::refused("encoding a credential value", e))?;
            if expected != value.encoded {
                return Err(AnonCredsError::Refused {
                    step: "storing the credential",
                    reason: format!(
                        "attribute '{name}': the raw value does not match its encoding"
                    ),
                });
            }
        }
        let secret = self.link_secret.as_ref().ok_or_else(|| {
            AnonCredsError::Mismatch("a credential arrived before any request was made".into())
        })?;
        let cred_def = self.cred_defs.get(&pending.cred_def_id).ok_or_else(|| {
            AnonCredsError::Mismatch(format!(
                "credential definition {} is not known",
                pending.cred_def_id
            ))
        })?;
        prover::process_credential(
            &mut credential,
            &pending.metadata,
            secret,
            cred_def,
            rev_reg_def.as_ref(),
        )
        .map_err(|e| AnonCredsError::refused("checking the credential signature", e))?;
        self.stored += 1;
        let referent = format!("cred-{}", self.stored);
        self.credentials.push(StoredCredential {
            referent: referent.clone(),
            credential,
            rev_reg_idx,
        });
        Ok(referent)
    }

    /// Answers `proof_request` when it asks for no non-revocation (or only of credentials
    /// that are not revocable): [`Wallet::plan_presentation`] and [`Wallet::present`] in one.
    pub fn create_presentation(&self, proof_request: &Value) -> Result<Value, AnonCredsError> {
        let plan = self.plan_presentation(proof_request, unix_now())?;
        if let Some(need) = plan.needs().first() {
            return Err(AnonCredsError::Unanswerable(format!(
                "the proof request asks for non-revocation of a credential in revocation registry {}, which needs the registry's state from the ledger",
                need.rev_reg_id
            )));
        }
        self.present(&plan, &RegistryStates::new())
    }

    /// Chooses the stored credentials that answer `proof_request` (the libindy proof request
    /// of `hlindy/proof-req@v2.0` / `libindy-request-presentation-0`) and says which
    /// revocation registries must be read, and up to when, to prove non-revocation where the
    /// request asks for it. `now` (unix seconds) stands for an interval's open end.
    pub fn plan_presentation(
        &self,
        proof_request: &Value,
        now: u64,
    ) -> Result<PresentationPlan, AnonCredsError> {
        let request: PresentationRequest = parse("proof request", proof_request)?;
        let parts: ProofRequestParts = parse("proof request", proof_request)?;
        let chosen = crate::choose::choose(&parts, &self.credentials)?;
        let mut entries: Vec<PlanEntry> = Vec::new();
        for Answer {
            credential,
            attributes,
            predicates,
        } in chosen
        {
            let revocation = self.credentials[credential].revocation();
            // A credential answers in one sub-proof per point in time it is proven at: the
            // referents asking for non-revocation up to the same time share one.
            let need_of = |referent: &str| {
                revocation
                    .zip(parts.interval_of(referent))
                    .map(|((id, _), interval)| RegistryNeed {
                        rev_reg_id: id.to_string(),
                        to: interval.proven_at(now),
                    })
            };
            for referent in attributes {
                let at = entry_for(&mut entries, credential, need_of(&referent));
                entries[at].attributes.push(referent);
            }
            for referent in predicates {
                let at = entry_for(&mut entries, credential, need_of(&referent));
                entries[at].predicates.push(referent);
            }
        }
        Ok(PresentationPlan { request, entries })
    }

    /// Builds the presentation `plan` describes: every requested attribute revealed, every
    /// predicate proved, nothing self-attested; non-revocation proven from `states`, which
    /// must hold every registry of [`PresentationPlan::needs`]. Returns the libindy
    /// presentation (`proof`, `requested_proof`, `identifiers`).
    pub fn present(
        &self,
        plan: &PresentationPlan,
        states: &RegistryStates,
    ) -> Result<Value, AnonCredsError> {
        let secret = self.link_secret.as_ref().ok_or_else(|| {
            AnonCredsError::Unanswerable("no credential is stored (no link secret yet)".into())
        })?;

        // Revocation states first: `PresentCredentials` borrows them.
        let mut proven_at = Vec::with_capacity(plan.entries.len());
        for entry in &plan.entries {
            let state = match &entry.need {
                None => None,
                Some(need) => {
                    let registry = states.get(need).ok_or_else(|| {
                        AnonCredsError::Mismatch(format!(
                            "no state of revocation registry {} up to {} was given",
                            need.rev_reg_id, need.to
                        ))
                    })?;
                    let stored = &self.credentials[entry.credential];
                    let (_, index) = stored.revocation().expect("a need only for revocable ones");
                    let state =
                        revocation_state(registry, index).map_err(|e| AnonCredsError::Refused {
                            step: "proving non-revocation",
                            reason: format!(
                                "credential {} (index {index} of registry {}): {e}",
                                stored.referent, need.rev_reg_id
                            ),
                        })?;
                    Some((registry.timestamp, state))
                }
            };
            proven_at.push(state);
        }

        let mut present = PresentCredentials::new();
        for (entry, state) in plan.entries.iter().zip(&proven_at) {
            let credential = &self.credentials[entry.credential].credential;
            let mut add = present.add_credential(
                credential,
                state.as_ref().map(|(timestamp, _)| *timestamp),
                state.as_ref().map(|(_, state)| state),
            );
            for referent in &entry.attributes {
                add.add_requested_attribute(referent.clone(), true);
            }
            for referent in &entry.predicates {
                add.add_requested_predicate(referent.clone());
            }
        }

        // The holder needs each credential's schema only for its attribute names, and the
        // credential carries all of them: rebuilding it saves a ledger lookup.
        let mut schemas: HashMap<SchemaId, Schema> = HashMap::new();
        let mut cred_defs: HashMap<CredentialDefinitionId, &CredentialDefinition> = HashMap::new();
        for entry in &plan.entries {
            let credential = &self.credentials[entry.credential].credential;
            if !schemas.contains_key(&credential.schema_id) {
                schemas.insert(credential.schema_id.clone(), schema_of(credential)?);
            }
            let cred_def = self
                .cred_defs
                .get(&credential.cred_def_id.0)
                .ok_or_else(|| {
                    AnonCredsError::Mismatch(format!(
                        "credential definition {} is not known",
                        credential.cred_def_id.0
                    ))
                })?;
            cred_defs.insert(credential.cred_def_id.clone(), cred_def);
        }
        let schema_refs: HashMap<SchemaId, &Schema> =
            schemas.iter().map(|(id, s)| (id.clone(), s)).collect();

        let presentation = prover::create_presentation(
            &plan.request,
            present,
            None,
            secret,
            &schema_refs,
            &cred_defs,
        )
        .map_err(|e| AnonCredsError::refused("creating the presentation", e))?;
        serde_json::to_value(&presentation).map_err(|e| AnonCredsError::invalid("presentation", e))
    }
}

/// One sub-proof of a planned presentation: a credential, the referents it answers, and the
/// registry state it proves non-revocation against (when asked).
#[derive(Debug)]
struct PlanEntry {
    credential: usize,
    attributes: Vec<String>,
    predicates: Vec<String>,
    need: Option<RegistryNeed>,
}

/// Which credentials answer a proof request, and what must be read from the ledger first.
#[derive(Debug)]
pub struct PresentationPlan {
    request: PresentationRequest,
    entries: Vec<PlanEntry>,
}

impl PresentationPlan {
    /// The registry states to read (each once, sorted).
    pub fn needs(&self) -> Vec<RegistryNeed> {
        let mut needs: Vec<RegistryNeed> =
            self.entries.iter().filter_map(|e| e.need.clone()).collect();
        needs.sort();
        needs.dedup();
        needs
    }
}

/// The position of the plan entry of `credential` proven against `need`, added if missing.
fn entry_for(entries: &mut Vec<PlanEntry>, credential: usize, need: Option<RegistryNeed>) -> usize {
    match entries
        .iter()
        .position(|e| e.credential == credential && e.need == need)
    {
        Some(position) => position,
        None => {
            entries.push(PlanEntry {
                credential,
                attributes: Vec::new(),
                predicates: Vec::new(),
                need,
            });
            entries.len() - 1
        }
    }
}

/// Seconds since the Unix epoch, by the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The legacy (ledger) JSON of a credential definition given in the newer AnonCreds shape.
///
/// ACA-Py 0.12.8 serves a credential definition in two shapes: `GET
/// /credential-definitions/{id}` (Askar wallets, needs a ledger) answers the ledger's legacy
/// JSON (`ver`, `id`, `schemaId`, `type`, `tag`, `value`) under `credential_definition`, which
/// [`Wallet::add_cred_def`] takes as is; `GET /anoncreds/credential-definition/{id}`
/// (askar-anoncreds wallets) answers the AnonCreds-spec shape (`issuerId`, `schemaId`, `type`,
/// `tag`, `value`, no id) under `credential_definition`. This turns the second into the first.
pub fn legacy_cred_def(id: &str, anoncreds_shape: &Value) -> Result<Value, AnonCredsError> {
    let field = |name: &'static str| {
        anoncreds_shape
            .get(name)
            .cloned()
            .ok_or_else(|| AnonCredsError::invalid("credential definition", format!("no {name:?}")))
    };
    Ok(json!({
        "ver": "1.0",
        "id": id,
        "schemaId": field("schemaId")?,
        "type": field("type")?,
        "tag": field("tag")?,
        "value": field("value")?,
    }))
}

/// The schema a credential was issued under, rebuilt from the credential: its id and its
/// attribute names (AnonCreds credentials carry every attribute of their schema).
fn schema_of(credential: &indy_credx::types::Credential) -> Result<Schema, AnonCredsError> {
    let id = &credential.schema_id.0;
    let mut parts = id.rsplitn(3, ':');
    let version = parts.next().unwrap_or("1.0");
    let name = parts.next().unwrap_or("schema");
    let names: Vec<&String> = credential.values.0.keys().collect();
    parse(
        "schema rebuilt from the credential",
        &json!({"ver": "1.0", "id": id, "name": name, "version": version, "attrNames": names}),
    )
}
