//! 100 holders against the testbed's ledger-backed issuer (`issuer-indy`). A test binary of its
//! own: test binaries run one after another, so this load does not starve the short runs of
//! `indy_scenarios.rs`, which share the same issuer.

mod common;
mod indy_support;

use std::time::Duration;

use common::successes;
use indy_support::*;

/// 100 holders (direct) taking credentials from the ledger-backed issuer for a minute: no
/// failure, and the issuer's records agree with akrida's count.
#[test]
#[ignore = "live"]
fn hundred_holders_issue() {
    let servers = servers();
    let tails = testbed::ensure(&[testbed::LEDGER_ISSUER])
        .ledger()
        .tails_server
        .clone();
    let downloads_before = tails.downloads();
    let run = Run {
        users: 100,
        rate: Some(10),
        seconds: 60,
        waits: ("2", "4"),
        // The issuer on a shared 2-core machine answers slowly under this load; waiting for a
        // slow server is not a failure of the holders.
        timeout: "120",
        ..Run::default()
    };
    let report = run.clean(&servers);
    let issued = successes(&report, "receive_credential");
    let connected = successes(&report, "accept_invite");
    // How many finish in the minute depends on the issuer's CPU, which this machine shares
    // with other test suites (measured: 92 connected and 3 credentials under a load of 36,
    // see the book's benchmarks page); what must hold is no failure and the issuer agreeing with the count.
    assert!(
        issued >= 1 && connected >= 50,
        "{connected} holders connected, {issued} credentials"
    );
    // The definition is revocable: each holder checks its credential against the registry's
    // tails file, which the process fetches once for all holders (the testbed's definition has
    // one active registry, of 1,000 credentials), not once per holder.
    let counters = &report["counters"];
    assert_eq!(counters["tails_downloads"], 1, "{counters:#}");
    assert_eq!(
        tails.downloads() - downloads_before,
        1,
        "the tails server served the file once"
    );
    // A loaded issuer processes the last acks late: give it up to two minutes.
    let (finished, unfinished) = credential_exchanges_once_finished(
        &servers,
        &run,
        issued,
        Duration::from_secs(120),
        Duration::from_millis(500),
    );
    assert!(
        finished >= issued && finished <= issued + 100,
        "{finished} finished on the issuer, {issued} received"
    );
    // Not asserted: exchanges left `offer-sent` or `credential-issued` on the issuer. A holder
    // stopped at the end of the run may leave one offer it was still waiting for, and a loaded
    // issuer may not yet have processed the ack of its last credential (69 for 100 holders in
    // one CI run: 39 offers, 30 credentials not yet acknowledged).
    eprintln!("{finished} finished and {unfinished} unfinished exchanges on the issuer, {issued} credentials received");
}
