//! Messages a mediator queues while a holder is away are delivered after it comes back, by
//! either strategy: implicit (return route on a new socket) against the plain ACA-Py mediator,
//! Message Pickup 2.0 against the mediator with the pickup plugin. The messages are real
//! forwards, sent through the mediator's http endpoint as any other agent would send them.
//! The implicit tests run against both ACA-Py releases of the testbed (Pickup 2.0: 0.12.8 only,
//! no plugin exists for 1.x).

use std::time::Duration;

use didcomm::diddoc::DidCommService;
use didcomm::message::new_message;
use didcomm::{KeyPair, VerKey};
use holder::mediation::Grant;
use holder::outbound::{pack_for_service, ENVELOPE_MEDIA_TYPE};
use holder::{Holder, HolderConfig, MediatorSession};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(20);

async fn onboard(agent: &str) -> (Holder, MediatorSession, Grant, VerKey) {
    let testbed = testbed::ensure(&[agent]);
    let url = testbed
        .agent(agent)
        .invitation_url
        .clone()
        .expect("mediators have an invitation");
    let invitation = didcomm::parse_invitation(&url).unwrap();
    let config = HolderConfig::new("akrida-queue-test", TIMEOUT);
    holder::test_util::onboard_mediated(&invitation, config)
        .await
        .expect("onboarded with the mediator")
}

/// Another agent sends `count` basic messages to `recipient` through the mediator.
async fn send_through_mediator(grant: &Grant, recipient: VerKey, count: usize) {
    let sender = KeyPair::generate();
    let service = DidCommService {
        recipient_keys: vec![recipient],
        routing_keys: grant.routing_keys.clone(),
        endpoint: grant.endpoint.clone(),
    };
    let http = reqwest::Client::new();
    for i in 0..count {
        let message = new_message(
            "https://didcomm.org/basicmessage/1.0/message",
            json!({"content": format!("queued {i}"), "sent_time": "2026-01-01T00:00:00Z"}),
        );
        let envelope = pack_for_service(&message, &sender, &service).unwrap();
        let status = http
            .post(&grant.endpoint)
            .header("content-type", ENVELOPE_MEDIA_TYPE)
            .body(envelope)
            .send()
            .await
            .unwrap()
            .status();
        assert!(
            status.is_success(),
            "mediator refused the forward: {status}"
        );
    }
}

