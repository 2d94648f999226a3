//! Every scenario akrida knows, with one line each, for `akrida scenarios` and `--help`.

pub struct ScenarioInfo {
    pub name: &'static str,
    /// Akrida's locust file it stands for, so operators find their old test.
    pub akrida_file: &'static str,
    pub summary: &'static str,
}

pub const CATALOGUE: &[ScenarioInfo] = &[ScenarioInfo {
    name: "mediator-ping",
    akrida_file: "locustMediatorPing.py",
    summary:
        "each user onboards to the mediator (DID Exchange, mediation, WebSocket) and trust-pings it",
}];

pub fn find(name: &str) -> Option<&'static ScenarioInfo> {
    CATALOGUE.iter().find(|s| s.name == name)
}
