//! owl-akrida against the testbed's Credo-TS 0.6 mediators (`scripts/credo-mediator`): the real
//! `akrida` binary onboards holders through each invitation shape a Credo mediator makes, and
//! the mediator's own records judge it (every connection `completed`, every mediation
//! `granted`, at least as many trust-ping responses sent as akrida counted pings). Holders then
//! get a queued message by each pickup strategy, from the Credo mediator whose forwarding
//! strategy matches it.
//!
//! Each run has its own fresh invitation and is judged only on the records and counters of that
//! invitation, so the tests share the mediators. Two akrida loads never share one mediator at a
//! time ([`one_load_on`]): Credo handles one DIDComm message at a time by default, and a second
//! load would only stretch both past their run time. Tests on different mediators run in parallel.

mod common;

use std::process::{Output, Stdio};
use std::time::Duration;

use common::*;
use testbed::{Credo, CredoInvitation, CredoStrategy};

/// One akrida load at a time on each Credo mediator, held for the length of a run.
fn one_load_on(credo: &Credo) -> std::sync::MutexGuard<'static, ()> {
    static LOADS: [std::sync::Mutex<()>; 4] = [const { std::sync::Mutex::new(()) }; 4];
    let index = testbed::CREDO_AGENTS
        .iter()
        .chain(&["credo-tls"])
        .position(|name| *name == credo.name)
        .expect("one of the testbed's Credo mediators");
    LOADS[index]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `akrida run SCENARIO --json --csv DIR/run ARGS` through one invitation, bounded in time.
fn run_akrida(
    scenario: &str,
    invitation: &str,
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let child = run_scenario_command(scenario, dir, args)
        .env("MEDIATION_URL", invitation)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("akrida starts");
    wait_bounded(child, Duration::from_secs(180))
}

/// No sample of the report failed, no holder failed to start, and akrida exited 0.
fn assert_no_failure(report: &serde_json::Value, output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(
        report["users"]["start_failures"], 0,
        "{what}: {:#}",
        report["failures"]
    );
    for e in report["entries"].as_array().unwrap() {
        assert_eq!(
            e["num_failures"], 0,
            "{what}: {} failed: {:#}",
            e["name"], report["failures"]
        );
    }
    assert_eq!(output.status.code(), Some(0), "{what}: {stderr}");
}

/// On the mediator: exactly `holders` connections through this invitation, all completed, and
/// as many granted mediations with a routing key each.
fn assert_onboarded_on_the_mediator(credo: &Credo, oob_id: &str, holders: usize, what: &str) {
    let connections = credo.connections_of(oob_id);
    let states: Vec<&str> = connections.iter().map(|c| c.state.as_str()).collect();
    assert_eq!(connections.len(), holders, "{what}: connections {states:?}");
    assert!(
        states.iter().all(|s| *s == "completed"),
        "{what}: connection states {states:?}"
    );
    let mediations = credo.mediations_of(&connections);
    let granted = mediations.iter().filter(|m| m.state == "granted").count();
    assert_eq!(granted, holders, "{what}: {mediations:?}");
    assert!(
        mediations.iter().all(|m| m.recipient_keys >= 1),
        "{what}: a holder's keylist update is missing: {mediations:?}"
    );
}

/// [`assert_onboarded_on_the_mediator`] for a run whose stop cut onboardings short: every
/// onboarding akrida counted is a completed connection with a granted mediation and a routing
/// key; those in flight at the stop (at most one per user) may have left one record more each.
fn assert_onboardings_on_the_mediator(
    credo: &Credo,
    oob_id: &str,
    onboarded: usize,
    users: usize,
    what: &str,
) {
    let connections = credo.connections_of(oob_id);
    let completed: Vec<_> = connections
        .iter()
        .filter(|c| c.state == "completed")
        .cloned()
        .collect();
    let routed = credo
        .mediations_of(&completed)
        .iter()
        .filter(|m| m.state == "granted" && m.recipient_keys >= 1)
        .count();
    assert!(
        routed >= onboarded,
        "{what}: akrida onboarded {onboarded}, the mediator has {routed} granted mediations with a key"
    );
    assert!(
        connections.len() <= onboarded + users,
        "{what}: {} connections for {onboarded} onboardings and {users} users",
        connections.len()
    );
}

