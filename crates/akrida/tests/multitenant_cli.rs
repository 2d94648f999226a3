//! `akrida run multitenant-mediation` from the command line against the testbed's multitenant
//! agent and mediator: listed as built, setup problems named before any load (exit 2), and a
//! short step-shaped run whose JSON report shows tenants created, talking and removed.

mod common;

use std::process::Output;

use common::*;

fn akrida(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = common::akrida();
    command.args(args);
    command.envs(env.iter().copied());
    command.output().expect("akrida runs")
}

#[test]
#[ignore = "live"]
fn multitenant_mediation_runs_from_the_command_line() {
    let listing = akrida(&["scenarios"], &[]);
    let text = String::from_utf8_lossy(&listing.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("multitenant-mediation"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(!line.contains("not built"), "{line}");

    let tb = testbed::ensure(&["mediator", "multitenant"]);
    let mediator = tb.agent("mediator");
    let invitation = mediator.invitation_url.as_deref().unwrap();
    let multitenant = tb.agent("multitenant");

    let missing = akrida(
        &["run", "multitenant-mediation", "-t", "5s"],
        &[("MEDIATION_URL", invitation)],
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("MULTITENANT_URL is not set"),
        "{}",
        stderr(&missing)
    );
    // The mediator's admin API is no multitenant agent: said before any load.
    let wrong = akrida(
        &["run", "multitenant-mediation", "-t", "5s"],
        &[
            ("MEDIATION_URL", invitation),
            ("MULTITENANT_URL", &mediator.admin_url),
        ],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("is not a multitenant agent"),
        "{}",
        stderr(&wrong)
    );

    let dir = output_dir("multitenant-cli");
    let run = akrida(
        &[
            "run",
            "multitenant-mediation",
            "-u",
            "4",
            "-r",
            "2",
            "--step-users",
            "2",
            "--step-time",
            "3s",
            "--active-share",
            "50%",
            "-t",
            "14s",
            "--min-wait",
            "0.2",
            "--max-wait",
            "0.5",
            "--raw-wallet-key",
            "true",
            "--label",
            "mtcli",
            "--json",
            "--csv",
            dir.join("run").to_str().unwrap(),
        ],
        &[
            ("MEDIATION_URL", invitation),
            ("MULTITENANT_URL", &multitenant.admin_url),
        ],
    );
    let report = parse_json(&run);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(
        entry(&report, "create_tenant")["num_requests"],
        4,
        "{report:#}"
    );
    assert_eq!(entry(&report, "tenant_mediation")["num_failures"], 0);
    assert!(
        entry(&report, "tenant_message")["num_requests"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(entry(&report, "remove_tenant")["num_requests"], 4);
    assert_eq!(
        report["failures"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
}
