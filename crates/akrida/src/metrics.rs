//! `--metrics-addr`: a tiny HTTP server answering every GET with the Prometheus text exposition
//! of the live stats (see `engine::report::render_prometheus`). Loopback by default, no TLS, no
//! auth: point it at 127.0.0.1 or a private interface.

use std::net::SocketAddr;
use std::time::Duration;

use engine::report::{render_prometheus, PROMETHEUS_BUCKETS_MS};
use engine::RunHandle;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Longest wait for a scraper's request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds `addr`; the error names it.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--metrics-addr {addr}: cannot listen: {e}"))
}

/// Serves the run's metrics on `listener` until the process ends.
pub fn serve(listener: TcpListener, handle: RunHandle) {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                let _ = answer(stream, &handle).await;
            });
        }
    });
}

async fn answer(mut stream: tokio::net::TcpStream, handle: &RunHandle) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return Ok(());
    }
    let request = String::from_utf8_lossy(&head);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = if path == "/metrics" || path == "/" {
        let histograms = handle.recorder().latency_histograms(&PROMETHEUS_BUCKETS_MS);
        ("200 OK", render_prometheus(&handle.summary(), &histograms))
    } else {
        ("404 Not Found", "try /metrics\n".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
