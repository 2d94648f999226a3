//! The issuer and verifier scenarios (owl-akrida's `locustIssue.py`, `locustMediatorMsg.py`, …):
//! holders — mediated or reached directly — connect to the server under test, which issues them
//! credentials, sends them messages, asks them for proofs or revokes what it issued.
//!
//! One user type plays them all; a [`Kind`] picks its tasks and weights (the engine draws each
//! iteration's task by weight). Sample names are owl-akrida's: `startup`, `issuer_getinvite`,
//! `verifier_getinvite`, `accept_invite`, `receive_credential`, `msg_client`,
//! `presentation_exchange`, `revoke_credential`, and akrida's `revoked_presentation`.

pub mod credential_spec;
pub mod link;
pub mod messages;
mod user;

use std::sync::Arc;
use std::time::Duration;

use admin_client::acapy::ServerApi;
use engine::{BoxFuture, Phases, Scenario, User};
use holder::anoncreds::Registries;
use holder::HolderConfig;

pub use credential_spec::{Attribute, CredFormat};
pub use link::Reach;

/// Task (and sample) names, as owl-akrida names them.
pub const ACCEPT_INVITE: &str = "accept_invite";
pub const RECEIVE_CREDENTIAL: &str = "receive_credential";
pub const MSG_CLIENT: &str = "msg_client";
pub const PRESENTATION_EXCHANGE: &str = "presentation_exchange";
pub const REVOKE_CREDENTIAL: &str = "revoke_credential";
/// `issue-revoke`: the proof of a credential just revoked, asked with a non-revoked interval;
/// it succeeds when the verifier's record says `verified: "false"`.
pub const REVOKED_PRESENTATION: &str = "revoked_presentation";

/// Which owl-akrida test this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Each iteration: a fresh invitation from the issuer, accepted.
    Connection,
    /// Each iteration: the issuer issues a credential.
    Issue,
    /// Each iteration: a credential issued, proven not revoked, revoked, and proven again (the
    /// verifier must then reject it).
    IssueRevoke,
    /// Each iteration: the issuer sends a basic message; its arrival is timed and counted.
    Msg,
    /// Each iteration: a credential issued, then proven to the verifier.
    PresentProof,
    /// One credential at start; each iteration proves it to the verifier.
    PresentProofExisting,
    /// One credential at start; iterations issue or prove, weighted 3:1.
    FractionIssueVerify,
}

impl Kind {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "connection" => Self::Connection,
            "issue" => Self::Issue,
            "issue-revoke" => Self::IssueRevoke,
            "msg" => Self::Msg,
            "present-proof" => Self::PresentProof,
            "present-proof-existing" => Self::PresentProofExisting,
            "fraction-issue-verify" => Self::FractionIssueVerify,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Connection => "connection",
            Self::Issue => "issue",
            Self::IssueRevoke => "issue-revoke",
            Self::Msg => "msg",
            Self::PresentProof => "present-proof",
            Self::PresentProofExisting => "present-proof-existing",
            Self::FractionIssueVerify => "fraction-issue-verify",
        }
    }

    /// Tasks and their weights.
    pub fn tasks(self) -> Vec<(&'static str, u32)> {
        match self {
            Self::Connection => vec![(ACCEPT_INVITE, 1)],
            Self::Issue => vec![(RECEIVE_CREDENTIAL, 1)],
            Self::IssueRevoke => vec![(REVOKE_CREDENTIAL, 1)],
            Self::Msg => vec![(MSG_CLIENT, 1)],
            Self::PresentProof | Self::PresentProofExisting => vec![(PRESENTATION_EXCHANGE, 1)],
            Self::FractionIssueVerify => vec![(RECEIVE_CREDENTIAL, 3), (PRESENTATION_EXCHANGE, 1)],
        }
    }

    /// Whether users connect to the issuer at start (all but `connection`, whose task it is).
    pub fn connects_to_issuer(self) -> bool {
        self != Self::Connection
    }

    /// Whether users connect to the verifier at start.
    pub fn needs_verifier(self) -> bool {
        matches!(
            self,
            Self::PresentProof
                | Self::PresentProofExisting
                | Self::FractionIssueVerify
                | Self::IssueRevoke
        )
    }

    /// Whether users get one credential at start (to prove before they are issued more).
    pub fn credential_at_start(self) -> bool {
        matches!(self, Self::PresentProofExisting | Self::FractionIssueVerify)
    }

    /// Whether the scenario issues credentials at all.
    pub fn issues(self) -> bool {
        !matches!(self, Self::Connection | Self::Msg)
    }
}

