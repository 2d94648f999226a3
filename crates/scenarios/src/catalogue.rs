//! Every scenario akrida knows, with one line each, for `akrida scenarios` and `--help`.
//! Scenarios still being written are listed too (marked), so operators coming from Akrida find
//! their test and learn plainly that it is not there yet.

pub struct ScenarioInfo {
    pub name: &'static str,
    /// Akrida's locust file it stands for, so operators find their old test.
    pub akrida_file: &'static str,
    pub summary: &'static str,
    /// False while the scenario is being written: `akrida run` then says so and exits 2.
    pub built: bool,
}

const fn planned(
    name: &'static str,
    akrida_file: &'static str,
    summary: &'static str,
) -> ScenarioInfo {
    ScenarioInfo {
        name,
        akrida_file,
        summary,
        built: false,
    }
}

impl ScenarioInfo {
    const fn built(name: &'static str, akrida_file: &'static str, summary: &'static str) -> Self {
        ScenarioInfo {
            name,
            akrida_file,
            summary,
            built: true,
        }
    }
}

pub const CATALOGUE: &[ScenarioInfo] = &[
    ScenarioInfo {
        name: "mediator-ping",
        akrida_file: "locustMediatorPing.py",
        summary: "each user onboards to the mediator (DID Exchange, mediation, WebSocket) and trust-pings it",
        built: true,
    },
    ScenarioInfo::built("connection", "locustConnection.py", "each user connects to the issuer from a fresh invitation"),
    ScenarioInfo::built("issue", "locustMediatorIssue.py", "the issuer issues each user a credential (mediated or direct)"),
    ScenarioInfo::built("issue-revoke", "locustMediatorIssueRevoke.py", "issue, then revoke the credential"),
    ScenarioInfo::built("msg", "locustMediatorMsg.py", "the issuer sends each user basic messages; lost and duplicated ones counted"),
    planned("present-proof", "locustMediatorPresentProof.py", "the verifier requests a proof of a credential just issued"),
    planned("present-proof-existing", "locustMediatorPresentProofExisting.py", "proofs of a credential issued once per user"),
    ScenarioInfo::built("fraction-issue-verify", "locustFractionMediatorIssueVerify.py", "issue and verify, weighted 3:1"),
    ScenarioInfo {
        name: "liveness",
        akrida_file: "locustLiveness.py",
        summary: "each user GETs the issuer's /status/live (ISSUER_URL, ISSUER_HEADERS)",
        built: true,
    },
    ScenarioInfo {
        name: "multitenant-mediation",
        akrida_file: "multi-demo (ACA-Py)",
        summary: "each user creates a tenant wallet in an ACA-Py multitenant agent (admin API), takes mediation from the mediator, then connects, pings and messages other tenants through it",
        built: true,
    },
];

pub fn find(name: &str) -> Option<&'static ScenarioInfo> {
    CATALOGUE.iter().find(|s| s.name == name)
}