async fn collect_unsolicited(holder: &Holder, want: usize) -> Vec<String> {
    let mut contents = Vec::new();
    while contents.len() < want {
        match holder
            .inbox()
            .next_unsolicited(Duration::from_secs(10))
            .await
        {
            Some(message) => contents.push(
                message.value["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            None => break,
        }
    }
    contents
}

/// Gives the mediator a moment to process our close frame, so it queues instead of writing
/// to a socket that is going away.
async fn let_close_settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

// One message is queued per round, and each round is a close, a reconnect and a drain: what
// is checked here is that the same session comes back and gets its queue each time. Several
// messages queued at once are `implicit_drain_delivers_every_queued_message` below.
const ROUNDS: usize = 3;

testbed::each_acapy! {
    #[tokio::test]
    #[ignore = "live"]
    async fn implicit_pickup_drains_the_queue_after_reconnect(acapy) {
        implicit_pickup_one_at_a_time(&acapy.name("mediator")).await;
    }
}

async fn implicit_pickup_one_at_a_time(mediator: &str) {
    let (holder, mut session, grant, routing_key) = onboard(mediator).await;
    for round in 0..ROUNDS {
        session.close().await;
        let_close_settle().await;
        send_through_mediator(&grant, routing_key, 1).await;
        assert!(
            holder
                .inbox()
                .next_unsolicited(Duration::from_millis(300))
                .await
                .is_none(),
            "round {round}: nothing arrives while disconnected"
        );
        session.reconnect().await.expect("reconnect");
        session.announce().await.expect("announce");
        assert_eq!(
            collect_unsolicited(&holder, 1).await,
            vec!["queued 0"],
            "round {round}"
        );
        session.ping().await.expect("ping after reconnect");
    }
    // Live delivery on the restored socket: pushed at once, no queue. Each once, in either
    // order: ACA-Py handles each inbound POST in a task of its own, so two forwards sent back
    // to back may leave in either order (seen once in a clean-clone run on 0.12.8, ["queued 1",
    // "queued 0"]); DIDComm v1 promises no order, and mediator-relay counts it (`out_of_order`).
    send_through_mediator(&grant, routing_key, 2).await;
    let mut live = collect_unsolicited(&holder, 2).await;
    if live.len() < 2 {
        // ACA-Py's WebSocket session holds one outbound message at a time: a forward that
        // arrives while it is taken goes to the undelivered queue instead (the book's ACA-Py
        // findings; seen in clean-clone runs on 1.7.0, ["queued 1"]). It leaves when a message
        // we send with return route has been handled and the socket's buffer is empty then,
        // so the nudge must be a ping that asks for no reply: a ping's own response may still
        // sit in the buffer when ACA-Py looks, and then the queue is not looked at (a
        // clean-clone run saw "queued 0" stay queued after a ping with a reply).
        // Delivered then, still exactly once.
        eprintln!("pushed at once: {live:?}; the rest was queued by the mediator");
        session
            .announce()
            .await
            .expect("announce after a queued forward");
        live.extend(collect_unsolicited(&holder, 2 - live.len()).await);
    }
    live.sort();
    assert_eq!(live, vec!["queued 0", "queued 1"]);
}

#[tokio::test]
#[ignore = "live"]
async fn pickup_v2_counts_and_drains_the_queue() {
    let (holder, mut session, grant, routing_key) = onboard("pickup").await;
    let mut picked_up = 0;
    for round in 0..ROUNDS {
        session.close().await;
        let_close_settle().await;
        send_through_mediator(&grant, routing_key, 1).await;
        session.reconnect().await.expect("reconnect");
        // The mediator answers the forward's POST before it has queued the message, so ask
        // until it counts it — or has already pushed it down the new socket by itself.
        let mut arrived = Vec::new();
        let mut waiting = 0;
        for _ in 0..100 {
            waiting = session.pickup_status().await.expect("status");
            if let Some(message) = holder.inbox().next_unsolicited(Duration::ZERO).await {
                arrived.push(
                    message.value["content"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            if waiting > 0 || !arrived.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(waiting <= 1, "round {round}: status {waiting}");
        let delivered = session.pickup_drain().await.expect("drain");
        assert_eq!(
            delivered, waiting,
            "round {round}: delivery brings what status counted"
        );
        picked_up += delivered;
        assert_eq!(
            session.pickup_status().await.expect("status after"),
            0,
            "round {round}"
        );
        arrived.extend(collect_unsolicited(&holder, 1 - arrived.len()).await);
        assert_eq!(arrived, vec!["queued 0"], "round {round}: exactly once");
        assert!(holder
            .inbox()
            .next_unsolicited(Duration::from_millis(200))
            .await
            .is_none());
    }
    // Which path delivered each message depends on a race inside ACA-Py (it pushes queued
    // messages down any socket that sends a return-route message whose reply is already
    // written); both paths were seen here. What is deterministic is asserted above.
    eprintln!("pickup 2.0 delivered {picked_up} of {ROUNDS} messages, ACA-Py pushed the rest");
}

/// Messages queued while the holder was away, then every return-route message it may take to
/// drain them: one announce per queued message and two more, each followed by what arrives.
async fn implicit_drain_of(acapy: testbed::Acapy, queued: usize) -> Vec<String> {
    let (holder, mut session, grant, routing_key) = onboard(&acapy.name("mediator")).await;
    session.close().await;
    let_close_settle().await;
    send_through_mediator(&grant, routing_key, queued).await;
    // The mediator answers a forward's POST before it queues the message: let it finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    session.reconnect().await.expect("reconnect");
    let mut arrived = Vec::new();
    // Back to back, then two more after a pause for anything a busy mediator left behind.
    for announces in [queued + 2, 2] {
        for _ in 0..announces {
            session.announce().await.expect("announce");
        }
        while let Some(message) = holder
            .inbox()
            .next_unsolicited(Duration::from_millis(1500))
            .await
        {
            arrived.push(
                message.value["content"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    // Whatever is still queued would now come down the socket: nothing does.
    session.ping().await.expect("ping after the drain");
    assert!(holder
        .inbox()
        .next_unsolicited(Duration::from_millis(500))
        .await
        .is_none());
    session.close().await;
    arrived
}

// The finding the README once reported for 0.12.8 (the implicit drain losing queued messages: "one
// delivered, about half of the rest dropped") re-checked on both releases: with 8 messages
// queued for one holder and one return-route message per message (no reply asked, sent back to
// back, as akrida's holders do after a reconnect), each release delivers all 8, exactly once.
// Both releases' `AcceptResult` has a `__bool__` (the old "always truthy" claim was wrong), so
// `process_undelivered` hands over one message per return-route message and leaves the others
// queued. What this asserts is what was measured on each: no loss.
testbed::each_acapy! {
    #[tokio::test]
    #[ignore = "live"]
    async fn implicit_drain_delivers_every_queued_message(acapy) {
        const QUEUED: usize = 8;
        let arrived = implicit_drain_of(acapy, QUEUED).await;
        println!("{acapy}: {} of {QUEUED} queued messages delivered: {arrived:?}", arrived.len());
        let mut unique = arrived.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), arrived.len(), "no message twice: {arrived:?}");
        assert_eq!(arrived.len(), QUEUED, "{acapy}: delivered {arrived:?} of {QUEUED}");
    }
}