/// `holders` holders onboard through a fresh invitation of `shape` and ping for a while.
fn holders_ping(credo: &Credo, shape: CredoInvitation, holders: usize, run_time: &str) {
    let what = format!("{holders} holders through {shape:?} on {}", credo.name);
    let _one = one_load_on(credo);
    let (invitation, oob_id) = credo.invitation_with_id(shape);
    let dir = output_dir(&format!("credo-{}-{shape:?}", credo.name));
    let users = holders.to_string();
    // Credo handles one DIDComm message at a time by default (processDidCommMessagesConcurrently
    // is off), an onboarding takes 0.5-5 s of it on this loaded machine: holders arrive at 5/s
    // and the run lasts long enough for the last to be connected and ping.
    let rate = holders.min(5).to_string();
    let output = run_akrida(
        "mediator-ping",
        &invitation,
        &dir,
        &common::flags(
            "--min-wait 1 --max-wait 3 --timeout 30",
            &["-u", &users, "-r", &rate, "-t", run_time],
        ),
        &[],
    );
    let report = parse_json(&output);
    assert_no_failure(&report, &output, &what);
    assert_eq!(
        report["users"]["started"], holders,
        "{what}: {:#}",
        report["users"]
    );
    for phase in ONBOARDING_PHASES {
        assert_eq!(
            entry(&report, phase)["num_requests"],
            holders,
            "{what}: {phase}"
        );
    }
    assert_onboarded_on_the_mediator(credo, &oob_id, holders, &what);

    let pings = entry(&report, "ping_mediator")["num_requests"]
        .as_u64()
        .unwrap();
    assert!(pings > 0, "{what}: no ping at all");
    let counted = credo
        .counters()
        .by_invitation
        .get(&oob_id)
        .copied()
        .unwrap_or_default();
    assert!(
        counted.trust_ping_responses_sent >= pings,
        "{what}: the mediator sent {} trust-ping responses for akrida's {pings} pings",
        counted.trust_ping_responses_sent
    );
    eprintln!(
        "{what}: {pings} pings, the mediator received {} and answered {}",
        counted.trust_pings_received, counted.trust_ping_responses_sent
    );
}

#[test]
#[ignore = "live"]
fn fifty_holders_through_credos_default_invitation() {
    let credo = Credo::ensure(CredoStrategy::DirectDelivery);
    holders_ping(&credo, CredoInvitation::MultiService, 50, "30s");
}

// The invitation shapes, 20 holders each. The forwarding strategy plays no part in onboarding
// and pinging, so the shapes are spread over the three Credo mediators: two runs at once (the
// test threads) then never share one Node event loop.

#[test]
#[ignore = "live"]
fn twenty_holders_through_the_default_invitation() {
    let credo = Credo::ensure(CredoStrategy::DirectDelivery);
    holders_ping(&credo, CredoInvitation::MultiService, 20, "20s");
}

#[test]
#[ignore = "live"]
fn twenty_holders_over_did_exchange_1_1() {
    let credo = Credo::ensure(CredoStrategy::DirectDelivery);
    holders_ping(&credo, CredoInvitation::DidExchange11, 20, "20s");
}

#[test]
#[ignore = "live"]
fn twenty_holders_through_a_did_peer_4_invitation() {
    let credo = Credo::ensure(CredoStrategy::QueueAndLiveModeDelivery);
    holders_ping(&credo, CredoInvitation::DidPeer4, 20, "20s");
}

#[test]
#[ignore = "live"]
fn twenty_holders_through_a_ws_first_invitation() {
    let credo = Credo::ensure(CredoStrategy::QueueAndLiveModeDelivery);
    holders_ping(&credo, CredoInvitation::WsFirst, 20, "20s");
}

#[test]
#[ignore = "live"]
fn twenty_holders_over_connections_1_0() {
    let credo = Credo::ensure(CredoStrategy::QueueOnly);
    holders_ping(&credo, CredoInvitation::Connections10, 20, "20s");
}

