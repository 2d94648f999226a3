//! The shared HTTP server on a real socket, spoken to with raw bytes so every framing is exact:
//! chunked and `Content-Length` bodies, keep-alive, the body limit, malformed requests counted,
//! and a graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use net::server::{Handler, HttpServer, Limits, Reply, Request, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Echoes the body's length; bodies are kept, refusals counted.
#[derive(Default)]
struct Recorder {
    bodies: Mutex<Vec<Vec<u8>>>,
    refused: AtomicU64,
}

impl Handler for Recorder {
    fn handle(&self, request: Request) -> Reply {
        let length = request.body.len();
        self.bodies.lock().unwrap().push(request.body.to_vec());
        Reply::text(StatusCode::OK, format!("{} {length}", request.method))
    }

    fn refused(&self, _reason: &str) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
}

async fn started(max_body: usize) -> (HttpServer, Arc<Recorder>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let server = HttpServer::start(listener, recorder.clone(), Limits::with_max_body(max_body));
    (server, recorder)
}

/// Writes `raw`, half-closes, returns everything the server sent back.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn chunked_and_sized_bodies_on_one_kept_alive_connection() {
    let (server, recorder) = started(1024).await;
    let raw = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n\
        POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    let reply = exchange(server.local_addr(), raw).await;
    assert_eq!(reply.matches("HTTP/1.1 200 OK").count(), 2, "{reply}");
    assert!(
        reply.contains("POST 11") && reply.contains("POST 3"),
        "{reply}"
    );
    assert_eq!(
        *recorder.bodies.lock().unwrap(),
        vec![b"hello world".to_vec(), b"abc".to_vec()]
    );
    assert_eq!(recorder.refused.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn oversized_and_malformed_requests_are_refused_and_counted() {
    let (server, recorder) = started(8).await;
    let addr = server.local_addr();
    let stated = exchange(addr, b"POST / HTTP/1.1\r\nContent-Length: 9999\r\n\r\n").await;
    assert!(stated.starts_with("HTTP/1.1 413"), "{stated}");
    let chunked = exchange(
        addr,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n0\r\n\r\n",
    )
    .await;
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    let bad_chunk = exchange(
        addr,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert!(bad_chunk.starts_with("HTTP/1.1 400"), "{bad_chunk}");
    let garbage = exchange(addr, b"\x00\x01 not http\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    assert_eq!(recorder.refused.load(Ordering::Relaxed), 4);
    assert!(recorder.bodies.lock().unwrap().is_empty());
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let (server, _recorder) = started(64).await;
    let addr = server.local_addr();
    let ok = exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    tokio::time::timeout(Duration::from_secs(5), server.shutdown())
        .await
        .expect("shutdown ends within its grace");
    assert!(TcpStream::connect(addr).await.is_err());
}

/// Streams two chunks the handler's task sends one after the other, then ends when the sender
/// is dropped; the request's query is handed over as sent.
struct Streamer;

impl Handler for Streamer {
    fn handle(&self, request: Request) -> Reply {
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let query = request.query.unwrap_or_default();
        tokio::spawn(async move {
            let _ = sender
                .send(bytes::Bytes::from(format!("first {query};")))
                .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let _ = sender.send(bytes::Bytes::from_static(b"second;")).await;
        });
        Reply::stream(StatusCode::OK, "text/event-stream", receiver)
    }
}

#[tokio::test]
async fn a_streamed_reply_is_sent_chunk_by_chunk_until_its_sender_goes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = HttpServer::start(listener, Arc::new(Streamer), Limits::with_max_body(64));
    let reply = exchange(
        server.local_addr(),
        b"GET /events?token=abc&x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(reply.contains("transfer-encoding: chunked"), "{reply}");
    assert!(reply.contains("content-type: text/event-stream"), "{reply}");
    let first = reply.find("first token=abc&x=1;").expect("first chunk");
    let second = reply.find("second;").expect("second chunk");
    assert!(first < second, "{reply}");
    assert!(reply.ends_with("0\r\n\r\n"), "ended: {reply:?}");
}
