//! `akrida agent` (owl-akrida's agent.js protocol) against the real testbed, driven by a Python
//! harness that speaks the protocol the way owl-akrida's `locustClient.py` does
//! (`agent_harness.py`), with the servers' own records as the verdict. Also the protocol's edge
//! cases without any server, and `akrida run --agent-cmd "akrida agent"` end to end.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;

fn python() -> PathBuf {
    testbed::repo_root().join(".venv/acapy/bin/python")
}

fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/agent_harness.py")
}

fn agent_cmd() -> String {
    format!("'{}' agent", env!("CARGO_BIN_EXE_akrida"))
}

/// Runs the harness; returns the JSON it printed, or panics with its stderr.
fn run_harness(args: &[&str], mediation_url: &str) -> serde_json::Value {
    let output = Command::new(python())
        .arg(harness())
        .args(args)
        .env("MEDIATION_URL", mediation_url)
        .env("VERIFIED_TIMEOUT_SECONDS", "30")
        .output()
        .expect("the testbed's python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "harness failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("harness printed {stdout:?}: {e}\n{stderr}"))
}

#[test]
#[ignore = "live"]
fn start_ping_shutdown_and_restore_keep_one_mediator_connection() {
    let tb = testbed::ensure(&["mediator"]);
    let mediator = tb.agent("mediator");
    let result = run_harness(
        &[
            "ping",
            "--agent",
            &agent_cmd(),
            "--mediator-admin",
            &mediator.admin_url,
            "--pings",
            "5",
        ],
        mediator.invitation_url.as_deref().unwrap(),
    );
    assert_eq!(result["exit_codes"], serde_json::json!([0, 0]), "{result}");
    assert_eq!(result["same_did"], true, "{result}");
    assert_eq!(
        result["mediator_connections_before_restart"], 1,
        "one mediator connection with our label: {result}"
    );
    assert_eq!(
        result["mediator_connections_after_restart"], 1,
        "restoring the agentConfig made no new connection: {result}"
    );
}

#[test]
#[ignore = "live"]
fn invitation_credential_and_message_through_the_mediator() {
    let tb = testbed::ensure(&["mediator", "issuer"]);
    let mediator = tb.agent("mediator");
    let issuer = tb.agent("issuer");
    let agent = agent_cmd();
    let mut args = vec![
        "issue",
        "--agent",
        &agent,
        "--issuer-admin",
        &issuer.admin_url,
    ];
    if let Some(key) = issuer.admin_api_key.as_deref() {
        args.extend(["--issuer-key", key]);
    }
    let result = run_harness(&args, mediator.invitation_url.as_deref().unwrap());
    assert_eq!(result["cred_ex_state"], "done", "issuer record: {result}");
    assert_eq!(result["pres_state"], "done", "verifier record: {result}");
    assert_eq!(result["pres_verified"], "true", "verifier record: {result}");
    assert!(
        result["unmatched_answer"]
            .as_str()
            .unwrap()
            .contains("no stored credential satisfies input descriptor missing"),
        "{result}"
    );
    assert_eq!(result["unmatched_state"], "abandoned", "{result}");
    let subject = result["credential_subject"].as_str().unwrap_or_default();
    assert!(
        subject.starts_with("did:key:z6Mk"),
        "the holder bound its did:key: {result}"
    );
    assert_eq!(
        result["their_endpoint"].as_str(),
        Some(mediator.http_url.as_str()),
        "the issuer reaches the holder through the mediator: {result}"
    );
    assert_eq!(result["deleted"], "Delete OOB Record");
    assert!(
        result["second_delete"]
            .as_str()
            .unwrap()
            .contains("no out-of-band record"),
        "{result}"
    );
    assert_eq!(result["exit_code"], 0);
}