#[test]
#[ignore = "live"]
fn twenty_holders_over_did_exchange_1_0() {
    let credo = Credo::ensure(CredoStrategy::QueueOnly);
    holders_ping(&credo, CredoInvitation::DidExchange10, 20, "20s");
}

/// Behind the testbed's TLS ingress: holders onboard and ping over https + wss through nginx,
/// trusting only the testbed CA; Credo advertises the fronts in its invitation and DID documents.
#[test]
#[ignore = "live"]
fn ten_holders_over_tls() {
    let credo = Credo::ensure_named("credo-tls");
    let what = "10 holders over https + wss on credo-tls";
    let _one = one_load_on(&credo);
    let tb = testbed::ensure_tls(&["credo-tls"]);
    let ca = tb.tls().ca_cert.display().to_string();
    let (invitation, oob_id) = credo.invitation_with_id(CredoInvitation::MultiService);
    assert!(invitation.starts_with("https://localhost:"), "{invitation}");
    let dir = output_dir("credo-tls");
    let output = run_akrida(
        "mediator-ping",
        &invitation,
        &dir,
        &common::flags(
            "-u 10 -r 5 -t 15s --min-wait 1 --max-wait 3 --timeout 30",
            &["--ca-cert", &ca],
        ),
        &[],
    );
    let report = parse_json(&output);
    assert_no_failure(&report, &output, what);
    assert_eq!(report["users"]["started"], 10, "{what}");
    assert_onboarded_on_the_mediator(&credo, &oob_id, 10, what);
}

/// `mediator-onboard`: onboardings as the load (a new holder each, its socket closed after),
/// at a fixed rate; every one is a completed connection and a granted mediation on the mediator.
#[test]
#[ignore = "live"]
fn onboardings_at_a_fixed_rate() {
    let credo = Credo::ensure(CredoStrategy::QueueOnly);
    let what = "mediator-onboard at 2/s for 12 s on credo-queue";
    let _one = one_load_on(&credo);
    let (invitation, oob_id) = credo.invitation_with_id(CredoInvitation::MultiService);
    let dir = output_dir("credo-onboard");
    let output = run_akrida(
        "mediator-onboard",
        &invitation,
        &dir,
        &common::words("-u 20 -r 20 --arrival-rate 2 -t 12s --timeout 30"),
        &[],
    );
    let report = parse_json(&output);
    assert_no_failure(&report, &output, what);
    let onboarded = entry(&report, "startup")["num_requests"].as_u64().unwrap();
    // 24 were due; those of the last seconds may still be in flight at the stop.
    assert!(onboarded >= 12, "{what}: only {onboarded} onboardings");
    assert_onboardings_on_the_mediator(&credo, &oob_id, onboarded as usize, 20, what);
}

/// akrida's own pickup code paths in `mediator-ping` against the Credo mediator whose forwarding
/// strategy serves them: Pickup 2.0 polling against QueueOnly, live mode against
/// QueueAndLiveModeDelivery, implicit against DirectDelivery. No sample may fail.
fn ping_with_pickup(strategy: CredoStrategy, pickup: &str) {
    let credo = Credo::ensure(strategy);
    let what = format!(
        "mediator-ping with PICKUP_STRATEGY={pickup} on {}",
        credo.name
    );
    let (invitation, oob_id) = credo.invitation_with_id(CredoInvitation::MultiService);
    let dir = output_dir(&format!("credo-pickup-{pickup}"));
    let output = run_akrida(
        "mediator-ping",
        &invitation,
        &dir,
        &common::words("-u 5 -r 5 -t 8s --min-wait 1 --max-wait 2 --timeout 30"),
        &[("PICKUP_STRATEGY", pickup)],
    );
    let report = parse_json(&output);
    assert_no_failure(&report, &output, &what);
    assert_eq!(report["users"]["started"], 5, "{what}");
    assert_onboarded_on_the_mediator(&credo, &oob_id, 5, &what);
}

#[test]
#[ignore = "live"]
fn ping_with_implicit_pickup_on_direct_delivery() {
    ping_with_pickup(CredoStrategy::DirectDelivery, "implicit");
}

