//! The admin calls a load test makes on an ACA-Py issuer or verifier: invitations, credential
//! offers, basic messages, proof requests, revocation, and reading back the server's records.
//!
//! `ISSUER_TYPE` / `VERIFIER_TYPE` choose the protocol generation of the admin paths: `acapy`
//! (issue-credential / present-proof 1.0: Indy formats only) or `acapy_v2` (the 2.0 paths, which
//! also carry JSON-LD credentials and DIF presentation requests). Every error names the call.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{AdminClient, AdminError};

/// Which generation of ACA-Py's credential and proof admin paths to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `acapy`: `/issue-credential/...`, `/present-proof/...` (1.0).
    V1,
    /// `acapy_v2`: `/issue-credential-2.0/...`, `/present-proof-2.0/...`.
    V2,
}

impl std::str::FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "acapy" | "acapy_v1" => Ok(Self::V1),
            "acapy_v2" => Ok(Self::V2),
            other => Err(format!(
                "{other:?} is not a server type: use acapy or acapy_v2"
            )),
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::V1 => "acapy",
            Self::V2 => "acapy_v2",
        })
    }
}

/// An invitation the server made, and how to find the connection it leads to.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub url: String,
    pub handle: InvitationHandle,
}

#[derive(Debug, Clone)]
pub enum InvitationHandle {
    /// Out-of-band: the connection is found by the invitation's message id.
    OutOfBand { invitation_msg_id: String },
    /// connections/1.0: the server made the connection record with the invitation.
    Connection { connection_id: String },
}

/// One ACA-Py agent under test.
#[derive(Debug, Clone)]
pub struct ServerApi {
    pub admin: AdminClient,
    pub version: ApiVersion,
}

/// How often a record is polled while waiting for a state: quick at first (loopback answers
/// in milliseconds), then gentler so thousands of waiting users do not flood the admin API.
const POLL_FIRST: Duration = Duration::from_millis(50);
const POLL_MAX: Duration = Duration::from_millis(1000);

impl ServerApi {
    pub fn new(admin: AdminClient, version: ApiVersion) -> Self {
        Self { admin, version }
    }

    /// A fresh single-use invitation: out-of-band (DID Exchange 1.0/1.1, and connections 1.0
    /// for older holders) when `out_of_band`, else a connections/1.0 invitation.
    pub async fn create_invitation(
        &self,
        out_of_band: bool,
        alias: &str,
    ) -> Result<NewInvitation, AdminError> {
        if out_of_band {
            let call = "POST /out-of-band/create-invitation";
            let answer = self
                .admin
                .post(
                    "/out-of-band/create-invitation?auto_accept=true",
                    &json!({
                        "alias": alias,
                        "handshake_protocols": ["https://didcomm.org/didexchange/1.1",
                                                "https://didcomm.org/didexchange/1.0"],
                    }),
                )
                .await?;
            Ok(NewInvitation {
                url: field(&answer, "invitation_url", call)?,
                handle: InvitationHandle::OutOfBand {
                    invitation_msg_id: field(&answer, "invi_msg_id", call)?,
                },
            })
        } else {
            let call = "POST /connections/create-invitation";
            let answer = self
                .admin
                .post(
                    &format!("/connections/create-invitation?auto_accept=true&alias={alias}"),
                    &json!({}),
                )
                .await?;
            Ok(NewInvitation {
                url: field(&answer, "invitation_url", call)?,
                handle: InvitationHandle::Connection {
                    connection_id: field(&answer, "connection_id", call)?,
                },
            })
        }
    }

    /// Waits until the connection from `handle` is `active` on the server (it must be before
    /// the server may send on it). Returns its connection id.
    pub async fn wait_connection_active(
        &self,
        handle: &InvitationHandle,
        timeout: Duration,
    ) -> Result<String, AdminError> {
        let (path, call) = match handle {
            InvitationHandle::OutOfBand { invitation_msg_id } => (
                format!("/connections?invitation_msg_id={invitation_msg_id}"),
                "GET /connections",
            ),
            InvitationHandle::Connection { connection_id } => (
                format!("/connections/{connection_id}"),
                "GET /connections/{id}",
            ),
        };
        let record = self
            .poll(&path, call, "connection active", timeout, |answer| {
                let record = match answer.get("results") {
                    Some(results) => results.get(0)?,
                    None => answer,
                };
                (record["state"] == "active" || record["state"] == "completed")
                    .then(|| record.clone())
            })
            .await?;
        field(&record, "connection_id", call)
    }

