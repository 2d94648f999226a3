//! Non-revocation on the holder's side: which revocation registries a proof request makes the
//! holder read, and the revocation state (witness + accumulator at a ledger timestamp) each
//! revocable credential is proven with.
//!
//! The flow (as Credo and ACA-Py holders do it):
//! 1. a proof request asks for a `non_revoked` interval, for the whole request or per
//!    attribute / predicate (the per-item one wins);
//! 2. for each revocable credential chosen to answer such an item, the holder reads the
//!    registry's delta from the ledger up to the interval's `to` (now when absent): the
//!    accumulator then, with the indices issued and revoked so far, and the ledger time of
//!    that accumulator ([`RegistryNeed`] → [`RegistryAt`]);
//! 3. from the delta and the registry's tails file it computes its witness, and proves its
//!    index is still in the accumulator at that timestamp. The timestamp goes in the
//!    presentation's `identifiers`; the verifier reads the accumulator at that time.
//!
//! A credential whose index was revoked has no witness for the accumulator: indy-credx refuses
//! to build the state or the proof fails the verifier's check.

use std::collections::HashMap;
use std::path::PathBuf;

use indy_credx::tails::TailsFileReader;
use indy_credx::types::{
    CredentialRevocationState, RevocationRegistryDefinition, RevocationRegistryDelta,
};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{parse, AnonCredsError};

/// A `non_revoked` interval of a proof request (unix seconds).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct Interval {
    pub from: Option<u64>,
    pub to: Option<u64>,
}

impl Interval {
    /// The time the holder proves non-revocation at: `to`, or `now` when the request leaves
    /// it open.
    pub fn proven_at(&self, now: u64) -> u64 {
        self.to.unwrap_or(now)
    }
}

/// What the holder must read from the ledger for one proof: registry `rev_reg_id` as it was
/// at time `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryNeed {
    pub rev_reg_id: String,
    pub to: u64,
}

/// A revocation registry as the ledger had it at some time, with its tails file on disk.
#[derive(Debug, Clone)]
pub struct RegistryAt {
    /// The registry definition (ledger JSON: `id`, `credDefId`, `value.maxCredNum`, ...).
    pub definition: Value,
    /// The delta from the registry's start to `timestamp` (`value.accum`, `issued`,
    /// `revoked`), as indy-credx reads it.
    pub delta: Value,
    /// The ledger time of the accumulator in `delta`: what the presentation names.
    pub timestamp: u64,
    /// The registry's tails file, checked against the definition's `tailsHash`.
    pub tails: PathBuf,
}

/// The registries read for one proof, by what was needed.
pub type RegistryStates = HashMap<RegistryNeed, RegistryAt>;

/// The revocation state proving that credential index `rev_reg_idx` is not revoked in
/// `registry`. Fails (with indy-credx's reason) when the index is revoked there or the tails
/// file does not fit the definition.
pub fn revocation_state(
    registry: &RegistryAt,
    rev_reg_idx: u32,
) -> Result<CredentialRevocationState, AnonCredsError> {
    let definition: RevocationRegistryDefinition =
        parse("revocation registry definition", &registry.definition)?;
    let delta: RevocationRegistryDelta = parse("revocation registry delta", &registry.delta)?;
    indy_credx::prover::create_or_update_revocation_state(
        TailsFileReader::new(registry.tails.clone()),
        &definition,
        &delta,
        rev_reg_idx,
        registry.timestamp,
        None,
    )
    .map_err(|e| AnonCredsError::refused("building the revocation state", e))
}