#[test]
#[ignore = "live"]
fn ping_with_pickup_v2_polling_on_queue_only() {
    ping_with_pickup(CredoStrategy::QueueOnly, "pickupv2");
}

#[test]
#[ignore = "live"]
fn ping_with_pickup_v2_live_mode_on_queue_and_live() {
    ping_with_pickup(CredoStrategy::QueueAndLiveModeDelivery, "pickupv2-live");
}

/// A holder that vanishes without closing its socket (its akrida frozen with SIGSTOP: nothing
/// read, nothing sent, no FIN) keeps the socket on Credo: Credo's WebSocket transport sends no
/// pings, so it cannot tell a silent peer from a gone one. ACA-Py pings every 3 s by default
/// (aiohttp's heartbeat) and drops a socket whose pong is 1.5 s late (`mediator_heartbeat.rs`).
/// Credo learns only from TCP: when the frozen process is killed, the kernel closes its
/// sockets and Credo's count falls at once.
#[test]
#[ignore = "live"]
fn a_vanished_holder_keeps_its_socket_on_credo() {
    const HOLDERS: usize = 3;
    let credo = Credo::ensure(CredoStrategy::QueueAndLiveModeDelivery);
    let _one = one_load_on(&credo);
    let (invitation, oob_id) = credo.invitation_with_id(CredoInvitation::MultiService);
    let dir = output_dir("credo-vanished");
    // Holders that wait longer than the run between pings: only their sockets remain.
    let mut child = common::akrida()
        .args([
            "run",
            "mediator-ping",
            "--json",
            "-u",
            "3",
            "-r",
            "3",
            "-t",
            "120s",
        ])
        .args(["--min-wait", "300", "--max-wait", "300", "--timeout", "30"])
        .env("MEDIATION_URL", &invitation)
        .env_remove("MEDIATION_URLS_FILE")
        .env_remove("PICKUP_STRATEGY")
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("akrida starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let routed = credo
            .mediations_of(&credo.connections_of(&oob_id))
            .iter()
            .filter(|m| m.state == "granted" && m.recipient_keys >= 1)
            .count();
        if routed == HOLDERS {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{routed} of {HOLDERS} holders onboarded in 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1)); // each holder's first ping is over
    let open = credo.counters().open_websockets;
    assert!(
        open >= HOLDERS as u64,
        "{open} sockets open on the mediator"
    );

    // SAFETY: kill(2) on our own child; no memory is shared.
    let stop = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGSTOP) };
    assert_eq!(stop, 0, "SIGSTOP akrida");
    std::thread::sleep(Duration::from_secs(12)); // ACA-Py's default heartbeat drops it within 4.5 s
    let while_frozen = credo.counters().open_websockets;
    child.kill().expect("SIGKILL the frozen akrida"); // the kernel closes its sockets now
    let _ = child.wait();
    assert_eq!(
        while_frozen, open,
        "Credo kept every socket of the silent holders for 12 s"
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut after = credo.counters().open_websockets;
    while after > open - HOLDERS as u64 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        after = credo.counters().open_websockets;
    }
    assert_eq!(
        after,
        open - HOLDERS as u64,
        "Credo saw the sockets closed by TCP"
    );
}

mod queued_delivery {
    //! A message forwarded while the holder is away (or not listening) reaches it by the
    //! pickup strategy the mediator's forwarding strategy serves. The message is a real
    //! forward, posted to the mediator's http endpoint as any other agent would post it.

    use super::*;
    use didcomm::diddoc::DidCommService;
    use didcomm::message::new_message;
    use didcomm::{KeyPair, VerKey};
    use holder::mediation::Grant;
    use holder::outbound::{pack_for_service, ENVELOPE_MEDIA_TYPE};
    use holder::{Holder, HolderConfig, MediatorSession};
    use serde_json::json;

    const TIMEOUT: Duration = Duration::from_secs(20);

