//! The finding "onboarding cost grows with the connections of one invitation", re-checked on
//! each ACA-Py release of the testbed. On every DID Exchange request through a multi-use
//! invitation ACA-Py looks the invitation up by the tag `invitation_msg_id`
//! (`ConnRecord.retrieve_by_invitation_msg_id`); every connection made through that invitation
//! keeps the tag, so the lookup loads all of them before a post-filter keeps the one still in
//! state `invitation`. The code is the same in 0.12.8 and 1.7.0.
//!
//! Measured on the mediator's own CPU time (`/proc/<pid>/stat`, its process only, so other load
//! on the machine adds little): after `CROWD` holders connected through one invitation, the
//! next holders through it cost the mediator more CPU each than as many through a fresh
//! invitation, in alternating batches so drift in the machine's load hits both alike. Only the
//! handshake is done (the lookup happens there), not mediation, to keep the test short.

use std::time::Duration;

use admin_client::AdminClient;
use futures_util::StreamExt;
use holder::{Holder, HolderConfig};

/// Holders connected through the crowded invitation before measuring.
const CROWD: usize = 150;
/// Holders per measured batch, and batches per invitation.
const BATCH: usize = 12;
const ROUNDS: usize = 3;
const CONCURRENCY: usize = 8;

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("mediator's /proc stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat has a comm")
        .1
        .split_whitespace()
        .collect();
    // After the comm: state is field 0, utime field 11, stime field 12.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Connects `count` fresh holders through `url`, `CONCURRENCY` at a time.
async fn connect_many(url: &str, count: usize) {
    let invitation = didcomm::parse_invitation(url).unwrap();
    let results: Vec<_> = futures_util::stream::iter(0..count)
        .map(|i| {
            let invitation = invitation.clone();
            async move {
                let holder = Holder::new(HolderConfig::new(
                    format!("akrida-crowd-{i}"),
                    Duration::from_secs(60),
                ));
                holder.connect(&invitation).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in results {
        r.expect("connect");
    }
}

async fn fresh_invitation(admin: &AdminClient) -> (String, String) {
    let reply = admin
        .create_oob_invitation(&["didexchange/1.0"], true)
        .await
        .unwrap();
    (
        reply["invitation_url"].as_str().unwrap().to_string(),
        reply["invi_msg_id"].as_str().unwrap().to_string(),
    )
}

/// Mediator CPU ticks spent on `count` connections through `url`.
async fn cost_of(pid: u32, url: &str, count: usize) -> u64 {
    let before = cpu_ticks(pid);
    connect_many(url, count).await;
    // The mediator finishes a handshake (the `complete`) after our last message: let it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    cpu_ticks(pid) - before
}

testbed::each_acapy! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "live"]
    async fn onboarding_cost_grows_with_the_invitations_connections(acapy) {
        let tb = acapy.ensure(&["mediator"]);
        let mediator = tb.agent(&acapy.name("mediator"));
        let pid = mediator.pid.expect("mediator pid");
        let admin = AdminClient::new(&mediator.admin_url, &[]).unwrap();

        let (crowded, crowded_id) = fresh_invitation(&admin).await;
        connect_many(&crowded, CROWD).await;
        let (mut on_crowded, mut on_fresh) = (0, 0);
        for _ in 0..ROUNDS {
            let (fresh, _) = fresh_invitation(&admin).await;
            on_fresh += cost_of(pid, &fresh, BATCH).await;
            on_crowded += cost_of(pid, &crowded, BATCH).await;
        }
        // The mediator's own records: every holder of the crowded invitation is a connection of it.
        let page = admin
            // 1.x pages list calls (100 records unless `limit` says otherwise); 0.12.8 does not.
            .get(&format!("/connections?invitation_msg_id={crowded_id}&limit=1000"))
            .await
            .unwrap();
        let made = page["results"].as_array().unwrap().len();
        assert!(made >= CROWD + ROUNDS * BATCH, "{made} connections through the crowded invitation");

        let per = |ticks: u64| ticks as f64 * 10.0 / (ROUNDS * BATCH) as f64;
        let ratio = on_crowded as f64 / on_fresh.max(1) as f64;
        println!(
            "{acapy}: mediator CPU per onboarding {:.0} ms through a fresh invitation, {:.0} ms \
             through one with {CROWD}+ connections ({ratio:.2}x)",
            per(on_fresh),
            per(on_crowded)
        );
        assert!(ratio >= 1.2, "{acapy}: no growth measured ({ratio:.2}x)");
    }
}
