//! Shared by the offline AnonCreds tests: the DIDs they issue under and to, and the first steps
//! of an issuance, which most tests take before the part they check.
#![allow(dead_code)] // each test binary uses a different part

use akrida_anoncreds::test_issuer::TestIssuer;
use akrida_anoncreds::{CredentialRequest, Wallet};
use serde_json::Value;

pub const ISSUER_DID: &str = "NcYxiDXkpYi6ov5FcYDi1e";
pub const PROVER_DID: &str = "55GkHamhTU1ZbTbV2ab9DE";

/// Offer → request (by `wallet`, as [`PROVER_DID`]) → credential issued with `values`, not yet
/// stored: the request (whose `pending` secrets storing needs) and the credential as issued.
pub fn request_and_issue(
    wallet: &mut Wallet,
    issuer: &TestIssuer,
    values: &[(&str, &str)],
) -> (CredentialRequest, Value) {
    let offer = issuer.offer().unwrap();
    let request = wallet
        .create_request(&offer, &issuer.cred_def_json(), PROVER_DID)
        .unwrap();
    let credential = issuer.issue(&offer, &request.request, values).unwrap();
    (request, credential)
}