    async fn onboard(credo: &Credo) -> (Holder, MediatorSession, Grant, VerKey) {
        let url = credo.invitation(CredoInvitation::MultiService);
        let invitation = didcomm::parse_invitation(&url).expect("Credo's invitation parses");
        let config = HolderConfig::new("akrida-credo-queue-test", TIMEOUT);
        holder::test_util::onboard_mediated(&invitation, config)
            .await
            .expect("onboarded with Credo")
    }

    /// Another agent sends one basic message to `recipient` through the mediator.
    async fn forward(grant: &Grant, recipient: VerKey, content: &str) {
        let service = DidCommService {
            recipient_keys: vec![recipient],
            routing_keys: grant.routing_keys.clone(),
            endpoint: grant.endpoint.clone(),
        };
        let message = new_message(
            "https://didcomm.org/basicmessage/1.0/message",
            json!({"content": content, "sent_time": "2026-01-01T00:00:00Z"}),
        );
        let envelope = pack_for_service(&message, &KeyPair::generate(), &service).unwrap();
        let status = reqwest::Client::new()
            .post(&grant.endpoint)
            .header("content-type", ENVELOPE_MEDIA_TYPE)
            .body(envelope)
            .send()
            .await
            .expect("the mediator answers the forward")
            .status();
        assert!(
            status.is_success(),
            "the mediator refused the forward: {status}"
        );
    }