/// What the issuer issues.
#[derive(Debug, Clone)]
pub enum CredentialOffer {
    /// A W3C JSON-LD credential from `issuer_did` (issue-credential 2.0).
    LdProof { issuer_did: String },
    /// An AnonCreds / Indy credential of `cred_def_id` (needs a ledger or registry).
    Indy {
        cred_def_id: String,
        /// The credential definition JSON (legacy Indy shape), read from the issuer at start.
        cred_def: serde_json::Value,
        anoncreds: bool,
    },
}

pub struct IssuerConfig {
    pub kind: Kind,
    pub issuer: ServerApi,
    /// The verifier (`VERIFIER_URL`); the proof scenarios need it.
    pub verifier: Option<ServerApi>,
    pub holder: HolderConfig,
    pub reach: Reach,
    /// `OOB_INVITE`: out-of-band invitations (else connections/1.0).
    pub out_of_band: bool,
    /// `CONNECTIONS_PER_AGENT`: connections each `connection` iteration makes.
    pub connections_per_agent: usize,
    pub offer: CredentialOffer,
    pub attributes: Vec<Attribute>,
    /// `PROOF_REQUEST` (indy / anoncreds): the parts of the proof request the verifier sends
    /// instead of those made from `attributes` (see `credential_spec::parse_proof_request`).
    pub proof_request: Option<serde_json::Value>,
    /// `PROOF_NON_REVOKED` (indy / anoncreds): the proof scenarios' requests ask for
    /// non-revocation now (issue-revoke's always do).
    pub non_revoked: bool,
    /// `MESSAGE_TO_SEND`: the text of basic messages (a tracking token is appended).
    pub message: String,
    /// Bound on each step that waits for a server or a message.
    pub timeout: Duration,
    /// Makes message tokens unique across runs.
    pub run_id: String,
    /// The ledger client and tails cache the holders share (when akrida was given a ledger):
    /// revocable credentials need them.
    pub registries: Option<Registries>,
    /// `issue-revoke`: one revocation at a time. ACA-Py 0.12.8 publishes concurrent
    /// revocations of one registry as ledger entries built on the same accumulator, and the
    /// ledger refuses all but the first (see the book's Revocation page).
    pub revocations: Arc<tokio::sync::Mutex<()>>,
}

pub struct IssuerScenario {
    config: Arc<IssuerConfig>,
    /// msg's per-message accounting (the `delivery` crate, as mediator-relay's).
    ledger: Arc<std::sync::Mutex<delivery::Ledger>>,
}

impl IssuerScenario {
    pub fn new(config: IssuerConfig) -> Self {
        let ledger = delivery::Ledger::new(config.timeout);
        Self {
            config: Arc::new(config),
            ledger: Arc::new(std::sync::Mutex::new(ledger)),
        }
    }
}

impl Scenario for IssuerScenario {
    fn name(&self) -> &str {
        self.config.kind.name()
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        self.config.kind.tasks()
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(user::IssuerUser::new(
            self.config.clone(),
            self.ledger.clone(),
            index,
        ))
    }

    /// msg: the delivery verdict, once every user had its last call for overdue messages.
    fn finish<'a>(&'a self, stats: &'a engine::Stats) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if self.config.kind == Kind::Msg {
                let report = self
                    .ledger
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .finish();
                stats.set_delivery(report);
            }
        })
    }

    /// Mediated holders onboard as in `mediator-ping`; others record none of its steps, and
    /// the report leaves the section out.
    fn phases(&self) -> Option<Phases> {
        Some(crate::onboarding::ONBOARDING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_and_tasks() {
        for name in [
            "connection",
            "issue",
            "issue-revoke",
            "msg",
            "present-proof",
            "present-proof-existing",
            "fraction-issue-verify",
        ] {
            let kind = Kind::from_name(name).unwrap();
            assert_eq!(kind.name(), name);
            assert!(!kind.tasks().is_empty());
            assert!(
                crate::catalogue::find(name).is_some(),
                "{name} in catalogue"
            );
        }
        assert_eq!(
            Kind::FractionIssueVerify.tasks(),
            vec![("receive_credential", 3), ("presentation_exchange", 1)]
        );
        assert_eq!(Kind::from_name("liveness"), None);
    }
}
