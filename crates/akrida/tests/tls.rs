//! akrida against a deployment behind TLS: the testbed's nginx in front of `mediator-tls` and
//! `issuer-tls`, certificates from the testbed's own CA.
//!
//! - mediator-ping over https + wss: every holder onboards (the mediator's own records say so),
//!   nginx saw the holders' requests over TLS, and each holder came on connections of its own;
//! - trust: an untrusted CA, a certificate for another host name and an expired certificate
//!   each stop the run before any load with a sentence naming the problem; `--ca-cert` and
//!   `SSL_CERT_FILE` fix the first; `--tls-insecure` runs, warns, and the report says so.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Mutex;

use common::{entry, parse_json, stderr};

/// The tests here read nginx's one access log; run them one at a time so each sees its own
/// requests only.
static ACCESS_LOG: Mutex<()> = Mutex::new(());

fn akrida(args: &[&str], env: &[(&str, &str)]) -> Output {
    // Only what the test says decides the trust: no SSL_CERT_FILE, SSL_CERT_DIR or
    // AKRIDA_CA_CERT of the developer's.
    let mut command = common::akrida();
    command.args(args);
    command
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.output().expect("akrida runs")
}

/// Granted mediations on a mediator, read from its admin API behind nginx's back.
#[test]
#[ignore = "live"]
fn mediator_ping_over_https_and_wss_with_a_connection_per_holder() {
    let (_log, tb) = common::tls_testbed(&ACCESS_LOG);
    let tls = tb.tls();
    let mediator = tb.agent("mediator-tls");
    let invitation = mediator.invitation_url.as_deref().expect("invitation");
    assert!(invitation.starts_with("https://localhost:"), "{invitation}");
    let ca = tls.ca_cert.to_str().unwrap();
    let holders: usize = 50;

    let grants_before = common::granted_behind_tls(mediator);
    let mark = tls.access_log_mark();
    let output = akrida(
        &[
            "run",
            "mediator-ping",
            "-u",
            "50",
            "-r",
            "10",
            "-t",
            "20s",
            "--json",
            "--min-wait",
            "1",
            "--max-wait",
            "2",
            "--ca-cert",
            ca,
        ],
        &[("MEDIATION_URL", invitation)],
    );
    let report = parse_json(&output);
    assert_eq!(
        report["total"]["num_failures"],
        0,
        "{:#}\n{}",
        report["failures"],
        stderr(&output)
    );
    assert_eq!(entry(&report, "startup")["num_requests"], holders);
    assert!(
        entry(&report, "ping_mediator")["num_requests"]
            .as_u64()
            .unwrap()
            >= holders as u64
    );
    assert_eq!(report["parameters"]["tls_verification"], "on");
    // The mediator's own records: a grant for every holder.
    assert!(
        common::granted_behind_tls(mediator) >= grants_before + holders,
        "{} grants before, {} after",
        grants_before,
        common::granted_behind_tls(mediator)
    );

    // nginx: the holders' DIDComm POSTs reached the https front and their sockets the wss
    // front (a socket's line is written when it closes; the holders closed theirs at the end).
    let entries = tls.access_log_since(mark);
    let https = tls.front("mediator-tls-https").port;
    let wss = tls.front("mediator-tls-wss").port;
    let posts: Vec<_> = entries
        .iter()
        .filter(|e| e.server_port == https && e.request_method == "POST")
        .collect();
    let sockets: Vec<_> = entries
        .iter()
        .filter(|e| e.server_port == wss && e.is_websocket())
        .collect();
    assert!(posts.len() >= holders, "{} POSTs", posts.len());
    assert_eq!(sockets.len(), holders, "one socket per holder");
    assert!(
        posts
            .iter()
            .chain(&sockets)
            .all(|e| e.ssl_protocol.starts_with("TLSv")),
        "every request came over TLS"
    );
    // Each holder on connections of its own: at least as many TLS connections for the POSTs
    // as holders (a shared pool would carry them all on a handful).
    let post_connections: HashSet<_> = posts.iter().map(|e| e.connection_id()).collect();
    assert!(
        post_connections.len() >= holders,
        "{} distinct connections carried the {} holders' POSTs",
        post_connections.len(),
        holders
    );
    let resumed = sockets.iter().filter(|e| e.ssl_session_reused).count();
    eprintln!(
        "{holders} holders: {} POST connections, {} sockets ({resumed} resumed their holder's TLS session)",
        post_connections.len(),
        sockets.len()
    );
}

