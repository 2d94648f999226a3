//! AnonCreds (legacy Indy) credentials over DIDComm: the messages of issue-credential and
//! present-proof, 1.0 and 2.0, that carry the payloads the `akrida-anoncreds` crate's [`Wallet`]
//! builds and reads.
//!
//! Each protocol has pure builders and parsers (tested without a peer) and one async function
//! that plays the holder's side over a [`Channel`](crate::outbound::Channel), waiting for
//! replies through the [`Inbox`](crate::inbox::Inbox), like
//! [`accept_offer`](crate::credential::accept_offer) does for JSON-LD credentials.
//!
//! The wallet's operations are CPU-bound (on this project's 2-core machine, release build: a
//! credential request about 30 ms, checking a credential about 25 ms, a presentation about
//! 70 ms), so the async flows run them on tokio's blocking pool: a holder proving something
//! must not stall the timers and sockets of the other holders on the same worker thread.
//!
//! [`Wallet`]: akrida_anoncreds::Wallet

pub mod formats;
pub mod issue;
pub mod present;
pub mod registries;

pub use formats::{FormatFamily, Payload, ProtocolVersion};
pub use issue::{accept_indy_offer, is_indy_offer, IndyIssued, IndyOffer};
pub use present::{is_indy_proof_request, present_indy_proof, IndyPresented, IndyProofRequest};
pub use registries::{Registries, RevocationReads};

use akrida_anoncreds::Wallet;

use crate::error::HolderError;

/// Runs `work` on `wallet` on tokio's blocking pool and puts the wallet back. If the caller's
/// future is dropped meanwhile (a timeout around the whole flow), the wallet is left empty:
/// a holder whose exchange was abandoned starts over.
pub(crate) async fn off_reactor<T: Send + 'static>(
    wallet: &mut Wallet,
    work: impl FnOnce(&mut Wallet) -> T + Send + 'static,
) -> Result<T, HolderError> {
    let mut owned = std::mem::take(wallet);
    let (owned, out) = tokio::task::spawn_blocking(move || {
        let out = work(&mut owned);
        (owned, out)
    })
    .await
    .map_err(|e| HolderError::Protocol(format!("anoncreds worker failed: {e}")))?;
    *wallet = owned;
    Ok(out)
}
