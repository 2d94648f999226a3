//! The first real round trip: one holder connects to the testbed's ACA-Py mediator from its
//! invitation, gets mediation granted, registers a routing key, and pings it over a WebSocket
//! with return route `all`. Each handshake protocol the mediator offers is exercised, and the
//! outcome is checked on the mediator's own admin API, not only on what the holder believes.

use std::time::Duration;

use controller::AdminClient;
use holder::{Holder, HolderConfig};

const TIMEOUT: Duration = Duration::from_secs(20);

async fn round_trip(handshake: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("holder=debug")
        .with_test_writer()
        .try_init();
    let testbed = testbed::ensure(&["mediator"]);
    let mediator = testbed.agent("mediator");
    let admin = AdminClient::new(&mediator.admin_url, &[]).unwrap();
    // A fresh invitation that offers only the protocol under test.
    let invitation = admin
        .create_oob_invitation(&[handshake], true)
        .await
        .unwrap();
    let url = invitation["invitation_url"].as_str().unwrap();
    let invitation = didcomm::parse_invitation(url).unwrap();

    let holder = Holder::new(HolderConfig::new(
        format!("akrida-test-{handshake}"),
        TIMEOUT,
    ));
    let connection = holder.connect(&invitation).await.expect("connect");
    let mut session = holder
        .open_mediator_session(connection)
        .await
        .expect("socket open");
    let grant = session.request_mediation().await.expect("mediation grant");
    assert!(!grant.routing_keys.is_empty(), "grant has routing keys");
    assert_eq!(
        grant.endpoint, mediator.http_url,
        "grant endpoint is the mediator's http endpoint"
    );
    session.add_routing_key().await.expect("keylist update");
    for _ in 0..3 {
        session
            .ping()
            .await
            .expect("trust ping answered on the socket");
    }

    // The mediator's own records: our connection, with a granted mediation.
    let connections = admin
        .connections_with_their_did(&session.mediator.my_did)
        .await
        .unwrap();
    assert_eq!(
        connections.len(),
        1,
        "mediator has exactly one connection with our DID"
    );
    let connection_id = connections[0]["connection_id"].as_str().unwrap();
    let state = connections[0]["state"].as_str().unwrap();
    assert!(
        matches!(state, "active" | "completed"),
        "connection state {state}"
    );
    let records = admin.mediation_requests(Some(connection_id)).await.unwrap();
    assert_eq!(records.len(), 1, "one mediation record for our connection");
    assert_eq!(records[0]["state"], "granted");

    session.close().await;
}

#[tokio::test]
async fn didexchange_1_0_round_trip() {
    round_trip("didexchange/1.0").await;
}

#[tokio::test]
async fn didexchange_1_1_round_trip() {
    round_trip("didexchange/1.1").await;
}

#[tokio::test]
async fn connections_1_0_round_trip() {
    round_trip("connections/1.0").await;
}