/// The protocol without any server: every line answered, errors readable, EOF a clean exit.
#[test]
fn bad_input_is_answered_and_eof_exits_cleanly() {
    let mut child = akrida()
        .arg("agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = concat!(
        "not json\n",
        "[1,2]\n",
        "{\"cmd\":\"fly\"}\n",
        "\n",
        "{\"cmd\":\"ping_mediator\"}\n",
        "{\"cmd\":\"start\",\"withMediation\":true,\"port\":10000}\n",
        "{\"cmd\":\"start\",\"withMediation\":false}\n",
        "{\"cmd\":\"receiveInvitation\"}\n",
        "{\"cmd\":\"presentationExchange\"}\n",
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "EOF is a clean exit");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let causes: Vec<&str> = lines
        .iter()
        .map(|l| l["result"].as_str().unwrap())
        .collect();
    assert!(lines.iter().all(|l| l["error"] == 1), "{stdout}");
    assert_eq!(lines.len(), 8, "one line per non-empty command: {stdout}");
    assert!(causes[0].contains("not JSON"), "{causes:?}");
    assert!(causes[1].contains("not a JSON object"), "{causes:?}");
    assert!(causes[2].starts_with("Invalid command"), "{causes:?}");
    assert!(causes[3].contains("not started"), "{causes:?}");
    assert!(causes[4].contains("MEDIATION_URL"), "{causes:?}");
    assert!(causes[5].contains("port"), "{causes:?}");
    assert!(causes[6].contains("invitationUrl"), "{causes:?}");
    assert!(causes[7].contains("not started"), "{causes:?}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

/// Without mediation the agent listens on AGENT_IP:port; shutdown answers and exits 0.
#[test]
fn unmediated_start_listens_and_shutdown_exits_zero() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = akrida()
        .arg("agent")
        .env("AGENT_IP", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        "{{\"cmd\":\"start\",\"withMediation\":false,\"port\":{port}}}"
    )
    .unwrap();
    writeln!(stdin, "{{\"cmd\":\"ping_mediator\"}}").unwrap();
    writeln!(stdin, "{{\"cmd\":\"shutdown\"}}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0]["error"], 0, "{stdout}");
    assert_eq!(
        lines[0]["result"]["endpoints"][0],
        format!("http://127.0.0.1:{port}")
    );
    assert_eq!(lines[1]["error"], 1, "no mediator to ping: {stdout}");
    assert_eq!(
        lines[2],
        serde_json::json!({"error": 0, "result": "Shutting down agent"})
    );
}

/// `akrida run mediator-ping --agent-cmd "akrida agent"`: our agent as an external agent.
#[test]
#[ignore = "live"]
fn run_mediator_ping_with_akrida_agents_as_external_agents() {
    let mediator = mediator();
    let dir = output_dir("agent-cmd");
    let agent_cmd = agent_cmd();
    let mut args = words("-u 3 -r 3 -t 12s --min-wait 0.5 --max-wait 1 --timeout 30");
    args.extend(["--agent-cmd", &agent_cmd]);
    let child = start_mediator_ping(&mediator, &dir, &args);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    assert_eq!(report["users"]["started"], 3, "{:#}", report["users"]);
    assert_eq!(entry(&report, "startup")["num_requests"], 3, "{report:#}");
    let pings = entry(&report, "ping_mediator");
    assert!(pings["num_requests"].as_u64().unwrap() >= 6, "{pings:#}");
    assert_eq!(pings["num_failures"], 0, "{:#}", report["failures"]);
    assert_eq!(report["users"]["on_stop_timeouts"], 0);
    assert_eq!(output.status.code(), Some(0));
}

/// Without mediation (`withMediation:false`, its own endpoint on AGENT_IP:port): the issuer
/// sends straight to the agent, and the exchange still ends `done`.
#[test]
#[ignore = "live"]
fn invitation_credential_and_message_without_mediation() {
    let tb = testbed::ensure(&["issuer"]);
    let issuer = tb.agent("issuer");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let agent = agent_cmd();
    let mut args = vec![
        "issue",
        "--agent",
        &agent,
        "--issuer-admin",
        &issuer.admin_url,
        "--port",
        &port,
    ];
    if let Some(key) = issuer.admin_api_key.as_deref() {
        args.extend(["--issuer-key", key]);
    }
    let result = run_harness(&args, "");
    assert_eq!(result["cred_ex_state"], "done", "issuer record: {result}");
    assert_eq!(result["pres_verified"], "true", "verifier record: {result}");
    assert_eq!(
        result["their_endpoint"].as_str(),
        Some(format!("http://127.0.0.1:{port}").as_str()),
        "{result}"
    );
    assert_eq!(result["exit_code"], 0);
}

/// `PICKUP_STRATEGY=pickupv2`: the agent asks its mediator for a Pickup 2.0 status as its
/// socket opens, and again when it reopens it, as agent.js does; `implicit` asks nothing. Judged
/// on the testbed's Credo mediator (QueueOnly, which keeps every forward for pickup): its own
/// count of the status requests that came on the connection made through each agent's
/// invitation. The mediator is restarted to close the socket under the agent (its counters
/// start again from zero; its connections are in its store).
#[test]
#[ignore = "live"]
fn a_pickupv2_agent_asks_its_mediator_for_a_status_as_its_socket_opens_and_reopens() {
    let credo = testbed::Credo::ensure(testbed::CredoStrategy::QueueOnly);
    let status_requests = |oob_id: &str| {
        credo
            .counters()
            .by_invitation
            .get(oob_id)
            .map_or(0, |c| c.pickup_status_requests_received)
    };
    let (invitation, implicit_oob) =
        credo.invitation_with_id(testbed::CredoInvitation::MultiService);
    let mut implicit = AgentProcess::start(&invitation, "implicit");
    let (invitation, pickup_oob) = credo.invitation_with_id(testbed::CredoInvitation::MultiService);
    let mut pickup = AgentProcess::start(&invitation, "pickupv2");
    implicit.ok(r#"{"cmd":"ping_mediator"}"#);
    pickup.ok(r#"{"cmd":"ping_mediator"}"#);
    assert_eq!(status_requests(&implicit_oob), 0, "implicit, at start");
    assert_eq!(status_requests(&pickup_oob), 1, "pickupv2, at start");

    testbed::run(&["restart", &credo.name]);
    // The restart closed both sockets; each ping reopens its agent's socket first.
    implicit.ok(r#"{"cmd":"ping_mediator"}"#);
    pickup.ok(r#"{"cmd":"ping_mediator"}"#);
    assert_eq!(
        status_requests(&implicit_oob),
        0,
        "implicit, after reopening"
    );
    assert_eq!(status_requests(&pickup_oob), 1, "pickupv2, after reopening");
    implicit.shut_down();
    pickup.shut_down();
}

/// `akrida agent` driven one command at a time, as locustClient.py drives agent.js.
struct AgentProcess {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
    strategy: String,
}

impl AgentProcess {
    /// An agent started with mediation through `invitation`, with `PICKUP_STRATEGY=strategy`.
    fn start(invitation: &str, strategy: &str) -> AgentProcess {
        let mut child = akrida()
            .arg("agent")
            .env("MEDIATION_URL", invitation)
            .env("PICKUP_STRATEGY", strategy)
            .env("VERIFIED_TIMEOUT_SECONDS", "30")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut agent = AgentProcess {
            child,
            stdin,
            lines,
            strategy: strategy.to_string(),
        };
        agent.ok(r#"{"cmd":"start","withMediation":true}"#);
        agent
    }

    /// Sends one command; its answer, which must be a success.
    fn ok(&mut self, command: &str) -> serde_json::Value {
        writeln!(self.stdin, "{command}").unwrap();
        let line = self
            .lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{}: no answer to {command}", self.strategy));
        let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            answer["error"], 0,
            "{}: {command} -> {answer}",
            self.strategy
        );
        answer
    }

    fn shut_down(mut self) {
        self.ok(r#"{"cmd":"shutdown"}"#);
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{}", self.strategy);
    }
}

impl Drop for AgentProcess {
    /// A test that failed half-way leaves no agent running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
