//! Multitenant load against real ACA-Py (the testbed's multitenant agent and mediator):
//! 20 tenants onboarded with the seed's step shape (5 more every 3 s, half of them active each
//! second), each with a granted default mediator *per the multitenant agent's own API* (asked
//! with the tenant's token), basic messages and pings delivered between tenants through the
//! mediator, and every tenant of the run removed at the end (the agent's wallet list shows none).
//! The twenty-tenant run goes against both ACA-Py releases (the multitenant agent and mediator
//! of the same release); the argon2 one against the default, 0.12.8.

use std::sync::Arc;
use std::time::{Duration, Instant};

use admin_client::AdminClient;
use engine::{LoadShape, RunConfig, Runner, StatsSnapshot, Wait};
use scenarios::multitenant::{
    MultitenantConfig, MultitenantMediation, CREATE_TENANT, TENANT_CONNECTION, TENANT_MEDIATION,
    TENANT_MESSAGE, TENANT_PING,
};

const TENANTS: usize = 20;

fn requests(snapshot: &StatsSnapshot, name: &str) -> (u64, u64) {
    snapshot
        .entries
        .iter()
        .find(|e| e.name == name)
        .map(|e| (e.num_requests, e.num_failures))
        .unwrap_or((0, 0))
}

/// Wallet names on the agent that start with `prefix`.
async fn wallets_named(admin: &AdminClient, prefix: &str) -> Vec<String> {
    let page = admin
        .get("/multitenancy/wallets")
        .await
        .expect("wallet list");
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|w| w["settings"]["wallet.name"].as_str())
        .filter(|name| name.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

testbed::each_acapy! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "live"]
    async fn twenty_tenants_take_mediation_talk_and_are_removed(acapy) {
        twenty_tenants(acapy).await;
    }
}

async fn twenty_tenants(acapy: testbed::Acapy) {
    let tb = acapy.ensure(&["mediator", "multitenant"]);
    let mediator = tb.agent(&acapy.name("mediator"));
    let agent = tb.agent(&acapy.name("multitenant"));
    assert_eq!(agent.acapy_version, acapy.version());
    let invitation =
        didcomm::parse_invitation(mediator.invitation_url.as_deref().expect("invitation")).unwrap();
    let admin = AdminClient::new(&agent.admin_url, &[]).unwrap();
    let label = format!("mt{:06x}", rand::random::<u32>() & 0xff_ffff);

    let scenario = Arc::new(
        MultitenantMediation::start(MultitenantConfig {
            admin: admin.clone(),
            mediator: invitation,
            raw_key: true,
            cleanup: true,
            timeout: Duration::from_secs(30),
            label: label.clone(),
            webhook_listen: "127.0.0.1:0".parse().unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap(),
    );
    let config = RunConfig {
        users: TENANTS,
        spawn_rate: 5.0,
        wait: Wait::between(0.2, 0.5),
        shape: LoadShape::Steps {
            users: 5,
            every: Duration::from_secs(3),
        },
        active_share: 0.5,
        stop_timeout: Duration::from_secs(20),
        ..RunConfig::default()
    };
    let (handle, run) = Runner::start(scenario.clone(), config).unwrap();

    // The step shape: 5 users first, not all 20 at once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(handle.target_user_count(), 5, "first step");

    let deadline = Instant::now() + Duration::from_secs(90);
    while scenario.live_tenants().len() < TENANTS {
        assert!(
            Instant::now() < deadline,
            "only {} of {TENANTS} tenants onboarded: {:#?}",
            scenario.live_tenants().len(),
            handle.summary().failures
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Each tenant's default mediator, as the multitenant agent itself reports it to the tenant.
    for tenant in scenario.live_tenants() {
        let default = tenant
            .client
            .get("/mediation/default-mediator")
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", tenant.name));
        assert_eq!(default["state"], "granted", "{}: {default:#}", tenant.name);
        assert!(
            default["routing_keys"]
                .as_array()
                .is_some_and(|k| !k.is_empty()),
            "{default:#}"
        );
        assert_eq!(
            default["endpoint"],
            mediator.http_url.as_str(),
            "{default:#}"
        );
    }
    // Let them talk for a while once all are in.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let summary = handle.summary();
        if requests(&summary, TENANT_MESSAGE).0 >= 30 && requests(&summary, TENANT_PING).0 >= 30 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "too few messages: {:#?}",
            summary.entries
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    handle.stop();
    let snapshot = run.await.unwrap();

    assert!(snapshot.failures.is_empty(), "{:#?}", snapshot.failures);
    assert_eq!(requests(&snapshot, CREATE_TENANT), (TENANTS as u64, 0));
    assert_eq!(requests(&snapshot, TENANT_MEDIATION), (TENANTS as u64, 0));
    let (connections, _) = requests(&snapshot, TENANT_CONNECTION);
    assert!(connections >= 1, "{:#?}", snapshot.entries);
    let (messages, _) = requests(&snapshot, TENANT_MESSAGE);
    assert!(messages >= 30, "{:#?}", snapshot.entries);
    assert_eq!(requests(&snapshot, "remove_tenant"), (TENANTS as u64, 0));
    assert!(scenario.remaining_tenants().is_empty());
    let left = wallets_named(&admin, &format!("{label}-")).await;
    assert!(left.is_empty(), "tenants left on the agent: {left:?}");
}

/// ACA-Py's default argon2 key (no `wallet_key_derivation` sent: 0.12.8 refuses the names its
/// own API advertises) and clean-up turned off: the tenants stay on the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live"]
async fn argon2_tenants_stay_when_cleanup_is_off() {
    let tb = testbed::ensure(&["mediator", "multitenant"]);
    let mediator = tb.agent("mediator");
    let agent = tb.agent("multitenant");
    let invitation =
        didcomm::parse_invitation(mediator.invitation_url.as_deref().expect("invitation")).unwrap();
    let admin = AdminClient::new(&agent.admin_url, &[]).unwrap();
    let label = format!("mk{:06x}", rand::random::<u32>() & 0xff_ffff);
    let scenario = Arc::new(
        MultitenantMediation::start(MultitenantConfig {
            admin: admin.clone(),
            mediator: invitation,
            raw_key: false,
            cleanup: false,
            timeout: Duration::from_secs(30),
            label: label.clone(),
            webhook_listen: "127.0.0.1:0".parse().unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap(),
    );
    let config = RunConfig {
        users: 2,
        spawn_rate: 2.0,
        wait: Wait::between(0.2, 0.5),
        ..RunConfig::default()
    };
    let (handle, run) = Runner::start(scenario.clone(), config).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while scenario.live_tenants().len() < 2 || requests(&handle.summary(), TENANT_MESSAGE).0 < 2 {
        assert!(
            Instant::now() < deadline,
            "{:#?}",
            handle.summary().failures
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    handle.stop();
    let snapshot = run.await.unwrap();
    assert!(snapshot.failures.is_empty(), "{:#?}", snapshot.failures);
    assert_eq!(requests(&snapshot, "remove_tenant").0, 0);
    let left = wallets_named(&admin, &format!("{label}-")).await;
    assert_eq!(left.len(), 2, "{left:?}");
    for wallet_id in scenario.remaining_tenants() {
        admin
            .post(
                &format!("/multitenancy/wallet/{wallet_id}/remove"),
                &serde_json::json!({}),
            )
            .await
            .unwrap();
    }
    assert!(wallets_named(&admin, &format!("{label}-")).await.is_empty());
}
