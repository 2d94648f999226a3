//! Every scenario akrida knows, with one line each and the owl-akrida locust file it stands for, for
//! `akrida scenarios`: operators coming from owl-akrida find their test by its old name.

pub struct ScenarioInfo {
    pub name: &'static str,
    /// owl-akrida's locust file it stands for, so operators find their old test.
    pub akrida_file: &'static str,
    pub summary: &'static str,
    /// What one task iteration is, in the plural, for rates (`onboardings` per second).
    pub iterations: &'static str,
}

const fn scenario(
    name: &'static str,
    akrida_file: &'static str,
    summary: &'static str,
) -> ScenarioInfo {
    ScenarioInfo {
        name,
        akrida_file,
        summary,
        iterations: "iterations",
    }
}

impl ScenarioInfo {
    /// Names what one iteration of the scenario is, when that is one thing.
    const fn counting(self, iterations: &'static str) -> Self {
        ScenarioInfo { iterations, ..self }
    }
}

pub const CATALOGUE: &[ScenarioInfo] = &[
    scenario("mediator-ping", "locustMediatorPing.py", "each user onboards to the mediator (DID Exchange, mediation, WebSocket) and trust-pings it"),
    scenario("mediator-relay", "(none: new in akrida)", "mediated holders message each other through the mediator (forwards), some asleep; every message accounted for: delivered, duplicated, out of order, late, lost").counting("messages"),
    scenario("mediator-onboard", "locustMediatorPing.py (its on_start)", "each iteration onboards a new holder to the mediator (DID Exchange, mediation, keylist update, WebSocket), then closes it: onboardings per second").counting("onboardings"),
    scenario("connection", "locustConnection.py", "each user connects to the issuer from a fresh invitation"),
    scenario("issue", "locustMediatorIssue.py", "the issuer issues each user a credential (mediated or direct)"),
    scenario("issue-revoke", "locustMediatorIssueRevoke.py", "issue, then revoke the credential"),
    scenario("msg", "locustMediatorMsg.py", "the issuer sends each user basic messages; lost and duplicated ones counted"),
    scenario("present-proof", "locustMediatorPresentProof.py", "the verifier requests a proof of a credential just issued"),
    scenario("present-proof-existing", "locustMediatorPresentProofExisting.py", "proofs of a credential issued once per user"),
    scenario("fraction-issue-verify", "locustFractionMediatorIssueVerify.py", "issue and verify, weighted 3:1"),
    scenario("liveness", "locustLiveness.py", "each user GETs the issuer's /status/live (ISSUER_URL, ISSUER_HEADERS)"),
    scenario("multitenant-mediation", "multi-demo (ACA-Py)", "each user creates a tenant wallet in an ACA-Py multitenant agent (admin API), takes mediation from the mediator, then connects, pings and messages other tenants through it"),
];

pub fn find(name: &str) -> Option<&'static ScenarioInfo> {
    CATALOGUE.iter().find(|s| s.name == name)
}

/// What one iteration of scenario `name` is, in the plural (`iterations` when unknown).
pub fn iterations_of(name: &str) -> &'static str {
    find(name).map_or("iterations", |s| s.iterations)
}
