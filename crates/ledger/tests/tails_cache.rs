//! The tails cache against a tails server made in the test (plain HTTP on 127.0.0.1): one
//! download per registry however many holders ask at once, the hash checked, the size bounded,
//! and a failed download retried by the next holder.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use ledger::TailsCache;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering every GET with `body` (status 200, or `status`), counting requests.
async fn tails_server(body: Vec<u8>, status: u16) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicU32::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (body, counter) = (body.clone(), counter.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                // Slow enough that concurrent holders overlap with the download.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    (url, served)
}

fn definition(id: &str, location: &str, tails: &[u8], max_cred_num: u64) -> Value {
    json!({"ver": "1.0", "id": id, "revocDefType": "CL_ACCUM", "tag": "0", "credDefId": "X:3:CL:1:t",
           "value": {"issuanceType": "ISSUANCE_BY_DEFAULT", "maxCredNum": max_cred_num,
                     "publicKeys": {}, "tailsHash": bs58::encode(Sha256::digest(tails)).into_string(),
                     "tailsLocation": location}})
}

/// A tails file of the size a registry of 10 has (header + 20 tails).
fn tails_bytes() -> Vec<u8> {
    (0..2 + 128 * 20).map(|i| (i % 251) as u8).collect()
}

fn cache() -> TailsCache {
    TailsCache::in_temp_dir().unwrap()
}

#[tokio::test]
async fn concurrent_holders_share_one_download() {
    let tails = tails_bytes();
    let (url, served) = tails_server(tails.clone(), 200).await;
    let def = definition("R:4:one", &format!("{url}/R:4:one"), &tails, 10);
    let cache = Arc::new(cache());
    let mut holders = Vec::new();
    for _ in 0..25 {
        let (cache, def) = (cache.clone(), def.clone());
        holders.push(tokio::spawn(async move {
            // Each holder downloads with its own client, as a wallet would.
            cache.fetch(&def, &reqwest::Client::new()).await.unwrap()
        }));
    }
    let mut downloaded = 0;
    for holder in holders {
        let file = holder.await.unwrap();
        assert_eq!(std::fs::read(&file.path).unwrap(), tails);
        downloaded += u32::from(file.downloaded);
    }
    assert_eq!(downloaded, 1, "one holder downloaded, the others waited");
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "the server saw one request"
    );
    assert_eq!(cache.downloads(), 1);

    // A second registry is a second download.
    let other = definition("R:4:two", &format!("{url}/R:4:two"), &tails, 10);
    assert!(
        cache
            .fetch(&other, &reqwest::Client::new())
            .await
            .unwrap()
            .downloaded
    );
    assert_eq!(cache.downloads(), 2);
}

#[tokio::test]
async fn a_file_with_another_hash_is_refused_and_the_next_holder_retries() {
    let tails = tails_bytes();
    let (url, served) = tails_server(tails.clone(), 200).await;
    let mut def = definition("R:4:bad", &format!("{url}/R:4:bad"), &tails, 10);
    def["value"]["tailsHash"] = json!("4u8nQ1dXE1DXKiQhzAHrLTM6gP4e8xTKKzDdrRQu2VZ4");
    let cache = cache();
    let e = cache
        .fetch(&def, &reqwest::Client::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tails file of revocation registry R:4:bad"),
        "{e}"
    );
    assert!(e.contains("the registry's tailsHash is 4u8nQ"), "{e}");
    assert_eq!(cache.downloads(), 0);
    cache
        .fetch(&def, &reqwest::Client::new())
        .await
        .unwrap_err();
    assert_eq!(served.load(Ordering::SeqCst), 2, "a failure is not kept");
}

#[tokio::test]
async fn a_file_larger_than_the_registry_allows_is_refused() {
    let big = vec![7u8; 2 + 128 * 200];
    let (url, _) = tails_server(big.clone(), 200).await;
    let def = definition("R:4:big", &format!("{url}/R:4:big"), &big, 10);
    let e = cache()
        .fetch(&def, &reqwest::Client::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("more than a registry of 10 credentials has"),
        "{e}"
    );
}

#[tokio::test]
async fn server_errors_and_bad_definitions_are_named() {
    let (url, _) = tails_server(b"gone".to_vec(), 404).await;
    let def = definition("R:4:gone", &format!("{url}/R:4:gone"), b"x", 10);
    let e = cache()
        .fetch(&def, &reqwest::Client::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("answered HTTP 404"), "{e}");

    let local = definition("R:4:local", "/var/tails/R", b"x", 10);
    let e = cache()
        .fetch(&local, &reqwest::Client::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("tailsLocation is not an http(s) URL"), "{e}");
}
