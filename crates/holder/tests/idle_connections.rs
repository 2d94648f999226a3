//! A holder keeps its idle HTTP connection to a server between messages (as a phone's HTTP
//! stack does), and drops it when it goes away: the next message opens a new one. Judged on the
//! server's side, by the connections it accepted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use holder::{Holder, HolderConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that answers every request with 202 and an empty body on a kept-alive connection,
/// counting the connections it accepted.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    // Requests here have a small body sent with its head; answer each complete one.
                    while let Some(end) = request_end(&buffer) {
                        buffer.drain(..end);
                        let answer = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, accepted)
}

/// The length of the first complete request in `buffer` (head and Content-Length body).
fn request_end(buffer: &[u8]) -> Option<usize> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    (buffer.len() >= head_end + length).then_some(head_end + length)
}

#[tokio::test]
async fn a_holder_reuses_its_connection_and_drops_it_when_it_goes_away() {
    let (url, accepted) = counting_server().await;
    let mut holder = Holder::new(HolderConfig::new("idle", Duration::from_secs(5)));
    for _ in 0..3 {
        holder::outbound::post_envelope(holder.http(), &url, b"{}".to_vec(), holder.inbox())
            .await
            .expect("the server accepts");
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "three messages, one connection"
    );

    holder.drop_idle_connections();
    holder::outbound::post_envelope(holder.http(), &url, b"{}".to_vec(), holder.inbox())
        .await
        .expect("the server accepts");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "the message after going away opens a new connection"
    );
}