    /// The server's connection record.
    pub async fn connection(&self, connection_id: &str) -> Result<Value, AdminError> {
        self.admin
            .get(&format!("/connections/{connection_id}"))
            .await
    }

    /// Offers a W3C JSON-LD credential (issue-credential 2.0 only). Returns the exchange id.
    pub async fn offer_ld_credential(
        &self,
        connection_id: &str,
        credential: &Value,
        proof_type: &str,
    ) -> Result<String, AdminError> {
        self.require_v2("JSON-LD credentials (CRED_FORMAT=ld_proof)")?;
        let answer = self
            .admin
            .post(
                "/issue-credential-2.0/send-offer",
                &json!({
                    "connection_id": connection_id,
                    "auto_remove": false,
                    "filter": {"ld_proof": {"credential": credential,
                                            "options": {"proofType": proof_type}}},
                }),
            )
            .await?;
        field(
            &answer,
            "cred_ex_id",
            "POST /issue-credential-2.0/send-offer",
        )
    }

    /// Offers an AnonCreds / Indy credential of `cred_def_id` with `attributes`
    /// (`[{"name":…, "value":…}]`). `anoncreds` picks the 2.0 `anoncreds` format over `indy`.
    pub async fn offer_indy_credential(
        &self,
        connection_id: &str,
        cred_def_id: &str,
        attributes: &Value,
        anoncreds: bool,
    ) -> Result<String, AdminError> {
        match self.version {
            ApiVersion::V1 => {
                let call = "POST /issue-credential/send-offer";
                let answer = self
                    .admin
                    .post(
                        "/issue-credential/send-offer",
                        &json!({
                            "connection_id": connection_id,
                            "cred_def_id": cred_def_id,
                            "auto_remove": false,
                            "credential_preview": {
                                "@type": "issue-credential/1.0/credential-preview",
                                "attributes": attributes,
                            },
                        }),
                    )
                    .await?;
                field(&answer, "credential_exchange_id", call)
            }
            ApiVersion::V2 => {
                let format = if anoncreds { "anoncreds" } else { "indy" };
                let answer = self
                    .admin
                    .post(
                        "/issue-credential-2.0/send-offer",
                        &json!({
                            "connection_id": connection_id,
                            "auto_remove": false,
                            "credential_preview": {
                                "@type": "issue-credential/2.0/credential-preview",
                                "attributes": attributes,
                            },
                            "filter": {format: {"cred_def_id": cred_def_id}},
                        }),
                    )
                    .await?;
                field(
                    &answer,
                    "cred_ex_id",
                    "POST /issue-credential-2.0/send-offer",
                )
            }
        }
    }

    /// A credential definition as the server has it: `(json, anoncreds_shape)`. Askar wallets
    /// answer the ledger's legacy JSON at `/credential-definitions/{id}` (only with a ledger);
    /// askar-anoncreds wallets answer the AnonCreds-spec shape at
    /// `/anoncreds/credential-definition/{id}` (`anoncreds_shape` is then true).
    pub async fn credential_definition(&self, id: &str) -> Result<(Value, bool), AdminError> {
        let legacy = self
            .admin
            .get(&format!("/credential-definitions/{id}"))
            .await;
        let (answer, anoncreds_shape, call) = match legacy {
            Ok(answer) => (answer, false, "GET /credential-definitions/{id}"),
            Err(AdminError::Status { status: 404, .. }) => (
                self.admin
                    .get(&format!("/anoncreds/credential-definition/{id}"))
                    .await?,
                true,
                "GET /anoncreds/credential-definition/{id}",
            ),
            Err(e) => return Err(e),
        };
        let definition = answer
            .get("credential_definition")
            .filter(|d| d.is_object())
            .cloned()
            .ok_or_else(|| AdminError::Unexpected {
                call: call.into(),
                problem: "no credential_definition in the answer".into(),
            })?;
        Ok((definition, anoncreds_shape))
    }