/// An invitation of the TLS mediator whose endpoint is `endpoint` (another front of nginx,
/// reaching the same mediator), as JSON.
fn invitation_at(endpoint: &str) -> String {
    let created: serde_json::Value =
        serde_json::from_str(&testbed::run(&["invite", "mediator-tls", "--json"])).unwrap();
    let mut invitation = created["invitation"].clone();
    invitation["services"][0]["serviceEndpoint"] = endpoint.into();
    invitation.to_string()
}

fn refused_before_load(output: &Output, words: &[&str]) {
    let said = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    for word in words {
        assert!(said.contains(word), "{word:?} missing in: {said}");
    }
    assert!(!said.contains("ping_mediator"), "no load was sent: {said}");
}

fn short_run(extra: &[&str], env: &[(&str, &str)], report: &Path) -> Output {
    let html = report.to_str().unwrap();
    let mut args =
        common::words("run mediator-ping -u 2 -r 2 -t 4s --json --min-wait 0.5 --max-wait 1");
    args.extend(["--html", html]);
    args.extend_from_slice(extra);
    akrida(&args, env)
}

#[test]
#[ignore = "live"]
fn certificates_akrida_cannot_trust_stop_the_run_with_the_reason() {
    let _log = ACCESS_LOG.lock().unwrap_or_else(|e| e.into_inner());
    let tb = testbed::ensure_tls(&[]);
    let tls = tb.tls();
    let ca = tls.ca_cert.to_str().unwrap();
    let mediator = tb.agent("mediator-tls");
    let invitation = mediator.invitation_url.as_deref().unwrap();
    let dir = common::output_dir("tls-trust");

    // A private CA: refused by default, with what to do about it…
    let untrusted = akrida(
        &["run", "mediator-ping", "-t", "30s"],
        &[("MEDIATION_URL", invitation)],
    );
    refused_before_load(
        &untrusted,
        &["https://localhost:", "unknown issuer", "--ca-cert"],
    );
    // … for an admin API too.
    let issuer_admin = &tb.agent("issuer-tls").admin_url;
    let admin = akrida(
        &["run", "liveness", "-t", "30s"],
        &[("ISSUER_URL", issuer_admin)],
    );
    refused_before_load(
        &admin,
        &["the issuer at https://localhost:", "unknown issuer"],
    );

    // A certificate for another host name, and an expired one (both from the trusted CA).
    let wrong_host = invitation_at(&tls.front("wrong-host").url);
    let output = akrida(
        &["run", "mediator-ping", "-t", "30s", "--ca-cert", ca],
        &[("MEDIATION_URL", &wrong_host)],
    );
    refused_before_load(
        &output,
        &[
            "not valid for the host name localhost",
            "wrong-host.akrida.test",
        ],
    );
    let expired = invitation_at(&tls.front("expired").url);
    let output = akrida(
        &["run", "mediator-ping", "-t", "30s", "--ca-cert", ca],
        &[("MEDIATION_URL", &expired)],
    );
    refused_before_load(&output, &["has expired"]);

    // The CA trusted: by --ca-cert, by AKRIDA_CA_CERT, or by SSL_CERT_FILE as OpenSSL reads it.
    for (how, extra, env) in [
        (
            "--ca-cert",
            vec!["--ca-cert", ca],
            vec![("MEDIATION_URL", invitation)],
        ),
        (
            "AKRIDA_CA_CERT",
            vec![],
            vec![("MEDIATION_URL", invitation), ("AKRIDA_CA_CERT", ca)],
        ),
        (
            "SSL_CERT_FILE",
            vec![],
            vec![("MEDIATION_URL", invitation), ("SSL_CERT_FILE", ca)],
        ),
    ] {
        let output = short_run(&extra, &env, &dir.join("trusted.html"));
        let report = parse_json(&output);
        assert_eq!(output.status.code(), Some(0), "{how}: {}", stderr(&output));
        assert_eq!(entry(&report, "startup")["num_requests"], 2, "{how}");
        assert_eq!(report["total"]["num_failures"], 0, "{how}");
    }

    // Verification off: runs even through the wrong-host front, says so on stderr and in
    // both reports.
    let html = dir.join("insecure.html");
    let output = short_run(
        &["--tls-insecure"],
        &[("MEDIATION_URL", &wrong_host)],
        &html,
    );
    let report = parse_json(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(entry(&report, "startup")["num_requests"], 2);
    assert!(
        stderr(&output).contains("not verified"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        report["parameters"]["tls_verification"],
        "off (--tls-insecure)"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("off (--tls-insecure)"),
        "the HTML report says so"
    );
}
