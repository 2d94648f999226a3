//! The credential tasks of an issuer/verifier holder: a credential offered, received, checked
//! and acknowledged; a proof asked for and presented; revocations and proofs after them.

use didcomm::message::Message;
use engine::UserContext;
use holder::{anoncreds, credential, presentation};

use crate::issuer::credential_spec::{self, PROOF_TYPE};
use crate::issuer::{
    CredentialOffer, Kind, PRESENTATION_EXCHANGE, RECEIVE_CREDENTIAL, REVOKED_PRESENTATION,
    REVOKE_CREDENTIAL,
};
use crate::liveness::ADMIN;
use crate::DIDCOMM;

use super::{IssuerUser, Verdict, KEPT_CREDENTIALS, REGISTRY_READS, TAILS_DOWNLOADS};

impl IssuerUser {
    /// `receive_credential`: from the issuer's offer (the admin call) to the credential received,
    /// checked and acknowledged.
    pub(super) async fn receive_credential(&mut self, ctx: &UserContext) -> Result<(), String> {
        ctx.timed(DIDCOMM, RECEIVE_CREDENTIAL, self.issue_one(ctx))
            .await
    }

    pub(super) async fn issue_one(&mut self, ctx: &UserContext) -> Result<(), String> {
        let started = ctx.unix_now();
        let config = self.config.clone();
        let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
        let connection_id = issuer.server_connection_id.clone();
        match &config.offer {
            CredentialOffer::LdProof { issuer_did } => {
                let body = credential_spec::ld_credential(
                    &config.attributes,
                    issuer_did,
                    &didcomm::time::now_rfc3339(),
                );
                let exchange = config
                    .issuer
                    .offer_ld_credential(&connection_id, &body, PROOF_TYPE)
                    .await
                    .map_err(|e| e.to_string())?;
                let offer = self
                    .next_message(credential::is_offer, "credential offer")
                    .await?;
                let holder = self.holder()?;
                let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
                let http = holder.http();
                let issued = credential::accept_offer(
                    &offer,
                    &issuer.connection,
                    &self.subject_key.verkey().to_did_key(),
                    issuer
                        .connection
                        .http_channel(http)
                        .map_err(|e| e.to_string())?,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(|e| e.to_string())?;
                // With --trace-listen, the servers' trace events on this exchange join the sample.
                ctx.record_thread(
                    RECEIVE_CREDENTIAL,
                    &issued.thread_id,
                    started,
                    ctx.unix_now(),
                );
                if self.credentials.len() >= KEPT_CREDENTIALS {
                    self.credentials.remove(0);
                }
                self.credentials.push(issued.credential);
                self.last_exchange = Some(exchange);
                Ok(())
            }
            CredentialOffer::Indy {
                cred_def_id,
                cred_def,
                anoncreds,
            } => {
                let preview = credential_spec::preview_attributes(&config.attributes);
                let exchange = config
                    .issuer
                    .offer_indy_credential(&connection_id, cred_def_id, &preview, *anoncreds)
                    .await
                    .map_err(|e| e.to_string())?;
                let offer = self
                    .next_message(anoncreds::is_indy_offer, "credential offer")
                    .await?;
                let holder = self.holder.as_ref().ok_or("holder not started")?;
                let issuer = self.issuer.as_ref().ok_or("no connection to the issuer")?;
                let http = holder.http();
                let revocation = anoncreds::RevocationReads {
                    registries: config.registries.as_ref(),
                    http,
                };
                let issued = anoncreds::accept_indy_offer(
                    &offer,
                    &issuer.connection,
                    &mut self.wallet,
                    cred_def,
                    revocation,
                    issuer
                        .connection
                        .http_channel(http)
                        .map_err(|e| e.to_string())?,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(in_words)?;
                if issued.tails_downloaded {
                    ctx.count(TAILS_DOWNLOADS, 1);
                }
                ctx.record_thread(
                    RECEIVE_CREDENTIAL,
                    &issued.thread_id,
                    started,
                    ctx.unix_now(),
                );
                self.last_exchange = Some(exchange);
                self.last_indy_referent = Some(issued.referent);
                Ok(())
            }
        }
    }

    /// `issue-revoke`'s task, four samples: a credential (`receive_credential`); its proof with
    /// a non-revoked interval, which the verifier must accept (`presentation_exchange`); its
    /// revocation, published (`revoke_credential`); and the same proof again, which the
    /// verifier must now reject (`revoked_presentation`). The holder then drops the revoked
    /// credential, so the next iteration proves the next one.
    pub(super) async fn issue_and_revoke(&mut self, ctx: &UserContext) -> Result<(), String> {
        self.receive_credential(ctx).await?;
        let referent = self.last_indy_referent.clone();
        let outcome = self.prove_then_revoke(ctx).await;
        if let Some(referent) = referent {
            self.wallet.remove_credential(&referent);
        }
        outcome
    }

    pub(super) async fn prove_then_revoke(&mut self, ctx: &UserContext) -> Result<(), String> {
        ctx.timed(
            DIDCOMM,
            PRESENTATION_EXCHANGE,
            self.prove_one(ctx, true, Verdict::Verified),
        )
        .await?;
        let exchange = self
            .last_exchange
            .clone()
            .ok_or("no credential exchange to revoke")?;
        let revocations = self.config.revocations.clone();
        ctx.timed(ADMIN, REVOKE_CREDENTIAL, async {
            // One at a time (see `IssuerConfig::revocations`); the wait counts in the sample,
            // as it would for an issuer that serialises its revocations.
            let _turn = revocations.lock().await;
            self.config.issuer.revoke_credential(&exchange).await
        })
        .await
        .map_err(|e| e.to_string())?;
        ctx.timed(
            DIDCOMM,
            REVOKED_PRESENTATION,
            self.prove_one(ctx, true, Verdict::Rejected),
        )
        .await
    }

    /// `presentation_exchange`: from the verifier's request (the admin call) to the verifier's
    /// record saying `verified`. `present-proof` first gets a fresh credential.
    pub(super) async fn presentation_exchange(&mut self, ctx: &UserContext) -> Result<(), String> {
        if self.config.kind == Kind::PresentProof || self.credentials_empty() {
            self.receive_credential(ctx).await?;
        }
        ctx.timed(
            DIDCOMM,
            PRESENTATION_EXCHANGE,
            self.prove_one(ctx, self.config.non_revoked, Verdict::Verified),
        )
        .await
    }

    /// Whether the holder has no credential of the scenario's format yet (Indy credentials
    /// live in the AnonCreds wallet, JSON-LD ones in `credentials`).
    pub(super) fn credentials_empty(&self) -> bool {
        match self.config.offer {
            CredentialOffer::LdProof { .. } => self.credentials.is_empty(),
            CredentialOffer::Indy { .. } => self.wallet.credentials().is_empty(),
        }
    }

    /// One proof to the verifier, judged on the verifier's record: `verdict` says which
    /// `verified` value is success. `non_revoked` (AnonCreds only) asks the holder to prove
    /// its credential is not revoked now.
    pub(super) async fn prove_one(
        &mut self,
        ctx: &UserContext,
        non_revoked: bool,
        verdict: Verdict,
    ) -> Result<(), String> {
        let started = ctx.unix_now();
        let config = self.config.clone();
        let verifier_api = config
            .verifier
            .as_ref()
            .ok_or("this scenario needs a verifier")?;
        let verifier = self
            .verifier
            .as_ref()
            .ok_or("no connection to the verifier")?;
        let connection_id = &verifier.server_connection_id;
        let (exchange, indy) = match &config.offer {
            CredentialOffer::LdProof { .. } => {
                let challenge = didcomm::message::new_id();
                let request = credential_spec::dif_request(&config.attributes, &challenge);
                let exchange = verifier_api
                    .request_dif_presentation(connection_id, &request)
                    .await;
                (exchange, false)
            }
            CredentialOffer::Indy { cred_def_id, .. } => {
                let nonce = rand::random::<u64>().to_string();
                let request = match &config.proof_request {
                    Some(parts) => credential_spec::custom_indy_proof_request(parts, &nonce),
                    None => {
                        credential_spec::indy_proof_request(&config.attributes, cred_def_id, &nonce)
                    }
                };
                // Now, by the holders' clock (the verifier's is the same machine's or close).
                let request = match non_revoked {
                    true => {
                        credential_spec::with_non_revoked(request, akrida_anoncreds::unix_now())
                    }
                    false => request,
                };
                let exchange = verifier_api
                    .request_indy_presentation(connection_id, &request)
                    .await;
                (exchange, true)
            }
        };
        let exchange = exchange.map_err(|e| e.to_string())?;
        let wanted: fn(&Message) -> bool = if indy {
            anoncreds::is_indy_proof_request
        } else {
            presentation::is_request
        };
        let request = self.next_message(wanted, "proof request").await?;
        let holder = self.holder.as_ref().ok_or("holder not started")?;
        let verifier = self
            .verifier
            .as_ref()
            .ok_or("no connection to the verifier")?;
        let http = holder.http();
        let channel = verifier
            .connection
            .http_channel(http)
            .map_err(|e| e.to_string())?;
        let presented = if indy {
            let revocation = anoncreds::RevocationReads {
                registries: config.registries.as_ref(),
                http,
            };
            let outcome = anoncreds::present_indy_proof(
                &request,
                &verifier.connection,
                &mut self.wallet,
                revocation,
                channel,
                holder.inbox(),
                config.timeout,
            )
            .await;
            match outcome {
                Ok(presented) => {
                    ctx.count(TAILS_DOWNLOADS, presented.tails_downloads);
                    ctx.count(REGISTRY_READS, presented.registries_read as u64);
                    Some(presented.thread_id)
                }
                // The verifier's ack said "false": its record says more, read below.
                Err(holder::HolderError::PresentationRejected) if verdict == Verdict::Rejected => {
                    None
                }
                Err(e) => return Err(in_words(e)),
            }
        } else {
            Some(
                presentation::respond_to_request(
                    &request,
                    &verifier.connection,
                    &self.credentials,
                    &self.subject_key,
                    channel,
                    holder.inbox(),
                    config.timeout,
                )
                .await
                .map_err(|e| e.to_string())?
                .thread_id,
            )
        };
        match verdict {
            Verdict::Verified => {
                verifier_api
                    .wait_presentation_verified(&exchange, config.timeout)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Verdict::Rejected => {
                let (record, _) = verifier_api
                    .wait_presentation_outcome(&exchange, config.timeout)
                    .await
                    .map_err(|e| e.to_string())?;
                if admin_client::acapy::verified_of(&record) != Some(false) {
                    return Err(format!(
                        "the verifier did not reject the proof of a revoked credential (state {}, verified {})",
                        record["state"], record["verified"]
                    ));
                }
            }
        }
        if let Some(thread_id) = presented {
            ctx.record_thread(PRESENTATION_EXCHANGE, &thread_id, started, ctx.unix_now());
        }
        Ok(())
    }
}

/// A holder's error in words, with the setting that fixes it where there is one (the holder
/// knows no settings).
fn in_words(error: holder::HolderError) -> String {
    match error {
        holder::HolderError::NoLedger { .. } => {
            format!("{error}: give the ledger's genesis (--genesis, GENESIS_FILE)")
        }
        other => other.to_string(),
    }
}