    /// The server's credential exchange record (the 2.0 record sits under `cred_ex_record`).
    pub async fn credential_exchange(&self, id: &str) -> Result<Value, AdminError> {
        match self.version {
            ApiVersion::V1 => {
                self.admin
                    .get(&format!("/issue-credential/records/{id}"))
                    .await
            }
            ApiVersion::V2 => {
                let answer = self
                    .admin
                    .get(&format!("/issue-credential-2.0/records/{id}"))
                    .await?;
                Ok(answer.get("cred_ex_record").cloned().unwrap_or(answer))
            }
        }
    }

    /// Sends a basic message on a connection.
    pub async fn send_message(&self, connection_id: &str, content: &str) -> Result<(), AdminError> {
        self.admin
            .post(
                &format!("/connections/{connection_id}/send-message"),
                &json!({ "content": content }),
            )
            .await
            .map(|_| ())
    }

    /// Sends a DIF presentation request (present-proof 2.0 only). Returns the exchange id.
    pub async fn request_dif_presentation(
        &self,
        connection_id: &str,
        request: &Value,
    ) -> Result<String, AdminError> {
        self.require_v2("DIF presentation requests (JSON-LD credentials)")?;
        self.send_v2_presentation_request(connection_id, "dif", request)
            .await
    }

    /// present-proof 2.0's request, in one format (`dif`, `indy`); the verifier checks the
    /// presentation itself and keeps its record (read back as the verdict). The exchange id.
    async fn send_v2_presentation_request(
        &self,
        connection_id: &str,
        format: &str,
        request: &Value,
    ) -> Result<String, AdminError> {
        let answer = self
            .admin
            .post(
                "/present-proof-2.0/send-request",
                &json!({
                    "connection_id": connection_id,
                    "auto_verify": true,
                    "auto_remove": false,
                    // `format`'s value is the key: {"dif": …} or {"indy": …}.
                    "presentation_request": {format: request},
                }),
            )
            .await?;
        field(
            &answer,
            "pres_ex_id",
            "POST /present-proof-2.0/send-request",
        )
    }

    /// Sends an Indy / AnonCreds proof request. Returns the exchange id.
    pub async fn request_indy_presentation(
        &self,
        connection_id: &str,
        proof_request: &Value,
    ) -> Result<String, AdminError> {
        match self.version {
            ApiVersion::V1 => {
                let answer = self
                    .admin
                    .post(
                        "/present-proof/send-request",
                        &json!({
                            "connection_id": connection_id,
                            "auto_verify": true,
                            "proof_request": proof_request,
                        }),
                    )
                    .await?;
                field(
                    &answer,
                    "presentation_exchange_id",
                    "POST /present-proof/send-request",
                )
            }
            ApiVersion::V2 => {
                self.send_v2_presentation_request(connection_id, "indy", proof_request)
                    .await
            }
        }
    }

    /// The server's presentation exchange record.
    pub async fn presentation_exchange(&self, id: &str) -> Result<Value, AdminError> {
        let path = match self.version {
            ApiVersion::V1 => format!("/present-proof/records/{id}"),
            ApiVersion::V2 => format!("/present-proof-2.0/records/{id}"),
        };
        self.admin.get(&path).await
    }