    /// What arrived unsolicited within `wait`: the contents of basic messages, and the types of
    /// any other message (e.g. a Pickup 2.0 `delivery` the holder did not open).
    async fn arrivals(holder: &Holder, wait: Duration) -> (Vec<String>, Vec<String>) {
        let (mut contents, mut others) = (Vec::new(), Vec::new());
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match holder.inbox().next_unsolicited(left).await {
                Some(m) if m.is("basicmessage", "message") => {
                    contents.push(m.value["content"].as_str().unwrap_or_default().to_string());
                    return (contents, others);
                }
                Some(m) => others.push(m.short_type()),
                None => return (contents, others),
            }
        }
    }

    /// The one basic message that must arrive within `wait`; the failure names what came instead.
    async fn expect_content(holder: &Holder, wait: Duration, want: &str, what: &str) {
        let (contents, others) = arrivals(holder, wait).await;
        assert_eq!(
            contents,
            vec![want.to_string()],
            "{what}: the holder got no {want:?}; other messages that arrived: {others:?}"
        );
    }

    /// Waits until the mediator's queue counter reaches `at_least` (a forward's POST is answered
    /// before Credo has queued the message).
    async fn queued_reaches(credo: &Credo, at_least: u64) -> u64 {
        for _ in 0..100 {
            let queued = credo.counters().queued;
            if queued >= at_least {
                return queued;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        credo.counters().queued
    }

    /// Closes the socket and forwards one message while it is closed: Credo queues it.
    async fn forward_while_away(
        credo: &Credo,
        session: &MediatorSession,
        grant: &Grant,
        key: VerKey,
        content: &str,
    ) {
        session.close().await;
        // Credo must have seen the close, or it would write to a socket that is going away.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = credo.counters().queued;
        forward(grant, key, content).await;
        assert!(
            queued_reaches(credo, before + 1).await > before,
            "Credo queued {content:?} for the holder away"
        );
    }

    /// DirectDelivery (Credo's default): an open socket gets a forward at once. With the socket
    /// closed Credo queues it (the holder has no endpoint of its own), and keeps it queued when
    /// the holder comes back with a return-route message on a new socket: Credo's mediator has
    /// no implicit pickup (ACA-Py drains its queue there). Pickup 2.0 then gets it.
    /// Runs a test body on its own runtime while holding its mediator ([`one_load_on`]): the
    /// counters these tests read are the whole mediator's.
    fn on<F: std::future::Future<Output = ()>>(
        strategy: CredoStrategy,
        body: impl FnOnce(Credo) -> F,
    ) {
        let credo = Credo::ensure(strategy);
        let _one = one_load_on(&credo);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(body(credo));
    }

    #[test]
    #[ignore = "live"]
    fn direct_delivery_then_queue_without_implicit_pickup() {
        on(CredoStrategy::DirectDelivery, direct_delivery_body);
    }

    async fn direct_delivery_body(credo: Credo) {
        let (holder, mut session, grant, key) = onboard(&credo).await;
        forward(&grant, key, "live").await;
        expect_content(
            &holder,
            Duration::from_secs(10),
            "live",
            "open socket, DirectDelivery",
        )
        .await;

        forward_while_away(&credo, &session, &grant, key, "queued").await;
        session.reconnect().await.expect("reconnect");
        let taken_before = credo.counters().taken_from_queue;
        session.announce().await.expect("announce");
        let (contents, _) = arrivals(&holder, Duration::from_secs(2)).await;
        assert_eq!(
            contents,
            Vec::<String>::new(),
            "Credo has no implicit pickup: the queue stays"
        );
        assert_eq!(
            credo.counters().taken_from_queue,
            taken_before,
            "nothing left Credo's queue"
        );

        assert_eq!(
            session.pickup_status().await.expect("status"),
            1,
            "Pickup 2.0 status counts it"
        );
        assert_eq!(
            session.pickup_drain().await.expect("drain"),
            1,
            "Pickup 2.0 delivers it"
        );
        expect_content(
            &holder,
            Duration::from_secs(5),
            "queued",
            "Pickup 2.0 delivery from Credo",
        )
        .await;
    }

    /// QueueOnly: every forward waits in the queue, even with the socket open; Pickup 2.0
    /// status counts it, a delivery request brings it, and the queue is empty after.
    #[test]
    #[ignore = "live"]
    fn pickup_v2_polling_from_queue_only() {
        on(CredoStrategy::QueueOnly, polling_body);
    }

    async fn polling_body(credo: Credo) {
        let (holder, session, grant, key) = onboard(&credo).await;
        for round in 0..2 {
            let content = format!("queued {round}");
            let before = credo.counters().queued;
            forward(&grant, key, &content).await;
            queued_reaches(&credo, before + 1).await;
            let (pushed, _) = arrivals(&holder, Duration::from_millis(500)).await;
            assert!(
                pushed.is_empty(),
                "round {round}: QueueOnly pushes nothing down an open socket"
            );
            assert_eq!(
                session.pickup_status().await.expect("status"),
                1,
                "round {round}"
            );
            assert_eq!(
                session.pickup_drain().await.expect("drain"),
                1,
                "round {round}"
            );
            expect_content(
                &holder,
                Duration::from_secs(5),
                &content,
                &format!("round {round}"),
            )
            .await;
            assert_eq!(
                session.pickup_status().await.expect("status after"),
                0,
                "round {round}"
            );
        }
    }

    /// QueueAndLiveModeDelivery: with live mode on, a forward is pushed at once; with the
    /// socket closed it waits in the queue, and Pickup 2.0 on the new socket brings it.
    #[test]
    #[ignore = "live"]
    fn pickup_v2_live_mode_from_queue_and_live() {
        on(CredoStrategy::QueueAndLiveModeDelivery, live_body);
    }

    async fn live_body(credo: Credo) {
        let (holder, mut session, grant, key) = onboard(&credo).await;
        session.pickup_live().await.expect("live mode on");
        let removed_before = credo.counters().removed_from_queue;
        forward(&grant, key, "live").await;
        expect_content(&holder, Duration::from_secs(10), "live", "live mode").await;
        // Credo pushes a `delivery` and holds the message until the holder acknowledges it.
        let mut removed = credo.counters().removed_from_queue;
        for _ in 0..100 {
            if removed > removed_before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            removed = credo.counters().removed_from_queue;
        }
        assert_eq!(
            removed,
            removed_before + 1,
            "the holder acknowledged the pushed message (messages-received) and Credo removed it"
        );

        forward_while_away(&credo, &session, &grant, key, "queued").await;
        session.reconnect().await.expect("reconnect");
        session.pickup_live().await.expect("live mode on again");
        assert_eq!(
            session.pickup_drain().await.expect("drain"),
            1,
            "Pickup 2.0 delivers the queued one"
        );
        expect_content(&holder, Duration::from_secs(5), "queued", "after reconnect").await;
    }
}
