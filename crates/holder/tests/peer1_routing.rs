//! Our DID Exchange 1.0 `did:peer:1` document carries the mediator's routing keys, and ACA-Py
//! uses them: a mediated holder connects to the testbed's issuer over DID Exchange 1.0, the
//! issuer sends it a basic message, and the message arrives through the mediator's socket.
//! Against both ACA-Py releases (0.12.8 and 1.7.0). See the book's "Wire compatibility".

use std::time::Duration;

use admin_client::AdminClient;
use holder::connection::{connect_with_key, OurEndpoint};
use holder::outbound::Channel;
use holder::{Holder, HolderConfig};

const TIMEOUT: Duration = Duration::from_secs(20);

async fn issuer_reaches_a_peer1_holder_through_the_mediator(acapy: testbed::Acapy) {
    let testbed = acapy.ensure(&["mediator", "issuer"]);
    let mediator = testbed.agent(&acapy.name("mediator"));
    let issuer = testbed.agent(&acapy.name("issuer"));
    let label = "akrida-test-peer1-routing";
    let holder = Holder::new(HolderConfig::new(label, TIMEOUT));
    let invitation = didcomm::parse_invitation(
        mediator
            .invitation_url
            .as_deref()
            .expect("mediators have an invitation"),
    )
    .unwrap();
    let mut session = holder
        .open_mediator_session(holder.connect(&invitation).await.expect("connect"))
        .await
        .expect("socket");
    let grant = session.request_mediation().await.expect("grant");
    let verkey = session.add_routing_key().await.expect("keylist update");
    let key = holder
        .inbox()
        .keys()
        .find(&verkey)
        .expect("the key is ours");

    let admin = AdminClient::new(&issuer.admin_url, &[]).unwrap();
    let created = admin
        .create_oob_invitation(&["didexchange/1.0"], true)
        .await
        .unwrap();
    let invitation =
        didcomm::parse_invitation(created["invitation_url"].as_str().unwrap()).unwrap();
    let endpoint = invitation.inline_or_peer_service().unwrap().endpoint;
    let ours = OurEndpoint {
        endpoint: grant.endpoint.clone(),
        routing_keys: grant.routing_keys.clone(),
    };
    let connection = connect_with_key(
        &invitation,
        label,
        &ours,
        key,
        Channel::Http {
            client: holder.http(),
            url: &endpoint,
        },
        holder.inbox(),
        TIMEOUT,
    )
    .await
    .expect("DID Exchange 1.0 with the issuer");
    assert!(
        connection.my_did.starts_with("did:peer:1zQm"),
        "{}",
        connection.my_did
    );

    // The issuer's own record of us, by our did:peer:1, becomes active.
    let records = admin
        .connections_with_their_did(&connection.my_did)
        .await
        .unwrap();
    assert_eq!(
        records.len(),
        1,
        "one connection with our DID on the issuer"
    );
    let id = records[0]["connection_id"].as_str().unwrap().to_string();
    let mut state = String::new();
    for _ in 0..100 {
        let record = admin.get(&format!("/connections/{id}")).await.unwrap();
        state = record["state"].as_str().unwrap_or_default().to_string();
        if matches!(state.as_str(), "active" | "completed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(matches!(state.as_str(), "active" | "completed"), "{state}");

    admin
        .post(
            &format!("/connections/{id}/send-message"),
            &serde_json::json!({"content": "through the mediator"}),
        )
        .await
        .unwrap();
    let message = holder
        .inbox()
        .next_unsolicited(Duration::from_secs(10))
        .await
        .expect("the issuer's message arrives through the mediator");
    assert_eq!(message.value["content"], "through the mediator");
    session.close().await;
}

#[tokio::test]
#[ignore = "live"]
async fn peer1_routing_acapy_0_12_8() {
    issuer_reaches_a_peer1_holder_through_the_mediator(testbed::Acapy::V0_12_8.announce()).await;
}

#[tokio::test]
#[ignore = "live"]
async fn peer1_routing_acapy_1_7_0() {
    issuer_reaches_a_peer1_holder_through_the_mediator(testbed::Acapy::V1_7_0.announce()).await;
}