    /// Waits until the presentation exchange `id` is verified (`done` with `verified` true).
    /// A verification that fails, or an abandoned exchange, is an error naming the state.
    pub async fn wait_presentation_verified(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<Value, AdminError> {
        let (record, call) = self.wait_presentation_outcome(id, timeout).await?;
        if verified_of(&record) == Some(true) {
            Ok(record)
        } else {
            Err(AdminError::Unexpected {
                call: call.into(),
                problem: format!(
                    "presentation not verified (state {}, verified {}{})",
                    record["state"],
                    record["verified"],
                    record["error_msg"]
                        .as_str()
                        .map(|e| format!(", error: {e}"))
                        .unwrap_or_default()
                ),
            })
        }
    }

    /// Waits until the verifier has judged presentation exchange `id` (or abandoned it) and
    /// returns its record, whatever the verdict ([`verified_of`] reads it), with the call made.
    pub async fn wait_presentation_outcome(
        &self,
        id: &str,
        timeout: Duration,
    ) -> Result<(Value, &'static str), AdminError> {
        let (path, call) = match self.version {
            ApiVersion::V1 => (
                format!("/present-proof/records/{id}"),
                "GET /present-proof/records/{id}",
            ),
            ApiVersion::V2 => (
                format!("/present-proof-2.0/records/{id}"),
                "GET /present-proof-2.0/records/{id}",
            ),
        };
        let record = self
            .poll(&path, call, "presentation verified", timeout, |record| {
                let state = record["state"].as_str().unwrap_or("");
                let finished = matches!(
                    state,
                    "done" | "verified" | "presentation_acked" | "abandoned" | "deleted"
                ) || record.get("verified").is_some_and(|v| !v.is_null());
                finished.then(|| record.clone())
            })
            .await?;
        Ok((record, call))
    }

    /// Revokes the credential issued in exchange `cred_ex_id` and publishes the revocation
    /// (needs a revocation registry, hence a ledger or an AnonCreds registry).
    pub async fn revoke_credential(&self, cred_ex_id: &str) -> Result<(), AdminError> {
        self.admin
            .post(
                "/revocation/revoke",
                &json!({"cred_ex_id": cred_ex_id, "publish": true}),
            )
            .await
            .map(|_| ())
    }

    /// A new did:key (Ed25519) in the server's wallet, to issue JSON-LD credentials from.
    pub async fn create_did_key(&self) -> Result<String, AdminError> {
        let answer = self
            .admin
            .post(
                "/wallet/did/create",
                &json!({"method": "key", "options": {"key_type": "ed25519"}}),
            )
            .await?;
        let did = answer.get("result").cloned().unwrap_or(Value::Null);
        field(&did, "did", "POST /wallet/did/create")
    }

    fn require_v2(&self, what: &str) -> Result<(), AdminError> {
        match self.version {
            ApiVersion::V2 => Ok(()),
            ApiVersion::V1 => Err(AdminError::Unexpected {
                call: "server type".into(),
                problem: format!(
                    "{what} need the 2.0 admin paths: set the server type to acapy_v2"
                ),
            }),
        }
    }

    /// GETs `path` until `done` accepts the answer or `timeout` passes.
    async fn poll<T>(
        &self,
        path: &str,
        call: &str,
        waiting_for: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> Option<T>,
    ) -> Result<T, AdminError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = POLL_FIRST;
        loop {
            let last = self.admin.get(path).await?;
            if let Some(found) = done(&last) {
                return Ok(found);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let state = last
                    .get("results")
                    .and_then(|r| r.get(0))
                    .unwrap_or(&last)
                    .get("state")
                    .cloned()
                    .unwrap_or(Value::Null);
                return Err(AdminError::Unexpected {
                    call: call.into(),
                    problem: format!(
                        "no {waiting_for} within {}s (last state {state})",
                        timeout.as_secs_f64()
                    ),
                });
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }
}

/// The verifier's verdict in a presentation exchange record (`verified`: `"true"`/`"false"`, or
/// a boolean); `None` while it has none.
pub fn verified_of(record: &Value) -> Option<bool> {
    match &record["verified"] {
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

/// A string field of an admin answer, or an error naming the call and the field.
fn field(answer: &Value, name: &str, call: &str) -> Result<String, AdminError> {
    answer
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AdminError::Unexpected {
            call: call.into(),
            problem: format!("the answer has no {name:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_types_parse_as_akrida_writes_them() {
        assert_eq!("acapy".parse::<ApiVersion>().unwrap(), ApiVersion::V1);
        assert_eq!("ACAPY_V2".parse::<ApiVersion>().unwrap(), ApiVersion::V2);
        let err = "credo".parse::<ApiVersion>().unwrap_err();
        assert!(err.contains("acapy or acapy_v2"), "{err}");
    }

    #[tokio::test]
    async fn ld_offers_need_the_v2_paths() {
        let api = ServerApi::new(
            AdminClient::new("http://127.0.0.1:9", &[]).unwrap(),
            ApiVersion::V1,
        );
        let err = api
            .offer_ld_credential("c", &json!({}), "Ed25519Signature2018")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("acapy_v2"), "{err}");
    }

    #[test]
    fn missing_fields_name_the_call() {
        let err = field(&json!({}), "cred_ex_id", "POST /x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "admin call POST /x: the answer has no \"cred_ex_id\""
        );
    }
}
