//! The settings a run shows — `--dry-run`, the JSON report's `parameters`, the HTML report's
//! "Run parameters", a capacity report — derived from the options type itself: `RunArgs`'
//! `Serialize` gives every value, and each option's help heading says what it is for, so only the
//! headings that apply to the scenario run are shown (a `mediator-ping` run shows no credential
//! or tenant settings; an `--agent-cmd` run shows the agent command and its timeouts). A new
//! option appears here by itself, under its heading. Secrets are redacted by the callers
//! (`engine::report::redact`), by name.

use clap::Args;
use serde_json::{Map, Value};

use crate::cli::{heading, RunArgs};

/// The settings of this run that apply to its scenario, as one JSON object.
pub fn settings(args: &RunArgs) -> Value {
    let Ok(Value::Object(mut all)) = serde_json::to_value(args) else {
        unreachable!("RunArgs serializes to a JSON object: its fields are strings, numbers, lists")
    };
    let mut shown = Map::new();
    for (id, heading) in option_headings() {
        if heading.as_deref().is_none_or(|h| applies(h, args)) {
            if let Some(value) = all.remove(&id) {
                shown.insert(id, value);
            }
        }
    }
    Value::Object(shown)
}

/// Every option of a scenario run: its id (its key in the settings) and its help heading.
fn option_headings() -> Vec<(String, Option<String>)> {
    let command = RunArgs::augment_args(clap::Command::new("run"));
    command
        .get_arguments()
        .map(|arg| {
            let heading = arg.get_help_heading().map(str::to_string);
            (arg.get_id().to_string(), heading)
        })
        .collect()
}

/// Whether the options under `heading` are read by this run's scenario.
fn applies(heading: &str, args: &RunArgs) -> bool {
    let scenario = args.scenario.as_str();
    let issuer_kind = scenarios::issuer::Kind::from_name(scenario);
    let external = args.agent_cmd.is_some();
    let relay = scenario == "mediator-relay";
    let holders = scenario == "mediator-ping" || relay || issuer_kind.is_some();
    match heading {
        heading::MEDIATOR => {
            scenario == "mediator-ping"
                || relay
                || scenario == "multitenant-mediation"
                || (issuer_kind.is_some() && args.with_mediation)
        }
        // External agents hold their own settings; akrida passes them MEDIATION_URL and the
        // mediation flag (shown under their headings).
        heading::HOLDERS => holders && !external,
        heading::DIRECT => issuer_kind.is_some() && !args.with_mediation && !external,
        heading::ISSUER => issuer_kind.is_some() || scenario == "liveness",
        heading::VERIFIER => issuer_kind.is_some_and(|k| k.needs_verifier()),
        heading::CREDENTIALS => issuer_kind.is_some_and(|k| k.issues()),
        heading::CONNECTIONS => scenario == "connection",
        heading::MESSAGES => scenario == "msg",
        heading::MULTITENANT => scenario == "multitenant-mediation",
        heading::RELAY => relay && !external,
        heading::SLEEP => (relay || scenario == "mediator-ping") && !external,
        heading::AGENTS => external,
        // Load, servers and TLS, reports: every run.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn run_args(args: &[&str]) -> RunArgs {
        let mut argv = vec!["akrida", "run"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)
            .expect("the arguments parse")
            .command
        {
            Command::Run(args) => args,
            _ => unreachable!("a run command"),
        }
    }

    #[test]
    fn every_serialized_setting_is_an_option_with_a_heading() {
        let args = run_args(&["issue"]);
        let Value::Object(all) = serde_json::to_value(&args).unwrap() else {
            panic!("an object")
        };
        let headings: std::collections::HashMap<_, _> = option_headings().into_iter().collect();
        for key in all.keys() {
            let heading = headings.get(key).unwrap_or_else(|| {
                panic!("setting {key} is no option id: rename it as its #[arg(id)]")
            });
            assert!(
                heading.is_some() || key == "scenario",
                "option {key} has no help_heading, so no scenario would know it applies"
            );
        }
    }

    #[test]
    fn a_scenario_shows_only_its_own_settings() {
        let ping = settings(&run_args(&["mediator-ping"]));
        for present in [
            "users",
            "mediation_url",
            "pickup_strategy",
            "timeout",
            "tls_verification",
        ] {
            assert!(ping.get(present).is_some(), "mediator-ping lacks {present}");
        }
        for absent in [
            "cred_attr",
            "issuer_type",
            "multitenant_url",
            "agent_ip",
            "agent_cmd",
        ] {
            assert!(ping.get(absent).is_none(), "mediator-ping shows {absent}");
        }
        let direct = settings(&run_args(&["issue", "--with-mediation", "false"]));
        assert!(direct.get("agent_port").is_some() && direct.get("cred_attr").is_some());
        assert!(direct.get("mediation_url").is_none());
        let tenants = settings(&run_args(&["multitenant-mediation"]));
        assert_eq!(tenants["wallet_key_derivation"], "argon2 (ACA-Py default)");
        assert!(tenants.get("cred_attr").is_none());
    }
}
