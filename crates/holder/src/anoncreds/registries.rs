//! The revocation data a holder reads from outside its wallet — registry definitions and
//! deltas from the ledger, tails files from tails servers — through the process's one ledger
//! client and one tails cache, shared by every holder.

use std::sync::Arc;

use ::ledger::{Ledger, TailsCache};
use akrida_anoncreds::{RegistryAt, RegistryNeed, RegistryStates};
use serde_json::Value;

use crate::error::HolderError;

/// The process's ledger client and tails cache.
#[derive(Clone, Debug)]
pub struct Registries {
    pub ledger: Arc<Ledger>,
    pub tails: Arc<TailsCache>,
}

/// What one holder reads revocation data with: the shared [`Registries`] (when akrida was
/// given a ledger) and the holder's own HTTP client, which downloads a tails file when this
/// holder is the first of the process to need it.
#[derive(Clone, Copy)]
pub struct RevocationReads<'a> {
    pub registries: Option<&'a Registries>,
    pub http: &'a reqwest::Client,
}

/// What reading a registry's definition and tails file gave: the definition, and whether this
/// holder downloaded the tails file.
#[derive(Debug, Clone)]
pub struct RegistryRead {
    pub definition: Value,
    pub tails: std::path::PathBuf,
    pub downloaded: bool,
}

impl RevocationReads<'_> {
    fn registries(&self, rev_reg_id: &str) -> Result<&Registries, HolderError> {
        self.registries.ok_or_else(|| HolderError::NoLedger {
            rev_reg_id: rev_reg_id.to_string(),
        })
    }

    /// Registry `rev_reg_id`'s definition (once per process) and its tails file (downloaded
    /// once per process).
    pub async fn registry(&self, rev_reg_id: &str) -> Result<RegistryRead, HolderError> {
        let registries = self.registries(rev_reg_id)?;
        let definition = registries
            .ledger
            .revocation_registry_definition(rev_reg_id)
            .await?;
        let tails = registries.tails.fetch(&definition, self.http).await?;
        Ok(RegistryRead {
            definition,
            tails: tails.path,
            downloaded: tails.downloaded,
        })
    }

    /// Reads every registry state a presentation plan needs: the definition and tails file,
    /// and the delta up to the needed time from the ledger. Returns the states and how many
    /// tails files this holder downloaded.
    pub async fn states(
        &self,
        needs: &[RegistryNeed],
    ) -> Result<(RegistryStates, u64), HolderError> {
        let mut states = RegistryStates::new();
        let mut downloads = 0;
        for need in needs {
            let read = self.registry(&need.rev_reg_id).await?;
            downloads += u64::from(read.downloaded);
            let answer = self
                .registries(&need.rev_reg_id)?
                .ledger
                .revocation_registry_delta(&need.rev_reg_id, need.to)
                .await?;
            let (delta, timestamp) = akrida_anoncreds::revocation::delta_from_ledger(&answer.data)?;
            states.insert(
                need.clone(),
                RegistryAt {
                    definition: read.definition,
                    delta,
                    timestamp,
                    tails: read.tails,
                },
            );
        }
        Ok((states, downloads))
    }
}