/// The credential's index in its revocation registry (`signature.r_credential.i`), for a
/// credential in its JSON form; `None` for a credential that is not revocable.
pub fn credential_index(credential: &Value) -> Result<Option<u32>, AnonCredsError> {
    match &credential["signature"]["r_credential"] {
        Value::Null => Ok(None),
        r => r["i"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .map(Some)
            .ok_or_else(|| {
                AnonCredsError::invalid("credential", "signature.r_credential has no index \"i\"")
            }),
    }
}

/// The ledger's `GET_REVOC_REG_DELTA` answer (`result.data`) as the delta indy-credx reads,
/// with the ledger time of its accumulator.
///
/// The ledger answers `value.accum_to` (the accumulator at the latest entry not after the
/// asked time, with its `txnTime`), `value.issued`, `value.revoked` and, when asked from a
/// time, `value.accum_from`. indy-credx wants `{"ver": "1.0", "value": {"prevAccum"?, "accum",
/// "issued", "revoked"}}`, as libindy's `parse_get_revoc_reg_delta_response` built it.
pub fn delta_from_ledger(data: &Value) -> Result<(Value, u64), AnonCredsError> {
    let value = &data["value"];
    let accum_to = &value["accum_to"];
    let accum = accum_to["value"]["accum"].as_str().ok_or_else(|| {
        AnonCredsError::invalid(
            "revocation registry delta",
            "the ledger's answer has no value.accum_to.value.accum (no entry yet?)",
        )
    })?;
    let timestamp = accum_to["txnTime"].as_u64().ok_or_else(|| {
        AnonCredsError::invalid(
            "revocation registry delta",
            "the ledger's answer has no value.accum_to.txnTime",
        )
    })?;
    let list = |name: &str| match &value[name] {
        Value::Null => Ok(Value::Array(Vec::new())),
        Value::Array(items) if items.iter().all(Value::is_u64) => Ok(Value::Array(items.clone())),
        other => Err(AnonCredsError::invalid(
            "revocation registry delta",
            format!("value.{name} is not a list of indices: {other}"),
        )),
    };
    let mut delta = serde_json::json!({
        "accum": accum,
        "issued": list("issued")?,
        "revoked": list("revoked")?,
    });
    if let Some(prev) = value["accum_from"]["value"]["accum"].as_str() {
        delta["prevAccum"] = Value::String(prev.to_string());
    }
    Ok((serde_json::json!({"ver": "1.0", "value": delta}), timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ledger_delta_becomes_indy_credx_delta() {
        let data = json!({"revocDefType": "CL_ACCUM", "revocRegDefId": "X:4:...", "value": {
            "accum_to": {"txnTime": 1700000100, "seqNo": 12,
                         "value": {"accum": "21 11A"}, "revocDefType": "CL_ACCUM"},
            "issued": [], "revoked": [2, 5]}});
        let (delta, timestamp) = delta_from_ledger(&data).unwrap();
        assert_eq!(timestamp, 1700000100);
        assert_eq!(
            delta,
            json!({"ver": "1.0", "value": {"accum": "21 11A", "issued": [], "revoked": [2, 5]}})
        );

        let empty = json!({"value": {"accum_to": null}});
        let e = delta_from_ledger(&empty).unwrap_err().to_string();
        assert!(e.contains("no value.accum_to.value.accum"), "{e}");
        let bad = json!({"value": {"accum_to": {"txnTime": 1, "value": {"accum": "1"}},
                                   "revoked": ["x"]}});
        assert!(delta_from_ledger(&bad).is_err());
    }

    #[test]
    fn credential_index_is_read_from_the_signature() {
        assert_eq!(
            credential_index(&json!({"signature": {"r_credential": {"i": 7}}})).unwrap(),
            Some(7)
        );
        assert_eq!(
            credential_index(&json!({"signature": {"r_credential": null}})).unwrap(),
            None
        );
        assert!(credential_index(&json!({"signature": {"r_credential": {}}})).is_err());
    }

    #[test]
    fn open_intervals_are_proven_now() {
        let open = Interval {
            from: Some(5),
            to: None,
        };
        assert_eq!(open.proven_at(99), 99);
        let closed = Interval {
            from: None,
            to: Some(50),
        };
        assert_eq!(closed.proven_at(99), 50);
    }
}
