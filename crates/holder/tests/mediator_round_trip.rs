//! The first real round trip: one holder connects to the testbed's ACA-Py mediator from its
//! invitation, gets mediation granted, registers a routing key, and pings it over a WebSocket
//! with return route `all`. Each handshake protocol the mediator offers is exercised, and the
//! outcome is checked on the mediator's own admin API, not only on what the holder believes.
//! Against both ACA-Py releases of the testbed (0.12.8 and 1.7.0); 1.x removed connections/1.0,
//! and its test checks that 1.7.0 refuses to offer it.

use std::time::Duration;

use admin_client::AdminClient;
use holder::{Holder, HolderConfig};

const TIMEOUT: Duration = Duration::from_secs(20);

async fn round_trip(acapy: testbed::Acapy, handshake: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("holder=debug")
        .with_test_writer()
        .try_init();
    let testbed = acapy.ensure(&["mediator"]);
    let mediator = testbed.agent(&acapy.name("mediator"));
    assert_eq!(mediator.acapy_version, acapy.version());
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

testbed::each_acapy! {
    #[tokio::test]
    #[ignore = "live"]
    async fn didexchange_1_0_round_trip(acapy) {
        round_trip(acapy, "didexchange/1.0").await;
    }
}

testbed::each_acapy! {
    #[tokio::test]
    #[ignore = "live"]
    async fn didexchange_1_1_round_trip(acapy) {
        round_trip(acapy, "didexchange/1.1").await;
    }
}

testbed::each_acapy! {
    #[tokio::test]
    #[ignore = "live"]
    async fn connections_1_0_round_trip(acapy) {
        if acapy.has_connections_v1() {
            round_trip(acapy, "connections/1.0").await;
            return;
        }
        // 1.x removed RFC 0160 but still puts it in an invitation that asks for it; a request
        // then gets no answer (the mediator logs "Unrecognized message type"), and the holder's
        // timeout says why.
        let testbed = acapy.ensure(&["mediator"]);
        let mediator = testbed.agent(&acapy.name("mediator"));
        let admin = AdminClient::new(&mediator.admin_url, &[]).unwrap();
        let invitation = admin.create_oob_invitation(&["connections/1.0"], true).await.unwrap();
        let invitation = didcomm::parse_invitation(invitation["invitation_url"].as_str().unwrap()).unwrap();
        let holder = Holder::new(HolderConfig::new("akrida-test-rfc0160", Duration::from_secs(3)));
        let err = holder.connect(&invitation).await.expect_err("1.x answered connections/1.0");
        // Over http the request's own POST is what times out (the mediator holds it open).
        let text = err.to_string();
        assert!(
            text.contains("ACA-Py 1.x no longer answers") || text.contains("timed out"),
            "{text}"
        );
    }
}
